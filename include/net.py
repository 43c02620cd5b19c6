"""Ports on this machine: a free one for the local servers the stack and the tests start, and whether
one is taken by another program."""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_taken(port: int, host: str = "127.0.0.1") -> bool:
    """Another program holds ``port``: binding it on ``host`` fails, or a server answers on localhost,
    which may be ::1, where another server can listen while 127.0.0.1 is free (the stack's own clients
    call localhost: they would reach that server instead of ours)."""
    with socket.socket() as sock:
        # A connection of an earlier stack still in TIME_WAIT is no program: the server may bind over it.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    for family, kind, proto, _, address in socket.getaddrinfo("localhost", port, type=socket.SOCK_STREAM):
        with socket.socket(family, kind, proto) as probe:
            probe.settimeout(1)
            if probe.connect_ex(address) == 0:
                return True
    return False
