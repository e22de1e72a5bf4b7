"""EIP-712 typed data that coopledger's contracts verify, built and signed off chain.

- A party of an agreement approves one version of it by signing ``AgreementApproval(agreementId, version,
  contentHash)`` in the Agreements contract's domain; anybody may then submit the signatures.
- A program's sponsor confirms a conversion by signing ``ConversionVoucher(programId, commitment,
  conversionValue, reward, deadline, nonce)`` in the ReferralRewards contract's domain; the referrer
  redeems it.

The domain binds a signature to one chain and one contract; the message binds it to one agreement version or
one referral.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address

__all__ = [
    "AGREEMENTS_DOMAIN_NAME",
    "DOMAIN_VERSION",
    "REFERRALS_DOMAIN_NAME",
    "agreement_approval",
    "conversion_voucher",
    "sign_typed_data",
    "split_signature",
]

AGREEMENTS_DOMAIN_NAME = "coopledger Agreements"
REFERRALS_DOMAIN_NAME = "coopledger ReferralRewards"
DOMAIN_VERSION = "1"

_AGREEMENT_APPROVAL_TYPES = {
    "AgreementApproval": [
        {"name": "agreementId", "type": "uint256"},
        {"name": "version", "type": "uint32"},
        {"name": "contentHash", "type": "bytes32"},
    ]
}


_CONVERSION_VOUCHER_TYPES = {
    "ConversionVoucher": [
        {"name": "programId", "type": "uint256"},
        {"name": "commitment", "type": "bytes32"},
        {"name": "conversionValue", "type": "uint256"},
        {"name": "reward", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
    ]
}


def _domain(name: str, chain_id: int, contract: str) -> dict[str, Any]:
    return {
        "name": name,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(contract),
    }


def _bytes32(value: bytes, what: str) -> bytes:
    if len(value) != 32:
        raise ValueError(f"{what} must be 32 bytes, got {len(value)}")
    return bytes(value)


def agreement_approval(
    chain_id: int, contract: str, agreement_id: int, version: int, content_hash: bytes
) -> dict[str, Any]:
    """The full EIP-712 message approving ``version`` of agreement ``agreement_id``.

    Parameters
    ----------
    chain_id
        Chain the Agreements contract lives on.
    contract
        Address of the Agreements contract.
    agreement_id, version
        The agreement version approved.
    content_hash
        ``Agreements.contentHash(agreement_id, version)``: the digest of what the version says.

    Returns
    -------
    dict
        ``{"domain", "types", "primaryType", "message"}``, ready for ``eth_signTypedData_v4`` or
        :func:`sign_typed_data`.
    """
    return {
        "domain": _domain(AGREEMENTS_DOMAIN_NAME, chain_id, contract),
        "types": _AGREEMENT_APPROVAL_TYPES,
        "primaryType": "AgreementApproval",
        "message": {
            "agreementId": agreement_id,
            "version": version,
            "contentHash": _bytes32(content_hash, "content hash"),
        },
    }


def conversion_voucher(
    chain_id: int,
    contract: str,
    program_id: int,
    commitment: bytes,
    conversion_value: int,
    reward: int,
    deadline: int,
    nonce: int,
) -> dict[str, Any]:
    """The full EIP-712 message of a sponsor's voucher for referral ``commitment`` of ``program_id``.

    Parameters
    ----------
    chain_id, contract
        Chain and address of the ReferralRewards contract.
    program_id, commitment
        The program and the referral that converted.
    conversion_value
        Value of the conversion, in the reward asset's smallest unit.
    reward
        The reward the program's rule gives for that value (``ReferralRewards.rewardFor``).
    deadline
        Last timestamp at which the voucher can be redeemed.
    nonce
        The sponsor's current voucher nonce (``ReferralRewards.voucherNonce``).
    """
    return {
        "domain": _domain(REFERRALS_DOMAIN_NAME, chain_id, contract),
        "types": _CONVERSION_VOUCHER_TYPES,
        "primaryType": "ConversionVoucher",
        "message": {
            "programId": program_id,
            "commitment": _bytes32(commitment, "commitment"),
            "conversionValue": conversion_value,
            "reward": reward,
            "deadline": deadline,
            "nonce": nonce,
        },
    }


def sign_typed_data(private_key: str | bytes, typed_data: dict[str, Any]) -> bytes:
    """Sign ``typed_data`` with ``private_key``; return the 65-byte signature (r, s, v)."""
    signable = encode_typed_data(
        domain_data=typed_data["domain"],
        message_types=typed_data["types"],
        message_data=typed_data["message"],
    )
    return bytes(Account.sign_message(signable, private_key).signature)


def split_signature(signature: bytes) -> tuple[int, bytes, bytes]:
    """Split a 65-byte signature (r, s, v) into ``(v, r, s)``, the form ``redeemVoucher`` takes."""
    if len(signature) != 65:
        raise ValueError(f"a signature is 65 bytes (r, s, v), got {len(signature)}")
    v = signature[64]
    return (v + 27 if v < 27 else v), bytes(signature[:32]), bytes(signature[32:64])
