"""``/v1/agreements``: agreements with their parties, shares, balances and versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import (
    MAX_ID,
    NUMBER_KEY,
    WHOLE_NUMBER,
    Connection_,
    Keyset,
    Paging,
    Service,
    address_query,
    checksum_address,
    enum_filter,
    enum_query,
    paging,
)
from api.errors import ApiError
from api.schemas.agreements import Agreement, AgreementDetail
from api.schemas.common import Page
from ledger.store import queries

router = APIRouter(prefix="/agreements", tags=["agreements"])

AGREEMENT_ORDER = Keyset("an agreement's id", (NUMBER_KEY,))


@router.get("", operation_id="list_agreements")
def list_agreements(
    service: Service,
    connection: Connection_,
    page: Annotated[Paging, paging(AGREEMENT_ORDER)],
    status: Annotated[str | None, enum_query("Agreements", "Status", "agreements in this status")] = None,
    kind: Annotated[str | None, enum_query("Agreements", "Kind", "agreements of this kind")] = None,
    party: Annotated[str | None, address_query("only agreements this address is party to")] = None,
    asset: Annotated[
        str | None, address_query("only agreements paid in this asset (0x000…0 for the native coin)")
    ] = None,
    active_at_block: Annotated[
        int | None,
        Query(ge=0, le=MAX_ID, description="only agreements active at this block (signed, not yet ended)"),
        WHOLE_NUMBER,
    ] = None,
) -> Page[Agreement]:
    """Agreements ordered by id, each with its parties."""
    enum_filter(service, status, "Agreements", "Status", "status")
    enum_filter(service, kind, "Agreements", "Kind", "kind")
    found = queries.agreement_page(
        connection,
        status=status,
        kind=kind,
        party=None if party is None else checksum_address(party),
        asset=None if asset is None else checksum_address(asset),
        active_at=active_at_block,
        after=page.after,
        limit=page.limit,
    )
    return Page[Agreement](
        data=[Agreement.model_validate(row) for row in found.rows],
        count=found.count,
        next_cursor=AGREEMENT_ORDER.spell(found.next_key),
    )


@router.get("/{agreement_id}", operation_id="get_agreement")
def get_agreement(
    connection: Connection_,
    agreement_id: Annotated[int, Path(ge=0, le=MAX_ID, description="the agreement's id"), WHOLE_NUMBER],
) -> AgreementDetail:
    """An agreement with its parties (shares, credited and withdrawn) and every version of its terms."""
    row = queries.agreement_detail(connection, agreement_id)
    if row is None:
        raise ApiError(404, f"agreement_id: there is no agreement {agreement_id}.", "agreement_id")
    return AgreementDetail.model_validate(row)
