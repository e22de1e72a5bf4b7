"""`coopledger consortium`: members, admission by vote, a revert explained with nothing sent, exit."""

from __future__ import annotations

from ledger.cli import app
from tests.ledger.chain_fixtures import deploy_contract
from tests.ledger.client.commands.conftest import Member


def test_members_lists_the_founders(member: Member) -> None:
    found = member.json("consortium", "members")["members"]
    assert [row["address"] for row in found][:6] == [member.address(i) for i in range(6)]
    assert {row["sector"] for row in found} >= {"bakery", "coffee", "delivery"}


def test_a_newcomer_is_admitted_by_vote(member: Member) -> None:
    newcomer = member.address(7)
    proposed = member.run(
        "consortium",
        "propose-admission",
        newcomer.lower(),
        "--name",
        "Corner Electric",
        "--sector",
        "electricians",
        "--region",
        "south",
        account=0,
    )
    assert proposed.exit_code == 0, proposed.output + proposed.stderr
    assert "tx 0x" in proposed.stdout
    assert "gas used" in proposed.stdout
    assert "proposal id 1" in proposed.stdout
    for voter in (0, 1, 2):  # a strict majority of the 6 founders is 4
        assert member.json("consortium", "vote", "1", account=voter)["block"] > 0
    sent = member.json("consortium", "vote", "1", account=3)
    assert set(sent) >= {"tx_hash", "block", "gas_used"}
    statuses = {row["address"]: row["status"] for row in member.json("consortium", "members")["members"]}
    assert statuses[newcomer] == "active"


def test_a_vote_that_would_revert_is_explained_and_nothing_is_sent(member: Member) -> None:
    before = member.nonce(4)
    result = member.run("consortium", "vote", "1", account=4)  # proposal 1 was carried out already
    assert result.exit_code == 1
    assert "ConsortiumProposalAlreadyExecuted" in result.stderr
    assert "Nothing was sent" in result.stderr
    assert member.nonce(4) == before


def test_a_malformed_address_is_refused_before_anything(member: Member) -> None:
    result = member.run("consortium", "propose-suspension", "0x12345", account=0)
    assert result.exit_code == 2
    assert "is not an address" in result.stderr


def test_exit(member: Member) -> None:
    assert member.json("consortium", "exit", account=5)["function"] == "exit"
    statuses = {row["address"]: row["status"] for row in member.json("consortium", "members")["members"]}
    assert statuses[member.address(5)] == "exited"
    again = member.run("consortium", "exit", account=5)
    assert again.exit_code == 1
    assert "Nothing was sent" in again.stderr


def test_a_suspension_is_proposed_after_a_confirmation_and_not_without(member: Member) -> None:
    target = member.address(7)
    before = member.nonce(0)
    declined = member.runner.invoke(
        app, ["consortium", "propose-suspension", target, "--dev-account", "0"], input="n\n", env=member.env()
    )
    assert declined.exit_code == 1
    assert "Send?" in declined.stdout
    assert member.nonce(0) == before, "answering no sends nothing"
    accepted = member.runner.invoke(
        app, ["consortium", "propose-suspension", target, "--dev-account", "0"], input="y\n", env=member.env()
    )
    assert accepted.exit_code == 0, accepted.stderr
    assert "proposal id 2" in accepted.stdout
    assert member.nonce(0) == before + 1


def test_an_asset_is_approved_by_vote_and_an_approved_one_explained(member: Member) -> None:
    consortium = member.deployment.contracts["Consortium"].functions
    cusd = member.deployment.contracts["MockERC20"].address
    refused = member.run("consortium", "propose-asset", cusd, account=0)
    assert refused.exit_code == 1
    assert "ConsortiumAssetAlreadyApproved" in refused.stderr, "cUSD was approved at deployment"
    assert "Nothing was sent" in refused.stderr

    pound, _ = deploy_contract(member.deployment.w3, "MockERC20", "Bakers' Pound", "BKP")
    proposed = member.run("consortium", "propose-asset", pound.address.lower(), account=1)
    assert proposed.exit_code == 0, proposed.stderr
    proposal_id = consortium.proposalCount().call()
    assert f"proposal id {proposal_id}" in proposed.stdout
    voters = iter(range(6))
    while not consortium.isApprovedAsset(pound.address).call():
        member.json("consortium", "vote", str(proposal_id), account=next(voters))
    revocation = member.run("consortium", "propose-asset-revocation", pound.address, account=2)
    assert f"proposal id {proposal_id + 1}" in revocation.stdout
    assert consortium.proposal(proposal_id + 1).call()[1] == pound.address
