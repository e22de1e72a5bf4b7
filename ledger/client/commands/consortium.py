"""``coopledger consortium``: list members, propose an admission, a suspension or a payment asset's approval
or revocation, vote, exit."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ledger.client.commands.common import (
    Output,
    Session,
    address,
    console,
    member_command,
)
from ledger.protocol.codes import decode_code, encode_code

app = typer.Typer(help="Membership of the consortium and its votes.", no_args_is_help=True)


@member_command(app, sign=False)
def members(
    session: Session,
) -> None:
    """List every member ever admitted, with its sector, region and status (read from the chain)."""
    chain = session.connect()
    found = []
    for index in range(int(chain.call("Consortium", "memberCount"))):
        account = chain.call("Consortium", "memberAt", index)
        member = chain.read("Consortium", "member", account)
        found.append(
            {
                "address": account,
                "name": member["name"],
                "sector": decode_code(member["sector"]),
                "region": decode_code(member["region"]),
                "joined_at": member["joinedAt"],
                "status": member["status"],
            }
        )
    if session.as_json:
        Output(True).result({"members": found}, "")
        return
    table = Table(title=f"{len(found)} members")
    for column in ("address", "name", "sector", "region", "status"):
        table.add_column(column)
    for row in found:
        table.add_row(*(str(row[column]) for column in ("address", "name", "sector", "region", "status")))
    console.print(table)


@member_command(app, "propose-admission")
def propose_admission(
    session: Session,
    account: Annotated[str, typer.Argument(help="the newcomer's address")],
    name: Annotated[str, typer.Option(help="the business's display name")],
    sector: Annotated[str, typer.Option(help="sector code, e.g. bakery (up to 32 ASCII characters)")],
    region: Annotated[str, typer.Option(help="region code, e.g. north")],
) -> None:
    """Propose a newcomer; active members then vote (`coopledger consortium vote`)."""
    newcomer = address(account, "account")
    try:
        profile = (newcomer, name, encode_code(sector), encode_code(region))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    _propose(session, f"Propose admitting {name} ({newcomer})", "proposeAdmission", profile)


@member_command(app, "propose-suspension")
def propose_suspension(
    session: Session,
    account: Annotated[str, typer.Argument(help="the member to suspend")],
) -> None:
    """Propose suspending a member; active members then vote."""
    member = address(account, "account")
    _propose(session, f"Propose suspending {member}", "proposeSuspension", member)


@member_command(app, "propose-asset")
def propose_asset(
    session: Session,
    asset: Annotated[str, typer.Argument(help="the ERC-20 token's contract address")],
) -> None:
    """Propose accepting an ERC-20 for new agreements and referral programs; active members then vote.

    Vote for a plain token only: one that rebases, charges a fee on transfer or can be frozen by its issuer
    can leave the last party or referrer unable to withdraw what it was credited.
    """
    token = address(asset, "asset")
    _propose(session, f"Propose approving the asset {token}", "proposeAssetApproval", token)


@member_command(app, "propose-asset-revocation")
def propose_asset_revocation(
    session: Session,
    asset: Annotated[str, typer.Argument(help="the approved ERC-20's contract address")],
) -> None:
    """Propose no longer accepting an ERC-20 for new agreements and programs (those running keep it)."""
    token = address(asset, "asset")
    _propose(session, f"Propose revoking the asset {token}", "proposeAssetRevocation", token)


@member_command(app)
def vote(
    session: Session,
    proposal: Annotated[int, typer.Argument(min=1, help="the proposal's id")],
) -> None:
    """Approve a proposal; the approval that reaches the quorum carries it out."""
    session.transact(f"Approve proposal {proposal}", "Consortium", "approve", proposal)


@member_command(app, "exit")
def leave(
    session: Session,
) -> None:
    """Leave the consortium (what agreements credited you stays yours to withdraw)."""
    session.transact("Leave the consortium", "Consortium", "exit")


def _propose(session: Session, what: str, function: str, *args: object) -> None:
    """Send the Consortium's ``function`` (a proposal) and say the id of the proposal it made."""
    sent = session.transact(what, "Consortium", function, *args)
    session.announce(sent, "Consortium", "ProposalCreated", "proposalId", "proposal")
