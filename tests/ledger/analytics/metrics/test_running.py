"""The running figures equal the full computation after any sequence of events (a property test).

Random but well-formed histories — admissions, suspensions, reinstatements, exits and readmissions,
agreements with amendments, deposits held in a dispute and released, programs with referrals, conversions,
rewards and vouchers, spread over months — are applied one event at a time to a graph that keeps
:class:`~ledger.analytics.metrics.running.RunningFigures`; after every event, each running figure is compared
with the full computation on a snapshot of the same graph.
"""

from __future__ import annotations

import random
from typing import Any

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from api.worker import ValueAlertBook
from ledger.analytics.graph import LedgerGraph
from ledger.analytics.metrics.activity import PERIODS, activity
from ledger.analytics.metrics.alerts import AlertThresholds
from ledger.analytics.metrics.referrals import referral_stats
from ledger.analytics.metrics.report import (
    RUNNING_NETWORK_FIELDS,
    network_report,
    structure_report,
    value_alerts,
    value_report,
)
from ledger.analytics.metrics.running import RunningFigures
from ledger.analytics.metrics.views import snapshot
from ledger.protocol.codes import encode_code
from ledger.types import LedgerEvent

KINDS = ("supply", "co_marketing", "referral")
# mixed-case addresses whose checksummed order differs from their numeric (canonical) order
PEOPLE = [
    "0x00000000000000000000000000000000000000aA",
    "0x00000000000000000000000000000000000000Bb",
    "0x000000000000000000000000000000000000000c",
    "0x00000000000000000000000000000000000000Dd",
    "0x00000000000000000000000000000000000000e0",
    "0x00000000000000000000000000000000000000F1",
]
OUTSIDERS = ["0x0000000000000000000000000000000000000Ff9", "0x0000000000000000000000000000000000000a07"]
ASSETS = ["0x1000000000000000000000000000000000000001", "0x2000000000000000000000000000000000000002"]
SECTORS = ("bakery", "coffee", "plumbing")
REGIONS = ("north", "south")

END_TIME = 2_000_000_000  # when the generated agreements end (2033): after every generated block


class _History:
    """A well-formed random history, one event at a time (only what the contracts would allow to happen in
    the order the graph needs: an agreement before its deposits, a program before its referrals)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.block = 0
        self.timestamp = 1_700_000_000
        self.log = 0
        self.status: dict[str, str] = {}
        self.agreements: dict[int, dict[str, Any]] = {}
        self.programs: dict[int, str] = {}  # id -> sponsor
        self.referrals: list[tuple[int, str, str, bool]] = []  # (program, referrer, commitment, converted)

    def _event(self, contract: str, event: str, **args: Any) -> LedgerEvent:
        self.log += 1
        return LedgerEvent(
            contract, event, args, self.block, f"0x{self.block:064x}", self.timestamp, f"0x{self.log:064x}", 0
        )

    def _new_block(self) -> None:
        self.block += 1
        self.timestamp += self.rng.choice((600, 86_400, 9 * 86_400))

    def next(self) -> list[LedgerEvent]:
        """The events of the next step (one or two: an agreement is proposed and activated at once)."""
        if self.rng.random() < 0.5:
            self._new_block()
        active = [person for person, status in self.status.items() if status != "exited"]
        choices = ["admit"] * 3
        if active:
            choices += ["status", "agreement", "program"]
        if self.agreements:
            choices += ["deposit"] * 4 + ["release", "amend"]
        if self.programs:
            choices += ["referral"] * 3
        if any(not converted for *_, converted in self.referrals):
            choices += ["convert"] * 2
        step: list[LedgerEvent] = getattr(self, f"_{self.rng.choice(choices)}")(active)
        return step

    def _admit(self, _: list[str]) -> list[LedgerEvent]:
        candidates = [person for person in PEOPLE if self.status.get(person, "exited") == "exited"]
        if not candidates:
            return []
        person = self.rng.choice(candidates)
        self.status[person] = "active"
        sector, region = self.rng.choice(SECTORS), self.rng.choice(REGIONS)
        return [
            self._event(
                "Consortium",
                "MemberAdmitted",
                account=person,
                name=f"Shop {person[-2:]}",
                sector=encode_code(sector),
                region=encode_code(region),
            )
        ]

    def _status(self, active: list[str]) -> list[LedgerEvent]:
        person = self.rng.choice(active)
        moves = {
            "active": ["MemberSuspended", "MemberExited"],
            "suspended": ["MemberReinstated", "MemberExited"],
        }
        name = self.rng.choice(moves[self.status[person]])
        self.status[person] = {"MemberSuspended": "suspended", "MemberReinstated": "active"}.get(
            name, "exited"
        )
        return [self._event("Consortium", name, account=person)]

    def _shares(self, parties: int) -> list[int]:
        cuts = sorted(self.rng.sample(range(1, 10_000), parties - 1))
        return [high - low for low, high in zip([0, *cuts], [*cuts, 10_000], strict=True)]

    def _agreement(self, active: list[str]) -> list[LedgerEvent]:
        pool = active + OUTSIDERS[:1]  # a party may be an address that is not (yet) a member
        parties = self.rng.sample(pool, min(len(pool), self.rng.randint(2, 4)))
        if len(parties) < 2:
            return []
        number = len(self.agreements) + 1
        self.agreements[number] = {"parties": parties, "version": 1}
        asset = self.rng.choice(ASSETS)
        kind = self.rng.randrange(len(KINDS))
        return [
            self._event(
                "Agreements",
                "AgreementProposed",
                id=number,
                proposer=parties[0],
                kind=kind,
                asset=asset,
                parties=parties,
            ),
            self._event(
                "Agreements",
                "VersionProposed",
                id=number,
                version=1,
                sharesBps=self._shares(len(parties)),
                endTime=END_TIME,
            ),
            self._event("Agreements", "AgreementVersionActivated", id=number, version=1),
        ]

    def _amend(self, _: list[str]) -> list[LedgerEvent]:
        number = self.rng.choice(list(self.agreements))
        agreement = self.agreements[number]
        agreement["version"] += 1
        version, parties = agreement["version"], agreement["parties"]
        return [
            self._event(
                "Agreements",
                "VersionProposed",
                id=number,
                version=version,
                sharesBps=self._shares(len(parties)),
                endTime=END_TIME + version * 86_400,  # each amendment extends the agreement by a day
            ),
            self._event("Agreements", "AgreementVersionActivated", id=number, version=version),
        ]

    def _deposit(self, _: list[str]) -> list[LedgerEvent]:
        number = self.rng.choice(list(self.agreements))
        contributor = self.rng.choice([*self.agreements[number]["parties"], *OUTSIDERS, *PEOPLE])
        return [
            self._event(
                "Agreements",
                "RevenueDeposited",
                id=number,
                contributor=contributor,
                amount=self.rng.choice((1, 999, 10**18, 3 * 10**21 + 7)),
                held=self.rng.random() < 0.25,
            )
        ]

    def _release(self, _: list[str]) -> list[LedgerEvent]:
        number = self.rng.choice(list(self.agreements))
        name = self.rng.choice(("DisputeResolved", "DisputeReleased"))
        return [
            self._event("Agreements", name, id=number, releasedAmount=self.rng.choice((0, 10**18, 12_345)))
        ]

    def _program(self, active: list[str]) -> list[LedgerEvent]:
        number = len(self.programs) + 1
        self.programs[number] = self.rng.choice(active)
        asset = self.rng.choice(ASSETS)
        return [
            self._event(
                "ReferralRewards",
                "ProgramCreated",
                programId=number,
                sponsor=self.programs[number],
                asset=asset,
            )
        ]

    def _referral(self, _: list[str]) -> list[LedgerEvent]:
        number = self.rng.choice(list(self.programs))
        referrer = self.rng.choice([*PEOPLE, OUTSIDERS[1]])
        commitment = f"0x{self.rng.getrandbits(256):064x}"
        voucher = self.rng.random() < 0.3
        self.referrals.append((number, referrer, commitment, voucher))
        sponsor = self.programs[number]
        recorded = self._event(
            "ReferralRewards",
            "ReferralRecorded",
            programId=number,
            referrer=referrer,
            sponsor=sponsor,
            commitment=commitment,
        )
        if not voucher:
            return [recorded]
        redeemed = self._event(
            "ReferralRewards",
            "VoucherRedeemed",
            programId=number,
            referrer=referrer,
            sponsor=sponsor,
            commitment=commitment,
            conversionValue=5 * 10**18,
            reward=10**17,
        )
        return [recorded, redeemed]

    def _convert(self, _: list[str]) -> list[LedgerEvent]:
        open_ones = [index for index, (*_, converted) in enumerate(self.referrals) if not converted]
        index = self.rng.choice(open_ones)
        number, referrer, commitment, _converted = self.referrals[index]
        self.referrals[index] = (number, referrer, commitment, True)
        sponsor = self.programs[number]
        events = [
            self._event(
                "ReferralRewards",
                "ConversionConfirmed",
                programId=number,
                referrer=referrer,
                sponsor=sponsor,
                commitment=commitment,
                conversionValue=self.rng.choice((10**18, 7)),
                reward=10**16,
            )
        ]
        if self.rng.random() < 0.7:
            events.append(
                self._event(
                    "ReferralRewards",
                    "RewardClaimed",
                    programId=number,
                    referrer=referrer,
                    commitment=commitment,
                    amount=10**16,
                )
            )
        return events


def _edges(ties: nx.Graph[str]) -> list[tuple[str, str, dict[str, Any]]]:
    return list(ties.edges(data=True))


THRESHOLDS = AlertThresholds(max_hhi=0.4, free_rider_ratio=2.0)


def _assert_running_equals_full(
    ledger: LedgerGraph, running: RunningFigures, alerts: ValueAlertBook | None = None
) -> None:
    now = snapshot(ledger, ledger.block)
    full = network_report(now)
    counted = running.network()
    for name in RUNNING_NETWORK_FIELDS:
        assert getattr(counted, name) == getattr(full, name), name
    assert list(running.tie_graph().nodes(data=True)) == list(now.ties.nodes(data=True))
    assert _edges(running.tie_graph()) == _edges(now.ties)
    # the global figures computed on the running tie graph (as the metrics worker does) are the full ones
    assert structure_report(now.block, running.members(), running.tie_graph()) == full
    values = running.values(now.block, THRESHOLDS.free_rider_ratio)
    assert values == value_report(now, THRESHOLDS.free_rider_ratio)
    expected_alerts = value_alerts(value_report(now, THRESHOLDS.free_rider_ratio), THRESHOLDS)
    assert value_alerts(values, THRESHOLDS) == expected_alerts
    if alerts is not None:  # the metrics worker's, kept across readings
        assert alerts.read(values) == expected_alerts
    assert running.referrals() == referral_stats(now.graph)
    for period in PERIODS:
        assert running.activity(period) == activity(now.graph, period), period


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), steps=st.integers(min_value=1, max_value=50))
def test_every_running_figure_equals_the_full_computation(seed: int, steps: int) -> None:
    running = RunningFigures()
    ledger = LedgerGraph(KINDS, observer=running)
    history = _History(random.Random(seed))
    reads = random.Random(seed + 1)  # read after some steps only: a reading covers several steps' changes
    alerts = ValueAlertBook(THRESHOLDS)
    for step in range(steps):
        for item in history.next():
            ledger.apply(item)
        ledger.block = history.block
        if step == steps - 1 or reads.random() < 0.5:
            _assert_running_equals_full(ledger, running, alerts)
    assert not ledger.anomalies, "the generated history is well formed"


def test_a_reset_graph_resets_its_running_figures() -> None:
    running = RunningFigures()
    ledger = LedgerGraph(KINDS, observer=running)
    history = _History(random.Random(3))
    events = [item for _ in range(40) for item in history.next()]
    ledger.apply_all(events)
    assert running.facts > 0
    ledger._reset()  # what a sync does when the store was rolled back below the graph's block
    assert running.network().members == 0
    assert running.facts == 0
    ledger.apply_all(events)
    ledger.block = history.block
    _assert_running_equals_full(ledger, running)


def test_a_worker_graph_without_facts_keeps_the_same_running_figures() -> None:
    """The metrics worker keeps no edges (``keep_facts=False``): its running figures are the same."""
    kept, lean = RunningFigures(), RunningFigures()
    full = LedgerGraph(KINDS, observer=kept)
    worker = LedgerGraph(KINDS, observer=lean, keep_facts=False)
    history = _History(random.Random(11))
    for item in (item for _ in range(80) for item in history.next()):
        full.apply(item)
        worker.apply(item)
    assert worker.graph.number_of_edges() == 0 < full.graph.number_of_edges()
    assert lean.network() == kept.network()
    assert lean.values(history.block, 3.0) == kept.values(history.block, 3.0)
    assert _edges(lean.tie_graph()) == _edges(kept.tie_graph())
