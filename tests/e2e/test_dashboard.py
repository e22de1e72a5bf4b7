"""The demo stack and its dashboard in a real browser: `scripts/demo.py` (what `make demo` runs) starts anvil,
deploys, seeds the demo consortium, indexes and serves; Playwright drives Debian's chromium, headless, against
it. Screenshots go to reports/screenshots/. The last test stops the demo with Ctrl-C and checks that nothing
is left running."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from scripts.toolchain.localnode import free_port

PROJECT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT / "reports" / "screenshots"
# the whole module runs in `make test-browser`: one demo serves every test, the Ctrl-C test stops it last
pytestmark = pytest.mark.browser

# ports of the test's choosing, as `make demo CHAIN_PORT=… API_PORT=…` chooses them
CHAIN_PORT, API_PORT = free_port(), free_port()
API = f"http://127.0.0.1:{API_PORT}"
DEMO_PORTS = (CHAIN_PORT, API_PORT)
SEEDED_MEMBERS, EXITED = 61, 1  # scripts/seed_demo.py: 61 businesses admitted, one leaves


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _get(path: str) -> Any:
    with urllib.request.urlopen(f"{API}{path}", timeout=60) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def demo() -> Iterator[subprocess.Popen[str]]:
    busy = [port for port in DEMO_PORTS if _listening(port)]
    assert not busy, f"ports {busy} are in use: stop the running demo (make stop) before the browser test"
    # As a user runs it, outside make: without the compiler bridge and node_modules/.bin the Makefile exports.
    outside_make = {
        **{name: value for name, value in os.environ.items() if name != "SOLCX_BINARY_PATH"},
        "PATH": os.pathsep.join(
            part for part in os.environ["PATH"].split(os.pathsep) if not part.endswith("node_modules/.bin")
        ),
    }
    process = subprocess.Popen(
        [sys.executable, "scripts/demo.py", "--chain-port", str(CHAIN_PORT), "--api-port", str(API_PORT)],
        cwd=PROJECT,
        env=outside_make,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + 600
    while not any("coopledger demo is up" in line for line in output):
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            pytest.fail("make demo stopped before it was up:\n" + "".join(output[-40:]))
        output.append(line)
        assert time.monotonic() < deadline, "the demo did not come up within 10 minutes"
    yield process
    if process.poll() is None:  # the last test stops it; if it did not run, stop it here
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, (
        "the browser test needs Debian's chromium: sudo apt-get install chromium (make test does)"
    )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(demo: subprocess.Popen[str], browser: Browser) -> Iterator[Page]:
    opened = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    opened.on("console", console)
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.goto(f"{API}/")
    opened.wait_for_selector("body[data-ready=true]", timeout=120_000)
    yield opened
    assert problems == [], "the page logged errors"
    opened.close()


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _wait_idle(page: Page) -> None:
    page.wait_for_selector("body[data-loading=false]", timeout=120_000)


def test_the_page_draws_every_member_of_the_seeded_network(page: Page) -> None:
    _shot(page, "dashboard")
    network = _get("/v1/metrics/network")
    assert network["members"] == SEEDED_MEMBERS - EXITED
    assert page.get_attribute("#graph", "data-nodes") == str(SEEDED_MEMBERS - EXITED)
    assert page.inner_text("#card-members .value") == str(SEEDED_MEMBERS - EXITED)
    assert page.get_attribute("#graph", "data-edges") == str(network["ties"])
    active = _get(f"/v1/agreements?active_at_block={network['block']}&limit=1")["count"]
    assert page.inner_text("#card-agreements .value") == str(active)
    assert _get("/v1/agreements?status=disputed")["count"] == 0, "the seeded dispute was resolved"
    assert _get("/v1/agreements?status=terminated")["count"] == 1
    main = _get("/v1/metrics/value-sharing")["assets"][0]
    symbol = next(
        asset["symbol"] for asset in _get("/v1/assets")["data"] if asset["address"] == main["asset"]
    )
    assert page.inner_text("#card-value .value").endswith(f" {symbol}"), "amounts in whole tokens, named"
    assert f"in {symbol}" in page.inner_text("#card-value .note")
    alerts = _get("/v1/alerts")
    assert page.inner_text("#card-alerts .value") == str(alerts["count"])
    assert {alert["kind"] for alert in alerts["data"]} >= {"single_point_of_failure", "free_rider"}
    rider = next(alert for alert in alerts["data"] if alert["kind"] == "free_rider")
    name = _get(f"/v1/members/{rider['subject']}")["name"]
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
    ],
)
def test_the_demo_walks_every_path_a_member_meets(demo: subprocess.Popen[str], event: str) -> None:
    """So that every view has something true to show (issue 20)."""
    assert _get(f"/v1/events?event={event}&limit=1")["count"] >= 1, event


def test_the_demo_holds_a_deposit_during_a_dispute(demo: subprocess.Popen[str]) -> None:
    held, cursor = [], ""
    while cursor is not None:
        page = _get(f"/v1/events?event=RevenueDeposited&limit=500{cursor and '&cursor=' + cursor}")
        held += [item for item in page["data"] if item["args"]["held"]]
        cursor = page["next_cursor"]
    assert held, "a customer paid while the agreement was disputed"
    agreement = held[0]["args"]["id"]
    resolved = _get("/v1/events?event=DisputeResolved&limit=50")["data"]
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
    _shot(page, "profile")
    metrics = _get(f"/v1/metrics/members/{target['address']}")
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


def test_the_as_of_block_control_replays_the_network(page: Page) -> None:
    head = page.evaluate("window.coopledger.head")
    members = _get("/v1/members?limit=500")["data"]
    early = sorted(member["joined_block"] for member in members)[10]  # when the eleventh member joined
    page.eval_on_selector(
        "#as-of",
        "(slider, block) => { slider.value = String(block); slider.dispatchEvent(new Event('change')); }",
        early,
    )
    page.wait_for_function("(block) => window.coopledger.block === block", arg=early)
    _wait_idle(page)
    _shot(page, "as-of-early")
    expected = _get(f"/v1/metrics/network?as_of_block={early}")["members"]
    assert expected == 11
    assert page.inner_text("#card-members .value") == str(expected)
    assert page.get_attribute("#graph", "data-nodes") == str(expected)
    page.click("#to-head")
    page.wait_for_function("(block) => window.coopledger.block === block", arg=head)
    _wait_idle(page)
    assert page.inner_text("#card-members .value") == str(SEEDED_MEMBERS - EXITED)


def test_the_event_table_filters(page: Page) -> None:
    options = page.eval_on_selector_all("#filter-contract option", "(all) => all.map((o) => o.textContent)")
    assert options == ["any", *sorted(_get("/v1/contracts")["contracts"])], "the deployment's, not a list"
    page.fill("[data-testid=filter-event]", "RevenueDeposited")
    page.click("[data-testid=filter-apply]")
    expected = _get("/v1/events?event=RevenueDeposited&limit=1")["count"]
    page.wait_for_function(
        "(count) => document.querySelector('#event-count').textContent === count", arg=f"{expected:,}"
    )
    _shot(page, "audit-filtered")
    events = page.eval_on_selector_all("#event-rows tr", "(rows) => rows.map((r) => r.dataset.event)")
    assert events
    assert set(events) == {"RevenueDeposited"}
    digest = _get(f"/v1/audit/digest?to_block={page.evaluate('window.coopledger.block')}")
    assert digest["digest"] in page.inner_text("#digest")
    page.fill("[data-testid=filter-event]", "MemberAdmitted")
    page.click("[data-testid=filter-apply]")
    page.wait_for_selector("#event-rows tr[data-event=MemberAdmitted]")
    admitted = _get("/v1/events?event=MemberAdmitted&limit=1")["data"][0]["args"]
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
        _wait_idle(opened)
        opened.add_script_tag(path=str(PROJECT / "node_modules" / "axe-core" / "axe.min.js"))
        found = opened.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
    finally:
        opened.close()
    serious = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + ", ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in found
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == []


def test_ctrl_c_stops_every_process_of_the_demo(demo: subprocess.Popen[str]) -> None:
    """Last in the module: it stops the demo every test above reads (pytest runs them in file order)."""
    demo.send_signal(signal.SIGINT)
    assert demo.wait(timeout=60) == 0
    assert demo.stdout is not None
    assert "nothing is left running" in demo.stdout.read()
    time.sleep(1)
    assert not [port for port in DEMO_PORTS if _listening(port)], "a demo process still listens"
    assert not (PROJECT / ".run" / "demo.pids").exists()
