"""Recompute coopledger's audit digest from the chain alone, to check the API's ``/v1/audit/digest``.

    python scripts/audit_digest.py --rpc-url http://127.0.0.1:8545 --manifest deployments/31337.json \
        --to-block 1234

An auditor's own implementation of the recipe in ``ledger/audit.py`` (repeated here): it uses only web3 and
the deployment manifest (contract names, addresses, ABIs, deployment blocks) and imports nothing of
coopledger, so it checks the service rather than repeating it.

1. ``eth_getLogs`` for the manifest's contracts from the earliest deployment block to ``--to-block``; decode
   each log with its contract's ABI (logs that do not decode are left out and counted).
2. Order by (block number, log index).
3. One line per event: ``block_number|block_hash|tx_hash|log_index|contract_address|contract_name|
   event_name|arguments`` and ``\\n``; hashes lower-case 0x hex, the address checksummed, the arguments as
   JSON with sorted keys, no spaces, ASCII only; integers in full, bytes as lower-case 0x hex.
4. SHA-256 of the UTF-8 lines, lower-case hex.

Prints the digest, the number of events and of logs left out; ``--json`` prints them as JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from eth_abi.exceptions import DecodingError
from eth_utils.abi import event_abi_to_log_topic
from web3 import HTTPProvider, Web3
from web3._utils.events import get_event_data
from web3.exceptions import MismatchedABI

CHUNK_BLOCKS = 10_000


def plain(value: Any) -> Any:
    """A decoded value as the recipe writes it."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rpc-url", default="http://127.0.0.1:8545", help="the chain's JSON-RPC endpoint")
    parser.add_argument("--manifest", type=Path, required=True, help="the deployment manifest (JSON)")
    parser.add_argument("--to-block", type=int, help="last block covered (default: the chain's head)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    options = parser.parse_args(argv)

    try:
        manifest = json.loads(options.manifest.read_text(encoding="utf-8"))
        contracts = manifest["contracts"]
    except (OSError, ValueError, KeyError) as exc:
        parser.error(f"cannot read the manifest {options.manifest}: {exc}")
    w3 = Web3(HTTPProvider(options.rpc_url, request_kwargs={"timeout": 60}))
    if not w3.is_connected():
        parser.error(f"the node at {options.rpc_url} does not answer")
    end = w3.eth.block_number if options.to_block is None else options.to_block
    if end < 0:
        parser.error("--to-block must be 0 or more")

    events: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for name, contract in contracts.items():
        for entry in contract["abi"]:
            if entry.get("type") == "event" and not entry.get("anonymous"):
                topic = "0x" + event_abi_to_log_topic(entry).hex()
                events[(contract["address"].lower(), topic)] = (name, entry)
    addresses = [Web3.to_checksum_address(contract["address"]) for contract in contracts.values()]
    start = min(int(contract["block"]) for contract in contracts.values())

    hashed, count, skipped = hashlib.sha256(), 0, 0
    for first in range(start, end + 1, CHUNK_BLOCKS):
        last = min(first + CHUNK_BLOCKS - 1, end)
        logs = w3.eth.get_logs({"address": addresses, "fromBlock": first, "toBlock": last})
        for log in sorted(logs, key=lambda item: (item["blockNumber"], item["logIndex"])):
            topics = log["topics"]
            known = events.get((log["address"].lower(), "0x" + bytes(topics[0]).hex())) if topics else None
            if known is None:
                skipped += 1
                continue
            name, abi = known
            try:
                decoded = get_event_data(w3.codec, abi, log)
            except (DecodingError, MismatchedABI, ValueError):  # left out, as the store leaves it out
                skipped += 1
                continue
            arguments = json.dumps(plain(dict(decoded["args"])), sort_keys=True, separators=(",", ":"))
            line = (
                f"{log['blockNumber']}|0x{bytes(log['blockHash']).hex()}|0x{bytes(log['transactionHash']).hex()}|"
                f"{log['logIndex']}|{Web3.to_checksum_address(log['address'])}|{name}|{decoded['event']}|"
                f"{arguments}\n"
            )
            hashed.update(line.encode("utf-8"))
            count += 1
    result = {"to_block": end, "events": count, "left_out": skipped, "digest": hashed.hexdigest()}
    if options.json:
        print(json.dumps(result))
    else:
        print(f"sha256 {result['digest']}  ({count} events up to block {end}; {skipped} logs left out)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
