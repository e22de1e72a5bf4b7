"""Members act from the page with their own browser wallet (issue 20): the demo (``tests/e2e/conftest.py``),
Debian's chromium, and an injected EIP-1193 test wallet per browser context that signs with the dev chain's
keys (:mod:`tests.e2e.wallet`). Each step is checked against the chain, then against the API. Screenshots of
each step go to reports/screenshots/wallet-*.png."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_typing import ChecksumAddress
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page
from web3 import HTTPProvider, Web3

from ledger.client.wallet import dev_account
from tests.e2e.conftest import API, CHAIN_URL, PROJECT, get_json, note_problems, serious_violations, shot
from tests.e2e.wallet import TestWallet

pytestmark = pytest.mark.browser

CUSTOMER = 79  # scripts/seed_demo.py: the account that pays as the consortium's outside customers
OTHER_CHAIN = 1
PROPOSED = 1  # Agreements.Status
RECORDED, CLAIMED = 1, 3  # ReferralRewards.ReferralStatus


@dataclass
class Member:
    """One person at the page: its browser context's page and its wallet."""

    page: Page
    wallet: TestWallet

    @property
    def address(self) -> ChecksumAddress:
        return self.wallet.address

    def connect(self) -> None:
        self.page.click("#connect")
        self.page.wait_for_selector(f"body[data-desk-account='{self.address}']", timeout=60_000)

    def button(self, name: str, within: str = "#desk") -> None:
        self.forget_progress()
        self.page.locator(within).get_by_role("button", name=name, exact=True).first.click()

    def forget_progress(self) -> None:
        """Blank the page's last words, so that :meth:`finished` waits for the next ones."""
        self.page.eval_on_selector("#desk-progress", "(shown) => { shown.textContent = ''; }")

    def send(self) -> str:
        """Send the open dialog's action; the words the page ends with (done, or why nothing was sent)."""
        self.forget_progress()
        self.page.click("#action-send")
        return self.finished()

    def finished(self) -> str:
        self.page.wait_for_function(
            "() => /the ledger shows it|nothing was sent|declined/.test("
            "document.querySelector('#desk-progress').textContent)",
            timeout=120_000,
        )
        return self.page.inner_text("#desk-progress")

    def refresh(self) -> None:
        """Read the desk again (the page reads it after the member's own actions, not after others')."""
        reads = self.page.get_attribute("body", "data-desk-reads")
        self.page.click("#desk-refresh")
        self.page.wait_for_function("(reads) => document.body.dataset.deskReads !== reads", arg=reads)


@pytest.fixture(scope="module")
def facts(demo: Any) -> dict[str, Any]:
    found: dict[str, Any] = get_json("/v1/contracts")
    return found


@pytest.fixture(scope="module")
def chain(facts: dict[str, Any]) -> Web3:
    return Web3(HTTPProvider(CHAIN_URL))


@pytest.fixture
def people(demo: Any, browser: Browser, facts: dict[str, Any]) -> Iterator[Callable[..., Member]]:
    """Open the page as dev account ``index`` in a browser context of its own, with its wallet."""
    contexts: list[BrowserContext] = []
    wallets: list[TestWallet] = []
    problems: list[str] = []

    def open_as(
        index: int, on_chain: int | None = None, knows: set[int] | None = None, connect: bool = True
    ) -> Member:
        context = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
        wallet = TestWallet(
            CHAIN_URL,
            dev_account(index),
            on_chain if on_chain is not None else facts["chain_id"],
            knows if knows is not None else {facts["chain_id"]},
        )
        wallet.install(context)
        page = context.new_page()
        note_problems(page, problems)
        page.goto(f"{API}/")
        page.wait_for_selector("body[data-ready=true]", timeout=120_000)
        contexts.append(context)
        wallets.append(wallet)
        member = Member(page, wallet)
        if connect:
            member.connect()
        return member

    yield open_as
    for context in contexts:
        context.close()
    assert [failure for wallet in wallets for failure in wallet.failures] == [], "the test wallet failed"
    assert problems == [], "the page logged errors"


def _contract(chain: Web3, facts: dict[str, Any], name: str) -> Any:
    found = facts["contracts"][name]
    return chain.eth.contract(address=found["address"], abi=found["abi"])


def _token(chain: Web3, facts: dict[str, Any]) -> Any:
    return chain.eth.contract(address=facts["assets"][0]["address"], abi=facts["token_abi"])


def _active_dev_members(count: int) -> list[int]:
    """The first ``count`` dev accounts that are active members of the demo consortium."""
    active = {row["address"] for row in get_json("/v1/members?status=active&limit=500")["data"]}
    found = [index for index in range(60) if dev_account(index).address in active]
    assert len(found) >= count
    return found[:count]


def test_a_member_connects_and_sees_what_awaits_it(people: Callable[..., Member]) -> None:
    [index] = _active_dev_members(1)
    member = people(index)
    shot(member.page, "wallet-connected")
    desk = get_json(f"/v1/members/{member.address}/desk")
    assert desk["member"]["name"] in member.page.inner_text("#desk-who")
    for agreement in desk["agreements"]:
        left = int(agreement["credited"]) - int(agreement["withdrawn"])
        shown = member.page.get_attribute(
            f"[data-agreement='{agreement['id']}'] .withdrawable [data-amount]", "data-amount"
        )
        assert shown == str(left), f"what it may withdraw from agreement {agreement['id']}"
    assert member.page.locator("#desk-conversions li").count() == max(1, len(desk["conversions_to_confirm"]))
    assert member.wallet.sent == [], "looking costs nothing"
    assert member.wallet.signed == []
    assert "eth_requestAccounts" in member.wallet.asked


def test_parties_sign_by_typed_data_a_customer_pays_and_a_party_withdraws(
    people: Callable[..., Member], chain: Web3, facts: dict[str, Any]
) -> None:
    lead_index, second_index, third_index = _active_dev_members(3)
    lead, second, third = people(lead_index), people(second_index), people(third_index)
    agreements = _contract(chain, facts, "Agreements")

    # the lead proposes: the terms document is hashed in the browser, never uploaded
    terms = b"We share the market stall on Saturdays, 50/30/20."
    lead.button("Propose an agreement")
    lead.page.fill("#field-parties", f"{lead.address} 50\n{second.address} 30\n{third.address} 20")
    lead.page.set_input_files(
        "#field-terms", files=[FilePayload(name="terms.txt", mimeType="text/plain", buffer=terms)]
    )
    assert "the ledger shows it" in lead.send()
    agreement = max(
        row["id"] for row in get_json(f"/v1/agreements?party={third.address}&status=proposed")["data"]
    )
    assert agreements.functions.versionOf(agreement, 1).call()[0] == Web3.keccak(terms), "the terms' digest"
    shot(lead.page, "wallet-proposed")

    # two parties sign off line, each in its own browser context
    signatures = []
    for party in (second, third):
        party.refresh()
        row = party.page.locator("#desk-versions li", has_text=f"Agreement {agreement},")
        row.get_by_role("button", name="Sign off line (typed data)").click()
        party.page.wait_for_selector("#desk-output:not([hidden])")
        signatures.append(party.page.input_value("#desk-output-text"))
        assert party.wallet.sent == [], "signing off line sends nothing"
        assert party.wallet.signed[-1]["primaryType"] == "AgreementApproval"
    shot(third.page, "wallet-signed-off-line")
    assert agreements.functions.agreement(agreement).call()[1] == PROPOSED, "still proposed on chain"

    # the lead submits both signatures: the agreement is in force
    lead.button("Submit collected signatures")
    lead.page.fill("#field-agreement", str(agreement))
    lead.page.fill("#field-signatures", "\n".join(signatures))
    assert "the ledger shows it" in lead.send()
    assert get_json(f"/v1/agreements/{agreement}")["status"] == "active"
    shot(lead.page, "wallet-submitted")

    # a customer (not a member) pays 100 tokens into it
    customer = people(CUSTOMER)
    token = _token(chain, facts)
    paid_before = token.functions.balanceOf(customer.address).call()
    customer.button("Deposit into an agreement")
    customer.page.fill("#field-agreement", str(agreement))
    customer.page.fill("#field-amount", "100")
    assert "the ledger shows it" in customer.send()
    unit = 10 ** int(facts["assets"][0]["decimals"])
    assert paid_before - token.functions.balanceOf(customer.address).call() == 100 * unit, "on chain"
    parties = {row["party"]: row for row in get_json(f"/v1/agreements/{agreement}")["parties"]}
    assert int(parties[second.address]["credited"]) == 30 * unit, "and in the API"
    shot(customer.page, "wallet-deposited")

    # the second party withdraws its 30
    held_before = token.functions.balanceOf(second.address).call()
    second.refresh()
    withdrawable = f"[data-agreement='{agreement}'] .withdrawable [data-amount='{30 * unit}']"
    second.page.wait_for_selector(withdrawable)
    second.button("Withdraw", f"[data-agreement='{agreement}']")
    assert "the ledger shows it" in second.finished()
    assert token.functions.balanceOf(second.address).call() - held_before == 30 * unit
    parties = {row["party"]: row for row in get_json(f"/v1/agreements/{agreement}")["parties"]}
    assert parties[second.address]["withdrawn"] == parties[second.address]["credited"]
    shot(second.page, "wallet-withdrawn")

    # the same signatures again: the simulation refuses in the contract's words, and nothing is sent
    nonce = chain.eth.get_transaction_count(customer.address)
    sent = list(customer.wallet.sent)
    customer.button("Submit collected signatures")
    customer.page.fill("#field-agreement", str(agreement))
    customer.page.fill("#field-signatures", "\n".join(signatures))
    said = customer.send()
    assert "nothing was sent" in said
    natspec = facts["contracts"]["Agreements"]["errors"]["AgreementVersionNotPending"]
    assert natspec.split("`")[2].strip() in said, "the contract's own NatSpec text"
    assert chain.eth.get_transaction_count(customer.address) == nonce
    assert customer.wallet.sent == sent
    shot(customer.page, "wallet-revert")


def test_a_referral_is_recorded_redeemed_by_voucher_and_another_claimed(
    people: Callable[..., Member], chain: Web3, facts: dict[str, Any]
) -> None:
    programs = list(get_json("/v1/programs?status=open&limit=500")["data"])
    sponsors = {dev_account(index).address: index for index in _active_dev_members(40)}
    program = next(row for row in programs if row["sponsor"] in sponsors)
    sponsor = people(sponsors[program["sponsor"]])
    referrer = people(next(index for address, index in sponsors.items() if address != program["sponsor"]))
    rewards = _contract(chain, facts, "ReferralRewards")

    commitments = []
    for lead in ("order 7781", "order 7782"):
        referrer.button("Record a referral")
        referrer.page.fill("#field-program", str(program["id"]))
        referrer.page.fill("#field-lead", lead)
        assert "the ledger shows it" in referrer.send()
        kept = json.loads(referrer.page.input_value("#desk-output-text"))
        assert kept["lead"] == lead
        assert kept["referrer"] == referrer.address
        commitments.append(kept["commitment"])
    salts = json.loads(referrer.page.evaluate("localStorage.getItem('coopledger.referral-salts')"))
    assert [item["commitment"] for item in salts] == commitments, "the salts, kept in this browser only"
    for commitment in commitments:
        assert rewards.functions.referral(program["id"], referrer.address, commitment).call()[0] == RECORDED
    shot(referrer.page, "wallet-referral-recorded")

    # the sponsor signs a voucher for the first in its own context; the referrer redeems it
    sponsor.refresh()
    row = sponsor.page.locator("#desk-conversions li", has_text=commitments[0][:6])
    row.get_by_role("button", name="Sign a voucher").click()
    sponsor.page.fill("#field-value", "250")
    sponsor.page.click("#action-send")
    sponsor.page.wait_for_selector("#desk-output:not([hidden])")
    voucher = sponsor.page.input_value("#desk-output-text")
    assert sponsor.wallet.sent == []
    assert sponsor.wallet.signed[-1]["primaryType"] == "ConversionVoucher"
    shot(sponsor.page, "wallet-voucher-signed")
    referrer.button("Redeem a voucher")
    referrer.page.fill("#field-text", voucher)
    assert "the ledger shows it" in referrer.send()
    redeemed = get_json(f"/v1/referrals/{program['id']}/{referrer.address}/{commitments[0]}")
    assert redeemed["status"] == "claimed"
    assert redeemed["via_voucher"] is True

    # the sponsor confirms the second on chain; the referrer claims its reward
    sponsor.refresh()
    row = sponsor.page.locator("#desk-conversions li", has_text=commitments[1][:6])
    row.get_by_role("button", name="Confirm a conversion").click()
    sponsor.page.fill("#field-value", "120")
    assert "the ledger shows it" in sponsor.send()
    confirmed = get_json(f"/v1/referrals/{program['id']}/{referrer.address}/{commitments[1]}")
    assert confirmed["status"] == "confirmed"
    referrer.refresh()
    referrer.button("Claim", "#desk-rewards")
    assert "the ledger shows it" in referrer.finished()
    claimed = get_json(f"/v1/referrals/{program['id']}/{referrer.address}/{commitments[1]}")
    assert claimed["status"] == "claimed"
    assert rewards.functions.referral(program["id"], referrer.address, commitments[1]).call()[0] == CLAIMED
    shot(referrer.page, "wallet-reward-claimed")


def test_the_wrong_network_is_offered_a_switch(people: Callable[..., Member], facts: dict[str, Any]) -> None:
    [index] = _active_dev_members(1)
    member = people(index, on_chain=OTHER_CHAIN, knows={OTHER_CHAIN, facts["chain_id"]}, connect=False)
    member.page.click("#connect")
    member.page.wait_for_selector("#network-warning:not([hidden])")
    assert str(facts["chain_id"]) in member.page.inner_text("#network-warning")
    assert member.page.is_hidden("#desk-body"), "nothing to act on from the wrong network"
    shot(member.page, "wallet-wrong-network")
    member.page.click("#switch-network")
    member.page.wait_for_selector("#desk-body:not([hidden])")
    assert member.wallet.chain_id == facts["chain_id"]

    # a wallet that does not know the chain is offered it, with the operator's RPC URL
    stranger = people(index, on_chain=OTHER_CHAIN, knows={OTHER_CHAIN}, connect=False)
    stranger.page.click("#connect")
    stranger.page.click("#switch-network")
    stranger.page.wait_for_selector("#desk-body:not([hidden])")
    assert "wallet_addEthereumChain" in stranger.wallet.asked
    assert facts["rpc_url"] == CHAIN_URL


def test_a_declined_request_sends_nothing(people: Callable[..., Member], chain: Web3) -> None:
    [index] = _active_dev_members(1)
    member = people(index)
    nonce = chain.eth.get_transaction_count(member.address)
    member.wallet.decline.add("eth_sendTransaction")
    member.button("Propose an admission")
    member.page.fill("#field-account", dev_account(77).address)
    member.page.fill("#field-name", "Corner Florist")
    member.page.fill("#field-sector", "florist")
    member.page.fill("#field-region", "old-town")
    assert "You declined the request in your wallet: nothing was sent." in member.send()
    assert chain.eth.get_transaction_count(member.address) == nonce
    shot(member.page, "wallet-declined")

    # and a declined signature: nothing is offered to hand over
    agreements = get_json(f"/v1/members/{member.address}/desk")["agreements"]
    assert agreements, "the demo's members are parties to agreements"
    member.wallet.decline.add("eth_signTypedData_v4")
    member.page.evaluate("() => { document.querySelector('#desk-output').hidden = true; }")
    member.button("Propose an agreement")
    member.page.fill(
        "#field-parties", f"{member.address} 60\n{dev_account(_active_dev_members(2)[1]).address} 40"
    )
    member.page.set_input_files(
        "#field-terms", files=[FilePayload(name="t.txt", mimeType="text/plain", buffer=b"x")]
    )
    assert "the ledger shows it" in member.send()
    proposed = max(
        row["id"] for row in get_json(f"/v1/agreements?party={member.address}&status=proposed")["data"]
    )
    other = people(_active_dev_members(2)[1])
    other.wallet.decline.add("eth_signTypedData_v4")
    other.page.locator("#desk-versions li", has_text=f"Agreement {proposed},").get_by_role(
        "button", name="Sign off line (typed data)"
    ).click()
    assert "declined" in other.finished()
    assert other.page.is_hidden("#desk-output"), "no signature to hand over"


def test_an_account_that_is_not_a_member_may_only_pay_and_redeem(people: Callable[..., Member]) -> None:
    """A customer may pay, redeem a voucher and relay what members signed (approvals, ratings): no more."""
    customer = people(CUSTOMER)
    assert "is not a member of the consortium" in customer.page.inner_text("#desk-who")
    actions = customer.page.locator("#desk-actions button").all_inner_texts()
    assert actions == [
        "Deposit into an agreement",
        "Redeem a voucher",
        "Submit collected signatures",
        "Submit a signed rating",
    ]
    assert get_json(f"/v1/members/{customer.address}/desk")["member"] is None
    shot(customer.page, "wallet-not-a-member")


def test_axe_finds_no_serious_violation_with_a_wallet_connected(
    demo: Any, browser: Browser, facts: dict[str, Any]
) -> None:
    """The desk, connected, and an action's dialog open: labelled controls, keyboard focus, contrast."""
    context = browser.new_context(viewport={"width": 1400, "height": 1100}, bypass_csp=True)
    wallet = TestWallet(
        CHAIN_URL, dev_account(_active_dev_members(1)[0]), facts["chain_id"], {facts["chain_id"]}
    )
    wallet.install(context)
    try:
        page = context.new_page()
        page.goto(f"{API}/")
        page.wait_for_selector("body[data-ready=true]", timeout=120_000)
        Member(page, wallet).connect()
        page.add_script_tag(path=str(PROJECT / "node_modules" / "axe-core" / "axe.min.js"))
        found = []
        for state in ("connected", "dialog"):
            if state == "dialog":
                page.locator("#desk").get_by_role("button", name="Propose an agreement", exact=True).click()
            found += page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            )
    finally:
        context.close()
    assert serious_violations(found) == []


def test_a_member_votes_disputes_amends_and_runs_a_program(
    people: Callable[..., Member], chain: Web3, facts: dict[str, Any]
) -> None:
    """The rest of the member's actions, each from its desk: an admission proposed and approved, a dispute
    raised and resolved by the other party's vote, an amendment proposed, and a program created (its budget
    approved first), funded, its vouchers revoked, closed and its budget reclaimed."""
    [index] = _active_dev_members(1)
    member = people(index)
    mine = get_json(f"/v1/members/{member.address}/desk")["agreements"]
    agreement = next(row["id"] for row in mine if row["status"] == "active")
    parties = get_json(f"/v1/agreements/{agreement}")["parties"]
    partner_address = next(row["party"] for row in parties if row["party"] != member.address)
    partner = people(next(i for i in range(60) if dev_account(i).address == partner_address))

    member.button("Propose an admission")
    for field, value in (("account", dev_account(76).address), ("name", "Quayside Florist")):
        member.page.fill(f"#field-{field}", value)
    member.page.fill("#field-sector", "florist")
    member.page.fill("#field-region", "harbour")
    assert "the ledger shows it" in member.send()
    proposal = max(row["id"] for row in get_json(f"/v1/members/{partner.address}/desk")["proposals_to_vote"])
    partner.refresh()
    partner.button("Approve", f"#desk-proposals li:has-text('Proposal {proposal}:')")
    assert "the ledger shows it" in partner.finished()
    assert _contract(chain, facts, "Consortium").functions.hasApproved(proposal, partner.address).call()

    member.button("Raise a dispute", f"[data-agreement='{agreement}']")
    member.page.fill("#field-statement", "The stall was not shared on Saturday.")
    assert "the ledger shows it" in member.send()
    assert get_json(f"/v1/agreements/{agreement}")["status"] == "disputed"
    partner.refresh()
    partner.button("Vote to resolve", f"#desk-disputes li:has-text('Agreement {agreement}:')")
    assert "the ledger shows it" in partner.finished()
    assert get_json(f"/v1/agreements/{agreement}")["status"] == "active", "the other party's vote resolves it"

    member.button("Amend", f"[data-agreement='{agreement}']")
    shares = [100 // len(parties)] * (len(parties) - 1)
    member.page.fill("#field-shares", " ".join(str(share) for share in [*shares, 100 - sum(shares)]))
    member.page.set_input_files(
        "#field-terms", files=[FilePayload(name="v2.txt", mimeType="text/plain", buffer=b"v2")]
    )
    assert "the ledger shows it" in member.send()
    pending = get_json(f"/v1/agreements/{agreement}")["pending_version"]
    partner.refresh()
    assert (
        partner.page.locator(
            "#desk-versions li", has_text=f"Agreement {agreement}, version {pending}"
        ).count()
        == 1
    )
    shot(partner.page, "wallet-amendment-to-sign")

    before = get_json(f"/v1/members/{member.address}/desk")["programs"]
    member.button("Create a referral program")
    member.page.fill("#field-budget", "100")
    assert "the ledger shows it" in member.send()
    program = next(
        row for row in get_json(f"/v1/members/{member.address}/desk")["programs"] if row not in before
    )
    unit = 10 ** int(facts["assets"][0]["decimals"])
    assert int(program["funded"]) == 100 * unit
    row = f"#desk-programs li:has-text('Program {program['id']} ')"
    member.button("Fund", row)
    member.page.fill("#field-amount", "50")
    assert "the ledger shows it" in member.send()
    for action in ("Revoke its vouchers", "Close", "Reclaim the budget left"):
        member.button(action, row)
        assert "the ledger shows it" in member.finished()
    closed = get_json(f"/v1/programs/{program['id']}")
    assert (closed["status"], closed["funded"], closed["reclaimed"]) == (
        "closed",
        str(150 * unit),
        str(150 * unit),
    )
    shot(member.page, "wallet-program-closed")


def test_a_member_rates_a_partner_on_chain_and_another_submits_its_signed_rating(
    people: Callable[..., Member], chain: Web3, facts: dict[str, Any]
) -> None:
    """From the desk: a rating sent from the member's wallet (its comment hashed in the browser), then a
    changed rating signed off line and submitted by its partner, who pays the gas; the newest counts."""
    indices = {dev_account(index).address: index for index in _active_dev_members(40)}
    mine, agreement = next(
        (address, row)
        for address in indices
        for row in get_json(f"/v1/members/{address}/desk")["agreements"]
        if row["status"] == "active"
        and row["current_version"] >= 1
        and sum(party["party"] in indices for party in get_json(f"/v1/agreements/{row['id']}")["parties"])
        >= 2
    )
    partner_address = next(
        party["party"]
        for party in get_json(f"/v1/agreements/{agreement['id']}")["parties"]
        if party["party"] != mine and party["party"] in indices
    )
    member, partner = people(indices[mine]), people(indices[partner_address])
    ratings = _contract(chain, facts, "PartnerRatings")

    member.button("Rate a partner", f"[data-agreement='{agreement['id']}']")
    member.page.select_option("#field-partner", partner_address)
    member.page.select_option("#field-score", "3")
    member.page.fill("#field-comment", "Deliveries were late twice in May.")
    assert "the ledger shows it" in member.send()
    counted = get_json(f"/v1/ratings?member={mine}&agreement_id={agreement['id']}")["data"]
    given = next(row for row in counted if row["rater"] == mine and row["ratee"] == partner_address)
    assert (given["score"], given["version"]) == (3, agreement["current_version"])
    assert given["comment_hash"] == Web3.keccak(text="Deliveries were late twice in May.").to_0x_hex()
    shot(member.page, "wallet-rated")

    sent_before = len(member.wallet.sent)
    member.button("Rate a partner", f"[data-agreement='{agreement['id']}']")
    member.page.select_option("#field-partner", partner_address)
    member.page.select_option("#field-score", "4")
    member.page.select_option("#field-how", "offline")
    member.page.click("#action-send")
    member.page.wait_for_selector("#desk-output:not([hidden])")
    signed = member.page.input_value("#desk-output-text")
    assert len(member.wallet.sent) == sent_before, "signing a rating sends nothing"
    assert member.wallet.signed[-1]["primaryType"] == "PartnerRating"
    partner.button("Submit a signed rating")
    partner.page.fill("#field-text", signed)
    assert "the ledger shows it" in partner.send()
    assert ratings.functions.nonces(mine).call() >= 1
    counted = get_json(f"/v1/ratings?member={mine}&agreement_id={agreement['id']}")["data"]
    newest = next(row for row in counted if row["rater"] == mine and row["ratee"] == partner_address)
    assert newest["score"] == 4, "the newest rating counts"
    replayed = get_json(f"/v1/events?event=PartnerRated&address={mine}&limit=500")["data"]
    scores = [int(item["args"]["score"]) for item in replayed if item["args"]["ratee"] == partner_address]
    assert scores[-2:] == [3, 4], "both ratings stay in the history"
