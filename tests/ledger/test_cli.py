"""The `coopledger` command line: version, a deployment manifest shown or refused clearly, and what `serve`
refuses before it binds."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import typer.main
from typer.testing import CliRunner

from api.settings import ApiSettings
from ledger import __version__
from ledger.cli import app
from ledger.protocol.manifest import ContractDeployment, write_manifest
from ledger.settings import Settings
from ledger.store import Store

runner = CliRunner()


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"coopledger {__version__}"


def test_deployment_lists_contracts_with_address_and_block(tmp_path: Path) -> None:
    address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    contract = ContractDeployment(address=address, block=12, tx_hash="0x" + "00" * 32, abi=[])
    path = write_manifest(31337, "development", {"Consortium": contract}, deployments_dir=tmp_path)
    result = runner.invoke(app, ["deployment", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Consortium" in result.stdout
    assert address in result.stdout
    assert "12" in result.stdout


def test_missing_manifest_exits_2_with_the_fix(tmp_path: Path) -> None:
    result = runner.invoke(app, ["deployment", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "No deployment manifest" in result.stderr
    assert "make demo" in result.stderr


def test_serve_refuses_a_sqlite_store_that_does_not_exist_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "data" / "coopledger.db"
    result = runner.invoke(app, ["serve", "--store-url", f"sqlite:///{missing}"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert f"There is no store at {missing}" in result.stderr
    assert "coopledger index" in result.stderr
    assert not missing.parent.exists(), "neither the store nor its folder was created"


def test_serve_on_a_port_in_use_says_so_and_how_to_choose_another(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    Store.open(f"sqlite:///{store}").close()
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = runner.invoke(
            app, ["serve", "--store-url", f"sqlite:///{store}", "--port", str(port)], env={"COLUMNS": "200"}
        )
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr
    assert "serving" not in result.stdout, "nothing claims to serve before the port is bound"


def test_ctrl_c_ends_the_event_streams_and_the_server_at_once(tmp_path: Path) -> None:
    """An open /v1/stream never ends by itself: Ctrl-C still stops `coopledger serve`, the stream ending by
    itself (one cancelled at the graceful timeout would leave a traceback) and the process exiting 0."""
    store = tmp_path / "store.db"
    Store.open(f"sqlite:///{store}").close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    coopledger = Path(sys.executable).parent / "coopledger"
    server = subprocess.Popen(
        [coopledger, "serve", "--store-url", f"sqlite:///{store}", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _answers(url):
            assert server.poll() is None, server.communicate()[1].decode()
            assert time.monotonic() < deadline, "coopledger serve did not start"
            time.sleep(0.2)
        with httpx.stream("GET", f"{url}/v1/stream", timeout=30) as response:
            lines = response.iter_lines()
            assert [next(lines), next(lines)] == ["id: -1-a-0", "event: ready"], "nothing indexed yet"
            server.send_signal(signal.SIGINT)
            rest = list(lines)  # ends when the server ends the stream (a hang would time out here)
        assert server.wait(timeout=30) == 0, "the open stream held the server up"
        assert rest[0].startswith("data: ")
        _, errors = server.communicate()
        assert b"Traceback" not in errors, errors.decode()
    finally:
        if server.poll() is None:
            server.kill()


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_every_setting_has_an_option_on_the_command_that_reads_it() -> None:
    """The indexer's settings on `index`, the API's on `serve` — but the API token and the webhooks' secret,
    which stay out of the command line (other users of the machine see a process's arguments)."""
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    options = {name: {parameter.name for parameter in commands[name].params} for name in ("index", "serve")}
    assert set(Settings.model_fields) <= options["index"]
    served = {"api_host": "host", "api_port": "port", "webhook_urls": "webhook_url"}
    api_only = set(ApiSettings.model_fields) - set(Settings.model_fields) - {"api_token", "webhook_secret"}
    assert {served.get(name, name) for name in api_only | {"store_url", "rpc_url", "manifest"}} <= options[
        "serve"
    ]


def test_an_error_naming_the_settings_table_shows_it_as_written(tmp_path: Path) -> None:
    """'[coopledger]' in a message is text, not console markup to swallow."""
    config = tmp_path / "settings.toml"
    config.write_text("[other]\nconfirmations = 1\n")
    result = runner.invoke(app, ["index", "--config", str(config)], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "has no [coopledger] table" in result.stderr
