"""Markers every test run shares: ``chain`` on each test that needs a local chain, ``browser`` on the
dashboard's browser test, so `make check` runs the rest (no node, no browser) in seconds."""

from __future__ import annotations

import pytest

#: Fixtures that start (or stand on) a local chain; a test that uses one, directly or through another
#: fixture, needs a chain. A test that starts a node itself is marked ``chain`` by hand.
CHAIN_FIXTURES = frozenset({"anvil", "deployment", "member", "served", "stack", "demo"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & CHAIN_FIXTURES:
            item.add_marker(pytest.mark.chain)
        if "browser" in names:
            item.add_marker(pytest.mark.browser)
