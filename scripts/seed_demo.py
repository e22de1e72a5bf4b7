"""Seed the demo chain with a believable local business consortium, through real transactions.

    python scripts/seed_demo.py [--rpc-url http://127.0.0.1:8545] [--manifest deployments/31337.json]

Runs against the contracts `scripts/deploy.py` deployed (its three founders are anvil accounts 0-2) on an
anvil started with at least 80 accounts (`scripts/demo.py` starts it so). Over 26 simulated weeks (the chain's
clock is advanced a week at a time) it:

- admits 58 more businesses by member vote (61 in all) across bakeries, coffee shops, caterers, suppliers,
  plumbers, electricians, builders, shops, a clothing boutique, print shops, marketing agencies, couriers,
  in five regions; one member exits near the end;
- forms agreements of every kind inside four clusters (Old Town food, Riverside trades, Market Street retail,
  Westside makers), two amended, one disputed and resolved, one terminated;
- deposits revenue every week (mostly from customers outside the consortium, some by members themselves);
- runs referral programs with referrals, conversions confirmed on chain and by EIP-712 voucher, and claims;
  five sponsors state what they usually pay to win a customer (their programs' baselines);
- has partners rate each other (1 to 5) in week 20, on chain and by signatures a relayer submits;
- walks every path a member meets: parties withdraw what they were credited, a customer's deposit is held
  while an agreement is disputed and released when the dispute is resolved, a member is suspended and
  reinstated by vote, a sponsor revokes the vouchers it signed, and a program is closed and its unreserved
  budget reclaimed.

On purpose, so that the metrics and alerts have something true to show: **Harbour Lights Marketing** is the
broker between the food and trades clusters; **Swift Wheels Delivery** is the only link of the Westside makers
to the rest (a single point of failure); **Gilded Thread Boutique** receives its partners' revenue and
contributes almost nothing (a free rider), and two of its campaign partners rate it low (one of them changes
its 3 to a 2), while it rates them 5: the partner rated low by two others, and ratings far apart.

Deterministic: the same seed (``--seed``, default 7) gives the same consortium. A plain web3 script rather
than a Brownie one: it sends about 2 300 transactions, which web3 against an automining anvil does several
times faster than Brownie's transaction objects. It refuses to run twice on the same chain.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from web3 import HTTPProvider, Web3

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from ledger.client.transactions import Chain, Sent  # noqa: E402
from ledger.client.wallet import Wallet  # noqa: E402
from ledger.exceptions import CoopLedgerError  # noqa: E402
from ledger.protocol.codes import encode_code  # noqa: E402
from ledger.protocol.commitments import make_commitment  # noqa: E402
from ledger.protocol.eip712 import conversion_voucher, partner_rating, split_signature  # noqa: E402
from ledger.protocol.manifest import load_manifest  # noqa: E402

CUSTOMERS = 79  # the account that pays as the consortium's outside customers
ACCOUNTS_NEEDED = 80
WEEK = 7 * 24 * 3600
WEEKS = 26
UNIT = 10**18  # cUSD has 18 decimals

# (name, sector, region, cluster); the first three are deploy.py's founders, in its order
BUSINESSES: list[tuple[str, str, str, str]] = [
    ("Crumb & Co Bakery", "bakery", "north", "food"),
    ("Bean There Coffee", "coffee", "north", "food"),
    ("Swift Wheels Delivery", "delivery", "south", "hub"),
    *[
        (name, sector, "north", "food")
        for name, sector in [
            ("Rolling Pin Pastries", "bakery"),
            ("Daily Grind Cafe", "coffee"),
            ("Hearth Sourdough", "bakery"),
            ("Morning Cup Roasters", "coffee"),
            ("Old Town Catering", "catering"),
            ("Green Basket Grocers", "supplier"),
            ("Millstone Flour Supply", "supplier"),
            ("Sugar & Spice Patisserie", "bakery"),
            ("Corner Espresso Bar", "coffee"),
            ("Fresh Fields Dairy", "supplier"),
            ("Honeycomb Tea Room", "coffee"),
            ("Harvest Table Catering", "catering"),
            ("Old Town Butchers", "supplier"),
            ("Ginger Snap Biscuits", "bakery"),
        ]
    ],
    *[
        (name, sector, "south", "trades")
        for name, sector in [
            ("Riverside Plumbing", "plumbing"),
            ("Bright Spark Electrical", "electrical"),
            ("FlowRight Plumbers", "plumbing"),
            ("Volt & Wire Electricians", "electrical"),
            ("Solid Ground Builders", "construction"),
            ("Pipe Dream Heating", "plumbing"),
            ("Current Affairs Electric", "electrical"),
            ("Riverside Hardware Supply", "supplier"),
            ("Keystone Roofing", "construction"),
            ("Level Best Carpentry", "construction"),
            ("Drain Masters", "plumbing"),
            ("Lumen Lighting Installers", "electrical"),
            ("Brick & Beam Renovations", "construction"),
            ("Tiled Perfection", "construction"),
        ]
    ],
    *[
        (name, sector, "east", "retail")
        for name, sector in [
            ("Gilded Thread Boutique", "clothing"),
            ("Market Street Florist", "retail"),
            ("Paper Lantern Books", "retail"),
            ("Denim & Co", "clothing"),
            ("Little Acorn Toys", "retail"),
            ("Velvet Hanger Vintage", "clothing"),
            ("East End Print Shop", "printing"),
            ("Silver Birch Jewellers", "retail"),
            ("Cobbler's Corner", "retail"),
            ("Bloom & Petal", "retail"),
            ("Pixel Post Agency", "marketing"),
        ]
    ],
    ("Westside Tailors", "clothing", "west", "west"),
    ("Loom & Needle", "clothing", "west", "west"),
    ("Westgate Print Works", "printing", "west", "west"),
    *[
        (name, sector, "centre", "services")
        for name, sector in [
            ("Harbour Lights Marketing", "marketing"),
            ("Ledger Lane Accountants", "services"),
            ("Courier Cats", "delivery"),
            ("Town Square Media", "marketing"),
            ("Keen Eye Photography", "services"),
            ("Cloud Nine IT", "services"),
            ("Central Cleaning Co", "services"),
            ("Open Door Lettings", "services"),
            ("Fair Share Legal", "services"),
            ("Green Mile Couriers", "delivery"),
            ("Signal Boost Digital", "marketing"),
            ("Canal Side Storage", "services"),
            ("Bridge Street Bank Desk", "services"),
            ("Lamp Post Signs", "printing"),
            ("Quay Yoga Studio", "services"),
            ("Anchor Insurance Brokers", "services"),
        ]
    ],
]
CLUSTER_KINDS = {
    "food": ["supply", "joint_marketing", "resource_pooling", "shared_platform"],
    "trades": ["referral_partnership", "resource_pooling", "co_development", "joint_marketing"],
    "retail": ["joint_marketing", "resource_pooling", "other"],
    "services": ["co_development", "joint_marketing", "supply", "other"],
}


#: The free rider's agreement: its partners deposit their own sales into it, Gilded Thread hardly ever does.
CAMPAIGN = ["Denim & Co", "Gilded Thread Boutique", "Velvet Hanger Vintage", "Cobbler's Corner"]
CAMPAIGN_TAG = "market-street-campaign"
CAMPAIGN_SHARES = [3_000, 3_000, 2_000, 2_000]
SPONSORS = [
    "Riverside Plumbing",
    "Crumb & Co Bakery",
    "Harbour Lights Marketing",
    "Bright Spark Electrical",
    "Market Street Florist",
    "Ledger Lane Accountants",
]
LEAVER = "Quay Yoga Studio"
#: What each sponsor usually pays to win a customer without referrals (its program's baseline), in cUSD: the
#: plumber's leads (advertising on a trades portal) are the dearest, so its program saves it the most.
ACQUISITION_COSTS = {
    "Riverside Plumbing": 180,
    "Crumb & Co Bakery": 12,
    "Harbour Lights Marketing": 90,
    "Bright Spark Electrical": 140,
    "Market Street Florist": 25,
}  # Ledger Lane Accountants states none
#: The free rider's campaign partners rate it low in week 20 (Denim & Co gave a 3 in week 16 and changes it);
#: it rates each of them 5.
CAMPAIGN_RATINGS = {"Denim & Co": 2, "Velvet Hanger Vintage": 1}
#: How partners rate each other elsewhere: mostly 4 and 5, now and then lower.
SCORES, SCORE_WEIGHTS = [1, 2, 3, 4, 5], [2, 5, 18, 42, 33]
RATING_WEEK = 20


class Seeder:
    """Sends the demo's transactions and keeps count of them."""

    def __init__(self, chain: Chain) -> None:
        self.chain, self.w3, self.contracts, self.sent = chain, chain.w3, chain.contracts, 0
        self.accounts = list(chain.w3.eth.accounts)
        self.index = {name: i for i, (name, *_rest) in enumerate(BUSINESSES)}
        self.kinds = chain.manifest.contracts["Agreements"].enum_labels("Kind")

    def wallet(self, account: int) -> Wallet:
        """Test account ``account``'s wallet (anvil's mnemonic)."""
        return Wallet.dev(account, self.w3.eth.chain_id)

    def send(self, contract: str, function: str, *args: Any, sender: int = 0) -> Sent:
        """Send as a member would (:meth:`ledger.client.transactions.Chain.send`: simulated, signed, sent)."""
        try:
            sent = self.chain.send(contract, function, *args, signer=self.wallet(sender))
        except CoopLedgerError as exc:
            raise SystemExit(f"seed: {contract}.{function} from account {sender}: {exc}") from None
        self.sent += 1
        return sent

    def event(self, sent: Sent, contract: str, name: str, field: str) -> Any:
        """``field`` of the first ``contract.name`` event that ``sent`` emitted."""
        return self.chain.emitted(sent, contract, name)[0][field]

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def next_week(self) -> None:
        self.w3.provider.make_request("evm_increaseTime", [WEEK])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    # ------------------------------------------------------------------------------------- consortium

    def admit(self, member: int) -> None:
        """Propose ``member`` and approve it with the longest-standing members until the vote passes."""
        name, sector, region, _ = BUSINESSES[member]
        profile = (self.accounts[member], name, encode_code(sector), encode_code(region))
        proposal = self.event(
            self.send("Consortium", "proposeAdmission", profile),
            "Consortium",
            "ProposalCreated",
            "proposalId",
        )
        self.carry(proposal)

    def carry(self, proposal: int) -> None:
        """Approve ``proposal`` with the longest-standing members until the vote passes."""
        voter = 0
        while not self.chain.read("Consortium", "proposal", proposal)["executed"]:
            self.send("Consortium", "approve", proposal, sender=voter)
            voter += 1

    def change_standing(self, proposing: str, member: int) -> None:
        """Propose (``proposeSuspension`` or ``proposeReinstatement``) and carry a vote on ``member``."""
        sent = self.send("Consortium", proposing, self.accounts[member])
        self.carry(self.event(sent, "Consortium", "ProposalCreated", "proposalId"))

    # ------------------------------------------------------------------------------------- agreements

    def propose(self, kind: str, parties: list[int], shares: list[int], tag: str) -> int:
        token = self.contracts["MockERC20"].address
        now = self.now()
        proposal = (
            self.kinds.index(kind),
            Web3.keccak(text=f"terms of {tag}"),
            f"ipfs://coopledger-demo/{tag}",
            [self.accounts[party] for party in parties],
            shares,
            token,
            now,
            now + 3 * 52 * WEEK,
        )
        agreement = int(
            self.event(
                self.send("Agreements", "propose", proposal, sender=parties[0]),
                "Agreements",
                "AgreementProposed",
                "id",
            )
        )
        for party in parties[1:]:
            self.send("Agreements", "sign", agreement, 1, sender=party)
        return agreement

    def rate(self, agreement: int, rater: int, ratee: int, score: int, signed: bool = False) -> None:
        """``rater`` rates ``ratee`` under the version in force: on chain, or (``signed``) by an EIP-712
        signature that the customers' account submits for it."""
        version = int(self.chain.read("Agreements", "agreement", agreement)["currentVersion"])
        comment = Web3.keccak(text=f"{BUSINESSES[rater][0]} on {BUSINESSES[ratee][0]}: {score}/5")
        if not signed:
            self.send(
                "PartnerRatings",
                "rate",
                agreement,
                version,
                self.accounts[ratee],
                score,
                comment,
                sender=rater,
            )
            return
        nonce = self.contracts["PartnerRatings"].functions.nonces(self.accounts[rater]).call()
        rating = (
            self.accounts[rater],
            agreement,
            version,
            self.accounts[ratee],
            score,
            bytes(comment),
            nonce,
            self.now() + WEEK,
        )
        typed = partner_rating(self.w3.eth.chain_id, self.chain.manifest.contracts["PartnerRatings"], *rating)
        signature = self.wallet(rater).sign_typed_data(typed)
        self.send("PartnerRatings", "rateWithSignature", rating, signature, sender=CUSTOMERS)

    def deposit(self, agreement: int, amount: int, sender: int = CUSTOMERS) -> None:
        self.send(
            "Agreements", "deposit", agreement, self.contracts["MockERC20"].address, amount, sender=sender
        )


def _shares(count: int, rng: random.Random) -> list[int]:
    """Shares in basis points for ``count`` parties, summing to 10 000, the first (the lead) the largest."""
    weights = sorted((rng.randint(2, 6) for _ in range(count)), reverse=True)
    shares = [10_000 * weight // sum(weights) for weight in weights]
    shares[0] += 10_000 - sum(shares)
    return shares


def plan_agreements(rng: random.Random) -> list[tuple[str, list[int], str]]:
    """(kind, parties, tag) of every agreement: rings of three inside each cluster (so nobody hangs by one
    tie), a few more at random, the deliberate broker, hub and free-rider agreements."""
    members = {
        cluster: [i for i, item in enumerate(BUSINESSES) if item[3] == cluster] for cluster in CLUSTER_KINDS
    }
    members["food"].insert(
        0, BUSINESSES.index(next(b for b in BUSINESSES if b[0] == "Swift Wheels Delivery"))
    )
    plans: list[tuple[str, list[int], str]] = []
    for cluster, group in members.items():
        ring = group[:]
        rng.shuffle(ring)
        for start in range(0, len(ring), 2):
            trio = [ring[start], ring[(start + 1) % len(ring)], ring[(start + 2) % len(ring)]]
            plans.append((rng.choice(CLUSTER_KINDS[cluster]), trio, f"{cluster}-{start // 2 + 1}"))
        for extra in range(len(group) // 4):
            plans.append(
                (rng.choice(CLUSTER_KINDS[cluster]), rng.sample(group, 2), f"{cluster}-extra-{extra + 1}")
            )
    by_name = {item[0]: i for i, item in enumerate(BUSINESSES)}
    broker = by_name["Harbour Lights Marketing"]
    plans += [
        (
            "joint_marketing",
            [broker, by_name["Crumb & Co Bakery"], by_name["Daily Grind Cafe"]],
            "broker-food",
        ),
        (
            "joint_marketing",
            [broker, by_name["Riverside Plumbing"], by_name["Bright Spark Electrical"]],
            "broker-trades",
        ),
        (
            "referral_partnership",
            [broker, by_name["Hearth Sourdough"], by_name["Keystone Roofing"]],
            "broker-bridge",
        ),
        (
            "shared_platform",
            [by_name["Swift Wheels Delivery"], by_name["Westside Tailors"], by_name["Loom & Needle"]],
            "westside-delivery",
        ),
        (
            "co_development",
            [by_name["Westgate Print Works"], by_name["Westside Tailors"], by_name["Loom & Needle"]],
            "westside-makers",
        ),
        (
            "joint_marketing",
            [by_name["Pixel Post Agency"], by_name["Town Square Media"], by_name["Signal Boost Digital"]],
            "marketing-guild",
        ),
        (
            "shared_platform",
            [by_name["Courier Cats"], by_name["Green Basket Grocers"], by_name["Fresh Fields Dairy"]],
            "grocery-rounds",
        ),
        (
            "co_development",
            [by_name["Old Town Catering"], by_name["Lumen Lighting Installers"]],
            "event-lighting",
        ),
        (
            "joint_marketing",
            [by_name["Town Square Media"], by_name["Market Street Florist"], by_name["Bloom & Petal"]],
            "florist-campaign",
        ),
        ("joint_marketing", [by_name[name] for name in CAMPAIGN], CAMPAIGN_TAG),
    ]
    return plans


def seed(seeder: Seeder, rng: random.Random, progress: Callable[[str], None]) -> dict[str, int]:
    """The whole consortium, week by week (see the module's docstring). Returns counts of what it made."""
    token, accounts = seeder.contracts["MockERC20"], seeder.accounts
    by_name = {item[0]: i for i, item in enumerate(BUSINESSES)}
    joined = {0: 0, 1: 0, 2: 0}
    for member in range(3, len(BUSINESSES)):
        joined[member] = 1 + (member - 3) * 7 // (len(BUSINESSES) - 3)  # weeks 1 to 7
    plans = plan_agreements(rng)
    starts = {
        tag: max(joined[party] for party in parties) + 1 + rng.randint(0, 3) for _, parties, tag in plans
    }
    agreements: dict[str, tuple[int, list[int]]] = {}
    programs: list[tuple[int, int]] = []  # (program id, sponsor)
    pending: list[tuple[int, int, bytes, int]] = []  # (program, referrer, commitment, week to convert)
    counts = {
        "members": 3,
        "agreements": 0,
        "deposits": 0,
        "referrals": 0,
        "conversions": 0,
        "vouchers": 0,
        "withdrawals": 0,
        "ratings": 0,
    }
    # the ratings draw from their own generator: the rest of the consortium is the same with or without them
    rating_rng = random.Random(RATING_WEEK)

    def fund(account: int) -> None:
        seeder.send("MockERC20", "mint", accounts[account], 10**9 * UNIT, sender=account)
        for spender in ("Agreements", "ReferralRewards"):
            seeder.send("MockERC20", "approve", seeder.contracts[spender].address, 2**256 - 1, sender=account)

    for account in (CUSTOMERS, 0, 1, 2):
        fund(account)
    for week in range(WEEKS):
        progress(f"week {week + 1} of {WEEKS}")
        for member in [m for m, w in joined.items() if w == week and m >= 3]:
            seeder.admit(member)
            fund(member)
            counts["members"] += 1
        for kind, parties, tag in plans:
            if starts[tag] == week:
                shares = CAMPAIGN_SHARES if tag == CAMPAIGN_TAG else _shares(len(parties), rng)
                agreements[tag] = (seeder.propose(kind, parties, shares, tag), parties)
                counts["agreements"] += 1
        for tag, (agreement, parties) in agreements.items():
            if (
                tag in ("food-1", "trades-3") and week == starts[tag] + 6
            ):  # an amendment: new shares, all sign
                shares = list(reversed(_shares(len(parties), rng)))
                shares[0], shares[-1] = shares[-1], shares[0]
                seeder.send(
                    "Agreements",
                    "proposeAmendment",
                    agreement,
                    Web3.keccak(text=f"{tag} v2"),
                    "",
                    shares,
                    seeder.now() + 3 * 52 * WEEK,
                    sender=parties[0],
                )
                for party in parties:
                    if party != parties[0]:
                        seeder.send("Agreements", "sign", agreement, 2, sender=party)
            if tag == "trades-2" and week == starts[tag] + 4:
                seeder.send(
                    "Agreements",
                    "raiseDispute",
                    agreement,
                    Web3.keccak(text="late payment"),
                    sender=parties[1],
                )
            if tag == "trades-2" and week == starts[tag] + 6:  # settled: votes until it is resolved
                for party in parties:
                    sent = seeder.send("Agreements", "voteToResolve", agreement, sender=party)
                    if seeder.chain.emitted(sent, "Agreements", "DisputeResolved"):
                        break
            if tag == "retail-extra-1" and week == starts[tag] + 8:
                for party in parties:
                    seeder.send("Agreements", "consentToTerminate", agreement, sender=party)
                continue
            if tag == "retail-extra-1" and week > starts[tag] + 8:
                continue
            if tag == "trades-2" and week == starts[tag] + 5:  # a customer pays during the dispute: held
                seeder.deposit(agreement, 900 * UNIT)
                counts["deposits"] += 1
                continue
            if week < starts[tag] or (tag == "trades-2" and starts[tag] + 4 <= week < starts[tag] + 6):
                continue
            if tag == CAMPAIGN_TAG:
                for name in CAMPAIGN:
                    partner = by_name[name]
                    if name != "Gilded Thread Boutique":
                        seeder.deposit(agreement, rng.randint(150, 400) * UNIT, sender=partner)
                    elif week == starts[tag]:
                        seeder.deposit(agreement, 5 * UNIT, sender=partner)  # once, and small
                counts["deposits"] += 3
            elif rng.random() < 0.6:  # revenue from the consortium's customers
                seeder.deposit(agreement, rng.randint(40, 2_500) * UNIT + rng.randint(0, 99))
                counts["deposits"] += 1
        if week == 6:
            now = seeder.now()
            for name in SPONSORS:
                sponsor = by_name[name]
                terms = (
                    token.address,
                    rng.choice([0, 10, 25]) * UNIT,
                    rng.choice([500, 1_000]),
                    150 * UNIT,
                    0,
                    now + 52 * WEEK,
                )
                sent = seeder.send("ReferralRewards", "createProgram", terms, 2_000 * UNIT, sender=sponsor)
                program = int(seeder.event(sent, "ReferralRewards", "ProgramCreated", "programId"))
                programs.append((program, sponsor))
                if name in ACQUISITION_COSTS:  # the sponsor's usual cost of a customer: the baseline
                    cost = ACQUISITION_COSTS[name] * UNIT
                    seeder.send("ReferralRewards", "setAcquisitionCost", program, cost, sender=sponsor)
        if 7 <= week <= 22:
            for _ in range(3):
                program, sponsor = rng.choice(programs)
                referrer = rng.choice(
                    [
                        m
                        for m in joined
                        if joined[m] <= week
                        and m != sponsor
                        and BUSINESSES[m][3] == BUSINESSES[sponsor][3]
                        and BUSINESSES[m][0] != LEAVER
                    ]
                )  # referrals stay local: members refer their own cluster's customers
                commitment = make_commitment(
                    f"lead-{week}-{counts['referrals']}", accounts[referrer], rng.randbytes(32)
                )
                seeder.send("ReferralRewards", "recordReferral", program, commitment, sender=referrer)
                counts["referrals"] += 1
                if rng.random() < 0.65:
                    pending.append((program, referrer, commitment, week + rng.randint(1, 2)))
        for program, referrer, commitment, _ in [item for item in pending if item[3] == week]:
            sponsor = next(s for p, s in programs if p == program)
            value = rng.randint(200, 3_000) * UNIT
            if rng.random() < 0.3:  # the sponsor signs a voucher off chain; the referrer redeems it
                rules = seeder.contracts["ReferralRewards"].functions
                reward = rules.rewardFor(program, value).call()
                voucher = (
                    program,
                    accounts[referrer],
                    commitment,
                    value,
                    reward,
                    seeder.now() + WEEK,
                    rules.voucherNonce(program).call(),
                )
                typed = conversion_voucher(
                    seeder.w3.eth.chain_id, seeder.chain.manifest.contracts["ReferralRewards"], *voucher
                )
                v, r, s = split_signature(seeder.wallet(sponsor).sign_typed_data(typed))
                seeder.send("ReferralRewards", "redeemVoucher", voucher, v, r, s, sender=referrer)
                counts["vouchers"] += 1
            else:
                seeder.send(
                    "ReferralRewards",
                    "confirmConversion",
                    program,
                    accounts[referrer],
                    commitment,
                    value,
                    sender=sponsor,
                )
                seeder.send("ReferralRewards", "claimReward", program, commitment, sender=referrer)
            counts["conversions"] += 1
        if week == 16:  # a first impression of the free rider
            seeder.rate(
                agreements[CAMPAIGN_TAG][0], by_name["Denim & Co"], by_name["Gilded Thread Boutique"], 3
            )
            counts["ratings"] += 1
        if week == RATING_WEEK:
            counts["ratings"] += rate_partners(seeder, agreements, starts, week, rating_rng, by_name)
        if week == 12:  # suspended by vote (it missed its dues, say), and reinstated two weeks later
            seeder.change_standing("proposeSuspension", by_name[LEAVER])
        if week == 14:
            seeder.change_standing("proposeReinstatement", by_name[LEAVER])
        if week == 22:
            seeder.send("Consortium", "exit", sender=by_name[LEAVER])
        if week == 23:  # a sponsor voids the vouchers it signed for its first program
            program, sponsor = programs[0]
            seeder.send("ReferralRewards", "revokeVouchers", program, sender=sponsor)
        if week == 24:  # parties take out what their agreements credited them
            rules = seeder.contracts["Agreements"].functions
            for agreement, parties in list(agreements.values())[:6]:
                for party in parties:
                    if rules.withdrawable(agreement, accounts[party]).call():
                        seeder.send("Agreements", "withdraw", agreement, sender=party)
                        counts["withdrawals"] += 1
        if week == 25:  # the last program closes early; its sponsor takes back the unreserved budget
            program, sponsor = programs[-1]
            seeder.send("ReferralRewards", "closeProgram", program, sender=sponsor)
            if seeder.chain.read("ReferralRewards", "program", program)["budget"]:
                seeder.send("ReferralRewards", "reclaimBudget", program, sender=sponsor)
        seeder.next_week()
    return counts


def rate_partners(
    seeder: Seeder,
    agreements: dict[str, tuple[int, list[int]]],
    starts: dict[str, int],
    week: int,
    rng: random.Random,
    by_name: dict[str, int],
) -> int:
    """Partners rate each other: in each agreement in force for three weeks or more, about half of the ordered
    pairs of parties, one rating in five by signature; the free rider is rated in its campaign only, by the
    story of :data:`CAMPAIGN_RATINGS`. Returns how many ratings were given."""
    given = 0
    free_rider = by_name["Gilded Thread Boutique"]
    for tag, (agreement, parties) in agreements.items():
        if week < starts[tag] + 3:
            continue
        if tag == CAMPAIGN_TAG:
            for name, score in CAMPAIGN_RATINGS.items():
                seeder.rate(agreement, by_name[name], free_rider, score)
                seeder.rate(agreement, free_rider, by_name[name], 5)
                given += 2
            continue
        for rater in parties:
            for ratee in parties:
                if rater != ratee and ratee != free_rider and rng.random() < 0.5:
                    score = rng.choices(SCORES, SCORE_WEIGHTS)[0]
                    seeder.rate(agreement, rater, ratee, score, signed=rng.random() < 0.2)
                    given += 1
    return given


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rpc-url", default="http://127.0.0.1:8545", help="the demo chain's JSON-RPC endpoint"
    )
    parser.add_argument(
        "--manifest", type=Path, help="deployment manifest (default deployments/<chain id>.json)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the scenario's randomness")
    options = parser.parse_args(argv)
    console = Console()
    w3 = Web3(HTTPProvider(options.rpc_url, request_kwargs={"timeout": 60}))
    if not w3.is_connected():
        parser.error(f"no chain answers at {options.rpc_url}; start it with `make demo`")
    manifest_path = options.manifest or PROJECT / "deployments" / f"{w3.eth.chain_id}.json"
    try:
        chain = Chain(w3, load_manifest(manifest_path))
    except CoopLedgerError as exc:
        parser.error(str(exc))
    contracts = chain.contracts
    if "MockERC20" not in contracts:
        parser.error(f"{manifest_path} has no MockERC20: the demo seeds a development deployment only")
    if len(w3.eth.accounts) < ACCOUNTS_NEEDED:
        parser.error(
            f"the chain has {len(w3.eth.accounts)} accounts; start anvil with --accounts {ACCOUNTS_NEEDED}"
        )
    if contracts["Consortium"].functions.memberCount().call() > 3:
        console.print("seed: this chain is already seeded; nothing to do")
        return 0
    seeder = Seeder(chain)
    with Progress(
        TextColumn("seeding the demo consortium"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("", total=WEEKS)

        def step(description: str) -> None:
            bar.update(task, description=f"{description}, {seeder.sent} transactions", advance=0)
            if description != "week 1 of 26":
                bar.advance(task)

        counts = seed(seeder, random.Random(options.seed), step)
        bar.update(task, completed=WEEKS, description=f"done, {seeder.sent} transactions")
    console.print(
        f"seeded {counts['members']} members, {counts['agreements']} agreements, "
        f"{counts['deposits']} deposits, {counts['referrals']} referrals ({counts['conversions']} converted, "
        f"{counts['vouchers']} by voucher), {counts['withdrawals']} withdrawals, {counts['ratings']} ratings "
        f"in {seeder.sent} transactions"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
