"""Payment assets: the ERC-20s the members approved."""

from __future__ import annotations

from pydantic import BaseModel

from api.schemas.common import Address


class Asset(BaseModel):
    """An ERC-20 the members approved for the payments of new agreements and referral programs (the native
    coin always is, and is not listed). A revoked asset stays listed with ``approved`` false: agreements and
    programs made while it was approved run on in it."""

    address: Address
    approved: bool
    proposal_id: int
    approved_block: int
    updated_block: int
