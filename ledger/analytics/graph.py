"""The consortium as a networkx MultiDiGraph, built from the stored events, incrementally and reorg-safe.

Nodes are addresses, keyed by their checksummed address. A member carries ``member=True``, ``name``,
``sector``, ``region``, ``status`` (its status now), ``status_history`` (``(block, status)`` pairs, oldest
first) with ``status_times`` (the block time of each change, in the same order), ``joined_block`` and
``joined_at``. An address that only ever paid into an agreement (a customer, an
outside company) is a node with ``member=False`` and ``status="external"``. Every node has ``first_block``,
the block it first appeared in.

Edges are facts, never edited after they are added; each carries ``kind``, ``block``, ``timestamp``,
``tx_hash`` and ``amount`` (0 where no money moves), under a key that names the fact:

- ``agreement`` — ``agreement:<id>``: every ordered pair of co-parties, both directions, when the agreement
  becomes active (all parties signed); with ``agreement_id`` and ``agreement_kind``.
- ``referral`` — ``referral:<program>:<referrer>:<commitment>``: referrer → sponsor, when the referral is
  recorded.
  Referral, conversion and reward edges carry ``program_id`` and the program's ``asset``.
- ``conversion`` — ``conversion:<program>:<referrer>:<commitment>``: referrer → sponsor, when the sponsor
  confirms it (or a voucher is redeemed);
  ``amount`` is the conversion value, ``reward`` the reward reserved.
- ``reward`` — ``reward:<program>:<referrer>:<commitment>``: sponsor → referrer, the reward paid when claimed.
- ``value`` — ``value:<tx>:<log>[:<n>]``: contributor → receiving party, what the party was credited from
  that contributor's deposit, exactly as the contract credits it
  (:func:`ledger.protocol.sharing.credit_increments`). A deposit held during a dispute becomes value edges
  when it is credited (the dispute resolved or released, or the agreement terminated), attributed back to each
  held deposit's contributor (:func:`attribute_release`). A party's credit from its own deposit is not an
  edge: the graph shows value flowing between partners.

Partner ratings are not facts between members' businesses, so they are not edges: the graph keeps them in
``graph.graph["ratings"]``, a list of :class:`PartnerRating` in chain order (every rating, the replaced ones
too; the views and copies of the graph share it, so readers take the ratings at or below their block).
Agreement renewals are kept the same way, in ``graph.graph["renewals"]`` (:class:`AgreementRenewal`): an
amendment that took effect with a later end, or an agreement coming into force between the same set of
parties as one that had ended (its end time passed, or it was terminated) by then.

"As of block N" (:meth:`LedgerGraph.as_of`) is a read-only view over the same graph, not a copy: the nodes
that had appeared and the edges added at or before N (a node's status at N: :func:`status_at`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import networkx as nx

from ledger.protocol.codes import decode_code
from ledger.protocol.events import EventFold
from ledger.protocol.sharing import credit_increments, reshare
from ledger.types import Checkpoint, LedgerEvent

__all__ = [
    "AgreementRenewal",
    "EventSource",
    "GraphObserver",
    "LedgerGraph",
    "PartnerRating",
    "as_of_view",
    "attribute_release",
    "ratings_of",
    "renewals_of",
    "status_at",
]


@dataclass(frozen=True, slots=True)
class PartnerRating:
    """One ``PartnerRated`` event: ``rater`` rated ``ratee``, its partner in ``version`` of agreement
    ``agreement_id``, ``score`` out of 5 (``comment_hash``: a written comment's digest, zeros for none)."""

    block: int
    log_index: int
    timestamp: int
    agreement_id: int
    version: int
    rater: str
    ratee: str
    score: int
    comment_hash: str


@dataclass(frozen=True, slots=True)
class AgreementRenewal:
    """Agreement ``agreement_id`` renewed a partnership at ``timestamp``: by an amendment that took effect
    with a later end (``how="extension"``), or by coming into force between the same parties as agreement
    ``previous_id``, which had ended by then (``how="successor"``)."""

    block: int
    timestamp: int
    agreement_id: int
    how: str
    previous_id: int
    parties: tuple[str, ...]


def renewals_of(graph: nx.MultiDiGraph[str]) -> list[AgreementRenewal]:
    """Every renewal ``graph`` keeps, in chain order (a view's or a copy's include those after its block)."""
    found: list[AgreementRenewal] = graph.graph.get("renewals", [])
    return found


def as_of_view(graph: nx.MultiDiGraph[str], block: int) -> nx.MultiDiGraph[str]:
    """A read-only view of ``graph`` (a :class:`LedgerGraph`'s, or a copy or view of one) at ``block``: the
    nodes that had appeared and the edges added by then (its ratings and renewals: readers filter them)."""

    def node_seen(node: str) -> bool:
        return bool(graph.nodes[node]["first_block"] <= block)

    def edge_seen(u: str, v: str, key: Any) -> bool:
        return bool(graph.edges[u, v, key]["block"] <= block)

    view: nx.MultiDiGraph[str] = nx.subgraph_view(graph, filter_node=node_seen, filter_edge=edge_seen)
    return view


def ratings_of(graph: nx.MultiDiGraph[str]) -> list[PartnerRating]:
    """Every rating ``graph`` (a :class:`LedgerGraph`'s graph, a view or a copy of it) keeps, in chain order;
    a view's or a copy's include those after its block."""
    found: list[PartnerRating] = graph.graph.get("ratings", [])
    return found


class EventSource(Protocol):
    """What the graph reads from the store (:class:`ledger.store.Store` is one)."""

    def checkpoint(self) -> Checkpoint | None: ...

    def block_hash(self, number: int) -> str | None: ...

    def events_between(
        self, after_block: int, up_to_block: int, only: Collection[tuple[str, str]] | None = None
    ) -> Iterable[LedgerEvent]:
        """Events with ``after_block < block <= up_to_block`` in chain order; with ``only``, just those whose
        (contract, event) pair is in it."""


class GraphObserver(Protocol):
    """Something kept up to date with the graph's changes as events are applied
    (:class:`ledger.analytics.metrics.running.RunningFigures`)."""

    def fact_added(self, u: str, v: str, data: dict[str, Any]) -> None:
        """The edge ``u -> v`` with attributes ``data`` was added (both nodes exist by then)."""

    def status_changed(self, address: str, node: dict[str, Any], admitted: bool) -> None:
        """``address``'s status changed (``admitted``, or suspended, reinstated, exited); ``node`` is its
        node's attributes after the change."""

    def reset(self) -> None:
        """The graph was emptied (to be rebuilt from the store after a reorganisation)."""


@dataclass
class _AgreementBook:
    """What the graph needs to know of an agreement to draw its value edges."""

    lead: str
    kind: str
    asset: str
    parties: list[str]
    shares: dict[str, int] = field(default_factory=dict)
    proposed_shares: dict[int, list[int]] = field(default_factory=dict)
    held: list[tuple[str, int]] = field(default_factory=list)
    period_credited: int = 0  # what the share period in force credited (ledger.protocol.sharing)
    proposed_ends: dict[int, int] = field(default_factory=dict)
    end: int = 0  # the end time in force; 0 until the agreement is active
    ended_at: int | None = None  # when it was terminated

    def credit(self, amount: int) -> dict[str, int]:
        """What each party is credited for ``amount``, as the contract credits it."""
        credits = credit_increments(self.period_credited, amount, self.shares)
        self.period_credited += amount
        return credits


def attribute_release(
    contributions: list[tuple[str, int]], credits: dict[str, int]
) -> list[tuple[int, str, int]]:
    """Attribute a released amount's credits back to the held deposits it is made of.

    ``contributions`` are the held deposits ``(contributor, amount)`` in order; ``credits`` what each party
    was credited for their total (the contract credits the total as one amount). Returns ``(deposit index,
    party, amount)`` triples: each deposit's part in proportion to its amount (rounded down), the rounding
    left over placed in order so that every deposit's parts sum to its amount and every party's parts to its
    credit, exactly. Zero parts are left out.

    Example
    -------
    >>> attribute_release([("x", 30_000), ("y", 10_000)], {"a": 20_000, "b": 20_000})
    [(0, 'a', 15000), (0, 'b', 15000), (1, 'a', 5000), (1, 'b', 5000)]
    """
    total = sum(amount for _, amount in contributions)
    if total == 0:
        return []
    parties = list(credits)
    parts = [[amount * credits[party] // total for party in parties] for _, amount in contributions]
    row_left = [amount - sum(row) for (_, amount), row in zip(contributions, parts, strict=True)]
    column_left = [credits[party] - sum(row[j] for row in parts) for j, party in enumerate(parties)]
    i = j = 0
    while i < len(parts) and j < len(parties):  # north-west corner over what rounding left
        moved = min(row_left[i], column_left[j])
        parts[i][j] += moved
        row_left[i] -= moved
        column_left[j] -= moved
        if row_left[i] == 0:
            i += 1
        if column_left[j] == 0:
            j += 1
    return [
        (i, party, parts[i][j]) for i in range(len(parts)) for j, party in enumerate(parties) if parts[i][j]
    ]


def status_at(node: dict[str, Any], block: int) -> str:
    """A node's status at ``block``, from its ``status_history`` (``external`` for a non-member)."""
    status = "external"
    for changed_at, value in node.get("status_history", ()):
        if changed_at > block:
            break
        status = value
    return status


class LedgerGraph(EventFold):
    """The consortium's MultiDiGraph (:attr:`graph`), kept up to date from a store with :meth:`sync`.

    Parameters
    ----------
    kinds
        ``Agreements.Kind``'s members in order, in their one spelling
        (:meth:`ledger.protocol.manifest.ContractDeployment.enum_labels`).
    observer
        Told of every change (:class:`GraphObserver`), e.g. figures kept up to date one event at a time.
    keep_facts
        Whether the graph keeps its edges. A process that only needs ``observer``'s figures (the metrics
        worker) saves the memory of every fact ever recorded; :meth:`as_of` then holds the nodes only.
    """

    def __init__(
        self, kinds: Sequence[str], observer: GraphObserver | None = None, keep_facts: bool = True
    ) -> None:
        super().__init__(kinds)
        self.observer = observer
        self.keep_facts = keep_facts
        self.graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
        self.graph.graph["ratings"] = []
        self.graph.graph["renewals"] = []
        self._by_parties: dict[frozenset[str], list[int]] = {}  # active agreements, by their set of parties
        self.block = -1
        self.block_hash: str | None = None
        self._agreements: dict[int, _AgreementBook] = {}
        self._programs: dict[int, tuple[str, str]] = {}  # id -> (sponsor, asset)
        self._attributes: dict[str, dict[str, Any]] = {}  # address -> its node's attributes (the graph's)

    def _reset(self) -> None:
        self.__dict__.update(LedgerGraph(self.kinds, self.observer, self.keep_facts).__dict__)
        if self.observer is not None:
            self.observer.reset()

    @classmethod
    def from_events(cls, events: Iterable[LedgerEvent], kinds: Sequence[str]) -> LedgerGraph:
        """A graph built from ``events`` (in chain order) in one go."""
        built = cls(kinds)
        built.apply_all(events)
        return built

    def sync(self, source: EventSource) -> int:
        """Apply the events stored since the last sync; returns how many were applied (only the events this
        fold has handlers for are read: :meth:`events_read`).

        If the store no longer holds the block this graph was synced to (the indexer rolled a reorg back),
        the graph is rebuilt from the store's events.
        """
        point = source.checkpoint()
        if self.block >= 0 and (point is None or source.block_hash(self.block) != self.block_hash):
            self._reset()  # the store was rolled back below the block we had: start again
        if point is None or point.block_number <= self.block:
            return 0
        applied = 0
        for item in source.events_between(self.block, point.block_number, self.events_read()):
            self.apply(item)
            applied += 1
        self.block, self.block_hash = point.block_number, point.block_hash
        return applied

    def as_of(self, block: int) -> nx.MultiDiGraph[str]:
        """A read-only view of the graph at ``block``: nodes that had appeared, edges added by then."""
        return as_of_view(self.graph, block)

    # ------------------------------------------------------------------------------------------ events

    def _node(self, address: str, item: LedgerEvent) -> dict[str, Any]:
        attributes = self._attributes.get(address)  # a plain dict look-up: every fact meets two nodes
        if attributes is not None:
            return attributes
        if address not in self.graph:
            self.graph.add_node(
                address,
                member=False,
                name="",
                sector="",
                region="",
                status="external",
                status_history=[],
                status_times=[],
                joined_block=None,
                joined_at=None,
                first_block=item.block_number,
            )
        attributes = self._attributes[address] = self.graph.nodes[address]
        return attributes

    def _edge(
        self, u: str, v: str, key: str, kind: str, item: LedgerEvent, amount: int, **extra: Any
    ) -> None:
        self._node(u, item)
        self._node(v, item)
        data = {
            "kind": kind,
            "block": item.block_number,
            "timestamp": item.timestamp,
            "tx_hash": item.tx_hash,
            "amount": amount,
            **extra,
        }
        if self.keep_facts:
            self.graph.add_edge(u, v, key=key, **data)
        if self.observer is not None:
            self.observer.fact_added(u, v, data)

    def _status(self, item: LedgerEvent, status: str, admitted: bool = False) -> None:
        address = item.args["account"]
        node = self._node(address, item)
        node["status"] = status
        node["status_history"].append((item.block_number, status))
        node["status_times"].append(item.timestamp)
        if self.observer is not None:
            self.observer.status_changed(address, node, admitted)

    def on_member_admitted(self, item: LedgerEvent) -> None:
        args = item.args
        node = self._node(args["account"], item)
        node.update(
            member=True,
            name=args["name"],
            sector=decode_code(args["sector"]),
            region=decode_code(args["region"]),
            joined_block=item.block_number,
            joined_at=item.timestamp,
        )
        self._status(item, "active", admitted=True)

    def on_member_suspended(self, item: LedgerEvent) -> None:
        self._status(item, "suspended")

    def on_member_reinstated(self, item: LedgerEvent) -> None:
        self._status(item, "active")

    def on_member_exited(self, item: LedgerEvent) -> None:
        self._status(item, "exited")

    def on_agreement_proposed(self, item: LedgerEvent) -> None:
        args = item.args
        self._agreements[int(args["id"])] = _AgreementBook(
            lead=args["proposer"],
            kind=self.kind_label(int(args["kind"])),
            asset=args["asset"],
            parties=list(args["parties"]),
        )

    def on_version_proposed(self, item: LedgerEvent) -> None:
        book = self._agreements[int(item.args["id"])]
        version = int(item.args["version"])
        book.proposed_shares[version] = [int(share) for share in item.args["sharesBps"]]
        book.proposed_ends[version] = int(item.args["endTime"])

    def on_agreement_version_activated(self, item: LedgerEvent) -> None:
        agreement_id, version = int(item.args["id"]), int(item.args["version"])
        book = self._agreements[agreement_id]
        shares = dict(zip(book.parties, book.proposed_shares.pop(version), strict=True))
        if version != 1:  # the old period's dust opens the new one (a gain of < 1 unit each: no edge)
            _, book.period_credited = reshare(book.period_credited, book.shares, shares)
        book.shares = shares
        book.proposed_shares.clear()
        end, book.end = book.end, book.proposed_ends.pop(version, book.end)
        book.proposed_ends.clear()
        if version != 1:
            if book.end > end:
                self._renewed(item, agreement_id, "extension", agreement_id, book)
            return
        together = self._by_parties.setdefault(frozenset(book.parties), [])
        ended = [
            earlier
            for earlier in together
            if min(
                self._agreements[earlier].end,
                self._agreements[earlier].ended_at or self._agreements[earlier].end,
            )
            <= item.timestamp
        ]
        if ended:
            self._renewed(item, agreement_id, "successor", ended[-1], book)
        together.append(agreement_id)
        for u in book.parties:
            for v in book.parties:
                if u != v:
                    self._edge(
                        u,
                        v,
                        f"agreement:{agreement_id}",
                        "agreement",
                        item,
                        0,
                        agreement_id=agreement_id,
                        agreement_kind=book.kind,
                    )

    def on_revenue_deposited(self, item: LedgerEvent) -> None:
        agreement_id, amount = int(item.args["id"]), int(item.args["amount"])
        book = self._agreements[agreement_id]
        contributor = item.args["contributor"]
        if item.args["held"]:
            book.held.append((contributor, amount))
            return
        credits = book.credit(amount)
        for party in book.parties:
            if party != contributor and credits[party]:
                key = f"value:{item.tx_hash}:{item.log_index}"
                self._value_edge(contributor, party, key, item, credits[party], agreement_id)

    def _release(self, item: LedgerEvent) -> None:
        agreement_id = int(item.args["id"])
        book = self._agreements[agreement_id]
        released = int(item.args["releasedAmount"])
        held, book.held = book.held, []
        if not released:
            return
        credits = book.credit(released)
        for index, party, amount in attribute_release(held, credits):
            contributor = held[index][0]
            if party != contributor:
                key = f"value:{item.tx_hash}:{item.log_index}:{index}"
                self._value_edge(contributor, party, key, item, amount, agreement_id)

    on_dispute_resolved = _release
    on_dispute_released = _release

    def on_agreement_terminated(self, item: LedgerEvent) -> None:
        self._release(item)
        self._agreements[int(item.args["id"])].ended_at = item.timestamp

    def _renewed(
        self, item: LedgerEvent, agreement_id: int, how: str, previous: int, book: _AgreementBook
    ) -> None:
        self.graph.graph["renewals"].append(
            AgreementRenewal(
                item.block_number, item.timestamp, agreement_id, how, previous, tuple(book.parties)
            )
        )

    def _value_edge(self, u: str, v: str, key: str, item: LedgerEvent, amount: int, agreement: int) -> None:
        asset = self._agreements[agreement].asset
        self._edge(u, v, key, "value", item, amount, agreement_id=agreement, asset=asset)

    def on_referral_recorded(self, item: LedgerEvent) -> None:
        args = item.args
        key = f"referral:{_referral(args)}"
        program_id = int(args["programId"])
        asset = self._programs[program_id][1]
        self._edge(
            args["referrer"], args["sponsor"], key, "referral", item, 0, program_id=program_id, asset=asset
        )

    def on_conversion_confirmed(self, item: LedgerEvent) -> None:
        args = item.args
        self._edge(
            args["referrer"],
            args["sponsor"],
            f"conversion:{_referral(args)}",
            "conversion",
            item,
            int(args["conversionValue"]),
            program_id=int(args["programId"]),
            asset=self._programs[int(args["programId"])][1],
            reward=int(args["reward"]),
        )

    def on_voucher_redeemed(self, item: LedgerEvent) -> None:
        """A voucher is a conversion and its reward's payment, in one event."""
        self.on_conversion_confirmed(item)
        self._reward_edge(item, int(item.args["reward"]))

    def on_program_created(self, item: LedgerEvent) -> None:
        self._programs[int(item.args["programId"])] = (item.args["sponsor"], item.args["asset"])

    def on_reward_claimed(self, item: LedgerEvent) -> None:
        self._reward_edge(item, int(item.args["amount"]))

    def _reward_edge(self, item: LedgerEvent, amount: int) -> None:
        args = item.args
        sponsor, asset = self._programs[int(args["programId"])]
        self._edge(
            sponsor,
            args["referrer"],
            f"reward:{_referral(args)}",
            "reward",
            item,
            amount,
            program_id=int(args["programId"]),
            asset=asset,
        )

    def on_partner_rated(self, item: LedgerEvent) -> None:
        args = item.args
        self.graph.graph["ratings"].append(
            PartnerRating(
                block=item.block_number,
                log_index=item.log_index,
                timestamp=item.timestamp,
                agreement_id=int(args["agreementId"]),
                version=int(args["version"]),
                rater=args["rater"],
                ratee=args["ratee"],
                score=int(args["score"]),
                comment_hash=str(args["commentHash"]),
            )
        )


def _referral(args: dict[str, Any]) -> str:
    """The part of an edge key naming one referral: a referral is recorded under its referrer."""
    return f"{args['programId']}:{args['referrer']}:{args['commitment']}"
