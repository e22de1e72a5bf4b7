"""The ERC-20 functions coopledger's clients call on a payment asset: the one copy of that interface, for the
command line (approving a deposit or a program's budget) and for the page (through ``/v1/contracts``)."""

from __future__ import annotations

from typing import Any

__all__ = ["ERC20_ABI"]


def _view(name: str, inputs: list[tuple[str, str]], output: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": argument, "type": kind} for argument, kind in inputs],
        "outputs": [{"name": "", "type": output}],
    }


#: ``decimals``, ``symbol``, ``balanceOf``, ``allowance`` and ``approve`` of EIP-20 (``decimals`` and
#: ``symbol`` are optional in the standard: a token may lack them).
ERC20_ABI: list[dict[str, Any]] = [
    _view("decimals", [], "uint8"),
    _view("symbol", [], "string"),
    _view("balanceOf", [("account", "address")], "uint256"),
    _view("allowance", [("owner", "address"), ("spender", "address")], "uint256"),
    {
        "name": "approve",
        "type": "function",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "spender", "type": "address"}, {"name": "amount", "type": "uint256"}],
        "outputs": [{"name": "", "type": "bool"}],
    },
]
