"""``/v1/metrics`` and ``/v1/alerts``: the network's structure, one member's place in it, value sharing,
referrals, activity and early warnings — each at ``as_of_block`` (default: the indexed head), computed once
per height and then served from the cache."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated

import networkx as nx
from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import AsOfBlock, Service, checksum_address
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
    FreeRiderInfo,
    GapInfo,
    LocalBridge,
    MemberFlow,
    MemberMetrics,
    NetworkMetrics,
    PartnerDiversityInfo,
    PeriodFigures,
    ProgramFigures,
    Ranked,
    ReferralFigures,
    ReferralMetrics,
    ReferrerFigures,
    Thresholds,
    ValueSharing,
)
from api.service import Height, LedgerService
from ledger.metrics.activity import PeriodName
from ledger.metrics.diversity import Diversity, partner_diversity
from ledger.metrics.gaps import Gap
from ledger.metrics.referrals import ReferralStats
from ledger.metrics.report import NetworkReport
from ledger.metrics.resilience import departure
from ledger.metrics.views import Snapshot

metrics = APIRouter(prefix="/metrics", tags=["metrics"])
alerts = APIRouter(prefix="/alerts", tags=["metrics"])

Top = Annotated[int, Query(ge=1, le=500, description="how many entries ranked lists hold")]


async def _answer(
    service: LedgerService, height: Height, question: tuple[object, ...], build: Callable[[], BaseModel]
) -> Response:
    """The JSON of ``build()`` for ``question`` at ``height``, serialised once per height and then served as
    bytes (FastAPI's per-request validation and serialisation of a cached answer is skipped: the model was
    validated when it was built)."""
    body = await service.answer(height, question, lambda: build().model_dump_json().encode())
    return Response(body, media_type="application/json", headers={"X-Block-Height": str(height.block)})


def _ranked(values: dict[str, float] | dict[str, int], top: int) -> list[Ranked]:
    best = sorted(values.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [Ranked(address=member, value=float(value)) for member, value in best]


def _diversity(found: Diversity) -> DiversityInfo:
    return DiversityInfo(blau=found.blau, shannon=found.shannon, categories=found.categories)


def _gaps(found: list[Gap]) -> list[GapInfo]:
    return [GapInfo(**vars(gap)) for gap in found]


def _network(report: NetworkReport, top: int) -> NetworkMetrics:
    between = report.betweenness
    found = report.communities
    widest = sorted(report.local_bridges, key=lambda bridge: (-bridge[2], bridge[0], bridge[1]))[:top]
    return NetworkMetrics(
        block=report.block,
        members=report.members,
        ties=report.ties,
        density=report.density,
        average_clustering=report.average_clustering,
        betweenness=BetweennessInfo(method=between.method, pivots=between.pivots, seed=between.seed),
        communities=CommunitiesInfo(
            count=len(found.groups),
            modularity=found.modularity,
            seed=found.seed,
            sizes=[len(group) for group in found.groups],
        ),
        top_degree=_ranked(report.degree, top),
        top_strength=_ranked(report.strength, top),
        top_pagerank=_ranked(report.pagerank, top),
        top_betweenness=_ranked(between.values, top),
        brokers=[
            BrokerInfo(
                address=broker.member,
                community=broker.community,
                communities_reached=broker.communities_reached,
                ties_outside=broker.ties_outside,
                effective_size=broker.effective_size,
                constraint=broker.constraint,
            )
            for broker in report.brokers[:top]
        ],
        sector_diversity=_diversity(report.sector_diversity),
        region_diversity=_diversity(report.region_diversity),
        sector_gaps=_gaps(report.sector_gaps),
        region_gaps=_gaps(report.region_gaps),
        community_gaps=_gaps(report.community_gaps),
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
    return await _answer(service, height, ("network", top), lambda: _network(service.network(height), top))


def _figures(stats: ReferralStats) -> dict[str, object]:
    return {
        "referrals": stats.referrals,
        "conversions": stats.conversions,
        "conversion_rate": stats.conversion_rate,
        "conversion_value": {asset: str(value) for asset, value in stats.conversion_value.items()},
        "rewards_paid": {asset: str(value) for asset, value in stats.rewards_paid.items()},
        "cost_per_conversion": stats.cost_per_conversion,
    }


def _member(service: LedgerService, height: Height, address: str) -> MemberMetrics:
    report = service.network(height)
    if address not in report.degree:
        raise ApiError(
            404, f"address: {address} is not a member of the network at block {height.block}.", "address"
        )
    values = service.values(height)
    referrals = service.referrals(height)

    def local(now: Snapshot) -> tuple[dict[str, str], PartnerDiversityInfo, float]:
        found = partner_diversity(now.ties, address)
        profile = now.members[address]
        leaving = departure(now.ties, nx.DiGraph(), address)
        return (
            {key: str(profile.get(key) or "") for key in ("name", "sector", "region")},
            PartnerDiversityInfo(
                partners=found.partners,
                sector=_diversity(found.sector),
                region=_diversity(found.region),
                same_sector_share=found.same_sector_share,
            ),
            leaving.connectivity_share,
        )

    profile, partners, connectivity = service.on_snapshot(height, ("member-local", address), local)
    flows = []
    for asset_report in values:
        flow = asset_report.members.get(address)
        if flow is None:
            continue
        through = flow.received + flow.contributed
        flows.append(
            AssetFlow(
                asset=asset_report.asset,
                received=str(flow.received),
                received_from_members=str(flow.received_from_members),
                contributed=str(flow.contributed),
                net=str(flow.net),
                value_share=through / asset_report.total if asset_report.total else 0.0,
            )
        )
    return MemberMetrics(
        block=height.block,
        address=address,
        **profile,
        degree=report.degree[address],
        strength=report.strength[address],
        pagerank=report.pagerank[address],
        betweenness=report.betweenness.values[address],
        clustering=report.clustering[address],
        constraint=report.constraint[address],
        effective_size=report.effective_size[address],
        community=report.communities.membership[address],
        articulation_point=address in set(report.articulation_points),
        connectivity_share=connectivity,
        partner_diversity=partners,
        value=flows,
        referrals=ReferralFigures.model_validate(
            _figures(referrals.per_referrer.get(address, ReferralStats()))
        ),
    )


@metrics.get("/members/{address}", operation_id="member_metrics", response_model=MemberMetrics)
async def member_metrics(
    service: Service,
    height: AsOfBlock,
    address: Annotated[str, Path(description="the member's address")],
) -> Response:
    """One member's centralities, brokerage, community, partners' diversity, value given and received per
    asset, referral record, and what the network would lose if it left — at the height."""
    checked = checksum_address(address, "address")
    return await _answer(service, height, ("member", checked), lambda: _member(service, height, checked))


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
                top_receivers=[
                    MemberFlow(
                        address=flow.member,
                        received=str(flow.received),
                        received_from_members=str(flow.received_from_members),
                        contributed=str(flow.contributed),
                        net=str(flow.net),
                    )
                    for flow in receivers
                ],
                free_riders=[
                    FreeRiderInfo(
                        address=rider.member,
                        received_from_members=str(rider.received_from_members),
                        contributed=str(rider.contributed),
                        ratio=rider.ratio,
                    )
                    for rider in report.free_riders
                ],
            )
        )
    return ValueSharing(block=height.block, assets=found)


@metrics.get("/value-sharing", operation_id="value_sharing_metrics", response_model=ValueSharing)
async def value_sharing_metrics(service: Service, height: AsOfBlock, top: Top = 10) -> Response:
    """Per asset: total value credited, Gini and HHI of value received (population Gini over every member;
    HHI from 0 to 1), the top receivers, and free-rider candidates with their evidence."""
    return await _answer(service, height, ("value-sharing", top), lambda: _sharing(service, height, top))


def _referrals(service: LedgerService, height: Height, top: int) -> ReferralMetrics:
    summary = service.referrals(height)
    best = sorted(summary.per_referrer.items(), key=lambda item: (-item[1].conversions, item[0]))[:top]
    return ReferralMetrics(
        block=height.block,
        total=ReferralFigures.model_validate(_figures(summary.total)),
        programs=[
            ProgramFigures.model_validate({"program_id": program, **_figures(stats)})
            for program, stats in sorted(summary.per_program.items())
        ],
        top_referrers=[
            ReferrerFigures.model_validate({"address": referrer, **_figures(stats)})
            for referrer, stats in best
        ],
    )


@metrics.get("/referrals", operation_id="referral_metrics", response_model=ReferralMetrics)
async def referral_metrics(service: Service, height: AsOfBlock, top: Top = 10) -> Response:
    """Referrals recorded, conversions, conversion rate, rewards paid and cost per conversion: in total, per
    program, and for the top referrers."""
    return await _answer(service, height, ("referrals", top), lambda: _referrals(service, height, top))


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
            block=height.block, period=period, data=[PeriodFigures(**vars(item)) for item in found]
        )

    return await _answer(service, height, ("activity-answer", period), build)


@alerts.get("", operation_id="list_alerts", response_model=Alerts)
async def list_alerts(service: Service, height: AsOfBlock) -> Response:
    """Early warnings at the height — single points of failure, concentration of value received above the
    HHI threshold, free riders, members with no tie outside their sector — each with its evidence."""

    def build() -> Alerts:
        found = service.alerts(height)
        thresholds = service.thresholds
        return Alerts(
            block=height.block,
            thresholds=Thresholds(max_hhi=thresholds.max_hhi, free_rider_ratio=thresholds.free_rider_ratio),
            count=len(found),
            data=[AlertInfo.model_validate(vars(alert)) for alert in found],
        )

    return await _answer(service, height, ("alerts-answer",), build)
