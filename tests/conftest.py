"""Markers and the stores every test can run on.

The ``chain`` marker goes on each test that needs a local chain and ``postgres`` on each that needs a
PostgreSQL server, so `make check` runs the rest (no node, no server, no browser) in seconds. The dashboard's
browser test is marked ``browser`` in its module; every test under ``tests/e2e`` is marked ``e2e``.

``store_url`` is a fresh, empty event store for one test, once on SQLite and once on PostgreSQL (a database
of a throwaway cluster, :mod:`scripts.toolchain.postgres`, started once per session); ``new_store_url``
makes more of them, on the same kind of store, for a test that compares stores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scripts.toolchain.postgres import Postgres, start_postgres

#: Fixtures that start (or stand on) a local chain; a test that uses one, directly or through another
#: fixture, needs a chain. A test that starts a node itself is marked ``chain`` by hand.
CHAIN_FIXTURES = frozenset({"anvil", "deployment", "member", "served", "own_chain", "stack", "demo"})
#: Fixtures that start a PostgreSQL server.
POSTGRES_FIXTURES = frozenset({"postgres", "own_postgres"})
#: The stores ``store_url`` gives each test.
STORES = ("sqlite", "postgresql")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if CHAIN_FIXTURES & fixtures:
            item.add_marker(pytest.mark.chain)
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and "postgresql" in callspec.params.values()
        if on_postgres or POSTGRES_FIXTURES & fixtures:
            item.add_marker(pytest.mark.postgres)
        if "e2e" in Path(str(item.fspath)).parts:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL cluster for the session (stopped and removed after it)."""
    cluster = start_postgres()
    yield cluster
    cluster.stop()


@pytest.fixture
def own_postgres() -> Iterator[Postgres]:
    """A PostgreSQL cluster of one test's own, which the test may halt and resume (a database restart)."""
    cluster = start_postgres()
    yield cluster
    cluster.stop()


@pytest.fixture(params=STORES)
def new_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """Makes the URL of a new, empty store named ``name``: a SQLite file, or a new database on the
    session's PostgreSQL (the test runs once with each)."""

    def make(name: str) -> str:
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path}/{name}.db"
        cluster: Postgres = request.getfixturevalue("postgres")
        return cluster.new_database(name)

    return make


@pytest.fixture
def store_url(new_store_url: Callable[[str], str]) -> str:
    """The URL of a new, empty store, on SQLite and on PostgreSQL."""
    return new_store_url("store")
