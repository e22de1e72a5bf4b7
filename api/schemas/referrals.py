"""Referral programs and referrals."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel

from api.schemas.common import Address, Amount, Hash, label

#: Not a contract enum: a program is closed once its sponsor closed it (``ProgramClosed``), open before.
ProgramStatus = Literal["open", "closed"]
ReferralStatus = Annotated[str, label("ReferralRewards", "ReferralStatus")]


class Program(BaseModel):
    """A referral program: its reward rule, budget and counts."""

    id: int
    sponsor: Address
    asset: Address
    fixed_reward: Amount
    reward_bps: int
    cap: Amount
    per_referrer_cap: Amount
    expiry: int
    status: ProgramStatus
    funded: Amount
    reserved: Amount
    paid: Amount
    reclaimed: Amount
    referrals: int
    conversions: int
    created_block: int
    created_at: int
    closed_block: int | None


class Referral(BaseModel):
    """A referral: a commitment to a lead (no personal data), its conversion and reward."""

    program_id: int
    commitment: Hash
    sponsor: Address
    referrer: Address
    status: ReferralStatus
    conversion_value: Amount | None
    reward: Amount | None
    via_voucher: bool | None
    recorded_block: int
    recorded_at: int
    confirmed_block: int | None
    claimed_block: int | None
