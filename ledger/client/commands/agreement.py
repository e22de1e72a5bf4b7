"""``coopledger agreement``: propose, sign (on chain or off-line), amend, dispute, resolve, terminate,
deposit, withdraw, rate a partner (on chain or off-line), show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from web3 import Web3

from ledger.client.commands.common import (
    Session,
    address,
    amount,
    approve_if_needed,
    decimals_of,
    id_command,
    member_command,
    tokens,
)
from ledger.client.transactions import Chain
from ledger.exceptions import CoopLedgerError
from ledger.protocol.eip712 import agreement_approval, partner_rating

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
ScoreArgument = Annotated[int, typer.Argument(min=1, max=5, help="1 (poor) to 5 (excellent)")]
PartnerArgument = Annotated[str, typer.Argument(metavar="PARTNER", help="the party you rate (0x…)")]
RatedVersionOption = Annotated[
    int | None, typer.Option("--version", min=1, help="the version rated (default: the one in force)")
]
CommentOption = Annotated[
    str | None,
    typer.Option(help="a written comment: only its keccak-256 goes on chain; keep the text yourself"),
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


def _pending_version(chain: Chain, agreement: int, given: int | None) -> int:
    if given is not None:
        return given
    summary = chain.read("Agreements", "agreement", agreement)
    return int(summary["pendingVersion"]) or int(summary["currentVersion"])


@member_command(app)
def propose(
    session: Session,
    kind: Annotated[
        str, typer.Option(help="the kind of co-operation, e.g. joint_marketing (Agreements.Kind, snake case)")
    ],
    terms: TermsOption,
    party: PartyOption,
    uri: Annotated[str, typer.Option(help="where the parties keep the terms (optional)")] = "",
    asset: Annotated[
        str, typer.Option(help="payment asset: an ERC-20 address, or 0x0…0 for the native coin")
    ] = NATIVE,
    years: Annotated[float, typer.Option(min=0.01, help="how long it runs, from now")] = 1.0,
) -> None:
    """Propose an agreement (you are one of the parties; your signature is counted)."""
    digest = _terms_hash(terms)
    parties, shares = _parties(party)
    chain = session.connect()
    kinds = chain.manifest.contracts["Agreements"].enum_labels("Kind")
    if kind not in kinds:
        raise typer.BadParameter(f"--kind {kind!r} is not one of {', '.join(kinds)}")
    now = chain.now()
    proposal = (
        kinds.index(kind),
        digest,
        uri,
        parties,
        shares,
        address(asset, "asset"),
        now,
        now + int(years * YEAR),
    )
    sent = session.transact(
        f"Propose a {kind} agreement",
        "Agreements",
        "propose",
        proposal,
        terms_hash="0x" + digest.hex(),
    )
    session.announce(sent, "Agreements", "AgreementProposed", "id", "agreement")


@member_command(app)
def sign(
    session: Session,
    agreement: IdArgument,
    version: VersionOption = None,
) -> None:
    """Sign a version of an agreement on chain."""
    chain = session.connect()
    chosen = _pending_version(chain, agreement, version)
    session.transact(
        f"Sign version {chosen} of agreement {agreement}",
        "Agreements",
        "sign",
        agreement,
        chosen,
    )


@member_command(app, "sign-offline")
def sign_offline(
    session: Session,
    agreement: IdArgument,
    version: VersionOption = None,
) -> None:
    """Print an EIP-712 signature approving a version, to hand to whoever submits the signatures (nothing is
    sent)."""
    chain = session.connect()
    assert chain.wallet is not None
    chosen = _pending_version(chain, agreement, version)
    content = bytes(chain.call("Agreements", "contentHash", agreement, chosen))
    typed = agreement_approval(
        chain.w3.eth.chain_id, chain.manifest.contracts["Agreements"], agreement, chosen, content
    )
    signature = "0x" + chain.wallet.sign_typed_data(typed).hex()
    session.out.result(
        {"agreement": agreement, "version": chosen, "signer": chain.wallet.address, "signature": signature},
        f"signature of {chain.wallet.address} for version {chosen} of agreement {agreement}:\n{signature}",
    )


@member_command(app, "submit-signatures")
def submit_signatures(
    session: Session,
    agreement: IdArgument,
    signatures: Annotated[list[str], typer.Argument(help="the parties' off-line signatures (0x…)")],
    version: VersionOption = None,
) -> None:
    """Submit parties' off-line signatures in one transaction (anybody may)."""
    decoded = []
    for signature in signatures:
        if not (signature.startswith("0x") and len(signature) == 132):
            raise typer.BadParameter(f"signature {signature[:20]!r}… is not 65 bytes of 0x hex")
        decoded.append(bytes.fromhex(signature[2:]))
    chain = session.connect()
    chosen = _pending_version(chain, agreement, version)
    session.transact(
        f"Submit {len(decoded)} signature(s) for agreement {agreement}",
        "Agreements",
        "signWithSignatures",
        agreement,
        chosen,
        decoded,
    )


def _rating(
    chain: Chain, agreement: int, partner: str, version: int | None, comment: str | None
) -> tuple[str, int, bytes]:
    """The partner's checksummed address, the version rated (the one in force by default) and the comment's
    digest (zeros for none)."""
    ratee = address(partner, "partner")
    chosen = (
        version
        if version is not None
        else int(chain.read("Agreements", "agreement", agreement)["currentVersion"])
    )
    if chosen == 0:
        raise CoopLedgerError(
            f"Agreement {agreement} has not taken effect (no version every party signed): there is nothing "
            "to rate yet."
        )
    digest = bytes(Web3.keccak(text=comment)) if comment else bytes(32)
    return ratee, chosen, digest


@member_command(app)
def rate(
    session: Session,
    agreement: IdArgument,
    partner: PartnerArgument,
    score: ScoreArgument,
    version: RatedVersionOption = None,
    comment: CommentOption = None,
) -> None:
    """Rate a partner of an agreement, 1 to 5 (rate again to change it: the newest counts)."""
    chain = session.connect()
    ratee, chosen, digest = _rating(chain, agreement, partner, version, comment)
    session.transact(
        f"Rate {ratee} {score} out of 5 in version {chosen} of agreement {agreement}",
        "PartnerRatings",
        "rate",
        agreement,
        chosen,
        ratee,
        score,
        digest,
        comment_hash="0x" + digest.hex(),
    )


@member_command(app, "rate-offline")
def rate_offline(
    session: Session,
    agreement: IdArgument,
    partner: PartnerArgument,
    score: ScoreArgument,
    version: RatedVersionOption = None,
    comment: CommentOption = None,
    valid_for: Annotated[
        int, typer.Option(min=60, help="seconds the signature may be submitted in")
    ] = 604_800,
) -> None:
    """Print a signed rating (EIP-712) that anybody may submit with `submit-rating`: you pay no gas (nothing
    is sent). It uses your next rating nonce: sign the next one after this one is submitted."""
    chain = session.connect()
    assert chain.wallet is not None
    ratee, chosen, digest = _rating(chain, agreement, partner, version, comment)
    rater = chain.wallet.address
    nonce = int(chain.call("PartnerRatings", "nonces", rater))
    deadline = int(chain.w3.eth.get_block("latest")["timestamp"]) + valid_for
    typed = partner_rating(
        chain.w3.eth.chain_id,
        chain.manifest.contracts["PartnerRatings"],
        rater,
        agreement,
        chosen,
        ratee,
        score,
        digest,
        nonce,
        deadline,
    )
    signed = {**typed["message"], "commentHash": "0x" + digest.hex()}
    signed["signature"] = "0x" + chain.wallet.sign_typed_data(typed).hex()
    session.out.result(signed, json.dumps(signed, indent=2))


@member_command(app, "submit-rating")
def submit_rating(
    session: Session,
    signed: Annotated[Path, typer.Argument(help="the JSON `rate-offline` printed, in a file")],
) -> None:
    """Submit a rating its rater signed off line (anybody may; you pay the gas)."""
    try:
        found = json.loads(signed.read_text(encoding="utf-8"))
        rating = (
            address(found["rater"], "rater"),
            int(found["agreementId"]),
            int(found["version"]),
            address(found["ratee"], "ratee"),
            int(found["score"]),
            bytes.fromhex(found["commentHash"].removeprefix("0x")),
            int(found["nonce"]),
            int(found["deadline"]),
        )
        signature = bytes.fromhex(found["signature"].removeprefix("0x"))
    except FileNotFoundError:
        raise typer.BadParameter(f"the signed rating {signed} does not exist") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise typer.BadParameter(
            f"{signed} is not a signed rating as `coopledger agreement rate-offline` prints it ({exc!r})"
        ) from None
    session.connect()
    session.transact(
        f"Submit {rating[0]}'s rating of {rating[3]} in agreement {rating[1]}",
        "PartnerRatings",
        "rateWithSignature",
        rating,
        signature,
    )


@member_command(app)
def amend(
    session: Session,
    agreement: IdArgument,
    terms: TermsOption,
    party: PartyOption,
    uri: Annotated[str, typer.Option(help="where the parties keep the new terms")] = "",
    years: Annotated[
        float, typer.Option(min=0.01, help="how long the amended agreement runs, from now")
    ] = 1.0,
) -> None:
    """Propose a new version: new terms and shares (same parties, in the same order); all sign it again."""
    digest = _terms_hash(terms)
    parties, shares = _parties(party)
    chain = session.connect()
    current = [Web3.to_checksum_address(item) for item in chain.call("Agreements", "partiesOf", agreement)]
    if parties != current:
        raise typer.BadParameter(f"give the same parties in the same order: {', '.join(current)}")
    session.transact(
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
    "Vote to resolve a dispute (the raiser's vote, or a majority of the other parties', resolves it).",
    "agreement",
    "Agreements",
    "voteToResolve",
    "Vote to resolve the dispute on",
)
id_command(
    app,
    "release",
    "Release the deposits a dispute holds once its window has passed (anybody may).",
    "agreement",
    "Agreements",
    "releaseDispute",
    "Release the held deposits of",
)
id_command(
    app,
    "terminate",
    "Consent to end an agreement (every party still a member ends it, within 30 days of the first consent).",
    "agreement",
    "Agreements",
    "consentToTerminate",
    "Consent to terminate",
)
id_command(
    app,
    "complete-amendment",
    "Put a pending amendment in force when the parties that did not sign it left (their shares unchanged).",
    "agreement",
    "Agreements",
    "completeAmendment",
    "Put the pending amendment in force on",
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


@member_command(app)
def dispute(
    session: Session,
    agreement: IdArgument,
    reason: Annotated[str, typer.Option(help="why (kept off chain: only its hash is recorded)")],
) -> None:
    """Raise a dispute: deposits are held until the parties resolve it."""
    session.transact(
        f"Raise a dispute on agreement {agreement}",
        "Agreements",
        "raiseDispute",
        agreement,
        bytes(Web3.keccak(text=reason)),
    )


@member_command(app)
def deposit(
    session: Session,
    agreement: IdArgument,
    value: Annotated[str, typer.Argument(metavar="AMOUNT", help="in whole tokens, e.g. 250 or 12.5")],
) -> None:
    """Deposit revenue into an agreement in its asset (an ERC-20 is approved first when needed); it is
    credited to the parties by their shares."""
    amount(value, 18)  # reject a malformed amount before connecting
    chain = session.connect()
    summary = chain.read("Agreements", "agreement", agreement)
    asset = str(summary["asset"])
    units = amount(value, decimals_of(chain, asset))
    spender = chain.contracts["Agreements"].address
    if summary["status"] not in ("active", "disputed"):  # before an approval for a deposit that would fail
        raise CoopLedgerError(
            f"Agreement {agreement} is {summary['status']}: it takes deposits only while in force."
        )
    approve_if_needed(chain, session.yes, session.out, asset, spender, units)
    session.transact(
        f"Deposit {value} into agreement {agreement}",
        "Agreements",
        "deposit",
        agreement,
        asset,
        units,
        value=units if int(asset, 16) == 0 else 0,
        units=units,
    )


@member_command(app, sign=False)
def show(
    session: Session,
    agreement: IdArgument,
) -> None:
    """Show an agreement: kind, status, asset, parties with their shares and what they can withdraw."""
    chain = session.connect()
    if agreement > int(chain.call("Agreements", "agreementCount")):
        raise CoopLedgerError(f"There is no agreement {agreement}.")
    summary = chain.read("Agreements", "agreement", agreement)
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
        "kind": summary["kind"],
        "status": summary["status"],
        "asset": summary["asset"],
        "lead": summary["lead"],
        "current_version": summary["currentVersion"],
        "pending_version": summary["pendingVersion"],
        "held": summary["held"],
        "total_credited": summary["totalCredited"],
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
    session.out.result(json.loads(json.dumps(data, default=str)), "\n".join(lines))
