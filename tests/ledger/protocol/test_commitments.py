"""Referral commitments: one per lead, referrer and salt; another referrer or salt gives another; malformed
input refused; an opening matches only under the referrer who made it."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from ledger.protocol.commitments import make_commitment, new_salt, opens

ALICE = "0x" + "a1" * 20
MALLORY = "0x" + "b2" * 20


def test_commitment_is_keccak_of_the_lead_hash_referrer_and_salt() -> None:
    salt = bytes(range(32))
    expected = keccak(
        encode(["bytes32", "address", "bytes32"], [keccak(text="jane@example.com"), ALICE, salt])
    )
    assert make_commitment("jane@example.com", ALICE, salt) == expected


def test_same_lead_with_another_salt_gives_another_commitment() -> None:
    assert make_commitment("lead-1", ALICE, new_salt()) != make_commitment("lead-1", ALICE, new_salt())


def test_a_copied_commitment_does_not_open_under_the_copier() -> None:
    salt = new_salt()
    commitment = make_commitment("jane@example.com", ALICE, salt)
    assert opens(commitment, "jane@example.com", ALICE, salt)
    assert not opens(commitment, "jane@example.com", MALLORY, salt)
    assert not opens(commitment, "john@example.com", ALICE, salt)


def test_salts_are_32_random_bytes() -> None:
    salts = {new_salt() for _ in range(50)}
    assert len(salts) == 50
    assert all(len(salt) == 32 for salt in salts)


@pytest.mark.parametrize(("lead", "salt", "problem"), [("", bytes(32), "empty"), ("x", b"short", "32 bytes")])
def test_malformed_input_is_refused(lead: str, salt: bytes, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        make_commitment(lead, ALICE, salt)
