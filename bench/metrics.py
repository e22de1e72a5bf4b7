"""Cold computation of every network metric at one height on the 2 000-member, 100 000-event chain.

    make bench-metrics        (runs: python bench/metrics.py)

The cached chain (:mod:`bench.chain`) is indexed into a fresh SQLite store and its graph built; then, in one
run, printed: the time to compute every network, value-sharing and alert figure at the head (cold: nothing
cached), and for comparison the time of networkx's exact betweenness on the same tie graph (what the
report's sampled betweenness avoids). Target (issue #6): cold at most 20 s. Figures go to
bench/results/metrics.json. (The API's warm latency under load joins this benchmark with the API.)
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

import networkx as nx  # noqa: E402

from bench.chain import cached_chain, serve  # noqa: E402
from ledger.chain import ChainReader  # noqa: E402
from ledger.graph import LedgerGraph  # noqa: E402
from ledger.indexer import Indexer  # noqa: E402
from ledger.manifest import load_manifest  # noqa: E402
from ledger.metrics.alerts import AlertThresholds  # noqa: E402
from ledger.metrics.report import alerts_report, network_report, value_report  # noqa: E402
from ledger.metrics.views import snapshot  # noqa: E402
from ledger.store import Store  # noqa: E402

MEMBERS, EVENTS = 2_000, 100_000
RESULTS = PROJECT / "bench" / "results" / "metrics.json"
COLD_TARGET_S = 20.0


def main() -> None:
    chain = cached_chain(MEMBERS, EVENTS)
    anvil = serve(chain)
    try:
        with tempfile.TemporaryDirectory() as folder, Store.open(f"sqlite:///{folder}/bench.db") as store:
            Indexer(ChainReader(anvil.url), store, load_manifest(chain.manifest)).sync()
            started = time.perf_counter()
            ledger = LedgerGraph()
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
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"cold_s": cold, "naive_betweenness_s": naive, "graph_build_s": graph_seconds}, indent=2)
    )


if __name__ == "__main__":
    main()
