"""What awaits one member: the lists the page's member desk shows, each with what the member can do."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from api.schemas.common import Address, Amount, Hash, label
from api.schemas.members import Member, MemberAgreement
from api.schemas.referrals import Program, Referral

ProposalKind = Annotated[str, label("Consortium", "ProposalKind")]


class ProposalToVote(BaseModel):
    """A consortium proposal still open to the member's approval."""

    id: int
    kind: ProposalKind
    proposer: Address
    subject: Address = Field(description="the account or asset the proposal acts on")
    deadline: int = Field(description="votes are open until this time (Unix seconds)")
    approvals: int
    quorum_votes: int = Field(description="approvals needed for it to take effect")
    created_block: int


class VersionToSign(BaseModel):
    """A version of an agreement the member is party to that awaits its signature."""

    agreement_id: int
    version: int
    kind: str
    asset: Address
    proposer: Address
    shares_bps: list[int] = Field(description="the shares in the agreement's party order")
    terms_hash: Hash
    uri: str
    end_time: int
    signatures: int
    parties: int


class DisputeToVote(BaseModel):
    """A dispute on an agreement the member is party to that it has not voted to resolve."""

    id: int = Field(description="the agreement")
    asset: Address
    held: Amount = Field(description="deposits held until the dispute ends")
    raised_by: Address
    raised_block: int
    votes: int


class MemberDesk(BaseModel):
    """Everything that awaits ``address`` at the indexed head ``block``: what it may vote on, sign, withdraw,
    claim and confirm. Any address has a desk (a customer's shows nothing to vote on, and may deposit)."""

    address: Address
    block: int
    member: Member | None = Field(description="its membership, or null for an address that never joined")
    agreements: list[MemberAgreement] = Field(
        description="every agreement it is party to; `credited` minus `withdrawn` is what it may withdraw"
    )
    proposals_to_vote: list[ProposalToVote]
    versions_to_sign: list[VersionToSign]
    disputes_to_vote: list[DisputeToVote]
    rewards_to_claim: list[Referral] = Field(description="its confirmed referrals, whose reward it may claim")
    conversions_to_confirm: list[Referral] = Field(
        description="referrals recorded to its programs, awaiting its confirmation of a conversion"
    )
    programs: list[Program] = Field(description="the programs it sponsors")
