"""Members of the consortium."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from api.schemas.common import Address, Amount, label

MemberStatus = Annotated[str, label("Consortium", "MemberStatus")]


class Member(BaseModel):
    """A member as the consortium registry holds it."""

    address: Address
    name: str
    sector: str
    region: str
    status: MemberStatus
    admission_proposal: int
    joined_block: int
    joined_at: int
    updated_block: int


class MemberAgreement(BaseModel):
    """One agreement a member is party to, with its share and balances in it."""

    id: int
    kind: str
    status: str
    asset: Address
    start_time: int = Field(description="the first second the terms apply (rating opens a while after it)")
    current_version: int = Field(description="the version in force; 0 before every party signed the first")
    share_bps: int
    credited: Amount
    withdrawn: Amount


class MemberDetail(Member):
    """A member with the agreements it is party to."""

    agreements: list[MemberAgreement]
