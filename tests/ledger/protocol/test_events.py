"""Every event of the contracts is folded (into the projections, the graph, or both) or listed as ignored."""

from __future__ import annotations

import inspect

import pytest

from ledger.analytics.graph import LedgerGraph
from ledger.protocol.events import HANDLERS, IGNORED, EventFold
from ledger.store.projections import Projections
from ledger.types import LedgerEvent
from tests.ledger.chain_fixtures import build_record

CONTRACTS = ("Consortium", "Agreements", "ReferralRewards", "PartnerRatings")
FOLDS: tuple[type[EventFold], ...] = (Projections, LedgerGraph)


def _abi_events() -> set[tuple[str, str]]:
    return {
        (name, item["name"])
        for name in CONTRACTS
        for item in build_record(name, "0x" + "11" * 20).abi
        if item["type"] == "event"
    }


def _unaccounted(handlers: dict[tuple[str, str], str], ignored: dict[tuple[str, str], str]) -> set[object]:
    """Events of the ABIs neither handled nor ignored; entries naming no ABI event; handlers no fold has."""
    events = _abi_events()
    methods = {name for fold in FOLDS for name, _ in inspect.getmembers(fold) if name.startswith("on_")}
    problems: set[object] = set(events - set(handlers) - set(ignored))
    problems |= (set(handlers) | set(ignored)) - events
    problems |= set(handlers) & set(ignored)
    problems |= set(handlers.values()) - methods
    problems |= methods - set(handlers.values())
    return problems


def test_every_abi_event_is_folded_or_deliberately_ignored() -> None:
    assert _unaccounted(HANDLERS, IGNORED) == set()


@pytest.mark.parametrize("left_out", [("Agreements", "Withdrawn"), ("Consortium", "ProposalCreated")])
def test_the_check_fails_when_an_event_is_left_out(left_out: tuple[str, str]) -> None:
    handlers = {key: name for key, name in HANDLERS.items() if key != left_out}
    ignored = {key: why for key, why in IGNORED.items() if key != left_out}
    assert left_out in _unaccounted(handlers, ignored)


def test_both_folds_dispatch_through_the_one_table() -> None:
    """The projections and the graph apply the same event through the same table entry."""
    admitted = LedgerEvent(
        "Consortium",
        "MemberAdmitted",
        {
            "account": "0x" + "ab" * 20,
            "name": "Crumb & Co",
            "sector": "0x" + b"bakery".ljust(32, b"\0").hex(),
            "region": "0x" + b"north".ljust(32, b"\0").hex(),
            "proposalId": 0,
        },
        1,
        "0x1",
        0,
        "0x2",
        0,
    )
    projections, graph = Projections(()), LedgerGraph(())
    projections.apply(admitted)
    graph.apply(admitted)
    assert projections.members["0x" + "ab" * 20]["sector"] == "bakery"
    assert graph.graph.nodes["0x" + "ab" * 20]["sector"] == "bakery"


def test_an_unknown_kind_is_an_anomaly_not_a_crash() -> None:
    proposed = LedgerEvent(
        "Agreements",
        "AgreementProposed",
        {"id": 1, "proposer": "0xa", "asset": "0xb", "kind": 99, "parties": ["0xa", "0xc"], "startTime": 0},
        1,
        "0x1",
        0,
        "0x2",
        0,
    )
    projections = Projections(("joint_marketing",))
    projections.apply(proposed)
    assert "Agreements.Kind 99" in projections.anomalies[0][1]
