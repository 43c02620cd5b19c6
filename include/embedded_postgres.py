"""A PostgreSQL server from the ``pgserver`` wheel, on a TCP port of 127.0.0.1.

Used by ``make run``/``make demo`` when no warehouse is configured, and by the tests when no
Postgres answers on 127.0.0.1:5432. PostgreSQL refuses to run as root; as root the server runs
as the system user ``pgserver`` (created if missing, as the pgserver package itself does).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

from include.net import free_port

SERVER_USER = "pgserver"


def reachable(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        return False


@contextlib.contextmanager
def local_or_embedded(url: str, data_dir: Path) -> Iterator[str]:
    """``url`` when a server answers there, else an embedded server in ``data_dir`` for the block."""
    if reachable(url):
        yield url
        return
    server = EmbeddedPostgres(data_dir).start()
    try:
        yield server.url
    finally:
        server.stop()


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port or free_port()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        with warnings.catch_warnings():  # pgserver warns about XDG_RUNTIME_DIR, which we do not use
            warnings.simplefilter("ignore")
            from pgserver._commands import POSTGRES_BIN_PATH

        user = None
        if os.geteuid() == 0:
            from pgserver.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

            ensure_user_exists(SERVER_USER)
            ensure_prefix_permissions(self.data_dir)
            ensure_prefix_permissions(POSTGRES_BIN_PATH)
            ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
            subprocess.run(["chown", "-R", SERVER_USER, str(self.data_dir)], check=True)
            user = SERVER_USER
        subprocess.run(
            [str(POSTGRES_BIN_PATH / program), *args],
            check=True,
            user=user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=120,
        )

    def start(self) -> EmbeddedPostgres:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data_dir), "-U", "postgres", "--auth=trust", "--encoding=utf8")
        self.stop()  # a server left over from an interrupted run
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-w",
            "-l",
            str(self.data_dir / "server.log"),
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k {self.data_dir}",
            "start",
        )
        return self

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends sessions and shuts down cleanly; ``immediate`` is a crash (recovery on start)."""
        if (self.data_dir / "postmaster.pid").exists():
            # a stale pid file: the server is not running after all
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-m", mode, "stop")
