"""``/v1/assets``: the ERC-20s the members approved for payments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ADDRESS_KEY, Connection_, Keyset, Paging, paging
from api.schemas.assets import Asset
from api.schemas.common import Page
from ledger.store import queries

router = APIRouter(prefix="/assets", tags=["assets"])

ASSET_ORDER = Keyset("an asset's address", (ADDRESS_KEY,))


@router.get("", operation_id="list_assets")
def list_assets(
    connection: Connection_,
    page: Annotated[Paging, paging(ASSET_ORDER)],
    approved: Annotated[
        bool | None, Query(description="true: only assets approved now; false: only revoked ones")
    ] = None,
) -> Page[Asset]:
    """ERC-20 assets the members approved, by vote or at deployment, ordered by address. New agreements
    and referral programs may be paid in the native coin or in an asset approved now."""
    found = queries.asset_page(connection, approved=approved, after=page.after, limit=page.limit)
    return Page[Asset](
        data=[Asset.model_validate(row) for row in found.rows],
        count=found.count,
        next_cursor=ASSET_ORDER.spell(found.next_key),
    )
