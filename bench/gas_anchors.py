"""Gas anchors: the same jobs done by well-known contracts, measured on the same anvil as ours.

- OpenZeppelin Contracts 4.9.6's ``PaymentSplitter`` (npm ``@openzeppelin/contracts-v4``, an alias of
  ``@openzeppelin/contracts@4.9.6``), its published build: the anchor of a pull payment. Its ``release`` of an
  ERC-20 is what ``Agreements.withdraw`` does, and a plain ``transfer`` into it is the least a deposit can
  cost.
- Uniswap's ``MerkleDistributor`` (npm ``@uniswap/merkle-distributor``), its published build: the anchor of a
  claim. ``claim`` with a proof over 10 leaves is what ``ReferralRewards.claimReward`` and ``redeemVoucher``
  do.

Every recipient already holds the token, on both sides, and every figure is of a "later" call (the
splitter's second release, the distributor's second claim in a bitmap word, a transfer into a splitter that
holds the token already), as ours are: no figure pays for creating a storage slot the other does not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eth_abi.packed import encode_packed
from eth_utils.crypto import keccak
from web3 import Web3

PROJECT = Path(__file__).resolve().parents[1]
NODE_MODULES = PROJECT / "node_modules"
SPLITTER_BUILD = NODE_MODULES / "@openzeppelin/contracts-v4/build/contracts/PaymentSplitter.json"
DISTRIBUTOR_BUILD = NODE_MODULES / "@uniswap/merkle-distributor/build/MerkleDistributor.json"

#: Names of the anchor figures, as the report prints them.
SPLITTER_RELEASE = "PaymentSplitter.release ERC-20, later release (payee holds the token)"
SPLITTER_TRANSFER_IN = "ERC-20 transfer into the PaymentSplitter (it holds the token)"
MERKLE_CLAIM = "MerkleDistributor.claim (10 leaves, claimant holds the token)"

#: Ours against an anchor: (our figure, the anchor's figure, the most ours may cost as a share of it).
COMPARED = (
    ("Agreements.withdraw ERC-20 (party holds the token)", SPLITTER_RELEASE, 0.80),
    ("ReferralRewards.claimReward ERC-20 (referrer holds the token)", MERKLE_CLAIM, 0.90),
    ("ReferralRewards.redeemVoucher ERC-20 (referrer holds the token)", MERKLE_CLAIM, 1.30),
    ("Agreements.deposit ERC-20 (2 parties)", SPLITTER_TRANSFER_IN, 1.45),
)


def _artifact(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise SystemExit(f"{path} is missing: run `make setup` (package.json pins the gas anchors)")
    artifact: dict[str, Any] = json.loads(path.read_text())
    return artifact


def _bytecode(artifact: dict[str, Any]) -> str:
    code = artifact["bytecode"]
    text = code["object"] if isinstance(code, dict) else str(code)
    return text if text.startswith("0x") else "0x" + text


def _deploy(w3: Web3, path: Path, sender: str, *args: Any) -> Any:
    artifact = _artifact(path)
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=_bytecode(artifact))
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact({"from": sender}))
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])


def _gas(w3: Web3, call: Any, sender: str) -> int:
    receipt = w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))
    if receipt["status"] != 1:
        raise RuntimeError(f"an anchor's transaction reverted: {call}")
    return int(receipt["gasUsed"])


def splitter_figures(w3: Web3, token: Any, holder: str, payees: list[str]) -> dict[str, int]:
    """PaymentSplitter with two payees (70/30) paid in ``token``: a transfer in and a later release.

    ``token`` is a web3 contract of a mintable ERC-20; ``holder`` and ``payees`` hold it already.
    """
    splitter = _deploy(w3, SPLITTER_BUILD, holder, payees, [70, 30])
    amount = 1_000 * 10**18
    _gas(w3, token.functions.transfer(splitter.address, amount), holder)
    _gas(w3, splitter.functions.release(token.address, payees[0]), payees[0])
    transfer_in = _gas(w3, token.functions.transfer(splitter.address, amount), holder)
    release = _gas(w3, splitter.functions.release(token.address, payees[0]), payees[0])
    return {SPLITTER_TRANSFER_IN: transfer_in, SPLITTER_RELEASE: release}


def merkle_tree(leaves: list[bytes]) -> tuple[bytes, list[list[bytes]]]:
    """The root of a Merkle tree over ``leaves`` with sorted-pair hashing (the rule of the distributor's
    ``MerkleProof``: a pair hashes smaller first), and each leaf's proof. An odd node out is carried up."""
    proofs: list[list[bytes]] = [[] for _ in leaves]
    positions = list(range(len(leaves)))
    layer = list(leaves)
    while len(layer) > 1:
        for leaf, position in enumerate(positions):
            sibling = position ^ 1
            if sibling < len(layer):
                proofs[leaf].append(layer[sibling])
        layer = [
            keccak(b"".join(sorted(layer[i : i + 2]))) if i + 1 < len(layer) else layer[i]
            for i in range(0, len(layer), 2)
        ]
        positions = [position // 2 for position in positions]
    return layer[0], proofs


def merkle_figures(w3: Web3, token: Any, funder: str, claimants: list[str]) -> dict[str, int]:
    """MerkleDistributor over 10 leaves (one per claimant, each holding ``token``): a later claim."""
    amount = 5 * 10**18
    leaves = [
        keccak(encode_packed(["uint256", "address", "uint256"], [index, account, amount]))
        for index, account in enumerate(claimants)
    ]
    root, proofs = merkle_tree(leaves)
    distributor = _deploy(w3, DISTRIBUTOR_BUILD, funder, token.address, root)
    _gas(w3, token.functions.transfer(distributor.address, amount * len(claimants)), funder)
    _gas(w3, distributor.functions.claim(0, claimants[0], amount, proofs[0]), claimants[0])
    claim = _gas(w3, distributor.functions.claim(1, claimants[1], amount, proofs[1]), claimants[1])
    return {MERKLE_CLAIM: claim}


def compare(figures: dict[str, int]) -> list[str]:
    """Lines saying, for each compared pair, ours, the anchor's, the ratio and whether it meets its target."""
    lines = []
    width = max(len(ours) for ours, _, _ in COMPARED)
    for ours, anchor, target in COMPARED:
        ratio = figures[ours] / figures[anchor]
        verdict = "ok" if ratio <= target else "OVER"
        lines.append(
            f"{ours:<{width}}  {figures[ours]:>7,} vs {figures[anchor]:>7,} {anchor}: "
            f"{ratio:.2f} (target <= {target:.2f}: {verdict})"
        )
    return lines
