"""A large consortium chain for the benchmarks, generated once from the real contracts and cached.

``cached_chain(members, events)`` returns an anvil state file holding a chain with ``members`` founding
members and at least ``events`` contract events: agreements among 2 to 5 members (proposed, signed by all),
then rounds of revenue deposits, withdrawals and referral programs with referrals, conversions and claims.
Every event comes from a real transaction of the compiled contracts (``build/contracts``); none is inserted.

Generation sends transactions with mining paused and mines one block per batch of them (anvil orders them
first in, first out, so agreement and program ids are known in advance), so
100 000 events take a couple of minutes, once: the state file (and the manifest) are kept under
``bench/.cache/`` keyed by the parameters and the contracts' bytecode, and reused until either changes.
``serve(state)`` starts an anvil that loads it.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from rich.progress import Progress
from web3 import Web3

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from ledger.protocol.codes import encode_code  # noqa: E402
from ledger.protocol.commitments import make_commitment  # noqa: E402
from ledger.protocol.manifest import ContractDeployment, write_manifest  # noqa: E402
from scripts.toolchain.localnode import BUILD, Anvil, start_anvil  # noqa: E402

CACHE = PROJECT / "bench" / ".cache"
#: anvil keeps every block's state and writes the older ones to ~/.foundry/anvil/tmp: with a 300 MB state
#: and a block every 2 s, that filled a 250 GB disk within the hour. The benchmarks read logs, never old
#: state.
NO_HISTORY = ("--prune-history",)
GENERATOR_VERSION = 2  # 2: the manifest carries the contracts' facts (enums, errors)
TXS_PER_BLOCK = 200
GAS = 1_000_000
BLOCK_GAS_LIMIT = 4_000_000_000  # the founders' profiles go in one constructor call
YEAR = 365 * 24 * 3600
SECTORS = ("bakery", "coffee", "delivery", "marketing", "plumbing", "electrical", "clothing", "supplies")
REGIONS = ("north", "south", "east", "west", "centre")


@dataclass(frozen=True)
class CachedChain:
    """A generated chain: the anvil state file, its deployment manifest, and what it holds."""

    state: Path
    manifest: Path
    members: int
    events: int
    blocks: int
    generated: bool = False  # by this call (the cache did not hold it yet)


def cached_chain(members: int, events: int) -> CachedChain:
    """The cached chain for these parameters, generated first if it is not cached yet."""
    key = _cache_key(members, events)
    folder = CACHE / key
    meta_file = folder / "chain.json"
    if meta_file.exists():
        meta = json.loads(meta_file.read_text())
        return CachedChain(
            folder / "state.json", folder / "31337.json", members, meta["events"], meta["blocks"]
        )
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    generated = _generate(folder, members, events)
    meta_file.write_text(json.dumps({"events": generated.events, "blocks": generated.blocks}))
    return generated


def serve(chain: CachedChain) -> Anvil:
    """An anvil on a free port that loads ``chain`` (it never writes the cache back)."""
    options = ("--load-state", str(chain.state), "--accounts", str(chain.members + 1), *NO_HISTORY)
    return start_anvil(None, None, *options, gas_limit=BLOCK_GAS_LIMIT)


def _cache_key(members: int, events: int) -> str:
    digest = hashlib.sha256(f"{GENERATOR_VERSION}:{members}:{events}".encode())
    for name in ("Consortium", "Agreements", "ReferralRewards", "MockERC20"):
        digest.update(json.loads((BUILD / f"{name}.json").read_text())["bytecode"].encode())
    return f"m{members}-e{events}-{digest.hexdigest()[:12]}"


class _Batcher:
    """Sends transactions in order and mines a block per batch of them (mining is paused meanwhile)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.pending: list[dict[str, Any]] = []
        self.nonces: dict[str, int] = {}
        self.blocks = 0

    def rpc(self, method: str, params: list[Any]) -> Any:
        request = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        body = self.session.post(self.url, json=request).json()
        if "error" in body:
            raise RuntimeError(f"{method}: {body['error']}")
        return body["result"]

    def send(self, sender: str, to: str, data: str) -> None:
        if sender not in self.nonces:
            self.nonces[sender] = int(self.rpc("eth_getTransactionCount", [sender, "latest"]), 16)
        nonce = self.nonces[sender]
        self.nonces[sender] = nonce + 1  # anvil numbers from the mined state: with mining paused, we count
        transaction = {
            "from": sender,
            "to": to,
            "data": data,
            "gas": hex(GAS),
            "gasPrice": "0x0",
            "nonce": hex(nonce),
        }
        self.pending.append(transaction)
        if len(self.pending) >= TXS_PER_BLOCK:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        hashes = [self.rpc("eth_sendTransaction", [tx]) for tx in self.pending]  # one by one: kept in order
        self.rpc("evm_mine", [])
        self.blocks += 1
        receipt = self.rpc("eth_getTransactionReceipt", [hashes[-1]])
        if receipt is None or receipt["status"] != "0x1":
            raise RuntimeError("the last transaction of a generated block reverted: the scenario is wrong")
        self.pending = []


def _generate(folder: Path, members: int, target_events: int) -> CachedChain:
    options = (
        *("--dump-state", str(folder / "state.json"), "--accounts", str(members + 1), "--order", "fifo"),
        "--disable-code-size-limit",  # 2 000 founders' profiles make a large constructor call
        "--no-request-size-limit",  # 10 000 founders' profiles make a 5 MB request
        *NO_HISTORY,
    )
    anvil = start_anvil(None, None, *options, gas_limit=BLOCK_GAS_LIMIT)
    try:
        return _populate(anvil, folder, members, target_events)
    finally:
        anvil.stop()


def _populate(anvil: Anvil, folder: Path, members: int, target_events: int) -> CachedChain:
    w3 = anvil.w3
    accounts = list(w3.eth.accounts)
    people: list[str] = [str(account) for account in accounts[1 : members + 1]]
    deployer = str(accounts[0])
    rng = random.Random(20261122)
    contracts, records = _deploy(w3, deployer, people)
    agreements, referrals, token = (
        contracts["Agreements"],
        contracts["ReferralRewards"],
        contracts["MockERC20"],
    )
    batch = _Batcher(anvil.url)
    batch.rpc("evm_setAutomine", [False])
    events = members + 1  # the founders' admissions, and cUSD approved as a payment asset

    def call(contract: Any, function: str, *args: Any) -> str:
        return str(contract.encode_abi(function, args=list(args)))

    with Progress(transient=True) as progress:
        task = progress.add_task("generating the benchmark chain", total=target_events)

        def sent(count: int) -> None:
            nonlocal events
            events += count
            progress.update(task, completed=min(events, target_events))

        for person in people:
            batch.send(person, token.address, call(token, "mint", person, 10**30))
            batch.send(person, token.address, call(token, "approve", agreements.address, 2**256 - 1))
            batch.send(person, token.address, call(token, "approve", referrals.address, 2**256 - 1))
            sent(3)
        now = w3.eth.get_block("latest")["timestamp"]
        parties_of: list[list[str]] = []
        for _ in range(max(members // 2, 10)):
            parties = rng.sample(people, rng.randint(2, 5))
            shares = _shares(rng, len(parties))
            terms = rng.randbytes(32)
            proposal = (rng.randrange(7), terms, "", parties, shares, token.address, now, now + 5 * YEAR)
            batch.send(parties[0], agreements.address, call(agreements, "propose", proposal))
            parties_of.append(parties)
            sent(3)
        batch.flush()
        for agreement_id, parties in enumerate(parties_of, start=1):
            for party in parties[1:]:
                batch.send(party, agreements.address, call(agreements, "sign", agreement_id, 1))
                sent(1)
            sent(1)  # activation
        programs: list[str] = []
        for sponsor in rng.sample(people, max(members // 20, 5)):
            program_terms = (token.address, 10**18, 500, 50 * 10**18, 0, now + 5 * YEAR)
            batch.send(sponsor, referrals.address, call(referrals, "createProgram", program_terms, 10**27))
            programs.append(sponsor)
            sent(3)
        batch.flush()
        lead_number = 0
        rounds = 0
        while events < target_events:
            for _ in range(8):
                agreement_id = rng.randrange(len(parties_of)) + 1
                contributor = rng.choice([*parties_of[agreement_id - 1], rng.choice(people)])
                amount = rng.randint(10**15, 10**21)
                deposit = call(agreements, "deposit", agreement_id, token.address, amount)
                batch.send(contributor, agreements.address, deposit)
                sent(2)
            party = rng.choice(parties_of[agreement_id - 1])  # credited by the deposit just made
            batch.send(party, agreements.address, call(agreements, "withdraw", agreement_id))
            sent(2)
            program_id = rng.randrange(len(programs)) + 1
            sponsor = programs[program_id - 1]
            referrer = rng.choice([person for person in rng.sample(people, 3) if person != sponsor])
            commitment = make_commitment(
                f"bench-lead-{lead_number}", referrer, lead_number.to_bytes(32, "big")
            )
            lead_number += 1
            value = rng.randint(10**18, 10**21)
            batch.send(referrer, referrals.address, call(referrals, "recordReferral", program_id, commitment))
            confirm = call(referrals, "confirmConversion", program_id, referrer, commitment, value)
            batch.send(sponsor, referrals.address, confirm)
            batch.send(referrer, referrals.address, call(referrals, "claimReward", program_id, commitment))
            sent(4)  # recorded, confirmed, claimed, and the payout transfer
            rounds += 1
            if rounds % 4 == 0:
                batch.flush()  # about a hundred events per block
        batch.flush()
        batch.rpc("evm_setAutomine", [True])
    addresses = [contract.address for contract in contracts.values()]
    logged = len(w3.eth.get_logs({"address": addresses, "fromBlock": 0, "toBlock": "latest"}))
    if logged != events:
        raise RuntimeError(
            f"the scenario expected {events} events but the chain logged {logged}: a call reverted"
        )
    write_manifest(w3.eth.chain_id, "development", records, deployments_dir=folder)
    return CachedChain(
        folder / "state.json", folder / "31337.json", members, events, w3.eth.block_number, generated=True
    )


def _shares(rng: random.Random, parties: int) -> list[int]:
    cuts = sorted(rng.sample(range(1, 10_000), parties - 1))
    return [high - low for low, high in zip([0, *cuts], [*cuts, 10_000], strict=True)]


def _deploy(
    w3: Web3, deployer: str, people: list[str]
) -> tuple[dict[str, Any], dict[str, ContractDeployment]]:
    rng = random.Random(7)
    profiles = [
        (person, f"Business {i:04d}", encode_code(rng.choice(SECTORS)), encode_code(rng.choice(REGIONS)))
        for i, person in enumerate(people)
    ]
    contracts: dict[str, Any] = {}
    records: dict[str, ContractDeployment] = {}
    for name, args in (
        ("MockERC20", ("Coop Dollar", "cUSD")),
        ("Consortium", None),
        ("Agreements", None),
        ("ReferralRewards", None),
    ):
        artifact = json.loads((BUILD / f"{name}.json").read_text())
        constructor_args: tuple[Any, ...]
        if name == "Consortium":
            constructor_args = (profiles, [contracts["MockERC20"].address], 5_001, 7 * 24 * 3600)
        else:
            constructor_args = args if args is not None else (contracts["Consortium"].address,)
        factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        transaction = {"from": deployer, "gasPrice": 0, "gas": BLOCK_GAS_LIMIT // 2}
        tx_hash = factory.constructor(*constructor_args).transact(transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=600)
        address = str(receipt["contractAddress"])
        records[name] = ContractDeployment.from_build(
            name, address, receipt["blockNumber"], tx_hash.to_0x_hex(), BUILD, abi=artifact["abi"]
        )
        contracts[name] = w3.eth.contract(address=Web3.to_checksum_address(address), abi=artifact["abi"])
    return contracts, records


if __name__ == "__main__":
    started = time.monotonic()
    members, events = (int(value) for value in (sys.argv[1:3] if len(sys.argv) > 2 else (2_000, 100_000)))
    chain = cached_chain(members, events)
    seconds = time.monotonic() - started
    print(f"{chain.events:,} events in {chain.blocks:,} blocks, {chain.members:,} members ({seconds:.1f} s)")
