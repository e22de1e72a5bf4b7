"""The project's contracts deployed with web3 (not Brownie) on a real anvil
(:mod:`scripts.toolchain.localnode`) for the ledger tests, and scenarios played on them through the member's
client.

The contracts come from Brownie's build folder (``make test`` compiles before it runs these tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from web3 import HTTPProvider, Web3
from web3.logs import DISCARD
from web3.types import RPCEndpoint, TxReceipt

from ledger.client import deployer
from ledger.client.transactions import Chain
from ledger.client.wallet import Wallet
from ledger.protocol.codes import encode_code
from ledger.protocol.commitments import make_commitment
from ledger.protocol.eip712 import conversion_voucher, partner_rating, sign_typed_data, split_signature
from ledger.protocol.manifest import ContractDeployment, load_manifest, write_manifest
from scripts.toolchain.localnode import BUILD, PROJECT, Anvil, anvil_binary, free_port, start_anvil

__all__ = ["BUILD", "PROJECT", "Anvil", "anvil_binary", "free_port", "start_anvil"]  # re-exported for tests

YEAR = 365 * 24 * 3600


@cache
def build_record(name: str, address: str) -> ContractDeployment:
    """The manifest record of contract ``name`` as if deployed at ``address`` (block 1): its facts from the
    compiler's output in the build folder, for tests that need them without a chain."""
    return ContractDeployment.from_build(name, address, 1, "0x" + "00" * 32, BUILD)


@dataclass
class Deployment:
    """The contracts deployed on an anvil, with the manifest that describes them."""

    w3: Web3
    contracts: dict[str, Any]
    manifest_path: Path

    @property
    def accounts(self) -> list[str]:
        return list(self.w3.eth.accounts)

    @cached_property
    def chain(self) -> Chain:
        """The member's client over this deployment: every test transaction goes through its one path."""
        return Chain(self.w3, load_manifest(self.manifest_path))

    def advance(self, seconds: int) -> None:
        """Move the chain's clock ``seconds`` forward and mine a block there."""
        self.w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [seconds])
        self.w3.provider.make_request(RPCEndpoint("evm_mine"), [])

    def record(self, name: str) -> ContractDeployment:
        """Contract ``name``'s manifest record."""
        return self.chain.manifest.contracts[name]

    def transact(
        self, contract: str, function: str, *args: Any, sender: int = 0, value: int = 0
    ) -> TxReceipt:
        """Send ``contract.function(*args)`` from test account ``sender`` (simulated first, like every
        transaction coopledger sends); its receipt."""
        signer = Wallet.dev(sender, self.w3.eth.chain_id)
        return self.chain.send(contract, function, *args, value=value, signer=signer).receipt


def deploy_contract(w3: Web3, name: str, *args: Any) -> tuple[Any, ContractDeployment]:
    """Deploy contract ``name`` from the build folder, signed by test account 0, by the project's own deploy
    path (:func:`ledger.client.deployer.deploy_contract`); the web3 contract and its manifest record."""
    record = deployer.deploy_contract(w3, Wallet.dev(0, w3.eth.chain_id), name, BUILD, *args)
    return w3.eth.contract(address=Web3.to_checksum_address(record.address), abi=record.abi), record


def deploy(w3: Web3, directory: Path, founders: int = 6) -> Deployment:
    """Deploy mock cUSD, then Consortium (cUSD approved), Agreements, ReferralRewards and PartnerRatings;
    write the manifest into ``directory``."""
    accounts = list(w3.eth.accounts)
    records: dict[str, ContractDeployment] = {}
    contracts: dict[str, Any] = {}

    def deploy_one(name: str, *args: Any) -> Any:
        contracts[name], records[name] = deploy_contract(w3, name, *args)
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
    token = deploy_one("MockERC20", "Coop Dollar", "cUSD")
    consortium = deploy_one("Consortium", profiles, [token.address], 5_001, 7 * 24 * 3600)
    agreements = deploy_one("Agreements", consortium.address)
    deploy_one("ReferralRewards", consortium.address)
    deploy_one("PartnerRatings", consortium.address, agreements.address)
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
        commitment = make_commitment(f"{tag}-lead-{round_no}", accounts[5], bytes(32))
        deployment.transact("ReferralRewards", "recordReferral", program_id, commitment, sender=5)
        deployment.transact(
            "ReferralRewards", "confirmConversion", program_id, accounts[5], commitment, 20 * 10**18
        )
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
    amended, disputed (deposits held), resolved, paid, withdrawn from, terminated and rated (a rating
    replaced, one by signature); a proposal cancelled;
    a referral program with a claim, a voucher redemption and a reclaim after closing; a second token
    approved by vote and then revoked.

    Returns the ids it created (``agreement``, ``cancelled``, ``program``, and ``revocation``, the proposal
    that revoked the second token).
    """
    w3, accounts = deployment.w3, deployment.accounts
    token = deployment.contracts["MockERC20"]
    agreements = deployment.contracts["Agreements"]
    referrals = deployment.contracts["ReferralRewards"]
    for sender, spender in ((9, agreements), (1, agreements), (0, referrals)):
        deployment.transact("MockERC20", "mint", accounts[sender], 10**30, sender=sender)
        deployment.transact("MockERC20", "approve", spender.address, 2**256 - 1, sender=sender)

    # governance: admit account 7 (a strict majority of 6 founders: 4 approvals), suspend it (of 7: 4),
    # founder 5 exits
    newcomer = (accounts[7], "Newcomer Plumbing", encode_code("plumbing"), encode_code("south"))
    deployment.transact("Consortium", "proposeAdmission", newcomer)
    for voter in (0, 1, 2, 3):
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
    deployment.advance(deployment.contracts["Agreements"].functions.DISPUTE_COOLDOWN().call())
    deployment.transact("Agreements", "raiseDispute", agreement, b"\x66" * 32, sender=0)
    deployment.transact("Agreements", "deposit", agreement, token.address, 12_345, sender=9)  # held
    for consenting in (0, 1, 2):
        deployment.transact("Agreements", "consentToTerminate", agreement, sender=consenting)
    deployment.transact("Agreements", "withdraw", agreement, sender=2)

    # ratings, once the agreement has been in force long enough (it may be rated after it ended): founder 0
    # rates 1 twice (the newest counts), 1 rates 0 under version 3, and 0 signs a rating of 2 that the
    # customer submits
    ratings = deployment.contracts["PartnerRatings"]
    deployment.advance(ratings.functions.MIN_TIME_IN_FORCE().call())
    deployment.transact("PartnerRatings", "rate", agreement, 1, accounts[1], 2, bytes(32))
    deployment.transact("PartnerRatings", "rate", agreement, 1, accounts[1], 4, bytes(32))
    deployment.transact("PartnerRatings", "rate", agreement, 3, accounts[0], 5, b"\x88" * 32, sender=1)
    deadline = w3.eth.get_block("latest")["timestamp"] + 3_600
    rating = (accounts[0], agreement, 1, accounts[2], 3, bytes(32), 0, deadline)
    typed = partner_rating(w3.eth.chain_id, deployment.record("PartnerRatings"), *rating)
    deployment.transact(
        "PartnerRatings", "rateWithSignature", rating, sign_typed_data(ANVIL_KEY_0, typed), sender=9
    )

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
    referrer = accounts[4]
    claimed = make_commitment("lead-claimed", referrer, b"\x01" * 32)
    vouched = make_commitment("lead-vouched", referrer, b"\x02" * 32)
    pending = make_commitment("lead-pending", referrer, b"\x03" * 32)
    for commitment in (claimed, vouched, pending):
        deployment.transact("ReferralRewards", "recordReferral", program, commitment, sender=4)
    deployment.transact("ReferralRewards", "confirmConversion", program, referrer, claimed, 3 * 10**6)
    deployment.transact("ReferralRewards", "claimReward", program, claimed, sender=4)
    reward = referrals.functions.rewardFor(program, 8 * 10**6).call()
    deadline = w3.eth.get_block("latest")["timestamp"] + 3_600
    voucher = (program, referrer, vouched, 8 * 10**6, reward, deadline, 0)
    typed = conversion_voucher(w3.eth.chain_id, deployment.record("ReferralRewards"), *voucher)
    v, r, s = split_signature(sign_typed_data(ANVIL_KEY_0, typed))
    deployment.transact("ReferralRewards", "redeemVoucher", voucher, v, r, s, sender=4)
    deployment.transact("ReferralRewards", "fund", program, 5 * 10**6)
    deployment.transact("ReferralRewards", "closeProgram", program)
    deployment.transact("ReferralRewards", "reclaimBudget", program)

    # assets: 5 members are active now (founders 0..4), so each vote needs 3 approvals
    pound, _ = deploy_contract(w3, "MockERC20", "Bakers' Pound", "BKP")
    deployment.transact("Consortium", "proposeAssetApproval", pound.address, sender=1)
    deployment.transact("Consortium", "proposeAssetRevocation", token.address, sender=2)  # never carried
    for voter in (0, 1, 2):
        deployment.transact("Consortium", "approve", 3, sender=voter)
    deployment.transact("Consortium", "proposeAssetRevocation", pound.address, sender=3)
    for voter in (2, 3, 4):
        deployment.transact("Consortium", "approve", 5, sender=voter)
    return {
        "agreement": agreement,
        "cancelled": 2,
        "program": program,
        "revocation": 5,
    }
