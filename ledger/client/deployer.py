"""Deploying coopledger's contracts to any EVM chain, from a deployment plan, signed by the operator's wallet.

A plan (a TOML file, :class:`DeploymentPlan`) names the network, the chain it is for, the founders, the
quorum, the voting period and the ERC-20s the consortium accepts from the start. :func:`deploy` checks that
the node is that chain, deploys ``Consortium``, ``Agreements``, ``ReferralRewards`` and ``PartnerRatings``
from the compiler's output (each transaction estimated first, so a constructor that would revert stops before
anything is sent; fees as the node asks, EIP-1559 on a chain with a base fee), and writes the manifest the
indexer, the command line and the API read (``deployments/<chain_id>.json``: chain id, network, deployer,
each contract's address, block and transaction).

Example plan::

    [deploy]
    network = "harbour-coop"      # a name for this deployment, shown by `coopledger deployment`
    chain_id = 1337               # the chain it is for; any other chain is refused
    quorum_bps = 5001             # approvals a vote needs, in basis points of the electorate (> 5 000)
    voting_period = 604800        # seconds a proposal stays open
    assets = ["0x…"]              # ERC-20s accepted from the start (the native coin always is)

    [[deploy.founders]]
    address = "0x…"
    name = "Crumb & Co Bakery"
    sector = "bakery"
    region = "north"
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hexbytes import HexBytes
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, TimeExhausted, Web3RPCError

from ledger.client.wallet import Wallet
from ledger.exceptions import ChainError, CoopLedgerError
from ledger.protocol.addresses import parse_address
from ledger.protocol.codes import encode_code
from ledger.protocol.manifest import DEFAULT_DEPLOYMENTS_DIR, ContractDeployment, write_manifest
from ledger.settings import read_toml_table

__all__ = ["DeploymentPlan", "Founder", "PlanError", "deploy", "deploy_contract", "load_plan"]

#: The contracts a deployment makes, in order, and the earlier ones each one's constructor takes after its
#: own settings (the Consortium's are the plan's).
CONTRACTS: dict[str, tuple[str, ...]] = {
    "Consortium": (),
    "Agreements": ("Consortium",),
    "ReferralRewards": ("Consortium",),
    "PartnerRatings": ("Consortium", "Agreements"),
}


class PlanError(CoopLedgerError):
    """The deployment plan is missing, unreadable or invalid; the message names the entry."""


class Founder(BaseModel):
    """A founding member: active from the deployment's block."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str
    name: str = Field(min_length=1, description="display name")
    sector: str = Field(min_length=1, max_length=32, description="sector code, e.g. bakery")
    region: str = Field(min_length=1, max_length=32, description="region code, e.g. north")

    @field_validator("address")
    @classmethod
    def _checksummed(cls, value: str) -> str:
        return parse_address(value)

    def profile(self) -> tuple[str, str, bytes, bytes]:
        """The ``Consortium.Profile`` tuple."""
        return (self.address, self.name, encode_code(self.sector), encode_code(self.region))


class DeploymentPlan(BaseModel):
    """What to deploy: the ``[deploy]`` table of a plan file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    network: str = Field(min_length=1, description="a name for this deployment, recorded in the manifest")
    chain_id: int | None = Field(default=None, gt=0, description="the chain the plan is for (None: any)")
    quorum_bps: int = Field(default=5_001, gt=5_000, le=10_000, description="approvals a vote needs (bps)")
    voting_period: int = Field(default=7 * 24 * 3600, gt=0, description="seconds a proposal stays open")
    founders: list[Founder] = Field(min_length=1)
    assets: list[str] = Field(default_factory=list, description="ERC-20s accepted from the start")

    @field_validator("assets")
    @classmethod
    def _assets_checksummed(cls, value: list[str]) -> list[str]:
        return [parse_address(item) for item in value]


def load_plan(path: Path) -> DeploymentPlan:
    """Read the ``[deploy]`` table of the TOML file at ``path``.

    Raises
    ------
    PlanError
        If the file cannot be read or parsed, or an entry is missing or invalid (named in the message).
    """
    table = read_toml_table(path, "deploy", "deployment plan", PlanError)
    try:
        return DeploymentPlan.model_validate(table)
    except ValidationError as exc:
        problems = [
            f"deploy.{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
        ]
        raise PlanError(f"The deployment plan {path} is invalid:\n  " + "\n  ".join(problems)) from None


def deploy_contract(
    w3: Web3, wallet: Wallet, name: str, build_dir: Path, *args: Any, timeout: float = 300
) -> ContractDeployment:
    """Deploy contract ``name`` from the compiler's output in ``build_dir``, signed by ``wallet``; its
    manifest record. The transaction is estimated first: a constructor that would revert sends nothing.

    Raises
    ------
    CoopLedgerError
        If the contract is not compiled, the constructor would revert, or the node refuses the transaction
        or does not mine it within ``timeout`` seconds.
    """
    artifact = _artifact(build_dir, name)
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    sender = Web3.to_checksum_address(wallet.address)
    try:
        transaction = factory.constructor(*args).build_transaction(
            {
                "from": sender,
                "nonce": w3.eth.get_transaction_count(sender, "pending"),
                "chainId": w3.eth.chain_id,
            }
        )
        tx_hash = w3.eth.send_raw_transaction(wallet.sign_transaction(dict(transaction)))
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout, poll_latency=0.1)
    except (ContractCustomError, ContractLogicError) as exc:
        raise CoopLedgerError(f"Deploying {name} would revert ({exc}); nothing was sent.") from None
    except Web3RPCError as exc:
        raise ChainError(f"The node refused to deploy {name}: {exc.message}") from None
    except TimeExhausted:
        raise ChainError(f"Deploying {name} was sent but not mined within {timeout:g} s.") from None
    address = receipt["contractAddress"]
    if receipt["status"] != 1 or address is None:
        raise ChainError(f"Deploying {name} reverted on chain in block {receipt['blockNumber']}.")
    return ContractDeployment.from_build(
        name,
        str(address),
        int(receipt["blockNumber"]),
        HexBytes(receipt["transactionHash"]).to_0x_hex(),
        build_dir,
    )


def deploy(
    w3: Web3,
    wallet: Wallet,
    plan: DeploymentPlan,
    build_dir: Path,
    deployments_dir: Path = DEFAULT_DEPLOYMENTS_DIR,
    also_recorded: dict[str, ContractDeployment] | None = None,
    report: Callable[[str, ContractDeployment], None] = lambda _name, _record: None,
) -> Path:
    """Deploy the contracts of ``plan`` and write the manifest; its path. ``also_recorded`` are contracts
    deployed before (a development chain's mock token) that the manifest lists too; ``report`` is told of
    each contract as it is deployed.

    Raises
    ------
    CoopLedgerError
        If the node is not the plan's chain, a contract is not compiled, or a deployment fails (the ones
        deployed before it stay on chain; the manifest is written only when all are).
    """
    chain_id = w3.eth.chain_id
    if plan.chain_id is not None and plan.chain_id != chain_id:
        raise CoopLedgerError(
            f"The plan is for chain {plan.chain_id}, but the node is chain {chain_id}: check --rpc-url, or "
            "the plan's chain_id."
        )
    for name in CONTRACTS:
        _artifact(build_dir, name)  # every one compiled before the first is sent
    records = dict(also_recorded or {})
    founders = [founder.profile() for founder in plan.founders]
    consortium = deploy_contract(
        w3, wallet, "Consortium", build_dir, founders, plan.assets, plan.quorum_bps, plan.voting_period
    )
    report("Consortium", consortium)
    records["Consortium"] = consortium
    for name, needs in list(CONTRACTS.items())[1:]:
        addresses = [records[need].address for need in needs]
        records[name] = deploy_contract(w3, wallet, name, build_dir, *addresses)
        report(name, records[name])
    return write_manifest(chain_id, plan.network, records, deployments_dir, deployer=wallet.address)


def _artifact(build_dir: Path, name: str) -> dict[str, Any]:
    path = build_dir / f"{name}.json"
    try:
        artifact: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise CoopLedgerError(
            f"{name} is not compiled ({path} is missing): run `make compile` in the project, or give "
            "--build-dir."
        ) from None
    return artifact
