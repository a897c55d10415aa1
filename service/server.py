"""How `triage serve` runs uvicorn: the HTTP protocol with TCP_NODELAY on every connection.

With ``--workers N`` uvicorn binds the listening socket itself as ``socket(AF_INET)``,
whose ``proto`` is 0, and asyncio only switches Nagle's algorithm off for sockets whose
proto is ``IPPROTO_TCP``. A response written in two pieces (head, then body) then waits
for the client's delayed ACK: about 40 ms on every request, which is what made two
workers slower than one at concurrency 1. Setting the option per connection fixes it for
any worker count.
"""

from __future__ import annotations

import os
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.supervisors import multiprocess


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    def connection_made(self, transport) -> None:  # transport: asyncio.Transport
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # a socket that is already gone; the protocol will notice
                pass
        super().connection_made(transport)


HTTP_PROTOCOL = "service.server:NoDelayHTTPProtocol"


# -- several workers: one listening socket each, the kernel spreading connections ----------
#
# uvicorn's --workers shares one listening socket between the workers, and whichever
# worker wakes first accepts: a burst of keep-alive connections (an intake system's pool)
# then often lands on one worker (measured: all 8, or 31 of 32) while the other idles.
# Here the parent binds one socket per worker with SO_REUSEPORT, so the kernel spreads new
# connections over them by a hash of the connection, and each worker serves its own. The
# parent keeps every socket open, so connections waiting on a worker that died stay queued
# for the worker uvicorn starts in its place (which claims the freed socket).

CLAIMS_ENV = "TRIAGE_WORKER_SOCKET_CLAIMS"


def reuseport_sockets(host: str, port: int, n: int, backlog: int) -> list[socket.socket] | None:
    """``n`` listening sockets on one address, or None where SO_REUSEPORT is missing."""
    if not hasattr(socket, "SO_REUSEPORT"):
        return None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    socks = []
    try:
        for _ in range(n):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            sock.listen(backlog)
            sock.set_inheritable(True)
            socks.append(sock)
    except OSError:
        for sock in socks:
            sock.close()
        raise
    return socks


def _claim(n: int) -> int | None:
    """The index of a socket no living worker serves (a lock held until this process
    ends; the kernel drops it when a worker dies, so its replacement takes that socket)."""
    import fcntl

    directory = os.environ.get(CLAIMS_ENV)
    if not directory:
        return None
    for i in range(n):
        fd = os.open(os.path.join(directory, f"{i}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        _held.append(fd)  # never closed: the claim lasts as long as the worker
        return i
    return None


_held: list[int] = []


class OneSocketProcess(multiprocess.Process):
    """A uvicorn worker that serves one of the parent's sockets, the one it claims."""

    def target(self, sockets=None) -> None:  # pragma: no cover - runs in the worker
        i = _claim(len(sockets or ()))
        super().target([sockets[i]] if i is not None else sockets)


def serve_workers(app: str, *, host: str, port: int, workers: int, **options) -> bool:
    """Run ``workers`` uvicorn workers on per-worker SO_REUSEPORT sockets under uvicorn's
    own supervisor (restarts, signals, health checks); False where that is not possible
    (no SO_REUSEPORT), for the caller to fall back to uvicorn's shared socket."""
    import tempfile

    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, workers=workers, **options)
    socks = reuseport_sockets(host, port, workers, config.backlog)
    if socks is None:
        return False
    with tempfile.TemporaryDirectory(prefix="triage-workers-") as claims:
        os.environ[CLAIMS_ENV] = claims  # the spawned workers inherit it
        multiprocess.Process = OneSocketProcess  # what the supervisor starts
        try:
            multiprocess.Multiprocess(config, sockets=socks).run()
        finally:
            for sock in socks:
                sock.close()
    return True
