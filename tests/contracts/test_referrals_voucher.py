"""ReferralRewards: EIP-712 vouchers — the referrer redeems the sponsor's signed confirmation; no replay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from brownie import web3
from eth_account import Account

from conftest import CLAIMED, deployment_of, lead, now, reverts_with
from ledger.protocol.eip712 import conversion_voucher, sign_typed_data, split_signature

VALUE = 20 * 10**18
REWARD = 2 * 10**18


def _voucher(program_id: int, commitment: bytes, **changes: int) -> tuple[int, bytes, int, int, int, int]:
    fields = {"value": VALUE, "reward": REWARD, "deadline": now() + 3_600, "nonce": 0, **changes}
    return (program_id, commitment, fields["value"], fields["reward"], fields["deadline"], fields["nonce"])


Signature = tuple[int, bytes, bytes]


def _sign(
    key: str, contract: Any, voucher: tuple[int, bytes, int, int, int, int], chain_id: int | None = None
) -> Signature:
    typed = conversion_voucher(chain_id or web3.eth.chain_id, deployment_of(contract), *voucher)
    return split_signature(sign_typed_data(key, typed))


def _recovered(referrals: Any, voucher: tuple[Any, ...], signature: Signature) -> str:
    v, r, s = signature
    return str(Account._recover_hash(bytes(referrals.voucherDigest(voucher)), vrs=(v, r, s)))


@pytest.fixture
def recorded(referrals: Any, program_id: int, referrer: Any) -> bytes:
    commitment = lead("jane@example.com")
    referrals.recordReferral(program_id, commitment, {"from": referrer})
    return commitment


def test_referrer_redeems_a_voucher_in_one_call(
    referrals: Any, token: Any, program_id: int, recorded: bytes, sponsor_key: str, referrer: Any
) -> None:
    voucher = _voucher(program_id, recorded)
    tx = referrals.redeemVoucher(voucher, *_sign(sponsor_key, referrals, voucher), {"from": referrer})
    assert tx.return_value == REWARD
    assert tx.events["ConversionConfirmed"]["viaVoucher"] is True
    assert tx.events["RewardClaimed"]["amount"] == REWARD
    assert token.balanceOf(referrer) == REWARD
    assert referrals.referral(program_id, recorded)[1] == CLAIMED
    assert referrals.program(program_id)["reservedTotal"] == REWARD


def test_contract_digest_matches_the_standard_eip712_digest(
    referrals: Any, program_id: int, recorded: bytes, sponsor_key: str, sponsor: Any
) -> None:
    voucher = _voucher(program_id, recorded)
    assert _recovered(referrals, voucher, _sign(sponsor_key, referrals, voucher)) == sponsor.address


def test_the_same_voucher_cannot_be_redeemed_twice(
    referrals: Any, program_id: int, recorded: bytes, sponsor_key: str, referrer: Any
) -> None:
    voucher = _voucher(program_id, recorded)
    signature = _sign(sponsor_key, referrals, voucher)
    referrals.redeemVoucher(voucher, *signature, {"from": referrer})
    with reverts_with("ReferralWrongStatus", program_id, recorded, CLAIMED):
        referrals.redeemVoucher(voucher, *signature, {"from": referrer})


def test_a_voucher_for_another_chain_fails(
    referrals: Any, program_id: int, recorded: bytes, sponsor_key: str, referrer: Any
) -> None:
    voucher = _voucher(program_id, recorded)
    signature = _sign(sponsor_key, referrals, voucher, chain_id=1)
    with reverts_with("ReferralInvalidVoucherSigner", _recovered(referrals, voucher, signature)):
        referrals.redeemVoucher(voucher, *signature, {"from": referrer})


def test_a_voucher_for_another_contract_fails(
    ReferralRewards: Any,
    coop: Any,
    referrals: Any,
    program_id: int,
    recorded: bytes,
    sponsor_key: str,
    referrer: Any,
) -> None:
    other = ReferralRewards.deploy(coop, {"from": referrer})
    voucher = _voucher(program_id, recorded)
    signature = _sign(sponsor_key, other, voucher)
    with reverts_with("ReferralInvalidVoucherSigner", _recovered(referrals, voucher, signature)):
        referrals.redeemVoucher(voucher, *signature, {"from": referrer})


def test_a_voucher_for_another_program_fails(
    referrals: Any,
    create_program: Callable[..., int],
    program_id: int,
    recorded: bytes,
    sponsor_key: str,
    referrer: Any,
) -> None:
    other = create_program()
    referrals.recordReferral(other, recorded, {"from": referrer})
    signature = _sign(sponsor_key, referrals, _voucher(program_id, recorded))
    moved = _voucher(other, recorded)
    with reverts_with("ReferralInvalidVoucherSigner", _recovered(referrals, moved, signature)):
        referrals.redeemVoucher(moved, *signature, {"from": referrer})


def test_a_voucher_not_signed_by_the_sponsor_fails(
    referrals: Any, program_id: int, recorded: bytes, referrer: Any, signers: list[Any]
) -> None:
    voucher = _voucher(program_id, recorded)
    forged = _sign(signers[1].private_key, referrals, voucher)
    with reverts_with("ReferralInvalidVoucherSigner", signers[1].address):
        referrals.redeemVoucher(voucher, *forged, {"from": referrer})


def test_an_expired_voucher_fails(
    referrals: Any, program_id: int, recorded: bytes, sponsor_key: str, referrer: Any, chain: Any
) -> None:
    deadline = now() + 60
    voucher = _voucher(program_id, recorded, deadline=deadline)
    signature = _sign(sponsor_key, referrals, voucher)
    chain.sleep(120)
    with reverts_with("ReferralVoucherExpired", deadline):
        referrals.redeemVoucher(voucher, *signature, {"from": referrer})


def test_revoked_vouchers_fail(
    referrals: Any, program_id: int, recorded: bytes, sponsor_key: str, sponsor: Any, referrer: Any
) -> None:
    voucher = _voucher(program_id, recorded)
    signature = _sign(sponsor_key, referrals, voucher)
    assert referrals.revokeVouchers({"from": sponsor}).return_value == 1
    with reverts_with("ReferralVoucherRevoked", 0, 1):
        referrals.redeemVoucher(voucher, *signature, {"from": referrer})
    fresh = _voucher(program_id, recorded, nonce=1)
    referrals.redeemVoucher(fresh, *_sign(sponsor_key, referrals, fresh), {"from": referrer})


def test_a_voucher_must_state_the_rules_reward(
    referrals: Any, program_id: int, recorded: bytes, sponsor_key: str, referrer: Any
) -> None:
    voucher = _voucher(program_id, recorded, reward=3 * 10**18)
    with reverts_with("ReferralRewardMismatch", 3 * 10**18, REWARD):
        referrals.redeemVoucher(voucher, *_sign(sponsor_key, referrals, voucher), {"from": referrer})


def test_only_the_referrer_redeems(
    referrals: Any, program_id: int, recorded: bytes, sponsor_key: str, members: list[Any]
) -> None:
    voucher = _voucher(program_id, recorded)
    with reverts_with("ReferralNotReferrer", program_id, recorded, members[2].address):
        referrals.redeemVoucher(voucher, *_sign(sponsor_key, referrals, voucher), {"from": members[2]})


def test_a_voucher_cannot_overdraw_the_budget(
    referrals: Any, create_program: Callable[..., int], sponsor_key: str, referrer: Any
) -> None:
    program_id = create_program(budget=10**18)
    commitment = lead("big")
    referrals.recordReferral(program_id, commitment, {"from": referrer})
    voucher = _voucher(program_id, commitment)
    with reverts_with("ReferralBudgetExceeded", program_id, REWARD, 10**18):
        referrals.redeemVoucher(voucher, *_sign(sponsor_key, referrals, voucher), {"from": referrer})


def test_no_voucher_after_the_program_expired(
    referrals: Any, create_program: Callable[..., int], sponsor_key: str, referrer: Any, chain: Any
) -> None:
    expiry = now() + 100
    program_id = create_program(expiry=expiry)
    commitment = lead("late")
    referrals.recordReferral(program_id, commitment, {"from": referrer})
    voucher = _voucher(program_id, commitment, deadline=expiry + 10_000)
    signature = _sign(sponsor_key, referrals, voucher)
    chain.sleep(101)
    with reverts_with("ReferralProgramExpired", program_id, expiry):
        referrals.redeemVoucher(voucher, *signature, {"from": referrer})
