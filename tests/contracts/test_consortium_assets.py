"""Payment assets approved by the members (audit finding 6): what may pay new agreements and programs.

A contract cannot tell a rebasing token from a plain one when it receives it, so the members vote on which
ERC-20s the consortium accepts; the native coin is always accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conftest import NATIVE, VOTING_PERIOD, YEAR, now, program_terms, proposal, reverts_with

ASSET_APPROVAL, ASSET_REVOCATION = 3, 4


@pytest.fixture
def plain(MockERC20: Any, members: list[Any]) -> Any:
    """A plain ERC-20 the consortium has not approved yet."""
    return MockERC20.deploy("Bakers' Pound", "BKP", {"from": members[0]})


def _pass(coop: Any, proposal_id: int, voters: list[Any]) -> Any:
    """Approve ``proposal_id`` voter by voter until it executes; return the executing transaction."""
    for voter in voters:
        tx = coop.approve(proposal_id, {"from": voter})
        if "ProposalExecuted" in tx.events:
            return tx
    raise AssertionError(f"proposal {proposal_id} did not reach its quorum")


def test_native_coin_and_assets_given_at_deployment_are_approved(coop: Any, cusd: Any, plain: Any) -> None:
    assert coop.isApprovedAsset(NATIVE)
    assert coop.isApprovedAsset(cusd)
    assert not coop.isApprovedAsset(plain)
    deployed = coop.tx.events["AssetApproved"]
    assert (deployed["asset"], deployed["proposalId"]) == (cusd.address, 0)


def test_a_vote_approves_an_asset(coop: Any, members: list[Any], plain: Any) -> None:
    tx = coop.proposeAssetApproval(plain, {"from": members[0]})
    created = tx.events["ProposalCreated"]
    assert (created["kind"], created["subject"]) == (ASSET_APPROVAL, plain.address)
    assert not coop.isApprovedAsset(plain), "a proposal alone approves nothing"

    executed = _pass(coop, tx.return_value, members)
    assert executed.events["AssetApproved"]["asset"] == plain.address
    assert executed.events["AssetApproved"]["proposalId"] == tx.return_value
    assert coop.isApprovedAsset(plain)


def test_only_a_contract_not_yet_approved_can_be_proposed(
    coop: Any, members: list[Any], cusd: Any, accounts: Any
) -> None:
    with reverts_with("ConsortiumInvalidAsset", accounts[4].address):
        coop.proposeAssetApproval(accounts[4], {"from": members[0]})
    with reverts_with("ConsortiumInvalidAsset", NATIVE):
        coop.proposeAssetApproval(NATIVE, {"from": members[0]})
    with reverts_with("ConsortiumAssetAlreadyApproved", cusd.address):
        coop.proposeAssetApproval(cusd, {"from": members[0]})
    with reverts_with("ConsortiumNotActiveMember", accounts[9].address):
        coop.proposeAssetApproval(cusd, {"from": accounts[9]})


def test_only_an_approved_asset_can_be_revoked(coop: Any, members: list[Any], plain: Any) -> None:
    with reverts_with("ConsortiumAssetNotApproved", plain.address):
        coop.proposeAssetRevocation(plain, {"from": members[0]})
    with reverts_with("ConsortiumAssetNotApproved", NATIVE):
        coop.proposeAssetRevocation(NATIVE, {"from": members[0]})


def test_deployment_refuses_a_non_contract_or_a_duplicate_asset(
    deploy_consortium: Callable[..., Any], founder_profiles: list[Any], cusd: Any, accounts: Any
) -> None:
    with reverts_with("ConsortiumInvalidAsset", accounts[4].address):
        deploy_consortium(founder_profiles, assets=(accounts[4],))
    with reverts_with("ConsortiumAssetAlreadyApproved", cusd.address):
        deploy_consortium(founder_profiles, assets=(cusd, cusd))


def test_an_approval_proposal_is_stale_once_another_vote_approved_the_asset(
    coop: Any, members: list[Any], plain: Any
) -> None:
    first = coop.proposeAssetApproval(plain, {"from": members[0]}).return_value
    second = coop.proposeAssetApproval(plain, {"from": members[1]}).return_value
    _pass(coop, first, members)
    revocation = coop.proposeAssetRevocation(plain, {"from": members[0]}).return_value
    _pass(coop, revocation, members)
    assert not coop.isApprovedAsset(plain)
    with reverts_with("ConsortiumProposalStale", second, plain.address):
        coop.approve(second, {"from": members[0]})


def test_revocation_stops_new_agreements_and_programs_but_not_running_ones(
    coop: Any,
    agreements: Any,
    referrals: Any,
    token: Any,
    sponsor_funds: Any,
    members: list[Any],
    customer: Any,
    sponsor: Any,
    propose: Callable[..., int],
    activate: Callable[[int], None],
) -> None:
    running = propose()
    activate(running)
    revocation = coop.proposeAssetRevocation(token, {"from": members[0]})
    executed = _pass(coop, revocation.return_value, members)
    assert executed.events["AssetRevoked"]["asset"] == token.address
    assert not coop.isApprovedAsset(token)

    with reverts_with("AgreementAssetNotApproved", token.address):
        propose()
    with reverts_with("ReferralAssetNotApproved", token.address):
        referrals.createProgram(program_terms(token, now() + VOTING_PERIOD), 100, {"from": sponsor})

    agreements.deposit(running, token, 10_000, {"from": customer})
    before = token.balanceOf(members[0])
    agreements.withdraw(running, {"from": members[0]})
    assert token.balanceOf(members[0]) - before == 5_000


def test_a_rebasing_token_cannot_pay_an_agreement_unless_the_members_approve_it(
    RebasingToken: Any,
    agreements: Any,
    approve_asset: Callable[[Any], None],
    members: list[Any],
    customer: Any,
    activate: Callable[[int], None],
) -> None:
    """The audit's case: after a negative rebase the contract holds less than it credited, so the last party
    to withdraw cannot. Refused at the proposal now; it only runs if the members vote the token in."""
    elastic = RebasingToken.deploy({"from": customer})
    parties = members[:2]
    start = now()
    terms = proposal(parties, [5_000, 5_000], elastic, start, start + YEAR)
    with reverts_with("AgreementAssetNotApproved", elastic.address):
        agreements.propose(terms, {"from": parties[0]})

    # What the vote lets in, and why members must not vote for such a token:
    approve_asset(elastic)
    agreement_id = agreements.propose(terms, {"from": parties[0]}).return_value
    activate(agreement_id)
    elastic.mint(customer, 1_000, {"from": customer})
    elastic.approve(agreements, 1_000, {"from": customer})
    agreements.deposit(agreement_id, elastic, 1_000, {"from": customer})
    elastic.rebase(90, {"from": customer})
    agreements.withdraw(agreement_id, {"from": parties[0]})
    # 900 left after the 10 % rebase, 500 paid out: 400 for a credit of 500 (the token's error counts in
    # its stored units, 444.4 and 555.5 rounded down).
    assert elastic.balanceOf(agreements) == 400
    with reverts_with("ERC20InsufficientBalance", agreements.address, 445, 555):
        agreements.withdraw(agreement_id, {"from": parties[1]})
