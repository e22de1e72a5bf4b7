"""Gas used by every state-changing public function of coopledger's contracts, against a baseline.

    make bench        (runs: brownie run bench/gas_report.py --network development)

Each figure is the gas of one transaction in a fixed scenario on a fresh anvil. The committed baseline,
bench/gas-baseline.json, holds the figures of the last accepted change; the report prints both and the
difference, so a change that makes a function dearer shows up in the same run. `--update` is not offered on
purpose: to accept new figures, copy them from bench/results/gas.json after reviewing the report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from brownie import Consortium, accounts

from ledger.codes import encode_code

BENCH_DIR = Path(__file__).resolve().parent
BASELINE = BENCH_DIR / "gas-baseline.json"
RESULTS = BENCH_DIR / "results" / "gas.json"


def _founders(count: int) -> list[tuple[str, str, bytes, bytes]]:
    return [
        (accounts[i].address, f"Member {i}", encode_code("bakery"), encode_code("north"))
        for i in range(count)
    ]


def consortium_figures() -> dict[str, int]:
    """Consortium: deployment with 3 and 10 founders; propose, approve (plain and executing); exit."""
    small = Consortium.deploy(_founders(3), 5_000, 604_800, {"from": accounts[0]})
    large = Consortium.deploy(_founders(10), 5_000, 604_800, {"from": accounts[0]})
    candidate = (accounts[5].address, "Candidate", encode_code("plumbing"), encode_code("east"))
    propose = small.proposeAdmission(candidate, {"from": accounts[0]})
    approve = small.approve(propose.return_value, {"from": accounts[0]})
    execute = small.approve(propose.return_value, {"from": accounts[1]})
    suspension = small.proposeSuspension(accounts[2], {"from": accounts[0]})
    return {
        "Consortium.deploy (3 founders)": small.tx.gas_used,
        "Consortium.deploy (10 founders)": large.tx.gas_used,
        "Consortium.proposeAdmission": propose.gas_used,
        "Consortium.proposeSuspension": suspension.gas_used,
        "Consortium.approve": approve.gas_used,
        "Consortium.approve (executes admission)": execute.gas_used,
        "Consortium.exit": small.exit({"from": accounts[1]}).gas_used,
    }


SCENARIOS: list[Callable[[], dict[str, int]]] = [consortium_figures]


def _format_delta(current: int, baseline: int | None) -> str:
    if baseline is None:
        return "new"
    delta = current - baseline
    return "=" if delta == 0 else f"{delta:+d} ({delta / baseline:+.1%})"


def main() -> dict[str, Any]:
    """Measure every scenario, print the table against the baseline and write bench/results/gas.json."""
    figures: dict[str, int] = {}
    for scenario in SCENARIOS:
        figures.update(scenario())
    baseline: dict[str, int] = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    width = max(len(name) for name in figures)
    print(f"\n{'function':<{width}}  {'gas':>10}  {'baseline':>10}  change")
    for name, gas in figures.items():
        before = baseline.get(name)
        shown = "-" if before is None else f"{before:,}"
        print(f"{name:<{width}}  {gas:>10,}  {shown:>10}  {_format_delta(gas, before)}")
    for name in sorted(set(baseline) - set(figures)):
        print(f"{name:<{width}}  {'-':>10}  {baseline[name]:>10}  no longer measured")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nfigures written to {RESULTS.relative_to(BENCH_DIR.parent)}")
    return figures
