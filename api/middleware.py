"""Request rules that hold for every route, checked before routing.

A query parameter given twice (``?limit=1&limit=500``) is refused with a 422 in the API's error shape: every
parameter the API takes is a single value, and silently keeping one of the two (Starlette keeps the last)
would answer a question the client did not ask.
"""

from __future__ import annotations

from collections import Counter

from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["RefuseRepeatedParameters"]


class RefuseRepeatedParameters:
    """ASGI middleware answering 422 to a request that repeats a query parameter."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            counts = Counter(name for name, _ in QueryParams(scope.get("query_string", b"")).multi_items())
            repeated = sorted(name for name, count in counts.items() if count > 1)
            if repeated:
                name = repeated[0]
                message = f"{name}: given {counts[name]} times; every parameter takes one value, give it once"
                body = {"error": {"status": 422, "parameter": name, "message": message}}
                await JSONResponse(body, 422)(scope, receive, send)
                return
        await self.app(scope, receive, send)
