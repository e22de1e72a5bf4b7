"""Indexer throughput, memory and follow latency on a 100 000-event chain, against a raw baseline.

    make bench-indexer        (runs: python bench/indexer.py)

The chain (2 000 members, at least 100 000 events from the real contracts) is generated once and cached
(:mod:`bench.chain`). Printed, in one run:

1. raw baseline: ``eth_getLogs`` over the whole range in the indexer's first batch size, plus decoding,
   nothing stored — events per second;
2. backfill: ``Indexer.sync`` with its default settings into a fresh SQLite store (events, blocks,
   projections, checkpoint), in a child process so that its memory is its own — events per second and the
   ratio to the raw baseline.

Both run five times, alternating, and the median run of each is reported; the ratio is the median of the
five rounds' ratios (each round's two runs are seconds apart, so a slow spell of the machine hits both). One
more backfill samples memory: the peak of the summed PSS (proportional set size: pages shared after a fork
are split, not counted twice) of the writer and its reading processes (:mod:`ledger.indexer.prefetch`). It is
a separate run because sampling takes the writer's time. Then

3. follow: ``coopledger index`` following the head with confirmations 0 and its default poll interval;
   20 deposits mined a fraction of a second apart; for each, the time from its receipt to its event being
   in the store — p50, p95 and max.

Targets (issue #5): at least 10 000 events/s, at least 0.7 of the raw baseline, peak memory at most 500 MB,
follow latency at most 1 s. Figures go to bench/results/indexer.json.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.chain import cached_chain, serve  # noqa: E402
from ledger.indexer.chain import ChainReader  # noqa: E402
from ledger.indexer.decoding import EventDecoder  # noqa: E402
from ledger.indexer.sync import Indexer  # noqa: E402
from ledger.protocol.manifest import load_manifest  # noqa: E402
from ledger.settings import Settings  # noqa: E402
from ledger.store import Store  # noqa: E402

MEMBERS, EVENTS = 2_000, 100_000
RESULTS = PROJECT / "bench" / "results" / "indexer.json"
COOPLEDGER = Path(sys.executable).parent / "coopledger"
RUNS = 5
TARGETS = {
    "events_per_second": 10_000,
    "ratio_to_raw": 0.7,
    "peak_memory_mb": 500,
    "follow_latency_max_s": 1.0,
}


def raw_baseline(url: str, manifest_path: Path) -> dict[str, float]:
    """eth_getLogs over the chain in the indexer's batch size, decoded, nothing stored."""
    manifest = load_manifest(manifest_path)
    reader, decoder = ChainReader(url), EventDecoder(manifest)
    head, size = reader.head(), Settings().batch_blocks
    started, events = time.perf_counter(), 0
    for start in range(manifest.start_block, head + 1, size):
        events += len(decoder.decode_all(reader.logs(decoder.addresses, start, min(start + size - 1, head))))
    seconds = time.perf_counter() - started
    return {"events": events, "seconds": seconds, "events_per_second": events / seconds}


def backfill_in_child(
    url: str, manifest_path: Path, store_url: str, memory: bool = False
) -> dict[str, float]:
    """Run :func:`_backfill` in a child process (its memory is then its own); with ``memory``, sample the
    memory of it and its readers (a separate run: sampling costs the writer time)."""
    child = subprocess.run(
        [sys.executable, __file__, "--backfill", url, str(manifest_path), store_url, str(memory)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(child.stdout.splitlines()[-1])
    return figures


def _backfill(url: str, manifest_path: str, store_url: str, memory: str) -> None:
    peak = _TreeMemory()
    with Store.open(store_url) as store:
        indexer = Indexer(ChainReader(url), store, load_manifest(Path(manifest_path)))
        if memory == "True":
            peak.start()
        started = time.perf_counter()
        report = indexer.sync()
        seconds = time.perf_counter() - started
        if memory == "True":
            peak.stop()
    figures = {
        "events": report.events,
        "seconds": seconds,
        "events_per_second": report.events / seconds,
        "peak_memory_mb": peak.peak_mb,
    }
    print(json.dumps(figures))


class _TreeMemory(threading.Thread):
    """Samples, every 50 ms, the memory of this process and every process it started (the writer and its
    reading processes, :mod:`ledger.indexer.prefetch`) as the sum of their PSS — proportional set size, which
    splits the pages a fork shares among the processes sharing them, so nothing is counted twice — and
    keeps the peak, in MB."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_mb = 0.0
        self._done = threading.Event()

    def run(self) -> None:
        me = psutil.Process()
        while not self._done.wait(0.05):
            total = 0
            for process in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # a reader that just ended
                    total += process.memory_full_info().pss
            self.peak_mb = max(self.peak_mb, total / 1e6)

    def stop(self) -> None:
        self._done.set()
        self.join()


def follow_latency(url: str, manifest_path: Path, store_path: Path, deposits: int = 20) -> dict[str, float]:
    """Seconds from a deposit's receipt to its event in the store, with ``coopledger index`` following."""
    from web3 import HTTPProvider, Web3
    from web3.types import TxParams, Wei

    manifest = load_manifest(manifest_path)
    w3 = Web3(HTTPProvider(url))
    deployed = manifest.contracts["Agreements"]
    agreements = w3.eth.contract(address=Web3.to_checksum_address(deployed.address), abi=deployed.abi)
    token = manifest.contracts["MockERC20"].address
    proposer = agreements.functions.agreement(1).call()[3]
    env = {
        **os.environ,
        "COOPLEDGER_RPC_URL": url,
        "COOPLEDGER_STORE_URL": f"sqlite:///{store_path}",
        "COOPLEDGER_MANIFEST": str(manifest_path),
        "COOPLEDGER_CONFIRMATIONS": "0",
    }
    follower = subprocess.Popen(
        [str(COOPLEDGER), "index"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    latencies: list[float] = []
    try:
        time.sleep(3)  # past start-up: the store is already at the head
        for number in range(deposits):
            transaction: TxParams = {"from": proposer, "gasPrice": Wei(0)}
            tx_hash = agreements.functions.deposit(1, token, 10**18 + number).transact(transaction)
            w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.005)
            mined = time.perf_counter()
            wanted = tx_hash.to_0x_hex()
            while not _stored(store_path, wanted):
                if time.perf_counter() - mined > 30:
                    raise RuntimeError(f"deposit {wanted} never reached the store")
                time.sleep(0.005)
            latencies.append(time.perf_counter() - mined)
            time.sleep(0.3 + 0.05 * (number % 7))  # not in step with the poll interval
    finally:
        follower.terminate()
        follower.wait(timeout=30)
    ordered = sorted(latencies)
    return {
        "deposits": deposits,
        "p50_s": statistics.median(ordered),
        "p95_s": ordered[int(0.95 * (len(ordered) - 1))],
        "max_s": ordered[-1],
        "poll_interval_s": Settings().poll_interval,
    }


def _stored(store_path: Path, tx_hash: str) -> bool:
    with sqlite3.connect(f"file:{store_path}?mode=ro", uri=True, timeout=1) as connection:
        return connection.execute("SELECT 1 FROM events WHERE tx_hash = ?", (tx_hash,)).fetchone() is not None


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median throughput."""
    return sorted(runs, key=lambda run: run["events_per_second"])[len(runs) // 2]


def _mark(value: float, target: float, higher_is_better: bool) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "within target" if ok else "MISSES target"


def main() -> None:
    chain = cached_chain(MEMBERS, EVENTS)
    print(
        f"chain: {chain.events:,} events in {chain.blocks:,} blocks, {chain.members:,} members "
        f"({'generated now, and cached' if chain.generated else 'from the cache'})"
    )
    anvil = serve(chain)
    try:
        raws, backfills = [], []
        with tempfile.TemporaryDirectory() as folder:
            for run in range(RUNS):
                raws.append(raw_baseline(anvil.url, chain.manifest))
                store_path = Path(folder) / f"bench-{run}.db"
                backfills.append(backfill_in_child(anvil.url, chain.manifest, f"sqlite:///{store_path}"))
            sampled = backfill_in_child(
                anvil.url, chain.manifest, f"sqlite:///{folder}/memory.db", memory=True
            )
            follow = follow_latency(anvil.url, chain.manifest, store_path)
        raw, backfill = _median(raws), _median(backfills)
        backfill["peak_memory_mb"] = sampled["peak_memory_mb"]
    finally:
        anvil.stop()
    ratios = [
        round(run["events_per_second"] / baseline["events_per_second"], 3)
        for run, baseline in zip(backfills, raws, strict=True)
    ]
    ratio = statistics.median(ratios)
    print(
        f"raw baseline (getLogs + decode): {raw['events']:,.0f} events in {raw['seconds']:.2f} s = "
        f"{raw['events_per_second']:,.0f} events/s"
    )
    print(
        f"backfill into SQLite:            {backfill['events']:,.0f} events in {backfill['seconds']:.2f} s = "
        f"{backfill['events_per_second']:,.0f} events/s "
        f"({_mark(backfill['events_per_second'], TARGETS['events_per_second'], True)} >= 10,000)"
    )
    print(
        f"  ratio to raw baseline:         {ratio:.2f}, the median of the rounds' "
        f"{', '.join(f'{value:.2f}' for value in ratios)} "
        f"({_mark(ratio, TARGETS['ratio_to_raw'], True)} >= 0.70)"
    )
    print(
        f"  peak memory (PSS of the writer and its readers, sampled in one more run): "
        f"{backfill['peak_memory_mb']:.0f} MB "
        f"({_mark(backfill['peak_memory_mb'], TARGETS['peak_memory_mb'], False)} <= 500 MB)"
    )
    print(
        f"follow latency (confirmations 0, poll {follow['poll_interval_s']:g} s, "
        f"{follow['deposits']} deposits): "
        f"p50 {follow['p50_s']:.3f} s, p95 {follow['p95_s']:.3f} s, max {follow['max_s']:.3f} s "
        f"({_mark(follow['max_s'], TARGETS['follow_latency_max_s'], False)} <= 1 s)"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "raw": raw,
                "backfill": backfill,
                "ratio_to_raw": ratio,
                "round_ratios": ratios,
                "follow": follow,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--backfill":
        _backfill(*sys.argv[2:6])
    else:
        main()
