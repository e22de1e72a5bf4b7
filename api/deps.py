"""Dependencies shared by the routes, as ``Annotated`` aliases: the service, the store connection, a page
request and its cursor, address and enum parameters, the height to answer at, and the bearer token of
state-changing endpoints.

Every rule a parameter has is stated in the OpenAPI schema (a pattern, bounds, an enum), so any request the
schema allows is answered: a client, or a fuzzer, learns from the schema alone what the server accepts.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from eth_utils.address import is_checksum_address, to_checksum_address
from fastapi import Depends, Header, Path, Query, Request
from pydantic import BeforeValidator
from sqlalchemy import Connection

from api.errors import ApiError
from api.service import Height, LedgerService

__all__ = [
    "ADDRESS_KEY",
    "ADDRESS_PATTERN",
    "HASH_KEY",
    "HASH_PATTERN",
    "MAX_ID",
    "MAX_PAGE_SIZE",
    "NUMBER_KEY",
    "WHOLE_NUMBER",
    "AsOfBlock",
    "Connection_",
    "Keyset",
    "Paging",
    "Service",
    "address_path",
    "address_query",
    "checksum_address",
    "checksum_hint",
    "enum_filter",
    "enum_query",
    "paging",
    "require_token",
]

MAX_PAGE_SIZE = 500
#: The largest id or block number a request may name: the store keeps them in 64-bit signed columns.
MAX_ID = 2**63 - 1


def _digits(value: object) -> object:
    if isinstance(value, str) and not value.removeprefix("-").isdigit():
        raise ValueError("should be a whole number written in digits (like 1400)")
    return value


#: Put after the ``Query``/``Path`` of every integer in a URL: a block, an id, a count is spelt in digits.
#: pydantic's lax mode would read ``1400.0`` as 1400; a client that sends it has a bug worth hearing of.
WHOLE_NUMBER = BeforeValidator(_digits)


async def _service(request: Request) -> LedgerService:  # async: no worker thread for a lookup
    service: LedgerService = request.app.state.service
    return service


Service = Annotated[LedgerService, Depends(_service)]


def _connection(service: Service) -> Iterator[Connection]:
    with service.store.reading() as connection:
        yield connection


Connection_ = Annotated[Connection, Depends(_connection)]


#: An address as the API reads it: ``0x`` and 40 hex digits in any letter case.
ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
#: A 32-byte hash or commitment: ``0x`` and 64 hex digits in any letter case.
HASH_PATTERN = r"^0x[0-9a-fA-F]{64}$"
_ADDRESS_RULE = "`0x` and 40 hex digits, in any letter case"


def address_query(description: str) -> Any:
    """A query parameter (``Annotated[str | None, address_query(...)]``) taking an address."""
    return Query(pattern=ADDRESS_PATTERN, description=f"{description} ({_ADDRESS_RULE})")


def address_path(description: str) -> Any:
    """A path parameter (``Annotated[str, address_path(...)]``) taking an address."""
    return Path(pattern=ADDRESS_PATTERN, description=f"{description} ({_ADDRESS_RULE})")


def checksum_address(value: str) -> str:
    """``value`` (an address its parameter's pattern let through) in its EIP-55 checksummed form, the form
    the store keeps.

    The API reads an address in any letter case and does not refuse a mixed case that is not its checksum:
    the schema could not state that rule (it needs Keccak), and a read of a mistyped address finds nothing,
    which the answer shows (:func:`checksum_hint`). The command line, which signs what a person types,
    refuses a wrong checksum.
    """
    return str(to_checksum_address(value))


def checksum_hint(value: str) -> str:
    """A sentence for a not-found answer about ``value``: its mixed case is not a valid checksum, so it was
    probably mistyped (empty when the case says nothing)."""
    digits = value[2:]
    if digits in (digits.lower(), digits.upper()) or is_checksum_address(value):
        return ""
    return f" {value} has a wrong EIP-55 checksum (mixed case): check it for a typo."


def enum_query(contract: str, enum: str, what: str) -> Any:
    """A query parameter (``Annotated[str | None, enum_query(...)]``) taking a member of ``contract``'s
    ``enum`` in snake case. The served schema lists the members of the deployment the store was indexed
    from (``api.main`` fills in ``x-coopledger-enum``); before anything is indexed, any word is taken and
    matches nothing."""
    return Query(
        max_length=64,
        description=f"only {what} ({contract}'s {enum}, in snake case, e.g. `active`)",
        json_schema_extra={"x-coopledger-enum": f"{contract}.{enum}"},
    )


def enum_filter(service: LedgerService, value: str | None, contract: str, enum: str, parameter: str) -> None:
    """Refuse a filter ``value`` that is not a member of ``contract``'s ``enum`` in the deployment the store
    was indexed from (a 422 naming ``parameter`` and the values it takes; the served schema lists them);
    nothing indexed yet: anything goes, and matches nothing."""
    labels = service.labels(contract, enum)
    if value is not None and labels and value not in labels:
        raise ApiError(422, f"{parameter}: {value!r} is not one of {', '.join(labels)}.", parameter)


@dataclass(frozen=True)
class _KeyPart:
    """One column of a list's order, as its cursor spells it."""

    pattern: str
    read: Callable[[str], Any]


#: A block number or id (at most 18 digits: every one fits the store's 64-bit columns).
NUMBER_KEY = _KeyPart(r"[0-9]{1,18}", int)
ADDRESS_KEY = _KeyPart(r"0x[0-9a-fA-F]{40}", checksum_address)
HASH_KEY = _KeyPart(r"0x[0-9a-fA-F]{64}", str.lower)


@dataclass(frozen=True)
class Keyset:
    """The order of a list (its key columns) and how a cursor spells a position in it.

    A cursor is the key of the last row of a page, its parts joined by ``-`` (``1234-7`` is block 1234, log
    index 7); the next page starts strictly after it. Any cursor the pattern allows is a position, so a
    client may also start a list after a key of its choosing.
    """

    spelling: str
    parts: tuple[_KeyPart, ...]

    @property
    def pattern(self) -> str:
        return "^" + "-".join(part.pattern for part in self.parts) + "$"

    def read(self, cursor: str) -> list[Any]:
        """The key ``cursor`` (which matched :attr:`pattern`) names."""
        return [part.read(text) for part, text in zip(self.parts, cursor.split("-"), strict=True)]

    def spell(self, key: Sequence[Any] | None) -> str | None:
        """The cursor of the page after ``key`` (None when there is no next page)."""
        return None if key is None else "-".join(str(value) for value in key)


@dataclass(frozen=True)
class Paging:
    """A page request: where to start (the key after which rows are listed) and how many rows."""

    after: list[Any] | None
    limit: int


def paging(keyset: Keyset) -> Any:
    """The page request of a list ordered by ``keyset``: ``Annotated[Paging, paging(KEYSET)]``."""

    async def page_request(cursor: str | None = None, limit: int = 50) -> Paging:  # async: no thread hop
        return Paging(None if cursor is None else keyset.read(cursor), limit)

    # built here, not in the signature: the cursor's pattern is this list's (annotations are strings)
    page_request.__annotations__ = {
        "cursor": Annotated[
            str | None,
            Query(
                pattern=keyset.pattern,
                description=f"start after this key, {keyset.spelling}: the previous page's `next_cursor` "
                "(omit it for the first page)",
            ),
        ],
        "limit": Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="rows per page"), WHOLE_NUMBER],
        "return": Paging,
    }
    return Depends(page_request)


async def _height(  # async: answering from the cache should not need a worker thread
    service: Service,
    as_of_block: Annotated[
        int | None,
        Query(ge=0, le=MAX_ID, description="answer as of this block (default: the indexed head)"),
        WHOLE_NUMBER,
    ] = None,
) -> Height:
    if as_of_block is None:
        await service.first_figures()  # only a process's first request at the head may wait, for the worker
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
