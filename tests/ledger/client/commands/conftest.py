"""The member command line against a real anvil with the contracts deployed (six founders: accounts 0-5)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result
from web3 import Web3

from ledger.cli import app
from tests.ledger.chain_fixtures import Anvil, Deployment, deploy, iter_anvil

CUSTOMER = 9  # not a member: pays into agreements
CLOCK_LAG = 24 * 3600  # seconds the test chain's clock is behind this machine's


@dataclass
class Member:
    """Runs `coopledger` commands against the test chain."""

    anvil: Anvil
    deployment: Deployment
    folder: Path
    runner: CliRunner

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "COOPLEDGER_RPC_URL": self.anvil.url,
            "COOPLEDGER_MANIFEST": str(self.deployment.manifest_path),
            "COLUMNS": "200",
            **extra,
        }

    def run(self, *args: str, account: int | None = None, env: dict[str, str] | None = None) -> Result:
        """``coopledger ARGS`` (signed by test ``account`` with --yes when given)."""
        signer = ["--dev-account", str(account), "--yes"] if account is not None else []
        return self.runner.invoke(app, [*args, *signer], env=self.env(**(env or {})))

    def json(self, *args: str, account: int | None = None) -> Any:
        """``coopledger ARGS --json``, which must succeed, parsed."""
        result = self.run(*args, "--json", account=account)
        assert result.exit_code == 0, result.output + result.stderr
        return json.loads(result.stdout)

    def nonce(self, account: int) -> int:
        return int(self.anvil.w3.eth.get_transaction_count(Web3.to_checksum_address(self.address(account))))

    def address(self, account: int) -> str:
        return self.deployment.accounts[account]


@pytest.fixture(scope="package")
def member(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Member]:
    folder = tmp_path_factory.mktemp("member")
    # The chain's clock runs a day behind this machine's, as block times lag on a real network: what the
    # commands send (start times, deadlines) must follow the chain's time, not the local clock.
    for anvil in iter_anvil("--timestamp", str(int(time.time()) - CLOCK_LAG)):
        deployment = deploy(anvil.w3, folder)
        for account in (0, 1, 2, 3, 4, CUSTOMER):
            deployment.transact("MockERC20", "mint", deployment.accounts[account], 10**24, sender=account)
        yield Member(anvil, deployment, folder, CliRunner())


def terms_file(folder: Path, text: str) -> Path:
    path = folder / f"terms-{abs(hash(text))}.md"
    path.write_text(text, encoding="utf-8")
    return path
