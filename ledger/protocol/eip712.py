"""EIP-712 typed data that coopledger's contracts verify, built and signed off chain.

- A party of an agreement approves one version of it by signing ``AgreementApproval(agreementId, version,
  contentHash)`` in the Agreements contract's domain; anybody may then submit the signatures.
- A program's sponsor confirms a conversion by signing ``ConversionVoucher(programId, commitment,
  conversionValue, reward, deadline, nonce)`` in the ReferralRewards contract's domain; the referrer
  redeems it.
- A party rates a partner without paying gas by signing ``PartnerRating(rater, agreementId, version, ratee,
  score, commentHash, nonce, deadline)`` in the PartnerRatings contract's domain; anybody may submit it.

The domain binds a signature to one chain and one contract; the message binds it to one agreement version or
one referral. Domains and types are the contract's own (:mod:`ledger.protocol.facts`), from the manifest.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address

from ledger.exceptions import ManifestError
from ledger.protocol.manifest import ContractDeployment

__all__ = [
    "agreement_approval",
    "conversion_voucher",
    "domain",
    "partner_rating",
    "sign_typed_data",
    "split_signature",
    "typed_data",
]


def domain(contract: ContractDeployment, chain_id: int) -> dict[str, Any] | None:
    """``contract``'s whole EIP-712 domain on chain ``chain_id`` (name, version, chain id, verifying
    contract), as ``eth_signTypedData_v4`` takes it; None if the contract verifies no signature."""
    if contract.eip712_domain is None:
        return None
    return {
        "name": contract.eip712_domain["name"],
        "version": contract.eip712_domain["version"],
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(contract.address),
    }


def typed_data(
    contract: ContractDeployment, chain_id: int, primary_type: str, message: dict[str, Any]
) -> dict[str, Any]:
    """The full EIP-712 message ``primary_type`` for ``contract``: its domain and types as the compiler
    read them from the contract (recorded in the manifest), and ``message``.

    Raises
    ------
    ManifestError
        If the contract verifies no such type (or the manifest predates recorded EIP-712 facts).
    """
    fields = contract.typed_data.get(primary_type)
    signed_in = domain(contract, chain_id)
    if fields is None or signed_in is None:
        raise ManifestError(
            f"The contract at {contract.address} verifies no EIP-712 {primary_type}; "
            "check the manifest (deploy again to write a current one)."
        )
    missing = {field["name"] for field in fields} - set(message)
    if missing:
        raise ValueError(f"{primary_type} needs {', '.join(sorted(missing))}")
    return {
        "domain": signed_in,
        "types": {primary_type: [dict(field) for field in fields]},
        "primaryType": primary_type,
        "message": {field["name"]: message[field["name"]] for field in fields},
    }


def _bytes32(value: bytes, what: str) -> bytes:
    if len(value) != 32:
        raise ValueError(f"{what} must be 32 bytes, got {len(value)}")
    return bytes(value)


def agreement_approval(
    chain_id: int, contract: ContractDeployment, agreement_id: int, version: int, content_hash: bytes
) -> dict[str, Any]:
    """The full EIP-712 message approving ``version`` of agreement ``agreement_id``.

    Parameters
    ----------
    chain_id
        Chain the Agreements contract lives on.
    contract
        The Agreements contract's manifest record.
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
    message = {
        "agreementId": agreement_id,
        "version": version,
        "contentHash": _bytes32(content_hash, "content hash"),
    }
    return typed_data(contract, chain_id, "AgreementApproval", message)


def conversion_voucher(
    chain_id: int,
    contract: ContractDeployment,
    program_id: int,
    referrer: str,
    commitment: bytes,
    conversion_value: int,
    reward: int,
    deadline: int,
    nonce: int,
) -> dict[str, Any]:
    """The full EIP-712 message of a sponsor's voucher for ``referrer``'s referral ``commitment`` of
    ``program_id``: redeemed by anybody, it pays ``referrer`` and nobody else.

    Parameters
    ----------
    chain_id, contract
        Chain and manifest record of the ReferralRewards contract.
    program_id, referrer, commitment
        The program, the referrer who recorded the referral, and the referral that converted.
    conversion_value
        Value of the conversion, in the reward asset's smallest unit.
    reward
        The reward the program's rule gives for that value (``ReferralRewards.rewardFor``).
    deadline
        Last timestamp at which the voucher can be redeemed.
    nonce
        The program's current voucher nonce (``ReferralRewards.voucherNonce(programId)``).
    """
    message = {
        "programId": program_id,
        "referrer": to_checksum_address(referrer),
        "commitment": _bytes32(commitment, "commitment"),
        "conversionValue": conversion_value,
        "reward": reward,
        "deadline": deadline,
        "nonce": nonce,
    }
    return typed_data(contract, chain_id, "ConversionVoucher", message)


def partner_rating(
    chain_id: int,
    contract: ContractDeployment,
    rater: str,
    agreement_id: int,
    version: int,
    ratee: str,
    score: int,
    comment_hash: bytes,
    nonce: int,
    deadline: int,
) -> dict[str, Any]:
    """The full EIP-712 message of ``rater``'s rating of ``ratee``, its partner in ``version`` of agreement
    ``agreement_id``: submitted by anybody, it counts as ``rater``'s own.

    Parameters
    ----------
    chain_id, contract
        Chain and manifest record of the PartnerRatings contract.
    rater, ratee
        The party rating (the signer) and the party rated.
    agreement_id, version
        The agreement version rated.
    score
        1 (poor) to 5 (excellent).
    comment_hash
        keccak256 of a written comment, or 32 zero bytes for none.
    nonce
        The rater's current nonce (``PartnerRatings.nonces(rater)``).
    deadline
        Last timestamp at which the rating can be submitted.
    """
    message = {
        "rater": to_checksum_address(rater),
        "agreementId": agreement_id,
        "version": version,
        "ratee": to_checksum_address(ratee),
        "score": score,
        "commentHash": _bytes32(comment_hash, "comment hash"),
        "nonce": nonce,
        "deadline": deadline,
    }
    return typed_data(contract, chain_id, "PartnerRating", message)


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
