"""Projections: the current state of members, agreements, programs and referrals, folded from events.

The events table is the source of truth; projections are a convenience derived from it, always in the
same database transaction as the events they fold (see :meth:`ledger.store.Store.commit_prepared`), and
rebuilt from the remaining events after a reorg. This module is the fold itself, pure Python with no
database: :class:`Projections` holds rows as dictionaries keyed like their tables, :meth:`Projections.apply`
applies one event, and :func:`referral_keys` says which referrals a batch of events touches (the store keeps
the other tables, which grow with the consortium and not with its activity, in memory while it writes, and
loads referrals by key).

Conventions
-----------
- Amounts are integers in the asset's smallest unit.
- Revenue is credited exactly as ``Agreements`` credits it (:func:`split_credit`): ``amount // 10 000`` per
  basis point of each party's share in the version in force, plus ``amount % 10 000`` to the lead party (the
  proposer). Deposits made while an agreement is disputed are ``held`` and credited, as one amount, when the
  dispute is resolved or the agreement terminated.
- Statuses are the stored ones. ``expired`` is not an event: an active agreement or an open program whose end
  time has passed is expired, and readers derive that from ``end_time`` / ``expiry`` and the chain's time.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger.codes import decode_code
from ledger.types import LedgerEvent

__all__ = [
    "AGREEMENT_KINDS",
    "BPS",
    "FOLDED_EVENTS",
    "TABLE_KEYS",
    "Projections",
    "referral_keys",
    "split_credit",
]

log = logging.getLogger("coopledger.projections")

BPS = 10_000

#: ``Agreements.Kind`` in declaration order.
AGREEMENT_KINDS = (
    "joint_marketing",
    "resource_pooling",
    "referral_partnership",
    "co_development",
    "shared_platform",
    "supply",
    "other",
)

Row = dict[str, Any]


def split_credit(amount: int, shares: Mapping[str, int], lead: str) -> dict[str, int]:
    """Each party's credit for ``amount``: ``amount // 10 000 * share``, plus the remainder to ``lead``.

    ``shares`` maps each party to its share in basis points (summing to 10 000), so the credits sum to
    ``amount`` exactly. This is the rule ``Agreements`` applies on chain.

    Example
    -------
    >>> split_credit(10_007, {"a": 6_000, "b": 4_000}, lead="a")
    {'a': 6007, 'b': 4000}
    """
    per_bps, remainder = divmod(amount, BPS)
    credits = {party: per_bps * share for party, share in shares.items()}
    credits[lead] = credits.get(lead, 0) + remainder
    return credits


def referral_keys(events: Iterable[LedgerEvent]) -> set[tuple[int, str]]:
    """The referrals, as (program id, commitment), that folding ``events`` reads or writes."""
    return {
        (int(item.args["programId"]), item.args["commitment"])
        for item in events
        if item.contract == "ReferralRewards" and "commitment" in item.args
    }


@dataclass
class Projections:
    """Projection rows keyed like their tables; :meth:`apply` folds one event in and marks what changed.

    Tables: ``members`` (by address), ``agreements`` (by id), ``agreement_parties`` (by agreement id and
    party; each party's current share and its credited and withdrawn balances), ``agreement_versions`` (by
    agreement id and version), ``programs`` (by id), ``referrals`` (by program id and commitment).
    """

    members: dict[str, Row] = field(default_factory=dict)
    agreements: dict[int, Row] = field(default_factory=dict)
    agreement_parties: dict[tuple[int, str], Row] = field(default_factory=dict)
    agreement_versions: dict[tuple[int, int], Row] = field(default_factory=dict)
    programs: dict[int, Row] = field(default_factory=dict)
    referrals: dict[tuple[int, str], Row] = field(default_factory=dict)
    changed: defaultdict[str, set[Any]] = field(default_factory=lambda: defaultdict(set))
    anomalies: list[tuple[LedgerEvent, str]] = field(default_factory=list)
    _parties_by_agreement: dict[int, list[str]] = field(default_factory=dict, repr=False)

    TABLES = (
        "members",
        "agreements",
        "agreement_parties",
        "agreement_versions",
        "programs",
        "referrals",
    )

    def apply(self, item: LedgerEvent) -> None:
        """Fold one event in. Events must come in chain order; events no projection needs change nothing.

        An event about an agreement, program or referral the projections have never seen cannot happen on a
        chain the contracts wrote (they refuse such calls); if the store holds one anyway (say, a manifest
        whose start block is too late), it is logged as a warning and kept in :attr:`anomalies`, and
        indexing goes on.
        """
        handler = _HANDLERS.get((item.contract, item.event))
        if handler is None:
            return
        try:
            handler(self, item)
        except KeyError as missing:
            reason = f"{item.contract}.{item.event} refers to {missing} which no earlier event created"
            self.anomalies.append((item, reason))
            log.warning("projection anomaly tx=%s log=%d: %s", item.tx_hash, item.log_index, reason)

    def apply_all(self, events: Iterable[LedgerEvent]) -> None:
        """Fold ``events`` in, in the order given (chain order)."""
        for item in events:
            self.apply(item)

    def load(self, table: str, rows: Iterable[Row]) -> None:
        """Hold stored ``rows`` of ``table`` (as read from the store) without marking them changed."""
        key_columns = TABLE_KEYS[table]
        for row in rows:
            key = row[key_columns[0]] if len(key_columns) == 1 else tuple(row[c] for c in key_columns)
            getattr(self, table)[key] = row
            if table == "agreement_parties":
                self._index_party(row)

    def changed_rows(self, table: str) -> list[Row]:
        """The rows of ``table`` created or changed since this object was made."""
        rows: dict[Any, Row] = getattr(self, table)
        return [rows[key] for key in sorted(self.changed.get(table, ()))]

    def all_rows(self, table: str) -> list[Row]:
        """Every row of ``table`` held here, in key order."""
        rows: dict[Any, Row] = getattr(self, table)
        return [rows[key] for key in sorted(rows)]

    # ------------------------------------------------------------------------------------------ helpers

    def _touch(self, table: str, key: Any) -> Row:
        row: Row = getattr(self, table)[key]
        self.changed[table].add(key)
        return row

    def _put(self, table: str, key: Any, row: Row) -> None:
        getattr(self, table)[key] = row
        self.changed[table].add(key)
        if table == "agreement_parties":
            self._index_party(row)

    def _index_party(self, row: Row) -> None:
        parties = self._parties_by_agreement.setdefault(row["agreement_id"], [])
        if row["party"] not in parties:
            parties.append(row["party"])
            parties.sort(key=lambda party: self.agreement_parties[(row["agreement_id"], party)]["position"])

    def _parties_of(self, agreement_id: int) -> list[Row]:
        return [
            self.agreement_parties[(agreement_id, party)]
            for party in self._parties_by_agreement.get(agreement_id, ())
        ]

    def _credit(self, agreement_id: int, amount: int) -> None:
        agreement = self._touch("agreements", agreement_id)
        parties = self._parties_of(agreement_id)
        credits = split_credit(amount, {row["party"]: row["share_bps"] for row in parties}, agreement["lead"])
        changed = self.changed["agreement_parties"]
        for row in parties:
            row["credited"] += credits[row["party"]]
            changed.add((agreement_id, row["party"]))
        agreement["total_credited"] += amount


# ---------------------------------------------------------------------------------------------- members


def _member_admitted(state: Projections, item: LedgerEvent) -> None:
    args = item.args
    state._put(
        "members",
        args["account"],
        {
            "address": args["account"],
            "name": args["name"],
            "sector": decode_code(args["sector"]),
            "region": decode_code(args["region"]),
            "status": "active",
            "admission_proposal": int(args["proposalId"]),
            "joined_block": item.block_number,
            "joined_at": item.timestamp,
            "updated_block": item.block_number,
        },
    )


def _member_status(status: str) -> Callable[[Projections, LedgerEvent], None]:
    def handler(state: Projections, item: LedgerEvent) -> None:
        row = state._touch("members", item.args["account"])
        row["status"] = status
        row["updated_block"] = item.block_number

    return handler


# ------------------------------------------------------------------------------------------- agreements


def _agreement_proposed(state: Projections, item: LedgerEvent) -> None:
    args = item.args
    agreement_id = int(args["id"])
    state._put(
        "agreements",
        agreement_id,
        {
            "id": agreement_id,
            "lead": args["proposer"],
            "asset": args["asset"],
            "kind": AGREEMENT_KINDS[int(args["kind"])],
            "status": "proposed",
            "start_time": int(args["startTime"]),
            "end_time": None,
            "current_version": 0,
            "pending_version": 0,
            "total_deposited": 0,
            "total_credited": 0,
            "total_withdrawn": 0,
            "held": 0,
            "proposed_block": item.block_number,
            "proposed_at": item.timestamp,
            "activated_block": None,
            "ended_block": None,
        },
    )
    for position, party in enumerate(args["parties"]):
        state._put(
            "agreement_parties",
            (agreement_id, party),
            {
                "agreement_id": agreement_id,
                "party": party,
                "position": position,
                "is_lead": party == args["proposer"],
                "share_bps": 0,
                "credited": 0,
                "withdrawn": 0,
            },
        )


def _version_proposed(state: Projections, item: LedgerEvent) -> None:
    args = item.args
    agreement_id, version = int(args["id"]), int(args["version"])
    agreement = state._touch("agreements", agreement_id)
    pending = agreement["pending_version"]
    if pending and pending != version:
        state._touch("agreement_versions", (agreement_id, pending))["status"] = "replaced"
    agreement["pending_version"] = version
    if version == 1:
        agreement["end_time"] = int(args["endTime"])
    state._put(
        "agreement_versions",
        (agreement_id, version),
        {
            "agreement_id": agreement_id,
            "version": version,
            "proposer": args["party"],
            "shares_bps": [int(share) for share in args["sharesBps"]],
            "terms_hash": args["termsHash"],
            "uri": args["uri"],
            "end_time": int(args["endTime"]),
            "status": "pending",
            "signatures": 0,
            "proposed_block": item.block_number,
            "activated_block": None,
        },
    )


def _agreement_signed(state: Projections, item: LedgerEvent) -> None:
    key = (int(item.args["id"]), int(item.args["version"]))
    state._touch("agreement_versions", key)["signatures"] += 1


def _version_activated(state: Projections, item: LedgerEvent) -> None:
    agreement_id, version = int(item.args["id"]), int(item.args["version"])
    agreement = state._touch("agreements", agreement_id)
    if agreement["current_version"]:
        state._touch("agreement_versions", (agreement_id, agreement["current_version"]))["status"] = (
            "superseded"
        )
    terms = state._touch("agreement_versions", (agreement_id, version))
    terms["status"] = "active"
    terms["activated_block"] = item.block_number
    agreement["current_version"] = version
    agreement["pending_version"] = 0
    agreement["end_time"] = terms["end_time"]
    if version == 1:
        agreement["status"] = "active"
        agreement["activated_block"] = item.block_number
    for row, share in zip(state._parties_of(agreement_id), terms["shares_bps"], strict=True):
        state._touch("agreement_parties", (agreement_id, row["party"]))["share_bps"] = share


def _dispute_raised(state: Projections, item: LedgerEvent) -> None:
    state._touch("agreements", int(item.args["id"]))["status"] = "disputed"


def _released(status: str) -> Callable[[Projections, LedgerEvent], None]:
    def handler(state: Projections, item: LedgerEvent) -> None:
        agreement_id = int(item.args["id"])
        agreement = state._touch("agreements", agreement_id)
        released = int(item.args["releasedAmount"])
        agreement["status"] = status
        agreement["held"] -= released
        if released:
            state._credit(agreement_id, released)
        if status == "terminated":
            agreement["ended_block"] = item.block_number
            if agreement["pending_version"]:
                key = (agreement_id, agreement["pending_version"])
                state._touch("agreement_versions", key)["status"] = "lapsed"
                agreement["pending_version"] = 0

    return handler


def _revenue_deposited(state: Projections, item: LedgerEvent) -> None:
    agreement_id, amount = int(item.args["id"]), int(item.args["amount"])
    agreement = state._touch("agreements", agreement_id)
    agreement["total_deposited"] += amount
    if item.args["held"]:
        agreement["held"] += amount
    else:
        state._credit(agreement_id, amount)


def _withdrawn(state: Projections, item: LedgerEvent) -> None:
    agreement_id, amount = int(item.args["id"]), int(item.args["amount"])
    state._touch("agreement_parties", (agreement_id, item.args["party"]))["withdrawn"] += amount
    state._touch("agreements", agreement_id)["total_withdrawn"] += amount


# ------------------------------------------------------------------------------------------- referrals


def _program_created(state: Projections, item: LedgerEvent) -> None:
    args = item.args
    program_id = int(args["programId"])
    state._put(
        "programs",
        program_id,
        {
            "id": program_id,
            "sponsor": args["sponsor"],
            "asset": args["asset"],
            "fixed_reward": int(args["fixedReward"]),
            "reward_bps": int(args["rewardBps"]),
            "cap": int(args["cap"]),
            "per_referrer_cap": int(args["perReferrerCap"]),
            "expiry": int(args["expiry"]),
            "status": "open",
            "funded": 0,
            "reserved": 0,
            "paid": 0,
            "reclaimed": 0,
            "referrals": 0,
            "conversions": 0,
            "created_block": item.block_number,
            "created_at": item.timestamp,
            "closed_block": None,
        },
    )


def _program_amount(column: str) -> Callable[[Projections, LedgerEvent], None]:
    def handler(state: Projections, item: LedgerEvent) -> None:
        state._touch("programs", int(item.args["programId"]))[column] += int(item.args["amount"])

    return handler


def _program_closed(state: Projections, item: LedgerEvent) -> None:
    program = state._touch("programs", int(item.args["programId"]))
    program["status"] = "closed"
    program["closed_block"] = item.block_number


def _referral_recorded(state: Projections, item: LedgerEvent) -> None:
    args = item.args
    key = (int(args["programId"]), args["commitment"])
    state._touch("programs", key[0])["referrals"] += 1
    state._put(
        "referrals",
        key,
        {
            "program_id": key[0],
            "commitment": key[1],
            "sponsor": args["sponsor"],
            "referrer": args["referrer"],
            "status": "recorded",
            "conversion_value": None,
            "reward": None,
            "via_voucher": None,
            "recorded_block": item.block_number,
            "recorded_at": item.timestamp,
            "confirmed_block": None,
            "claimed_block": None,
        },
    )


def _conversion_confirmed(state: Projections, item: LedgerEvent) -> None:
    args = item.args
    key = (int(args["programId"]), args["commitment"])
    reward = int(args["reward"])
    program = state._touch("programs", key[0])
    program["reserved"] += reward
    program["conversions"] += 1
    referral = state._touch("referrals", key)
    referral.update(
        status="confirmed",
        conversion_value=int(args["conversionValue"]),
        reward=reward,
        via_voucher=bool(args["viaVoucher"]),
        confirmed_block=item.block_number,
    )


def _reward_claimed(state: Projections, item: LedgerEvent) -> None:
    args = item.args
    key = (int(args["programId"]), args["commitment"])
    amount = int(args["amount"])
    program = state._touch("programs", key[0])
    program["reserved"] -= amount
    program["paid"] += amount
    referral = state._touch("referrals", key)
    referral["status"] = "claimed"
    referral["claimed_block"] = item.block_number


_HANDLERS: dict[tuple[str, str], Callable[[Projections, LedgerEvent], None]] = {
    ("Consortium", "MemberAdmitted"): _member_admitted,
    ("Consortium", "MemberSuspended"): _member_status("suspended"),
    ("Consortium", "MemberReinstated"): _member_status("active"),
    ("Consortium", "MemberExited"): _member_status("exited"),
    ("Agreements", "AgreementProposed"): _agreement_proposed,
    ("Agreements", "VersionProposed"): _version_proposed,
    ("Agreements", "AgreementSigned"): _agreement_signed,
    ("Agreements", "AgreementVersionActivated"): _version_activated,
    ("Agreements", "DisputeRaised"): _dispute_raised,
    ("Agreements", "DisputeResolved"): _released("active"),
    ("Agreements", "AgreementTerminated"): _released("terminated"),
    ("Agreements", "RevenueDeposited"): _revenue_deposited,
    ("Agreements", "Withdrawn"): _withdrawn,
    ("ReferralRewards", "ProgramCreated"): _program_created,
    ("ReferralRewards", "ProgramFunded"): _program_amount("funded"),
    ("ReferralRewards", "BudgetReclaimed"): _program_amount("reclaimed"),
    ("ReferralRewards", "ProgramClosed"): _program_closed,
    ("ReferralRewards", "ReferralRecorded"): _referral_recorded,
    ("ReferralRewards", "ConversionConfirmed"): _conversion_confirmed,
    ("ReferralRewards", "RewardClaimed"): _reward_claimed,
}


#: The primary-key columns of each projection table.
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "members": ("address",),
    "agreements": ("id",),
    "agreement_parties": ("agreement_id", "party"),
    "agreement_versions": ("agreement_id", "version"),
    "programs": ("id",),
    "referrals": ("program_id", "commitment"),
}

#: The (contract, event) pairs the projections fold; any other event leaves them as they are.
FOLDED_EVENTS = frozenset(_HANDLERS)
