"""Consortium: founders at deployment, member records, exit."""

from __future__ import annotations

from typing import Any

from conftest import reverts_with
from ledger.protocol.codes import encode_code

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ACTIVE, EXITED = 1, 3


def test_founders_are_active_members_with_their_profiles(consortium: Any, founders: list[Any]) -> None:
    assert consortium.memberCount() == 3
    assert consortium.activeMemberCount() == 3
    assert [consortium.memberAt(i) for i in range(3)] == [f.address for f in founders]
    assert all(consortium.isActiveMember(f) for f in founders)
    name, sector, region, joined_at, status = consortium.member(founders[1])
    assert (name, sector, region, status) == (
        "Bean There",
        "0x" + encode_code("coffee").hex(),
        "0x" + encode_code("north").hex(),
        ACTIVE,
    )
    assert joined_at > 0


def test_deployment_emits_one_admission_per_founder(consortium: Any, founders: list[Any]) -> None:
    events = consortium.tx.events["MemberAdmitted"]
    assert [e["account"] for e in events] == [f.address for f in founders]
    assert all(e["proposalId"] == 0 for e in events)
    assert events[2]["name"] == "Swift Wheels"


def test_outsider_is_not_a_member(consortium: Any, outsider: Any) -> None:
    assert not consortium.isActiveMember(outsider)
    assert consortium.member(outsider)[4] == 0


def test_member_exits_on_its_own(consortium: Any, founders: list[Any]) -> None:
    tx = consortium.exit({"from": founders[2]})
    assert tx.events["MemberExited"]["account"] == founders[2]
    assert not consortium.isActiveMember(founders[2])
    assert consortium.member(founders[2])[4] == EXITED
    assert consortium.activeMemberCount() == 2
    assert consortium.memberCount() == 3


def test_outsider_cannot_exit(consortium: Any, outsider: Any) -> None:
    with reverts_with("ConsortiumNotActiveMember", outsider.address):
        consortium.exit({"from": outsider})


def test_member_cannot_exit_twice(consortium: Any, founders: list[Any]) -> None:
    consortium.exit({"from": founders[0]})
    with reverts_with("ConsortiumNotActiveMember", founders[0].address):
        consortium.exit({"from": founders[0]})


def test_deployment_without_founders_reverts(deploy_consortium: Any) -> None:
    with reverts_with("ConsortiumNoFounders"):
        deploy_consortium([])


def test_duplicate_founder_reverts(deploy_consortium: Any, founder_profiles: list[Any]) -> None:
    with reverts_with("ConsortiumAlreadyMember", founder_profiles[0][0]):
        deploy_consortium([founder_profiles[0], founder_profiles[1], founder_profiles[0]])


def test_zero_address_founder_reverts(deploy_consortium: Any, founder_profiles: list[Any]) -> None:
    _, name, sector, region = founder_profiles[0]
    with reverts_with("ConsortiumZeroAddress"):
        deploy_consortium([(ZERO_ADDRESS, name, sector, region)])


def test_founder_without_name_reverts(deploy_consortium: Any, founder_profiles: list[Any]) -> None:
    account, _, sector, region = founder_profiles[0]
    with reverts_with("ConsortiumEmptyName", account):
        deploy_consortium([(account, "", sector, region)])


def test_zero_voting_period_reverts(deploy_consortium: Any, founder_profiles: list[Any]) -> None:
    with reverts_with("ConsortiumInvalidVotingPeriod"):
        deploy_consortium(founder_profiles, voting_period=0)
