"""A browser wallet for the browser tests: an EIP-1193 provider injected into the page as a wallet extension
injects one, announced by EIP-6963, that signs with a dev chain's key
(:func:`ledger.client.wallet.dev_account`).

The page's requests reach :meth:`TestWallet.answer` in the test process (Playwright's
``expose_function``): accounts and chain id are the wallet's own; a transaction is completed (nonce, gas
price, chain id), signed with eth-account and sent raw to the node; typed data is signed with eth-account
(EIP-712, a signer independent of the page's ethers); every other request (calls, estimates, receipts,
blocks) is forwarded to the node. The test can make the wallet start on another network, refuse a network it
does not know, or decline the next request as a person would (EIP-1193 error 4001).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from playwright.sync_api import BrowserContext

#: What the page sees: an EIP-1193 provider whose `request` goes to the test, announced per EIP-6963.
_INJECTED = """
(() => {
  const listeners = {};
  const emit = (event, value) => (listeners[event] || []).forEach((listener) => listener(value));
  const provider = {
    isCoopledgerTestWallet: true,
    async request({ method, params }) {
      const answer = JSON.parse(await window.__coopledgerTestWallet(method, JSON.stringify(params ?? [])));
      for (const [event, value] of answer.emit || []) setTimeout(() => emit(event, value), 0);
      if (answer.error) {
        const error = new Error(answer.error.message);
        error.code = answer.error.code;
        if (answer.error.data !== undefined) error.data = answer.error.data;
        throw error;
      }
      return answer.result;
    },
    on(event, listener) { (listeners[event] = listeners[event] || []).push(listener); return provider; },
    removeListener(event, listener) {
      listeners[event] = (listeners[event] || []).filter((known) => known !== listener);
      return provider;
    },
  };
  const info = Object.freeze({
    uuid: "6d6f636b-0000-4000-8000-636f6f706c67", name: "coopledger test wallet", rdns: "org.coopledger.test",
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='8' height='8'/%3E",
  });
  const announce = () => window.dispatchEvent(
    new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
"""


@dataclass
class TestWallet:
    """One wallet holding one dev account, injected into every page of a browser context."""

    __test__ = False  # not a test class, whatever its name

    rpc_url: str
    account: LocalAccount
    chain_id: int  # the chain the wallet is on now (the test may start it elsewhere)
    known_chains: set[int] = field(default_factory=set)  # chains it can switch to
    decline: set[str] = field(default_factory=set)  # methods the person declines, once each
    sent: list[str] = field(default_factory=list)  # hashes of the transactions it sent
    signed: list[dict[str, Any]] = field(default_factory=list)  # typed data it signed
    asked: list[str] = field(default_factory=list)  # every method the page asked
    failures: list[str] = field(default_factory=list)  # the wallet's own failures (a test asserts none)

    @property
    def address(self) -> ChecksumAddress:
        return self.account.address

    def install(self, context: BrowserContext) -> None:
        """Inject the wallet into every page ``context`` opens from now on."""
        context.expose_function("__coopledgerTestWallet", self.answer)
        context.add_init_script(_INJECTED)

    def answer(self, method: str, params_json: str) -> str:
        """The answer to one EIP-1193 request: JSON ``{"result"}`` or ``{"error"}``, and events to emit."""
        params = json.loads(params_json)
        self.asked.append(method)
        if method in self.decline:
            self.decline.discard(method)
            return json.dumps({"error": {"code": 4001, "message": "User rejected the request."}})
        try:
            return json.dumps(self._answer(method, params))
        except RpcError as error:
            return json.dumps({"error": error.body})
        except Exception as error:  # the wallet's own bug: the page sees an internal error, the test fails
            self.failures.append(f"{method}: {error!r}")
            return json.dumps({"error": {"code": -32603, "message": f"test wallet: {error}"}})

    def _answer(self, method: str, params: list[Any]) -> dict[str, Any]:
        if method in ("eth_requestAccounts", "eth_accounts"):
            return {"result": [self.address]}
        if method == "eth_chainId":
            return {"result": hex(self.chain_id)}
        if method == "net_version":
            return {"result": str(self.chain_id)}
        if method == "wallet_switchEthereumChain":
            wanted = int(params[0]["chainId"], 16)
            if wanted not in self.known_chains:
                raise RpcError({"code": 4902, "message": f"Unrecognized chain ID {hex(wanted)}."})
            self.chain_id = wanted
            return {"result": None, "emit": [["chainChanged", hex(wanted)]]}
        if method == "wallet_addEthereumChain":
            self.known_chains.add(int(params[0]["chainId"], 16))
            return {"result": None}
        if self.chain_id not in self.known_chains:
            raise RpcError({"code": 4901, "message": "The wallet is not connected to that chain."})
        if method == "eth_sendTransaction":
            return {"result": self._send(params[0])}
        if method == "eth_signTypedData_v4":
            return {"result": self._sign_typed_data(params[0], params[1])}
        return {"result": self._node(method, params)}

    def _node(self, method: str, params: list[Any]) -> Any:
        reply = httpx.post(
            self.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=60
        ).json()
        if "error" in reply:
            raise RpcError(reply["error"])
        return reply["result"]

    def _send(self, request: dict[str, Any]) -> str:
        if request["from"].lower() != self.address.lower():
            raise RpcError({"code": 4100, "message": f"{request['from']} is not this wallet's account."})
        transaction = {
            "to": to_checksum_address(request["to"]) if request.get("to") else None,
            "data": request.get("data", "0x"),
            "value": int(request.get("value", "0x0"), 16),
            "chainId": self.chain_id,
            "nonce": int(self._node("eth_getTransactionCount", [self.address, "pending"]), 16),
            "gasPrice": int(self._node("eth_gasPrice", []), 16),
        }
        transaction["gas"] = (
            int(request["gas"], 16)
            if "gas" in request
            else int(self._node("eth_estimateGas", [{**request, "from": self.address}]), 16)
        )
        signed = self.account.sign_transaction(transaction)
        sent = str(
            self._node("eth_sendRawTransaction", ["0x" + signed.raw_transaction.hex().removeprefix("0x")])
        )
        self.sent.append(sent)
        return sent

    def _sign_typed_data(self, signer: str, payload: str | dict[str, Any]) -> str:
        if signer.lower() != self.address.lower():
            raise RpcError({"code": 4100, "message": f"{signer} is not this wallet's account."})
        message = json.loads(payload) if isinstance(payload, str) else payload
        self.signed.append(message)
        signable = encode_typed_data(full_message=message)
        return "0x" + self.account.sign_message(signable).signature.hex().removeprefix("0x")


class RpcError(Exception):
    """A JSON-RPC error to hand back to the page as it is (its code, message and data)."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body.get("message", ""))
        self.body = body
