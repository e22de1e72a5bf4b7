"""Raw JSON-RPC access to the chain: logs, heads and block headers, without web3.py's per-result formatting.

web3.py carries the requests (HTTP session, batching); results are read as the node sends them, which is ~20x
faster for logs than web3's formatted path (measured in TOOLCHAIN.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from requests.exceptions import RequestException
from web3 import HTTPProvider

from ledger.exceptions import ChainError, RangeTooLargeError
from ledger.types import BlockHeader

__all__ = ["ChainReader"]

# What nodes answer when an eth_getLogs range holds too much (geth, erigon, anvil, hosted providers).
_TOO_LARGE = re.compile(
    r"more than \d+ results|too many results|response size|block range|range is too large|limit exceeded|"
    r"query timeout|exceeds? (the )?max",
    re.IGNORECASE,
)


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

    def _call(self, method: str, params: Sequence[Any]) -> Any:
        try:
            response = self._provider.make_request(method, list(params))
        except (RequestException, OSError) as exc:
            raise ChainError(f"The node at {self.rpc_url} does not answer ({type(exc).__name__}).") from None
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
