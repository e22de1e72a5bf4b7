"""The ``chain`` marker on each test that needs a local chain, so `make check` runs the rest (no node, no
browser) in seconds. The dashboard's browser test is marked ``browser`` in its module."""

from __future__ import annotations

import pytest

#: Fixtures that start (or stand on) a local chain; a test that uses one, directly or through another
#: fixture, needs a chain. A test that starts a node itself is marked ``chain`` by hand.
CHAIN_FIXTURES = frozenset({"anvil", "deployment", "member", "served", "stack", "demo"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if CHAIN_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.chain)
