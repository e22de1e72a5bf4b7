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
    assert sources == ["/vendor/cytoscape.min.js", "/vendor/chart.umd.min.js", "/static/app.js"]
    for source in sources:
        script = client.get(source)
        assert script.status_code == 200, source
        assert len(script.content) > 1_000, source
    assert client.get("/static/style.css").status_code == 200


def test_an_unknown_library_is_a_404_naming_it(client: TestClient) -> None:
    response = client.get("/vendor/jquery.js")
    assert response.status_code == 404
    assert "jquery.js" in str(error_of(response)["message"])
