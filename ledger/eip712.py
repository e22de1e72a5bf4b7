"""EIP-712 typed data that coopledger's contracts verify, built and signed off chain.

A party of an agreement approves one version of it by signing ``AgreementApproval(agreementId, version,
contentHash)`` in the Agreements contract's domain; anybody may then submit the signatures. The domain binds
the signature to one chain and one contract, and the message to one agreement version and its content.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address

__all__ = ["AGREEMENTS_DOMAIN_NAME", "AGREEMENTS_DOMAIN_VERSION", "agreement_approval", "sign_typed_data"]

AGREEMENTS_DOMAIN_NAME = "coopledger Agreements"
AGREEMENTS_DOMAIN_VERSION = "1"

_AGREEMENT_APPROVAL_TYPES = {
    "AgreementApproval": [
        {"name": "agreementId", "type": "uint256"},
        {"name": "version", "type": "uint32"},
        {"name": "contentHash", "type": "bytes32"},
    ]
}


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
    if len(content_hash) != 32:
        raise ValueError(f"content hash must be 32 bytes, got {len(content_hash)}")
    return {
        "domain": {
            "name": AGREEMENTS_DOMAIN_NAME,
            "version": AGREEMENTS_DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(contract),
        },
        "types": _AGREEMENT_APPROVAL_TYPES,
        "primaryType": "AgreementApproval",
        "message": {"agreementId": agreement_id, "version": version, "contentHash": bytes(content_hash)},
    }


def sign_typed_data(private_key: str | bytes, typed_data: dict[str, Any]) -> bytes:
    """Sign ``typed_data`` with ``private_key``; return the 65-byte signature (r, s, v)."""
    signable = encode_typed_data(
        domain_data=typed_data["domain"],
        message_types=typed_data["types"],
        message_data=typed_data["message"],
    )
    return bytes(Account.sign_message(signable, private_key).signature)
