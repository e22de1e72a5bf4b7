"""The API's errors: one JSON shape for every 4xx and 503, naming the parameter that was wrong and what to do.

Every error body is ``{"error": {"status": 422, "parameter": "as_of_block", "message": "..."}}``. Request
validation failures (FastAPI's ``RequestValidationError``) are rewritten to this shape too, so a client reads
one format; nothing reaches the client as a 500 for bad input.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from api.service import HeightError
from ledger.exceptions import StoreUnavailableError

__all__ = ["ERROR_RESPONSES", "ApiError", "ErrorBody", "install_error_handlers"]


class ErrorDetail(BaseModel):
    status: int = Field(description="the HTTP status")
    parameter: str | None = Field(description="the request parameter that was wrong, if one was")
    message: str = Field(description="what was wrong and what to do")


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


#: The error responses every route documents in the OpenAPI schema.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (401, "the bearer token is missing or wrong"),
        (403, "the endpoint is disabled"),
        (404, "no such record"),
        (409, "the request asks for a block the store has not indexed"),
        (422, "a parameter is invalid; the message names it"),
        (503, "the store or the chain cannot be reached"),
    )
}


class ApiError(Exception):
    """An error answered as ``status`` with :class:`ErrorBody`."""

    def __init__(self, status: int, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameter = parameter


def _body(status: int, message: str, parameter: str | None) -> dict[str, Any]:
    return {"error": {"status": status, "parameter": parameter, "message": message}}


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(_body(exc.status, exc.message, exc.parameter), exc.status, headers=headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    location = [str(part) for part in first.get("loc", ())]
    parameter = location[-1] if len(location) > 1 else None
    given = first.get("input")
    shown = f" (given: {given!r})" if isinstance(given, str | int | float) else ""
    reason = str(first.get("msg", "invalid")).removeprefix("Value error, ")  # pydantic's prefix to our own
    message = f"{parameter or 'request'}: {reason}{shown}"
    return JSONResponse(_body(422, message, parameter), 422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (no such path, a method a path does not take) in the API's shape."""
    assert isinstance(exc, HTTPException)
    path = request.url.path
    if exc.status_code == 404:
        message = f"No such path: {path}. Every path the API serves is listed at /docs."
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {path}: the API is read-only but for /v1/admin."
    else:
        message = str(exc.detail)
    return JSONResponse(_body(exc.status_code, message, None), exc.status_code, headers=exc.headers)


async def _store_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    """The store's database is down or restarting: 503, with a hint to retry (the next request reconnects)."""
    assert isinstance(exc, StoreUnavailableError)
    message = (
        f"The event store does not answer ({exc.reason or 'unreachable'}). Retry in a few seconds; /health "
        "says when it answers again."
    )
    return JSONResponse(_body(503, message, None), 503, headers={"Retry-After": "5"})


async def _height_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HeightError)
    return JSONResponse(_body(409, str(exc), exc.parameter), 409)


async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
    """A bug: 500 in the API's shape, with nothing of its internals (the server logs the traceback)."""
    message = (
        "The API failed to answer this request: a fault on the server's side, logged there with its cause. "
        "Retry later, or tell the operator the time and the path asked."
    )
    return JSONResponse(_body(500, message, None), 500)


def install_error_handlers(app: FastAPI) -> None:
    """Answer :class:`ApiError`, the service's :class:`~api.service.HeightError` (409), a store that does not
    answer (:class:`~ledger.exceptions.StoreUnavailableError`, 503), Starlette's own errors (an unknown path)
    and request validation errors with :class:`ErrorBody`; and any other failure (a bug) as a 500 in that
    shape too."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HeightError, _height_error)
    app.add_exception_handler(StoreUnavailableError, _store_unavailable)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)  # Starlette answers with it, then re-raises to the log
