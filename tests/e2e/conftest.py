"""The demo stack every browser test reads, and the browser: `scripts/demo.py` (what `make demo` runs)
starts anvil, deploys, seeds the demo consortium, indexes and serves, once for the session; Playwright
drives Debian's chromium, headless, against it. Screenshots go to reports/screenshots/. The test that stops
the demo with Ctrl-C runs last (see :func:`pytest_collection_modifyitems`)."""

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
# ports of the test's choosing, as `make demo CHAIN_PORT=… API_PORT=…` chooses them
CHAIN_PORT, API_PORT = free_port(), free_port()
API = f"http://127.0.0.1:{API_PORT}"
CHAIN_URL = f"http://127.0.0.1:{CHAIN_PORT}"
DEMO_PORTS = (CHAIN_PORT, API_PORT)
#: The test that stops the demo: it runs after every other test of the session.
STOPS_THE_DEMO = "test_ctrl_c_stops_every_process_of_the_demo"
SEEDED_MEMBERS, EXITED = 61, 1  # scripts/seed_demo.py: 61 businesses admitted, one leaves


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def get_json(path: str) -> Any:
    with urllib.request.urlopen(f"{API}{path}", timeout=60) as response:
        return json.load(response)


@pytest.fixture(scope="session")
def demo() -> Iterator[subprocess.Popen[str]]:
    busy = [port for port in DEMO_PORTS if listening(port)]
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


@pytest.fixture(scope="session")
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
    note_problems(opened, problems)
    opened.goto(f"{API}/")
    opened.wait_for_selector("body[data-ready=true]", timeout=120_000)
    yield opened
    assert problems == [], "the page logged errors"
    opened.close()


def note_problems(page: Page, problems: list[str]) -> None:
    """Append to ``problems`` every error ``page`` logs or throws (a test asserts there is none)."""

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))


def serious_violations(found: list[dict[str, Any]]) -> list[str]:
    """axe-core's serious and critical violations among ``found``, each in a line (rule, help, where)."""
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + ", ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in found
        if violation["impact"] in ("serious", "critical")
    ]


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def wait_idle(page: Page) -> None:
    page.wait_for_selector("body[data-loading=false]", timeout=120_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every other test reads the demo: the one that stops it goes last, whatever the files' order."""
    items.sort(key=lambda item: item.name == STOPS_THE_DEMO)
