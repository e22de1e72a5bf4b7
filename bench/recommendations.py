"""Do the partner recommendations predict? The backtest on the demo chain and on the bench chain, in one run.

    make bench-recommendations        (runs: python bench/recommendations.py)

For each chain, the history is split where a share of the ties at the head had formed (30 %, 50 % and 70 %
on the demo; 50 % on the bench chain); the recommendations made from the network up to the split are scored
against the ties formed after it (precision at 5 and 10, recall at 10, mean reciprocal rank, AUC), side by
side with the baselines random, preferential attachment and common neighbours
(:mod:`ledger.analytics.metrics.recommendations`).

- The demo chain: anvil with 80 accounts, ``scripts/deploy.py`` and ``scripts/seed_demo.py`` (the seeded
  consortium of ``make demo``, a minute), indexed into a throwaway SQLite store.
- The bench chain: the cached 2 000-member, 100 000-event chain of :mod:`bench.chain` (generated once), its
  backtest over a seeded sample of 400 of the members that formed a new tie.

The figures go to bench/results/recommendations.json. What they mean, and their limits, is in
docs/METRICS.md (recommendations).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.chain import cached_chain, serve  # noqa: E402
from ledger.analytics.graph import LedgerGraph  # noqa: E402
from ledger.analytics.metrics.recommendations import Backtest, backtest_history  # noqa: E402
from ledger.indexer.chain import ChainReader  # noqa: E402
from ledger.indexer.sync import Indexer  # noqa: E402
from ledger.protocol.manifest import load_manifest  # noqa: E402
from ledger.store import Store  # noqa: E402
from scripts.toolchain.localnode import start_anvil  # noqa: E402

RESULTS = PROJECT / "bench" / "results" / "recommendations.json"
DEMO_SPLITS = (0.3, 0.5, 0.7)
BENCH_SPLIT, BENCH_SAMPLE = 0.5, 400
MEMBERS, EVENTS = 2_000, 100_000


def _graph(rpc_url: str, manifest: Path, store_url: str) -> LedgerGraph:
    """Index the chain at ``rpc_url`` into ``store_url`` and build its fact graph."""
    with Store.open(store_url) as store:
        Indexer(ChainReader(rpc_url), store, load_manifest(manifest)).sync()
        ledger = LedgerGraph(store.agreement_kinds())
        ledger.sync(store)
    return ledger


def demo_graph(folder: Path) -> LedgerGraph:
    """The demo consortium, seeded on a fresh anvil and indexed."""
    anvil = start_anvil(None, None, "--accounts", "80")
    try:
        python = sys.executable
        deployments = folder / "deployments"
        for script in (
            ["scripts/deploy.py", "--rpc-url", anvil.url, "--deployments-dir", str(deployments)],
            ["scripts/seed_demo.py", "--rpc-url", anvil.url, "--manifest", str(deployments / "31337.json")],
        ):
            subprocess.run([python, *script], cwd=PROJECT, check=True, stdout=subprocess.DEVNULL)
        return _graph(anvil.url, deployments / "31337.json", f"sqlite:///{folder}/demo.db")
    finally:
        anvil.stop()


def bench_graph(folder: Path) -> LedgerGraph:
    """The cached bench chain, indexed."""
    chain = cached_chain(MEMBERS, EVENTS)
    anvil = serve(chain)
    try:
        return _graph(anvil.url, chain.manifest, f"sqlite:///{folder}/bench.db")
    finally:
        anvil.stop()


def table(name: str, share: float, found: Backtest, seconds: float) -> list[str]:
    """The backtest's lines: what was there to predict, then one row per ranking."""
    lines = [
        f"{name}, split at {share:.0%} of the ties (block {found.split_block:,}): {found.members:,} members, "
        f"{found.ties_at_split:,} ties at the split, {found.new_ties:,} formed after it; "
        f"{found.members_scored:,} members scored ({seconds:.1f} s)",
        f"  {'ranking':<25} {'p@5':>6} {'p@10':>6} {'r@10':>6} {'MRR':>6} {'AUC':>6}",
    ]
    for row in found.scores:
        lines.append(
            f"  {row.method:<25} {row.precision_at_5:6.3f} {row.precision_at_10:6.3f} "
            f"{row.recall_at_10:6.3f} {row.mean_reciprocal_rank:6.3f} {row.auc:6.3f}"
        )
    ours, *baselines = found.scores
    best = max(baselines, key=lambda row: row.precision_at_10)
    margin = ours.precision_at_10 - best.precision_at_10
    verdict = "beats" if margin > 0 else "does not beat"
    lines.append(
        f"  recommendations {verdict} every baseline at precision@10: {ours.precision_at_10:.3f} against "
        f"{best.precision_at_10:.3f} ({best.method}), {margin:+.3f}"
    )
    return lines


def main() -> None:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        print("seeding and indexing the demo chain (a minute)…", flush=True)
        demo = demo_graph(Path(folder))
        for share in DEMO_SPLITS:
            started = time.perf_counter()
            found = backtest_history(demo.graph, demo.block, share)
            print("\n".join(table("demo chain", share, found, time.perf_counter() - started)), flush=True)
            results[f"demo@{share}"] = _figures(found)
        print(f"indexing the bench chain ({MEMBERS:,} members; generated first if not cached)…", flush=True)
        bench = bench_graph(Path(folder))
        started = time.perf_counter()
        found = backtest_history(bench.graph, bench.block, BENCH_SPLIT, sample=BENCH_SAMPLE)
        print("\n".join(table("bench chain", BENCH_SPLIT, found, time.perf_counter() - started)))
        results[f"bench@{BENCH_SPLIT}"] = _figures(found)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"figures written to {RESULTS.relative_to(PROJECT)}")


def _figures(found: Backtest) -> dict[str, Any]:
    return {
        "split_block": found.split_block,
        "members": found.members,
        "ties_at_split": found.ties_at_split,
        "new_ties": found.new_ties,
        "members_scored": found.members_scored,
        "scores": [vars(row) for row in found.scores],
    }


if __name__ == "__main__":
    main()
