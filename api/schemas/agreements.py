"""Agreements, their parties and versions."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, computed_field

from api.schemas.common import Address, Amount, Hash, label

#: ``Agreements.Status`` (stored: proposed, active, disputed or terminated; ``expired`` is derived from
#: ``end_time``); ``Agreements.Kind``. Both as the deployment spells them.
AgreementStatus = Annotated[str, label("Agreements", "Status")]
AgreementKind = Annotated[str, label("Agreements", "Kind")]


class Party(BaseModel):
    """A party to an agreement: its share of revenue and what it was credited and withdrew."""

    party: Address
    position: int
    is_lead: bool
    share_bps: int
    credited: Amount
    withdrawn: Amount


class Agreement(BaseModel):
    """An agreement with its current terms' figures and its parties."""

    id: int
    lead: Address
    asset: Address
    kind: AgreementKind
    status: AgreementStatus
    start_time: int
    end_time: int | None
    current_version: int
    pending_version: int
    total_deposited: Amount
    total_credited: Amount
    total_withdrawn: Amount
    held: Amount
    proposed_block: int
    proposed_at: int
    activated_block: int | None
    ended_block: int | None
    parties: list[Party]

    @computed_field(
        description="credited to the agreement but to no party yet: the share period's rounding "
        "dust, fewer smallest units than there are parties (Agreements.unassigned)"
    )
    def unassigned(self) -> str:
        """What the agreement credited but assigned to no party yet (ledger.protocol.sharing.dust)."""
        return str(int(self.total_credited) - sum(int(party.credited) for party in self.parties))


class Version(BaseModel):
    """One version of an agreement's terms (the first and each amendment)."""

    version: int
    proposer: Address
    shares_bps: list[int]
    terms_hash: Hash
    uri: str
    end_time: int
    status: str
    signatures: int
    proposed_block: int
    activated_block: int | None


class AgreementDetail(Agreement):
    """An agreement with every version of its terms."""

    versions: list[Version]
