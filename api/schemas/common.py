"""Types every resource shares: amounts, addresses, pages."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, Field

__all__ = ["Address", "Amount", "Hash", "Page", "amount", "json_args"]

T = TypeVar("T")

Amount = Annotated[
    str, Field(pattern=r"^[0-9]+$", description="an amount in the asset's smallest unit, as a decimal string")
]
Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="an address")]
Hash = Annotated[str, Field(pattern=r"^0x[0-9a-f]{64}$", description="a 32-byte hash, 0x hex")]


def amount(value: int | None) -> str | None:
    """An amount as a decimal string (None stays None)."""
    return None if value is None else str(value)


def json_args(value: Any) -> Any:
    """Decoded event arguments with every integer as a decimal string (uint256 needs it)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return [json_args(item) for item in value]
    if isinstance(value, dict):
        return {key: json_args(item) for key, item in value.items()}
    return value


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    data: list[T]
    count: int = Field(description="rows matching the filters, over every page")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")
