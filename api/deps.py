"""Dependencies shared by the routes, as ``Annotated`` aliases: the service, the store connection, a page
request, a checked address, the height to answer at, and the bearer token of state-changing endpoints."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from sqlalchemy import Connection

from api.errors import ApiError
from api.service import Height, LedgerService
from ledger.protocol.addresses import parse_address

__all__ = [
    "MAX_ID",
    "MAX_PAGE_SIZE",
    "AsOfBlock",
    "Connection_",
    "PageRequest",
    "Service",
    "checksum_address",
    "encode_cursor",
    "enum_filter",
    "enum_query",
    "require_token",
]

MAX_PAGE_SIZE = 500
#: The largest id or block number a request may name: the store keeps them in 64-bit signed columns.
MAX_ID = 2**63 - 1


async def _service(request: Request) -> LedgerService:  # async: no worker thread for a lookup
    service: LedgerService = request.app.state.service
    return service


Service = Annotated[LedgerService, Depends(_service)]


def _connection(service: Service) -> Iterator[Connection]:
    with service.store.reading() as connection:
        yield connection


Connection_ = Annotated[Connection, Depends(_connection)]


def checksum_address(value: str, parameter: str) -> str:
    """``value`` as a checksummed address (:func:`~ledger.protocol.addresses.parse_address`); a 422 naming
    ``parameter`` if it is not one."""
    try:
        return parse_address(value)
    except ValueError as exc:
        raise ApiError(422, f"{parameter}: {exc}.", parameter) from None


def enum_query(contract: str, enum: str, what: str) -> Any:
    """A query parameter (``Annotated[str | None, enum_query(...)]``) taking a member of ``contract``'s
    ``enum`` in snake case; :func:`enum_filter` checks it against the deployment, so a wrong one is told the
    values there are."""
    return Query(
        max_length=64, description=f"only {what} ({contract}'s {enum}, in snake case, e.g. `active`)"
    )


def enum_filter(service: LedgerService, value: str | None, contract: str, enum: str, parameter: str) -> None:
    """Refuse a filter ``value`` that is not a member of ``contract``'s ``enum`` in the deployment the store
    was indexed from (a 422 naming ``parameter`` and the values it takes); nothing indexed yet: anything
    goes, and matches nothing."""
    labels = service.labels(contract, enum)
    if value is not None and labels and value not in labels:
        raise ApiError(422, f"{parameter}: {value!r} is not one of {', '.join(labels)}.", parameter)


def encode_cursor(key: tuple[Any, ...] | None) -> str | None:
    """The opaque cursor of the page after ``key`` (None when there is no next page)."""
    if key is None:
        return None
    return base64.urlsafe_b64encode(json.dumps(list(key), separators=(",", ":")).encode()).decode()


@dataclass(frozen=True)
class Paging:
    """A page request: where to start (the decoded cursor) and how many rows."""

    after: list[Any] | None
    limit: int


def _paging(
    cursor: Annotated[
        str | None, Query(description="the `next_cursor` of the previous page; omit for the first page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="rows per page")] = 50,
) -> Paging:
    if cursor is None:
        return Paging(None, limit)
    try:
        after = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (binascii.Error, UnicodeError, ValueError):
        after = None
    if not isinstance(after, list) or not after or not all(isinstance(item, int | str) for item in after):
        raise ApiError(
            400, "cursor: not a cursor this API gave out; pass a page's next_cursor unchanged.", "cursor"
        )
    return Paging(after, limit)


PageRequest = Annotated[Paging, Depends(_paging)]


async def _height(  # async: answering from the cache should not need a worker thread
    service: Service,
    as_of_block: Annotated[
        int | None,
        Query(ge=0, le=MAX_ID, description="answer as of this block (default: the indexed head)"),
    ] = None,
) -> Height:
    return service.height(as_of_block)


AsOfBlock = Annotated[Height, Depends(_height)]


def require_token(
    service: Service,
    authorization: Annotated[str | None, Header(description="Bearer <COOPLEDGER_API_TOKEN>")] = None,
) -> None:
    """Refuse unless the request carries the bearer token from settings (and settings have one)."""
    expected = service.settings.api_token
    if expected is None:
        raise ApiError(
            403,
            "State-changing endpoints are disabled: set COOPLEDGER_API_TOKEN on the server to enable them.",
        )
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
        raise ApiError(
            401,
            "authorization: send the header `Authorization: Bearer <COOPLEDGER_API_TOKEN>`.",
            "authorization",
        )
