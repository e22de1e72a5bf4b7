"""Shared fixtures for the Brownie contract tests.

Every test runs in its own snapshot of the chain (``fn_isolation``), so the module-scoped deployments below
are made once per module and each test starts from the same state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import brownie
import pytest
from brownie.test.managers.runner import RevertContextManager

from ledger.codes import encode_code


def reverts_with(error: str, *args: Any) -> RevertContextManager:
    """Expect a revert with the custom error ``error`` and exactly these arguments.

    Brownie decodes custom errors from the project's ABIs into ``"Name: arg1, arg2"``, with addresses
    in lower case and byte strings as hex.
    """
    return brownie.reverts(f"{error}: {', '.join(_error_argument(arg) for arg in args)}")


def _error_argument(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    text = str(value)
    return text.lower() if text.startswith("0x") else text


@pytest.fixture(autouse=True)
def isolation(fn_isolation: None) -> None:
    """Roll the chain back after every test."""


@pytest.fixture(scope="module")
def founders(accounts: Any) -> list[Any]:
    """The three founding members: a bakery, a coffee shop and a delivery company."""
    return list(accounts[:3])


@pytest.fixture(scope="module")
def outsider(accounts: Any) -> Any:
    """An account that is not a member."""
    return accounts[9]


@pytest.fixture(scope="module")
def founder_profiles(founders: list[Any]) -> list[tuple[str, str, bytes, bytes]]:
    """Constructor tuples ``(account, name, sector, region)`` for the founders."""
    names = [
        ("Crumb & Co", "bakery", "north"),
        ("Bean There", "coffee", "north"),
        ("Swift Wheels", "delivery", "south"),
    ]
    return [
        (account.address, name, encode_code(sector), encode_code(region))
        for account, (name, sector, region) in zip(founders, names, strict=True)
    ]


QUORUM_BPS = 5_000
VOTING_PERIOD = 7 * 24 * 3600


@pytest.fixture(scope="module")
def deploy_consortium(Consortium: Any, founders: list[Any]) -> Callable[..., Any]:
    """Deploy a Consortium from the first founder: founder tuples, quorum (bps) and voting period (s)."""

    def deploy(profiles: list[Any], quorum_bps: int = QUORUM_BPS, voting_period: int = VOTING_PERIOD) -> Any:
        return Consortium.deploy(profiles, quorum_bps, voting_period, {"from": founders[0]})

    return deploy


@pytest.fixture(scope="module")
def consortium(deploy_consortium: Callable[..., Any], founder_profiles: list[Any]) -> Any:
    """A consortium with the three founders, a 50 % quorum and a 7-day voting period."""
    return deploy_consortium(founder_profiles)


def profile(
    account: Any, name: str, sector: str = "plumbing", region: str = "east"
) -> tuple[str, str, bytes, bytes]:
    """A member profile tuple as the contract takes it."""
    return (str(account), name, encode_code(sector), encode_code(region))
