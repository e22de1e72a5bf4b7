"""Fixtures for the ledger tests that need a chain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ledger.chain_fixtures import Anvil, Deployment, deploy, iter_anvil


@pytest.fixture
def anvil() -> Iterator[Anvil]:
    """A fresh anvil for one test."""
    yield from iter_anvil()


@pytest.fixture
def deployment(anvil: Anvil, tmp_path: Path) -> Deployment:
    """The project's contracts on a fresh anvil, with their manifest in ``tmp_path``."""
    return deploy(anvil.w3, tmp_path)
