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


_COUNTED = " Counted: follows every event (see `global_last_change_block` for the others)."
_GLOBAL = " Global: as of `global_last_change_block`."


class WithGlobalFigures(AtHeight):
    """An answer that holds global figures (betweenness, PageRank, communities, clustering, constraint,
    brokers, gaps, bridges, articulation points and the alerts read from them), which at the head are
    recomputed at most once per ``metrics_global_interval``: the answer says the last change they reflect."""

    global_last_change_block: int | None = Field(
        description="the block of the last change the global figures of this answer reflect: "
        "`last_change_block` itself for an explicit `as_of_block`; without it, that of the newest computed "
        "for the head (recomputed at most once per `metrics_global_interval` seconds), which may be older. "
        "The counted figures always reflect `last_change_block`. Null: no change yet, or the global figures "
        "not computed yet (the first moments of a new API process; they are then empty)"
    )


class NetworkMetrics(WithGlobalFigures):
    """The network's structure at ``block``; ranked lists hold the ``top`` first. Counted at ``block``:
    ``members``, ``ties``, ``density``, ``top_degree``, ``top_strength``, ``isolated``, the diversities;
    every other figure is global (as of ``global_last_change_block``)."""

    members: int = Field(description="members now (exited ones left out)." + _COUNTED)
    ties: int = Field(description="pairs of members joined by any fact." + _COUNTED)
    density: float = Field(description="the share of possible ties that exist." + _COUNTED)
    average_clustering: float = Field(description="the mean local clustering coefficient." + _GLOBAL)
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


_NEWER = " Null: the member joined after `global_last_change_block`."


class MemberMetrics(WithGlobalFigures):
    """One member's place in the network at ``block``: degree, strength, value and referrals counted at
    ``block``; centralities, clustering, brokerage, community and articulation as of
    ``global_last_change_block``."""

    address: Address
    name: str
    sector: str
    region: str
    degree: float = Field(description="partners / (members - 1)." + _COUNTED)
    strength: int = Field(description="interactions with its partners." + _COUNTED)
    pagerank: float | None = Field(
        description="PageRank over ties weighted by interactions." + _GLOBAL + _NEWER
    )
    betweenness: float | None = Field(description="normalised betweenness centrality." + _GLOBAL + _NEWER)
    clustering: float | None = Field(description="local clustering coefficient." + _GLOBAL + _NEWER)
    constraint: float | None = Field(
        description="Burt's constraint (null also with no partner)." + _GLOBAL + _NEWER
    )
    effective_size: float | None = Field(
        description="Burt's effective size (null also with no partner)." + _GLOBAL + _NEWER
    )
    community: int | None = Field(description="its community's rank (0: the largest)." + _GLOBAL + _NEWER)
    articulation_point: bool = Field(description="whether its exit would split the network." + _GLOBAL)
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
    acquisition_cost: Amount | None = Field(
        description="what the sponsor says it pays to win a customer without referrals (its newest statement "
        "at the height), in the reward asset; null if never stated"
    )
    saving_per_conversion: float | None = Field(
        description="acquisition cost minus cost per conversion (rewards paid per conversion), in the reward "
        "asset's smallest unit: what each conversion through the program saved its sponsor; null without a "
        "stated cost or a conversion"
    )
    saving: SignedAmount | None = Field(
        description="conversions x acquisition cost - rewards paid: the program's saving so far (negative: "
        "it cost more than the sponsor's usual way); null without a stated cost"
    )


class ReferrerFigures(ReferralFigures):
    address: Address


class ReferralMetrics(AtHeight):
    """Referral figures at ``block``: in total, per program, and the ``top`` referrers by conversions."""

    total: ReferralFigures
    acquisition_saving: dict[str, SignedAmount] = Field(
        description="per asset, the programs' savings summed over those whose sponsor stated an acquisition "
        "cost: what the network saved its sponsors in winning customers"
    )
    programs: list[ProgramFigures]
    top_referrers: list[ReferrerFigures]


class AlertInfo(FromRecord):
    kind: Literal[
        "single_point_of_failure",
        "concentration",
        "free_rider",
        "sector_silo",
        "low_rating",
        "ratings_far_apart",
        "high_churn",
    ]
    subject: str
    message: str
    evidence: dict[str, Any]


class Thresholds(FromRecord):
    max_hhi: float
    free_rider_ratio: float
    min_rating_mean: float = Field(description="a member rated below this on average raises `low_rating`")
    min_ratings: int = Field(description="over at least this many ratings")
    rating_gap: int = Field(
        description="two parties rating each other this far apart raise `ratings_far_apart`"
    )
    max_churn: float = Field(
        description="a month in which more than this share of the members left raises `high_churn`"
    )


class Alerts(WithGlobalFigures):
    """Every early warning with its evidence, and the thresholds used: concentration and free riders counted
    at ``block``, single points of failure and sector silos read from the global figures (as of
    ``global_last_change_block``), low ratings, ratings far apart and churn read at ``block``."""

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


class LoyaltyPeriodFigures(FromRecord):
    start: int = Field(description="the period's first second (UTC), since the epoch")
    members_at_start: int
    exits: int
    churn_rate: float | None = Field(description="exits / members at the period's start")
    active_ties: int = Field(description="pairs of members with a fact between them dated in the period")
    retained_ties: int = Field(description="of them, those active in the previous period too")
    partner_retention: float | None = Field(description="retained ties / the previous period's active ties")
    referrals: int
    repeat_referrals: int = Field(description="by a referrer that had referred to the same sponsor before")
    repeat_referral_share: float | None
    renewals: int = Field(
        description="partnerships renewed in the period: an amendment extending the end, or a new agreement "
        "between the same parties after the last one ended"
    )


class LoyaltyFigures(AtHeight):
    """Churn, tenure, partner retention and repeat referrals up to ``block`` (docs/METRICS.md)."""

    period: Literal["day", "week", "month"]
    members: int
    average_tenure_days: float | None = Field(description="of the members at the height, to its time")
    left: int = Field(description="members that left by the height")
    average_tenure_of_those_who_left_days: float | None
    renewals_by_extension: int = Field(
        description="amendments that took effect with a later end, by the height"
    )
    renewals_by_new_agreement: int = Field(
        description="agreements in force between the same parties as one that had ended, by the height"
    )
    data: list[LoyaltyPeriodFigures]


class MemberSatisfactionFigures(BaseModel):
    """One member's ratings that count at the height."""

    member: str
    name: str | None = Field(description="the member's name, if it is a member")
    received: int = Field(description="ratings naming it as the rated partner")
    received_mean: float | None = Field(description="their mean score, 1 to 5")
    given: int = Field(description="ratings it gave")
    given_mean: float | None
    raters: list[str] = Field(description="the partners who rated it")


class RatedTieFigures(BaseModel):
    """Two members whose ratings of each other have a mean below the alert threshold."""

    a: str
    b: str
    ratings: int = Field(description="ratings between them that count, both directions")
    mean: float


class FarApartFigures(BaseModel):
    """An agreement version whose two parties rated each other far apart."""

    agreement_id: int
    version: int
    a: str
    b: str
    a_rates_b: int
    b_rates_a: int


class SatisfactionFigures(AtHeight):
    """Partner satisfaction from the ratings that count at ``block``: the newest of each agreement version,
    rater and ratee (docs/METRICS.md)."""

    ratings: int = Field(description="ratings that count")
    raters: int
    rated: int
    mean_score: float | None = Field(description="mean of every rating that counts, 1 to 5")
    promoters: int = Field(description="ratings of 5")
    passives: int = Field(description="ratings of 4")
    detractors: int = Field(description="ratings of 1 to 3")
    net_promoter_score: float | None = Field(
        description="100 x (promoters - detractors) / ratings: -100 to 100"
    )
    rated_pairs: int = Field(description="(agreement, rater, ratee) pairs with a rating")
    reciprocated_pairs: int = Field(description="of them, those whose ratee rated the rater back")
    reciprocity: float | None
    low_rating_mean: float = Field(description="the mean below which a tie is low-rated")
    rating_gap: int = Field(description="the gap from which two parties' ratings are far apart")
    members: list[MemberSatisfactionFigures] = Field(
        description="the members with a rating, given or received"
    )
    low_rated_ties: list[RatedTieFigures]
    far_apart: list[FarApartFigures]


class RatingInfo(BaseModel):
    """A rating that counts at the height: the newest of its agreement version, rater and ratee."""

    agreement_id: int
    version: int
    rater: str
    rater_name: str | None
    ratee: str
    ratee_name: str | None
    score: int = Field(description="1 (poor) to 5 (excellent)")
    comment_hash: str = Field(description="keccak256 of the written comment (never on chain); zeros for none")
    rated_block: int
    rated_at: int = Field(description="the block time, in seconds since the epoch")


class Ratings(AtHeight):
    """The ratings that count at ``block``, in chain order, filtered as asked."""

    count: int
    data: list[RatingInfo]


class Activity(AtHeight):
    """Size, growth and engagement per period up to ``block``."""

    period: Literal["day", "week", "month"]
    data: list[PeriodFigures]
