"""One error shape for every error the service sends.

Every error, whether raised by our own code (:class:`ApiError`), by FastAPI or Starlette
(404, 405, 422) or by a bug (500), is answered with the same JSON body::

    {"ok": false, "error": "<Swedish message>", "status": <int>}

and the HTTP status equal to ``status``. The error body is JSON whatever the request's
``Accept`` header asked for, so a client can always read it; the one exception is an unknown
address asked for by a browser (``Accept: text/html``), which gets the pages' Swedish 404 page
when the pages are part of the app (see :func:`wants_html`).
"""

from __future__ import annotations

import logging

__all__ = ["ApiError", "error_body", "error_response", "install_error_handlers", "DEFAULT_MESSAGES", "wants_html"]

log = logging.getLogger("uvts.api")

DEFAULT_MESSAGES = {
    400: "Felaktig begäran.",
    401: "Begäran kräver inloggning.",
    403: "Åtkomst nekad.",
    404: "Sidan eller resursen finns inte.",
    405: "Metoden är inte tillåten här.",
    406: "Svaret kan inte ges i något av de format som begäran accepterar.",
    413: "Begäran är för stor.",
    415: "Begärans innehållstyp stöds inte.",
    422: "Begäran har ogiltiga parametrar.",
    429: "För många begäranden; försök igen om en stund.",
    500: "Ett internt fel inträffade i tjänsten.",
    503: "Tjänsten kan inte svara just nu; försök igen om en stund.",
    504: "Tjänsten hann inte svara i tid.",
}


class ApiError(Exception):
    """An error to answer with: an HTTP status, a Swedish message, optional headers."""

    def __init__(self, status: int, message: str | None = None, headers: dict[str, str] | None = None):
        self.status = int(status)
        self.message = message or DEFAULT_MESSAGES.get(self.status, "Ett fel inträffade.")
        self.headers = dict(headers or {})
        super().__init__(self.message)


def error_body(status: int, message: str) -> dict:
    """The body of an error answer: ``{"ok": False, "error": message, "status": status}``."""
    return {"ok": False, "error": message, "status": int(status)}


def error_response(status: int, message: str | None = None, headers: dict[str, str] | None = None):
    """A JSON response in the error shape."""
    from starlette.responses import JSONResponse

    message = message or DEFAULT_MESSAGES.get(int(status), "Ett fel inträffade.")
    return JSONResponse(error_body(status, message), status_code=int(status), headers=headers)


_FIELD_PROBLEMS = {
    "missing": "saknas",
    "int_parsing": "måste vara ett heltal",
    "float_parsing": "måste vara ett tal",
    "bool_parsing": "måste vara sant eller falskt",
    "enum": "har ett värde som inte är tillåtet",
    "literal_error": "har ett värde som inte är tillåtet",
    "string_too_long": "är för lång",
    "string_too_short": "är för kort",
    "greater_than_equal": "har ett för litet värde",
    "less_than_equal": "har ett för stort värde",
    "json_invalid": "är inte giltig JSON",
}

_LOCATIONS = {"query": "frågeparametern", "path": "sökvägsparametern", "body": "fältet", "header": "huvudet",
              "cookie": "kakan"}


def _validation_message(errors: list[dict]) -> str:
    """A Swedish sentence for FastAPI's validation errors (422)."""
    parts = []
    for err in errors[:5]:
        loc = [str(x) for x in err.get("loc", ())]
        where = _LOCATIONS.get(loc[0], "värdet") if loc else "värdet"
        name = ".".join(loc[1:]) or (loc[0] if loc else "?")
        problem = _FIELD_PROBLEMS.get(err.get("type", ""), f"är ogiltig ({err.get('msg', '')})")
        parts.append(f"{where} '{name}' {problem}")
    more = f" (och {len(errors) - 5} fel till)" if len(errors) > 5 else ""
    return "Begäran har ogiltiga parametrar: " + "; ".join(parts) + more + "."


def wants_html(request) -> bool:
    """A browser asking for a page: ``GET``/``HEAD`` with ``text/html`` in ``Accept``. Such a request
    for an unknown address gets the pages' Swedish 404 page (when the pages are part of the app,
    ``app.state.html_not_found``); every other client gets the error shape."""
    accept = (request.headers.get("accept") or "").lower()
    return request.method in ("GET", "HEAD") and "text/html" in accept


def install_error_handlers(app) -> None:
    """Answer every error of ``app`` in the one error shape."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    async def api_error(request, exc: ApiError):
        return error_response(exc.status, exc.message, exc.headers)

    async def http_error(request, exc: StarletteHTTPException):
        status = exc.status_code
        message = DEFAULT_MESSAGES.get(status, "Ett fel inträffade.")
        if status == 405:
            message = f"Metoden {request.method} är inte tillåten för {request.url.path}."
        elif status == 404:
            message = f"Det finns ingenting på {request.url.path}."
            page = getattr(request.app.state, "html_not_found", None)
            if page is not None and wants_html(request):
                return await page(request)
        return error_response(status, message, getattr(exc, "headers", None))

    async def validation_error(request, exc: RequestValidationError):
        return error_response(422, _validation_message(list(exc.errors())))

    async def unexpected_error(request, exc: Exception):
        log.exception("unhandled error while answering %s %s", request.method, request.url.path)
        return error_response(500)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected_error)
