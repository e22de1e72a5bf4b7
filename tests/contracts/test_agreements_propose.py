"""Agreements: proposing — what a valid proposal records, and every rule a proposal must satisfy."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import NATIVE, PROPOSED, SUPPLY, TERMS, YEAR, now, proposal, reverts_with


def test_proposal_records_parties_shares_terms_and_signs_for_the_proposer(
    agreements: Any, token: Any, members: list[Any], chain: Any
) -> None:
    current = now()
    parties = [members[1], members[0], members[2]]
    tx = agreements.propose(
        proposal(parties, [2_500, 2_500, 5_000], token, current, current + YEAR, kind=SUPPLY, uri="ipfs://x"),
        {"from": members[0]},
    )
    agreement_id = tx.return_value
    assert agreement_id == 1 == agreements.agreementCount()

    proposed = tx.events["AgreementProposed"]
    assert (proposed["id"], proposed["proposer"], proposed["asset"], proposed["kind"]) == (
        1,
        members[0],
        token,
        SUPPLY,
    )
    assert proposed["parties"] == [p.address for p in parties]
    version = tx.events["VersionProposed"]
    assert version["version"] == 1
    assert list(version["sharesBps"]) == [2_500, 2_500, 5_000]
    assert version["termsHash"] == "0x" + TERMS.hex()
    assert version["uri"] == "ipfs://x"
    assert tx.events["AgreementSigned"]["party"] == members[0]

    summary = agreements.agreement(agreement_id)
    assert summary["status"] == PROPOSED
    assert summary["lead"] == members[0], "the proposer is the lead party"
    assert (summary["currentVersion"], summary["pendingVersion"], summary["partyCount"]) == (0, 1, 3)
    assert agreements.shareOf(agreement_id, members[2]) == 5_000
    assert agreements.hasSigned(agreement_id, 1, members[0])
    assert not agreements.hasSigned(agreement_id, 1, members[1])


def test_native_coin_agreement_is_accepted(propose: Any, agreements: Any) -> None:
    agreement_id = propose(asset=NATIVE)
    assert agreements.agreement(agreement_id)["asset"] == NATIVE


def test_non_member_cannot_propose(propose: Any, members: list[Any], outsider: Any) -> None:
    with reverts_with("AgreementNotActiveMember", outsider.address):
        propose(parties=[outsider, members[0]], shares=[5_000, 5_000], proposer=outsider)


def test_every_party_must_be_an_active_member(propose: Any, members: list[Any], outsider: Any) -> None:
    with reverts_with("AgreementNotActiveMember", outsider.address):
        propose(parties=[members[0], outsider], shares=[5_000, 5_000])


def test_suspended_member_cannot_propose_or_be_a_party(propose: Any, coop: Any, members: list[Any]) -> None:
    proposal_id = coop.proposeSuspension(members[5], {"from": members[0]}).return_value
    for voter in members[:5]:
        coop.approve(proposal_id, {"from": voter})
    assert not coop.isActiveMember(members[5])
    with reverts_with("AgreementNotActiveMember", members[5].address):
        propose(parties=[members[5], members[0]], shares=[5_000, 5_000])
    with reverts_with("AgreementNotActiveMember", members[5].address):
        propose(parties=[members[0], members[5]], shares=[5_000, 5_000])


@pytest.mark.parametrize("count", [1, 65])
def test_party_count_must_be_2_to_64(propose: Any, members: list[Any], count: int) -> None:
    parties = [members[0]] * count
    with reverts_with("AgreementInvalidPartyCount", count):
        propose(parties=parties, shares=[1] * count)


def test_shares_must_match_parties(propose: Any, members: list[Any]) -> None:
    with reverts_with("AgreementLengthMismatch", 3, 2):
        propose(shares=[5_000, 5_000])


def test_duplicate_party_reverts(propose: Any, members: list[Any]) -> None:
    with reverts_with("AgreementDuplicateParty", members[1].address):
        propose(parties=[members[0], members[1], members[1]])


def test_zero_share_reverts(propose: Any, members: list[Any]) -> None:
    with reverts_with("AgreementZeroShare", members[2].address):
        propose(shares=[5_000, 5_000, 0])


@pytest.mark.parametrize("shares", [[5_000, 3_000, 1_999], [5_000, 3_000, 2_001]])
def test_shares_must_sum_to_10000(propose: Any, shares: list[int]) -> None:
    with reverts_with("AgreementSharesNotFull", sum(shares)):
        propose(shares=shares)


def test_proposer_must_be_a_party(propose: Any, members: list[Any]) -> None:
    with reverts_with("AgreementProposerNotParty", members[4].address):
        propose(proposer=members[4])


def test_end_must_follow_start(propose: Any, chain: Any) -> None:
    current = now()
    with reverts_with("AgreementInvalidPeriod", current + 100, current + 100):
        propose(start=current + 100, end=current + 100)


def test_end_must_be_in_the_future(propose: Any, chain: Any) -> None:
    start = now() - 1_000
    with reverts_with("AgreementInvalidPeriod", start, start + 10):
        propose(start=start, end=start + 10)


def test_asset_must_be_approved_by_the_consortium(propose: Any, accounts: Any, MockERC20: Any) -> None:
    with reverts_with("AgreementAssetNotApproved", accounts[4].address):
        propose(asset=accounts[4])
    unvetted = MockERC20.deploy("Unvetted", "UNV", {"from": accounts[0]})
    with reverts_with("AgreementAssetNotApproved", unvetted.address):
        propose(asset=unvetted)


def test_unknown_agreement_reverts(agreements: Any, members: list[Any]) -> None:
    with reverts_with("AgreementUnknown", 7):
        agreements.sign(7, 1, {"from": members[0]})
    with reverts_with("AgreementUnknown", 7):
        agreements.agreement(7)
