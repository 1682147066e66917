"""A burst of connections is held for the server, not dropped: at Twisted's default listen
backlog (50) the kernel dropped the connections of a burst beyond it while daphne was busy, and
their clients tried again a second later (200 streams started at once: 46 of them)."""

from __future__ import annotations

import os
import select
import signal
import socket

from vizorch_site.testing import LiveServer

BURST = 300


def _connected(sockets: list[socket.socket], wait_s: float) -> int:
    """How many of the non-blocking connects completed their handshake within `wait_s`."""
    _, writable, _ = select.select([], sockets, [], wait_s)
    return sum(1 for sock in writable if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0)


def test_a_burst_of_connections_to_a_busy_server_is_held_until_it_accepts_them(
    live_server: LiveServer,
) -> None:
    assert live_server.process is not None
    pid = live_server.process.pid
    sockets = []
    # The server accepts nothing while stopped: every connection of the burst waits in the
    # kernel's queue for it, or is dropped when that queue is full.
    os.kill(pid, signal.SIGSTOP)
    try:
        for _ in range(BURST):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", live_server.port))
            sockets.append(sock)
        connected = _connected(sockets, wait_s=5.0)
    finally:
        os.kill(pid, signal.SIGCONT)
        for sock in sockets:
            sock.close()
    assert connected == BURST
