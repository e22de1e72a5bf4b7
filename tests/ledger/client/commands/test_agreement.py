"""`coopledger agreement`: propose from a document, sign on chain and off-line, deposit, withdraw, amend,
dispute, resolve, terminate; reverts explained, bad input refused, keystores and their passwords."""

from __future__ import annotations

import json
from pathlib import Path

from eth_account import Account
from web3 import Web3

from ledger.cli import app
from ledger.client.wallet import DEV_MNEMONIC
from tests.ledger.client.commands.conftest import CUSTOMER, Member, terms_file


def _propose(member: Member, parties: dict[int, int], proposer: int, text: str) -> int:
    token = member.deployment.contracts["MockERC20"].address
    arguments = [
        "agreement",
        "propose",
        "--kind",
        "joint_marketing",
        "--terms",
        str(terms_file(member.folder, text)),
        "--asset",
        token,
    ]
    for account, share in parties.items():
        arguments += ["--party", f"{member.address(account)}={share}"]
    result = member.run(*arguments, account=proposer)
    assert result.exit_code == 0, result.output + result.stderr
    return int(result.stdout.split("agreement id ")[1].split()[0])


def test_propose_sign_deposit_withdraw(member: Member) -> None:
    agreement = _propose(member, {0: 6_000, 1: 4_000}, 0, "Joint marketing of the Old Town fair")
    assert member.json("agreement", "show", str(agreement))["status"] == "proposed"
    member.json("agreement", "sign", str(agreement), account=1)
    shown = member.json("agreement", "show", str(agreement))
    assert shown["status"] == "active"
    assert shown["kind"] == "joint_marketing"
    deposited = member.json("agreement", "deposit", str(agreement), "12.5", account=CUSTOMER)
    assert deposited["units"] == 12_500_000_000_000_000_000
    parties = {p["party"]: p for p in member.json("agreement", "show", str(agreement))["parties"]}
    assert int(parties[member.address(0)]["withdrawable"]) == 7_500_000_000_000_000_000
    assert int(parties[member.address(1)]["withdrawable"]) == 5_000_000_000_000_000_000
    member.json("agreement", "withdraw", str(agreement), account=1)
    parties = {p["party"]: p for p in member.json("agreement", "show", str(agreement))["parties"]}
    assert int(parties[member.address(1)]["withdrawn"]) == 5_000_000_000_000_000_000


def test_signatures_collected_off_line_are_submitted_by_anybody(member: Member) -> None:
    agreement = _propose(member, {0: 4_000, 1: 3_000, 2: 3_000}, 0, "A shared delivery platform")
    signatures = [
        member.json("agreement", "sign-offline", str(agreement), account=a)["signature"] for a in (1, 2)
    ]
    before = member.nonce(1)
    member.json("agreement", "submit-signatures", str(agreement), *signatures, account=CUSTOMER)
    assert member.nonce(1) == before, "signing off-line sends nothing"
    assert member.json("agreement", "show", str(agreement))["status"] == "active"


def test_amend_dispute_resolve_terminate(member: Member) -> None:
    agreement = _propose(member, {0: 5_000, 1: 5_000}, 0, "Resource pooling")
    member.json("agreement", "sign", str(agreement), account=1)
    new_terms = str(terms_file(member.folder, "Resource pooling, amended"))
    member.json(
        "agreement",
        "amend",
        str(agreement),
        "--terms",
        new_terms,
        "--party",
        f"{member.address(0)}=7000",
        "--party",
        f"{member.address(1)}=3000",
        account=1,
    )
    member.json("agreement", "sign", str(agreement), account=0)
    assert member.json("agreement", "show", str(agreement))["current_version"] == 2
    member.json("agreement", "dispute", str(agreement), "--reason", "late payments", account=0)
    assert member.json("agreement", "show", str(agreement))["status"] == "disputed"
    member.json("agreement", "resolve", str(agreement), account=1)  # the other party: the raiser has no veto
    assert member.json("agreement", "show", str(agreement))["status"] == "active"
    for account in (0, 1):
        member.json("agreement", "terminate", str(agreement), account=account)
    assert member.json("agreement", "show", str(agreement))["status"] == "terminated"
    refused = member.run("agreement", "deposit", str(agreement), "1", account=CUSTOMER)
    assert refused.exit_code == 1
    assert "takes deposits only while in force" in refused.stderr


def test_a_revert_is_decoded_to_its_error_and_nothing_is_sent(member: Member) -> None:
    agreement = _propose(member, {0: 5_000, 1: 5_000}, 0, "Co-development")
    before = member.nonce(4)
    result = member.run("agreement", "sign", str(agreement), "--version", "1", "--json", account=4)
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert body["error"] == "AgreementNotParty"
    assert body["sent"] is False
    assert f"{member.address(4)} is not a party to agreement {agreement}." in body["message"]
    assert member.nonce(4) == before


def test_complete_amendment_without_one_pending_is_explained(member: Member) -> None:
    agreement = _propose(member, {0: 5_000, 1: 5_000}, 0, "Co-development")
    before = member.nonce(4)
    result = member.run("agreement", "complete-amendment", str(agreement), "--json", account=4)
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert (body["error"], body["sent"]) == ("AgreementVersionNotPending", False)
    assert member.nonce(4) == before


def test_bad_input_is_refused_with_what_to_fix(member: Member) -> None:
    missing = member.run(
        "agreement",
        "propose",
        "--kind",
        "supply",
        "--terms",
        "/no/such/terms.pdf",
        "--party",
        f"{member.address(0)}=10000",
        account=0,
    )
    assert missing.exit_code == 2
    assert "the terms document /no/such/terms.pdf does not exist" in missing.stderr
    shares = member.run(
        "agreement",
        "propose",
        "--kind",
        "supply",
        "--terms",
        str(terms_file(member.folder, "x")),
        "--party",
        f"{member.address(0)}=6000",
        "--party",
        f"{member.address(1)}=3000",
        account=0,
    )
    assert shares.exit_code == 2
    assert "sum to 9000" in shares.stderr
    for bad in ("12,5", "1e9", "ten", "0.0000000000000000001"):
        result = member.run("agreement", "deposit", "1", bad, account=CUSTOMER)
        assert result.exit_code == 2, bad
        assert "is not an amount" in result.stderr or "more than 18 decimals" in result.stderr
    negative = member.run("agreement", "deposit", "1", "-3", account=CUSTOMER)
    assert negative.exit_code == 2, "a negative amount is refused (as an unknown option)"
    kind = member.run(
        "agreement",
        "propose",
        "--kind",
        "merger",
        "--terms",
        str(terms_file(member.folder, "y")),
        "--party",
        f"{member.address(0)}=10000",
        account=0,
    )
    assert kind.exit_code == 2
    assert "is not one of" in kind.stderr
    nobody = member.run("agreement", "sign", "1")
    assert nobody.exit_code == 1
    assert "--keystore" in nobody.stderr


def _keystore(folder: Path, account: int, password: str) -> Path:
    Account.enable_unaudited_hdwallet_features()
    key = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{account}").key
    path = folder / f"account-{account}.keystore.json"
    path.write_text(json.dumps(Account.encrypt(key, password)), encoding="utf-8")
    return path


def test_a_keystore_signs_and_a_wrong_password_is_a_clear_error(member: Member) -> None:
    agreement = _propose(member, {0: 5_000, 2: 5_000}, 0, "Keystore test")
    keystore = _keystore(member.folder, 2, "correct horse")
    wrong = member.runner.invoke(
        app,
        ["agreement", "sign", str(agreement), "--keystore", str(keystore), "--yes"],
        env=member.env(COOPLEDGER_KEYSTORE_PASSWORD="battery staple"),
    )
    assert wrong.exit_code == 1
    assert "Wrong password" in wrong.stderr
    assert "correct horse" not in wrong.output + wrong.stderr
    right = member.runner.invoke(
        app,
        ["agreement", "sign", str(agreement), "--keystore", str(keystore), "--yes", "--json"],
        env=member.env(COOPLEDGER_KEYSTORE_PASSWORD="correct horse"),
    )
    assert right.exit_code == 0, right.stderr
    assert member.json("agreement", "show", str(agreement))["status"] == "active"


def test_parties_rate_each_other_on_chain_and_off_line(member: Member) -> None:
    agreement = _propose(member, {0: 5_000, 1: 5_000}, 0, "Joint marketing, to be rated")
    member.json("agreement", "sign", str(agreement), account=1)
    early = member.run("agreement", "rate", str(agreement), member.address(1), "4", "--json", account=0)
    assert early.exit_code == 1
    assert json.loads(early.stdout)["error"] == "RatingTooEarly"
    ratings = member.deployment.contracts["PartnerRatings"]
    member.deployment.advance(ratings.functions.MIN_TIME_IN_FORCE().call())

    member.json(
        "agreement", "rate", str(agreement), member.address(1), "4", "--comment", "on time", account=0
    )
    signed = member.json("agreement", "rate-offline", str(agreement), member.address(0), "2", account=1)
    assert signed["rater"] == member.address(1)
    assert signed["nonce"] == 0
    path = member.folder / "rating.json"
    path.write_text(json.dumps(signed))
    before = member.nonce(1)
    member.json("agreement", "submit-rating", str(path), account=CUSTOMER)
    assert member.nonce(1) == before, "rating off-line sends nothing"
    found = [
        (log["args"]["rater"], log["args"]["ratee"], log["args"]["score"], log["args"]["commentHash"])
        for log in ratings.events.PartnerRated.get_logs(from_block=0)
    ]
    comment = bytes(Web3.keccak(text="on time"))
    assert found == [
        (member.address(0), member.address(1), 4, comment),
        (member.address(1), member.address(0), 2, bytes(32)),
    ]
    replayed = member.run("agreement", "submit-rating", str(path), "--json", account=CUSTOMER)
    assert json.loads(replayed.stdout)["error"] == "InvalidAccountNonce"

    refused = member.run("agreement", "rate", str(agreement), member.address(1), "6", account=0)
    assert refused.exit_code == 2
    assert "Invalid value for 'score'" in refused.stderr
    path.write_text("{}")
    broken = member.run("agreement", "submit-rating", str(path), account=CUSTOMER)
    assert broken.exit_code == 2
    assert "is not a signed rating" in broken.stderr
