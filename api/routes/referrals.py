"""``/v1/programs`` and ``/v1/referrals``: referral programs and the referrals made in them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import (
    ADDRESS_KEY,
    HASH_KEY,
    HASH_PATTERN,
    MAX_ID,
    NUMBER_KEY,
    WHOLE_NUMBER,
    Connection_,
    Keyset,
    Paging,
    Service,
    address_path,
    address_query,
    checksum_address,
    checksum_hint,
    enum_filter,
    enum_query,
    paging,
)
from api.errors import ApiError
from api.schemas.common import Page
from api.schemas.referrals import Program, ProgramStatus, Referral
from ledger.store import queries

programs = APIRouter(prefix="/programs", tags=["referrals"])
referrals = APIRouter(prefix="/referrals", tags=["referrals"])

PROGRAM_ORDER = Keyset("a program's id", (NUMBER_KEY,))
REFERRAL_ORDER = Keyset("`<program id>-<referrer>-<commitment>`", (NUMBER_KEY, ADDRESS_KEY, HASH_KEY))


@programs.get("", operation_id="list_programs")
def list_programs(
    connection: Connection_,
    page: Annotated[Paging, paging(PROGRAM_ORDER)],
    sponsor: Annotated[str | None, address_query("only programs of this sponsor")] = None,
    status: Annotated[ProgramStatus | None, Query(description="only programs in this status")] = None,
    asset: Annotated[str | None, address_query("only programs rewarding in this asset")] = None,
) -> Page[Program]:
    """Referral programs ordered by id."""
    found = queries.program_page(
        connection,
        sponsor=None if sponsor is None else checksum_address(sponsor),
        status=status,
        asset=None if asset is None else checksum_address(asset),
        after=page.after,
        limit=page.limit,
    )
    return Page[Program](
        data=[Program.model_validate(row) for row in found.rows],
        count=found.count,
        next_cursor=PROGRAM_ORDER.spell(found.next_key),
    )


@programs.get("/{program_id}", operation_id="get_program")
def get_program(
    connection: Connection_,
    program_id: Annotated[int, Path(ge=0, le=MAX_ID, description="the program's id"), WHOLE_NUMBER],
) -> Program:
    """A referral program: reward rule, budget (funded, reserved, paid, reclaimed) and counts."""
    row = queries.program_detail(connection, program_id)
    if row is None:
        raise ApiError(404, f"program_id: there is no referral program {program_id}.", "program_id")
    return Program.model_validate(row)


@referrals.get("", operation_id="list_referrals")
def list_referrals(
    service: Service,
    connection: Connection_,
    page: Annotated[Paging, paging(REFERRAL_ORDER)],
    program_id: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="only referrals in this program"), WHOLE_NUMBER
    ] = None,
    referrer: Annotated[str | None, address_query("only referrals by this member")] = None,
    sponsor: Annotated[str | None, address_query("only referrals to this sponsor's programs")] = None,
    status: Annotated[
        str | None, enum_query("ReferralRewards", "ReferralStatus", "referrals in this status")
    ] = None,
) -> Page[Referral]:
    """Referrals ordered by program, referrer and commitment."""
    enum_filter(service, status, "ReferralRewards", "ReferralStatus", "status")
    found = queries.referral_page(
        connection,
        program_id=program_id,
        referrer=None if referrer is None else checksum_address(referrer),
        sponsor=None if sponsor is None else checksum_address(sponsor),
        status=status,
        after=page.after,
        limit=page.limit,
    )
    return Page[Referral](
        data=[Referral.model_validate(row) for row in found.rows],
        count=found.count,
        next_cursor=REFERRAL_ORDER.spell(found.next_key),
    )


@referrals.get("/{program_id}/{referrer}/{commitment}", operation_id="get_referral")
def get_referral(
    connection: Connection_,
    program_id: Annotated[int, Path(ge=0, le=MAX_ID, description="the program's id"), WHOLE_NUMBER],
    referrer: Annotated[str, address_path("the member who recorded the referral")],
    commitment: Annotated[
        str,
        Path(pattern=HASH_PATTERN, description="the referral's commitment (`0x` and 64 hex digits)"),
    ],
) -> Referral:
    """One referral, recorded by ``referrer``: its status, conversion value and reward."""
    checked = checksum_address(referrer)
    row = queries.referral_detail(connection, program_id, checked, commitment.lower())
    if row is None:
        message = f"{checked} recorded no referral {commitment.lower()} in program {program_id}."
        raise ApiError(404, f"commitment: {message}{checksum_hint(referrer)}", "commitment")
    return Referral.model_validate(row)
