"""Network, member, value-sharing and referral metrics, and alerts. Each answer says the block it is for;
the definitions are the docstrings of :mod:`ledger.analytics.metrics` (docs/METRICS.md lists them).

Schemas read from the ledger's records (:class:`~api.schemas.common.FromRecord`) by attribute name."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import Address, Amount, FromRecord, MemberAddress, SignedAmount


class AtHeight(BaseModel):
    """The height an answer is for, and how fresh it is."""

    block: int = Field(description="the height the figures are for")
    last_change_block: int | None = Field(
        description="the block of the last event the figures reflect: every block from it to `block` has "
        "the same figures (None: no event yet)"
    )
    behind_head: int = Field(
        description="how many blocks the indexed head is past `block`. Without `as_of_block`, 0 unless the "
        "head's figures are still being computed: the answer is then the newest complete one"
    )


class Ranked(BaseModel):
    address: Address
    value: float


class BetweennessInfo(FromRecord):
    method: Literal["exact", "sampled"] = Field(description="exact up to 500 members, sampled above")
    pivots: int | None = Field(description="source nodes sampled (null when exact)")
    seed: int | None = Field(description="the sampling seed (null when exact)")


class CommunitiesInfo(BaseModel):
    count: int
    modularity: float | None
    seed: int = Field(description="Louvain's seed")
    sizes: list[int] = Field(description="members per community, community 0 first (largest first)")


class BrokerInfo(FromRecord):
    address: MemberAddress
    community: int
    communities_reached: list[int]
    ties_outside: int
    effective_size: float | None
    constraint: float | None


class DiversityInfo(FromRecord):
    blau: float
    shannon: float
    categories: int


class GapInfo(FromRecord):
    group_a: str
    group_b: str
    ties: int
    members_a: int
    members_b: int


class LocalBridge(BaseModel):
    a: Address
    b: Address
    span: int | None = Field(description="hops of the shortest other path; null: none (a bridge)")


class NetworkMetrics(AtHeight):
    """The network's structure at ``block``; ranked lists hold the ``top`` first."""

    members: int
    ties: int
    density: float
    average_clustering: float
    betweenness: BetweennessInfo
    communities: CommunitiesInfo
    top_degree: list[Ranked]
    top_strength: list[Ranked]
    top_pagerank: list[Ranked]
    top_betweenness: list[Ranked]
    brokers: list[BrokerInfo]
    sector_diversity: DiversityInfo
    region_diversity: DiversityInfo
    sector_gaps: list[GapInfo]
    region_gaps: list[GapInfo]
    community_gaps: list[GapInfo]
    isolated: list[Address]
    peripheral: list[Address]
    articulation_points: list[Address]
    bridges: list[tuple[Address, Address]]
    local_bridges: int = Field(description="how many ties are local bridges (weak ties)")
    widest_local_bridges: list[LocalBridge]


class ReferralFigures(FromRecord):
    referrals: int
    conversions: int
    conversion_rate: float | None
    conversion_value: dict[str, Amount] = Field(description="per asset")
    rewards_paid: dict[str, Amount] = Field(description="per asset")
    cost_per_conversion: dict[str, float] = Field(description="rewards paid per conversion, per asset")


class AssetFlow(FromRecord):
    asset: Address
    received: Amount
    received_from_members: Amount
    contributed: Amount
    net: SignedAmount = Field(description="received - contributed, a decimal string")
    value_share: float = Field(description="share of the asset's value that flowed to or from the member")


class PartnerDiversityInfo(FromRecord):
    partners: int
    sector: DiversityInfo
    region: DiversityInfo
    same_sector_share: float | None


class MemberMetrics(AtHeight):
    """One member's place in the network at ``block``."""

    address: Address
    name: str
    sector: str
    region: str
    degree: float
    strength: int
    pagerank: float
    betweenness: float
    clustering: float
    constraint: float | None
    effective_size: float | None
    community: int
    articulation_point: bool
    connectivity_share: float = Field(description="share of other members' connected pairs lost if it left")
    partner_diversity: PartnerDiversityInfo
    value: list[AssetFlow]
    referrals: ReferralFigures


class MemberFlow(FromRecord):
    address: MemberAddress
    received: Amount
    received_from_members: Amount
    contributed: Amount
    net: SignedAmount


class FreeRiderInfo(FromRecord):
    address: MemberAddress
    received_from_members: Amount
    contributed: Amount
    ratio: float | None = Field(description="received from members / contributed; null: contributed nothing")


class AssetSharing(BaseModel):
    asset: Address
    total: Amount
    gini_received: float
    hhi_received: float
    top_receivers: list[MemberFlow]
    free_riders: list[FreeRiderInfo]


class ValueSharing(AtHeight):
    """Value sharing per asset at ``block``."""

    assets: list[AssetSharing]


class ProgramFigures(ReferralFigures):
    program_id: int


class ReferrerFigures(ReferralFigures):
    address: Address


class ReferralMetrics(AtHeight):
    """Referral figures at ``block``: in total, per program, and the ``top`` referrers by conversions."""

    total: ReferralFigures
    programs: list[ProgramFigures]
    top_referrers: list[ReferrerFigures]


class AlertInfo(FromRecord):
    kind: Literal["single_point_of_failure", "concentration", "free_rider", "sector_silo"]
    subject: str
    message: str
    evidence: dict[str, Any]


class Thresholds(FromRecord):
    max_hhi: float
    free_rider_ratio: float


class Alerts(AtHeight):
    """Every early warning at ``block`` with its evidence, and the thresholds used."""

    thresholds: Thresholds
    count: int
    data: list[AlertInfo]


class PeriodFigures(FromRecord):
    start: int = Field(description="the period's first second (UTC), since the epoch")
    new_members: int
    members: int
    growth_rate: float | None
    new_agreements: int
    new_referrals: int
    interactions: int
    active_members: int
    interactions_per_member: float | None


class Activity(AtHeight):
    """Size, growth and engagement per period up to ``block``."""

    period: Literal["day", "week", "month"]
    data: list[PeriodFigures]
