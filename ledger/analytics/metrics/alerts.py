"""Early warnings over the metrics, each with the evidence that raised it.

Kinds:

- ``single_point_of_failure``: a member whose departure splits the network (an articulation point);
  evidence: the members who would be cut off from the largest remaining part.
- ``concentration``: the HHI of value received in an asset is above ``max_hhi``; evidence: the HHI and the
  largest receivers' shares.
- ``free_rider``: a member receiving more than ``free_rider_ratio`` times what it contributes to its
  partners; evidence: both amounts.
- ``sector_silo``: a member with partners, all in its own sector; evidence: the partners.
- ``low_rating``: a member its partners rate below ``min_rating_mean`` on average, over at least
  ``min_ratings`` ratings; evidence: the mean, the count, the raters
  (:mod:`~ledger.analytics.metrics.satisfaction`).
- ``ratings_far_apart``: an agreement version whose two parties rate each other ``rating_gap`` or more apart;
  evidence: both scores.
- ``high_churn``: more than ``max_churn`` of the members at the start of the current or the last month left in
  it; evidence: the month, the members at its start and the exits (:mod:`~ledger.analytics.metrics.loyalty`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from ledger.analytics.metrics.value import FreeRider, MemberValue, hhi

__all__ = [
    "Alert",
    "AlertThresholds",
    "concentration_alerts",
    "free_rider_alerts",
    "sector_silo_alerts",
    "single_point_of_failure_alerts",
]


@dataclass(frozen=True)
class AlertThresholds:
    """The levels at which alerts are raised (from settings)."""

    max_hhi: float = 0.25
    free_rider_ratio: float = 3.0
    min_rating_mean: float = 3.0
    min_ratings: int = 2
    rating_gap: int = 3
    max_churn: float = 0.05


@dataclass(frozen=True)
class Alert:
    """One early warning: its kind, whom or what it is about, a sentence, and the evidence."""

    kind: str
    subject: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


def single_point_of_failure_alerts(ties: nx.Graph[str], points: list[str]) -> list[Alert]:
    """An alert per articulation point in ``points``, with who would be cut off if it left."""
    alerts = []
    for member in points:
        component = nx.node_connected_component(ties, member) - {member}
        parts = sorted(
            nx.connected_components(ties.subgraph(component)), key=lambda part: (-len(part), min(part))
        )
        cut_off = sorted(node for part in parts[1:] for node in part)
        alerts.append(
            Alert(
                "single_point_of_failure",
                member,
                f"{_name(ties, member)} is the only link between {len(parts)} parts of the network: "
                f"{len(cut_off)} member(s) would be cut off if it left.",
                {"parts": len(parts), "cut_off": cut_off},
            )
        )
    return alerts


def concentration_alerts(asset: str, received: dict[str, int], max_hhi: float) -> list[Alert]:
    """An alert if the HHI of value received in ``asset`` is above ``max_hhi``."""
    index = hhi(list(received.values()))
    if index <= max_hhi:
        return []
    total = sum(received.values())
    top = sorted(received.items(), key=lambda item: (-item[1], item[0]))[:5]
    return [
        Alert(
            "concentration",
            asset,
            f"Value received in {asset} is concentrated: HHI {index:.2f} is above {max_hhi:.2f}.",
            {
                "hhi": index,
                "threshold": max_hhi,
                "top_shares": {member: amount / total for member, amount in top},
            },
        )
    ]


def free_rider_alerts(
    riders: list[FreeRider], flows: dict[str, MemberValue], asset: str, ratio: float
) -> list[Alert]:
    """An alert per free-rider candidate."""
    return [
        Alert(
            "free_rider",
            rider.member,
            f"{rider.member} received {rider.received_from_members} from partners in {asset} but contributed "
            f"{rider.contributed} (more than {ratio:g} times).",
            {
                "asset": asset,
                "received_from_members": str(rider.received_from_members),
                "contributed": str(rider.contributed),
                "ratio": rider.ratio,
                "threshold": ratio,
                "received": str(flows[rider.member].received),
            },
        )
        for rider in riders
    ]


def sector_silo_alerts(ties: nx.Graph[str]) -> list[Alert]:
    """An alert per member whose partners are all in its own sector."""
    alerts = []
    for member in sorted(ties):
        partners = sorted(ties[member])
        sector = ties.nodes[member]["sector"]
        if partners and all(ties.nodes[partner]["sector"] == sector for partner in partners):
            alerts.append(
                Alert(
                    "sector_silo",
                    member,
                    f"{_name(ties, member)} has no partner outside its own sector ({sector}).",
                    {"sector": sector, "partners": partners},
                )
            )
    return alerts


def _name(ties: nx.Graph[str], member: str) -> str:
    name = ties.nodes[member].get("name")
    return f"{name} ({member})" if name else member
