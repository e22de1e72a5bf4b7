"""End to end: a scripted consortium on a real anvil, indexed by `coopledger index`, served by
`coopledger serve` (uvicorn) and read over HTTP. Every figure the API gives is checked against figures the
test computes itself from the scenario's own transactions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from ledger.protocol.codes import encode_code
from ledger.protocol.commitments import make_commitment
from tests.conftest import STORES
from tests.ledger.chain_fixtures import YEAR, Anvil, Deployment, deploy, free_port, iter_anvil

BPS = 10_000
CUSTOMER = 9  # an outside payer: not a member
PROJECT = Path(__file__).resolve().parents[2]


@dataclass
class Expected:
    """What the scenario did, as the test itself counts it."""

    credited: dict[int, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    deposited: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    withdrawn: dict[int, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    received: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    received_from_members: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    contributed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    ties: set[frozenset[str]] = field(default_factory=set)
    rewards: list[int] = field(default_factory=list)
    referrals: int = 0
    exit_block: int = 0


def _deposit(
    deployment: Deployment,
    expected: Expected,
    agreement: int,
    parties: list[str],
    shares: list[int],
    sender: int,
    amount: int,
    members: set[str],
) -> None:
    token = deployment.contracts["MockERC20"]
    deployment.transact("Agreements", "deposit", agreement, token.address, amount, sender=sender)
    payer = deployment.accounts[sender]
    before = expected.deposited[agreement]  # one share period: a party's credit is its share of the total
    after = before + amount
    credits = {
        party: after * share // BPS - before * share // BPS
        for party, share in zip(parties, shares, strict=True)
    }
    expected.deposited[agreement] += amount
    for party, credit in credits.items():
        expected.credited[agreement][party] += credit
        expected.received[party] += credit
        if payer in members:
            expected.received_from_members[party] += credit
            expected.ties.add(frozenset((payer, party)))
    if payer in members:  # what its deposit credited to its partners (the period's dust may ride along)
        expected.contributed[payer] += sum(credit for party, credit in credits.items() if party != payer)


def run_scenario(deployment: Deployment) -> Expected:
    """Admit a member; two agreements, deposits, withdrawals; a referral program with claims; an exit."""
    accounts, w3 = deployment.accounts, deployment.w3
    token = deployment.contracts["MockERC20"]
    expected = Expected()
    electrician = (accounts[6], "Corner Electric", encode_code("electricians"), encode_code("south"))
    deployment.transact("Consortium", "proposeAdmission", electrician)
    for voter in (0, 1, 2, 3):  # a strict majority of the 6 founders
        deployment.transact("Consortium", "approve", 1, sender=voter)
    members = set(accounts[:7])
    for sender, spender in (
        (CUSTOMER, "Agreements"),
        (2, "Agreements"),
        (4, "Agreements"),
        (0, "ReferralRewards"),
    ):
        deployment.transact("MockERC20", "mint", accounts[sender], 10**24, sender=sender)
        address = deployment.contracts[spender].address
        deployment.transact("MockERC20", "approve", address, 2**256 - 1, sender=sender)

    now = w3.eth.get_block("latest")["timestamp"]
    plans = [([0, 1, 6], [5_000, 3_000, 2_000], 0), ([2, 3], [6_000, 4_000], 4)]
    for index, (who, shares, kind) in enumerate(plans, start=1):
        parties = [accounts[i] for i in who]
        proposal = (
            kind,
            bytes([index]) * 32,
            f"ipfs://terms-{index}",
            parties,
            shares,
            token.address,
            now,
            now + YEAR,
        )
        deployment.transact("Agreements", "propose", proposal, sender=who[0])
        for signer in who[1:]:
            deployment.transact("Agreements", "sign", index, 1, sender=signer)
        expected.ties |= {frozenset((a, b)) for a in parties for b in parties if a != b}
    _deposit(
        deployment,
        expected,
        1,
        [accounts[i] for i in (0, 1, 6)],
        [5_000, 3_000, 2_000],
        CUSTOMER,
        1_000_003,
        members,
    )
    _deposit(
        deployment, expected, 1, [accounts[i] for i in (0, 1, 6)], [5_000, 3_000, 2_000], 2, 250_007, members
    )
    _deposit(deployment, expected, 2, [accounts[2], accounts[3]], [6_000, 4_000], CUSTOMER, 99_999, members)
    _deposit(deployment, expected, 2, [accounts[2], accounts[3]], [6_000, 4_000], 4, 10**18 + 1, members)
    for agreement, party in ((1, 1), (2, 3)):
        deployment.transact("Agreements", "withdraw", agreement, sender=party)
        expected.withdrawn[agreement][accounts[party]] = expected.credited[agreement][accounts[party]]

    terms = (token.address, 1_000, 1_000, 50_000, 0, now + YEAR)
    deployment.transact("ReferralRewards", "createProgram", terms, 1_000_000)
    leads = [(4, "lead-a", 100_000), (4, "lead-b", None), (5, "lead-c", 900_000)]
    for referrer, lead, value in leads:
        commitment = make_commitment(lead, accounts[referrer], b"\x07" * 32)
        deployment.transact("ReferralRewards", "recordReferral", 1, commitment, sender=referrer)
        expected.referrals += 1
        expected.ties.add(frozenset((accounts[referrer], accounts[0])))
        if value is not None:
            deployment.transact(
                "ReferralRewards", "confirmConversion", 1, accounts[referrer], commitment, value
            )
            deployment.transact("ReferralRewards", "claimReward", 1, commitment, sender=referrer)
            expected.rewards.append(min(1_000 + value * 1_000 // BPS, 50_000))
    receipt = deployment.transact("Consortium", "exit", sender=5)
    expected.exit_block = receipt["blockNumber"]
    return expected


@pytest.fixture(scope="module", params=STORES)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Anvil, Deployment, Expected, str]]:
    """The scenario on a chain, indexed by `coopledger index` and served by `coopledger serve`, on SQLite and
    on PostgreSQL."""
    folder = tmp_path_factory.mktemp("e2e")
    if request.param == "sqlite":
        store_url = f"sqlite:///{folder}/store.db"
    else:
        store_url = request.getfixturevalue("postgres").new_database("e2e")
    for anvil in iter_anvil():
        deployment = deploy(anvil.w3, folder)
        expected = run_scenario(deployment)
        env = {
            **os.environ,
            "COOPLEDGER_RPC_URL": anvil.url,
            "COOPLEDGER_STORE_URL": store_url,
            "COOPLEDGER_MANIFEST": str(deployment.manifest_path),
        }
        cli = [str(Path(sys.executable).parent / "coopledger")]  # the installed console script
        subprocess.run([*cli, "index", "--once"], env=env, check=True, capture_output=True, timeout=300)
        port = free_port()
        server = subprocess.Popen(
            [*cli, "serve", "--port", str(port)],
            env=env,
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"coopledger serve did not start: {server.communicate()[1].decode()[-2000:]}"
                    )
                time.sleep(0.2)
            yield anvil, deployment, expected, url
        finally:
            server.terminate()
            server.wait(timeout=30)


def test_the_api_over_http_agrees_with_the_scenario(stack: tuple[Anvil, Deployment, Expected, str]) -> None:
    anvil, deployment, expected, url = stack
    accounts = deployment.accounts
    with httpx.Client(base_url=url, timeout=60) as api:
        health = api.get("/health").json()
        assert health["indexed_head"] == anvil.w3.eth.block_number
        assert health["lag"] == 0

        members = api.get("/v1/members").json()
        assert members["count"] == 7
        assert {row["address"]: row["status"] for row in members["data"]}[accounts[5]] == "exited"

        for agreement, credited in expected.credited.items():
            body = api.get(f"/v1/agreements/{agreement}").json()
            assert body["status"] == "active"
            assert int(body["total_deposited"]) == expected.deposited[agreement]
            assert {party["party"]: int(party["credited"]) for party in body["parties"]} == credited
            assert {
                party["party"]: int(party["withdrawn"])
                for party in body["parties"]
                if int(party["withdrawn"])
            } == expected.withdrawn[agreement]

        sharing = api.get("/v1/metrics/value-sharing?top=50").json()
        (asset,) = sharing["assets"]
        assert asset["asset"] == deployment.contracts["MockERC20"].address
        assert int(asset["total"]) == sum(expected.deposited.values())
        network_members = [a for a in accounts[:7] if a != accounts[5]]
        flows = {row["address"]: row for row in asset["top_receivers"]}
        for member in network_members:
            assert int(flows[member]["received"]) == expected.received[member], member
            assert int(flows[member]["received_from_members"]) == expected.received_from_members[member], (
                member
            )
            assert int(flows[member]["contributed"]) == expected.contributed[member], member

        referrals = api.get("/v1/metrics/referrals").json()["total"]
        assert referrals["referrals"] == expected.referrals
        assert referrals["conversions"] == len(expected.rewards)
        assert referrals["conversion_rate"] == pytest.approx(len(expected.rewards) / expected.referrals)
        assert referrals["rewards_paid"] == {asset["asset"]: str(sum(expected.rewards))}

        network = api.get("/v1/metrics/network").json()
        ties = {tie for tie in expected.ties if tie <= set(network_members)}
        assert network["members"] == len(network_members)
        assert network["ties"] == len(ties)
        assert network["density"] == pytest.approx(
            len(ties) / (len(network_members) * (len(network_members) - 1) / 2)
        )
        before_exit = api.get(f"/v1/metrics/network?as_of_block={expected.exit_block - 1}").json()
        assert before_exit["members"] == 7

        logs = anvil.w3.eth.get_logs(
            {
                "address": [c.address for c in deployment.contracts.values()],
                "fromBlock": 0,
                "toBlock": "latest",
            }
        )
        assert api.get("/v1/events?limit=1").json()["count"] == len(logs)
        assert api.get("/v1/audit/sample?sample=10&seed=3").json()["ok"] is True
        summary = api.get("/v1/audit/verify").text.splitlines()[-1]
        assert json.loads(summary)["summary"]["ok"] is True
        assert api.get("/v1/audit/digest").json()["events"] == len(logs)
