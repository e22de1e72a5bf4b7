"""``/v1/members/{address}/recommendations`` and ``/v1/recommendations``: whom to work with next, the ties
that would most raise the network's resilience, and the backtest that says whether the advice predicts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import AsOfBlock, Service, address_path, checksum_address, checksum_hint
from api.errors import ApiError
from api.routes.metrics import Top, cached_answer
from api.schemas.recommendations import (
    BacktestFigures,
    BacktestScoresInfo,
    MemberRecommendations,
    ReasonInfo,
    RecommendationInfo,
    ResilienceRecommendations,
    ResilienceTieInfo,
)

members = APIRouter(prefix="/members", tags=["recommendations"])
router = APIRouter(prefix="/recommendations", tags=["recommendations"])


@members.get(
    "/{address}/recommendations", operation_id="member_recommendations", response_model=MemberRecommendations
)
async def member_recommendations(
    service: Service,
    height: AsOfBlock,
    address: Annotated[str, address_path("the member's address")],
    top: Top = 10,
) -> Response:
    """The members ``address`` does not work with yet, best first, each with its score and its reasons in
    words and figures (shared partners, the same region or community, a gap closed, a path around a single
    point of failure, a peripheral member joined, a sector added) — at the height."""
    checked, hint = checksum_address(address), checksum_hint(address)

    def build() -> MemberRecommendations:
        report = service.network(height)
        if checked not in report.degree:
            message = f"address: {checked} is not a member of the network at block {height.block}.{hint}"
            raise ApiError(404, message, "address")
        names = service.member_names(height)
        return MemberRecommendations(
            **height.stamp(),
            global_last_change_block=height.global_last_change_block(),
            member=checked,
            name=names.get(checked),
            data=[
                RecommendationInfo(
                    partner=found.partner,
                    name=names.get(found.partner),
                    score=found.score,
                    reasons=[
                        ReasonInfo.model_validate(reason, from_attributes=True) for reason in found.reasons
                    ],
                )
                for found in service.recommendations(height, checked, top)
            ],
        )

    return await cached_answer(service, height, ("recommendations", checked, top), build)


@router.get(
    "/resilience", operation_id="resilience_recommendations", response_model=ResilienceRecommendations
)
async def resilience_recommendations(service: Service, height: AsOfBlock, top: Top = 10) -> Response:
    """The ``top`` new ties that would most raise the network's resilience — fewest articulation points, the
    largest share of connected pairs if any one member left, fewest bridges — and then its sector diversity,
    chosen one at a time (each assumes the ones before it are made)."""

    def build() -> ResilienceRecommendations:
        names = service.member_names(height)
        report = service.network(height.exact())
        return ResilienceRecommendations(
            **height.stamp(),
            articulation_points=len(report.articulation_points),
            bridges=len(report.bridges),
            data=[
                ResilienceTieInfo(**vars(tie), a_name=names.get(tie.a), b_name=names.get(tie.b))
                for tie in service.resilience_ties(height, top)
            ],
        )

    return await cached_answer(service, height, ("resilience", top), build)


@router.get("/backtest", operation_id="recommendations_backtest", response_model=BacktestFigures)
async def recommendations_backtest(
    service: Service,
    height: AsOfBlock,
    share: Annotated[
        float,
        Query(
            gt=0,
            lt=1,
            description="where to split the history: the share of the height's ties formed by then",
        ),
    ] = 0.5,
) -> Response:
    """The recommendations made at a split of the chain's own history, scored against the ties actually
    formed after it up to the height (precision at 5 and 10, recall at 10, mean reciprocal rank, AUC), beside
    the baselines random, preferential attachment and common neighbours. A seeded demo is not a market: see
    docs/METRICS.md for what the figures mean and their limits."""

    def build() -> BacktestFigures:
        found = service.backtest(height, share)
        return BacktestFigures(
            **height.stamp(),
            share=share,
            split_block=found.split_block,
            members=found.members,
            ties_at_split=found.ties_at_split,
            new_ties=found.new_ties,
            members_scored=found.members_scored,
            scores=[BacktestScoresInfo.model_validate(score, from_attributes=True) for score in found.scores],
        )

    return await cached_answer(service, height, ("backtest", share), build)
