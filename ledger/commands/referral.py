"""``coopledger referral``: programs (create, fund, reclaim, show) and referrals (record, confirm, voucher,
redeem, claim). A referral is recorded as a commitment to the lead: the command makes it from the lead id and
a random salt, and keeps both in a local file (never on chain), so that the referrer can prove the lead."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from eth_typing import HexStr
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
    hash32,
    id_command,
    transact,
)
from ledger.eip712 import conversion_voucher, split_signature
from ledger.exceptions import CoopLedgerError
from ledger.referrals import make_commitment, new_salt
from ledger.transactions import Chain

app = typer.Typer(help="Referral programs, referrals, vouchers and rewards.", no_args_is_help=True)

NATIVE = "0x0000000000000000000000000000000000000000"
ProgramArgument = Annotated[int, typer.Argument(min=1, help="the program's id")]
SaltsOption = Annotated[
    Path,
    typer.Option(
        envvar="COOPLEDGER_SALTS", help="where your referrals' lead ids and salts are kept (private)"
    ),
]
DEFAULT_SALTS = Path.home() / ".coopledger" / "referrals.json"


def _load(path: Path) -> dict[str, Any]:
    try:
        found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise CoopLedgerError(f"The referral file {path} cannot be read ({exc}); fix or move it.") from None
    return found


def _save(path: Path, records: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as handle:
        json.dump(records, handle, indent=2)
        temporary = Path(handle.name)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def _commitment(value: str, salts: Path, chain: Chain, program: int) -> bytes:
    """A commitment given as 0x hex, or found by lead id in the referral file."""
    if value.startswith("0x"):
        return hash32(value, "commitment")
    for key, record in _load(salts).items():
        if key.startswith(f"{chain.w3.eth.chain_id}:{program}:") and record["lead"] == value:
            return bytes.fromhex(key.rsplit(":", 1)[1][2:])
    raise typer.BadParameter(
        f"no referral of lead {value!r} in program {program} in {salts}; give the commitment"
    )


def _reward_asset(chain: Chain, program: int) -> str:
    if program > int(chain.call("ReferralRewards", "programCount")):
        raise CoopLedgerError(f"There is no referral program {program}.")
    return str(chain.call("ReferralRewards", "program", program)[1])


@app.command("create-program")
@guarded
def create_program(
    budget: Annotated[str, typer.Option(help="funded now, in whole tokens")],
    asset: Annotated[
        str, typer.Option(help="reward asset: an ERC-20 address, or 0x0…0 for the native coin")
    ] = NATIVE,
    fixed: Annotated[str, typer.Option(help="fixed reward per conversion, in whole tokens")] = "0",
    bps: Annotated[int, typer.Option(min=0, max=10_000, help="plus this share of the conversion value")] = 0,
    cap: Annotated[str, typer.Option(help="most one conversion pays, in whole tokens")] = "0",
    per_referrer_cap: Annotated[str, typer.Option(help="most one referrer earns (0: no limit)")] = "0",
    days: Annotated[int, typer.Option(min=1, help="the program runs for this many days")] = 365,
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,
    json_output: JsonOption = False,
) -> None:
    """Create a referral program you sponsor, funding its budget now."""
    for value, what in (
        (budget, "--budget"),
        (fixed, "--fixed"),
        (cap, "--cap"),
        (per_referrer_cap, "--per-referrer-cap"),
    ):
        amount(value, 18, what)
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    reward_asset = address(asset, "asset")
    decimals = decimals_of(chain, reward_asset)
    terms = (
        reward_asset,
        amount(fixed, decimals, "--fixed"),
        bps,
        amount(cap, decimals, "--cap"),
        amount(per_referrer_cap, decimals, "--per-referrer-cap"),
        chain.now() + days * 24 * 3600,
    )
    units = amount(budget, decimals, "--budget")
    out = Output(json_output)
    approve_if_needed(chain, yes, out, reward_asset, chain.contracts["ReferralRewards"].address, units)
    native = units if int(reward_asset, 16) == 0 else 0
    sent = transact(
        chain,
        yes,
        out,
        "Create a referral program",
        "ReferralRewards",
        "createProgram",
        terms,
        units,
        value=native,
    )
    receipt = chain.w3.eth.get_transaction_receipt(HexStr(sent.tx_hash))
    created = (
        chain.contracts["ReferralRewards"].events.ProgramCreated().process_receipt(receipt, errors=DISCARD)
    )
    if created and not json_output:
        typer.echo(f"  program id {created[0]['args']['programId']}")


@app.command()
@guarded
def fund(
    program: ProgramArgument,
    value: Annotated[str, typer.Argument(metavar="AMOUNT", help="in whole tokens")],
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,
    json_output: JsonOption = False,
) -> None:
    """Top up a program's budget."""
    amount(value, 18)
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    asset = _reward_asset(chain, program)
    units = amount(value, decimals_of(chain, asset))
    out = Output(json_output)
    approve_if_needed(chain, yes, out, asset, chain.contracts["ReferralRewards"].address, units)
    transact(
        chain,
        yes,
        out,
        f"Fund program {program} with {value}",
        "ReferralRewards",
        "fund",
        program,
        units,
        value=units if int(asset, 16) == 0 else 0,
    )


@app.command()
@guarded
def record(
    program: ProgramArgument,
    lead: Annotated[
        str, typer.Argument(help="your own id for the lead (an e-mail, a customer number): kept local")
    ],
    salts: SaltsOption = DEFAULT_SALTS,
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,
    json_output: JsonOption = False,
) -> None:
    """Record a referral: a commitment to the lead goes on chain; the lead id and salt stay in --salts."""
    if not lead.strip():
        raise typer.BadParameter("the lead id is empty")
    records = _load(salts)
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    salt = new_salt()
    commitment = make_commitment(lead, salt)
    transact(
        chain,
        yes,
        Output(json_output),
        f"Record a referral in program {program}",
        "ReferralRewards",
        "recordReferral",
        program,
        commitment,
        commitment="0x" + commitment.hex(),
    )
    records[f"{chain.w3.eth.chain_id}:{program}:0x{commitment.hex()}"] = {
        "lead": lead,
        "salt": "0x" + salt.hex(),
    }
    _save(salts, records)


@app.command()
@guarded
def confirm(
    program: ProgramArgument,
    commitment: Annotated[str, typer.Argument(help="the referral's commitment (0x…)")],
    value: Annotated[str, typer.Argument(metavar="VALUE", help="the conversion's value, in whole tokens")],
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,
    json_output: JsonOption = False,
) -> None:
    """As the sponsor, confirm that a referral converted, with its value (the reward is reserved)."""
    committed = hash32(commitment, "commitment")
    amount(value, 18, "value")
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    units = amount(value, decimals_of(chain, _reward_asset(chain, program)), "value")
    transact(
        chain,
        yes,
        Output(json_output),
        f"Confirm the conversion of {commitment[:10]}… ({value})",
        "ReferralRewards",
        "confirmConversion",
        program,
        committed,
        units,
    )


@app.command()
@guarded
def voucher(
    program: ProgramArgument,
    commitment: Annotated[str, typer.Argument(help="the referral's commitment (0x…)")],
    value: Annotated[str, typer.Argument(metavar="VALUE", help="the conversion's value, in whole tokens")],
    days: Annotated[int, typer.Option(min=1, help="how long the referrer has to redeem it")] = 7,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="write the voucher here (else printed)")
    ] = None,
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,  # accepted for uniform scripts: nothing is sent, so nothing is asked
    json_output: JsonOption = False,
) -> None:
    """As the sponsor, sign a conversion voucher off chain (nothing is sent); the referrer redeems it."""
    committed = hash32(commitment, "commitment")
    amount(value, 18, "value")
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    assert chain.wallet is not None
    units = amount(value, decimals_of(chain, _reward_asset(chain, program)), "value")
    reward = int(chain.call("ReferralRewards", "rewardFor", program, units))
    nonce = int(chain.call("ReferralRewards", "voucherNonce", chain.wallet.address))
    deadline = chain.now() + days * 24 * 3600
    rewards = chain.contracts["ReferralRewards"].address
    typed = conversion_voucher(
        chain.w3.eth.chain_id, rewards, program, committed, units, reward, deadline, nonce
    )
    signed = {
        "chain_id": chain.w3.eth.chain_id,
        "contract": rewards,
        "program_id": program,
        "commitment": "0x" + committed.hex(),
        "conversion_value": str(units),
        "reward": str(reward),
        "deadline": deadline,
        "nonce": nonce,
        "sponsor": chain.wallet.address,
        "signature": "0x" + chain.wallet.sign_typed_data(typed).hex(),
    }
    if out_file is not None:
        out_file.write_text(json.dumps(signed, indent=2) + "\n", encoding="utf-8")
    Output(json_output).result(
        signed, json.dumps(signed, indent=2) if out_file is None else f"voucher written to {out_file}"
    )


@app.command()
@guarded
def redeem(
    voucher_file: Annotated[Path, typer.Argument(help="the voucher the sponsor gave you (JSON)")],
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,
    json_output: JsonOption = False,
) -> None:
    """As the referrer, redeem a sponsor's voucher: the conversion is confirmed and the reward paid to you."""
    try:
        signed = json.loads(voucher_file.read_text(encoding="utf-8"))
        fields = (
            int(signed["program_id"]),
            hash32(signed["commitment"], "commitment"),
            int(signed["conversion_value"]),
            int(signed["reward"]),
            int(signed["deadline"]),
            int(signed["nonce"]),
        )
        v, r, s = split_signature(bytes.fromhex(signed["signature"].removeprefix("0x")))
    except FileNotFoundError:
        raise typer.BadParameter(f"the voucher file {voucher_file} does not exist") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise typer.BadParameter(f"{voucher_file} is not a voucher: {exc}") from None
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    transact(
        chain,
        yes,
        Output(json_output),
        f"Redeem the voucher for program {fields[0]}",
        "ReferralRewards",
        "redeemVoucher",
        fields,
        v,
        r,
        s,
        reward=fields[3],
    )


@app.command()
@guarded
def claim(
    program: ProgramArgument,
    referral: Annotated[str, typer.Argument(help="the commitment (0x…), or the lead id you recorded")],
    salts: SaltsOption = DEFAULT_SALTS,
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    yes: YesOption = False,
    json_output: JsonOption = False,
) -> None:
    """As the referrer, claim the reward of a confirmed referral."""
    chain = connect(config, rpc_url, manifest, keystore, dev_account)
    committed = _commitment(referral, salts, chain, program)
    transact(
        chain,
        yes,
        Output(json_output),
        f"Claim the reward of {('0x' + committed.hex())[:10]}…",
        "ReferralRewards",
        "claimReward",
        program,
        committed,
    )


id_command(
    app,
    "close",
    "As the sponsor, close a program to new referrals.",
    "program",
    "ReferralRewards",
    "closeProgram",
    "Close",
)
id_command(
    app,
    "reclaim",
    "As the sponsor, take back what a closed or expired program does not owe.",
    "program",
    "ReferralRewards",
    "reclaimBudget",
    "Reclaim the unowed budget of",
)


@app.command()
@guarded
def show(
    program: ProgramArgument,
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    manifest: ManifestOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show a program: sponsor, asset, reward rule, budget, what is reserved, expiry."""
    chain = connect(config, rpc_url, manifest, sign=False)
    _reward_asset(chain, program)
    fields = (
        "sponsor",
        "asset",
        "fixed_reward",
        "reward_bps",
        "cap",
        "per_referrer_cap",
        "expiry",
        "closed",
        "budget",
        "reserved",
    )
    data = dict(zip(fields, chain.call("ReferralRewards", "program", program), strict=True))
    data["program_id"] = program
    Output(json_output).result(
        {key: value if isinstance(value, bool | str) else str(value) for key, value in data.items()},
        "\n".join(f"{key:>16}  {value}" for key, value in data.items()),
    )
