"""The metrics and the API under load, on the 2 000-member, 100 000-event chain.

    make bench-metrics        (runs: python bench/metrics.py)

The cached chain (:mod:`bench.chain`) is indexed into a fresh SQLite store and its graph built; then, in one
run, printed:

- cold: the time to compute every network, value-sharing and alert figure at the head (nothing cached);
- for comparison, the time of networkx's exact betweenness on the same tie graph (what the report's sampled
  betweenness avoids);
- the API: ``coopledger serve`` (uvicorn) is started on the store; its first ``/v1/metrics/network`` (cold,
  over HTTP) is timed; then a separate load-generator process (:mod:`bench.load`) holds 50 concurrent
  connections on ``/v1/metrics/network`` for 30 s: requests per second, p50 / p95 latency, errors.

Targets (issue #6): cold at most 20 s; warm p95 at most 100 ms; zero errors. Figures go to
bench/results/metrics.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

import networkx as nx  # noqa: E402

from bench.chain import cached_chain, serve  # noqa: E402
from ledger.analytics.graph import LedgerGraph  # noqa: E402
from ledger.analytics.metrics.alerts import AlertThresholds  # noqa: E402
from ledger.analytics.metrics.report import alerts_report, network_report, value_report  # noqa: E402
from ledger.analytics.metrics.views import snapshot  # noqa: E402
from ledger.indexer.chain import ChainReader  # noqa: E402
from ledger.indexer.sync import Indexer  # noqa: E402
from ledger.protocol.manifest import load_manifest  # noqa: E402
from ledger.store import Store  # noqa: E402
from scripts.toolchain.localnode import free_port  # noqa: E402

MEMBERS, EVENTS = 2_000, 100_000
RESULTS = PROJECT / "bench" / "results" / "metrics.json"
COLD_TARGET_S = 20.0
P95_TARGET_MS = 100.0
CONNECTIONS, LOAD_SECONDS = 50, 30.0


def _load_api(store_url: str) -> dict[str, Any]:
    """Serve ``store_url`` with ``coopledger serve``; time the first (cold) network answer over HTTP, then
    load it from a separate process."""
    port = free_port()
    env = {**os.environ, "COOPLEDGER_STORE_URL": store_url}
    coopledger = str(Path(sys.executable).parent / "coopledger")
    server = subprocess.Popen(
        [coopledger, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}/v1/metrics/network"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("coopledger serve did not start") from None
                time.sleep(0.2)
        started = time.perf_counter()
        httpx.get(url, timeout=120).raise_for_status()
        cold_http = time.perf_counter() - started
        generator = subprocess.run(
            [
                sys.executable,
                str(PROJECT / "bench" / "load.py"),
                url,
                "--connections",
                str(CONNECTIONS),
                "--seconds",
                str(LOAD_SECONDS),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=LOAD_SECONDS + 120,
        )
        figures: dict[str, Any] = json.loads(generator.stdout)
        figures["cold_http_s"] = cold_http
        return figures
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    chain = cached_chain(MEMBERS, EVENTS)
    folder = tempfile.TemporaryDirectory()
    store_url = f"sqlite:///{folder.name}/bench.db"
    anvil = serve(chain)
    try:
        with Store.open(store_url) as store:
            Indexer(ChainReader(anvil.url), store, load_manifest(chain.manifest)).sync()
            started = time.perf_counter()
            ledger = LedgerGraph(store.agreement_kinds())
            ledger.sync(store)
            graph_seconds = time.perf_counter() - started
    finally:
        anvil.stop()
    started = time.perf_counter()
    now = snapshot(ledger, ledger.block)
    network = network_report(now)
    values = value_report(now)
    alerts = alerts_report(now, network, values, AlertThresholds())
    cold = time.perf_counter() - started
    started = time.perf_counter()
    nx.betweenness_centrality(now.ties)
    naive = time.perf_counter() - started
    verdict = "within target" if cold <= COLD_TARGET_S else "MISSES target"
    print(
        f"graph: {ledger.graph.number_of_nodes():,} nodes, {ledger.graph.number_of_edges():,} edges "
        f"(built from the store in {graph_seconds:.2f} s)"
    )
    print(f"tie graph: {network.members:,} members, {network.ties:,} ties; {len(alerts)} alerts")
    print(
        f"cold: every metric at block {now.block:,}: {cold:.2f} s ({verdict} <= {COLD_TARGET_S:g} s); "
        f"betweenness {network.betweenness.method}"
    )
    print(f"naive exact networkx betweenness on the same tie graph: {naive:.2f} s")
    with folder:
        load = _load_api(store_url)
    verdict = "within target" if load["p95_ms"] <= P95_TARGET_MS and not load["errors"] else "MISSES target"
    print(f"API: first /v1/metrics/network over HTTP (cold, in the server): {load['cold_http_s']:.2f} s")
    print(
        f"API warm, {CONNECTIONS} connections for {LOAD_SECONDS:g} s from a separate process: "
        f"{load['requests']:,} requests ({load['requests_per_s']:,.0f}/s), p50 {load['p50_ms']:.1f} ms, "
        f"p95 {load['p95_ms']:.1f} ms, p99 {load['p99_ms']:.1f} ms, {load['errors']} errors "
        f"({verdict}: p95 <= {P95_TARGET_MS:g} ms, zero errors)"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"cold_s": cold, "naive_betweenness_s": naive, "graph_build_s": graph_seconds, "api": load},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
