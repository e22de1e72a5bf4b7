"""Agreements: signing on chain and with EIP-712 signatures; activation when every party signed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from brownie import web3
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data

from conftest import ACTIVE, PROPOSED, SIGNER_KEYS, deployment_of, now, reverts_with
from ledger.protocol.eip712 import agreement_approval, sign_typed_data


def _signature(
    agreements: Any, key: str, agreement_id: int, version: int, chain_id: int | None = None
) -> bytes:
    typed = agreement_approval(
        chain_id if chain_id is not None else web3.eth.chain_id,
        deployment_of(agreements),
        agreement_id,
        version,
        bytes(agreements.contentHash(agreement_id, version)),
    )
    return sign_typed_data(key, typed)


@pytest.fixture
def signed_by_signers(propose: Callable[..., int], signers: list[Any]) -> int:
    """A proposed agreement between the three off-chain signers (lead: signers[0])."""
    return propose(parties=signers, shares=[4_000, 3_000, 3_000])


def test_agreement_activates_when_the_last_party_signs(
    agreements: Any, propose: Any, members: list[Any]
) -> None:
    agreement_id = propose()
    agreements.sign(agreement_id, 1, {"from": members[1]})
    assert agreements.statusOf(agreement_id) == PROPOSED
    tx = agreements.sign(agreement_id, 1, {"from": members[2]})
    assert tx.events["AgreementSigned"]["party"] == members[2]
    assert tx.events["AgreementVersionActivated"]["version"] == 1
    assert agreements.statusOf(agreement_id) == ACTIVE
    summary = agreements.agreement(agreement_id)
    assert (summary["currentVersion"], summary["pendingVersion"]) == (1, 0)


def test_anybody_may_submit_the_parties_signatures(
    agreements: Any, signed_by_signers: int, customer: Any, signers: list[Any]
) -> None:
    signatures = [_signature(agreements, key, signed_by_signers, 1) for key in SIGNER_KEYS[1:]]
    tx = agreements.signWithSignatures(signed_by_signers, 1, signatures, {"from": customer})
    assert [e["party"] for e in tx.events["AgreementSigned"]] == [s.address for s in signers[1:]]
    assert agreements.statusOf(signed_by_signers) == ACTIVE


def test_contract_digest_is_the_standard_eip712_digest(agreements: Any, signed_by_signers: int) -> None:
    typed = agreement_approval(
        web3.eth.chain_id,
        deployment_of(agreements),
        signed_by_signers,
        1,
        bytes(agreements.contentHash(signed_by_signers, 1)),
    )
    signable = encode_typed_data(
        domain_data=typed["domain"], message_types=typed["types"], message_data=typed["message"]
    )
    assert bytes(agreements.approvalDigest(signed_by_signers, 1)) == _hash_eip191_message(signable)


def test_a_signature_for_another_chain_id_fails(agreements: Any, signed_by_signers: int) -> None:
    wrong_chain = _signature(agreements, SIGNER_KEYS[1], signed_by_signers, 1, chain_id=1)
    recovered = Account._recover_hash(
        bytes(agreements.approvalDigest(signed_by_signers, 1)), signature=wrong_chain
    )
    with reverts_with("AgreementNotParty", signed_by_signers, recovered):
        agreements.signWithSignatures(signed_by_signers, 1, [wrong_chain])


def test_a_signature_for_another_contract_fails(
    Agreements: Any, agreements: Any, coop: Any, signed_by_signers: int, accounts: Any
) -> None:
    other = Agreements.deploy(coop, {"from": accounts[0]})
    typed = agreement_approval(
        web3.eth.chain_id,
        deployment_of(other),
        signed_by_signers,
        1,
        bytes(agreements.contentHash(signed_by_signers, 1)),
    )
    signature = sign_typed_data(SIGNER_KEYS[1], typed)
    recovered = Account._recover_hash(
        bytes(agreements.approvalDigest(signed_by_signers, 1)), signature=signature
    )
    with reverts_with("AgreementNotParty", signed_by_signers, recovered):
        agreements.signWithSignatures(signed_by_signers, 1, [signature])


def test_a_replayed_signature_reverts(agreements: Any, signed_by_signers: int, signers: list[Any]) -> None:
    signature = _signature(agreements, SIGNER_KEYS[1], signed_by_signers, 1)
    agreements.signWithSignatures(signed_by_signers, 1, [signature])
    with reverts_with("AgreementAlreadySigned", signed_by_signers, 1, signers[1].address):
        agreements.signWithSignatures(signed_by_signers, 1, [signature])


def test_a_non_party_signature_reverts(
    agreements: Any, propose: Any, members: list[Any], signers: list[Any]
) -> None:
    agreement_id = propose()
    signature = _signature(agreements, SIGNER_KEYS[0], agreement_id, 1)
    with reverts_with("AgreementNotParty", agreement_id, signers[0].address):
        agreements.signWithSignatures(agreement_id, 1, [signature])


def test_a_malformed_signature_reverts(agreements: Any, signed_by_signers: int) -> None:
    with reverts_with("ECDSAInvalidSignatureLength", 3):
        agreements.signWithSignatures(signed_by_signers, 1, [b"\x01\x02\x03"])


def test_a_suspended_party_cannot_sign_by_signature(
    agreements: Any, coop: Any, signed_by_signers: int, members: list[Any], signers: list[Any]
) -> None:
    proposal_id = coop.proposeSuspension(signers[2], {"from": members[0]}).return_value
    for voter in members[:5]:
        coop.approve(proposal_id, {"from": voter})
    signature = _signature(agreements, SIGNER_KEYS[2], signed_by_signers, 1)
    with reverts_with("AgreementNotActiveMember", signers[2].address):
        agreements.signWithSignatures(signed_by_signers, 1, [signature])


def test_a_suspended_party_cannot_sign_on_chain(
    agreements: Any, coop: Any, propose: Any, members: list[Any]
) -> None:
    agreement_id = propose()
    proposal_id = coop.proposeSuspension(members[2], {"from": members[0]}).return_value
    for voter in members[:5]:
        coop.approve(proposal_id, {"from": voter})
    with reverts_with("AgreementNotActiveMember", members[2].address):
        agreements.sign(agreement_id, 1, {"from": members[2]})


def test_a_non_party_cannot_sign(agreements: Any, propose: Any, members: list[Any]) -> None:
    agreement_id = propose()
    with reverts_with("AgreementNotParty", agreement_id, members[4].address):
        agreements.sign(agreement_id, 1, {"from": members[4]})


def test_an_outsider_cannot_sign(agreements: Any, propose: Any, outsider: Any) -> None:
    agreement_id = propose()
    with reverts_with("AgreementNotActiveMember", outsider.address):
        agreements.sign(agreement_id, 1, {"from": outsider})


def test_signing_twice_reverts(agreements: Any, propose: Any, members: list[Any]) -> None:
    agreement_id = propose()
    with reverts_with("AgreementAlreadySigned", agreement_id, 1, members[0].address):
        agreements.sign(agreement_id, 1, {"from": members[0]})


@pytest.mark.parametrize("version", [0, 2])
def test_signing_a_version_that_is_not_pending_reverts(
    agreements: Any, propose: Any, members: list[Any], version: int
) -> None:
    agreement_id = propose()
    with reverts_with("AgreementVersionNotPending", agreement_id, version):
        agreements.sign(agreement_id, version, {"from": members[1]})


def test_signing_after_the_end_time_reverts(
    agreements: Any, propose: Any, members: list[Any], chain: Any
) -> None:
    end = now() + 1_000
    agreement_id = propose(end=end)
    chain.sleep(2_000)
    with reverts_with("AgreementExpired", agreement_id, end):
        agreements.sign(agreement_id, 1, {"from": members[1]})
