"""The API's settings: the shared ones (:class:`ledger.settings.Settings`) and where and how it serves.

Read like every setting: ``COOPLEDGER_<NAME>`` in the environment over ``<name>`` in the ``[coopledger]``
table of the settings file (see :mod:`ledger.settings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ledger.settings import Settings, read_settings

__all__ = ["ApiSettings", "load_api_settings"]


class ApiSettings(Settings):
    """What ``coopledger serve`` needs besides the shared settings."""

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
    alert_min_rating_mean: float = Field(
        default=3.0,
        ge=1,
        le=5,
        description="alert when a member's partners rate it below this on average (1-5)",
    )
    alert_min_ratings: int = Field(
        default=2, ge=1, description="ratings a member must have received before a low mean raises an alert"
    )
    alert_rating_gap: int = Field(
        default=3, ge=1, le=4, description="alert when two parties rate each other this far apart or more"
    )
    alert_max_churn: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="alert when more than this share of the members leave in a month",
    )
    webhook_urls: list[str] = Field(
        default_factory=list,
        description="URLs that receive each new alert as signed JSON (a list in the file; in the "
        "environment, separated by commas or spaces)",
    )
    webhook_secret: str | None = Field(
        default=None,
        min_length=16,
        description="the secret shared with the webhooks' receivers: each body is signed with its "
        "HMAC-SHA256 (X-Coopledger-Signature); required with webhook_urls",
    )
    webhook_max_attempts: int = Field(default=8, ge=1, le=50, description="attempts before a delivery fails")
    webhook_retry_seconds: float = Field(
        default=2.0, gt=0, le=600, description="the wait before a delivery's second attempt, doubling after"
    )
    metrics_worker: Literal["process", "thread"] = Field(
        default="process",
        description="where the head's figures are computed once per change: `process`, a child process (its "
        "computations never hold up a request); `thread`, a thread of the API process (one process fewer)",
    )
    metrics_communities_apart_from: int = Field(
        default=20_000,
        ge=0,
        description="the tie graph's size (ties) from which the metrics worker finds the communities in a "
        "process of their own while it computes the other global figures (two cores used, not one)",
    )
    wallet_rpc_url: str | None = Field(
        default=None,
        description="the chain's RPC URL as members' wallets reach it, offered to a wallet that does not "
        "know the chain yet (`wallet_addEthereumChain`); unset, the page asks the member to add the network "
        "by hand. Never the indexer's own URL by default: that one may carry a provider's key",
    )
    metrics_global_interval: float = Field(
        default=30.0,
        ge=0,
        description="seconds between two publications of the head's global figures (betweenness, "
        "PageRank, communities, constraint, gaps, bridges, articulation points), and how long after a "
        "change they may come; the counted figures follow every event",
    )

    @field_validator("webhook_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item for item in value.replace(",", " ").split() if item]
        return value

    @field_validator("webhook_urls")
    @classmethod
    def _http_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{url!r} is not an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _secret_with_urls(self) -> ApiSettings:
        if self.webhook_urls and self.webhook_secret is None:
            raise ValueError(
                "webhook_urls are set but webhook_secret is not: set a secret of 16 characters or more, "
                "shared with the receivers (they check each body's signature with it)"
            )
        return self


def load_api_settings(
    environ: Mapping[str, str] | None = None, config_file: Path | None = None, **overrides: Any
) -> ApiSettings:
    """:func:`ledger.settings.read_settings` for :class:`ApiSettings`."""
    return read_settings(ApiSettings, environ, config_file, **overrides)
