"""Consortium governance: admission, suspension and reinstatement by proposal and quorum approval."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import VOTING_PERIOD, profile, reverts_with

ADMISSION, SUSPENSION, REINSTATEMENT = 0, 1, 2
NONE, ACTIVE, SUSPENDED, EXITED = 0, 1, 2, 3


@pytest.fixture
def candidate(accounts: Any) -> Any:
    return accounts[5]


def _status(consortium: Any, account: Any) -> int:
    return int(consortium.member(account)[4])


def _suspend_third_founder(consortium: Any, founders: list[Any]) -> None:
    """The first two founders propose and approve the suspension of the third (2 of 3: a strict majority)."""
    suspension = consortium.proposeSuspension(founders[2], {"from": founders[0]}).return_value
    consortium.approve(suspension, {"from": founders[0]})
    consortium.approve(suspension, {"from": founders[1]})


def test_admission_takes_effect_when_the_quorum_approves(
    consortium: Any, founders: list[Any], candidate: Any
) -> None:
    tx = consortium.proposeAdmission(profile(candidate, "Pipe Dreams Plumbing"), {"from": founders[0]})
    proposal_id = tx.return_value
    created = tx.events["ProposalCreated"]
    assert (created["proposalId"], created["kind"], created["subject"]) == (1, ADMISSION, candidate)
    assert created["quorumVotes"] == 2  # ceil(3 members x 50 %)

    consortium.approve(proposal_id, {"from": founders[0]})
    assert not consortium.isActiveMember(candidate), "one approval of three is below a 50 % quorum"

    tx = consortium.approve(proposal_id, {"from": founders[1]})
    assert consortium.isActiveMember(candidate)
    admitted = tx.events["MemberAdmitted"]
    assert (admitted["account"], admitted["name"], admitted["proposalId"]) == (
        candidate,
        "Pipe Dreams Plumbing",
        proposal_id,
    )
    assert tx.events["ProposalExecuted"]["proposalId"] == proposal_id
    assert consortium.proposal(proposal_id)["executed"] is True
    assert consortium.memberCount() == 4
    assert consortium.activeMemberCount() == 4


def test_suspension_then_reinstatement(consortium: Any, founders: list[Any]) -> None:
    target = founders[2]
    suspension = consortium.proposeSuspension(target, {"from": founders[0]}).return_value
    consortium.approve(suspension, {"from": founders[0]})
    tx = consortium.approve(suspension, {"from": founders[1]})
    assert tx.events["MemberSuspended"]["account"] == target
    assert _status(consortium, target) == SUSPENDED
    assert not consortium.isActiveMember(target)
    assert consortium.activeMemberCount() == 2

    reinstatement = consortium.proposeReinstatement(target, {"from": founders[1]}).return_value
    consortium.approve(reinstatement, {"from": founders[1]})
    assert _status(consortium, target) == SUSPENDED, "1 of 2 is not a strict majority"
    consortium.approve(reinstatement, {"from": founders[0]})
    assert _status(consortium, target) == ACTIVE
    assert consortium.activeMemberCount() == 3


def test_quorum_counts_the_electorate_when_the_proposal_was_made(
    consortium: Any, founders: list[Any], accounts: Any
) -> None:
    first = consortium.proposeAdmission(profile(accounts[5], "First"), {"from": founders[0]}).return_value
    second = consortium.proposeAdmission(profile(accounts[6], "Second"), {"from": founders[0]}).return_value
    consortium.approve(first, {"from": founders[0]})
    consortium.approve(first, {"from": founders[1]})
    assert consortium.activeMemberCount() == 4
    consortium.approve(second, {"from": founders[0]})
    consortium.approve(second, {"from": founders[1]})
    assert consortium.isActiveMember(accounts[6]), "2 approvals of the 3 members at proposal time suffice"


def test_a_suspended_member_cannot_propose_or_approve(
    consortium: Any, founders: list[Any], accounts: Any
) -> None:
    suspension = consortium.proposeSuspension(founders[2], {"from": founders[0]}).return_value
    admission = consortium.proposeAdmission(
        profile(accounts[5], "Newcomer"), {"from": founders[0]}
    ).return_value
    consortium.approve(suspension, {"from": founders[0]})
    consortium.approve(suspension, {"from": founders[1]})
    with reverts_with("ConsortiumNotActiveMember", founders[2].address):
        consortium.approve(admission, {"from": founders[2]})
    with reverts_with("ConsortiumNotActiveMember", founders[2].address):
        consortium.proposeAdmission(profile(accounts[6], "Other"), {"from": founders[2]})


def test_outsider_cannot_propose_or_approve(consortium: Any, founders: list[Any], outsider: Any) -> None:
    with reverts_with("ConsortiumNotActiveMember", outsider.address):
        consortium.proposeAdmission(profile(outsider, "Myself"), {"from": outsider})
    with reverts_with("ConsortiumNotActiveMember", outsider.address):
        consortium.proposeSuspension(founders[0], {"from": outsider})
    proposal_id = consortium.proposeAdmission(
        profile(outsider, "Outsider"), {"from": founders[0]}
    ).return_value
    with reverts_with("ConsortiumNotActiveMember", outsider.address):
        consortium.approve(proposal_id, {"from": outsider})


def test_approving_twice_reverts(consortium: Any, founders: list[Any], candidate: Any) -> None:
    proposal_id = consortium.proposeAdmission(profile(candidate, "Twice"), {"from": founders[0]}).return_value
    consortium.approve(proposal_id, {"from": founders[0]})
    with reverts_with("ConsortiumAlreadyVoted", proposal_id, founders[0].address):
        consortium.approve(proposal_id, {"from": founders[0]})


def test_approving_after_the_deadline_reverts(
    consortium: Any, founders: list[Any], candidate: Any, chain: Any
) -> None:
    proposal_id = consortium.proposeAdmission(profile(candidate, "Late"), {"from": founders[0]}).return_value
    deadline = consortium.proposal(proposal_id)["deadline"]
    consortium.approve(proposal_id, {"from": founders[0]})
    chain.sleep(VOTING_PERIOD + 1)
    with reverts_with("ConsortiumProposalExpired", proposal_id, deadline):
        consortium.approve(proposal_id, {"from": founders[1]})
    assert not consortium.isActiveMember(candidate)


def test_approving_an_executed_proposal_reverts(consortium: Any, founders: list[Any], candidate: Any) -> None:
    proposal_id = consortium.proposeAdmission(profile(candidate, "Done"), {"from": founders[0]}).return_value
    consortium.approve(proposal_id, {"from": founders[0]})
    consortium.approve(proposal_id, {"from": founders[1]})
    with reverts_with("ConsortiumProposalAlreadyExecuted", proposal_id):
        consortium.approve(proposal_id, {"from": founders[2]})


@pytest.mark.parametrize("proposal_id", [0, 1, 99])
def test_unknown_proposal_reverts(consortium: Any, founders: list[Any], proposal_id: int) -> None:
    with reverts_with("ConsortiumUnknownProposal", proposal_id):
        consortium.approve(proposal_id, {"from": founders[0]})


def test_admitting_a_member_or_former_member_reverts(consortium: Any, founders: list[Any]) -> None:
    with reverts_with("ConsortiumAlreadyMember", founders[1].address):
        consortium.proposeAdmission(profile(founders[1], "Again"), {"from": founders[0]})
    consortium.exit({"from": founders[2]})
    with reverts_with("ConsortiumAlreadyMember", founders[2].address):
        consortium.proposeAdmission(profile(founders[2], "Back"), {"from": founders[0]})


def test_admission_with_bad_profile_reverts(consortium: Any, founders: list[Any], candidate: Any) -> None:
    with reverts_with("ConsortiumEmptyName", candidate.address):
        consortium.proposeAdmission(profile(candidate, ""), {"from": founders[0]})
    with reverts_with("ConsortiumZeroAddress"):
        consortium.proposeAdmission(profile("0x" + "00" * 20, "Nobody"), {"from": founders[0]})


def test_competing_admissions_of_one_candidate_execute_once(
    consortium: Any, founders: list[Any], candidate: Any
) -> None:
    first = consortium.proposeAdmission(profile(candidate, "One"), {"from": founders[0]}).return_value
    second = consortium.proposeAdmission(profile(candidate, "Two"), {"from": founders[1]}).return_value
    consortium.approve(first, {"from": founders[0]})
    consortium.approve(first, {"from": founders[1]})
    consortium.approve(second, {"from": founders[0]})
    with reverts_with("ConsortiumAlreadyMember", candidate.address):
        consortium.approve(second, {"from": founders[1]})
    assert consortium.member(candidate)[0] == "One"


def test_suspending_a_non_active_member_reverts(consortium: Any, founders: list[Any], outsider: Any) -> None:
    with reverts_with("ConsortiumNotActiveMember", outsider.address):
        consortium.proposeSuspension(outsider, {"from": founders[0]})


def test_suspension_of_a_member_who_exited_meanwhile_reverts(consortium: Any, founders: list[Any]) -> None:
    proposal_id = consortium.proposeSuspension(founders[2], {"from": founders[0]}).return_value
    consortium.approve(proposal_id, {"from": founders[0]})
    consortium.exit({"from": founders[2]})
    with reverts_with("ConsortiumProposalStale", proposal_id, founders[2].address):
        consortium.approve(proposal_id, {"from": founders[1]})
    assert _status(consortium, founders[2]) == EXITED


def test_reinstating_a_member_who_is_not_suspended_reverts(consortium: Any, founders: list[Any]) -> None:
    with reverts_with("ConsortiumNotSuspended", founders[1].address):
        consortium.proposeReinstatement(founders[1], {"from": founders[0]})


def test_a_member_who_exited_cannot_exit_or_vote(
    consortium: Any, founders: list[Any], candidate: Any
) -> None:
    proposal_id = consortium.proposeAdmission(
        profile(candidate, "Late vote"), {"from": founders[0]}
    ).return_value
    consortium.exit({"from": founders[1]})
    with reverts_with("ConsortiumNotActiveMember", founders[1].address):
        consortium.approve(proposal_id, {"from": founders[1]})
    assert _status(consortium, founders[1]) == EXITED
    assert _status(consortium, candidate) == NONE


def test_second_reinstatement_of_the_same_member_reverts(consortium: Any, founders: list[Any]) -> None:
    _suspend_third_founder(consortium, founders)
    first = consortium.proposeReinstatement(founders[2], {"from": founders[0]}).return_value
    second = consortium.proposeReinstatement(founders[2], {"from": founders[1]}).return_value
    consortium.approve(first, {"from": founders[0]})
    consortium.approve(first, {"from": founders[1]})
    with reverts_with("ConsortiumProposalStale", second, founders[2].address):
        consortium.approve(second, {"from": founders[1]})


# ------------------------------------------------------------------ audit finding 4: who decides


def test_half_of_the_members_cannot_suspend_the_other_half(coop: Any, members: list[Any]) -> None:
    """With the old 50 % quorum, 4 of 8 members could suspend the other 4 one by one."""
    coop.exit({"from": members[8]})  # 8 active members
    target = members[7]
    proposal_id = coop.proposeSuspension(target, {"from": members[0]}).return_value
    for voter in members[:4]:
        coop.approve(proposal_id, {"from": voter})
    assert coop.isActiveMember(target), "4 of 8 is not a strict majority"
    coop.approve(proposal_id, {"from": members[4]})
    assert not coop.isActiveMember(target)


@pytest.mark.parametrize("quorum", [0, 5_000, 10_001])
def test_a_quorum_of_half_or_less_is_refused(
    deploy_consortium: Any, founder_profiles: list[Any], quorum: int
) -> None:
    with reverts_with("ConsortiumInvalidQuorum", quorum):
        deploy_consortium(founder_profiles, quorum_bps=quorum)


def test_a_stale_suspension_does_not_execute_after_a_reinstatement(coop: Any, members: list[Any]) -> None:
    """The old proposal would re-suspend a member the consortium suspended and then reinstated."""
    target = members[8]
    stale = coop.proposeSuspension(target, {"from": members[0]}).return_value
    coop.approve(stale, {"from": members[0]})
    suspension = coop.proposeSuspension(target, {"from": members[1]}).return_value
    for voter in members[1:6]:  # 5 of 9
        coop.approve(suspension, {"from": voter})
    reinstatement = coop.proposeReinstatement(target, {"from": members[1]}).return_value
    for voter in members[1:6]:  # 5 of 8
        coop.approve(reinstatement, {"from": voter})
    assert coop.isActiveMember(target)
    with reverts_with("ConsortiumProposalStale", stale, target.address):
        coop.approve(stale, {"from": members[1]})


def test_members_admitted_after_a_proposal_do_not_vote_on_it(
    consortium: Any, founders: list[Any], accounts: Any
) -> None:
    suspension = consortium.proposeSuspension(founders[2], {"from": founders[0]}).return_value
    admission = consortium.proposeAdmission(
        profile(accounts[5], "Newcomer"), {"from": founders[0]}
    ).return_value
    consortium.approve(admission, {"from": founders[0]})
    consortium.approve(admission, {"from": founders[1]})
    assert consortium.isActiveMember(accounts[5])
    with reverts_with("ConsortiumNotInElectorate", suspension, accounts[5].address):
        consortium.approve(suspension, {"from": accounts[5]})


def test_a_reinstated_member_does_not_vote_on_what_was_proposed_while_it_was_away(
    consortium: Any, founders: list[Any], accounts: Any
) -> None:
    _suspend_third_founder(consortium, founders)
    admission = consortium.proposeAdmission(
        profile(accounts[5], "Newcomer"), {"from": founders[0]}
    ).return_value
    reinstatement = consortium.proposeReinstatement(founders[2], {"from": founders[0]}).return_value
    consortium.approve(reinstatement, {"from": founders[0]})
    consortium.approve(reinstatement, {"from": founders[1]})
    with reverts_with("ConsortiumNotInElectorate", admission, founders[2].address):
        consortium.approve(admission, {"from": founders[2]})


def test_a_suspended_member_may_exit(consortium: Any, founders: list[Any]) -> None:
    _suspend_third_founder(consortium, founders)
    tx = consortium.exit({"from": founders[2]})
    assert tx.events["MemberExited"]["account"] == founders[2]
    assert _status(consortium, founders[2]) == EXITED
    assert consortium.activeMemberCount() == 2, "a suspended member was not counted active"
