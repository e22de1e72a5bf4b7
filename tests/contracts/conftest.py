"""Shared fixtures for the Brownie contract tests.

Every test runs in its own snapshot of the chain (``fn_isolation``), so the module-scoped deployments below
are made once per module and each test starts from the same state.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import brownie
import pytest
from brownie.test.managers.runner import RevertContextManager
from eth_utils.crypto import keccak
from hypothesis import HealthCheck
from web3.middleware import Web3Middleware

from ledger.protocol.codes import encode_code
from ledger.protocol.commitments import make_commitment
from ledger.protocol.manifest import ContractDeployment
from scripts.deploy import deployment_record


def reverts_with(error: str, *args: Any) -> RevertContextManager:
    """Expect a revert with the custom error ``error`` and exactly these arguments.

    Brownie decodes custom errors from the project's ABIs into ``"Name: arg1, arg2"``, with addresses
    in lower case and byte strings as Python ``bytes`` literals.
    """
    return brownie.reverts(f"{error}: {', '.join(_error_argument(arg) for arg in args)}")


def deployment_of(contract: Any) -> ContractDeployment:
    """The manifest record of a Brownie-deployed ``contract`` (its EIP-712 domain and types among it), as
    the deploy script writes it; read once per contract."""
    key = (contract._name, contract.address, contract.tx.txid)  # an address is reused after a revert
    if key not in _RECORDS:
        _RECORDS[key] = deployment_record(contract)
    return _RECORDS[key]


_RECORDS: dict[tuple[str, str, str], ContractDeployment] = {}


def _error_argument(value: Any) -> str:
    if isinstance(value, bytes):
        return str(bytes(value))
    text = str(value)
    return text.lower() if text.startswith("0x") else text


def _brownie_state_machine() -> Callable[..., None]:
    """Brownie's own ``brownie.test.state_machine``, from the pure-Python source it ships.

    Brownie 1.22's wheel runs a mypyc-compiled ``brownie.test.stateful`` whose ``@final`` base class rejects
    the very subclass Brownie generates ("_BrownieStateMachine object expected; got BrownieStateMachine");
    the ``stateful.py`` it was compiled from lies beside it and works, so the tests load that one.
    """
    compiled = importlib.util.find_spec("brownie.test.stateful")
    if compiled is None or compiled.origin is None:
        raise ImportError("brownie.test.stateful is not installed; run `make setup`")
    source = Path(compiled.origin).with_name("stateful.py")
    spec = importlib.util.spec_from_file_location("brownie_stateful_source", source)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load Brownie's stateful testing module from {source}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    runner: Callable[..., None] = module.state_machine
    return runner


_run_state_machine = _brownie_state_machine()


def state_machine(rules: type, *args: Any, settings: dict[str, Any]) -> None:
    """Run the Brownie state machine ``rules`` with Hypothesis ``settings``.

    Hypothesis's ``data_too_large`` health check is off: a run of tens of steps, each drawing a rule and its
    arguments, now and then outgrows Hypothesis's buffer; that example is dropped and another drawn, which
    tests nothing less. Left on, the check failed a clean-clone run at random (20 overruns among its first
    examples) although every example run had passed.
    """
    suppressed = [*settings.get("suppress_health_check", ()), HealthCheck.data_too_large]
    _run_state_machine(rules, *args, settings={**settings, "suppress_health_check": suppressed})


class PatientReceipts(Web3Middleware):
    """Asks again, for up to two seconds, for a transaction or receipt the node says it does not know.

    anvil can report a sender's next nonce before the transaction that used it can be looked up; Brownie,
    waiting for a receipt, reads the nonce first and then declares the transaction "dropped without known
    replacement" (seen twice on a loaded 2-core machine, never on a free one). Only a transaction that is
    not there after two seconds counts as not found.
    """

    def wrap_make_request(self, make_request: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def request(method: Any, params: Any) -> Any:
            response = make_request(method, params)
            if method in ("eth_getTransactionReceipt", "eth_getTransactionByHash"):
                deadline = time.monotonic() + 2.0
                while response.get("result") is None and "error" not in response:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.02)
                    response = make_request(method, params)
            return response

        return request


@pytest.fixture(scope="session", autouse=True)
def patient_receipts() -> Iterator[None]:
    """Every contract test's web3 waits out the node's lag between a nonce and its transaction."""
    brownie.web3.middleware_onion.add(PatientReceipts, name="patient_receipts")
    yield
    brownie.web3.middleware_onion.remove("patient_receipts")


@pytest.fixture(autouse=True)
def isolation(fn_isolation: None) -> None:
    """Roll the chain back after every test."""


@pytest.fixture(scope="module")
def founders(accounts: Any) -> list[Any]:
    """The three founding members: a bakery, a coffee shop and a delivery company."""
    return list(accounts[:3])


@pytest.fixture(scope="module")
def outsider(accounts: Any) -> Any:
    """An account that is not a member."""
    return accounts[9]


@pytest.fixture(scope="module")
def founder_profiles(founders: list[Any]) -> list[tuple[str, str, bytes, bytes]]:
    """Constructor tuples ``(account, name, sector, region)`` for the founders."""
    names = [
        ("Crumb & Co", "bakery", "north"),
        ("Bean There", "coffee", "north"),
        ("Swift Wheels", "delivery", "south"),
    ]
    return [
        (account.address, name, encode_code(sector), encode_code(region))
        for account, (name, sector, region) in zip(founders, names, strict=True)
    ]


QUORUM_BPS = 5_001  # a strict majority, the least the Consortium accepts
VOTING_PERIOD = 7 * 24 * 3600


@pytest.fixture(scope="module")
def deploy_consortium(Consortium: Any, founders: list[Any]) -> Callable[..., Any]:
    """Deploy a Consortium from the first founder: founder tuples, approved assets, quorum (bps) and voting
    period (s)."""

    def deploy(
        profiles: list[Any],
        quorum_bps: int = QUORUM_BPS,
        voting_period: int = VOTING_PERIOD,
        assets: tuple[Any, ...] = (),
    ) -> Any:
        approved = [str(asset) for asset in assets]
        return Consortium.deploy(profiles, approved, quorum_bps, voting_period, {"from": founders[0]})

    return deploy


@pytest.fixture(scope="module")
def consortium(deploy_consortium: Callable[..., Any], founder_profiles: list[Any]) -> Any:
    """A consortium with the three founders, a strict-majority quorum and a 7-day voting period."""
    return deploy_consortium(founder_profiles)


def profile(
    account: Any, name: str, sector: str = "plumbing", region: str = "east"
) -> tuple[str, str, bytes, bytes]:
    """A member profile tuple as the contract takes it."""
    return (str(account), name, encode_code(sector), encode_code(region))


# ------------------------------------------------------------------------------------------- agreements

YEAR = 365 * 24 * 3600
SIGNER_KEYS = [f"0x{index:064x}" for index in (0xC0FFEE01, 0xC0FFEE02, 0xC0FFEE03)]
(JOINT_MARKETING, RESOURCE_POOLING, REFERRAL_PARTNERSHIP, CO_DEVELOPMENT, SHARED_PLATFORM, SUPPLY, OTHER) = (
    range(7)
)
(NONE, PROPOSED, ACTIVE, DISPUTED, TERMINATED, EXPIRED) = range(6)
NATIVE = "0x0000000000000000000000000000000000000000"
TERMS = b"\x11" * 32


@pytest.fixture(scope="module")
def signers(accounts: Any) -> list[Any]:
    """Three members whose private keys the tests hold, to sign EIP-712 approvals off chain."""
    local = [accounts.add(key) for key in SIGNER_KEYS]
    for account in local:
        accounts[8].transfer(account, "10 ether")
    return local


@pytest.fixture(scope="module")
def members(accounts: Any, signers: list[Any]) -> list[Any]:
    """Nine active members: accounts[0..5] and the three off-chain signers."""
    return [*accounts[:6], *signers]


@pytest.fixture(scope="module")
def customer(accounts: Any) -> Any:
    """A customer who pays revenue into agreements; not a member."""
    return accounts[7]


@pytest.fixture(scope="module")
def cusd(MockERC20: Any, accounts: Any) -> Any:
    """cUSD, a plain ERC-20 ("Coop Dollar"), approved for payments when the consortium is deployed."""
    return MockERC20.deploy("Coop Dollar", "cUSD", {"from": accounts[0]})


@pytest.fixture(scope="module")
def coop(Consortium: Any, members: list[Any], cusd: Any) -> Any:
    """The consortium behind the agreement tests: every account in ``members`` is a founder; cUSD is an
    approved asset."""
    profiles = [
        profile(member, f"Member {index}", "retail", "centre") for index, member in enumerate(members)
    ]
    return Consortium.deploy(profiles, [cusd.address], QUORUM_BPS, VOTING_PERIOD, {"from": members[0]})


@pytest.fixture(scope="module")
def approve_asset(coop: Any, members: list[Any]) -> Callable[[Any], None]:
    """Have the members of ``coop`` vote an asset in (a proposal, then approvals up to the quorum)."""

    def vote_in(asset: Any) -> None:
        proposal_id = coop.proposeAssetApproval(asset, {"from": members[0]}).return_value
        for voter in members:
            if coop.isApprovedAsset(asset):
                break
            coop.approve(proposal_id, {"from": voter})

    return vote_in


@pytest.fixture(scope="module")
def agreements(Agreements: Any, coop: Any, accounts: Any) -> Any:
    return Agreements.deploy(coop, {"from": accounts[0]})


@pytest.fixture(scope="module")
def token(cusd: Any, customer: Any, agreements: Any) -> Any:
    """cUSD, with a large balance for the customer, approved for the Agreements contract."""
    cusd.mint(customer, 10**30, {"from": customer})
    cusd.approve(agreements, 2**256 - 1, {"from": customer})
    return cusd


def now() -> int:
    """Timestamp of the latest block: the chain's "now" (Brownie's ``chain.time()`` may run ahead of it)."""
    return int(brownie.web3.eth.get_block("latest")["timestamp"])


def proposal(
    parties: list[Any],
    shares: list[int],
    asset: Any,
    start: int,
    end: int,
    kind: int = JOINT_MARKETING,
    terms: bytes = TERMS,
    uri: str = "ipfs://terms-v1",
) -> tuple[Any, ...]:
    """An ``Agreements.Proposal`` tuple."""
    return (kind, terms, uri, [str(p) for p in parties], shares, str(asset), start, end)


@pytest.fixture(scope="module")
def propose(agreements: Any, token: Any, members: list[Any], chain: Any) -> Callable[..., int]:
    """Propose an agreement (default: members 0, 1, 2 at 50/30/20 % in cUSD for a year); return its id."""

    def make(
        parties: list[Any] | None = None,
        shares: list[int] | None = None,
        asset: Any = None,
        proposer: Any = None,
        start: int | None = None,
        end: int | None = None,
        **details: Any,
    ) -> int:
        parties = members[:3] if parties is None else parties
        shares = [5_000, 3_000, 2_000] if shares is None else shares
        current = now()
        tx = agreements.propose(
            proposal(
                parties,
                shares,
                token if asset is None else asset,
                current if start is None else start,
                current + YEAR if end is None else end,
                **details,
            ),
            {"from": proposer or parties[0]},
        )
        return int(tx.return_value)

    return make


@pytest.fixture(scope="module")
def activate(agreements: Any) -> Callable[[int], None]:
    """Have every party that has not signed the pending version sign it on chain."""

    def sign_all(agreement_id: int) -> None:
        version = agreements.agreement(agreement_id)["pendingVersion"]
        for party in agreements.partiesOf(agreement_id):
            if not agreements.hasSigned(agreement_id, version, party):
                agreements.sign(agreement_id, version, {"from": party})

    return sign_all


@pytest.fixture
def active_id(propose: Callable[..., int], activate: Callable[[int], None]) -> int:
    """An active cUSD agreement between members 0 (lead, 50 %), 1 (30 %) and 2 (20 %)."""
    agreement_id = propose()
    activate(agreement_id)
    return agreement_id


# -------------------------------------------------------------------------------------------- referrals

(REFERRAL_NONE, RECORDED, CONFIRMED, CLAIMED) = range(4)
REWARD_FIXED = 10**18  # 1 cUSD per conversion
REWARD_BPS = 500  # plus 5 % of the conversion value
REWARD_CAP = 5 * 10**18  # at most 5 cUSD per conversion
PROGRAM_BUDGET = 100 * 10**18


@pytest.fixture(scope="module")
def referrals(ReferralRewards: Any, coop: Any, accounts: Any) -> Any:
    return ReferralRewards.deploy(coop, {"from": accounts[0]})


@pytest.fixture(scope="module")
def sponsor(signers: list[Any]) -> Any:
    """The sponsor of the referral programs: a member whose key the tests hold, to sign vouchers."""
    return signers[0]


@pytest.fixture(scope="module")
def sponsor_key() -> str:
    return SIGNER_KEYS[0]


@pytest.fixture(scope="module")
def referrer(members: list[Any]) -> Any:
    return members[1]


@pytest.fixture(scope="module")
def sponsor_funds(token: Any, sponsor: Any, referrals: Any) -> Any:
    """cUSD in the sponsor's hands, approved for the ReferralRewards contract; returns the token."""
    token.mint(sponsor, 10**30, {"from": sponsor})
    token.approve(referrals, 2**256 - 1, {"from": sponsor})
    return token


def program_terms(
    asset: Any,
    expiry: int,
    fixed: int = REWARD_FIXED,
    bps: int = REWARD_BPS,
    cap: int = REWARD_CAP,
    per_referrer: int = 0,
) -> tuple[Any, ...]:
    """A ``ReferralRewards.ProgramTerms`` tuple."""
    return (str(asset), fixed, bps, cap, per_referrer, expiry)


@pytest.fixture(scope="module")
def create_program(referrals: Any, sponsor_funds: Any, sponsor: Any) -> Callable[..., int]:
    """Create a program (default: cUSD, 1 + 5 % capped at 5, 100 cUSD budget, 30 days); return its id."""

    def make(budget: int = PROGRAM_BUDGET, asset: Any = None, by: Any = None, **rule: Any) -> int:
        rule.setdefault("expiry", now() + 30 * 24 * 3600)
        asset = sponsor_funds if asset is None else asset
        value = budget if str(asset) == NATIVE else 0
        tx = referrals.createProgram(
            program_terms(asset, **rule), budget, {"from": by or sponsor, "value": value}
        )
        return int(tx.return_value)

    return make


@pytest.fixture
def program_id(create_program: Callable[..., int]) -> int:
    """The default program."""
    return create_program()


def lead(name: str, referrer: Any) -> bytes:
    """``referrer``'s commitment for lead ``name``, with a salt fixed per name (tests reproduce it)."""
    return make_commitment(name, str(referrer), keccak(text=f"salt:{name}"))


@pytest.fixture(scope="module")
def contract_member(ReentrantParty: Any, coop: Any, members: list[Any]) -> Callable[[str], Any]:
    """Deploy a ReentrantParty owned by ``members[0]`` and admit it to ``coop`` by vote; return it."""

    def admit(name: str) -> Any:
        party = ReentrantParty.deploy({"from": members[0]})
        proposal_id = coop.proposeAdmission(
            profile(party, name, "retail", "centre"), {"from": members[0]}
        ).return_value
        for voter in members:
            if coop.isActiveMember(party):
                break
            coop.approve(proposal_id, {"from": voter})
        return party

    return admit


# ---------------------------------------------------------------------------------------------- ratings

WEEK = 7 * 24 * 3600


@pytest.fixture(scope="module")
def ratings(PartnerRatings: Any, coop: Any, agreements: Any, accounts: Any) -> Any:
    return PartnerRatings.deploy(coop, agreements, {"from": accounts[0]})


@pytest.fixture
def rated_id(active_id: int, chain: Any, ratings: Any) -> int:
    """``active_id``, in force long enough for its parties to rate each other."""
    chain.sleep(ratings.MIN_TIME_IN_FORCE() + 1)
    chain.mine()
    return active_id
