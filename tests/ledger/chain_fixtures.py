"""A real anvil for the ledger tests, and the project's contracts deployed on it with web3 (not Brownie).

The contracts come from Brownie's build folder (``make test`` compiles before it runs these tests).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import HTTPProvider, Web3
from web3.logs import DISCARD

from ledger.codes import encode_code
from ledger.eip712 import conversion_voucher, sign_typed_data, split_signature
from ledger.manifest import ContractDeployment, enum_members, error_texts, write_manifest
from ledger.referrals import make_commitment

PROJECT = Path(__file__).resolve().parents[2]
BUILD = PROJECT / "build" / "contracts"
# anvil's native binary, from its platform package (installed by npm next to the `anvil` package). Not npm's
# `.bin/anvil`: that is a Node wrapper which, on SIGTERM, passes the signal on and exits at once, while the
# node is still writing its state and holding its port — waiting on the wrapper would not wait for the node.
ANVIL_PACKAGES = PROJECT / "node_modules" / "@foundry-rs"
YEAR = 365 * 24 * 3600


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Anvil:
    """A running anvil process and a web3 connected to it."""

    process: subprocess.Popen[bytes]
    url: str
    w3: Web3

    def stop(self, timeout: float = 120) -> None:
        """Stop the node and return once it is gone (with ``--state`` or ``--dump-state``: once it has written
        its chain, hundreds of MB for the benchmark's)."""
        self.process.terminate()
        self.process.wait(timeout=timeout)


def anvil_binary() -> Path:
    """The path of anvil's native binary (see :data:`ANVIL_PACKAGES`)."""
    found = sorted(ANVIL_PACKAGES.glob("anvil-*/bin/anvil"))
    if not found:
        raise RuntimeError(f"anvil is not installed under {ANVIL_PACKAGES}: run `make setup`")
    return found[0]


def start_anvil(
    port: int | None = None, state: Path | None = None, *extra: str, gas_limit: int = 30_000_000
) -> Anvil:
    """Start anvil on ``port`` (a free one by default); with ``state``, load the chain from that file if it
    exists and save it there when stopped (so a stopped node can come back with its chain). ``extra`` are
    more anvil options."""
    port = port or free_port()
    command = [
        str(anvil_binary()),
        "--port",
        str(port),
        "--base-fee",
        "0",
        "--gas-limit",
        str(gas_limit),
        "--silent",
    ]
    if state is not None:
        command += ["--state", str(state)]
    command += extra
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    w3 = Web3(HTTPProvider(url))
    deadline = time.monotonic() + 120
    while not w3.is_connected():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"anvil did not start on {url}")
        time.sleep(0.1)
    return Anvil(process, url, w3)


def _artifact(name: str) -> dict[str, Any]:
    path = BUILD / f"{name}.json"
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `make compile` (make test does) before these tests")
    artifact: dict[str, Any] = json.loads(path.read_text())
    return artifact


def _sources(artifact: dict[str, Any]) -> list[str]:
    """The project's Solidity sources an artifact was compiled from."""
    paths = artifact.get("allSourcePaths", {}).values()
    return [(PROJECT / path).read_text(encoding="utf-8") for path in paths if path.startswith("contracts/")]


@dataclass
class Deployment:
    """The contracts deployed on an anvil, with the manifest that describes them."""

    w3: Web3
    contracts: dict[str, Any]
    manifest_path: Path

    @property
    def accounts(self) -> list[str]:
        return list(self.w3.eth.accounts)

    def transact(self, contract: str, function: str, *args: Any, sender: int = 0, value: int = 0) -> Any:
        call = getattr(self.contracts[contract].functions, function)(*args)
        tx_hash = call.transact({"from": self.accounts[sender], "value": value, "gasPrice": 0})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise RuntimeError(f"{contract}.{function} reverted")
        return receipt


def deploy(w3: Web3, directory: Path, founders: int = 6) -> Deployment:
    """Deploy Consortium, Agreements, ReferralRewards and mock cUSD; write the manifest into ``directory``."""
    accounts = list(w3.eth.accounts)
    deployer = accounts[0]
    records: dict[str, ContractDeployment] = {}
    contracts: dict[str, Any] = {}

    def deploy_one(name: str, *args: Any) -> Any:
        artifact = _artifact(name)
        factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        tx_hash = factory.constructor(*args).transact({"from": deployer, "gasPrice": 0})
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
        address = receipt["contractAddress"]
        if address is None:
            raise RuntimeError(f"deploying {name} created no contract")
        records[name] = ContractDeployment(
            address=address,
            block=receipt["blockNumber"],
            tx_hash="0x" + bytes(tx_hash).hex(),
            abi=artifact["abi"],
            errors=error_texts(_sources(artifact)),
            enums=enum_members(_sources(artifact)),
        )
        contracts[name] = w3.eth.contract(address=address, abi=artifact["abi"])
        return contracts[name]

    profiles = [
        (
            accounts[i],
            f"Member {i}",
            encode_code(["bakery", "coffee", "delivery"][i % 3]),
            encode_code("north"),
        )
        for i in range(founders)
    ]
    consortium = deploy_one("Consortium", profiles, 5_000, 7 * 24 * 3600)
    deploy_one("Agreements", consortium.address)
    deploy_one("ReferralRewards", consortium.address)
    deploy_one("MockERC20", "Coop Dollar", "cUSD")
    write_manifest(w3.eth.chain_id, "development", records, deployments_dir=directory)
    return Deployment(w3, contracts, directory / f"{w3.eth.chain_id}.json")


def make_activity(deployment: Deployment, rounds: int = 3, tag: str = "a") -> None:
    """Real consortium activity: agreements proposed, signed, paid into and withdrawn; referrals claimed."""
    w3, accounts = deployment.w3, deployment.accounts
    token = deployment.contracts["MockERC20"]
    agreements = deployment.contracts["Agreements"]
    referrals = deployment.contracts["ReferralRewards"]
    deployment.transact("MockERC20", "mint", accounts[9], 10**30, sender=9)
    deployment.transact("MockERC20", "approve", agreements.address, 2**256 - 1, sender=9)
    deployment.transact("MockERC20", "mint", accounts[0], 10**30)
    deployment.transact("MockERC20", "approve", referrals.address, 2**256 - 1)
    now = w3.eth.get_block("latest")["timestamp"]
    for round_no in range(rounds):
        parties = [accounts[round_no % 3], accounts[3], accounts[4]]
        proposal = (
            0,
            b"\x11" * 32,
            f"ipfs://{tag}{round_no}",
            parties,
            [5_000, 3_000, 2_000],
            token.address,
            now,
            now + YEAR,
        )
        receipt = deployment.transact("Agreements", "propose", proposal, sender=round_no % 3)
        agreement_id = agreements.events.AgreementProposed().process_receipt(receipt, errors=DISCARD)[0][
            "args"
        ]["id"]
        deployment.transact("Agreements", "sign", agreement_id, 1, sender=3)
        deployment.transact("Agreements", "sign", agreement_id, 1, sender=4)
        for amount in (10**18, 2 * 10**18 + 7):
            deployment.transact("Agreements", "deposit", agreement_id, token.address, amount, sender=9)
        deployment.transact("Agreements", "withdraw", agreement_id, sender=3)
        terms = (token.address, 10**18, 500, 5 * 10**18, 0, now + YEAR)
        receipt = deployment.transact("ReferralRewards", "createProgram", terms, 10 * 10**18)
        program_id = referrals.events.ProgramCreated().process_receipt(receipt, errors=DISCARD)[0]["args"][
            "programId"
        ]
        commitment = make_commitment(f"{tag}-lead-{round_no}", bytes(32))
        deployment.transact("ReferralRewards", "recordReferral", program_id, commitment, sender=5)
        deployment.transact("ReferralRewards", "confirmConversion", program_id, commitment, 20 * 10**18)
        deployment.transact("ReferralRewards", "claimReward", program_id, commitment, sender=5)


def chain_log_keys(
    anvil_url: str, addresses: list[str], to_block: int | None = None
) -> list[tuple[str, int]]:
    """(tx hash, log index) of every log of ``addresses`` on the chain, in chain order."""
    w3 = Web3(HTTPProvider(anvil_url))
    checksummed = [Web3.to_checksum_address(address) for address in addresses]
    logs = w3.eth.get_logs({"address": checksummed, "fromBlock": 0, "toBlock": to_block or "latest"})
    return [("0x" + bytes(log["transactionHash"]).hex(), int(log["logIndex"])) for log in logs]


def iter_anvil(*extra: str) -> Iterator[Anvil]:
    """A running anvil (``extra``: more of its options) for a fixture to yield; stopped afterwards."""
    anvil = start_anvil(None, None, *extra)
    try:
        yield anvil
    finally:
        anvil.stop()


ANVIL_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def make_lifecycle(deployment: Deployment) -> dict[str, int]:
    """Every lifecycle the projections fold, on chain: an admission, a suspension and an exit; an agreement
    amended, disputed (deposits held), resolved, paid, withdrawn from and terminated; a proposal cancelled;
    a referral program with a claim, a voucher redemption and a reclaim after closing.

    Returns the ids it created (``agreement``, ``cancelled``, ``program``).
    """
    w3, accounts = deployment.w3, deployment.accounts
    token = deployment.contracts["MockERC20"]
    agreements = deployment.contracts["Agreements"]
    referrals = deployment.contracts["ReferralRewards"]
    for sender, spender in ((9, agreements), (1, agreements), (0, referrals)):
        deployment.transact("MockERC20", "mint", accounts[sender], 10**30, sender=sender)
        deployment.transact("MockERC20", "approve", spender.address, 2**256 - 1, sender=sender)

    # governance: admit account 7 (50 % of 6 founders: 3 approvals), suspend it (of 7: 4), founder 5 exits
    newcomer = (accounts[7], "Newcomer Plumbing", encode_code("plumbing"), encode_code("south"))
    deployment.transact("Consortium", "proposeAdmission", newcomer)
    for voter in (0, 1, 2):
        deployment.transact("Consortium", "approve", 1, sender=voter)
    deployment.transact("Consortium", "proposeSuspension", accounts[7], sender=3)
    for voter in (0, 1, 2, 3):
        deployment.transact("Consortium", "approve", 2, sender=voter)
    deployment.transact("Consortium", "exit", sender=5)

    now = w3.eth.get_block("latest")["timestamp"]
    parties = [accounts[0], accounts[1], accounts[2]]
    proposal = (
        1,
        b"\x22" * 32,
        "ipfs://pool",
        parties,
        [5_000, 3_000, 2_000],
        token.address,
        now,
        now + YEAR,
    )
    deployment.transact("Agreements", "propose", proposal)
    agreement = 1
    for signer in (1, 2):
        deployment.transact("Agreements", "sign", agreement, 1, sender=signer)
    deployment.transact("Agreements", "deposit", agreement, token.address, 1_000_003, sender=9)
    deployment.transact("Agreements", "deposit", agreement, token.address, 20_011, sender=1)
    deployment.transact(
        "Agreements",
        "proposeAmendment",
        agreement,
        b"\x33" * 32,
        "",
        [4_000, 4_000, 2_000],
        now + 2 * YEAR,
        sender=1,
    )
    deployment.transact(
        "Agreements",
        "proposeAmendment",
        agreement,
        b"\x44" * 32,
        "v3",
        [3_000, 4_000, 3_000],
        now + 2 * YEAR,
        sender=2,
    )  # replaces the pending version 2
    for signer in (0, 1):
        deployment.transact("Agreements", "sign", agreement, 3, sender=signer)
    deployment.transact("Agreements", "deposit", agreement, token.address, 77_777, sender=9)
    deployment.transact("Agreements", "raiseDispute", agreement, b"\x55" * 32, sender=2)
    deployment.transact("Agreements", "deposit", agreement, token.address, 30_001, sender=9)  # held
    deployment.transact("Agreements", "deposit", agreement, token.address, 9_999, sender=1)  # held
    for voter in (0, 2):
        deployment.transact("Agreements", "voteToResolve", agreement, sender=voter)
    deployment.transact("Agreements", "withdraw", agreement, sender=1)
    deployment.transact("Agreements", "raiseDispute", agreement, b"\x66" * 32, sender=0)
    deployment.transact("Agreements", "deposit", agreement, token.address, 12_345, sender=9)  # held
    for consenting in (0, 1, 2):
        deployment.transact("Agreements", "consentToTerminate", agreement, sender=consenting)
    deployment.transact("Agreements", "withdraw", agreement, sender=2)

    cancelled_proposal = (
        6,
        b"\x77" * 32,
        "",
        [accounts[3], accounts[4]],
        [6_000, 4_000],
        token.address,
        now,
        now + YEAR,
    )
    deployment.transact("Agreements", "propose", cancelled_proposal, sender=3)
    for consenting in (3, 4):
        deployment.transact("Agreements", "consentToTerminate", 2, sender=consenting)

    terms = (token.address, 10**6, 1_000, 5 * 10**6, 0, now + YEAR)
    deployment.transact("ReferralRewards", "createProgram", terms, 20 * 10**6)
    program = 1
    claimed = make_commitment("lead-claimed", b"\x01" * 32)
    vouched = make_commitment("lead-vouched", b"\x02" * 32)
    pending = make_commitment("lead-pending", b"\x03" * 32)
    for commitment in (claimed, vouched, pending):
        deployment.transact("ReferralRewards", "recordReferral", program, commitment, sender=4)
    deployment.transact("ReferralRewards", "confirmConversion", program, claimed, 3 * 10**6)
    deployment.transact("ReferralRewards", "claimReward", program, claimed, sender=4)
    reward = referrals.functions.rewardFor(program, 8 * 10**6).call()
    deadline = w3.eth.get_block("latest")["timestamp"] + 3_600
    voucher = (program, vouched, 8 * 10**6, reward, deadline, 0)
    typed = conversion_voucher(w3.eth.chain_id, referrals.address, *voucher)
    v, r, s = split_signature(sign_typed_data(ANVIL_KEY_0, typed))
    deployment.transact("ReferralRewards", "redeemVoucher", voucher, v, r, s, sender=4)
    deployment.transact("ReferralRewards", "fund", program, 5 * 10**6)
    deployment.transact("ReferralRewards", "closeProgram", program)
    deployment.transact("ReferralRewards", "reclaimBudget", program)
    return {"agreement": agreement, "cancelled": 2, "program": program}
