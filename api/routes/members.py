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
from api.schemas.members import Member, MemberAgreement, MemberDetail
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
