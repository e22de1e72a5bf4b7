"""Settings every process shares (chain, store, manifest, indexing), from environment variables and an
optional TOML file. The API's own settings extend them (:mod:`api.settings`).

Every setting has an environment variable ``COOPLEDGER_<NAME>`` (e.g. ``COOPLEDGER_RPC_URL``) and a key
``<name>`` in the ``[coopledger]`` table of a TOML file (``COOPLEDGER_CONFIG`` or ``--config``); the
environment wins. Values are validated at start: a wrong one stops the program with a message that names
the variable, what is wrong, and what was given.

pydantic-settings would do this, but no release of it installs beside eth-brownie's pins (it needs
python-dotenv >= 0.21, Brownie pins 0.16.0); this module is the small part of it we need.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ledger.exceptions import CoopLedgerError

__all__ = [
    "ENV_PREFIX",
    "Settings",
    "SettingsError",
    "load_settings",
    "read_settings",
    "read_toml_table",
    "redact_url",
]

S = TypeVar("S", bound="Settings")

ENV_PREFIX = "COOPLEDGER_"
DEFAULT_STORE_URL = "sqlite:///data/coopledger.db"


class SettingsError(CoopLedgerError):
    """A setting is missing or invalid; the message names each one and what to give instead."""


class Settings(BaseModel):
    """What the indexer, the command line and the API all need."""

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
    """The shared :class:`Settings` (:func:`read_settings`)."""
    return read_settings(Settings, environ, config_file, **overrides)


def read_settings(
    model: type[S],
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    **overrides: Any,
) -> S:
    """Read the settings of ``model`` (:class:`Settings` or a subclass, such as the API's
    :class:`api.settings.ApiSettings`): ``overrides`` (e.g. from command-line options) over the environment
    over the file.

    Raises
    ------
    SettingsError
        If the file cannot be read or parsed, holds unknown keys, or any value is invalid.
    """
    environ = os.environ if environ is None else environ
    _refuse_unknown_variables(environ, model)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    file_path = config_file or (
        Path(environ[_env_name("config")]) if _env_name("config") in environ else None
    )
    if file_path is not None:
        others = _fields_of_other_processes(model)
        for key, value in _read_file(file_path).items():
            if key in others:
                continue  # one file serves every process: another one's setting is not an error here
            values[key] = value
            sources[key] = f"{key} in {file_path}"
    for field in model.model_fields:
        name = _env_name(field)
        if name in environ:
            values[field] = environ[name]
            sources[field] = name
    for field, value in overrides.items():
        if value is not None:
            values[field] = value
            sources[field] = f"--{field.replace('_', '-')}"
    try:
        return model(**values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "settings"
            where = sources.get(field, _env_name(field))
            shown = redact_url(error["input"]) if isinstance(error["input"], str) else error["input"]
            secret = field in SECRET_SETTINGS
            given = f" (given: {shown!r})" if error["type"] != "extra_forbidden" and not secret else ""
            problems.append(f"{where}: {error['msg']}{given}")
        raise SettingsError("Invalid settings:\n  " + "\n  ".join(problems)) from None


def redact_url(url: str) -> str:
    """``url`` with the password of its ``user:password@`` part, if any, replaced by ``***``: what may be
    printed or logged (a store URL may carry the database's password).

    >>> redact_url("postgresql://ledger:s3cret@db.example:5432/coop")
    'postgresql://ledger:***@db.example:5432/coop'
    >>> redact_url("sqlite:///data/store.db")
    'sqlite:///data/store.db'
    """
    return _CREDENTIALS.sub(r"\g<head>***@", url)


_CREDENTIALS = re.compile(r"(?P<head>^[A-Za-z][A-Za-z0-9+.-]*://[^/:@]*:)[^/]*@")


#: Settings whose value is never shown, not even when it is invalid.
SECRET_SETTINGS = frozenset({"api_token"})

#: ``COOPLEDGER_*`` variables read outside the settings models of this process: the command line's own
#: (the settings file, the member's keystore, its password, a dev account, the referral salts) and the API's
#: settings (:class:`api.settings.ApiSettings`, which this module may not import; a test keeps them in step).
VARIABLES_READ_ELSEWHERE = frozenset(
    {
        "CONFIG",
        "KEYSTORE",
        "KEYSTORE_PASSWORD",
        "DEV_ACCOUNT",
        "SALTS",
        "API_HOST",
        "API_PORT",
        "API_TOKEN",
        "ALERT_MAX_HHI",
        "ALERT_FREE_RIDER_RATIO",
        "ALERT_MIN_RATING_MEAN",
        "ALERT_MIN_RATINGS",
        "ALERT_RATING_GAP",
        "ALERT_MAX_CHURN",
        "WEBHOOK_URLS",
        "WEBHOOK_SECRET",
        "WEBHOOK_MAX_ATTEMPTS",
        "WEBHOOK_RETRY_SECONDS",
        "METRICS_WORKER",
        "METRICS_COMMUNITIES_APART_FROM",
        "WALLET_RPC_URL",
        "METRICS_GLOBAL_INTERVAL",
    }
)


def _refuse_unknown_variables(environ: Mapping[str, str], model: type[Settings]) -> None:
    """A misspelt ``COOPLEDGER_*`` variable would be ignored silently and its default used: refuse it, naming
    the closest variable coopledger reads."""
    fields = set(model.model_fields) | _fields_of_other_processes(model)
    known = {_env_name(field) for field in fields} | {ENV_PREFIX + name for name in VARIABLES_READ_ELSEWHERE}
    unknown = sorted(name for name in environ if name.startswith(ENV_PREFIX) and name not in known)
    if not unknown:
        return
    problems = []
    for name in unknown:
        closest = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"did you mean {closest[0]}?" if closest else f"coopledger reads {', '.join(sorted(known))}"
        problems.append(f"{name} is not a coopledger setting; {hint} (fix its name or unset it)")
    raise SettingsError("Invalid settings:\n  " + "\n  ".join(problems))


def _fields_of_other_processes(model: type[Settings]) -> set[str]:
    """The settings other processes' models (every subclass of :class:`Settings` defined, such as the API's)
    read from the same file, that ``model`` does not."""
    found: set[str] = set()
    pending: list[type[Settings]] = [Settings]
    while pending:
        current = pending.pop()
        found |= set(current.model_fields)
        pending.extend(current.__subclasses__())
    return found - set(model.model_fields)


def _read_file(path: Path) -> dict[str, Any]:
    return read_toml_table(path, "coopledger", "settings file", SettingsError)


def read_toml_table(path: Path, table: str, what: str, error: type[CoopLedgerError]) -> dict[str, Any]:
    """The ``[table]`` of the TOML file at ``path`` (a ``what``: "settings file", "deployment plan").

    Raises
    ------
    CoopLedgerError
        ``error``, saying what is wrong: the file is missing, unreadable, not TOML, or has no such table.
    """
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"The {what} {path} does not exist.") from None
    except OSError as exc:
        raise error(f"Cannot read the {what} {path}: {exc.strerror}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"The {what} {path} is not valid TOML: {exc}.") from None
    found = document.get(table)
    if not isinstance(found, dict):
        raise error(f"The {what} {path} has no [{table}] table; put the entries under it.")
    return found
