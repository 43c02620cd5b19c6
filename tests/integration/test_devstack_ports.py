"""``make run`` and ``make demo`` refuse at once when a port they bind is taken, naming it and ``PORT``."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from include.devstack import check_ports
from include.net import free_port, port_taken


@pytest.fixture
def listening() -> Iterator[int]:
    """Another program's server on a free port of 127.0.0.1."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", free_port()))
        server.listen()
        yield int(server.getsockname()[1])


def env(api: int, worker_logs: int | None = None, trigger_logs: int | None = None) -> dict[str, str]:
    return {
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(worker_logs or free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(trigger_logs or free_port()),
    }


def test_a_taken_api_port_stops_the_stack_naming_the_port_and_port(listening):
    with pytest.raises(SystemExit) as stop:
        check_ports(env(listening), "demo")
    told = str(stop.value)
    assert f"port {listening} (the Airflow API server and UI) is in use by another program" in told
    other = int(told.split("`make demo PORT=")[1].split("`")[0])  # a port it offers instead: free
    assert other > listening
    assert not port_taken(other)


def test_a_taken_log_server_port_stops_the_stack_too(listening):
    with pytest.raises(SystemExit, match=rf"port {listening} \(Airflow's task log server\)"):
        check_ports(env(free_port(), worker_logs=listening), "run")


def test_free_ports_pass_and_a_closed_server_frees_its_port():
    check_ports(env(free_port()), "run")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = int(server.getsockname()[1])
        assert port_taken(port)
    assert not port_taken(port)


def test_a_server_answering_on_localhost_counts_though_the_stacks_address_is_free(listening):
    """HOST 127.0.0.2 binds beside another program's 127.0.0.1, but the stack calls its API on localhost:
    that program would answer."""
    with socket.socket() as mine:
        mine.bind(("127.0.0.2", listening))  # the address itself is free
    assert port_taken(listening, "127.0.0.2")
