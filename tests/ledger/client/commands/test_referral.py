"""`coopledger referral`: a program created and funded, referrals recorded from a lead id (the salt kept
locally), confirmed on chain or by voucher, claimed; reverts explained with nothing sent; reclaim."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ledger.client.commands.conftest import Member

UNIT = 10**18


def _program(member: Member, sponsor: int) -> int:
    token = member.deployment.contracts["MockERC20"].address
    result = member.run(
        "referral",
        "create-program",
        "--asset",
        token,
        "--budget",
        "100",
        "--fixed",
        "1",
        "--bps",
        "1000",
        "--cap",
        "50",
        account=sponsor,
    )
    assert result.exit_code == 0, result.output + result.stderr
    return int(result.stdout.split("program id ")[1].split()[0])


def test_record_confirm_claim_with_the_salt_kept_locally(member: Member, tmp_path: Path) -> None:
    program = _program(member, 0)
    salts = tmp_path / "referrals.json"
    recorded = member.json(
        "referral", "record", str(program), "jane@example.com", "--salts", str(salts), account=3
    )
    commitment = recorded["commitment"]
    kept = json.loads(salts.read_text())[f"31337:{program}:{commitment}"]
    assert (kept["lead"], kept["referrer"]) == ("jane@example.com", member.address(3))
    assert "jane@example.com" not in json.dumps(member.json("referral", "show", str(program)))
    opening = ["--lead", "jane@example.com", "--salt", kept["salt"]]
    referrer = member.address(3)
    member.json("referral", "confirm", str(program), referrer, commitment, "200", *opening, account=0)
    shown = member.json("referral", "show", str(program))
    assert int(shown["budget"]) == 79 * UNIT, "1 fixed + 10 % of 200 reserved out of 100"
    token = member.deployment.contracts["MockERC20"]
    before = token.functions.balanceOf(member.address(3)).call()
    member.json("referral", "claim", str(program), "jane@example.com", "--salts", str(salts), account=3)
    assert token.functions.balanceOf(member.address(3)).call() - before == 21 * UNIT
    nonce = member.nonce(3)
    again = member.run("referral", "claim", str(program), commitment, "--json", account=3)
    assert again.exit_code == 1
    assert json.loads(again.stdout)["sent"] is False
    assert member.nonce(3) == nonce


def test_the_sponsor_is_warned_off_a_copied_commitment(member: Member, tmp_path: Path) -> None:
    """A copier records the honest referrer's commitment under its own address; the lead and salt the honest
    referrer shows the sponsor open the commitment for the honest referrer only, so confirming the copier is
    refused before anything is sent."""
    program = _program(member, 0)
    salts = tmp_path / "s.json"
    recorded = member.json("referral", "record", str(program), "lead-7", "--salts", str(salts), account=3)
    commitment = recorded["commitment"]
    member.deployment.transact(
        "ReferralRewards", "recordReferral", program, bytes.fromhex(commitment[2:]), sender=4
    )
    salt = json.loads(salts.read_text())[f"31337:{program}:{commitment}"]["salt"]
    opening = ["--lead", "lead-7", "--salt", salt]
    nonce = member.nonce(0)
    copier, honest = member.address(4), member.address(3)
    copied = member.run("referral", "confirm", str(program), copier, commitment, "10", *opening, account=0)
    assert copied.exit_code == 2
    assert "do not open" in copied.stderr
    assert member.nonce(0) == nonce, "nothing was sent"
    member.json("referral", "confirm", str(program), honest, commitment, "10", *opening, account=0)


def test_a_voucher_signed_off_line_is_redeemed_for_the_referrer(member: Member, tmp_path: Path) -> None:
    program = _program(member, 1)
    recorded = member.json(
        "referral", "record", str(program), "lead-42", "--salts", str(tmp_path / "s.json"), account=4
    )
    voucher = tmp_path / "voucher.json"
    nonce = member.nonce(1)
    member.json(
        "referral",
        "voucher",
        str(program),
        member.address(4),
        recorded["commitment"],
        "1000",
        "--out",
        str(voucher),
        account=1,
    )
    assert member.nonce(1) == nonce, "signing a voucher sends nothing"
    signed = json.loads(voucher.read_text())
    assert (signed["reward"], signed["referrer"]) == (str(50 * UNIT), member.address(4)), "capped at 50"
    token = member.deployment.contracts["MockERC20"]
    before = token.functions.balanceOf(member.address(4)).call()
    redeemed = member.json("referral", "redeem", str(voucher), account=3)  # relayed by another member
    assert redeemed["reward"] == 50 * UNIT
    assert token.functions.balanceOf(member.address(4)).call() - before == 50 * UNIT
    replay = member.run("referral", "redeem", str(voucher), account=4)
    assert replay.exit_code == 1
    assert "would revert" in replay.stderr


def test_self_referral_is_explained_and_nothing_sent(member: Member, tmp_path: Path) -> None:
    program = _program(member, 2)
    nonce = member.nonce(2)
    result = member.run(
        "referral", "record", str(program), "myself", "--salts", str(tmp_path / "s.json"), account=2
    )
    assert result.exit_code == 1
    assert "ReferralSelfReferral" in result.stderr
    assert "Nothing was sent" in result.stderr
    assert member.nonce(2) == nonce
    assert not (tmp_path / "s.json").exists(), "no salt is kept for a referral that was not recorded"


def test_the_sponsor_states_its_acquisition_cost(member: Member) -> None:
    program = _program(member, 0)
    member.json("referral", "set-cost", str(program), "12.5", account=0)
    rewards = member.deployment.contracts["ReferralRewards"]
    assert rewards.functions.acquisitionCost(program).call() == 125 * UNIT // 10
    refused = member.run("referral", "set-cost", str(program), "3", account=4)
    assert refused.exit_code == 1
    assert "ReferralNotSponsor" in refused.stderr
    assert "Nothing was sent" in refused.stderr
    assert rewards.functions.acquisitionCost(program).call() == 125 * UNIT // 10


def test_close_and_reclaim_the_budget(member: Member) -> None:
    program = _program(member, 0)
    member.json("referral", "fund", str(program), "5", account=0)
    assert int(member.json("referral", "show", str(program))["budget"]) == 105 * UNIT
    member.json("referral", "close", str(program), account=0)
    token = member.deployment.contracts["MockERC20"]
    before = token.functions.balanceOf(member.address(0)).call()
    member.json("referral", "reclaim", str(program), account=0)
    assert token.functions.balanceOf(member.address(0)).call() - before == 105 * UNIT


def test_bad_input(member: Member, tmp_path: Path) -> None:
    missing = member.run("referral", "redeem", str(tmp_path / "none.json"), account=4)
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr
    referrer = member.address(3)
    commitment = member.run("referral", "confirm", "1", referrer, "0x1234", "5", account=0)
    assert commitment.exit_code == 2
    assert "64 hex digits" in commitment.stderr
    not_an_address = member.run("referral", "confirm", "1", "0x12", "0x" + "ab" * 32, "5", account=0)
    assert not_an_address.exit_code == 2
    assert "REFERRER" in not_an_address.stderr
    half = member.run("referral", "confirm", "1", referrer, "0x" + "ab" * 32, "5", "--lead", "x", account=0)
    assert half.exit_code == 2
    assert "both --lead and --salt" in half.stderr
    unknown = member.run("referral", "show", "999")
    assert unknown.exit_code == 1
    assert "no referral program 999" in unknown.stderr
