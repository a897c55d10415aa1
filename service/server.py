"""How `triage serve` runs uvicorn: the HTTP protocol with TCP_NODELAY on every connection.

With ``--workers N`` uvicorn binds the listening socket itself as ``socket(AF_INET)``,
whose ``proto`` is 0, and asyncio only switches Nagle's algorithm off for sockets whose
proto is ``IPPROTO_TCP``. A response written in two pieces (head, then body) then waits
for the client's delayed ACK: about 40 ms on every request, which is what made two
workers slower than one at concurrency 1. Setting the option per connection fixes it for
any worker count.
"""

from __future__ import annotations

import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol


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
