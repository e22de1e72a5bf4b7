"""Who signs: a keystore file (the way a member keeps its key) or, on a development chain only, one of the
chain's test accounts. The private key stays in this object: it is never printed, logged or written."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.exceptions import CoopLedgerError
from ledger.protocol.eip712 import sign_typed_data

__all__ = ["DEV_CHAIN_IDS", "DEV_MNEMONIC", "Wallet", "WalletError", "dev_account"]

#: Chains whose test accounts may sign: anvil and ganache / Hardhat defaults.
DEV_CHAIN_IDS = frozenset({31337, 1337})
#: The mnemonic anvil (and ganache with `--wallet.deterministic`) derives its test accounts from.
DEV_MNEMONIC = "test test test test test test test test test test test junk"


class WalletError(CoopLedgerError):
    """The signing account cannot be opened; the message says why and what to do."""


class Wallet:
    """An account that signs transactions and typed data. Build with :meth:`from_keystore` or :meth:`dev`."""

    def __init__(self, account: LocalAccount, source: str) -> None:
        self._account = account
        self.source = source  # where the key came from, for messages (never the key)

    def __repr__(self) -> str:
        return f"Wallet({self.address}, {self.source})"

    @property
    def address(self) -> str:
        """The checksummed address."""
        return str(self._account.address)

    @classmethod
    def from_keystore(cls, path: Path, password: str) -> Wallet:
        """Decrypt an Ethereum keystore (V3 JSON) file.

        Raises
        ------
        WalletError
            If the file is missing or not a keystore, or the password is wrong.
        """
        try:
            keystore: Any = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise WalletError(f"No keystore file at {path}.") from None
        except (OSError, ValueError) as exc:
            raise WalletError(f"{path} is not a readable keystore file: {exc}.") from None
        try:
            key = Account.decrypt(keystore, password)
        except ValueError:
            raise WalletError(
                f"Wrong password for the keystore {path} (or the file is damaged); nothing was sent."
            ) from None
        except (KeyError, TypeError):
            raise WalletError(f"{path} is not an Ethereum keystore (V3 JSON) file.") from None
        return cls(Account.from_key(key), f"keystore {path}")

    @classmethod
    def dev(cls, index: int, chain_id: int) -> Wallet:
        """Test account ``index`` of a development chain (anvil's mnemonic).

        Raises
        ------
        WalletError
            On any chain that is not a development chain (test keys are public: anybody could use them).
        """
        if chain_id not in DEV_CHAIN_IDS:
            raise WalletError(
                f"--dev-account works only on a development chain (chain id {sorted(DEV_CHAIN_IDS)}); "
                f"this chain is {chain_id}. Use --keystore with your own key."
            )
        if not 0 <= index < 1_000:
            raise WalletError(f"--dev-account must be between 0 and 999, not {index}.")
        return cls(dev_account(index), f"development account {index}")

    def sign_transaction(self, transaction: dict[str, Any]) -> bytes:
        """The signed raw transaction."""
        return bytes(self._account.sign_transaction(transaction).raw_transaction)

    def sign_typed_data(self, typed_data: dict[str, Any]) -> bytes:
        """An EIP-712 signature (65 bytes: r, s, v) of ``typed_data`` (domain, types, primaryType,
        message)."""
        return sign_typed_data(self._account.key, typed_data)


@cache
def dev_account(index: int) -> LocalAccount:
    """Test account ``index`` derived from :data:`DEV_MNEMONIC` (derivation is slow: once per index). Its key
    is public knowledge: for development chains only."""
    Account.enable_unaudited_hdwallet_features()
    account: LocalAccount = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return account
