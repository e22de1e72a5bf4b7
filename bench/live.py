"""Metrics at a moving head: 50 connections on the busiest endpoints while the chain moves on.

    make bench-live        (runs: python bench/live.py)

The cached 2 000-member / 100 000-event chain (:mod:`bench.chain`) is served by an anvil that mines a block
every 2 s; a member deposits revenue into an agreement every few blocks. The chain is indexed once into a
template store; then, for each mode, a copy of it is followed by ``coopledger index`` while an API process
serves it and a separate load process keeps 50 connections busy for 60 s on ``/v1/metrics/network``,
``/v1/metrics/value-sharing``, ``/v1/alerts`` and ``/v1/events`` at the head (no ``as_of_block``).

The modes, run one after the other in the same run on the same machine:

- ``baseline``: the behaviour before figures were keyed by their last change — every new block is a new
  cache key, and a request at the head computes the figures (or waits for them) itself; history pages are
  counted and built per request.
- ``current``: the API as it is.

Printed per mode and endpoint (the load process is :mod:`bench.load`): requests, errors, latency p50 / p95 /
p99, and how many blocks behind the chain's head the answers were (the chain's head, polled by the load
process, minus the answer's ``X-Block-Height``; the indexer's polling is in it). Targets (issue #19): p95
at most 50 ms on every endpoint, no error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.chain import BLOCK_GAS_LIMIT, NO_HISTORY, CachedChain, cached_chain  # noqa: E402
from scripts.toolchain.localnode import Anvil, free_port, start_anvil  # noqa: E402

PATHS = ("/v1/metrics/network", "/v1/metrics/value-sharing", "/v1/alerts", "/v1/events")
COOPLEDGER = PROJECT / ".venv" / "bin" / "coopledger"
TARGET_P95_MS = 50.0
CONNECTIONS = 50


# ------------------------------------------------------------------------------------------------ api


def serve_api(mode: str, store_url: str, manifest: str, rpc_url: str, port: int) -> None:
    """Serve the API over ``store_url`` on ``port`` in this process, as ``mode`` behaves."""
    import uvicorn

    import api.main
    from api.service import Height, HeightError, LedgerService
    from api.settings import ApiSettings
    from ledger.store import queries
    from ledger.types import Checkpoint

    if mode == "baseline":

        class _Idle:
            running = False

            def start(self) -> None: ...

            def wake(self) -> None: ...

            def stop(self, timeout: float = 0.0) -> None: ...

        class PerBlock(LedgerService):
            """Figures keyed by the head block, computed by the requests at the head; pages per request."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.refresher = _Idle()

            def height(self, as_of_block: int | None, parameter: str = "as_of_block") -> Height:
                if as_of_block is not None:
                    return super().height(as_of_block, parameter)
                head = self.head()
                if head is None:
                    raise HeightError("Nothing is indexed yet.")
                return Height(head.block_number, (head.block_number, head.block_hash))

            def history_count(self, selection: queries.EventFilter, head: Checkpoint) -> int:
                with self.store.reading() as connection:
                    return queries.event_count(connection, selection.within(0, head.block_number))

            async def history_answer(self, key: tuple[object, ...], compute: Any) -> bytes:
                from starlette.concurrency import run_in_threadpool

                body: bytes = await run_in_threadpool(compute)
                return body

        setattr(api.main, "LedgerService", PerBlock)  # noqa: B010 - the baseline stands in for it
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = ApiSettings(store_url=store_url, manifest=Path(manifest), rpc_url=rpc_url, poll_interval=0.5)
    uvicorn.run(api.main.create_app(settings), host="127.0.0.1", port=port, log_level="warning")


# ------------------------------------------------------------------------------------------ the run


class _Deposits:
    """Every ``every_blocks`` blocks, a member deposits revenue into a random agreement (real transactions of
    the deployed contracts, from the chain's unlocked member accounts); the wall-clock time each block was
    first seen (polled every 50 ms) is kept, to tell how long after a deposit was mined answers still missed
    it."""

    def __init__(self, anvil: Anvil, chain: CachedChain, every_blocks: int = 3) -> None:
        self.anvil, self.chain, self.every_blocks = anvil, chain, every_blocks
        self.seen: dict[int, float] = {}
        self.sent: list[Any] = []
        self.stop = threading.Event()

    def run(self) -> None:
        w3 = self.anvil.w3
        manifest = json.loads(self.chain.manifest.read_text())
        record = manifest["contracts"]["Agreements"]
        agreements = w3.eth.contract(address=record["address"], abi=record["abi"])
        token = manifest["contracts"]["MockERC20"]["address"]
        people = list(w3.eth.accounts)[1 : self.chain.members + 1]
        count = agreements.functions.agreementCount().call()
        rng = random.Random(2026)
        last = w3.eth.block_number
        while not self.stop.is_set():
            head = w3.eth.block_number
            self.seen.setdefault(head, time.time())
            if head >= last + self.every_blocks:
                last = head
                amount = rng.randint(10**15, 10**20)
                call = agreements.functions.deposit(rng.randrange(count) + 1, token, amount)
                with contextlib.suppress(Exception):  # a deposit the contract refuses is left out, not fatal
                    self.sent.append(call.transact({"from": rng.choice(people), "gas": 1_000_000}))
            self.stop.wait(0.05)

    def mined(self) -> list[tuple[int, float]]:
        """Each successful deposit's block and when that block was first seen, oldest first."""
        found = []
        for tx_hash in self.sent:
            with contextlib.suppress(Exception):
                receipt = self.anvil.w3.eth.get_transaction_receipt(tx_hash)
                if receipt["status"] == 1 and receipt["blockNumber"] in self.seen:
                    found.append((receipt["blockNumber"], self.seen[receipt["blockNumber"]]))
        return sorted(set(found))


def staleness(samples: list[list[Any]], changes: list[tuple[int, float]], column: int) -> dict[str, float]:
    """How many seconds each sampled answer had missed a mined change for: 0 when it reflected every change
    mined before it was received, else the time since the oldest change it missed was mined. ``column`` 2
    reads ``last_change_block`` (the counted figures), 3 ``global_last_change_block``."""
    stale = []
    for row in samples:
        received, reflected = row[1], row[column]
        if reflected is None:
            continue
        missed = [seen for block, seen in changes if block > reflected and seen <= received]
        stale.append(received - min(missed) if missed else 0.0)
    if not stale:
        return {}
    ordered = sorted(stale)
    return {
        "p50": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
        "max": ordered[-1],
    }


@contextlib.contextmanager
def _process(command: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until_answered(base: str, timeout: float = 900) -> float:
    """Seconds until the API answers every path at the head (the cold computation)."""
    started = time.monotonic()
    with httpx.Client(base_url=base, timeout=timeout) as client:
        for path in PATHS:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(path).status_code == 200:
                        break
                assert time.monotonic() - started < timeout, f"{path} never answered"
                time.sleep(0.5)
    return time.monotonic() - started


def measure(
    mode: str, anvil: Anvil, chain: CachedChain, template: Path, folder: Path, logs: Path, seconds: float
) -> Any:
    store = folder / f"{mode}.db"
    shutil.copy(template, store)
    store_url = f"sqlite:///{store}"
    env_index = [str(COOPLEDGER), "index", "--rpc-url", anvil.url, "--store-url", store_url]
    env_index += ["--manifest", str(chain.manifest), "--poll-interval", "0.5"]
    port = free_port()
    api = [sys.executable, __file__, "api", mode, store_url, str(chain.manifest), anvil.url, str(port)]
    base = f"http://127.0.0.1:{port}"
    with (
        _process(env_index, logs / f"{mode}-index.log"),
        _process(api, logs / f"{mode}-api.log"),
    ):
        cold = _wait_until_answered(base)
        print(f"  {mode}: the API answered every endpoint at the head after {cold:.1f} s (cold)", flush=True)
        urls = [f"{base}{path}" for path in PATHS]
        samples = folder / f"{mode}-samples.json"
        load = [sys.executable, str(PROJECT / "bench" / "load.py"), *urls, "--rpc-url", anvil.url]
        load += ["--connections", str(CONNECTIONS), "--seconds", str(seconds), "--samples", str(samples)]
        finished = subprocess.run(load, capture_output=True, text=True, check=True, timeout=seconds + 600)
    by_url: dict[str, dict[str, Any]] = json.loads(finished.stdout)
    found = {path: by_url[f"{base}{path}"] for path in PATHS}
    found["samples"] = json.loads(samples.read_text())
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=60.0, help="load per mode")
    parser.add_argument("--modes", default="baseline,current", help="which modes to run, in order")
    parser.add_argument("--logs", type=Path, help="keep each process's log in this folder")
    options = parser.parse_args()
    chain = cached_chain(options.members, options.events)
    print(
        f"chain: {chain.members} members, {chain.events} events, {chain.blocks} blocks (cached)", flush=True
    )
    anvil = start_anvil(
        None,
        None,
        *("--load-state", str(chain.state), "--accounts", str(chain.members + 1), "--block-time", "2"),
        *NO_HISTORY,
        gas_limit=BLOCK_GAS_LIMIT,
    )
    deposits = _Deposits(anvil, chain)
    producer = threading.Thread(target=deposits.run, daemon=True)
    try:
        with tempfile.TemporaryDirectory(prefix="coopledger-live-") as scratch:
            folder = Path(scratch)
            template = folder / "template.db"
            started = time.monotonic()
            backfill = [str(COOPLEDGER), "index", "--once", "--rpc-url", anvil.url]
            backfill += ["--store-url", f"sqlite:///{template}", "--manifest", str(chain.manifest)]
            subprocess.run(backfill, check=True, capture_output=True)
            print(
                f"indexed the chain once in {time.monotonic() - started:.0f} s (the template store)",
                flush=True,
            )
            producer.start()
            logs = options.logs or folder
            logs.mkdir(parents=True, exist_ok=True)
            results = {
                mode: measure(mode, anvil, chain, template, folder, logs, options.seconds)
                for mode in options.modes.split(",")
            }
        changes = deposits.mined()
    finally:
        deposits.stop.set()
        anvil.stop()
    _print(results, changes)


def _print(results: dict[str, dict[str, Any]], changes: list[tuple[int, float]]) -> None:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:,.1f}"

    print(f"\n{CONNECTIONS} connections, {', '.join(PATHS)} in turn; a block every 2 s, a deposit every 3")
    columns = ("requests", "errors", "p50 ms", "p95 ms", "p99 ms")
    widths = (8, 6, 9, 9, 9)
    cells = " ".join(f"{name:>{width}}" for name, width in zip(columns, widths, strict=True))
    print(f"{'mode':<9} {'endpoint':<27} {cells} {'behind (median / max)':>22}")
    for mode, by_path in results.items():
        for path in PATHS:
            found = by_path[path]
            behind = f"{found.get('behind_median', '-')} / {found.get('behind_max', '-')}"
            verdict = ""
            if mode == "current" and found["p95_ms"] is not None:
                verdict = "  ok" if found["p95_ms"] <= TARGET_P95_MS and not found["errors"] else "  OVER"
            print(
                f"{mode:<9} {path:<27} {found['requests']:>8,} {found['errors']:>6} {ms(found['p50_ms']):>9} "
                f"{ms(found['p95_ms']):>9} {ms(found['p99_ms']):>9} {behind:>22}{verdict}"
            )
    print(f"target: p95 <= {TARGET_P95_MS:.0f} ms on every endpoint, 0 errors")
    print(f"\nhow long answers missed a mined deposit ({len(changes)} deposits), seconds p50 / p95 / max:")
    for mode, by_path in results.items():
        for what, column in (("counted figures", 2), ("global figures", 3)):
            found = staleness(by_path["samples"], changes, column)
            if found:
                figures = " / ".join(f"{found[key]:.1f}" for key in ("p50", "p95", "max"))
                print(f"{mode:<9} {what:<16} {figures}")
    print("target: counted figures at most 2 s behind an event, global ones at most one interval (30 s)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "api":  # the API process of one mode (see measure)
        mode, store_url, manifest, rpc_url, port = sys.argv[2:7]
        serve_api(mode, store_url, manifest, rpc_url, int(port))
    else:
        main()
