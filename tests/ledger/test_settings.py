"""Settings: defaults, a file, the environment over the file, options over both; every bad value named."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import ApiSettings, load_api_settings
from ledger.settings import VARIABLES_READ_ELSEWHERE, Settings, SettingsError, load_settings


def test_defaults_suit_a_local_dev_chain() -> None:
    settings = load_settings(environ={})
    assert settings == Settings()
    assert settings.rpc_url == "http://127.0.0.1:8545"
    assert settings.store_url.startswith("sqlite:///")
    assert settings.confirmations == 0


def test_environment_over_file_over_defaults(tmp_path: Path) -> None:
    config = tmp_path / "coopledger.toml"
    config.write_text('[coopledger]\nconfirmations = 12\nrpc_url = "http://node:8545"\n')
    settings = load_settings(environ={"COOPLEDGER_CONFIG": str(config), "COOPLEDGER_CONFIRMATIONS": "3"})
    assert (settings.confirmations, settings.rpc_url) == (3, "http://node:8545")


def test_options_over_the_environment() -> None:
    settings = load_settings(environ={"COOPLEDGER_CONFIRMATIONS": "3"}, confirmations=5, rpc_url=None)
    assert settings.confirmations == 5
    assert settings.rpc_url == "http://127.0.0.1:8545"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"COOPLEDGER_CONFIRMATIONS": "-1"},
            r"COOPLEDGER_CONFIRMATIONS: Input should be greater than or equal to 0 \(given: '-1'\)",
        ),
        ({"COOPLEDGER_CONFIRMATIONS": "many"}, r"COOPLEDGER_CONFIRMATIONS: Input should be a valid integer"),
        ({"COOPLEDGER_RPC_URL": "localhost:8545"}, r"COOPLEDGER_RPC_URL: .*must start with http://"),
        ({"COOPLEDGER_STORE_URL": "mysql://x"}, r"COOPLEDGER_STORE_URL: .*sqlite:// or postgresql://"),
        ({"COOPLEDGER_POLL_INTERVAL": "0"}, r"COOPLEDGER_POLL_INTERVAL: Input should be greater than 0"),
    ],
)
def test_a_bad_value_is_named_with_what_was_given(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(environ=environ)


def test_every_bad_value_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={"COOPLEDGER_CONFIRMATIONS": "-1", "COOPLEDGER_BATCH_BLOCKS": "0"})
    assert "COOPLEDGER_CONFIRMATIONS" in str(caught.value)
    assert "COOPLEDGER_BATCH_BLOCKS" in str(caught.value)


def test_an_unknown_key_in_the_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[coopledger]\nconfirmation = 1\n")
    with pytest.raises(SettingsError, match=r"confirmation in .*c.toml: Extra inputs are not permitted"):
        load_settings(environ={}, config_file=config)


@pytest.mark.parametrize(
    ("content", "message"),
    [("confirmations = 1\n", r"no \[coopledger\] table"), ("[coopledger\n", "not valid TOML")],
)
def test_a_corrupt_file_is_refused(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text(content)
    with pytest.raises(SettingsError, match=message):
        load_settings(environ={}, config_file=config)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(environ={}, config_file=tmp_path / "nope.toml")


def test_a_misspelt_variable_is_refused_with_the_closest_name() -> None:
    with pytest.raises(
        SettingsError,
        match=r"COOPLEDGER_STORE_ULR is not a coopledger setting; did you mean "
        r"COOPLEDGER_STORE_URL\?",
    ):
        load_settings(environ={"COOPLEDGER_STORE_ULR": "sqlite:///elsewhere.db"})


def test_every_variable_another_process_reads_is_known_here() -> None:
    """The API's settings and the command line's own variables are not refused by the indexer's process."""
    known = set(Settings.model_fields) | VARIABLES_READ_ELSEWHERE
    assert {field.upper() for field in ApiSettings.model_fields} <= {name.upper() for name in known}
    environ = {f"COOPLEDGER_{name}": "1" for name in VARIABLES_READ_ELSEWHERE - {"CONFIG"}}
    assert load_settings(environ=environ) == Settings()


def test_an_invalid_token_is_refused_without_showing_it() -> None:
    with pytest.raises(SettingsError) as raised:
        load_api_settings(environ={"COOPLEDGER_API_TOKEN": "shortsecret"})
    assert "COOPLEDGER_API_TOKEN" in str(raised.value)
    assert "shortsecret" not in str(raised.value)
