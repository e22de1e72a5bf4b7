"""Settings of the indexer and the service, from environment variables and an optional TOML file.

Every setting has an environment variable ``COOPLEDGER_<NAME>`` (e.g. ``COOPLEDGER_RPC_URL``) and a key
``<name>`` in the ``[coopledger]`` table of a TOML file (``COOPLEDGER_CONFIG`` or ``--config``); the
environment wins. Values are validated at start: a wrong one stops the program with a message that names
the variable, what is wrong, and what was given.

pydantic-settings would do this, but no release of it installs beside eth-brownie's pins (it needs
python-dotenv >= 0.21, Brownie pins 0.16.0); this module is the small part of it we need.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ledger.exceptions import CoopLedgerError

__all__ = ["ENV_PREFIX", "Settings", "SettingsError", "load_settings"]

ENV_PREFIX = "COOPLEDGER_"
DEFAULT_STORE_URL = "sqlite:///data/coopledger.db"


class SettingsError(CoopLedgerError):
    """A setting is missing or invalid; the message names each one and what to give instead."""


class Settings(BaseModel):
    """What the indexer and the API need to run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rpc_url: str = Field(
        default="http://127.0.0.1:8545", description="JSON-RPC endpoint of the chain (http, https, ws, wss)"
    )
    store_url: str = Field(
        default=DEFAULT_STORE_URL, description="SQLAlchemy URL of the event store (sqlite or postgresql)"
    )
    manifest: Path = Field(
        default=Path("deployments/31337.json"), description="deployment manifest written by the deploy script"
    )
    confirmations: int = Field(
        default=0, ge=0, le=10_000, description="blocks to wait before indexing a block (0 on a dev chain)"
    )
    batch_blocks: int = Field(
        default=100, ge=1, le=1_000_000, description="first eth_getLogs range, in blocks (it then adapts)"
    )
    max_batch_blocks: int = Field(
        default=100_000, ge=1, le=10_000_000, description="largest eth_getLogs range, in blocks"
    )
    poll_interval: float = Field(
        default=0.25, gt=0, le=3_600, description="seconds between polls for new blocks when following"
    )

    api_host: str = Field(default="127.0.0.1", description="address `coopledger serve` listens on")
    api_port: int = Field(default=8000, ge=1, le=65_535, description="port `coopledger serve` listens on")
    api_token: str | None = Field(
        default=None,
        min_length=16,
        description="bearer token that state-changing endpoints require (unset: they are refused)",
    )
    alert_max_hhi: float = Field(
        default=0.25, gt=0, le=1, description="alert when one asset's value received is more concentrated"
    )
    alert_free_rider_ratio: float = Field(
        default=3.0, gt=1, description="alert when a member receives more than this times what it contributes"
    )

    @field_validator("rpc_url")
    @classmethod
    def _rpc_scheme(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", "ws://", "wss://")):
            raise ValueError("must start with http://, https://, ws:// or wss://")
        return value

    @field_validator("store_url")
    @classmethod
    def _store_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql://", "postgresql+")):
            raise ValueError("must be a sqlite:// or postgresql:// SQLAlchemy URL")
        return value


def _env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def load_settings(
    environ: Mapping[str, str] | None = None, config_file: Path | None = None, **overrides: Any
) -> Settings:
    """Read the settings: ``overrides`` (e.g. from command-line options) over the environment over the file.

    Raises
    ------
    SettingsError
        If the file cannot be read or parsed, holds unknown keys, or any value is invalid.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    file_path = config_file or (
        Path(environ[_env_name("config")]) if _env_name("config") in environ else None
    )
    if file_path is not None:
        for key, value in _read_file(file_path).items():
            values[key] = value
            sources[key] = f"{key} in {file_path}"
    for field in Settings.model_fields:
        name = _env_name(field)
        if name in environ:
            values[field] = environ[name]
            sources[field] = name
    for field, value in overrides.items():
        if value is not None:
            values[field] = value
            sources[field] = f"--{field.replace('_', '-')}"
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "settings"
            where = sources.get(field, _env_name(field))
            given = f" (given: {error['input']!r})" if error["type"] != "extra_forbidden" else ""
            problems.append(f"{where}: {error['msg']}{given}")
        raise SettingsError("Invalid settings:\n  " + "\n  ".join(problems)) from None


def _read_file(path: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"The settings file {path} does not exist.") from None
    except OSError as exc:
        raise SettingsError(f"Cannot read the settings file {path}: {exc.strerror}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"The settings file {path} is not valid TOML: {exc}.") from None
    table = document.get("coopledger")
    if not isinstance(table, dict):
        raise SettingsError(f"The settings file {path} has no [coopledger] table; put the settings under it.")
    return table
