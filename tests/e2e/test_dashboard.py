"""The demo's dashboard in a real browser (the demo and the browser: ``tests/e2e/conftest.py``). The last test
stops the demo with Ctrl-C and checks that nothing is left running."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest
from playwright.sync_api import Browser, Page
from web3 import HTTPProvider, Web3

from tests.e2e.conftest import (
    API,
    CHAIN_URL,
    DEMO_PORTS,
    EXITED,
    PROJECT,
    SEEDED_MEMBERS,
    get_json,
    listening,
    serious_violations,
    shot,
    wait_idle,
)

# the whole module runs in `make test-browser`: one demo serves every test, the Ctrl-C test stops it last
pytestmark = pytest.mark.browser


def test_the_page_draws_every_member_of_the_seeded_network(page: Page) -> None:
    shot(page, "dashboard")
    network = get_json("/v1/metrics/network")
    assert network["members"] == SEEDED_MEMBERS - EXITED
    assert page.get_attribute("#graph", "data-nodes") == str(SEEDED_MEMBERS - EXITED)
    assert page.inner_text("#card-members .value") == str(SEEDED_MEMBERS - EXITED)
    assert page.get_attribute("#graph", "data-edges") == str(network["ties"])
    active = get_json(f"/v1/agreements?active_at_block={network['block']}&limit=1")["count"]
    assert page.inner_text("#card-agreements .value") == str(active)
    assert get_json("/v1/agreements?status=disputed")["count"] == 0, "the seeded dispute was resolved"
    assert get_json("/v1/agreements?status=terminated")["count"] == 1
    main = get_json("/v1/metrics/value-sharing")["assets"][0]
    symbol = next(
        asset["symbol"] for asset in get_json("/v1/assets")["data"] if asset["address"] == main["asset"]
    )
    assert page.inner_text("#card-value .value").endswith(f" {symbol}"), "amounts in whole tokens, named"
    assert f"in {symbol}" in page.inner_text("#card-value .note")
    week = get_json(f"/v1/metrics/activity?as_of_block={network['block']}&period=week")["data"][-1]
    engaged = float(str(page.get_attribute("#card-engagement", "data-engaged")))
    assert engaged == pytest.approx(week["active_members"] / network["members"]), "the week's active members"
    assert f"+{week['new_members']} in its week" in page.inner_text("#card-members .note")
    loyalty = get_json(f"/v1/metrics/loyalty?as_of_block={network['block']}&period=month")
    retained = [month for month in loyalty["data"] if month["partner_retention"] is not None]
    retention = float(str(page.get_attribute("#card-retention", "data-retention")))
    assert retention == retained[-1]["partner_retention"], "the last month's partner retention"
    tenure = page.inner_text("#card-retention .note").split("average tenure ")[1].split(" days")[0]
    assert abs(int(tenure) - loyalty["average_tenure_days"]) <= 0.5
    saving = get_json(f"/v1/metrics/referrals?as_of_block={network['block']}")
    saved = [program for program in saving["programs"] if program["saving"] is not None]
    assert len(saved) == 5, "five sponsors stated their usual cost of a customer"
    best = max(saved, key=lambda program: int(program["saving"]))
    sponsor = get_json(f"/v1/programs/{best['program_id']}")["sponsor"]
    assert get_json(f"/v1/members/{sponsor}")["name"] == "Riverside Plumbing", "its program saves it the most"
    assert page.inner_text("#card-saving .value").endswith(f" {symbol}")
    assert "5 program(s)" in page.inner_text("#card-saving .note")
    alerts = get_json("/v1/alerts")
    assert page.inner_text("#card-alerts .value") == str(alerts["count"])
    assert {alert["kind"] for alert in alerts["data"]} >= {"single_point_of_failure", "free_rider"}
    rider = next(alert for alert in alerts["data"] if alert["kind"] == "free_rider")
    name = get_json(f"/v1/members/{rider['subject']}")["name"]
    shown = page.locator("#alerts li", has=page.locator(".kind.free_rider")).first
    assert shown.locator("button.member-name").inner_text() == name, "a member by its name"
    assert str(shown.locator("button.member-name").get_attribute("title")).startswith(rider["subject"])
    assert f" {symbol} " in shown.inner_text(), "amounts in whole tokens"
    assert rider["evidence"]["contributed"] not in shown.inner_text(), "not in smallest units"


@pytest.mark.parametrize(
    "event",
    [
        "Withdrawn",
        "DisputeResolved",
        "MemberSuspended",
        "MemberReinstated",
        "MemberExited",
        "VouchersRevoked",
        "VoucherRedeemed",
        "ProgramClosed",
        "BudgetReclaimed",
        "AcquisitionCostSet",
    ],
)
def test_the_demo_walks_every_path_a_member_meets(demo: subprocess.Popen[str], event: str) -> None:
    """So that every view has something true to show (issue 20)."""
    assert get_json(f"/v1/events?event={event}&limit=1")["count"] >= 1, event


def test_the_demo_holds_a_deposit_during_a_dispute(demo: subprocess.Popen[str]) -> None:
    held, cursor = [], ""
    while cursor is not None:
        page = get_json(f"/v1/events?event=RevenueDeposited&limit=500{cursor and '&cursor=' + cursor}")
        held += [item for item in page["data"] if item["args"]["held"]]
        cursor = page["next_cursor"]
    assert held, "a customer paid while the agreement was disputed"
    agreement = held[0]["args"]["id"]
    resolved = get_json("/v1/events?event=DisputeResolved&limit=50")["data"]
    assert any(item["args"]["id"] == agreement for item in resolved), "and the dispute released it"


def test_clicking_a_member_opens_its_profile_with_the_apis_figures(page: Page) -> None:
    target = page.evaluate(
        """() => {
          const cy = window.coopledger.cy;
          const node = cy.nodes().max((n) => n.data("betweenness")).ele;
          const at = node.renderedPosition();
          const box = cy.container().getBoundingClientRect();
          return { address: node.id(), x: box.left + at.x, y: box.top + at.y };
        }"""
    )
    page.mouse.move(target["x"], target["y"])
    page.wait_for_selector("#hover:not([hidden])")
    assert page.inner_text("#hover").startswith("Harbour Lights Marketing"), "hovering names the member"
    page.mouse.click(target["x"], target["y"])
    page.wait_for_function(
        "(address) => document.querySelector('#profile').dataset.address === address", arg=target["address"]
    )
    shot(page, "profile")
    metrics = get_json(f"/v1/metrics/members/{target['address']}")
    assert metrics["name"] == "Harbour Lights Marketing", "the seeded broker has the highest betweenness"
    assert page.inner_text("#profile-name") == metrics["name"]
    shown = page.eval_on_selector_all(
        "#profile-figures dd",
        "(cells) => Object.fromEntries(cells.map((c) => [c.dataset.figure, c.textContent]))",
    )
    assert shown["partners"] == str(metrics["partner_diversity"]["partners"])
    assert shown["PageRank"] == f"{metrics['pagerank']:.4f}"
    assert shown["betweenness"] == f"{metrics['betweenness']:.4f}"
    amounts = page.eval_on_selector_all(
        "#profile-value td[data-amount]", "(cells) => cells.map((c) => c.dataset.amount)"
    )
    assert amounts == [
        amount for flow in metrics["value"] for amount in (flow["received"], flow["contributed"])
    ]
    assert page.locator("#profile-partners li").count() == metrics["partner_diversity"]["partners"]


def test_partners_rate_the_free_rider_low_and_the_page_shows_it(page: Page) -> None:
    """The seeded story: Gilded Thread Boutique's campaign partners rate it 2 (Denim & Co, after a 3) and 1
    (Velvet Hanger Vintage), while it rates them 5. The card, the alert, the profile and the tie say so."""
    satisfaction = get_json("/v1/metrics/satisfaction")
    assert satisfaction["ratings"] > 50, "the demo's partners rated each other"
    shown_mean = float(str(page.get_attribute("#card-satisfaction", "data-mean")))
    assert shown_mean == satisfaction["mean_score"]
    assert page.inner_text("#card-satisfaction .value") == f"{satisfaction['mean_score']:.1f} / 5"
    assert f"from {satisfaction['ratings']} rating(s)" in page.inner_text("#card-satisfaction .note")
    lowest = min(
        (row for row in satisfaction["members"] if row["received"] >= 2), key=lambda row: row["received_mean"]
    )
    assert (lowest["name"], lowest["received"], lowest["received_mean"]) == ("Gilded Thread Boutique", 2, 1.5)
    raters = {get_json(f"/v1/members/{rater}")["name"] for rater in lowest["raters"]}
    assert raters == {"Denim & Co", "Velvet Hanger Vintage"}
    alerts = get_json("/v1/alerts")["data"]
    assert any(alert["kind"] == "low_rating" and alert["subject"] == lowest["member"] for alert in alerts)
    apart = {(a["evidence"]["a"], a["evidence"]["b"]) for a in alerts if a["kind"] == "ratings_far_apart"}
    assert any(lowest["member"] in pair for pair in apart), "it rates 5 those who rate it 1 or 2"
    assert page.locator("#alerts li", has=page.locator(".kind.low_rating")).count() >= 1

    page.evaluate("(address) => window.coopledger.cy.getElementById(address).emit('tap')", lowest["member"])
    page.wait_for_function(
        "(address) => document.querySelector('#profile').dataset.address === address", arg=lowest["member"]
    )
    shown = page.eval_on_selector_all(
        "#profile-figures dd",
        "(cells) => Object.fromEntries(cells.map((c) => [c.dataset.figure, c.textContent]))",
    )
    assert shown["rated by partners"] == "1.5 / 5 (2)"
    received = page.inner_text("#profile-ratings")
    assert "Denim & Co rates it 2/5" in received
    assert "Velvet Hanger Vintage rates it 1/5" in received
    shot(page, "ratings-profile")

    denim = next(r for r in lowest["raters"] if get_json(f"/v1/members/{r}")["name"] == "Denim & Co")
    page.evaluate(
        """([a, b]) => {
          const cy = window.coopledger.cy;
          const ends = (e) => [e.source().id(), e.target().id()].sort().join();
          cy.edges().filter((e) => ends(e) === [a, b].sort().join()).first().emit('tap');
        }""",
        [lowest["member"], denim],
    )
    page.wait_for_selector("#tie:not([hidden])")
    tie = page.inner_text("#tie")
    assert "Denim & Co rates 2/5" in tie
    assert "Gilded Thread Boutique rates 5/5" in tie


def test_suggested_partners_on_the_profile_and_proposed_ties_drawn_dashed(page: Page) -> None:
    """The Westside makers' only link (Swift Wheels Delivery) gets suggestions with their reasons; the
    consortium's ties for resilience and the member's suggestions are drawn dashed on demand."""
    members = get_json("/v1/members?limit=500")["data"]
    swift = next(row["address"] for row in members if row["name"] == "Swift Wheels Delivery")
    page.evaluate("(address) => window.coopledger.cy.getElementById(address).emit('tap')", swift)
    page.wait_for_function(
        "(address) => document.querySelector('#profile').dataset.address === address", arg=swift
    )
    suggested = get_json(f"/v1/members/{swift}/recommendations?top=5")["data"]
    assert suggested, "a member of a sparse network has partners to suggest"
    page.wait_for_selector(f"#profile-suggestions li[data-partner='{suggested[0]['partner']}']")
    shown = page.eval_on_selector_all(
        "#profile-suggestions li", "(items) => items.map((i) => i.dataset.partner)"
    )
    assert shown == [row["partner"] for row in suggested]
    assert suggested[0]["reasons"][0]["text"] in page.inner_text("#profile-suggestions li:first-child")

    resilience = get_json("/v1/recommendations/resilience")
    assert resilience["articulation_points"] >= 1, "the seeded single point of failure"
    assert resilience["data"][0]["articulation_points"] < resilience["articulation_points"], (
        "the first tie fixes it"
    )
    page.select_option("#proposed", "resilience")
    page.wait_for_function(
        "(count) => document.querySelector('#graph').dataset.proposed === String(count)",
        arg=len(resilience["data"]),
    )
    drawn = page.evaluate(
        "() => window.coopledger.cy.edges('.proposed').map((e) => [e.source().id(), e.target().id()])"
    )
    assert drawn == [[tie["a"], tie["b"]] for tie in resilience["data"]]
    shot(page, "proposed-ties")
    page.select_option("#proposed", "member")
    page.wait_for_function(
        "(count) => document.querySelector('#graph').dataset.proposed === String(count)", arg=len(suggested)
    )
    page.select_option("#proposed", "none")
    page.wait_for_function("() => document.querySelector('#graph').dataset.proposed === '0'")


def test_the_page_follows_a_new_block_live_through_the_stream(page: Page) -> None:
    """A customer pays into an agreement: the new block reaches the page through /v1/stream (no polling),
    which moves to the new head: the slider, the status line and the event count follow."""
    page.wait_for_selector("body[data-streaming=true]", timeout=60_000)
    followed = int(page.get_attribute("body", "data-followed") or 0)
    chain = Web3(HTTPProvider(CHAIN_URL))
    facts = get_json("/v1/contracts")
    agreement = get_json("/v1/agreements?status=active&limit=1")["data"][0]
    agreements = chain.eth.contract(
        address=facts["contracts"]["Agreements"]["address"], abi=facts["contracts"]["Agreements"]["abi"]
    )
    customer = list(chain.eth.accounts)[79]  # scripts/seed_demo.py: the outside customers, funded, approved
    sent = agreements.functions.deposit(agreement["id"], agreement["asset"], 10**18).transact(
        {"from": customer}
    )
    block = chain.eth.wait_for_transaction_receipt(sent)["blockNumber"]
    page.wait_for_function(
        "([block, followed]) => Number(document.querySelector('#as-of').max) >= block"
        " && Number(document.body.dataset.followed || 0) > followed",
        arg=[block, followed],
        timeout=60_000,
    )
    assert page.input_value("#as-of") == page.get_attribute("#as-of", "max"), "the page shows the new head"
    assert f"indexed to block {page.get_attribute('#as-of', 'max')}" in page.inner_text("#status")
    shot(page, "followed-live")


def test_the_as_of_block_control_replays_the_network(page: Page) -> None:
    head = page.evaluate("window.coopledger.head")
    members = get_json("/v1/members?limit=500")["data"]
    early = sorted(member["joined_block"] for member in members)[10]  # when the eleventh member joined
    page.eval_on_selector(
        "#as-of",
        "(slider, block) => { slider.value = String(block); slider.dispatchEvent(new Event('change')); }",
        early,
    )
    page.wait_for_function("(block) => window.coopledger.block === block", arg=early)
    wait_idle(page)
    shot(page, "as-of-early")
    expected = get_json(f"/v1/metrics/network?as_of_block={early}")["members"]
    assert expected == 11
    assert page.inner_text("#card-members .value") == str(expected)
    assert page.get_attribute("#graph", "data-nodes") == str(expected)
    page.click("#to-head")
    page.wait_for_function("(block) => window.coopledger.block === block", arg=head)
    wait_idle(page)
    assert page.inner_text("#card-members .value") == str(SEEDED_MEMBERS - EXITED)


def test_the_event_table_filters(page: Page) -> None:
    options = page.eval_on_selector_all("#filter-contract option", "(all) => all.map((o) => o.textContent)")
    assert options == ["any", *sorted(get_json("/v1/contracts")["contracts"])], "the deployment's, not a list"
    page.fill("[data-testid=filter-event]", "RevenueDeposited")
    page.click("[data-testid=filter-apply]")
    expected = get_json("/v1/events?event=RevenueDeposited&limit=1")["count"]
    page.wait_for_function(
        "(count) => document.querySelector('#event-count').textContent === count", arg=f"{expected:,}"
    )
    shot(page, "audit-filtered")
    events = page.eval_on_selector_all("#event-rows tr", "(rows) => rows.map((r) => r.dataset.event)")
    assert events
    assert set(events) == {"RevenueDeposited"}
    digest = get_json(f"/v1/audit/digest?to_block={page.evaluate('window.coopledger.block')}")
    assert digest["digest"] in page.inner_text("#digest")
    page.fill("[data-testid=filter-event]", "MemberAdmitted")
    page.click("[data-testid=filter-apply]")
    page.wait_for_selector("#event-rows tr[data-event=MemberAdmitted]")
    admitted = get_json("/v1/events?event=MemberAdmitted&limit=1")["data"][0]["args"]
    sector = bytes.fromhex(admitted["sector"].removeprefix("0x")).rstrip(b"\0").decode()
    assert f"sector={sector} " in page.inner_text("#event-rows tr:first-child td.args"), "codes read as text"


def test_axe_finds_no_serious_or_critical_accessibility_violation(
    demo: subprocess.Popen[str], browser: Browser
) -> None:
    """axe-core (npm, run in the page) on the dashboard as a member first meets it: labelled controls,
    readable contrast, landmarks. The page's policy refuses scripts it does not serve, so this page lets
    the test's own tool in (``bypass_csp``); nothing of the dashboard changes."""
    opened = browser.new_page(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
    try:
        opened.goto(f"{API}/")
        opened.wait_for_selector("body[data-ready=true]", timeout=120_000)
        wait_idle(opened)
        opened.add_script_tag(path=str(PROJECT / "node_modules" / "axe-core" / "axe.min.js"))
        found = opened.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
    finally:
        opened.close()
    assert serious_violations(found) == []


def test_ctrl_c_stops_every_process_of_the_demo(demo: subprocess.Popen[str]) -> None:
    """Last of the session (``tests/e2e/conftest.py`` puts it there): it stops the demo the others read."""
    demo.send_signal(signal.SIGINT)
    assert demo.wait(timeout=60) == 0
    assert demo.stdout is not None
    assert "nothing is left running" in demo.stdout.read()
    time.sleep(1)
    assert not [port for port in DEMO_PORTS if listening(port)], "a demo process still listens"
    assert not (PROJECT / ".run" / "demo.pids").exists()
