"""The unit tier: pure code, files of the repository, no service and no network.

A test here that opens a network or Postgres connection fails, naming it: it belongs in tests/integration.
"""

from __future__ import annotations

import socket
from typing import Any

import psycopg
import pytest


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: socket.socket, address: Any) -> None:
        raise AssertionError(f"a unit test tried to connect to {address!r}: move it to tests/integration")

    def refuse_postgres(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a unit test tried to connect to Postgres: move it to tests/integration")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    # psycopg connects through libpq, in C, around Python's sockets (SQLAlchemy's dialect calls this too).
    monkeypatch.setattr(psycopg, "connect", refuse_postgres)
    monkeypatch.setattr(psycopg.Connection, "connect", refuse_postgres)
