"""Calling and transacting with the deployed contracts: every write is simulated first, and a revert is
explained in plain words from the contract's own documentation before anything is sent.

A custom error comes back from ``eth_call`` as its 4-byte selector and ABI-encoded arguments. The selector is
matched against every error in the manifest's ABIs, the arguments decoded, and the error's NatSpec notice
(recorded in the manifest at deployment) filled in with them: ``AgreementNotParty(3, 0xAb…)`` reads "0xAb…
is not a party to agreement 3."
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils.abi import function_signature_to_4byte_selector
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, TimeExhausted, Web3RPCError
from web3.logs import DISCARD
from web3.types import TxParams, TxReceipt, Wei

from ledger.client.wallet import Wallet
from ledger.exceptions import ChainError, CoopLedgerError
from ledger.protocol.manifest import ContractDeployment, DeploymentManifest

__all__ = ["Chain", "RevertError", "Sent"]

_TICKED = re.compile(r"`(\w+)`")


class RevertError(CoopLedgerError):
    """The call would revert: ``error`` is the custom error's name, ``args`` its decoded arguments, and the
    message the contract's own explanation with the values filled in."""

    def __init__(self, contract: str, function: str, error: str, args: dict[str, Any], text: str) -> None:
        super().__init__(f"{contract}.{function} would revert with {error}: {text} Nothing was sent.")
        self.contract, self.function, self.error, self.text = contract, function, error, text
        self.arguments = args


@dataclass(frozen=True)
class Sent:
    """A mined transaction."""

    tx_hash: str
    block: int
    gas_used: int
    contract: str
    function: str
    receipt: TxReceipt = field(repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tx_hash": self.tx_hash,
            "block": self.block,
            "gas_used": self.gas_used,
            "contract": self.contract,
            "function": self.function,
        }


@dataclass(frozen=True)
class _ErrorSpec:
    name: str
    inputs: list[dict[str, Any]]
    text: str
    contract: ContractDeployment


class Chain:
    """The manifest's contracts on the chain at ``w3``, written to by ``wallet`` (None: read only)."""

    def __init__(self, w3: Web3, manifest: DeploymentManifest, wallet: Wallet | None = None) -> None:
        self.w3, self.manifest, self.wallet = w3, manifest, wallet
        self.contracts = {
            name: w3.eth.contract(address=Web3.to_checksum_address(entry.address), abi=entry.abi)
            for name, entry in manifest.contracts.items()
        }
        self._errors: dict[bytes, _ErrorSpec] = {}
        for entry in manifest.contracts.values():
            for item in entry.abi:
                if item.get("type") == "error":
                    types = ",".join(_canonical(arg) for arg in item.get("inputs", []))
                    selector = function_signature_to_4byte_selector(f"{item['name']}({types})")
                    text = entry.errors.get(item["name"], "")
                    self._errors.setdefault(
                        selector, _ErrorSpec(item["name"], item.get("inputs", []), text, entry)
                    )

    def now(self) -> int:
        """The chain's time: the latest block's timestamp. It, not this machine's clock, decides what the
        contracts accept (a start time, a deadline), and on a real network it lags the wall clock."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def call(self, contract: str, function: str, *args: Any) -> Any:
        """A read-only call."""
        return getattr(self.contracts[contract].functions, function)(*args).call()

    def emitted(self, sent: Sent, contract: str, event: str) -> list[dict[str, Any]]:
        """The arguments of each ``contract.event`` the mined transaction ``sent`` emitted, in order."""
        found = getattr(self.contracts[contract].events, event)().process_receipt(
            sent.receipt, errors=DISCARD
        )
        return [dict(item["args"]) for item in found]

    def read(self, contract: str, function: str, *args: Any) -> dict[str, Any]:
        """A read-only call, its result by the ABI's output names (a struct by its fields), enums as labels
        (:meth:`~ledger.protocol.manifest.ContractDeployment.named`)."""
        return self.manifest.contracts[contract].named(function, self.call(contract, function, *args))

    def simulate(
        self, contract: str, function: str, *args: Any, value: int = 0, signer: Wallet | None = None
    ) -> None:
        """Run ``contract.function(*args)`` with ``eth_call`` from the wallet's address.

        Raises
        ------
        RevertError
            If it would revert, with the decoded custom error.
        """
        call = getattr(self.contracts[contract].functions, function)(*args)
        self.simulate_call(call, contract, function, value, signer)

    def send(
        self,
        contract: str,
        function: str,
        *args: Any,
        value: int = 0,
        timeout: float = 120,
        signer: Wallet | None = None,
    ) -> Sent:
        """Simulate ``contract.function(*args)``, then sign and send it and wait for it to be mined (see
        :meth:`send_call`)."""
        call = getattr(self.contracts[contract].functions, function)(*args)
        return self.send_call(call, contract, function, value, timeout, signer)

    def simulate_call(
        self,
        call: ContractFunction,
        contract: str,
        function: str,
        value: int = 0,
        signer: Wallet | None = None,
    ) -> None:
        """Run any contract function ``call`` with ``eth_call`` from the address of ``signer`` (default: the
        wallet; ``contract`` and ``function`` name it in messages).

        Raises
        ------
        RevertError
            If it would revert, with the decoded custom error.
        """
        params: TxParams = {"value": Wei(value)}
        sender = signer or self.wallet
        if sender is not None:
            params["from"] = Web3.to_checksum_address(sender.address)
        try:
            call.call(params)
        except ContractCustomError as exc:
            raise self._explain(contract, function, str(exc.data or exc.message)) from None
        except ContractLogicError as exc:
            raise RevertError(contract, function, "revert", {}, f"{exc.message}.") from None
        except Web3RPCError as exc:
            raise ChainError(f"{contract}.{function} could not be simulated: {exc.message}") from None

    def send_call(
        self,
        call: ContractFunction,
        contract: str,
        function: str,
        value: int = 0,
        timeout: float = 120,
        signer: Wallet | None = None,
    ) -> Sent:
        """Simulate any contract function ``call``, then sign it with ``signer`` (default: the wallet), send
        it and wait for it to be mined. This is the one way coopledger sends a transaction: the command
        line, the demo's seed and the tests all go through it.

        Raises
        ------
        RevertError
            If the simulation reverts (nothing is sent).
        ChainError
            If the node refuses the transaction or it is not mined in ``timeout`` seconds.
        """
        wallet = signer or self.wallet
        if wallet is None:
            raise CoopLedgerError("No account to sign with: give --keystore or --dev-account.")
        self.simulate_call(call, contract, function, value, wallet)
        sender = Web3.to_checksum_address(wallet.address)
        try:
            transaction = call.build_transaction(
                {
                    "from": sender,
                    "value": Wei(value),
                    "nonce": self.w3.eth.get_transaction_count(sender, "pending"),
                    "chainId": self.w3.eth.chain_id,
                }
            )
            tx_hash = self.w3.eth.send_raw_transaction(wallet.sign_transaction(dict(transaction)))
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout, poll_latency=0.01)
        except ContractCustomError as exc:  # the state moved between simulation and estimation
            raise self._explain(contract, function, str(exc.data or exc.message)) from None
        except (Web3RPCError, ContractLogicError) as exc:
            raise ChainError(f"The node refused {contract}.{function}: {exc}") from None
        except TimeExhausted:
            raise ChainError(f"{contract}.{function} was sent but not mined within {timeout:g} s.") from None
        if receipt["status"] != 1:
            raise ChainError(f"{contract}.{function} reverted on chain in block {receipt['blockNumber']}.")
        return Sent(
            tx_hash=HexBytes(receipt["transactionHash"]).to_0x_hex(),
            block=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
            contract=contract,
            function=function,
            receipt=receipt,
        )

    def _explain(self, contract: str, function: str, data: str) -> RevertError:
        raw = bytes(HexBytes(data)) if data.startswith("0x") else b""
        spec = self._errors.get(raw[:4])
        if spec is None:
            return RevertError(contract, function, "unknown error", {}, f"the contract reverted with {data}.")
        types = [_canonical(arg) for arg in spec.inputs]
        try:
            values = decode(types, raw[4:])
        except DecodingError:
            return RevertError(contract, function, spec.name, {}, spec.text or "its arguments do not decode.")
        pairs = zip(spec.inputs, values, strict=True)
        args = {arg["name"]: spec.contract.shown(arg, value) for arg, value in pairs}
        if spec.text:
            text = _TICKED.sub(lambda match: str(args.get(match.group(1), match.group(0))), spec.text)
        else:
            text = ", ".join(f"{name}={value}" for name, value in args.items()) or "no details."
        return RevertError(contract, function, spec.name, args, text)


def _canonical(arg: dict[str, Any]) -> str:
    """The ABI type of an argument, tuples spelled out."""
    kind = str(arg["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(_canonical(item) for item in arg["components"]) + ")" + kind[len("tuple") :]
    return kind
