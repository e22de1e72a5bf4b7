"""ReferralRewards: EIP-712 vouchers — a sponsor's signed voucher pays the referrer it names; no replay."""

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


Voucher = tuple[int, str, bytes, int, int, int, int]


def _voucher(program_id: int, referrer: Any, commitment: bytes, **changes: int) -> Voucher:
    fields = {"value": VALUE, "reward": REWARD, "deadline": now() + 3_600, "nonce": 0, **changes}
    return (
        program_id,
        str(referrer),
        commitment,
        fields["value"],
        fields["reward"],
        fields["deadline"],
        fields["nonce"],
    )


Signature = tuple[int, bytes, bytes]


def _sign(key: str, contract: Any, voucher: Voucher, chain_id: int | None = None) -> Signature:
    typed = conversion_voucher(chain_id or web3.eth.chain_id, deployment_of(contract), *voucher)
    return split_signature(sign_typed_data(key, typed))


def _recovered(referrals: Any, voucher: tuple[Any, ...], signature: Signature) -> str:
    v, r, s = signature
    return str(Account._recover_hash(bytes(referrals.voucherDigest(voucher)), vrs=(v, r, s)))


@pytest.fixture
def recorded(referrals: Any, program_id: int, referrer: Any) -> bytes:
    commitment = lead("jane@example.com", referrer)
    referrals.recordReferral(program_id, commitment, {"from": referrer})
    return commitment


def test_referrer_redeems_a_voucher_in_one_call(
    referrals: Any,
    token: Any,
    program_id: int,
    recorded: bytes,
    sponsor_key: str,
    sponsor: Any,
    referrer: Any,
) -> None:
    voucher = _voucher(program_id, referrer, recorded)
    tx = referrals.redeemVoucher(voucher, *_sign(sponsor_key, referrals, voucher), {"from": referrer})
    assert tx.return_value == REWARD
    event = tx.events["VoucherRedeemed"]
    assert (event["programId"], event["sponsor"], event["referrer"], event["conversionValue"]) == (
        program_id,
        sponsor,
        referrer,
        VALUE,
    )
    assert event["reward"] == REWARD
    assert "ConversionConfirmed" not in tx.events
    assert "RewardClaimed" not in tx.events
    assert token.balanceOf(referrer) == REWARD
    assert referrals.referral(program_id, referrer, recorded)[0] == CLAIMED
    assert referrals.program(program_id)["budget"] == 100 * 10**18 - REWARD


def test_anybody_may_redeem_but_only_the_named_referrer_is_paid(
    referrals: Any,
    token: Any,
    program_id: int,
    recorded: bytes,
    sponsor_key: str,
    referrer: Any,
    members: list[Any],
) -> None:
    """Audit finding 2: a copier who front-runs the redemption of the honest referrer's voucher pays the
    honest referrer's reward to it; and the voucher cannot be moved to the copier's own record."""
    copier = members[2]
    referrals.recordReferral(program_id, recorded, {"from": copier})
    voucher = _voucher(program_id, referrer, recorded)
    signature = _sign(sponsor_key, referrals, voucher)
    moved = _voucher(program_id, copier, recorded)
    with reverts_with("ReferralInvalidVoucherSigner", _recovered(referrals, moved, signature)):
        referrals.redeemVoucher(moved, *signature, {"from": copier})
    referrals.redeemVoucher(voucher, *signature, {"from": copier})
    assert token.balanceOf(referrer) == REWARD
    assert token.balanceOf(copier) == 0


def test_contract_digest_matches_the_standard_eip712_digest(
    referrals: Any, program_id: int, recorded: bytes, sponsor_key: str, sponsor: Any, referrer: Any
) -> None:
    voucher = _voucher(program_id, referrer, recorded)
    assert _recovered(referrals, voucher, _sign(sponsor_key, referrals, voucher)) == sponsor.address


def test_the_same_voucher_cannot_be_redeemed_twice(
    referrals: Any, program_id: int, recorded: bytes, sponsor_key: str, referrer: Any
) -> None:
    voucher = _voucher(program_id, referrer, recorded)
    signature = _sign(sponsor_key, referrals, voucher)
    referrals.redeemVoucher(voucher, *signature, {"from": referrer})
    with reverts_with("ReferralWrongStatus", program_id, referrer.address, recorded, CLAIMED):
        referrals.redeemVoucher(voucher, *signature, {"from": referrer})


def test_a_voucher_for_another_chain_fails(
    referrals: Any, program_id: int, recorded: bytes, sponsor_key: str, referrer: Any
) -> None:
    voucher = _voucher(program_id, referrer, recorded)
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
    voucher = _voucher(program_id, referrer, recorded)
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
    signature = _sign(sponsor_key, referrals, _voucher(program_id, referrer, recorded))
    moved = _voucher(other, referrer, recorded)
    with reverts_with("ReferralInvalidVoucherSigner", _recovered(referrals, moved, signature)):
        referrals.redeemVoucher(moved, *signature, {"from": referrer})


def test_a_voucher_not_signed_by_the_sponsor_fails(
    referrals: Any, program_id: int, recorded: bytes, referrer: Any, signers: list[Any]
) -> None:
    voucher = _voucher(program_id, referrer, recorded)
    forged = _sign(signers[1].private_key, referrals, voucher)
    with reverts_with("ReferralInvalidVoucherSigner", signers[1].address):
        referrals.redeemVoucher(voucher, *forged, {"from": referrer})


def test_an_expired_voucher_fails(
    referrals: Any, program_id: int, recorded: bytes, sponsor_key: str, referrer: Any, chain: Any
) -> None:
    deadline = now() + 60
    voucher = _voucher(program_id, referrer, recorded, deadline=deadline)
    signature = _sign(sponsor_key, referrals, voucher)
    chain.sleep(120)
    with reverts_with("ReferralVoucherExpired", deadline):
        referrals.redeemVoucher(voucher, *signature, {"from": referrer})


def test_revoked_vouchers_fail(
    referrals: Any, program_id: int, recorded: bytes, sponsor_key: str, sponsor: Any, referrer: Any
) -> None:
    voucher = _voucher(program_id, referrer, recorded)
    signature = _sign(sponsor_key, referrals, voucher)
    assert referrals.revokeVouchers(program_id, {"from": sponsor}).return_value == 1
    assert referrals.voucherNonce(program_id) == 1
    with reverts_with("ReferralVoucherRevoked", 0, 1):
        referrals.redeemVoucher(voucher, *signature, {"from": referrer})
    fresh = _voucher(program_id, referrer, recorded, nonce=1)
    referrals.redeemVoucher(fresh, *_sign(sponsor_key, referrals, fresh), {"from": referrer})


def test_a_voucher_must_state_the_rules_reward(
    referrals: Any, program_id: int, recorded: bytes, sponsor_key: str, referrer: Any
) -> None:
    voucher = _voucher(program_id, referrer, recorded, reward=3 * 10**18)
    with reverts_with("ReferralRewardMismatch", 3 * 10**18, REWARD):
        referrals.redeemVoucher(voucher, *_sign(sponsor_key, referrals, voucher), {"from": referrer})


def test_a_voucher_for_a_referral_never_recorded_fails(
    referrals: Any, program_id: int, sponsor_key: str, referrer: Any
) -> None:
    commitment = lead("unrecorded", referrer)
    voucher = _voucher(program_id, referrer, commitment)
    with reverts_with("ReferralNotFound", program_id, referrer.address, commitment):
        referrals.redeemVoucher(voucher, *_sign(sponsor_key, referrals, voucher), {"from": referrer})


def test_revoking_is_for_the_sponsor_only(referrals: Any, program_id: int, referrer: Any) -> None:
    with reverts_with("ReferralNotSponsor", program_id, referrer.address):
        referrals.revokeVouchers(program_id, {"from": referrer})


def test_a_voucher_of_a_sponsor_who_left_fails(
    referrals: Any, coop: Any, program_id: int, recorded: bytes, sponsor_key: str, sponsor: Any, referrer: Any
) -> None:
    voucher = _voucher(program_id, referrer, recorded)
    signature = _sign(sponsor_key, referrals, voucher)
    coop.exit({"from": sponsor})
    with reverts_with("ReferralSponsorInactive", program_id, sponsor.address):
        referrals.redeemVoucher(voucher, *signature, {"from": referrer})


def test_a_voucher_cannot_overdraw_the_budget(
    referrals: Any, create_program: Callable[..., int], sponsor_key: str, referrer: Any
) -> None:
    program_id = create_program(budget=10**18)
    commitment = lead("big", referrer)
    referrals.recordReferral(program_id, commitment, {"from": referrer})
    voucher = _voucher(program_id, referrer, commitment)
    with reverts_with("ReferralBudgetExceeded", program_id, REWARD, 10**18):
        referrals.redeemVoucher(voucher, *_sign(sponsor_key, referrals, voucher), {"from": referrer})


def test_no_voucher_after_the_program_expired(
    referrals: Any, create_program: Callable[..., int], sponsor_key: str, referrer: Any, chain: Any
) -> None:
    expiry = now() + 100
    program_id = create_program(expiry=expiry)
    commitment = lead("late", referrer)
    referrals.recordReferral(program_id, commitment, {"from": referrer})
    voucher = _voucher(program_id, referrer, commitment, deadline=expiry + 10_000)
    signature = _sign(sponsor_key, referrals, voucher)
    chain.sleep(101)
    with reverts_with("ReferralProgramExpired", program_id, expiry):
        referrals.redeemVoucher(voucher, *signature, {"from": referrer})
