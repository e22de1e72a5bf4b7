"""The deep invariant campaign (Foundry's forge over ``tests/invariant``) and its planted mutants.

    python scripts/toolchain/fuzz.py campaign --runs 250 --depth 100     # make test: >= 25 000 calls each
    python scripts/toolchain/fuzz.py campaign --runs 1000 --depth 200    # make fuzz: >= 1 000 000 in all
    python scripts/toolchain/fuzz.py mutants --runs 100 --depth 100      # make fuzz: are planted bugs caught?

``campaign`` runs every ``invariant_*`` function of ``tests/invariant/Invariants.t.sol``: forge calls the
handler's actions ``runs`` x ``depth`` times per invariant, checking it after every call, and this prints each
invariant's runs, calls and reverts, and the calls in all. It exits 1 if an invariant breaks (forge prints the
shrunk sequence of calls that broke it).

``mutants`` plants one bug at a time (each a one-line change of accounting or of a rule, in :data:`MUTANTS`)
in a copy of the contracts, runs the campaign on it, and counts the mutants an invariant caught. A mutant
that survives is printed by name; the run exits 1 if any survives, so a weakened campaign is noticed.

forge compiles with the project's offline solc bridge (``.solcx/solc-v<version>``, installed by ``make
setup``), so nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]
CONFIG = Path("tests/invariant/foundry.toml")


@dataclass(frozen=True)
class Mutant:
    """A planted bug: in ``path``, the one line holding ``original`` reads ``mutated`` instead."""

    name: str
    path: str
    original: str
    mutated: str


MUTANTS = (
    Mutant(
        "withdraw books one unit less than it pays",
        "contracts/Agreements.sol",
        "party.withdrawn = uint112(credit);",
        "party.withdrawn = uint112(credit - 1);",
    ),
    Mutant(
        "withdraw pays a share one basis point too large",
        "contracts/Agreements.sol",
        "uint256(_ledgers[id].credited) * current.shareBps / _BPS;",
        "uint256(_ledgers[id].credited) * (current.shareBps + 1) / _BPS;",
    ),
    Mutant(
        "an amendment drops the old period's dust",
        "contracts/Agreements.sol",
        "ledger.credited = uint128(credited - assigned);",
        "ledger.credited = 0;",
    ),
    Mutant(
        "releasing held deposits keeps them held too",
        "contracts/Agreements.sol",
        "            _held[id] = 0;",
        "            _held[id] = _held[id];",
    ),
    Mutant(
        "a held deposit is not counted",
        "contracts/Agreements.sol",
        "            _held[id] += amount;",
        "            _held[id] += 0;",
    ),
    Mutant(
        "a terminated agreement can be disputed again",
        "contracts/Agreements.sol",
        "if (core.status != Status.Active) revert AgreementWrongStatus(id, statusOf(id));",
        "if (core.status == Status.None) revert AgreementWrongStatus(id, statusOf(id));",
    ),
    Mutant(
        "a claimed reward stays claimable",
        "contracts/ReferralRewards.sol",
        "        entry.status = ReferralStatus.Claimed;",
        "        entry.status = ReferralStatus.Confirmed;",
    ),
    Mutant(
        "a confirmation reserves nothing from the budget",
        "contracts/ReferralRewards.sol",
        "budget.unreserved = uint128(figures.unreserved - reward);",
        "budget.unreserved = uint128(figures.unreserved);",
    ),
    Mutant(
        "a reclaimed budget can be reclaimed again",
        "contracts/ReferralRewards.sol",
        "        budget.unreserved = 0;",
        "        budget.unreserved = uint128(amount);",
    ),
    Mutant(
        "the per-referrer cap ignores the new reward",
        "contracts/ReferralRewards.sol",
        "if (earnedSoFar + reward > cap)",
        "if (earnedSoFar > cap)",
    ),
    Mutant(
        "the reward cap is not applied",
        "contracts/ReferralRewards.sol",
        "        if (reward > cap) reward = cap;",
        "        if (reward > cap + cap) reward = cap;",
    ),
    Mutant(
        "a party may rate itself",
        "contracts/PartnerRatings.sol",
        "if (rater == ratee) revert RatingSelfRating(rater);",
        "if (rater == ratee && score == 0) revert RatingSelfRating(rater);",
    ),
    Mutant(
        "rating opens when the agreement starts, not a while after",
        "contracts/PartnerRatings.sol",
        "if (block.timestamp < opensAt) revert RatingTooEarly(agreementId, opensAt);",
        "if (block.timestamp < startTime) revert RatingTooEarly(agreementId, opensAt);",
    ),
    Mutant(
        "a signed rating does not use up its nonce",
        "contracts/PartnerRatings.sol",
        "_useCheckedNonce(rating.rater, rating.nonce);",
        "if (rating.nonce != nonces(rating.rater)) revert InvalidAccountNonce(rating.rater, rating.nonce);",
    ),
    Mutant(
        "a suspension does not lower the active count",
        "contracts/Consortium.sol",
        "            _setStatus(_states[subject], MemberStatus.Suspended);\n            _activeCount -= 1;",
        "            _setStatus(_states[subject], MemberStatus.Suspended);",
    ),
)


@dataclass(frozen=True)
class InvariantResult:
    """One invariant's campaign: whether it held, the runs, calls and reverts forge made for it, and the
    calls and reverts per action of the handler."""

    name: str
    passed: bool
    runs: int
    calls: int
    reverts: int
    reason: str
    actions: dict[str, tuple[int, int]]


def forge_binary(project: Path = PROJECT) -> Path:
    """forge from node_modules (npm ``@foundry-rs/forge``), or a clear error saying how to install it."""
    forge = project / "node_modules" / ".bin" / "forge"
    if not forge.exists():
        raise SystemExit(f"{forge} is missing: run `make setup` (it installs @foundry-rs/forge from npm)")
    return forge


def solc_bridge(project: Path = PROJECT) -> Path:
    """The offline solc bridge ``make setup`` installs, for the version brownie-config.yaml pins."""
    text = (project / "brownie-config.yaml").read_text()
    found = re.search(r"^\s*version:\s*([0-9.]+)\s*$", text, re.MULTILINE)
    if found is None:
        raise SystemExit("brownie-config.yaml names no compiler version (compiler.solc.version)")
    bridge = project / ".solcx" / f"solc-v{found.group(1)}"
    if not bridge.exists():
        raise SystemExit(f"{bridge} is missing: run `make setup` (it installs the offline solc bridge)")
    return bridge


def run_campaign(
    root: Path, runs: int, depth: int, seed: int | None, quiet: bool = False
) -> list[InvariantResult]:
    """Run every invariant of the campaign in ``root`` (the project, or a mutant's copy of it)."""
    command = [
        str(forge_binary()),
        "test",
        "--root",
        str(root),
        "--use",
        str(solc_bridge()),
        "--offline",
        "--json",
    ]
    if seed is not None:
        command += ["--fuzz-seed", str(seed)]
    environment = {
        **os.environ,
        # forge 1.7 ignores --config-path for `test`; FOUNDRY_CONFIG is honoured
        "FOUNDRY_CONFIG": str(root / CONFIG),
        "FOUNDRY_INVARIANT_RUNS": str(runs),
        "FOUNDRY_INVARIANT_DEPTH": str(depth),
        "NO_COLOR": "1",
    }
    finished = subprocess.run(command, cwd=root, env=environment, capture_output=True, text=True, check=False)
    results = _parse(finished.stdout)
    if not results:
        sys.stderr.write(finished.stdout[-4000:] + finished.stderr[-4000:])
        raise SystemExit(f"forge ran no invariant (exit {finished.returncode}); its output is above")
    if not quiet:
        for result in results:
            if not result.passed:
                sys.stderr.write(f"\n{result.name} broke:\n{result.reason}\n")
    return results


def _parse(stdout: str) -> list[InvariantResult]:
    """The invariants' results in forge's ``--json`` report (one JSON object per test file)."""
    start = stdout.find("{")
    if start < 0:
        return []
    report: dict[str, Any] = json.loads(stdout[start:])
    results = []
    for suite in report.values():
        for signature, outcome in suite.get("test_results", {}).items():
            if not signature.startswith("invariant_"):
                continue
            kind = outcome.get("kind", {}).get("Invariant", {})
            actions = {
                selector.rsplit(".", 1)[-1]: (int(figures["calls"]), int(figures["reverts"]))
                for selector, figures in (kind.get("metrics") or {}).items()
            }
            results.append(
                InvariantResult(
                    name=signature.removesuffix("()"),
                    passed=outcome.get("status") == "Success",
                    runs=int(kind.get("runs", 0)),
                    calls=int(kind.get("calls", 0)),
                    reverts=int(kind.get("reverts", 0)),
                    reason=str(outcome.get("reason") or outcome.get("counterexample") or ""),
                    actions=actions,
                )
            )
    return sorted(results, key=lambda result: result.name)


def campaign(runs: int, depth: int, seed: int | None) -> int:
    """The ``campaign`` command: run, print the table, exit 1 if an invariant broke."""
    print(
        f"invariant campaign: {runs} runs x {depth} calls per invariant (forge, tests/invariant)", flush=True
    )
    started = time.monotonic()
    results = run_campaign(PROJECT, runs, depth, seed)
    width = max(len(result.name) for result in results)
    print(f"{'invariant':<{width}}  {'held':<5} {'runs':>7} {'calls':>11} {'reverts':>10}")
    for result in results:
        held = "yes" if result.passed else "NO"
        print(
            f"{result.name:<{width}}  {held:<5} {result.runs:>7,} {result.calls:>11,} {result.reverts:>10,}"
        )
    total = sum(result.calls for result in results)
    seconds = time.monotonic() - started
    _print_actions(results)
    print(
        f"{len(results)} invariants, {total:,} calls in all, fewest {min(r.calls for r in results):,} per "
        f"invariant ({seconds:.0f} s)"
    )
    return 0 if all(result.passed for result in results) else 1


def _print_actions(results: list[InvariantResult]) -> None:
    """Each action's calls over every invariant's campaign, and the share the contracts accepted (the rest
    reverted: a rule refused it, or the handler found nothing it could act on)."""
    totals: dict[str, list[int]] = {}
    for result in results:
        for action, (calls, reverts) in result.actions.items():
            total = totals.setdefault(action, [0, 0])
            total[0] += calls
            total[1] += reverts
    if not totals:
        return
    print(
        "actions (over every invariant):  "
        + ", ".join(
            f"{action} {calls:,} ({(calls - reverts) / calls:.0%} accepted)"
            for action, (calls, reverts) in sorted(totals.items())
            if calls
        )
    )


def _mutant_copy(mutant: Mutant, folder: Path) -> Path:
    """A copy of the project's contracts and campaign in ``folder`` with ``mutant`` planted."""
    for part in ("contracts", "tests/invariant"):
        shutil.copytree(PROJECT / part, folder / part)
    (folder / "node_modules").symlink_to(PROJECT / "node_modules")
    target = folder / mutant.path
    source = target.read_text()
    if source.count(mutant.original) != 1:
        raise SystemExit(f"mutant '{mutant.name}': its line is not once in {mutant.path}; update MUTANTS")
    target.write_text(source.replace(mutant.original, mutant.mutated))
    return folder


def mutants(runs: int, depth: int, seed: int | None) -> int:
    """The ``mutants`` command: plant each bug, run the campaign, print which invariants caught it."""
    print(
        f"planted mutants: {len(MUTANTS)}, each against a campaign of {runs} runs x {depth} calls", flush=True
    )
    survived = []
    for number, mutant in enumerate(MUTANTS, 1):
        with tempfile.TemporaryDirectory(prefix="coopledger-mutant-") as scratch:
            results = run_campaign(_mutant_copy(mutant, Path(scratch)), runs, depth, seed, quiet=True)
        broken = [result.name for result in results if not result.passed]
        verdict = f"caught by {', '.join(broken)}" if broken else "SURVIVED"
        print(f"  {number:>2}. {mutant.name}: {verdict}", flush=True)
        if not broken:
            survived.append(mutant.name)
    caught = len(MUTANTS) - len(survived)
    print(f"mutants caught: {caught} of {len(MUTANTS)}")
    return 0 if not survived else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("campaign", "mutants"))
    parser.add_argument("--runs", type=int, default=250, help="runs per invariant (each a fresh sequence)")
    parser.add_argument("--depth", type=int, default=100, help="calls per run")
    parser.add_argument("--seed", type=int, default=None, help="fix forge's fuzz seed (default: random)")
    options = parser.parse_args(argv)
    if options.runs < 1 or options.depth < 1:
        parser.error("--runs and --depth must be at least 1")
    command = campaign if options.command == "campaign" else mutants
    return command(options.runs, options.depth, options.seed)


if __name__ == "__main__":
    sys.exit(main())
