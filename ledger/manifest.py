"""The deployment manifest: which contracts live where on a chain, from which block, with which ABI.

The deploy script (``scripts/deploy.py``) writes one manifest per chain, ``deployments/<chain_id>.json``;
the indexer and the command line read it. It is the only thing the runtime needs from the build.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ledger.exceptions import ManifestError

__all__ = [
    "DEFAULT_DEPLOYMENTS_DIR",
    "ContractDeployment",
    "DeploymentManifest",
    "enum_members",
    "error_texts",
    "load_manifest",
    "manifest_path",
    "write_manifest",
]

DEFAULT_DEPLOYMENTS_DIR = Path("deployments")
_ENUM = re.compile(r"\benum\s+(\w+)\s*\{([^}]*)\}")
_DOCUMENTED_ERROR = re.compile(r"((?:[ \t]*///[^\n]*\n)+)[ \t]*error\s+(\w+)\s*\(")


class ContractDeployment(BaseModel):
    """One deployed contract."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="checksummed contract address")
    block: int = Field(ge=0, description="number of the block that holds the deployment transaction")
    tx_hash: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="hash of the deployment transaction")
    abi: list[dict[str, Any]] = Field(description="the contract's ABI, as the compiler produced it")
    errors: dict[str, str] = Field(
        default_factory=dict,
        description="each custom error's NatSpec notice, by error name, e.g. "
        "'AgreementNotParty': '`account` is not a party to agreement `id`.'",
    )
    enums: dict[str, list[str]] = Field(
        default_factory=dict, description="each enum's member names in order, by enum name (e.g. Status)"
    )


class DeploymentManifest(BaseModel):
    """Every coopledger contract deployed on one chain."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chain_id: int = Field(gt=0)
    network: str = Field(min_length=1, description="Brownie network id the deployment was made on")
    deployed_at: datetime
    contracts: dict[str, ContractDeployment]

    @field_validator("contracts")
    @classmethod
    def _not_empty(cls, value: dict[str, ContractDeployment]) -> dict[str, ContractDeployment]:
        if not value:
            raise ValueError("a manifest lists at least one contract")
        return value

    @property
    def start_block(self) -> int:
        """The lowest deployment block: where indexing starts."""
        return min(contract.block for contract in self.contracts.values())


def error_texts(sources: Iterable[str]) -> dict[str, str]:
    """Each custom error's ``@notice`` from Solidity ``sources``, by error name, in one line: what the command
    line shows when a call would revert (the ABI has the errors' arguments but not their documentation)."""
    texts: dict[str, str] = {}
    for source in sources:
        for match in _DOCUMENTED_ERROR.finditer(source):
            lines = [line.strip().removeprefix("///").strip() for line in match.group(1).splitlines()]
            doc = " ".join(line for line in lines if line)
            notice = re.search(r"@notice\s+(.*?)(?=\s@\w+|$)", doc)
            if notice:
                texts[match.group(2)] = notice.group(1).strip()
    return texts


def enum_members(sources: Iterable[str]) -> dict[str, list[str]]:
    """Each enum's member names in declaration order, by enum name, from Solidity ``sources`` (the ABI gives
    enums as ``uint8``; the command line shows their names)."""
    found: dict[str, list[str]] = {}
    for source in sources:
        for match in _ENUM.finditer(source):
            body = re.sub(r"//[^\n]*", "", match.group(2))
            found[match.group(1)] = [name.strip() for name in body.split(",") if name.strip()]
    return found


def manifest_path(chain_id: int, deployments_dir: Path = DEFAULT_DEPLOYMENTS_DIR) -> Path:
    """Where the manifest of chain ``chain_id`` lives."""
    return deployments_dir / f"{chain_id}.json"


def write_manifest(
    chain_id: int,
    network: str,
    contracts: dict[str, ContractDeployment],
    deployments_dir: Path = DEFAULT_DEPLOYMENTS_DIR,
) -> Path:
    """Write the manifest of ``chain_id`` atomically (a reader never sees half a file) and return its path."""
    manifest = DeploymentManifest(
        chain_id=chain_id, network=network, deployed_at=datetime.now(UTC), contracts=contracts
    )
    path = manifest_path(chain_id, deployments_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as handle:
        handle.write(manifest.model_dump_json(indent=2))
        handle.write("\n")
        temporary = Path(handle.name)
    os.replace(temporary, path)
    return path


def load_manifest(path: Path) -> DeploymentManifest:
    """Read and validate a manifest.

    Raises
    ------
    ManifestError
        If the file does not exist, is not JSON, or does not describe a deployment; the message names the
        file, what was wrong, and how to make a new one.
    """
    fix = "Deploy with `make demo` (or `brownie run scripts/deploy.py --network <network>`) to write one."
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"No deployment manifest at {path}. {fix}") from None
    except OSError as exc:
        raise ManifestError(f"Cannot read the deployment manifest {path}: {exc.strerror}.") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ManifestError(
            f"The deployment manifest {path} is not valid JSON (line {exc.lineno}: {exc.msg}). {fix}"
        ) from None
    try:
        return DeploymentManifest.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'manifest'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ManifestError(f"The deployment manifest {path} is malformed ({problems}). {fix}") from None
