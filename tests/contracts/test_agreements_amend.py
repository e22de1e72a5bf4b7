"""Agreements: amendments — a new version takes effect only when every party signed it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from brownie import web3
from eth_account import Account

from conftest import SIGNER_KEYS, YEAR, deployment_of, now, reverts_with
from ledger.protocol.eip712 import agreement_approval, sign_typed_data

NEW_TERMS = b"\x22" * 32


def _amend(agreements: Any, agreement_id: int, party: Any, shares: list[int], end: int | None = None) -> int:
    end = now() + 2 * YEAR if end is None else end
    tx = agreements.proposeAmendment(agreement_id, NEW_TERMS, "ipfs://terms-v2", shares, end, {"from": party})
    return int(tx.return_value)


def test_amendment_takes_effect_when_all_parties_signed(
    agreements: Any, token: Any, active_id: int, members: list[Any], customer: Any
) -> None:
    end = now() + 2 * YEAR
    version = _amend(agreements, active_id, members[1], [2_000, 6_000, 2_000], end)
    assert version == 2
    agreements.deposit(active_id, token, 10_000, {"from": customer})
    assert agreements.creditedTo(active_id, members[1]) == 3_000, "version 1 stays in force until signed"

    agreements.sign(active_id, 2, {"from": members[0]})
    tx = agreements.sign(active_id, 2, {"from": members[2]})
    assert tx.events["AgreementVersionActivated"]["version"] == 2
    summary = agreements.agreement(active_id)
    assert (summary["currentVersion"], summary["pendingVersion"], summary["endTime"]) == (2, 0, end)
    assert agreements.shareOf(active_id, members[1]) == 6_000
    assert agreements.versionOf(active_id, 2)["termsHash"] == "0x" + NEW_TERMS.hex()

    agreements.deposit(active_id, token, 10_000, {"from": customer})
    assert agreements.creditedTo(active_id, members[0]) == 5_000 + 2_000
    assert agreements.creditedTo(active_id, members[1]) == 3_000 + 6_000
    assert agreements.creditedTo(active_id, members[2]) == 2_000 + 2_000
    assert agreements.agreement(active_id)["totalCredited"] == 20_000


def test_an_amendment_settles_the_old_shares_and_carries_the_dust(
    agreements: Any, token: Any, active_id: int, members: list[Any], customer: Any
) -> None:
    agreements.deposit(active_id, token, 9_999, {"from": customer})  # 4 999.5 / 2 999.7 / 1 999.8
    assert [agreements.creditedTo(active_id, m) for m in members[:3]] == [4_999, 2_999, 1_999]
    assert agreements.unassigned(active_id) == 2
    version = _amend(agreements, active_id, members[1], [2_000, 6_000, 2_000])
    agreements.sign(active_id, version, {"from": members[0]})
    agreements.sign(active_id, version, {"from": members[2]})
    # the dust, 2, opens the new period, where the new shares share it: 6 000 bps of 2 is 1
    assert [agreements.creditedTo(active_id, m) for m in members[:3]] == [4_999, 3_000, 1_999]
    assert agreements.unassigned(active_id) == 1
    agreements.deposit(active_id, token, 3, {"from": customer})  # the new period has credited 5
    assert [agreements.creditedTo(active_id, m) for m in members[:3]] == [5_000, 3_002, 2_000]
    assert agreements.unassigned(active_id) == 0
    assert sum(agreements.creditedTo(active_id, m) for m in members[:3]) == 10_002


def test_a_newer_amendment_replaces_a_pending_one(
    agreements: Any, active_id: int, members: list[Any]
) -> None:
    _amend(agreements, active_id, members[1], [2_000, 6_000, 2_000])
    agreements.sign(active_id, 2, {"from": members[0]})
    assert _amend(agreements, active_id, members[2], [3_000, 3_000, 4_000]) == 3
    with reverts_with("AgreementVersionNotPending", active_id, 2):
        agreements.sign(active_id, 2, {"from": members[2]})
    assert not agreements.hasSigned(active_id, 3, members[0]), "signatures of version 2 do not carry over"
    agreements.sign(active_id, 3, {"from": members[0]})
    agreements.sign(active_id, 3, {"from": members[1]})
    assert agreements.shareOf(active_id, members[2]) == 4_000


def test_a_signature_for_version_1_does_not_activate_version_2(
    agreements: Any, propose: Callable[..., int], activate: Callable[[int], None], signers: list[Any]
) -> None:
    agreement_id = propose(parties=signers, shares=[4_000, 3_000, 3_000])
    version_1 = [
        sign_typed_data(
            key,
            agreement_approval(
                web3.eth.chain_id,
                deployment_of(agreements),
                agreement_id,
                1,
                bytes(agreements.contentHash(agreement_id, 1)),
            ),
        )
        for key in SIGNER_KEYS[1:]
    ]
    agreements.signWithSignatures(agreement_id, 1, version_1)
    _amend(agreements, agreement_id, signers[0], [2_000, 4_000, 4_000])
    with reverts_with("AgreementVersionNotPending", agreement_id, 1):
        agreements.signWithSignatures(agreement_id, 1, version_1)
    recovered = Account._recover_hash(
        bytes(agreements.approvalDigest(agreement_id, 2)), signature=version_1[0]
    )
    with reverts_with("AgreementNotParty", agreement_id, recovered):
        agreements.signWithSignatures(agreement_id, 2, version_1[:1])
    assert agreements.agreement(agreement_id)["currentVersion"] == 1


def test_non_party_cannot_amend(agreements: Any, active_id: int, members: list[Any]) -> None:
    with reverts_with("AgreementNotParty", active_id, members[4].address):
        _amend(agreements, active_id, members[4], [2_000, 6_000, 2_000])


def test_outsider_cannot_amend(agreements: Any, active_id: int, outsider: Any) -> None:
    with reverts_with("AgreementNotActiveMember", outsider.address):
        _amend(agreements, active_id, outsider, [2_000, 6_000, 2_000])


def test_proposed_agreement_cannot_be_amended(
    agreements: Any, propose: Callable[..., int], members: list[Any]
) -> None:
    agreement_id = propose()
    with reverts_with("AgreementWrongStatus", agreement_id, 1):
        _amend(agreements, agreement_id, members[0], [2_000, 6_000, 2_000])


def test_expired_agreement_cannot_be_amended(
    agreements: Any,
    propose: Callable[..., int],
    activate: Callable[[int], None],
    members: list[Any],
    chain: Any,
) -> None:
    agreement_id = propose(end=now() + 1_000)
    activate(agreement_id)
    chain.sleep(1_001)
    chain.mine()
    with reverts_with("AgreementWrongStatus", agreement_id, 5):
        _amend(agreements, agreement_id, members[0], [2_000, 6_000, 2_000])


@pytest.mark.parametrize(
    ("shares", "error", "args"),
    [
        ([5_000, 5_000], "AgreementLengthMismatch", (3, 2)),
        ([5_000, 5_000, 0], "AgreementZeroShare", (2,)),
        ([5_000, 3_000, 1_000], "AgreementSharesNotFull", (9_000,)),
    ],
)
def test_amended_shares_follow_the_rules(
    agreements: Any, active_id: int, members: list[Any], shares: list[int], error: str, args: tuple[int, ...]
) -> None:
    expected = tuple(members[2].address if error == "AgreementZeroShare" else arg for arg in args)
    with reverts_with(error, *expected):
        _amend(agreements, active_id, members[0], shares)


def test_amended_end_time_must_be_in_the_future(agreements: Any, active_id: int, members: list[Any]) -> None:
    start = agreements.agreement(active_id)["startTime"]
    with reverts_with("AgreementInvalidPeriod", start, start):
        _amend(agreements, active_id, members[0], [2_000, 6_000, 2_000], end=start)


# ------------------------------------------------------------------- the audit's finding 7 (views)


def test_a_replaced_version_never_counts_as_signed(
    agreements: Any, active_id: int, members: list[Any]
) -> None:
    _amend(agreements, active_id, members[1], [2_000, 6_000, 2_000])  # version 2, signed by members[1]
    assert agreements.hasSigned(active_id, 2, members[1])
    _amend(agreements, active_id, members[2], [3_000, 3_000, 4_000])  # version 3 replaces it
    for party in (members[0], members[1]):
        agreements.sign(active_id, 3, {"from": party})
    assert agreements.agreement(active_id)["currentVersion"] == 3
    assert agreements.versionOf(active_id, 2)["replaced"] is True
    assert not agreements.hasSigned(active_id, 2, members[1]), "version 2 never took effect"
    assert agreements.hasSigned(active_id, 3, members[1])
    assert agreements.hasSigned(active_id, 1, members[1]), "version 1 took effect"


# -------------------------------------------------------- audit finding 4: a party that left blocks nothing


def test_a_party_that_left_need_not_sign_an_amendment_that_keeps_its_share(
    agreements: Any, coop: Any, active_id: int, members: list[Any]
) -> None:
    """Before, an exited party blocked every amendment of its agreements forever."""
    coop.exit({"from": members[2]})
    version = _amend(agreements, active_id, members[0], [4_000, 4_000, 2_000])
    tx = agreements.sign(active_id, version, {"from": members[1]})
    assert tx.events["AgreementVersionActivated"]["version"] == version
    assert agreements.shareOf(active_id, members[2]) == 2_000


def test_nobody_changes_the_share_of_a_party_that_left(
    agreements: Any, coop: Any, active_id: int, members: list[Any]
) -> None:
    coop.exit({"from": members[2]})
    version = _amend(agreements, active_id, members[0], [5_000, 4_000, 1_000])
    tx = agreements.sign(active_id, version, {"from": members[1]})
    assert "AgreementVersionActivated" not in tx.events
    with reverts_with("AgreementAwaitingSignatures", active_id, version):
        agreements.completeAmendment(active_id, {"from": members[1]})
    assert agreements.shareOf(active_id, members[2]) == 2_000


def test_an_amendment_completes_when_the_last_unsigned_party_leaves(
    agreements: Any, coop: Any, active_id: int, members: list[Any], outsider: Any
) -> None:
    version = _amend(agreements, active_id, members[0], [4_000, 4_000, 2_000])
    agreements.sign(active_id, version, {"from": members[1]})
    with reverts_with("AgreementAwaitingSignatures", active_id, version):
        agreements.completeAmendment(active_id, {"from": outsider})
    coop.exit({"from": members[2]})
    tx = agreements.completeAmendment(active_id, {"from": outsider})
    assert tx.events["AgreementVersionActivated"]["version"] == version
    assert agreements.shareOf(active_id, members[0]) == 4_000


def test_complete_amendment_needs_a_pending_amendment(agreements: Any, active_id: int, outsider: Any) -> None:
    with reverts_with("AgreementVersionNotPending", active_id, 0):
        agreements.completeAmendment(active_id, {"from": outsider})
