"""EIP-712 messages: signatures recover to the signer and change with every bound field."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from ledger.protocol.eip712 import agreement_approval, conversion_voucher, sign_typed_data, split_signature
from tests.ledger.chain_fixtures import build_record

KEY = "0x" + "11" * 32
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
AGREEMENTS = build_record("Agreements", CONTRACT)
REFERRALS = build_record("ReferralRewards", CONTRACT)


def _signer(typed: dict[str, Any], signature: bytes) -> str:
    signable = encode_typed_data(
        domain_data=typed["domain"], message_types=typed["types"], message_data=typed["message"]
    )
    return str(Account.recover_message(signable, signature=signature))


def test_agreement_approval_signature_recovers_to_the_party() -> None:
    typed = agreement_approval(31337, AGREEMENTS, 1, 2, b"\x05" * 32)
    assert _signer(typed, sign_typed_data(KEY, typed)) == Account.from_key(KEY).address


def test_voucher_signature_recovers_to_the_sponsor() -> None:
    referrer = "0x" + "a1" * 20
    typed = conversion_voucher(
        31337, REFERRALS, 3, referrer, b"\x07" * 32, 10**18, 5 * 10**16, 2_000_000_000, 0
    )
    assert typed["primaryType"] == "ConversionVoucher"
    assert typed["message"]["referrer"].lower() == referrer
    assert _signer(typed, sign_typed_data(KEY, typed)) == Account.from_key(KEY).address


@pytest.mark.parametrize(
    "other",
    [
        agreement_approval(1, AGREEMENTS, 1, 2, b"\x05" * 32),
        agreement_approval(31337, build_record("Agreements", "0x" + "22" * 20), 1, 2, b"\x05" * 32),
        agreement_approval(31337, AGREEMENTS, 9, 2, b"\x05" * 32),
        agreement_approval(31337, AGREEMENTS, 1, 3, b"\x05" * 32),
        agreement_approval(31337, AGREEMENTS, 1, 2, b"\x06" * 32),
    ],
)
def test_a_signature_does_not_carry_over_to_another_message(other: dict[str, Any]) -> None:
    typed = agreement_approval(31337, AGREEMENTS, 1, 2, b"\x05" * 32)
    assert _signer(other, sign_typed_data(KEY, typed)) != Account.from_key(KEY).address


def test_hashes_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="content hash must be 32 bytes"):
        agreement_approval(1, AGREEMENTS, 1, 1, b"\x01")
    with pytest.raises(ValueError, match="commitment must be 32 bytes"):
        conversion_voucher(1, REFERRALS, 1, "0x" + "a1" * 20, b"\x01", 1, 1, 1, 0)


def test_split_signature_gives_v_r_s() -> None:
    typed = agreement_approval(31337, AGREEMENTS, 1, 2, b"\x05" * 32)
    signature = sign_typed_data(KEY, typed)
    v, r, s = split_signature(signature)
    assert v in (27, 28)
    assert (r, s) == (signature[:32], signature[32:64])
    with pytest.raises(ValueError, match="65 bytes"):
        split_signature(signature[:64])
