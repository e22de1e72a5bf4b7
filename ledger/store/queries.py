"""Read-side queries over the store for the API: filtered lists in pages, details, and the audit history.

Every list is ordered by its key and paged by keyset: a page ends at the key of its last row, and the next
page starts strictly after that key (``after``), so pages stay consistent while the indexer appends rows.
Queries are SQLAlchemy Core, portable between SQLite and PostgreSQL (row-value comparison for the keyset).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, exists, func, or_, select, tuple_

from ledger.store.schema import (
    agreement_parties,
    agreement_versions,
    agreements,
    asset_metadata,
    assets,
    blocks,
    events,
    members,
    programs,
    referrals,
)

__all__ = [
    "EventFilter",
    "Page",
    "acquisition_costs",
    "agreement_detail",
    "agreement_page",
    "asset_page",
    "blocks_with_events",
    "disputes_to_vote",
    "event_count",
    "event_rows",
    "events_between",
    "events_in_blocks",
    "events_up_to",
    "every_asset",
    "member_agreements",
    "member_detail",
    "member_page",
    "program_detail",
    "program_page",
    "programs_created_by",
    "proposals_to_vote",
    "referral_detail",
    "referral_page",
    "versions_to_sign",
]

Row = dict[str, Any]
Conditions = Sequence[ColumnElement[bool]]


@dataclass(frozen=True)
class Page:
    """One page of a list: its ``rows``, the ``count`` of rows matching the filters over every page, and the
    key to pass as ``after`` for the next page (None on the last page)."""

    rows: list[Row]
    count: int
    next_key: tuple[Any, ...] | None


def _equal(*pairs: tuple[ColumnElement[Any], Any]) -> list[ColumnElement[bool]]:
    """``column == value`` for each pair whose value is given (a filter left out is None)."""
    return [column == value for column, value in pairs if value is not None]


def _page(
    connection: Connection,
    query: Select[Any],
    keys: Sequence[ColumnElement[Any]],
    conditions: Conditions,
    after: Sequence[Any] | None,
    limit: int,
) -> Page:
    """Rows of ``query`` matching ``conditions``, ordered by ``keys``, the first ``limit`` after ``after``,
    with the count of every matching row."""
    count_query = select(func.count()).select_from(query.where(and_(True, *conditions)).subquery())
    count = int(connection.execute(count_query).scalar_one())
    rows, next_key = _rows(connection, query, keys, conditions, after, limit)
    return Page(rows, count, next_key)


def _rows(
    connection: Connection,
    query: Select[Any],
    keys: Sequence[ColumnElement[Any]],
    conditions: Conditions,
    after: Sequence[Any] | None,
    limit: int,
) -> tuple[list[Row], tuple[Any, ...] | None]:
    """The first ``limit`` rows of ``query`` matching ``conditions`` after the key ``after`` in ``keys``
    order, and the key of the last one (None when no row follows): one walk of the keys' index."""
    where = and_(True, *conditions)
    if after is not None:
        bound = keys[0] > after[0] if len(keys) == 1 else tuple_(*keys) > tuple_(*after)
        where = and_(where, bound)
    rows = [
        dict(row._mapping) for row in connection.execute(query.where(where).order_by(*keys).limit(limit + 1))
    ]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, tuple(rows[-1][key.name] for key in keys) if more else None


# --------------------------------------------------------------------------------------------- members


def member_page(
    connection: Connection,
    *,
    status: str | None = None,
    sector: str | None = None,
    region: str | None = None,
    after: Sequence[Any] | None = None,
    limit: int = 50,
) -> Page:
    """Members ordered by address, filtered by status, sector and region (each optional)."""
    conditions = _equal(
        (members.c.status, status),
        (members.c.sector, sector),
        (members.c.region, region),
    )
    return _page(connection, select(members), [members.c.address], conditions, after, limit)


def asset_page(
    connection: Connection,
    *,
    approved: bool | None = None,
    after: Sequence[Any] | None = None,
    limit: int = 50,
) -> Page:
    """The ERC-20 assets the members ever approved for payments, ordered by address, with the symbol, name and
    decimals their contracts answered (None until read, or where a token lacks them); ``approved`` keeps
    only those approved now (True) or revoked (False)."""
    conditions = _equal((assets.c.approved, approved))
    query = select(
        assets, asset_metadata.c.symbol, asset_metadata.c.name, asset_metadata.c.decimals
    ).select_from(assets.outerjoin(asset_metadata, asset_metadata.c.address == assets.c.address))
    return _page(connection, query, [assets.c.address], conditions, after, limit)


def every_asset(connection: Connection) -> list[Row]:
    """Every asset of :func:`asset_page` (there are few: each is a vote of the members), by address."""
    return asset_page(connection, limit=2**31).rows


def member_detail(connection: Connection, address: str) -> Row | None:
    """The member at checksummed ``address``, or None."""
    row = connection.execute(select(members).where(members.c.address == address)).first()
    return None if row is None else dict(row._mapping)


def member_agreements(connection: Connection, address: str) -> list[Row]:
    """The agreements ``address`` is a party to, with its share and balances in each, by agreement id."""
    query = (
        select(
            agreements.c.id,
            agreements.c.kind,
            agreements.c.status,
            agreements.c.asset,
            agreements.c.start_time,
            agreements.c.current_version,
            agreement_parties.c.share_bps,
            agreement_parties.c.credited,
            agreement_parties.c.withdrawn,
        )
        .join(agreement_parties, agreement_parties.c.agreement_id == agreements.c.id)
        .where(agreement_parties.c.party == address)
        .order_by(agreements.c.id)
    )
    return [dict(row._mapping) for row in connection.execute(query)]


# ------------------------------------------------------------------------------------------ agreements


def agreement_page(
    connection: Connection,
    *,
    status: str | None = None,
    kind: str | None = None,
    party: str | None = None,
    asset: str | None = None,
    active_at: int | None = None,
    after: Sequence[Any] | None = None,
    limit: int = 50,
) -> Page:
    """Agreements ordered by id, filtered by status, kind, a party (checksummed), asset, and being active at
    block ``active_at`` (signed by every party by then, not terminated by then); each row with its
    ``parties`` (see :func:`agreement_detail`)."""
    conditions: list[ColumnElement[bool]] = _equal(
        (agreements.c.status, status),
        (agreements.c.kind, kind),
        (agreements.c.asset, asset),
    )
    if active_at is not None:
        conditions.append(agreements.c.activated_block <= active_at)
        conditions.append(or_(agreements.c.ended_block.is_(None), agreements.c.ended_block > active_at))
    if party is not None:
        conditions.append(
            exists().where(
                agreement_parties.c.agreement_id == agreements.c.id, agreement_parties.c.party == party
            )
        )
    page = _page(connection, select(agreements), [agreements.c.id], conditions, after, limit)
    parties = _parties_of(connection, [row["id"] for row in page.rows])
    for row in page.rows:
        row["parties"] = parties.get(row["id"], [])
    return page


def agreement_detail(connection: Connection, agreement_id: int) -> Row | None:
    """Agreement ``agreement_id`` with its ``parties`` (share and balances, in signing order) and every
    ``versions`` row, or None."""
    row = connection.execute(select(agreements).where(agreements.c.id == agreement_id)).first()
    if row is None:
        return None
    found = dict(row._mapping)
    found["parties"] = _parties_of(connection, [agreement_id]).get(agreement_id, [])
    versions = select(agreement_versions).where(agreement_versions.c.agreement_id == agreement_id)
    found["versions"] = [
        dict(version._mapping)
        for version in connection.execute(versions.order_by(agreement_versions.c.version))
    ]
    return found


def _parties_of(connection: Connection, ids: Sequence[int]) -> dict[int, list[Row]]:
    if not ids:
        return {}
    query = (
        select(agreement_parties)
        .where(agreement_parties.c.agreement_id.in_(ids))
        .order_by(agreement_parties.c.agreement_id, agreement_parties.c.position)
    )
    found: dict[int, list[Row]] = {}
    for row in connection.execute(query):
        found.setdefault(row.agreement_id, []).append(dict(row._mapping))
    return found


# ------------------------------------------------------------------------------------------- referrals


def program_page(
    connection: Connection,
    *,
    sponsor: str | None = None,
    status: str | None = None,
    asset: str | None = None,
    after: Sequence[Any] | None = None,
    limit: int = 50,
) -> Page:
    """Referral programs ordered by id, filtered by sponsor (checksummed), status and asset."""
    conditions = _equal(
        (programs.c.sponsor, sponsor),
        (programs.c.status, status),
        (programs.c.asset, asset),
    )
    return _page(connection, select(programs), [programs.c.id], conditions, after, limit)


def programs_created_by(connection: Connection, block: int) -> dict[int, str]:
    """The referral programs created at or before ``block``: id -> reward asset, by id."""
    query = select(programs.c.id, programs.c.asset).where(programs.c.created_block <= block)
    return {row.id: row.asset for row in connection.execute(query.order_by(programs.c.id))}


def acquisition_costs(connection: Connection, block: int) -> dict[int, int]:
    """Each program's acquisition cost as its sponsor last stated it at or before ``block``
    (``AcquisitionCostSet``), by program id; programs that never stated one are left out."""
    query = (
        select(events.c.args)
        .where(
            events.c.contract == "ReferralRewards",
            events.c.event == "AcquisitionCostSet",
            events.c.block_number <= block,
        )
        .order_by(events.c.block_number, events.c.log_index)
    )
    return {int(row.args["programId"]): int(row.args["cost"]) for row in connection.execute(query)}


def program_detail(connection: Connection, program_id: int) -> Row | None:
    """Program ``program_id``, or None."""
    row = connection.execute(select(programs).where(programs.c.id == program_id)).first()
    return None if row is None else dict(row._mapping)


def referral_page(
    connection: Connection,
    *,
    program_id: int | None = None,
    referrer: str | None = None,
    sponsor: str | None = None,
    status: str | None = None,
    after: Sequence[Any] | None = None,
    limit: int = 50,
) -> Page:
    """Referrals ordered by (program id, referrer, commitment), filtered by program, referrer, sponsor and
    status."""
    conditions = _equal(
        (referrals.c.program_id, program_id),
        (referrals.c.referrer, referrer),
        (referrals.c.sponsor, sponsor),
        (referrals.c.status, status),
    )
    keys = [referrals.c.program_id, referrals.c.referrer, referrals.c.commitment]
    return _page(connection, select(referrals), keys, conditions, after, limit)


def referral_detail(connection: Connection, program_id: int, referrer: str, commitment: str) -> Row | None:
    """``referrer``'s referral of ``commitment`` (lower-case hex) in program ``program_id``, or None."""
    query = select(referrals).where(
        referrals.c.program_id == program_id,
        referrals.c.referrer == referrer,
        referrals.c.commitment == commitment,
    )
    row = connection.execute(query).first()
    return None if row is None else dict(row._mapping)


# --------------------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class EventFilter:
    """Which events of the audit history to list: by contract name, event name, a party's address (any
    address among the arguments), and an inclusive block range."""

    contract: str | None = None
    event: str | None = None
    address: str | None = None
    from_block: int | None = None
    to_block: int | None = None
    conditions: list[ColumnElement[bool]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        conditions: list[ColumnElement[bool]] = []
        if self.contract is not None:
            conditions.append(events.c.contract == self.contract)
        if self.event is not None:
            conditions.append(events.c.event == self.event)
        if self.address is not None:
            conditions.append(events.c.parties.contains(f"|{self.address.lower()}|", autoescape=True))
        if self.from_block is not None:
            conditions.append(events.c.block_number >= self.from_block)
        if self.to_block is not None:
            conditions.append(events.c.block_number <= self.to_block)
        object.__setattr__(self, "conditions", conditions)

    def within(self, first: int, last: int) -> EventFilter:
        """This filter narrowed to blocks ``first..last`` as well."""
        low = first if self.from_block is None else max(first, self.from_block)
        high = last if self.to_block is None else min(last, self.to_block)
        return replace(self, from_block=low, to_block=high)

    @property
    def key(self) -> tuple[object, ...]:
        """The filter as a hashable key (for caches)."""
        return (self.contract, self.event, self.address, self.from_block, self.to_block)


_EVENT_COLUMNS = (
    events.c.block_number,
    events.c.log_index,
    events.c.block_hash,
    blocks.c.timestamp,
    events.c.tx_hash,
    events.c.tx_index,
    events.c.address,
    events.c.contract,
    events.c.event,
    events.c.args,
)


def _event_query() -> Select[Any]:
    return select(*_EVENT_COLUMNS).join(blocks, blocks.c.number == events.c.block_number)


def event_rows(
    connection: Connection, selection: EventFilter, after: Sequence[Any] | None = None, limit: int = 50
) -> tuple[list[Row], tuple[Any, ...] | None]:
    """One page of the audit history: the stored events matching ``selection`` in chain order (block, log
    index) after the key ``after``, each with its block number and hash, block timestamp, tx hash and index,
    log index, contract address and name, event name and decoded arguments; and the key after the last one
    (None on the last page). One walk of the (block, log index) index, however deep the page; the count is
    :func:`event_count`'s."""
    keys = [events.c.block_number, events.c.log_index]
    return _rows(connection, _event_query(), keys, selection.conditions, after, limit)


def event_count(connection: Connection, selection: EventFilter) -> int:
    """How many stored events match ``selection`` (on the events table alone: no join)."""
    query = select(func.count()).select_from(events).where(and_(True, *selection.conditions))
    return int(connection.execute(query).scalar_one())


def events_up_to(connection: Connection, selection: EventFilter, batch: int = 5_000) -> Iterator[Row]:
    """Every event matching ``selection`` in chain order, streamed (for exports and the audit digest)."""
    query = (
        _event_query()
        .where(and_(True, *selection.conditions))
        .order_by(events.c.block_number, events.c.log_index)
        .execution_options(yield_per=batch)
    )
    for row in connection.execute(query):
        yield dict(row._mapping)


def events_between(connection: Connection, first: int, last: int) -> list[Row]:
    """Every stored event of blocks ``first..last``, in chain order (a range the full audit compares)."""
    return list(events_up_to(connection, EventFilter(from_block=first, to_block=last)))


def events_in_blocks(connection: Connection, numbers: Sequence[int], chunk: int = 500) -> list[Row]:
    """Every stored event of the blocks ``numbers``, in chain order."""
    found: list[Row] = []
    wanted = sorted(set(numbers))
    for start in range(0, len(wanted), chunk):
        query = _event_query().where(events.c.block_number.in_(wanted[start : start + chunk]))
        found += [dict(row._mapping) for row in connection.execute(query)]
    found.sort(key=lambda row: (row["block_number"], row["log_index"]))
    return found


def blocks_with_events(connection: Connection, up_to_block: int) -> list[int]:
    """The blocks at or below ``up_to_block`` that hold at least one stored event, ascending."""
    query = select(events.c.block_number).distinct().where(events.c.block_number <= up_to_block)
    return sorted(connection.execute(query).scalars())


# ------------------------------------------------------------------------------- what awaits a member


def _event_args(
    connection: Connection, contract: str, names: Sequence[str], party: str | None = None
) -> list[Row]:
    """The arguments of every stored ``contract`` event named in ``names``, in chain order, each with its
    ``event`` name and ``position`` (block number, log index); with ``party``, only events naming that
    address. One walk of the (contract, event, block) index per name."""
    conditions = [events.c.contract == contract, events.c.event.in_(names)]
    if party is not None:
        conditions.append(events.c.parties.contains(f"|{party.lower()}|", autoescape=True))
    query = (
        select(events.c.event, events.c.block_number, events.c.log_index, events.c.args)
        .where(*conditions)
        .order_by(events.c.block_number, events.c.log_index)
    )
    return [
        {**row.args, "event": row.event, "position": (row.block_number, row.log_index)}
        for row in connection.execute(query)
    ]


#: The events that change a proposal's subject (a member's standing, an asset's approval): a proposal made
#: before one of them is stale (``Consortium.approve`` refuses it), except an admission's.
_SUBJECT_CHANGES = ("MemberSuspended", "MemberReinstated", "MemberExited", "AssetApproved", "AssetRevoked")


def proposals_to_vote(connection: Connection, voter: str, now: int) -> list[Row]:
    """The consortium's proposals ``voter`` (checksummed) may approve at time ``now``, as
    ``Consortium.approve`` decides: ``voter`` is an active member that was active when the proposal was made
    (its electorate), the proposal is not executed, its votes are open (``now`` at or before its deadline),
    its subject has not changed since (an admission's excepted), and ``voter`` has not approved it. By id;
    each with its ``kind`` (the enum's index), proposer, subject, deadline, ``quorum_votes``, ``approvals`` so
    far and the block it was made in. O(the consortium's governance events)."""
    names = ("ProposalCreated", "ProposalApproved", "ProposalExecuted", "MemberAdmitted", *_SUBJECT_CHANGES)
    proposals: dict[int, Row] = {}
    made = 0  # proposals made so far, in chain order
    active_since: int | None = None  # proposals made when ``voter`` last became active; None: not active
    changed: dict[str, tuple[int, int]] = {}  # subject -> the position of its last change
    for args in _event_args(connection, "Consortium", names):
        event = args["event"]
        if event == "ProposalCreated":
            made += 1
            proposals[int(args["proposalId"])] = {
                "id": int(args["proposalId"]),
                "kind": int(args["kind"]),
                "proposer": args["proposer"],
                "subject": args["subject"],
                "deadline": int(args["deadline"]),
                "quorum_votes": int(args["quorumVotes"]),
                "approvals": 0,
                "created_block": args["position"][0],
                "position": args["position"],
                "voters": set(),
                "executed": False,
            }
        elif event in ("ProposalApproved", "ProposalExecuted"):
            proposal = proposals.get(int(args["proposalId"]))
            if proposal is not None and event == "ProposalApproved":
                proposal["approvals"] = int(args["approvals"])
                proposal["voters"].add(args["voter"])
            elif proposal is not None:
                proposal["executed"] = True
        else:
            subject = args.get("account") or args["asset"]
            changed[subject] = args["position"]
            if subject == voter and event in ("MemberAdmitted", "MemberReinstated"):
                active_since = made
            elif subject == voter:
                active_since = None  # suspended or exited
    if active_since is None:
        return []
    shown = ("id", "kind", "proposer", "subject", "deadline", "quorum_votes", "approvals", "created_block")
    return [
        {key: proposal[key] for key in shown}
        for number, proposal in sorted(proposals.items())
        if not proposal["executed"]
        and now <= proposal["deadline"]
        and active_since <= number
        and voter not in proposal["voters"]
        and (proposal["kind"] == 0 or changed.get(proposal["subject"], (-1, -1)) < proposal["position"])
    ]


def versions_to_sign(connection: Connection, party: str) -> list[Row]:
    """The pending versions of agreements ``party`` (checksummed) is party to that it has not signed, by
    agreement and version, each with the agreement's asset and its number of parties."""
    counted = agreement_parties.alias("counted")
    party_count = (
        select(func.count())
        .where(counted.c.agreement_id == agreement_versions.c.agreement_id)
        .correlate(agreement_versions)
        .scalar_subquery()
    )
    query = (
        select(agreement_versions, agreements.c.asset, agreements.c.kind, party_count.label("parties"))
        .join(agreements, agreements.c.id == agreement_versions.c.agreement_id)
        .join(agreement_parties, agreement_parties.c.agreement_id == agreement_versions.c.agreement_id)
        .where(agreement_parties.c.party == party, agreement_versions.c.status == "pending")
        .order_by(agreement_versions.c.agreement_id, agreement_versions.c.version)
    )
    pending = [dict(row._mapping) for row in connection.execute(query)]
    if not pending:
        return []
    signed = {
        (int(args["id"]), int(args["version"]))
        for args in _event_args(connection, "Agreements", ("AgreementSigned",), party)
        if args["party"] == party
    }
    return [row for row in pending if (row["agreement_id"], row["version"]) not in signed]


def disputes_to_vote(connection: Connection, party: str) -> list[Row]:
    """The disputed agreements ``party`` (checksummed) is party to on whose dispute it has not voted yet, by
    id: each with who raised the dispute, the block it was raised in, and its votes so far."""
    query = (
        select(agreements.c.id, agreements.c.asset, agreements.c.held)
        .join(agreement_parties, agreement_parties.c.agreement_id == agreements.c.id)
        .where(agreement_parties.c.party == party, agreements.c.status == "disputed")
        .order_by(agreements.c.id)
    )
    disputed = {row.id: dict(row._mapping) for row in connection.execute(query)}
    if not disputed:
        return []
    voted: set[int] = set()
    for args in _event_args(connection, "Agreements", ("DisputeRaised", "DisputeResolutionVoted")):
        agreement_id = int(args["id"])
        if agreement_id not in disputed:
            continue
        dispute = disputed[agreement_id]
        if args["event"] == "DisputeRaised":  # a new dispute: the votes start again
            dispute.update(raised_by=args["party"], raised_block=args["position"][0], votes=0)
            voted.discard(agreement_id)
        else:
            dispute["votes"] += 1
            if args["party"] == party:
                voted.add(agreement_id)
    return [dispute for agreement_id, dispute in disputed.items() if agreement_id not in voted]
