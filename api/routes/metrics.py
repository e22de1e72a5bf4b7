"""``/v1/metrics`` and ``/v1/alerts``: the network's structure, one member's place in it, value sharing,
referrals, activity and early warnings — each at ``as_of_block`` (default: the indexed head), computed once
per height and then served from the cache."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import (
    MAX_ID,
    WHOLE_NUMBER,
    AsOfBlock,
    Service,
    address_path,
    address_query,
    checksum_address,
    checksum_hint,
)
from api.errors import ApiError
from api.schemas.metrics import (
    Activity,
    AlertInfo,
    Alerts,
    AssetFlow,
    AssetSharing,
    BetweennessInfo,
    BrokerInfo,
    CommunitiesInfo,
    DiversityInfo,
    FarApartFigures,
    FreeRiderInfo,
    GapInfo,
    LocalBridge,
    LoyaltyFigures,
    LoyaltyPeriodFigures,
    MemberFlow,
    MemberMetrics,
    MemberSatisfactionFigures,
    NetworkMetrics,
    PartnerDiversityInfo,
    PeriodFigures,
    ProgramFigures,
    Ranked,
    RatedTieFigures,
    RatingInfo,
    Ratings,
    ReferralFigures,
    ReferralMetrics,
    ReferrerFigures,
    SatisfactionFigures,
    Thresholds,
    ValueSharing,
)
from api.service import Height, LedgerService
from ledger.analytics.metrics.activity import PeriodName
from ledger.analytics.metrics.referrals import ReferralStats
from ledger.analytics.metrics.report import NetworkReport
from ledger.store import queries

metrics = APIRouter(prefix="/metrics", tags=["metrics"])
alerts = APIRouter(prefix="/alerts", tags=["metrics"])
ratings = APIRouter(prefix="/ratings", tags=["metrics"])

Top = Annotated[int, Query(ge=1, le=500, description="how many entries ranked lists hold"), WHOLE_NUMBER]


async def cached_answer(
    service: LedgerService, height: Height, question: tuple[object, ...], build: Callable[[], BaseModel]
) -> Response:
    """The JSON of ``build()`` for ``question`` at ``height``, serialised once per change key and served as
    bytes (FastAPI's per-request validation and serialisation of a cached answer is skipped: the model was
    validated when it was built)."""
    body = await service.answer(height, question, lambda: build().model_dump_json().encode())
    return Response(body, media_type="application/json", headers={"X-Block-Height": str(height.block)})


def _ranked(values: dict[str, float] | dict[str, int], top: int) -> list[Ranked]:
    best = sorted(values.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [Ranked(address=member, value=float(value)) for member, value in best]


def _network(height: Height, report: NetworkReport, top: int) -> NetworkMetrics:
    found = report.communities
    widest = sorted(report.local_bridges, key=lambda bridge: (-bridge[2], bridge[0], bridge[1]))[:top]
    return NetworkMetrics(
        **height.stamp(),
        global_last_change_block=height.global_last_change_block(),
        members=report.members,
        ties=report.ties,
        density=report.density,
        average_clustering=report.average_clustering,
        betweenness=BetweennessInfo.model_validate(report.betweenness),
        communities=CommunitiesInfo(
            count=len(found.groups),
            modularity=found.modularity,
            seed=found.seed,
            sizes=[len(group) for group in found.groups],
        ),
        top_degree=_ranked(report.degree, top),
        top_strength=_ranked(report.strength, top),
        top_pagerank=_ranked(report.pagerank, top),
        top_betweenness=_ranked(report.betweenness.values, top),
        brokers=[BrokerInfo.model_validate(broker) for broker in report.brokers[:top]],
        sector_diversity=DiversityInfo.model_validate(report.sector_diversity),
        region_diversity=DiversityInfo.model_validate(report.region_diversity),
        sector_gaps=[GapInfo.model_validate(gap) for gap in report.sector_gaps],
        region_gaps=[GapInfo.model_validate(gap) for gap in report.region_gaps],
        community_gaps=[GapInfo.model_validate(gap) for gap in report.community_gaps],
        isolated=report.isolated,
        peripheral=report.peripheral,
        articulation_points=report.articulation_points,
        bridges=report.bridges,
        local_bridges=len(report.local_bridges),
        widest_local_bridges=[
            LocalBridge(a=a, b=b, span=None if math.isinf(span) else int(span)) for a, b, span in widest
        ],
    )


@metrics.get("/network", operation_id="network_metrics", response_model=NetworkMetrics)
async def network_metrics(service: Service, height: AsOfBlock, top: Top = 10) -> Response:
    """Size, density, clustering, centralities (betweenness exact or sampled: the answer says which),
    communities, brokers, diversity, gaps and single points of failure of the tie graph at the height."""
    return await cached_answer(
        service, height, ("network", top), lambda: _network(height, service.network(height), top)
    )


def _member(service: LedgerService, height: Height, address: str, hint: str) -> MemberMetrics:
    report = service.network(height)
    if address not in report.degree:
        message = f"address: {address} is not a member of the network at block {height.block}.{hint}"
        raise ApiError(404, message, "address")
    standing = service.member_standing(height, address)
    flows = []
    for asset_report in service.values(height):
        flow = asset_report.members.get(address)
        if flow is None:
            continue
        through = flow.received + flow.contributed
        flows.append(
            AssetFlow.model_validate(
                {
                    **vars(flow),
                    "asset": asset_report.asset,
                    "value_share": through / asset_report.total if asset_report.total else 0.0,
                }
            )
        )
    stats = service.referrals(height).per_referrer.get(address, ReferralStats())
    return MemberMetrics(
        **height.stamp(),
        global_last_change_block=height.global_last_change_block(),
        address=address,
        name=standing.name,
        sector=standing.sector,
        region=standing.region,
        degree=report.degree[address],
        strength=report.strength[address],
        # the global figures at the head may predate the member (None): see MemberMetrics
        pagerank=report.pagerank.get(address),
        betweenness=report.betweenness.values.get(address),
        clustering=report.clustering.get(address),
        constraint=report.constraint.get(address),
        effective_size=report.effective_size.get(address),
        community=report.communities.membership.get(address),
        articulation_point=address in set(report.articulation_points),
        connectivity_share=standing.connectivity_share,
        partner_diversity=PartnerDiversityInfo.model_validate(standing.partner_diversity),
        value=flows,
        referrals=ReferralFigures.model_validate(stats),
    )


@metrics.get("/members/{address}", operation_id="member_metrics", response_model=MemberMetrics)
async def member_metrics(
    service: Service,
    height: AsOfBlock,
    address: Annotated[str, address_path("the member's address")],
) -> Response:
    """One member's centralities, brokerage, community, partners' diversity, value given and received per
    asset, referral record, and what the network would lose if it left — at the height."""
    checked, hint = checksum_address(address), checksum_hint(address)
    return await cached_answer(
        service, height, ("member", checked), lambda: _member(service, height, checked, hint)
    )


def _sharing(service: LedgerService, height: Height, top: int) -> ValueSharing:
    found = []
    for report in service.values(height):
        receivers = sorted(report.members.values(), key=lambda flow: (-flow.received, flow.member))[:top]
        found.append(
            AssetSharing(
                asset=report.asset,
                total=str(report.total),
                gini_received=report.gini_received,
                hhi_received=report.hhi_received,
                top_receivers=[MemberFlow.model_validate(flow) for flow in receivers],
                free_riders=[FreeRiderInfo.model_validate(rider) for rider in report.free_riders],
            )
        )
    return ValueSharing(**height.stamp(), assets=found)


@metrics.get("/value-sharing", operation_id="value_sharing_metrics", response_model=ValueSharing)
async def value_sharing_metrics(service: Service, height: AsOfBlock, top: Top = 10) -> Response:
    """Per asset: total value credited, Gini and HHI of value received (population Gini over every member;
    HHI from 0 to 1), the top receivers, and free-rider candidates with their evidence."""
    return await cached_answer(
        service, height, ("value-sharing", top), lambda: _sharing(service, height, top)
    )


def _referrals(service: LedgerService, height: Height, top: int) -> ReferralMetrics:
    summary = service.referrals(height)
    best = sorted(summary.per_referrer.items(), key=lambda item: (-item[1].conversions, item[0]))[:top]
    with service.store.reading() as connection:  # every program of the height, one without referrals too
        created = queries.programs_created_by(connection, height.block)
        costs = queries.acquisition_costs(connection, height.block)
    programs = [
        _program_figures(program, summary.per_program.get(program, ReferralStats()), costs.get(program))
        for program in created
    ]
    saving: dict[str, int] = {}
    for figures in programs:
        if figures.saving is not None:
            asset = created[figures.program_id]
            saving[asset] = saving.get(asset, 0) + int(figures.saving)
    return ReferralMetrics(
        **height.stamp(),
        total=ReferralFigures.model_validate(summary.total),
        acquisition_saving={asset: str(amount) for asset, amount in saving.items()},
        programs=programs,
        top_referrers=[
            ReferrerFigures(address=referrer, **ReferralFigures.model_validate(stats).model_dump())
            for referrer, stats in best
        ],
    )


def _program_figures(program: int, stats: ReferralStats, cost: int | None) -> ProgramFigures:
    """A program's referral figures with what it saved its sponsor against the acquisition cost it stated
    (docs/METRICS.md): ``conversions * cost - rewards paid`` in total, ``cost - cost per conversion`` each."""
    paid = sum(stats.rewards_paid.values())  # a program pays in its one asset
    return ProgramFigures(
        program_id=program,
        **ReferralFigures.model_validate(stats).model_dump(),
        acquisition_cost=None if cost is None else str(cost),
        saving_per_conversion=None
        if cost is None or not stats.conversions
        else cost - paid / stats.conversions,
        saving=None if cost is None else str(stats.conversions * cost - paid),
    )


@metrics.get("/referrals", operation_id="referral_metrics", response_model=ReferralMetrics)
async def referral_metrics(service: Service, height: AsOfBlock, top: Top = 10) -> Response:
    """Referrals recorded, conversions, conversion rate, rewards paid and cost per conversion: in total, per
    program, and for the top referrers."""
    return await cached_answer(service, height, ("referrals", top), lambda: _referrals(service, height, top))


@metrics.get("/loyalty", operation_id="loyalty_metrics", response_model=LoyaltyFigures)
async def loyalty_metrics(
    service: Service,
    height: AsOfBlock,
    period: Annotated[PeriodName, Query(description="the length of a period")] = "month",
) -> Response:
    """Loyalty per period up to the height: churn (members who left over members at the period's start),
    partner retention (ties active in the previous period active again), repeat referrals (to a sponsor the
    referrer had referred to before); and the average tenure of the members and of those who left."""

    def build() -> LoyaltyFigures:
        found = service.loyalty(height, period)
        return LoyaltyFigures(
            **height.stamp(),
            period=period,
            members=found.members,
            average_tenure_days=found.average_tenure_days,
            left=found.left,
            average_tenure_of_those_who_left_days=found.average_tenure_of_those_who_left_days,
            renewals_by_extension=found.renewals_by_extension,
            renewals_by_new_agreement=found.renewals_by_new_agreement,
            data=[LoyaltyPeriodFigures.model_validate(item) for item in found.periods],
        )

    return await cached_answer(service, height, ("loyalty-answer", period), build)


@metrics.get("/satisfaction", operation_id="satisfaction_metrics", response_model=SatisfactionFigures)
async def satisfaction_metrics(service: Service, height: AsOfBlock) -> Response:
    """Partner satisfaction from the ratings parties give each other (the newest of each agreement version,
    rater and ratee counts): per member, the ratings received and given and their means; the network's mean
    score and net promoter score; reciprocity; the low-rated ties and the agreement versions whose parties
    rate each other far apart."""

    def build() -> SatisfactionFigures:
        found = service.satisfaction(height)
        names = service.member_names(height)
        return SatisfactionFigures(
            **height.stamp(),
            ratings=found.ratings,
            raters=found.raters,
            rated=found.rated,
            mean_score=found.mean_score,
            promoters=found.promoters,
            passives=found.passives,
            detractors=found.detractors,
            net_promoter_score=found.net_promoter_score,
            rated_pairs=found.rated_pairs,
            reciprocated_pairs=found.reciprocated_pairs,
            reciprocity=found.reciprocity,
            low_rating_mean=service.thresholds.min_rating_mean,
            rating_gap=service.thresholds.rating_gap,
            members=[
                MemberSatisfactionFigures(member=member, name=names.get(member), **vars(figures))
                for member, figures in found.members.items()
            ],
            low_rated_ties=[RatedTieFigures(**vars(tie)) for tie in found.low_rated_ties],
            far_apart=[FarApartFigures(**vars(apart)) for apart in found.far_apart],
        )

    return await cached_answer(service, height, ("satisfaction-answer",), build)


@ratings.get("", operation_id="list_ratings", response_model=Ratings)
async def list_ratings(
    service: Service,
    height: AsOfBlock,
    member: Annotated[str | None, address_query("only ratings this member gave or received")] = None,
    agreement_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="only ratings within this agreement"), WHOLE_NUMBER
    ] = None,
) -> Response:
    """The partner ratings that count at the height — for each agreement version, rater and ratee, the
    newest — in chain order: who rated whom, in which agreement and version, the score and the comment's
    digest. The history of every rating is in `/v1/events?event=PartnerRated`."""
    wanted = None if member is None else checksum_address(member)

    def build() -> Ratings:
        names = service.member_names(height)
        found = [
            RatingInfo(
                agreement_id=rating.agreement_id,
                version=rating.version,
                rater=rating.rater,
                rater_name=names.get(rating.rater),
                ratee=rating.ratee,
                ratee_name=names.get(rating.ratee),
                score=rating.score,
                comment_hash=rating.comment_hash,
                rated_block=rating.block,
                rated_at=rating.timestamp,
            )
            for rating in service.standing_ratings(height)
            if (wanted is None or wanted in (rating.rater, rating.ratee))
            and (agreement_id is None or rating.agreement_id == agreement_id)
        ]
        return Ratings(**height.stamp(), count=len(found), data=found)

    return await cached_answer(service, height, ("ratings-answer", wanted, agreement_id), build)


@metrics.get("/activity", operation_id="activity_metrics", response_model=Activity)
async def activity_metrics(
    service: Service,
    height: AsOfBlock,
    period: Annotated[PeriodName, Query(description="the length of a period")] = "month",
) -> Response:
    """Size and growth (members, new members, growth rate, new agreements and referrals) and engagement
    (active members, interactions per member) per period, oldest first, up to the height."""

    def build() -> Activity:
        found = service.activity(height, period)
        return Activity(
            **height.stamp(), period=period, data=[PeriodFigures.model_validate(item) for item in found]
        )

    return await cached_answer(service, height, ("activity-answer", period), build)


@alerts.get("", operation_id="list_alerts", response_model=Alerts)
async def list_alerts(service: Service, height: AsOfBlock) -> Response:
    """Early warnings at the height — single points of failure, concentration of value received above the
    HHI threshold, free riders, members with no tie outside their sector — each with its evidence."""

    def build() -> Alerts:
        found = service.alerts(height)
        return Alerts(
            **height.stamp(),
            global_last_change_block=height.global_last_change_block(),
            thresholds=Thresholds.model_validate(service.thresholds),
            count=len(found),
            data=[AlertInfo.model_validate(alert) for alert in found],
        )

    return await cached_answer(service, height, ("alerts-answer",), build)
