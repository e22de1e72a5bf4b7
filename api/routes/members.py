"""``/v1/members``: the consortium's members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import (
    ADDRESS_KEY,
    Connection_,
    Keyset,
    Paging,
    Service,
    address_path,
    checksum_address,
    checksum_hint,
    enum_filter,
    enum_query,
    paging,
)
from api.errors import ApiError
from api.schemas.common import Page
from api.schemas.desk import DisputeToVote, MemberDesk, ProposalToVote, VersionToSign
from api.schemas.members import Member, MemberAgreement, MemberDetail
from api.schemas.referrals import Program, Referral
from ledger.store import queries

router = APIRouter(prefix="/members", tags=["members"])

MEMBER_ORDER = Keyset("a member's address", (ADDRESS_KEY,))


@router.get("", operation_id="list_members")
def list_members(
    service: Service,
    connection: Connection_,
    page: Annotated[Paging, paging(MEMBER_ORDER)],
    status: Annotated[str | None, enum_query("Consortium", "MemberStatus", "members in this status")] = None,
    sector: Annotated[str | None, Query(max_length=32, description="only members of this sector")] = None,
    region: Annotated[str | None, Query(max_length=32, description="only members of this region")] = None,
) -> Page[Member]:
    """Members ordered by address."""
    enum_filter(service, status, "Consortium", "MemberStatus", "status")
    found = queries.member_page(
        connection, status=status, sector=sector, region=region, after=page.after, limit=page.limit
    )
    return Page[Member](
        data=[Member.model_validate(row) for row in found.rows],
        count=found.count,
        next_cursor=MEMBER_ORDER.spell(found.next_key),
    )


@router.get("/{address}", operation_id="get_member")
def get_member(
    connection: Connection_, address: Annotated[str, address_path("the member's address")]
) -> MemberDetail:
    """A member with the agreements it is party to (its share and balances in each)."""
    checked = checksum_address(address)
    row = queries.member_detail(connection, checked)
    if row is None:
        message = f"address: {checked} is not a member of the consortium.{checksum_hint(address)}"
        raise ApiError(404, message, "address")
    agreements = [
        MemberAgreement(**{**item, "credited": str(item["credited"]), "withdrawn": str(item["withdrawn"])})
        for item in queries.member_agreements(connection, checked)
    ]
    return MemberDetail(**row, agreements=agreements)


@router.get("/{address}/desk", operation_id="get_member_desk")
def get_member_desk(
    service: Service,
    connection: Connection_,
    address: Annotated[str, address_path("the address whose desk to show (a member's, or anybody's)")],
) -> MemberDesk:
    """What awaits ``address`` at the indexed head: proposals it may approve, agreement versions it has not
    signed, disputes it has not voted on, what it may withdraw per agreement, rewards it may claim,
    conversions to confirm in its programs, and the programs it sponsors. Lists are not paged: each holds
    one member's own rows, at most 10 000."""
    checked = checksum_address(address)
    head = service.head()
    if head is None:
        raise ApiError(503, "Nothing is indexed yet: run `coopledger index` first, then ask again.", None)
    header = service.store.block_at_or_below(head.block_number)
    now = header.timestamp if header is not None else 0
    kinds = service.labels("Consortium", "ProposalKind")
    member = queries.member_detail(connection, checked)
    proposals = queries.proposals_to_vote(connection, checked, now) if member is not None else []
    every = 10_000  # one member's rows: complete
    return MemberDesk(
        address=checked,
        block=head.block_number,
        member=None if member is None else Member.model_validate(member),
        agreements=[
            MemberAgreement(**{**row, "credited": str(row["credited"]), "withdrawn": str(row["withdrawn"])})
            for row in queries.member_agreements(connection, checked)
        ],
        proposals_to_vote=[
            ProposalToVote(
                **{**row, "kind": kinds[row["kind"]] if row["kind"] < len(kinds) else str(row["kind"])}
            )
            for row in proposals
        ],
        versions_to_sign=[
            VersionToSign.model_validate(row) for row in queries.versions_to_sign(connection, checked)
        ],
        disputes_to_vote=[
            DisputeToVote.model_validate(row) for row in queries.disputes_to_vote(connection, checked)
        ],
        rewards_to_claim=[
            Referral.model_validate(row)
            for row in queries.referral_page(
                connection, referrer=checked, status="confirmed", limit=every
            ).rows
        ],
        conversions_to_confirm=[
            Referral.model_validate(row)
            for row in queries.referral_page(connection, sponsor=checked, status="recorded", limit=every).rows
        ],
        programs=[
            Program.model_validate(row)
            for row in queries.program_page(connection, sponsor=checked, limit=every).rows
        ],
    )
