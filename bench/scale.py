"""The ledger at scale: 10 000 members and 1 000 000 events — backfill, the head's figures, one new event, and
the API's memory.

    make bench-scale        (runs: python bench/scale.py; --members / --events for another cached chain)

The chain is generated once from the real contracts and cached (:mod:`bench.chain`; at this size that takes
a while, with progress). Printed, in one run:

1. backfill: ``Indexer.sync`` into a fresh SQLite store in a child process — events per second and the peak
   memory of the writer and its readers — next to the raw baseline in the same run (``eth_getLogs`` and
   decoding, nothing stored; :mod:`bench.indexer`).
2. the head's figures, each way in a child process of its own (so its peak memory is its own):
   - the metrics worker's, cold: a :class:`api.worker.HeadEngine` started on the store, as the worker
     starts — the seconds to its first publication (the counted figures) and to the one with the global
     figures, and its peak RSS;
   - the metrics worker's, per event: its graph without facts and the running figures built from every
     event but the chain's last ones, then each of those applied one at a time — the time to apply it and to
     produce every counted figure the head's answers read (what a new event costs);
   - the baseline: the full computation at one height, as an explicit ``as_of_block`` computes it (the whole
     fact graph, a snapshot, every network, value-sharing and alert figure).
3. the API: ``coopledger serve`` on the store (the metrics worker a child of it), asked the head's network,
   value sharing, alerts, history and one member's profile, then the network and the graph at the head's
   block as the dashboard asks them; the time of each first answer, and the peak RSS of the API process and
   of the worker.

Targets (issue #19): cold computation of every figure at most 30 s, one new event at most 50 ms, the API's
peak memory at most 2 GB. Figures go to bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.chain import cached_chain, serve  # noqa: E402
from bench.indexer import backfill_in_child, raw_baseline  # noqa: E402
from scripts.toolchain.localnode import free_port  # noqa: E402

RESULTS = PROJECT / "bench" / "results" / "scale.json"
TARGETS = {"cold_s": 30.0, "one_event_ms": 50.0, "api_peak_mb": 2_000.0}
LAST_EVENTS = 500  # the chain's last events, applied one at a time after the rest


def _peak_rss_mb() -> float:
    """This process's peak resident set size, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def worker_figures(store_url: str) -> dict[str, Any]:
    """The metrics worker's way (in this process, a child of the benchmark): see the module's docstring."""
    from api.worker import GRAPH_EVENTS, ValueAlertBook
    from ledger.analytics.graph import LedgerGraph
    from ledger.analytics.metrics.activity import PERIODS
    from ledger.analytics.metrics.alerts import AlertThresholds
    from ledger.analytics.metrics.running import RunningFigures
    from ledger.store import Store

    thresholds = AlertThresholds()
    with Store.open(store_url) as store:
        head = store.checkpoint()
        assert head is not None
        recent = [
            item
            for item in store.events_between(head.block_number - 200, head.block_number)
            if (item.contract, item.event) in GRAPH_EVENTS
        ]
        cutoff = recent[-LAST_EVENTS].block_number - 1  # whole blocks: none of their events left out
        tail = [item for item in recent if item.block_number > cutoff]
        started = time.perf_counter()
        running = RunningFigures()
        ledger = LedgerGraph(store.agreement_kinds(), observer=running, keep_facts=False)
        ledger.apply_all(store.events_between(-1, cutoff, GRAPH_EVENTS))
        built = time.perf_counter() - started

    alerts = ValueAlertBook(thresholds)

    def produce(block: int) -> Any:
        """Every counted figure the head's answers read (what the worker publishes per change)."""
        network, values = running.network(), running.values(block, thresholds.free_rider_ratio)
        alerts.read(values)
        running.referrals()
        for period in PERIODS:
            running.activity(period)
        return network

    gc.freeze()  # as the worker does once its graph is built: the collector no longer walks it
    applied, produced = [], []
    for item in tail:
        started = time.perf_counter()
        ledger.apply(item)
        applied.append(time.perf_counter() - started)
        network = produce(item.block_number)
        produced.append(time.perf_counter() - started)
    return {
        "members": network.members,
        "ties": network.ties,
        "facts": running.facts,
        "build_s": built,
        "apply": _percentiles(applied),
        "event": _percentiles(produced),
        "events_timed": len(produced),
        "peak_rss_mb": _peak_rss_mb(),
    }


def engine_cold(store_url: str) -> dict[str, Any]:
    """Every figure of the head, cold, as the metrics worker computes them when it starts: a
    :class:`api.worker.HeadEngine` on the store, from nothing to its first publication (the counted figures)
    and to the one with the global figures."""
    from api.worker import HeadEngine, HeadFigures
    from ledger.analytics.metrics.alerts import AlertThresholds
    from ledger.store import Store

    published: list[tuple[float, HeadFigures]] = []
    with Store.open(store_url) as store:
        engine = HeadEngine(
            store, AlertThresholds(), 0.0, lambda found: published.append((time.perf_counter(), found))
        )
        started = time.perf_counter()
        engine.step()
        engine.stop(timeout=3600)
    counted_at = published[0][0]
    global_at, last = published[-1]
    assert last.global_block == last.block, "the global figures were not published"
    network = last.figures[0]
    return {
        "members": network.members,
        "ties": network.ties,
        "counted_s": counted_at - started,
        "cold_s": global_at - started,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[int(0.95 * (len(ordered) - 1))],
        "max_ms": 1000 * ordered[-1],
    }


def full_figures(store_url: str) -> dict[str, Any]:
    """The baseline: every figure computed in full at the head, as an explicit height is."""
    from ledger.analytics.graph import LedgerGraph
    from ledger.analytics.metrics.alerts import AlertThresholds
    from ledger.analytics.metrics.report import alerts_report, network_report, value_report
    from ledger.analytics.metrics.views import snapshot
    from ledger.store import Store

    started = time.perf_counter()
    with Store.open(store_url) as store:
        ledger = LedgerGraph(store.agreement_kinds())
        ledger.sync(store)
    built = time.perf_counter() - started
    now = snapshot(ledger, ledger.block)
    network = network_report(now)
    values = value_report(now)
    alerts_report(now, network, values, AlertThresholds())
    return {
        "build_s": built,
        "cold_s": time.perf_counter() - started,
        "facts": ledger.graph.number_of_edges(),
        "peak_rss_mb": _peak_rss_mb(),
    }


def _in_child(name: str, store_url: str) -> dict[str, Any]:
    child = subprocess.run(
        [sys.executable, __file__, "--child", name, store_url], capture_output=True, text=True, check=True
    )
    found: dict[str, Any] = json.loads(child.stdout.splitlines()[-1])
    return found


def api_memory(store_url: str, rpc_url: str, manifest: Path) -> dict[str, Any]:
    """Serve the store; ask what the dashboard asks at the head; the peak RSS of the API and its worker."""
    port = free_port()
    env = {**os.environ, "COOPLEDGER_STORE_URL": store_url, "COOPLEDGER_RPC_URL": rpc_url}
    env["COOPLEDGER_MANIFEST"] = str(manifest)
    coopledger = str(Path(sys.executable).parent / "coopledger")
    server = subprocess.Popen(
        [coopledger, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    timings: dict[str, float] = {}
    try:
        with httpx.Client(base_url=base, timeout=600) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    client.get("/health").raise_for_status()
                    break
                except httpx.HTTPError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("coopledger serve did not start") from None
                    time.sleep(0.5)
            member = client.get("/v1/members", params={"limit": 1}).json()["data"][0]["address"]
            block = client.get("/health").json()["indexed_head"]
            for path in (
                "/v1/metrics/network",
                "/v1/metrics/value-sharing",
                "/v1/alerts",
                "/v1/events",
                f"/v1/metrics/members/{member}",
                # what the dashboard asks: every figure at the block it shows
                f"/v1/metrics/network?as_of_block={block}",
                f"/v1/graph?as_of_block={block}",
            ):
                started = time.perf_counter()
                client.get(path).raise_for_status()
                timings[path] = time.perf_counter() - started
        api = psutil.Process(server.pid)
        peaks = {"api_peak_mb": _hwm_mb(api.pid)}
        workers = api.children(recursive=True)
        peaks["worker_peak_mb"] = max((_hwm_mb(child.pid) for child in workers), default=0.0)
        return {**peaks, "first_answer_s": timings}
    finally:
        server.terminate()
        server.wait(timeout=60)


def _hwm_mb(pid: int) -> float:
    """Process ``pid``'s peak resident set size (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    return 0.0


def _mark(value: float, target: float) -> str:
    return "within target" if value <= target else "MISSES target"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    options = parser.parse_args()
    chain = cached_chain(options.members, options.events)
    print(f"chain: {chain.events:,} events in {chain.blocks:,} blocks, {chain.members:,} members", flush=True)
    anvil = serve(chain)
    try:
        with tempfile.TemporaryDirectory(prefix="coopledger-scale-") as folder:
            store_url = f"sqlite:///{folder}/scale.db"
            raw = raw_baseline(anvil.url, chain.manifest)
            backfill = backfill_in_child(anvil.url, chain.manifest, store_url, memory=True)
            print(
                f"backfill into SQLite: {backfill['events']:,.0f} events in {backfill['seconds']:.1f} s = "
                f"{backfill['events_per_second']:,.0f} events/s (raw getLogs + decode in the same run: "
                f"{raw['events_per_second']:,.0f} events/s); peak memory "
                f"{backfill['peak_memory_mb']:,.0f} MB",
                flush=True,
            )
            cold = _in_child("cold", store_url)
            print(
                f"every figure, cold (the metrics worker's engine from nothing): {cold['members']:,} "
                f"members, {cold['ties']:,} ties; the counted figures published after "
                f"{cold['counted_s']:.1f} s, the global ones after {cold['cold_s']:.1f} s "
                f"({_mark(cold['cold_s'], TARGETS['cold_s'])} <= 30 s); peak RSS "
                f"{cold['peak_rss_mb']:,.0f} MB",
                flush=True,
            )
            worker = _in_child("worker", store_url)
            apply, event = worker["apply"], worker["event"]
            print(
                f"one new event (the last {worker['events_timed']} of the chain, one at a time): applied in "
                f"p50 {apply['p50_ms']:.3f} ms, p95 {apply['p95_ms']:.3f} ms; applied and every counted "
                f"figure of the head produced in p50 {event['p50_ms']:.1f} ms, p95 {event['p95_ms']:.1f} ms, "
                f"max {event['max_ms']:.1f} ms ({_mark(event['p95_ms'], TARGETS['one_event_ms'])} <= 50 ms)",
                flush=True,
            )
            full = _in_child("full", store_url)
            print(
                f"baseline, the full computation at one height: {full['cold_s']:.1f} s (the fact graph of "
                f"{full['facts']:,} edges built in {full['build_s']:.1f} s); peak RSS "
                f"{full['peak_rss_mb']:,.0f} MB",
                flush=True,
            )
            api = api_memory(store_url, anvil.url, chain.manifest)
            answers = ", ".join(f"{path} {seconds:.1f} s" for path, seconds in api["first_answer_s"].items())
            verdict = _mark(api["api_peak_mb"], TARGETS["api_peak_mb"])
            print(
                f"API: peak RSS {api['api_peak_mb']:,.0f} MB ({verdict} <= 2 000 MB), its metrics worker "
                f"{api['worker_peak_mb']:,.0f} MB; first answers: {answers}"
            )
    finally:
        anvil.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"raw": raw, "backfill": backfill, "cold": cold, "worker": worker, "full": full, "api": api},
            indent=2,
        )
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        figures = {"cold": engine_cold, "worker": worker_figures, "full": full_figures}[sys.argv[2]](
            sys.argv[3]
        )
        print(json.dumps(figures))
    else:
        main()
