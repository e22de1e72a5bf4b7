"""Raw JSON-RPC access to the chain: logs, heads and block headers, without web3.py's per-result formatting.

web3.py carries the requests (HTTP session, batching); results are read as the node sends them, which is ~20x
faster for logs than web3's formatted path (measured in TOOLCHAIN.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from requests.exceptions import RequestException
from web3 import HTTPProvider

from ledger.exceptions import ChainError, RangeTooLargeError
from ledger.types import BlockHeader

__all__ = ["ChainReader", "TokenMetadata", "read_text", "read_whole_number"]

# What nodes answer when an eth_getLogs range holds too much (geth, erigon, anvil, hosted providers).
_TOO_LARGE = re.compile(
    r"more than \d+ results|too many results|response size|block range|range is too large|limit exceeded|"
    r"query timeout|exceeds? (the )?max",
    re.IGNORECASE,
)


#: The 4-byte selectors of ERC-20's optional metadata functions (keccak of ``symbol()``, ``name()``,
#: ``decimals()``).
_SYMBOL, _NAME, _DECIMALS = "0x95d89b41", "0x06fdde03", "0x313ce567"


@dataclass(frozen=True)
class TokenMetadata:
    """What an ERC-20 contract says of itself; None for a function it lacks (they are optional in ERC-20)."""

    symbol: str | None
    name: str | None
    decimals: int | None


def read_text(data: bytes, longest: int) -> str | None:
    """A ``string`` return value, or a ``bytes32`` one (as early tokens, MKR among them, answer ``symbol``),
    printable and at most ``longest`` characters; None for anything else or an empty text."""
    try:
        (text,) = decode(["string"], data)
    except (DecodingError, OverflowError, ValueError):
        if len(data) != 32:
            return None
        text = data.rstrip(b"\0").decode("utf-8", errors="replace")
    shown = "".join(character for character in str(text) if unicodedata.category(character)[0] != "C").strip()
    return shown[:longest] or None


def read_whole_number(data: bytes, largest: int) -> int | None:
    """A ``uint`` return value at most ``largest``; None for anything else."""
    if len(data) != 32:
        return None
    value = int.from_bytes(data, "big")
    return value if value <= largest else None


class ChainReader:
    """Reads the chain at ``rpc_url`` over JSON-RPC.

    Parameters
    ----------
    rpc_url
        An http(s) JSON-RPC endpoint.
    timeout
        Seconds to wait for one answer.
    """

    def __init__(self, rpc_url: str, timeout: float = 30.0) -> None:
        self.rpc_url = rpc_url
        self.timeout = timeout
        self._provider = HTTPProvider(rpc_url, request_kwargs={"timeout": timeout})

    def reconnect(self) -> None:
        """Use new connections from now on (a forked process must not share its parent's sockets)."""
        self._provider = HTTPProvider(self.rpc_url, request_kwargs={"timeout": self.timeout})

    def _request(self, method: str, params: Sequence[Any]) -> dict[str, Any]:
        """The node's whole answer to one request (its ``result`` or its ``error``)."""
        try:
            response: dict[str, Any] = dict(self._provider.make_request(method, list(params)))
        except (RequestException, OSError) as exc:
            raise ChainError(f"The node at {self.rpc_url} does not answer ({type(exc).__name__}).") from None
        return response

    def _call(self, method: str, params: Sequence[Any]) -> Any:
        response = self._request(method, params)
        error = response.get("error")
        if error:
            message = str(error.get("message", error)) if isinstance(error, dict) else str(error)
            if method == "eth_getLogs" and _TOO_LARGE.search(message):
                raise RangeTooLargeError(message)
            raise ChainError(f"{method} failed at {self.rpc_url}: {message}")
        return response["result"]

    def chain_id(self) -> int:
        """The chain id the node reports."""
        return int(self._call("eth_chainId", []), 16)

    def head(self) -> int:
        """The number of the newest block."""
        return int(self._call("eth_blockNumber", []), 16)

    def code_at(self, address: str) -> str:
        """The runtime code at ``address`` (``0x`` when none)."""
        return str(self._call("eth_getCode", [address, "latest"]))

    def token_metadata(self, address: str) -> TokenMetadata:
        """The symbol, name and decimals the ERC-20 at ``address`` answers now; a function that reverts or is
        missing gives None.

        Raises
        ------
        ChainError
            If the node does not answer (the indexer waits and asks again).
        """

        def ask(selector: str) -> bytes:
            response = self._request("eth_call", [{"to": address, "data": selector}, "latest"])
            result = response.get("result")
            if response.get("error") or not isinstance(result, str):  # reverted: the token lacks it
                return b""
            return bytes.fromhex(result.removeprefix("0x"))

        return TokenMetadata(
            symbol=read_text(ask(_SYMBOL), longest=32),
            name=read_text(ask(_NAME), longest=64),
            decimals=read_whole_number(
                ask(_DECIMALS), largest=77
            ),  # 10**77 is the largest power in a uint256
        )

    def logs(self, addresses: Sequence[str], from_block: int, to_block: int) -> list[dict[str, Any]]:
        """Every log the given contracts emitted in ``[from_block, to_block]``, raw, in chain order.

        Raises
        ------
        RangeTooLargeError
            If the node refuses the range as too large; the caller retries with a smaller one.
        """
        query = {"address": list(addresses), "fromBlock": hex(from_block), "toBlock": hex(to_block)}
        result: list[dict[str, Any]] = self._call("eth_getLogs", [query])
        return result

    def headers(self, numbers: Sequence[int]) -> list[BlockHeader]:
        """The headers of blocks ``numbers``, fetched in one batch request, in the order asked."""
        if not numbers:
            return []
        requests = [("eth_getBlockByNumber", [hex(number), False]) for number in numbers]
        try:
            responses = self._provider.make_batch_request(requests)  # type: ignore[arg-type]
        except (RequestException, OSError) as exc:
            raise ChainError(f"The node at {self.rpc_url} does not answer ({type(exc).__name__}).") from None
        if not isinstance(responses, list):
            raise ChainError(f"eth_getBlockByNumber batch failed at {self.rpc_url}: {responses.get('error')}")
        headers = []
        for number, response in zip(numbers, responses, strict=True):  # web3 returns them in request order
            block = response.get("result")
            if not block or int(block["number"], 16) != number:
                raise ChainError(f"block {number} is not on the chain at {self.rpc_url} (reorganised?)")
            headers.append(
                BlockHeader(number, block["hash"], block["parentHash"], int(block["timestamp"], 16))
            )
        return headers
