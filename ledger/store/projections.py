"""Projections: the current state of members, assets, agreements, programs, referrals and partner ratings,
folded from events.

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
- Revenue is credited exactly as ``Agreements`` credits it (:mod:`ledger.protocol.sharing`): within a share
  period, a party's credit is the period's running total (``period_credited``) times its share, rounded down
  once; when an amendment's shares take effect, the old period's dust opens the new one. Deposits made while
  an agreement is disputed are ``held`` and credited, as one amount, when the dispute ends (resolved, or
  released once its window passed) or the agreement is terminated.
- Kinds and statuses are spelt as the contracts' enums, in snake case
  (:func:`ledger.protocol.facts.enum_label`): the agreement kinds come from the deployment (``kinds``); the
  statuses are the members of ``MemberStatus``, ``Agreements.Status`` and ``ReferralStatus`` each event
  moves to (a test checks them against the contracts).
- Statuses are the stored ones. ``expired`` is not an event: an active agreement or an open program whose end
  time has passed is expired, and readers derive that from ``end_time`` / ``expiry`` and the chain's time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from ledger.protocol.codes import decode_code
from ledger.protocol.events import EventFold
from ledger.protocol.sharing import credit_increments, reshare
from ledger.types import LedgerEvent

__all__ = ["TABLE_KEYS", "Projections", "ReferralKey", "referral_key", "referral_keys"]

Row = dict[str, Any]


ReferralKey = tuple[int, str, str]


def referral_key(args: dict[str, Any]) -> ReferralKey:
    """The key of the referral an event names: (program id, referrer, commitment)."""
    return (int(args["programId"]), args["referrer"], args["commitment"])


def referral_keys(events: Iterable[LedgerEvent]) -> set[ReferralKey]:
    """The referrals, as (program id, referrer, commitment), that folding ``events`` reads or writes."""
    return {
        referral_key(item.args)
        for item in events
        if item.contract == "ReferralRewards" and "commitment" in item.args
    }


class Projections(EventFold):
    """Projection rows keyed like their tables; :meth:`apply` folds one event in and marks what changed.

    Tables: ``members`` (by address), ``assets`` (the ERC-20s the members approved for payments, by
    address; revoked ones stay, with ``approved`` false), ``agreements`` (by id), ``agreement_parties`` (by
    agreement id and party; each party's current share and its credited and withdrawn balances),
    ``agreement_versions`` (by agreement id and version), ``programs`` (by id), ``referrals`` (by program
    id, referrer and commitment: a referral is recorded under its referrer, and two referrers may record the
    same commitment), ``ratings`` (by agreement id, version, rater and ratee: the newest rating counts).

    Parameters
    ----------
    kinds
        ``Agreements.Kind``'s members in order, in their one spelling
        (:meth:`ledger.protocol.manifest.ContractDeployment.enum_labels`).
    """

    TABLES = (
        "members",
        "assets",
        "agreements",
        "agreement_parties",
        "agreement_versions",
        "programs",
        "referrals",
        "ratings",
    )

    def __init__(self, kinds: Sequence[str]) -> None:
        super().__init__(kinds)
        self.members: dict[str, Row] = {}
        self.assets: dict[str, Row] = {}
        self.agreements: dict[int, Row] = {}
        self.agreement_parties: dict[tuple[int, str], Row] = {}
        self.agreement_versions: dict[tuple[int, int], Row] = {}
        self.programs: dict[int, Row] = {}
        self.referrals: dict[ReferralKey, Row] = {}
        self.ratings: dict[tuple[int, int, str, str], Row] = {}
        self.changed: defaultdict[str, set[Any]] = defaultdict(set)
        self._parties_by_agreement: dict[int, list[str]] = {}

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
        shares = {row["party"]: row["share_bps"] for row in parties}
        self._add_credits(
            agreement_id, parties, credit_increments(agreement["period_credited"], amount, shares)
        )
        agreement["period_credited"] += amount
        agreement["total_credited"] += amount

    def _add_credits(self, agreement_id: int, parties: list[Row], credits: dict[str, int]) -> None:
        changed = self.changed["agreement_parties"]
        for row in parties:
            if credits[row["party"]]:
                row["credited"] += credits[row["party"]]
                changed.add((agreement_id, row["party"]))

    # ---------------------------------------------------------------------------------------- members

    def on_member_admitted(self, item: LedgerEvent) -> None:
        args = item.args
        self._put(
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

    def on_member_suspended(self, item: LedgerEvent) -> None:
        self._member_status(item, "suspended")

    def on_member_reinstated(self, item: LedgerEvent) -> None:
        self._member_status(item, "active")

    def on_member_exited(self, item: LedgerEvent) -> None:
        self._member_status(item, "exited")

    def _member_status(self, item: LedgerEvent, status: str) -> None:
        row = self._touch("members", item.args["account"])
        row["status"] = status
        row["updated_block"] = item.block_number

    # ----------------------------------------------------------------------------------------- assets

    def on_asset_approved(self, item: LedgerEvent) -> None:
        address = item.args["asset"]
        if address not in self.assets:
            self._put("assets", address, {"address": address, "approved_block": item.block_number})
        self._asset_standing(item, approved=True)

    def on_asset_revoked(self, item: LedgerEvent) -> None:
        self._asset_standing(item, approved=False)

    def _asset_standing(self, item: LedgerEvent, approved: bool) -> None:
        row = self._touch("assets", item.args["asset"])
        row["approved"] = approved
        row["proposal_id"] = int(item.args["proposalId"])
        row["updated_block"] = item.block_number

    # ------------------------------------------------------------------------------------- agreements

    def on_agreement_proposed(self, item: LedgerEvent) -> None:
        args = item.args
        agreement_id = int(args["id"])
        self._put(
            "agreements",
            agreement_id,
            {
                "id": agreement_id,
                "lead": args["proposer"],
                "asset": args["asset"],
                "kind": self.kind_label(int(args["kind"])),
                "status": "proposed",
                "start_time": int(args["startTime"]),
                "end_time": None,
                "current_version": 0,
                "pending_version": 0,
                "total_deposited": 0,
                "total_credited": 0,
                "period_credited": 0,
                "total_withdrawn": 0,
                "held": 0,
                "proposed_block": item.block_number,
                "proposed_at": item.timestamp,
                "activated_block": None,
                "ended_block": None,
            },
        )
        for position, party in enumerate(args["parties"]):
            self._put(
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

    def on_version_proposed(self, item: LedgerEvent) -> None:
        args = item.args
        agreement_id, version = int(args["id"]), int(args["version"])
        agreement = self._touch("agreements", agreement_id)
        pending = agreement["pending_version"]
        if pending and pending != version:
            self._touch("agreement_versions", (agreement_id, pending))["status"] = "replaced"
        agreement["pending_version"] = version
        if version == 1:
            agreement["end_time"] = int(args["endTime"])
        self._put(
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

    def on_agreement_signed(self, item: LedgerEvent) -> None:
        key = (int(item.args["id"]), int(item.args["version"]))
        self._touch("agreement_versions", key)["signatures"] += 1

    def on_agreement_version_activated(self, item: LedgerEvent) -> None:
        agreement_id, version = int(item.args["id"]), int(item.args["version"])
        agreement = self._touch("agreements", agreement_id)
        if agreement["current_version"]:
            superseded = self._touch("agreement_versions", (agreement_id, agreement["current_version"]))
            superseded["status"] = "superseded"
        terms = self._touch("agreement_versions", (agreement_id, version))
        terms["status"] = "active"
        terms["activated_block"] = item.block_number
        agreement["current_version"] = version
        agreement["pending_version"] = 0
        agreement["end_time"] = terms["end_time"]
        if version == 1:
            agreement["status"] = "active"
            agreement["activated_block"] = item.block_number
        parties = self._parties_of(agreement_id)
        old = {row["party"]: row["share_bps"] for row in parties}
        new = dict(zip(old, terms["shares_bps"], strict=True))
        if version != 1:  # the old share period is settled; its dust opens the new one
            gains, agreement["period_credited"] = reshare(agreement["period_credited"], old, new)
            self._add_credits(agreement_id, parties, gains)
        for row in parties:
            self._touch("agreement_parties", (agreement_id, row["party"]))["share_bps"] = new[row["party"]]

    def on_dispute_raised(self, item: LedgerEvent) -> None:
        self._touch("agreements", int(item.args["id"]))["status"] = "disputed"

    def on_dispute_resolved(self, item: LedgerEvent) -> None:
        self._release(item, "active")

    def on_dispute_released(self, item: LedgerEvent) -> None:
        self._release(item, "active")

    def on_agreement_terminated(self, item: LedgerEvent) -> None:
        self._release(item, "terminated")

    def _release(self, item: LedgerEvent, status: str) -> None:
        agreement_id = int(item.args["id"])
        agreement = self._touch("agreements", agreement_id)
        released = int(item.args["releasedAmount"])
        agreement["status"] = status
        agreement["held"] -= released
        if released:
            self._credit(agreement_id, released)
        if status == "terminated":
            agreement["ended_block"] = item.block_number
            if agreement["pending_version"]:
                key = (agreement_id, agreement["pending_version"])
                self._touch("agreement_versions", key)["status"] = "lapsed"
                agreement["pending_version"] = 0

    def on_revenue_deposited(self, item: LedgerEvent) -> None:
        agreement_id, amount = int(item.args["id"]), int(item.args["amount"])
        agreement = self._touch("agreements", agreement_id)
        agreement["total_deposited"] += amount
        if item.args["held"]:
            agreement["held"] += amount
        else:
            self._credit(agreement_id, amount)

    def on_withdrawn(self, item: LedgerEvent) -> None:
        agreement_id, amount = int(item.args["id"]), int(item.args["amount"])
        self._touch("agreement_parties", (agreement_id, item.args["party"]))["withdrawn"] += amount
        self._touch("agreements", agreement_id)["total_withdrawn"] += amount

    # -------------------------------------------------------------------------------------- referrals

    def on_program_created(self, item: LedgerEvent) -> None:
        args = item.args
        program_id = int(args["programId"])
        self._put(
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

    def on_program_funded(self, item: LedgerEvent) -> None:
        self._touch("programs", int(item.args["programId"]))["funded"] += int(item.args["amount"])

    def on_budget_reclaimed(self, item: LedgerEvent) -> None:
        self._touch("programs", int(item.args["programId"]))["reclaimed"] += int(item.args["amount"])

    def on_program_closed(self, item: LedgerEvent) -> None:
        """Closed by the sponsor, or by anybody once the sponsor left (the event's ``by``)."""
        program = self._touch("programs", int(item.args["programId"]))
        program["status"] = "closed"
        program["closed_block"] = item.block_number

    def on_referral_recorded(self, item: LedgerEvent) -> None:
        args = item.args
        key = referral_key(args)
        self._touch("programs", key[0])["referrals"] += 1
        self._put(
            "referrals",
            key,
            {
                "program_id": key[0],
                "referrer": key[1],
                "commitment": key[2],
                "sponsor": args["sponsor"],
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

    def on_conversion_confirmed(self, item: LedgerEvent) -> None:
        self._confirm(item, via_voucher=False)

    def on_reward_claimed(self, item: LedgerEvent) -> None:
        self._claim(item, int(item.args["amount"]))

    def on_voucher_redeemed(self, item: LedgerEvent) -> None:
        """A voucher confirms the conversion and pays its reward in one event."""
        self._confirm(item, via_voucher=True)
        self._claim(item, int(item.args["reward"]))

    def _confirm(self, item: LedgerEvent, *, via_voucher: bool) -> None:
        args = item.args
        key = referral_key(args)
        reward = int(args["reward"])
        program = self._touch("programs", key[0])
        program["reserved"] += reward
        program["conversions"] += 1
        referral = self._touch("referrals", key)
        referral.update(
            status="confirmed",
            conversion_value=int(args["conversionValue"]),
            reward=reward,
            via_voucher=via_voucher,
            confirmed_block=item.block_number,
        )

    def _claim(self, item: LedgerEvent, amount: int) -> None:
        key = referral_key(item.args)
        program = self._touch("programs", key[0])
        program["reserved"] -= amount
        program["paid"] += amount
        referral = self._touch("referrals", key)
        referral["status"] = "claimed"
        referral["claimed_block"] = item.block_number

    # ---------------------------------------------------------------------------------------- ratings

    def on_partner_rated(self, item: LedgerEvent) -> None:
        """The newest rating of a (agreement, version, rater, ratee) replaces the one before: the whole row
        comes from the event, so no stored row is read first."""
        args = item.args
        key = (int(args["agreementId"]), int(args["version"]), args["rater"], args["ratee"])
        self._put(
            "ratings",
            key,
            {
                "agreement_id": key[0],
                "version": key[1],
                "rater": key[2],
                "ratee": key[3],
                "score": int(args["score"]),
                "comment_hash": args["commentHash"],
                "rated_block": item.block_number,
                "rated_at": item.timestamp,
            },
        )


#: The primary-key columns of each projection table.
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "members": ("address",),
    "assets": ("address",),
    "agreements": ("id",),
    "agreement_parties": ("agreement_id", "party"),
    "agreement_versions": ("agreement_id", "version"),
    "programs": ("id",),
    "referrals": ("program_id", "referrer", "commitment"),
    "ratings": ("agreement_id", "version", "rater", "ratee"),
}
