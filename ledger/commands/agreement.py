"""``coopledger agreement``: propose, sign (on chain or off-line), amend, dispute, resolve, terminate,
deposit, withdraw, show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from eth_typing import HexStr
from web3 import Web3
from web3.logs import DISCARD

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
    amount,
    approve_if_needed,
    connect,
    decimals_of,
    guarded,
    id_command,
    tokens,
    transact,
)
from ledger.eip712 import agreement_approval
from ledger.exceptions import CoopLedgerError
from ledger.projections import AGREEMENT_KINDS

app = typer.Typer(help="Multi-party agreements: terms, signatures, revenue sharing.", no_args_is_help=True)

YEAR = 365 * 24 * 3600
NATIVE = "0x0000000000000000000000000000000000000000"

IdArgument = Annotated[int, typer.Argument(min=1, help="the agreement's id")]
VersionOption = Annotated[
    int | None, typer.Option(min=1, help="the version (default: the one awaiting signatures)")
]
PartyOption = Annotated[
    list[str], typer.Option("--party", help="a party and its share in basis points, ADDRESS=BPS (repeat)")
]
TermsOption = Annotated[Path, typer.Option(help="the terms document: the command hashes it (keccak-256)")]


def _terms_hash(path: Path) -> bytes:
    try:
        return bytes(Web3.keccak(path.read_bytes()))
    except FileNotFoundError:
        raise typer.BadParameter(f"the terms document {path} does not exist") from None
    except OSError as exc:
        raise typer.BadParameter(f"cannot read the terms document {path}: {exc.strerror}") from None


def _parties(values: list[str]) -> tuple[list[str], list[int]]:
    parties, shares = [], []
    for value in values:
        who, _, bps = value.partition("=")
        if not bps.isdigit():
            raise typer.BadParameter(f"--party {value!r}: write ADDRESS=BPS, e.g. 0xAb…12=6000")
        parties.append(address(who, "party"))
        shares.append(int(bps))
    if sum(shares) != 10_000:
        raise typer.BadParameter(f"the shares sum to {sum(shares)} basis points; they must sum to 10000")
    return parties, shares


def _pending_version(chain: object, agreement: int, given: int | None) -> int:
    if given is not None:
        return given
    summary = chain.call("Agreements", "agreement", agreement)  # type: ignore[attr-defined]
    return int(summary[7]) or int(summary[6])


@app.command()
@guarded
def propose(
    kind: Annotated[str, typer.Option(help=f"one of: {', '.join(AGREEMENT_KINDS)}")],
    terms: TermsOption,
    party: PartyOption,
    uri: Annotated[str, typer.Option(help="where the parties keep the terms (optional)")] = "",
    asset: Annotated[
        str, typer.Option(help="payment asset: an ERC-20 address, or 0x0…0 for the native coin")
    ] = NATIVE,
    years: Annotated[float, typer.Option(min=0.01, help="how long it runs, from now")] = 1.0,
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,
    json_output: JsonOption = False,
) -> None:
    """Propose an agreement (you are one of the parties; your signature is counted)."""
    if kind not in AGREEMENT_KINDS:
        raise typer.BadParameter(f"--kind {kind!r} is not one of {', '.join(AGREEMENT_KINDS)}")
    digest = _terms_hash(terms)
    parties, shares = _parties(party)
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    now = chain.now()
    proposal = (
        AGREEMENT_KINDS.index(kind),
        digest,
        uri,
        parties,
        shares,
        address(asset, "asset"),
        now,
        now + int(years * YEAR),
    )
    out = Output(json_output)
    agreement = chain.contracts["Agreements"]
    sent = transact(
        chain,
        yes,
        out,
        f"Propose a {kind} agreement",
        "Agreements",
        "propose",
        proposal,
        terms_hash="0x" + digest.hex(),
    )
    receipt = chain.w3.eth.get_transaction_receipt(HexStr(sent.tx_hash))
    created = agreement.events.AgreementProposed().process_receipt(receipt, errors=DISCARD)
    if created and not json_output:
        typer.echo(f"  agreement id {created[0]['args']['id']}")


@app.command()
@guarded
def sign(
    agreement: IdArgument,
    version: VersionOption = None,
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,
    json_output: JsonOption = False,
) -> None:
    """Sign a version of an agreement on chain."""
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    chosen = _pending_version(chain, agreement, version)
    transact(
        chain,
        yes,
        Output(json_output),
        f"Sign version {chosen} of agreement {agreement}",
        "Agreements",
        "sign",
        agreement,
        chosen,
    )


@app.command("sign-offline")
@guarded
def sign_offline(
    agreement: IdArgument,
    version: VersionOption = None,
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,  # accepted for uniform scripts: nothing is sent, so nothing is asked
    json_output: JsonOption = False,
) -> None:
    """Print an EIP-712 signature approving a version, to hand to whoever submits the signatures (nothing is
    sent)."""
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    assert chain.wallet is not None
    chosen = _pending_version(chain, agreement, version)
    content = bytes(chain.call("Agreements", "contentHash", agreement, chosen))
    typed = agreement_approval(
        chain.w3.eth.chain_id, chain.contracts["Agreements"].address, agreement, chosen, content
    )
    signature = "0x" + chain.wallet.sign_typed_data(typed).hex()
    Output(json_output).result(
        {"agreement": agreement, "version": chosen, "signer": chain.wallet.address, "signature": signature},
        f"signature of {chain.wallet.address} for version {chosen} of agreement {agreement}:\n{signature}",
    )


@app.command("submit-signatures")
@guarded
def submit_signatures(
    agreement: IdArgument,
    signatures: Annotated[list[str], typer.Argument(help="the parties' off-line signatures (0x…)")],
    version: VersionOption = None,
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,
    json_output: JsonOption = False,
) -> None:
    """Submit parties' off-line signatures in one transaction (anybody may)."""
    decoded = []
    for signature in signatures:
        if not (signature.startswith("0x") and len(signature) == 132):
            raise typer.BadParameter(f"signature {signature[:20]!r}… is not 65 bytes of 0x hex")
        decoded.append(bytes.fromhex(signature[2:]))
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    chosen = _pending_version(chain, agreement, version)
    transact(
        chain,
        yes,
        Output(json_output),
        f"Submit {len(decoded)} signature(s) for agreement {agreement}",
        "Agreements",
        "signWithSignatures",
        agreement,
        chosen,
        decoded,
    )


@app.command()
@guarded
def amend(
    agreement: IdArgument,
    terms: TermsOption,
    party: PartyOption,
    uri: Annotated[str, typer.Option(help="where the parties keep the new terms")] = "",
    years: Annotated[
        float, typer.Option(min=0.01, help="how long the amended agreement runs, from now")
    ] = 1.0,
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,
    json_output: JsonOption = False,
) -> None:
    """Propose a new version: new terms and shares (same parties, in the same order); all sign it again."""
    digest = _terms_hash(terms)
    parties, shares = _parties(party)
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    current = [Web3.to_checksum_address(item) for item in chain.call("Agreements", "partiesOf", agreement)]
    if parties != current:
        raise typer.BadParameter(f"give the same parties in the same order: {', '.join(current)}")
    transact(
        chain,
        yes,
        Output(json_output),
        f"Amend agreement {agreement}",
        "Agreements",
        "proposeAmendment",
        agreement,
        digest,
        uri,
        shares,
        chain.now() + int(years * YEAR),
    )


id_command(
    app,
    "resolve",
    "Vote to resolve a dispute (a majority resolves).",
    "agreement",
    "Agreements",
    "voteToResolve",
    "Vote to resolve the dispute on",
)
id_command(
    app,
    "terminate",
    "Consent to end an agreement (all parties end it).",
    "agreement",
    "Agreements",
    "consentToTerminate",
    "Consent to terminate",
)
id_command(
    app,
    "withdraw",
    "Withdraw what an agreement credited you.",
    "agreement",
    "Agreements",
    "withdraw",
    "Withdraw your credited revenue from",
)


@app.command()
@guarded
def dispute(
    agreement: IdArgument,
    reason: Annotated[str, typer.Option(help="why (kept off chain: only its hash is recorded)")],
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,
    json_output: JsonOption = False,
) -> None:
    """Raise a dispute: deposits are held until the parties resolve it."""
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    transact(
        chain,
        yes,
        Output(json_output),
        f"Raise a dispute on agreement {agreement}",
        "Agreements",
        "raiseDispute",
        agreement,
        bytes(Web3.keccak(text=reason)),
    )


@app.command()
@guarded
def deposit(
    agreement: IdArgument,
    value: Annotated[str, typer.Argument(metavar="AMOUNT", help="in whole tokens, e.g. 250 or 12.5")],
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,
    json_output: JsonOption = False,
) -> None:
    """Deposit revenue into an agreement in its asset (an ERC-20 is approved first when needed); it is
    credited to the parties by their shares."""
    amount(value, 18)  # reject a malformed amount before connecting
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    asset = str(chain.call("Agreements", "agreement", agreement)[2])
    units = amount(value, decimals_of(chain, asset))
    out = Output(json_output)
    spender = chain.contracts["Agreements"].address
    status = chain.manifest.contracts["Agreements"].enums["Status"][
        chain.call("Agreements", "agreement", agreement)[1]
    ]
    if status not in (
        "Active",
        "Disputed",
    ):  # checked before an approval is sent for a deposit that would fail
        raise CoopLedgerError(f"Agreement {agreement} is {status}: it takes deposits only while in force.")
    approve_if_needed(chain, yes, out, asset, spender, units)
    transact(
        chain,
        yes,
        out,
        f"Deposit {value} into agreement {agreement}",
        "Agreements",
        "deposit",
        agreement,
        asset,
        units,
        value=units if int(asset, 16) == 0 else 0,
        units=units,
    )


@app.command()
@guarded
def show(
    agreement: IdArgument,
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show an agreement: kind, status, asset, parties with their shares and what they can withdraw."""
    chain = connect(config, rpc_url, manifest, sign=False)
    if agreement > int(chain.call("Agreements", "agreementCount")):
        raise CoopLedgerError(f"There is no agreement {agreement}.")
    summary = chain.call("Agreements", "agreement", agreement)
    enums = chain.manifest.contracts["Agreements"].enums
    parties = [
        {
            "party": party,
            "share_bps": int(chain.call("Agreements", "shareOf", agreement, party)),
            "withdrawable": int(chain.call("Agreements", "withdrawable", agreement, party)),
            "withdrawn": int(chain.call("Agreements", "withdrawnBy", agreement, party)),
        }
        for party in chain.call("Agreements", "partiesOf", agreement)
    ]
    data = {
        "id": agreement,
        "kind": enums["Kind"][summary[0]],
        "status": enums["Status"][summary[1]],
        "asset": summary[2],
        "lead": summary[3],
        "current_version": summary[6],
        "pending_version": summary[7],
        "held": summary[9],
        "total_credited": summary[10],
        "parties": parties,
    }
    decimals = decimals_of(chain, str(data["asset"]))
    lines = [
        f"agreement {agreement}: {data['kind']}, {data['status']}, asset {data['asset']}",
        f"  version {data['current_version']} in force; pending {data['pending_version'] or 'none'}; "
        f"credited {tokens(int(data['total_credited']), decimals)}, "
        f"held {tokens(int(data['held']), decimals)}",
    ]
    lines += [
        f"  {p['party']}  {p['share_bps']:>5} bps  withdrawable {tokens(p['withdrawable'], decimals)}, "
        f"withdrawn {tokens(p['withdrawn'], decimals)}"
        for p in parties
    ]
    Output(json_output).result(json.loads(json.dumps(data, default=str)), "\n".join(lines))
