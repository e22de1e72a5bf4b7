"""``coopledger referral``: programs (create, fund, close, reclaim, revoke-vouchers, show) and referrals
(record, confirm, voucher, redeem, claim). A referral is recorded as a commitment to the lead and to its
referrer: the command makes it from the lead id, the referrer's address and a random salt, and keeps the lead
id and salt in a local file (never on chain), so that the referrer can prove the lead, and that it was the one
who recorded it."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.client.commands.common import (
    Session,
    address,
    amount,
    approve_if_needed,
    decimals_of,
    hash32,
    id_command,
    member_command,
)
from ledger.client.transactions import Chain
from ledger.exceptions import CoopLedgerError
from ledger.protocol.commitments import make_commitment, new_salt, opens
from ledger.protocol.eip712 import conversion_voucher, split_signature

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
    return str(chain.read("ReferralRewards", "program", program)["asset"])


@member_command(app, "create-program")
def create_program(
    session: Session,
    budget: Annotated[str, typer.Option(help="funded now, in whole tokens")],
    asset: Annotated[
        str, typer.Option(help="reward asset: an ERC-20 address, or 0x0…0 for the native coin")
    ] = NATIVE,
    fixed: Annotated[str, typer.Option(help="fixed reward per conversion, in whole tokens")] = "0",
    bps: Annotated[int, typer.Option(min=0, max=10_000, help="plus this share of the conversion value")] = 0,
    cap: Annotated[str, typer.Option(help="most one conversion pays, in whole tokens")] = "0",
    per_referrer_cap: Annotated[str, typer.Option(help="most one referrer earns (0: no limit)")] = "0",
    days: Annotated[int, typer.Option(min=1, help="the program runs for this many days")] = 365,
) -> None:
    """Create a referral program you sponsor, funding its budget now."""
    for value, what in (
        (budget, "--budget"),
        (fixed, "--fixed"),
        (cap, "--cap"),
        (per_referrer_cap, "--per-referrer-cap"),
    ):
        amount(value, 18, what)
    chain = session.connect()
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
    approve_if_needed(
        chain, session.yes, session.out, reward_asset, chain.contracts["ReferralRewards"].address, units
    )
    native = units if int(reward_asset, 16) == 0 else 0
    sent = session.transact(
        "Create a referral program",
        "ReferralRewards",
        "createProgram",
        terms,
        units,
        value=native,
    )
    session.announce(sent, "ReferralRewards", "ProgramCreated", "programId", "program")


@member_command(app)
def fund(
    session: Session,
    program: ProgramArgument,
    value: Annotated[str, typer.Argument(metavar="AMOUNT", help="in whole tokens")],
) -> None:
    """Top up a program's budget."""
    amount(value, 18)
    chain = session.connect()
    asset = _reward_asset(chain, program)
    units = amount(value, decimals_of(chain, asset))
    approve_if_needed(
        chain, session.yes, session.out, asset, chain.contracts["ReferralRewards"].address, units
    )
    session.transact(
        f"Fund program {program} with {value}",
        "ReferralRewards",
        "fund",
        program,
        units,
        value=units if int(asset, 16) == 0 else 0,
    )


@member_command(app, "set-cost")
def set_cost(
    session: Session,
    program: ProgramArgument,
    value: Annotated[str, typer.Argument(metavar="AMOUNT", help="in whole tokens of the reward asset")],
) -> None:
    """State what you usually pay to win a customer without referrals (your program's baseline: what a
    conversion through it saves you is this minus its reward)."""
    amount(value, 18)
    chain = session.connect()
    units = amount(value, decimals_of(chain, _reward_asset(chain, program)))
    session.transact(
        f"State an acquisition cost of {value} for program {program}",
        "ReferralRewards",
        "setAcquisitionCost",
        program,
        units,
    )


@member_command(app)
def record(
    session: Session,
    program: ProgramArgument,
    lead: Annotated[
        str, typer.Argument(help="your own id for the lead (an e-mail, a customer number): kept local")
    ],
    salts: SaltsOption = DEFAULT_SALTS,
) -> None:
    """Record a referral: a commitment to the lead goes on chain; the lead id and salt stay in --salts."""
    if not lead.strip():
        raise typer.BadParameter("the lead id is empty")
    records = _load(salts)
    chain = session.connect()
    assert chain.wallet is not None
    salt = new_salt()
    commitment = make_commitment(lead, chain.wallet.address, salt)
    session.transact(
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
        "referrer": chain.wallet.address,
    }
    _save(salts, records)


ReferrerArgument = Annotated[str, typer.Argument(help="the member who recorded the referral")]
CommitmentArgument = Annotated[str, typer.Argument(help="the referral's commitment (0x…)")]
ValueArgument = Annotated[
    str, typer.Argument(metavar="VALUE", help="the conversion's value, in whole tokens")
]
LeadOption = Annotated[
    str | None, typer.Option("--lead", help="the lead id the referrer showed you: checked before anything")
]
SaltOption = Annotated[str | None, typer.Option("--salt", help="the salt the referrer showed you (0x…)")]


def _opened(referrer: str, commitment: str, lead: str | None, salt: str | None) -> tuple[str, bytes]:
    """The referrer and commitment, checked; with ``--lead`` and ``--salt``, also that they open the
    commitment under this referrer (the sponsor confirms who made the referral, not a copier)."""
    checked = address(referrer, "REFERRER")
    committed = hash32(commitment, "commitment")
    if (lead is None) != (salt is None):
        raise typer.BadParameter("give both --lead and --salt, or neither")
    if lead is not None and salt is not None and not opens(committed, lead, checked, hash32(salt, "--salt")):
        raise typer.BadParameter(
            f"--lead and --salt do not open {commitment} as recorded by {checked}: the referral was made by "
            "somebody else (a copy), or the lead id or salt is wrong; nothing was sent"
        )
    return checked, committed


@member_command(app)
def confirm(
    session: Session,
    program: ProgramArgument,
    referrer: ReferrerArgument,
    commitment: CommitmentArgument,
    value: ValueArgument,
    lead: LeadOption = None,
    salt: SaltOption = None,
) -> None:
    """As the sponsor, confirm that a member's referral converted, with its value (the reward is reserved)."""
    checked, committed = _opened(referrer, commitment, lead, salt)
    amount(value, 18, "value")
    chain = session.connect()
    units = amount(value, decimals_of(chain, _reward_asset(chain, program)), "value")
    session.transact(
        f"Confirm the conversion of {checked}'s {commitment[:10]}… ({value})",
        "ReferralRewards",
        "confirmConversion",
        program,
        checked,
        committed,
        units,
    )


@member_command(app)
def voucher(
    session: Session,
    program: ProgramArgument,
    referrer: ReferrerArgument,
    commitment: CommitmentArgument,
    value: ValueArgument,
    days: Annotated[int, typer.Option(min=1, help="how long the referrer has to redeem it")] = 7,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="write the voucher here (else printed)")
    ] = None,
    lead: LeadOption = None,
    salt: SaltOption = None,
) -> None:
    """As the sponsor, sign a conversion voucher off chain (nothing is sent); whoever redeems it, it pays the
    referrer it names."""
    checked, committed = _opened(referrer, commitment, lead, salt)
    amount(value, 18, "value")
    chain = session.connect()
    assert chain.wallet is not None
    units = amount(value, decimals_of(chain, _reward_asset(chain, program)), "value")
    reward = int(chain.call("ReferralRewards", "rewardFor", program, units))
    nonce = int(chain.call("ReferralRewards", "voucherNonce", program))
    deadline = chain.now() + days * 24 * 3600
    rewards = chain.manifest.contracts["ReferralRewards"]
    typed = conversion_voucher(
        chain.w3.eth.chain_id, rewards, program, checked, committed, units, reward, deadline, nonce
    )
    signed = {
        "chain_id": chain.w3.eth.chain_id,
        "contract": rewards.address,
        "program_id": program,
        "referrer": checked,
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
    session.out.result(
        signed, json.dumps(signed, indent=2) if out_file is None else f"voucher written to {out_file}"
    )


@member_command(app)
def redeem(
    session: Session,
    voucher_file: Annotated[Path, typer.Argument(help="the voucher the sponsor gave you (JSON)")],
) -> None:
    """Redeem a sponsor's voucher: the conversion is confirmed and the reward paid to the referrer it names
    (you, or the member you relay it for)."""
    try:
        signed = json.loads(voucher_file.read_text(encoding="utf-8"))
        fields = (
            int(signed["program_id"]),
            address(str(signed["referrer"]), "referrer"),
            hash32(signed["commitment"], "commitment"),
            int(signed["conversion_value"]),
            int(signed["reward"]),
            int(signed["deadline"]),
            int(signed["nonce"]),
        )
        v, r, s = split_signature(bytes.fromhex(signed["signature"].removeprefix("0x")))
    except FileNotFoundError:
        raise typer.BadParameter(f"the voucher file {voucher_file} does not exist") from None
    except (OSError, ValueError, KeyError, TypeError, typer.BadParameter) as exc:
        raise typer.BadParameter(f"{voucher_file} is not a voucher: {exc}") from None
    session.transact(
        f"Redeem the voucher for program {fields[0]}",
        "ReferralRewards",
        "redeemVoucher",
        fields,
        v,
        r,
        s,
        referrer=fields[1],
        reward=fields[4],
    )


@member_command(app)
def claim(
    session: Session,
    program: ProgramArgument,
    referral: Annotated[str, typer.Argument(help="the commitment (0x…), or the lead id you recorded")],
    salts: SaltsOption = DEFAULT_SALTS,
) -> None:
    """As the referrer, claim the reward of a confirmed referral."""
    chain = session.connect()
    committed = _commitment(referral, salts, chain, program)
    session.transact(
        f"Claim the reward of {('0x' + committed.hex())[:10]}…",
        "ReferralRewards",
        "claimReward",
        program,
        committed,
    )


id_command(
    app,
    "close",
    "As the sponsor (or anybody, once the sponsor left the consortium), close a program to new referrals.",
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
id_command(
    app,
    "revoke-vouchers",
    "As the sponsor, void every voucher of a program signed so far (new ones carry the next nonce).",
    "program",
    "ReferralRewards",
    "revokeVouchers",
    "Revoke the vouchers of",
)


@member_command(app, sign=False)
def show(
    session: Session,
    program: ProgramArgument,
) -> None:
    """Show a program: sponsor, asset, reward rule, expiry, unreserved budget, voucher nonce."""
    chain = session.connect()
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
        "voucher_nonce",
    )
    data = dict(zip(fields, chain.call("ReferralRewards", "program", program), strict=True))
    data["program_id"] = program
    session.out.result(
        {key: value if isinstance(value, bool | str) else str(value) for key, value in data.items()},
        "\n".join(f"{key:>16}  {value}" for key, value in data.items()),
    )
