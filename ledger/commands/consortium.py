"""``coopledger consortium``: list members, propose an admission or a suspension, vote, exit."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from web3.logs import DISCARD

from ledger.codes import decode_code, encode_code
from ledger.commands.common import (
    ConfigOption,
    DevAccountOption,
    JsonOption,
    KeystoreOption,
    ManifestOption,
    Output,
    RpcOption,
    YesOption,
    address,
    connect,
    console,
    guarded,
    transact,
)

app = typer.Typer(help="Membership of the consortium and its votes.", no_args_is_help=True)


@app.command()
@guarded
def members(
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    json_output: JsonOption = False,
) -> None:
    """List every member ever admitted, with its sector, region and status (read from the chain)."""
    chain = connect(config, rpc_url, manifest, sign=False)
    statuses = chain.manifest.contracts["Consortium"].enums.get("MemberStatus", [])
    found = []
    for index in range(int(chain.call("Consortium", "memberCount"))):
        account = chain.call("Consortium", "memberAt", index)
        name, sector, region, joined_at, status = chain.call("Consortium", "member", account)
        found.append(
            {
                "address": account,
                "name": name,
                "sector": decode_code(sector),
                "region": decode_code(region),
                "joined_at": joined_at,
                "status": statuses[status].lower() if status < len(statuses) else status,
            }
        )
    if json_output:
        Output(True).result({"members": found}, "")
        return
    table = Table(title=f"{len(found)} members")
    for column in ("address", "name", "sector", "region", "status"):
        table.add_column(column)
    for row in found:
        table.add_row(*(str(row[column]) for column in ("address", "name", "sector", "region", "status")))
    console.print(table)


@app.command("propose-admission")
@guarded
def propose_admission(
    account: Annotated[str, typer.Argument(help="the newcomer's address")],
    name: Annotated[str, typer.Option(help="the business's display name")],
    sector: Annotated[str, typer.Option(help="sector code, e.g. bakery (up to 32 ASCII characters)")],
    region: Annotated[str, typer.Option(help="region code, e.g. north")],
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,
    json_output: JsonOption = False,
) -> None:
    """Propose a newcomer; active members then vote (`coopledger consortium vote`)."""
    newcomer = address(account, "account")
    try:
        profile = (newcomer, name, encode_code(sector), encode_code(region))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    sent = transact(
        chain,
        yes,
        Output(json_output),
        f"Propose admitting {name} ({newcomer})",
        "Consortium",
        "proposeAdmission",
        profile,
    )
    _say_proposal(chain, sent.tx_hash, json_output)


@app.command("propose-suspension")
@guarded
def propose_suspension(
    account: Annotated[str, typer.Argument(help="the member to suspend")],
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,
    json_output: JsonOption = False,
) -> None:
    """Propose suspending a member; active members then vote."""
    member = address(account, "account")
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    sent = transact(
        chain,
        yes,
        Output(json_output),
        f"Propose suspending {member}",
        "Consortium",
        "proposeSuspension",
        member,
    )
    _say_proposal(chain, sent.tx_hash, json_output)


def _say_proposal(chain: object, tx_hash: str, json_output: bool) -> None:
    receipt = chain.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[attr-defined]
    created = chain.contracts["Consortium"].events.ProposalCreated().process_receipt(receipt, errors=DISCARD)  # type: ignore[attr-defined]
    if created and not json_output:
        console.print(f"  proposal id {created[0]['args']['proposalId']}")


@app.command()
@guarded
def vote(
    proposal: Annotated[int, typer.Argument(min=1, help="the proposal's id")],
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,
    json_output: JsonOption = False,
) -> None:
    """Approve a proposal; the approval that reaches the quorum carries it out."""
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    transact(
        chain, yes, Output(json_output), f"Approve proposal {proposal}", "Consortium", "approve", proposal
    )


@app.command("exit")
@guarded
def leave(
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,
    json_output: JsonOption = False,
) -> None:
    """Leave the consortium (what agreements credited you stays yours to withdraw)."""
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    transact(chain, yes, Output(json_output), "Leave the consortium", "Consortium", "exit")
