"""The dashboard's files: the page, its script, and the libraries served from node_modules (no CDN)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.api.conftest import error_of


def test_the_page_loads_only_local_scripts(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    sources = re.findall(r'<script src="([^"]+)"', page.text)
    assert sources == [
        "/vendor/cytoscape.min.js",
        "/vendor/chart.umd.min.js",
        "/static/app.js",
        "/static/desk.js",
    ]
    for source in sources:
        script = client.get(source)
        assert script.status_code == 200, source
        assert len(script.content) > 1_000, source
    # the member desk is an ES module; what it imports is served from the project too (ethers, from npm)
    desk = client.get("/static/desk.js").text
    imported = re.findall(r'^import .* from "([^"]+)";', desk, flags=re.MULTILINE)
    assert imported == ["/vendor/ethers.min.js"]
    ethers = client.get(imported[0])
    assert ethers.status_code == 200
    assert 'const version="6.' in ethers.text[:400], "ethers 6's ES module"
    assert client.get("/static/style.css").status_code == 200


def test_the_page_runs_under_a_policy_without_inline_scripts(client: TestClient) -> None:
    """The browser test (tests/e2e/test_dashboard.py) fails on any console error, a refused load among them:
    the page works under this policy."""
    page = client.get("/")
    policy = dict(
        directive.strip().split(" ", 1) for directive in page.headers["content-security-policy"].split(";")
    )
    assert policy["script-src"] == "'self'", "no inline script, no eval, no other origin"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["connect-src"] == "'self'", "the page talks to its API only"
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) == [], "every script is a file"
    assert "<style" not in page.text, "no inline style sheet"
    assert re.findall(r"<[^>]*\s(?:style|on[a-z]+)\s*=", page.text) == [], "no inline style or event handler"


def test_an_unknown_library_is_a_404_naming_it(client: TestClient) -> None:
    response = client.get("/vendor/jquery.js")
    assert response.status_code == 404
    assert "jquery.js" in str(error_of(response)["message"])
