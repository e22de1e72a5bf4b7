"""Write the Solidity Standard JSON input that `make slither` hands to Slither.

Slither's Brownie integration cannot resolve OpenZeppelin's re-exported interfaces from Brownie's build
folder ("node_modules/@openzeppelin/contracts/interfaces/IERC20.sol does not exist"), and its plain-solc mode
speaks the legacy command line our offline solc bridge does not. Standard JSON works with both, so this
script builds it from the project's own contracts (test mocks excluded) and the compiler settings in
brownie-config.yaml, so Slither analyses exactly what Brownie compiles.

    python scripts/toolchain/slither_input.py build/slither-input.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

PROJECT = Path(__file__).resolve().parents[2]


def standard_json_input() -> dict[str, Any]:
    """Standard JSON input for every contract under contracts/ except contracts/test/."""
    config = yaml.safe_load((PROJECT / "brownie-config.yaml").read_text())["compiler"]
    solc = config["solc"]
    remappings = [mapping.replace("=", "/=", 1) + "/" for mapping in solc.get("remappings") or []]
    sources = {
        path.relative_to(PROJECT).as_posix(): {"content": path.read_text()}
        for path in sorted((PROJECT / "contracts").rglob("*.sol"))
        if "test" not in path.relative_to(PROJECT / "contracts").parts[:-1]
    }
    return {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "remappings": remappings,
            "evmVersion": config["evm_version"],
            "optimizer": {"enabled": solc["optimizer"]["enabled"], "runs": solc["optimizer"]["runs"]},
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode", "evm.deployedBytecode"], "": ["ast"]}},
        },
    }


def main() -> None:
    """Write the input to the path given as the only argument."""
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUTPUT.json")
    target = Path(sys.argv[1])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(standard_json_input()))


if __name__ == "__main__":
    main()
