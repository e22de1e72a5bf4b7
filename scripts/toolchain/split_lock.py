"""Write the two lock files from the environment coopledger was installed in (``pip install -e '.[dev]'``).

    python scripts/toolchain/split_lock.py [--project coopledger]

- ``requirements.lock``: every distribution the runtime needs — the closure of coopledger's own
  requirements (no extras), at the versions installed here, so ``pip install -c requirements.lock coopledger``
  (or ``pip install -r requirements.lock``) gets exactly what was tested.
- ``requirements-dev.lock``: ``-r requirements.lock`` and every other installed distribution (the build,
  test and benchmark tools).

Both come from one resolution, so they never disagree on a version.
"""

from __future__ import annotations

import argparse
from importlib.metadata import Distribution, distribution, distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

PROJECT = Path(__file__).resolve().parents[2]
HEADER = "# Written by `make lock` (scripts/toolchain/split_lock.py); do not edit by hand.\n"


def runtime_closure(project: str) -> dict[NormalizedName, Distribution]:
    """The installed distributions ``project`` needs at run time, by canonical name (itself excluded)."""
    installed = {canonicalize_name(item.metadata["Name"]): item for item in distributions()}
    needed: dict[NormalizedName, Distribution] = {}
    pending = [(distribution(project), frozenset[str]())]
    while pending:
        current, extras = pending.pop()
        for text in current.requires or ():
            requirement = Requirement(text)
            environment = {"extra": ""} if not extras else {"extra": next(iter(extras))}
            if requirement.marker is not None and not requirement.marker.evaluate(environment):
                continue
            name = canonicalize_name(requirement.name)
            if name in needed or name not in installed:
                continue
            needed[name] = installed[name]
            pending.append((installed[name], frozenset(requirement.extras)))
    return needed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", default="coopledger")
    options = parser.parse_args()
    own = canonicalize_name(options.project)
    runtime = runtime_closure(options.project)
    everything = {
        canonicalize_name(item.metadata["Name"]): item
        for item in distributions()
        if canonicalize_name(item.metadata["Name"]) not in {own, "pip", "setuptools", "wheel"}
    }

    def pins(selected: dict[NormalizedName, Distribution]) -> str:
        return "".join(f"{item.metadata['Name']}=={item.version}\n" for _, item in sorted(selected.items()))

    (PROJECT / "requirements.lock").write_text(HEADER + pins(runtime))
    rest = {name: item for name, item in everything.items() if name not in runtime}
    (PROJECT / "requirements-dev.lock").write_text(HEADER + "-r requirements.lock\n" + pins(rest))
    print(f"requirements.lock: {len(runtime)} runtime pins; requirements-dev.lock: {len(rest)} more")


if __name__ == "__main__":
    main()
