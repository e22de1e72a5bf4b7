"""Types every resource shares: amounts, addresses, pages."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "Address",
    "Amount",
    "FromRecord",
    "Hash",
    "MemberAddress",
    "Page",
    "SignedAmount",
    "json_args",
    "label",
]

T = TypeVar("T")


def _decimal(value: Any) -> Any:
    """An integer (amounts are Python ints in the ledger) as its decimal string; anything else unchanged."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Amount = Annotated[
    str,
    BeforeValidator(_decimal),
    Field(pattern=r"^[0-9]+$", description="an amount in the asset's smallest unit, as a decimal string"),
]
SignedAmount = Annotated[
    str,
    BeforeValidator(_decimal),
    Field(pattern=r"^-?[0-9]+$", description="a signed amount in the asset's smallest unit, decimal string"),
]
Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="an address")]


def label(contract: str, enum: str) -> Any:
    """The field of a member of ``contract``'s ``enum`` in its one spelling (snake case,
    :func:`ledger.protocol.facts.enum_label`), for ``Annotated[str, label(...)]``: its values are the
    deployment's, so the schema names the enum rather than copying it."""
    return Field(
        pattern=r"^[a-z][a-z0-9_]*$",
        max_length=64,
        description=f"a member of {contract}'s {enum} enum, in snake case (e.g. `active`)",
    )


#: A member's address, read from a record's ``address`` or ``member`` attribute.
MemberAddress = Annotated[Address, Field(validation_alias=AliasChoices("address", "member"))]


class FromRecord(BaseModel):
    """A schema read straight from the ledger's records (dataclasses), by attribute name."""

    model_config = ConfigDict(from_attributes=True)


Hash = Annotated[str, Field(pattern=r"^0x[0-9a-f]{64}$", description="a 32-byte hash, 0x hex")]


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
