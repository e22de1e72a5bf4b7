"""Payment assets: the ERC-20s the members approved."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import Address


class Asset(BaseModel):
    """An ERC-20 the members approved for the payments of new agreements and referral programs (the native
    coin always is, and is not listed). A revoked asset stays listed with ``approved`` false: agreements and
    programs made while it was approved run on in it."""

    address: Address
    symbol: str | None = Field(
        description="the token's symbol, as its contract answers `symbol()`; None until the indexer read it, "
        "or for a token without one (show its short address)"
    )
    name: str | None = Field(description="the token's name (`name()`), None as for the symbol")
    decimals: int | None = Field(
        description="the token's `decimals()`: an amount in whole tokens is amount / 10**decimals; None "
        "until read, or for a token without one (show amounts in its smallest unit)"
    )
    approved: bool
    proposal_id: int
    approved_block: int
    updated_block: int
