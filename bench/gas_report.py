"""Gas used by every state-changing public function of coopledger's contracts, against a baseline.

    make bench-gas    (runs: python bench/gas_report.py)

A plain script: it loads the Brownie project and connects to Brownie's development network (an anvil it
starts) itself, so it runs from any folder, whatever the checkout's path holds (``brownie run`` turns a
script's path into a module name and fails on a folder with a dot in its name).

Each figure is the gas of one transaction in a fixed scenario on a fresh anvil (its latest hardfork). The
committed baseline, bench/gas-baseline.json, holds the figures of the last accepted change; the report
prints both and the difference, so a change that makes a function dearer shows in the same run, and marks
the figures that have a target (from the issues) as within it or not. To accept new figures, review the
report and copy bench/results/gas.json over the baseline.

The same run measures the anchors (:mod:`bench.gas_anchors`: OpenZeppelin 4.9.6's PaymentSplitter and
Uniswap's MerkleDistributor, their published builds) on the same anvil and hardfork, and prints each of our
figures beside the anchor doing the same job, with the ratio and its target.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from brownie import accounts, chain, network, project, web3

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))

from bench import gas_anchors  # noqa: E402
from ledger.protocol.codes import encode_code  # noqa: E402
from ledger.protocol.commitments import make_commitment  # noqa: E402
from ledger.protocol.eip712 import (  # noqa: E402
    agreement_approval,
    conversion_voucher,
    partner_rating,
    sign_typed_data,
    split_signature,
)
from scripts.deploy import deployment_record  # noqa: E402

BASELINE = BENCH_DIR / "gas-baseline.json"
RESULTS = BENCH_DIR / "results" / "gas.json"
NATIVE = "0x0000000000000000000000000000000000000000"
YEAR = 365 * 24 * 3600
DEPOSIT = 1_000 * 10**18

# Upper bounds the issues set, by figure name.
TARGETS = {
    "Agreements.deposit ERC-20 (2 parties)": 60_000,
    "Agreements.deposit ERC-20 (20 parties)": 60_000,
    "Agreements.withdraw ERC-20 (party holds the token)": 50_000,
    "Agreements.withdraw ERC-20 (lead party, holds the token)": 50_000,
    "ReferralRewards.recordReferral": 60_000,
    "ReferralRewards.claimReward ERC-20 (referrer holds the token)": 55_000,
    "ReferralRewards.redeemVoucher ERC-20 (referrer holds the token)": 75_000,
    "PartnerRatings.rate (with a comment)": 50_000,
    "PartnerRatings.rate (again, no comment)": 50_000,
}


def _built() -> Any:
    """The loaded Brownie project: its contract containers (``_built().Agreements``)."""
    return project.get_loaded_projects()[0]


def _members(count: int) -> list[Any]:
    """``count`` accounts: the unlocked test accounts first, then generated local ones (gas price is 0)."""
    generated = [accounts.add(f"0x{0xBE7C0000 + index:064x}") for index in range(max(0, count - 10))]
    return [*accounts[: min(count, 10)], *generated]


def _consortium(members: list[Any], assets: tuple[Any, ...] = ()) -> Any:
    """A consortium of ``members`` (all founders) that accepts ``assets`` besides the native coin."""
    profiles = [
        (m.address, f"Member {i}", encode_code("bakery"), encode_code("north")) for i, m in enumerate(members)
    ]
    approved = [asset.address for asset in assets]
    return _built().Consortium.deploy(profiles, approved, 5_001, 7 * 24 * 3600, {"from": members[0]})


def _proposal(parties: list[Any], asset: Any) -> tuple[Any, ...]:
    start = web3.eth.get_block("latest")["timestamp"]
    shares = [10_000 // len(parties)] * len(parties)
    shares[0] += 10_000 - sum(shares)
    return (
        0,
        b"\x11" * 32,
        "ipfs://terms",
        [p.address for p in parties],
        shares,
        str(asset),
        start,
        start + YEAR,
    )


def consortium_figures() -> dict[str, int]:
    """Consortium: deployment with 3 and 10 founders; propose, approve (plain and executing); exit."""
    small = _consortium(_members(3))
    large = _consortium(_members(10))
    candidate = (accounts[5].address, "Candidate", encode_code("plumbing"), encode_code("east"))
    propose = small.proposeAdmission(candidate, {"from": accounts[0]})
    approve = small.approve(propose.return_value, {"from": accounts[0]})
    execute = small.approve(propose.return_value, {"from": accounts[1]})
    suspension = small.proposeSuspension(accounts[2], {"from": accounts[0]})
    return {
        "Consortium.deploy (3 founders)": small.tx.gas_used,
        "Consortium.deploy (10 founders)": large.tx.gas_used,
        "Consortium.proposeAdmission": propose.gas_used,
        "Consortium.proposeSuspension": suspension.gas_used,
        "Consortium.approve": approve.gas_used,
        "Consortium.approve (executes admission)": execute.gas_used,
        "Consortium.exit": small.exit({"from": accounts[1]}).gas_used,
    }


def _active_agreement(agreements: Any, parties: list[Any], asset: Any) -> tuple[int, Any]:
    proposed = agreements.propose(_proposal(parties, asset), {"from": parties[0]})
    agreement_id = proposed.return_value
    last = None
    for party in parties[1:]:
        last = agreements.sign(agreement_id, 1, {"from": party})
    return agreement_id, (proposed, last)


def agreements_figures() -> dict[str, int]:
    """Agreements: every state-changing function, deposits with 2 and 20 parties."""
    members = _members(20)
    customer = accounts[0]
    token = _built().MockERC20.deploy("Coop Dollar", "cUSD", {"from": customer})
    consortium = _consortium(members, (token,))
    agreements = _built().Agreements.deploy(consortium, {"from": accounts[0]})
    token.mint(customer, 10**30, {"from": customer})
    token.approve(agreements, 10**29, {"from": customer})  # finite: the allowance is written on every deposit
    figures: dict[str, int] = {"Agreements.deploy": agreements.tx.gas_used}

    pair_id, (proposed, activated) = _active_agreement(agreements, members[:2], token)
    figures["Agreements.propose (2 parties)"] = proposed.gas_used
    figures["Agreements.sign (activates, 2 parties)"] = activated.gas_used
    crowd_id, (proposed, activated) = _active_agreement(agreements, members[:20], token)
    figures["Agreements.propose (20 parties)"] = proposed.gas_used
    figures["Agreements.sign (activates, 20 parties)"] = activated.gas_used

    for agreement_id, label in ((pair_id, "2 parties"), (crowd_id, "20 parties")):
        first = agreements.deposit(agreement_id, token, DEPOSIT, {"from": customer})
        figures[f"Agreements.deposit ERC-20 first ({label})"] = first.gas_used
        figures[f"Agreements.deposit ERC-20 ({label})"] = agreements.deposit(
            agreement_id, token, DEPOSIT, {"from": customer}
        ).gas_used

    holder = members[1]
    token.mint(holder, 1, {"from": holder})
    figures["Agreements.withdraw ERC-20 (party holds the token)"] = agreements.withdraw(
        pair_id, {"from": holder}
    ).gas_used

    lead = members[0]
    token.mint(lead, 1, {"from": lead})
    figures["Agreements.withdraw ERC-20 (lead party, holds the token)"] = agreements.withdraw(
        pair_id, {"from": lead}
    ).gas_used

    native_id, _ = _active_agreement(agreements, members[:2], NATIVE)
    figures["Agreements.deposit native (2 parties)"] = agreements.deposit(
        native_id, NATIVE, DEPOSIT, {"from": customer, "value": DEPOSIT}
    ).gas_used
    figures["Agreements.withdraw native"] = agreements.withdraw(native_id, {"from": members[1]}).gas_used

    three_id, _ = _active_agreement(agreements, members[:3], token)
    amend = agreements.proposeAmendment(
        three_id,
        b"\x22" * 32,
        "ipfs://v2",
        [2_000, 3_000, 5_000],
        chain.time() + 2 * YEAR,
        {"from": members[0]},
    )
    figures["Agreements.proposeAmendment (3 parties)"] = amend.gas_used
    agreements.sign(three_id, 2, {"from": members[1]})
    figures["Agreements.sign (activates amendment, 3 parties)"] = agreements.sign(
        three_id, 2, {"from": members[2]}
    ).gas_used

    signed_parties = members[10:12]  # generated accounts, whose keys sign off chain
    sig_id = agreements.propose(_proposal(signed_parties, token), {"from": signed_parties[0]}).return_value
    content = bytes(agreements.contentHash(sig_id, 1))
    signature = sign_typed_data(
        signed_parties[1].private_key,
        agreement_approval(web3.eth.chain_id, deployment_record(agreements), sig_id, 1, content),
    )
    figures["Agreements.signWithSignatures (1 signature, activates)"] = agreements.signWithSignatures(
        sig_id, 1, [signature], {"from": customer}
    ).gas_used

    figures["Agreements.raiseDispute"] = agreements.raiseDispute(
        three_id, b"\x01" * 32, {"from": members[0]}
    ).gas_used
    figures["Agreements.deposit ERC-20 held (3 parties)"] = agreements.deposit(
        three_id, token, DEPOSIT, {"from": customer}
    ).gas_used
    figures["Agreements.voteToResolve"] = agreements.voteToResolve(three_id, {"from": members[1]}).gas_used
    figures["Agreements.voteToResolve (resolves, credits held)"] = agreements.voteToResolve(
        three_id, {"from": members[2]}
    ).gas_used  # the second of the two parties other than the raiser
    chain.sleep(agreements.DISPUTE_COOLDOWN())
    agreements.raiseDispute(three_id, b"\x02" * 32, {"from": members[1]})
    agreements.deposit(three_id, token, DEPOSIT, {"from": customer})
    chain.sleep(agreements.DISPUTE_WINDOW())
    figures["Agreements.releaseDispute (window passed, credits held)"] = agreements.releaseDispute(
        three_id, {"from": customer}
    ).gas_used
    figures["Agreements.consentToTerminate"] = agreements.consentToTerminate(
        three_id, {"from": members[0]}
    ).gas_used
    agreements.consentToTerminate(three_id, {"from": members[1]})
    figures["Agreements.consentToTerminate (terminates)"] = agreements.consentToTerminate(
        three_id, {"from": members[2]}
    ).gas_used
    return figures


def referrals_figures() -> dict[str, int]:
    """ReferralRewards: every state-changing function; claims by a referrer who already holds the token."""
    members = _members(12)
    sponsor, referrer = members[10], members[1]  # the sponsor is a generated account, to sign vouchers
    token = _built().MockERC20.deploy("Coop Dollar", "cUSD", {"from": sponsor})
    consortium = _consortium(members, (token,))
    referrals = _built().ReferralRewards.deploy(consortium, {"from": accounts[0]})
    token.mint(sponsor, 10**30, {"from": sponsor})
    token.approve(referrals, 10**29, {"from": sponsor})
    token.mint(referrer, 1, {"from": referrer})
    expiry = web3.eth.get_block("latest")["timestamp"] + YEAR
    terms = (token.address, 10**18, 500, 5 * 10**18, 0, expiry)
    figures: dict[str, int] = {"ReferralRewards.deploy": referrals.tx.gas_used}

    created = referrals.createProgram(terms, 100 * 10**18, {"from": sponsor})
    program_id = created.return_value
    figures["ReferralRewards.createProgram ERC-20"] = created.gas_used
    figures["ReferralRewards.fund"] = referrals.fund(program_id, 10**18, {"from": sponsor}).gas_used

    first, second, third = (make_commitment(f"lead-{n}", referrer.address, bytes(32)) for n in range(3))
    figures["ReferralRewards.recordReferral"] = referrals.recordReferral(
        program_id, first, {"from": referrer}
    ).gas_used
    referrals.recordReferral(program_id, second, {"from": referrer})
    referrals.recordReferral(program_id, third, {"from": referrer})
    figures["ReferralRewards.confirmConversion"] = referrals.confirmConversion(
        program_id, referrer, first, 20 * 10**18, {"from": sponsor}
    ).gas_used
    figures["ReferralRewards.claimReward ERC-20 (referrer holds the token)"] = referrals.claimReward(
        program_id, first, {"from": referrer}
    ).gas_used

    voucher = (program_id, referrer.address, second, 20 * 10**18, 2 * 10**18, expiry, 0)
    typed = conversion_voucher(web3.eth.chain_id, deployment_record(referrals), *voucher)
    figures["ReferralRewards.redeemVoucher ERC-20 (referrer holds the token)"] = referrals.redeemVoucher(
        voucher, *split_signature(sign_typed_data(sponsor.private_key, typed)), {"from": referrer}
    ).gas_used

    figures["ReferralRewards.revokeVouchers"] = referrals.revokeVouchers(
        program_id, {"from": sponsor}
    ).gas_used
    figures["ReferralRewards.closeProgram"] = referrals.closeProgram(program_id, {"from": sponsor}).gas_used
    figures["ReferralRewards.reclaimBudget"] = referrals.reclaimBudget(program_id, {"from": sponsor}).gas_used
    return figures


def anchor_figures() -> dict[str, int]:
    """The anchors (PaymentSplitter, MerkleDistributor) paid in the same kind of token as ours, every
    recipient holding it already."""
    holder = accounts[0]
    token = _built().MockERC20.deploy("Coop Dollar", "cUSD", {"from": holder})
    people = list(accounts[:10])
    for person in people:
        token.mint(person, 10**30, {"from": person})
    erc20 = web3.eth.contract(address=token.address, abi=token.abi)
    addresses = [person.address for person in people]
    return {
        **gas_anchors.splitter_figures(web3, erc20, holder.address, addresses[1:3]),
        **gas_anchors.merkle_figures(web3, erc20, holder.address, addresses),
    }


def ratings_figures() -> dict[str, int]:
    """PartnerRatings: a rating, a changed rating, and ratings submitted by a relayer from a signature (the
    first consumes the rater's first nonce, a new storage slot; the second moves it)."""
    members = _members(12)
    rater, ratee, relayer = members[10], members[1], accounts[0]  # the rater is a generated account, to sign
    consortium = _consortium(members)
    agreements = _built().Agreements.deploy(consortium, {"from": accounts[0]})
    ratings = _built().PartnerRatings.deploy(consortium, agreements, {"from": accounts[0]})
    agreement_id, _ = _active_agreement(agreements, [rater, ratee], NATIVE)
    chain.sleep(ratings.MIN_TIME_IN_FORCE() + 1)
    chain.mine()
    comment = b"\x42" * 32
    figures: dict[str, int] = {"PartnerRatings.deploy": ratings.tx.gas_used}
    figures["PartnerRatings.rate (with a comment)"] = ratings.rate(
        agreement_id, 1, ratee, 4, comment, {"from": rater}
    ).gas_used
    figures["PartnerRatings.rate (again, no comment)"] = ratings.rate(
        agreement_id, 1, ratee, 5, bytes(32), {"from": rater}
    ).gas_used
    deadline = web3.eth.get_block("latest")["timestamp"] + 3_600
    for label in ("first", "later"):
        rating = (rater.address, agreement_id, 1, ratee.address, 3, comment, ratings.nonces(rater), deadline)
        typed = partner_rating(web3.eth.chain_id, deployment_record(ratings), *rating)
        signature = sign_typed_data(rater.private_key, typed)
        figures[f"PartnerRatings.rateWithSignature ({label} nonce)"] = ratings.rateWithSignature(
            rating, signature, {"from": relayer}
        ).gas_used
    return figures


SCENARIOS: list[Callable[[], dict[str, int]]] = [
    consortium_figures,
    agreements_figures,
    referrals_figures,
    ratings_figures,
    anchor_figures,
]


def _format_delta(current: int, baseline: int | None) -> str:
    if baseline is None:
        return "new"
    delta = current - baseline
    return "=" if delta == 0 else f"{delta:+d} ({delta / baseline:+.1%})"


def _format_target(name: str, gas: int) -> str:
    limit = TARGETS.get(name)
    if limit is None:
        return ""
    return f"target <= {limit:,}: {'ok' if gas <= limit else 'OVER'}"


def main() -> dict[str, Any]:
    """Measure every scenario on a fresh development chain, print the table against the baseline and write
    bench/results/gas.json."""
    project.load(BENCH_DIR.parent, name="CoopLedgerGas")
    network.connect("development")
    try:
        figures: dict[str, int] = {}
        for scenario in SCENARIOS:
            figures.update(scenario())
    finally:
        network.disconnect()
    baseline: dict[str, int] = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    width = max(len(name) for name in figures)
    print(f"\n{'function':<{width}}  {'gas':>10}  {'baseline':>10}  {'change':<16}  target")
    for name, gas in figures.items():
        before = baseline.get(name)
        shown = "-" if before is None else f"{before:,}"
        change = _format_delta(gas, before)
        print(f"{name:<{width}}  {gas:>10,}  {shown:>10}  {change:<16}  {_format_target(name, gas)}")
    for name in sorted(set(baseline) - set(figures)):
        print(f"{name:<{width}}  {'-':>10}  {baseline[name]:>10,}  no longer measured")
    two, twenty = (
        figures["Agreements.deposit ERC-20 (2 parties)"],
        figures["Agreements.deposit ERC-20 (20 parties)"],
    )
    growth = twenty - two
    print(f"\ndeposit, 20 parties vs 2 parties: {growth:+,} gas ({growth / two:+.2%}; target: within 2 %)")
    print("\nagainst the anchors (same anvil, same hardfork, every recipient holding the token):")
    for line in gas_anchors.compare(figures):
        print(f"  {line}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"figures written to {RESULTS.relative_to(BENCH_DIR.parent)}")
    return figures


if __name__ == "__main__":
    main()
