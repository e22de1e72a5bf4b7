"""The deployment manifest: which contracts live where on a chain, from which block, with which ABI.

The deploy script (``scripts/deploy.py``) writes one manifest per chain, ``deployments/<chain_id>.json``;
the indexer and the command line read it. It is the only thing the runtime needs from the build.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ledger.exceptions import ManifestError
from ledger.protocol.facts import TypedField, enum_label, load_artifacts, read_facts

__all__ = [
    "DEFAULT_DEPLOYMENTS_DIR",
    "ContractDeployment",
    "DeploymentManifest",
    "load_manifest",
    "manifest_path",
    "write_manifest",
]

DEFAULT_DEPLOYMENTS_DIR = Path("deployments")


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
    events: dict[str, str] = Field(default_factory=dict, description="each event's NatSpec notice, by name")
    enums: dict[str, list[str]] = Field(
        default_factory=dict, description="each enum's member names in order, by enum name (e.g. Status)"
    )
    structs: dict[str, list[str]] = Field(
        default_factory=dict, description="each struct's field names in order, by struct name"
    )
    typed_data: dict[str, list[TypedField]] = Field(
        default_factory=dict, description="each EIP-712 type the contract verifies, by primary type"
    )
    eip712_domain: dict[str, str] | None = Field(
        default=None, description="the EIP-712 domain's name and version, if the contract verifies signatures"
    )

    @classmethod
    def from_build(
        cls,
        name: str,
        address: str,
        block: int,
        tx_hash: str,
        build_dir: Path,
        abi: list[dict[str, Any]] | None = None,
    ) -> ContractDeployment:
        """The record of contract ``name`` deployed at ``address``, its facts read from the compiler's output
        in ``build_dir`` (Brownie's ``build/contracts``; see :mod:`ledger.protocol.facts`); ``abi`` as the
        deploy tool holds it (default: the compiler's, from the build)."""
        facts = read_facts(load_artifacts(build_dir, name))
        if abi is None:
            abi = json.loads((build_dir / f"{name}.json").read_text(encoding="utf-8"))["abi"]
        return cls(
            address=address,
            block=block,
            tx_hash=tx_hash,
            abi=abi,
            errors={error: item.notice for error, item in facts.errors.items() if item.notice},
            events={event: item.notice for event, item in facts.events.items() if item.notice},
            enums=facts.enums,
            structs=facts.structs,
            typed_data=facts.typed_data,
            eip712_domain=facts.domain,
        )

    def enum_labels(self, enum: str) -> list[str]:
        """The members of ``enum`` in their one spelling outside Solidity (:func:`enum_label`), in order.

        Raises
        ------
        ManifestError
            If the contract has no such enum (a manifest written before facts were recorded).
        """
        if enum not in self.enums:
            raise ManifestError(
                f"The manifest does not describe enum {enum}; deploy again to write a current manifest."
            )
        return [enum_label(member) for member in self.enums[enum]]

    def named(self, function: str, values: Any) -> dict[str, Any]:
        """What ``function`` returned (a tuple, as web3 gives a struct), by the ABI's output names, each enum
        value as its label (:meth:`enum_labels`).

        A single struct output is unpacked into its fields; nested structs stay tuples.

        Raises
        ------
        ManifestError
            If the ABI has no such function.
        """
        for item in self.abi:
            if item.get("type") == "function" and item.get("name") == function:
                outputs = item["outputs"]
                if len(outputs) == 1 and outputs[0].get("components"):
                    outputs = outputs[0]["components"]
                elif len(outputs) == 1:
                    values = (values,)
                pairs = zip(outputs, values, strict=True)
                return {output["name"]: self.shown(output, value) for output, value in pairs}
        raise ManifestError(f"The manifest's ABI has no function {function}; deploy again.")

    def shown(self, parameter: dict[str, Any], value: Any) -> Any:
        """A decoded value of ABI ``parameter`` as a person reads it: an enum by its label, bytes as ``0x``
        hex, an address checksummed; anything else as it is."""
        internal = str(parameter.get("internalType", ""))
        if internal.startswith("enum "):
            enum = internal.rsplit(".", 1)[-1]
            labels = self.enum_labels(enum) if enum in self.enums else []
            return labels[value] if isinstance(value, int) and 0 <= value < len(labels) else value
        if isinstance(value, bytes):
            return "0x" + value.hex()
        if parameter.get("type") == "address":
            return to_checksum_address(value)
        return value


class DeploymentManifest(BaseModel):
    """Every coopledger contract deployed on one chain."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chain_id: int = Field(gt=0)
    network: str = Field(min_length=1, description="the name the deployment was made under (its plan's)")
    deployed_at: datetime
    deployer: str | None = Field(default=None, description="the account that deployed the contracts")
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


def manifest_path(chain_id: int, deployments_dir: Path = DEFAULT_DEPLOYMENTS_DIR) -> Path:
    """Where the manifest of chain ``chain_id`` lives."""
    return deployments_dir / f"{chain_id}.json"


def write_manifest(
    chain_id: int,
    network: str,
    contracts: dict[str, ContractDeployment],
    deployments_dir: Path = DEFAULT_DEPLOYMENTS_DIR,
    deployer: str | None = None,
) -> Path:
    """Write the manifest of ``chain_id`` atomically (a reader never sees half a file) and return its path."""
    manifest = DeploymentManifest(
        chain_id=chain_id,
        network=network,
        deployed_at=datetime.now(UTC),
        deployer=deployer,
        contracts=contracts,
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
    fix = (
        "Deploy to write one: `make demo` on a development chain, `coopledger deploy --plan FILE --keystore "
        "FILE` on any chain."
    )
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
