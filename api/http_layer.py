"""The HTTP layer's own answers in the service's error shape, and ``HEAD`` on every ``GET`` route.

* :class:`HeadMiddleware` answers ``HEAD`` like ``GET`` without the body (same status and
  headers, ``Content-Length`` included), for every route of the app (RFC 9110 §9.3.2).
* :class:`ErrorShapeH11Protocol` is uvicorn's h11 protocol with its plain-text 400 (for a
  request line or headers it cannot read, or longer than h11's 16 KB limit) replaced by the
  JSON error shape: 414 for a request line (URL) that is too long, 431 for headers that are
  too large, 400 for anything else it cannot parse. ``uvts serve`` runs uvicorn with it.

What cannot be shaped: a connection closed before a request line was complete gets no
answer at all, and uvicorn's httptools protocol (not used by ``uvts serve``) keeps its own
plain-text 400.
"""

from __future__ import annotations

import json

__all__ = ["HeadMiddleware", "ErrorShapeH11Protocol", "http_error_body"]


class HeadMiddleware:
    """``HEAD`` is answered as ``GET`` would be, minus the body."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            return await self.app(scope, receive, send)
        scope = dict(scope, method="GET")

        async def send_without_body(message):
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(scope, receive, send_without_body)


def http_error_body(status: int, message: str) -> bytes:
    """The error shape as bytes (the same as :func:`uvts.api.errors.error_body`, without FastAPI)."""
    return json.dumps({"ok": False, "error": message, "status": status}, ensure_ascii=False).encode("utf-8")


def _classify(buffer: bytes, limit: int) -> tuple[int, str, str]:
    line_end = buffer.find(b"\r\n")
    if line_end < 0 and len(buffer) >= limit:
        return 414, "URI Too Long", (f"Adressen i begäran är för lång (tjänsten läser högst {limit} byte). Skicka "
                                     f"långa SPARQL-frågor med POST i stället för GET.")
    if len(buffer) >= limit:
        return 431, "Request Header Fields Too Large", (f"Begärans huvuden är för stora (tjänsten läser högst {limit} "
                                                       f"byte).")
    return 400, "Bad Request", "Begäran kunde inte läsas: den följer inte HTTP/1.1 (felaktig begäranrad eller huvud)."


def _protocol_class():
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class ErrorShapeH11Protocol(H11Protocol):
        def send_400_response(self, msg: str) -> None:
            buffer, _ = self.conn.trailing_data
            limit = getattr(self.conn, "_max_incomplete_event_size", None) or 16 * 1024  # h11's default
            status, reason, message = _classify(buffer, limit)
            body = http_error_body(status, message)
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                       (b"connection", b"close")]
            try:
                output = self.conn.send(h11.Response(status_code=status, headers=headers, reason=reason.encode()))
                output += self.conn.send(h11.Data(data=body))
                output += self.conn.send(h11.EndOfMessage())
            except h11.LocalProtocolError:  # h11 is in no state to answer: write the response by hand
                output = (f"HTTP/1.1 {status} {reason}\r\n".encode() + b"".join(k + b": " + v + b"\r\n" for k, v in headers)
                          + b"\r\n" + body)
            self.transport.write(output)
            # Closing with unread request bytes makes the kernel reset the connection, and the client
            # never reads the answer: half-close, discard what still arrives, close a moment later.
            self._draining = True
            try:
                if self.transport.can_write_eof():
                    self.transport.write_eof()
                self.loop.call_later(2.0, self.transport.close)
            except (AttributeError, RuntimeError, OSError):
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            if getattr(self, "_draining", False):
                return
            super().data_received(data)

    return ErrorShapeH11Protocol


def __getattr__(name):  # uvicorn is imported only when the server starts
    if name == "ErrorShapeH11Protocol":
        return _protocol_class()
    raise AttributeError(name)
