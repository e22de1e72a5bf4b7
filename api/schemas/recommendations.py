"""Partner recommendations, the consortium's resilience ties, and the backtest that scores them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.metrics import AtHeight, WithGlobalFigures


class ReasonInfo(BaseModel):
    """One reason to work together, in words and figures."""

    kind: str = Field(
        description="shares_partners, same_region, same_community, widens_reach, closes_gap, adds_path, "
        "joins_peripheral or complements_sector"
    )
    text: str
    figures: dict[str, float | int | str]


class RecommendationInfo(BaseModel):
    """A member the asked member does not work with yet."""

    partner: str
    name: str | None
    score: float = Field(
        description="resource allocation + 1 for the same region + 0.3 for the same community"
    )
    reasons: list[ReasonInfo]


class MemberRecommendations(WithGlobalFigures):
    """The members ``member`` does not work with yet, best first (docs/METRICS.md, recommendations)."""

    member: str
    name: str | None
    data: list[RecommendationInfo]


class ResilienceTieInfo(BaseModel):
    """A new tie, and the network once it and the ties listed before it are made."""

    a: str
    a_name: str | None
    b: str
    b_name: str | None
    articulation_points: int = Field(description="members whose departure would split the network, after it")
    worst_connected_share: float = Field(
        description="the share of member pairs still connected if the worst single member left, after it"
    )
    bridges: int = Field(description="ties whose loss would split the network, after it")
    sector_diversity_gain: float = Field(
        description="the gain in the two members' partners' sector diversity"
    )


class ResilienceRecommendations(AtHeight):
    """The new ties that would most raise the network's resilience, then its diversity, in order chosen."""

    articulation_points: int = Field(description="now")
    bridges: int = Field(description="now")
    data: list[ResilienceTieInfo]


class BacktestScoresInfo(BaseModel):
    """How one ranking did, averaged over the members that formed a new tie after the split."""

    method: str
    precision_at_5: float
    precision_at_10: float
    recall_at_10: float
    mean_reciprocal_rank: float
    auc: float = Field(description="the chance a pair that went on to tie outranks one that did not")


class BacktestFigures(AtHeight):
    """Recommendations made at a split of the chain's history, scored against the ties formed after it."""

    share: float = Field(description="the split: the share of the ties at the height formed by then")
    split_block: int
    members: int = Field(description="members at the split")
    ties_at_split: int
    new_ties: int = Field(description="ties formed after the split, up to the height, between members at it")
    members_scored: int = Field(description="members with at least one new tie")
    scores: list[BacktestScoresInfo] = Field(description="the recommendations first, then the baselines")
