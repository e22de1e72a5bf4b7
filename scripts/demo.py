"""The demo stack: what `make demo` runs.

    python scripts/demo.py [--chain-port 8545] [--api-port 8000]
                                     compile, start anvil, deploy, seed the demo consortium, index it (and
                                     keep following), serve the API and dashboard; Ctrl-C stops everything
    python scripts/demo.py stop      stop a demo whose terminal was closed (what `make stop` runs)

Every run starts a fresh chain, so the demo's store is started afresh too. It is the default store
(`data/coopledger.db`), so that `coopledger serve` or `coopledger index` run later in the project folder find
the demo's chain without a setting. The processes it starts are recorded in `.run/demo.pids` (their logs in
`.run/`); Ctrl-C — or `make stop` from another terminal — stops them all, the chain last, so that nothing is
left running.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ledger.client.wallet import dev_account
from ledger.settings import DEFAULT_STORE_URL

PROJECT = Path(__file__).resolve().parent.parent
RUN_DIR = PROJECT / ".run"
PID_FILE = RUN_DIR / "demo.pids"
HOST = "127.0.0.1"
STORE = PROJECT / DEFAULT_STORE_URL.removeprefix("sqlite:///")
BIN = Path(sys.executable).parent
SHOWN_MEMBERS = 5
ACCOUNTS = 80  # anvil's test accounts: scripts/seed_demo.py needs 80 (61 members and the customers')


@dataclass(frozen=True)
class Endpoints:
    """Where the demo's chain and API listen (`make demo CHAIN_PORT=… API_PORT=…` chooses the ports)."""

    chain_port: int = 8545
    api_port: int = 8000

    @property
    def rpc_url(self) -> str:
        return f"http://{HOST}:{self.chain_port}"

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    def anvil_args(self) -> list[str]:
        """A chain like Brownie's `development` network (free gas), with the 80 accounts the seed needs
        (61 members and the customers' account)."""
        return [
            "--port",
            str(self.chain_port),
            "--accounts",
            str(ACCOUNTS),
            "--base-fee",
            "0",
            "--gas-limit",
            "12000000",
        ]


def port_in_use(port: int) -> bool:
    """True when something accepts TCP connections on ``HOST:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


def _rpc(url: str, method: str) -> object | None:
    payload = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode()
    request = urllib.request.Request(url, data=payload, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            result: object = json.load(response)["result"]
            return result
    except (urllib.error.URLError, OSError, KeyError, ValueError):
        return None


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _figures_complete(api_url: str) -> bool:
    """Whether the API has the head's figures, the global ones included (they come a moment after the
    counted ones)."""
    try:
        with urllib.request.urlopen(f"{api_url}/v1/metrics/network", timeout=5) as response:
            answer = json.load(response)
    except (urllib.error.URLError, OSError, ValueError):
        return False
    caught_up = answer["global_last_change_block"] == answer["last_change_block"]
    return bool(answer["behind_head"] == 0 and caught_up)


class Stack:
    """The demo's processes, started in order and stopped in reverse."""

    def __init__(self) -> None:
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        RUN_DIR.mkdir(exist_ok=True)

    def start(self, name: str, command: Sequence[str], env: dict[str, str] | None = None) -> None:
        log = (RUN_DIR / f"{name}.log").open("wb")
        process = subprocess.Popen(
            command, cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        self.processes.append((name, process))
        PID_FILE.write_text("".join(f"{p.pid} {n}\n" for n, p in self.processes))

    def wait_until(self, name: str, ready: Callable[[], bool], what: str, seconds: float = 60) -> None:
        """Wait until ``ready()``; stop everything if the process ``name`` dies or time runs out."""
        process = dict(self.processes)[name]
        deadline = time.monotonic() + seconds
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit(f"demo: {what} did not start; see {RUN_DIR.relative_to(PROJECT)}/{name}.log")
            time.sleep(0.2)

    def check(self) -> None:
        """Stop everything if one of the processes has died."""
        for name, process in self.processes:
            if process.poll() is not None:
                self.stop()
                sys.exit(f"demo: {name} stopped (exit code {process.returncode}); see .run/{name}.log")

    def stop(self) -> None:
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        PID_FILE.unlink(missing_ok=True)


def stop_recorded() -> None:
    """Stop the processes a demo recorded (its terminal may be gone), the chain last."""
    if not PID_FILE.exists():
        print("demo: no demo is recorded as running")
        return
    for line in reversed(PID_FILE.read_text().splitlines()):
        pid, name = line.split(maxsplit=1)
        try:
            os.killpg(int(pid), signal.SIGTERM)
            print(f"demo: stopped {name} (pid {pid})")
        except ProcessLookupError:
            print(f"demo: {name} (pid {pid}) had already stopped")
    PID_FILE.unlink()


def run(command: Sequence[str], stack: Stack, what: str, env: dict[str, str] | None = None) -> None:
    """Run a step in the foreground (its output shown); stop everything if it fails."""
    try:
        subprocess.run(command, cwd=PROJECT, check=True, env=env)
    except (subprocess.CalledProcessError, KeyboardInterrupt) as exc:
        stack.stop()
        reason = f"exit code {exc.returncode}" if isinstance(exc, subprocess.CalledProcessError) else "Ctrl-C"
        sys.exit(f"demo: {what} failed ({reason}); everything was stopped")


def _first_members(api_url: str) -> list[tuple[str, str]]:
    """(name, address) of the first members, read back from the API."""
    with urllib.request.urlopen(f"{api_url}/v1/members?limit=100", timeout=10) as response:
        members = json.load(response)["data"]
    joined = sorted(members, key=lambda member: (member["joined_block"], member["address"]))
    return [(member["name"], member["address"]) for member in joined[:SHOWN_MEMBERS]]


def use_the_projects_toolchain() -> None:
    """What the Makefile exports, set here too, so that `python scripts/demo.py` works on its own: Brownie
    compiles (the demo's first step) with the offline solc bridge (`.solcx/`), and anvil is on PATH."""
    solcx = PROJECT / ".solcx"
    if not any(solcx.glob("solc-v*")):
        sys.exit("demo: the offline compiler bridge is missing (.solcx/): run `make setup` first")
    os.environ.setdefault("SOLCX_BINARY_PATH", str(solcx))
    os.environ["PATH"] = os.pathsep.join(
        [str(PROJECT / "node_modules" / ".bin"), str(BIN), os.environ["PATH"]]
    )


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="The demo stack (what `make demo` runs).")
    parser.add_argument("action", nargs="?", choices=("start", "stop"), default="start")
    parser.add_argument("--chain-port", type=int, default=Endpoints.chain_port, help="the chain's port")
    parser.add_argument("--api-port", type=int, default=Endpoints.api_port, help="the API's port")
    options = parser.parse_args(argv)
    for name in ("chain_port", "api_port"):
        if not 1 <= getattr(options, name) <= 65_535:
            parser.error(f"--{name.replace('_', '-')} must be a port, 1..65535")
    return options


def main(argv: list[str] | None = None) -> None:
    """Start the demo stack, or stop it with the argument ``stop``."""
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress shows when piped too
    # Ctrl-C and a plain `kill` both stop everything; SIGINT is restored even where a parent ignored it
    # (a shell's background job), so that the demo never leaves its chain behind.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    options = _options(argv)
    if options.action == "stop":
        stop_recorded()
        return
    at = Endpoints(options.chain_port, options.api_port)
    use_the_projects_toolchain()
    for port, what in ((at.chain_port, "the chain"), (at.api_port, "the API")):
        if port_in_use(port):
            sys.exit(
                f"demo: port {port} (for {what}) is already in use. If an earlier demo runs, stop it with "
                "Ctrl-C in its terminal or `make stop`; otherwise stop whatever listens there (or choose "
                "other ports: make demo CHAIN_PORT=… API_PORT=…)."
            )
    stack = Stack()
    run([str(BIN / "brownie"), "compile"], stack, "compiling the contracts")
    stack.start("anvil", [str(PROJECT / "node_modules" / ".bin" / "anvil"), *at.anvil_args()])
    stack.wait_until("anvil", lambda: _rpc(at.rpc_url, "eth_chainId") is not None, "anvil", seconds=30)
    chain_id = int(str(_rpc(at.rpc_url, "eth_chainId")), 16)
    print(f"demo: anvil is up at {at.rpc_url} (chain id {chain_id})")
    manifest = PROJECT / "deployments" / f"{chain_id}.json"
    run([str(BIN / "python"), "scripts/deploy.py", "--rpc-url", at.rpc_url], stack, "deployment")
    run([str(BIN / "python"), "scripts/seed_demo.py", "--rpc-url", at.rpc_url], stack, "seeding")
    for stale in (STORE, STORE.with_name(STORE.name + "-wal"), STORE.with_name(STORE.name + "-shm")):
        stale.unlink(missing_ok=True)  # a fresh chain: the store starts afresh too
    env = {
        **os.environ,
        "COOPLEDGER_RPC_URL": at.rpc_url,
        "COOPLEDGER_STORE_URL": f"sqlite:///{STORE}",
        "COOPLEDGER_MANIFEST": str(manifest),
        "COOPLEDGER_API_PORT": str(at.api_port),
        "COOPLEDGER_WALLET_RPC_URL": at.rpc_url,  # offered to a browser wallet that does not know the chain
    }
    run([str(BIN / "coopledger"), "index", "--once"], stack, "indexing", env)
    stack.start("indexer", [str(BIN / "coopledger"), "index"], env)
    stack.start("api", [str(BIN / "coopledger"), "serve"], env)
    stack.wait_until("api", lambda: _answers(f"{at.api_url}/health"), "the API")
    stack.wait_until("api", lambda: _figures_complete(at.api_url), "the head's figures", seconds=300)
    members = _first_members(at.api_url)
    shown = "\n".join(f"    {name:<28} {address}" for name, address in members)
    first_name, first_address = members[0]
    first_key = next(
        "0x" + bytes(account.key).hex()
        for account in (dev_account(index) for index in range(ACCOUNTS))
        if account.address == first_address
    )
    print(
        "\ncoopledger demo is up (Ctrl-C stops everything):\n"
        f"  dashboard  {at.api_url}/\n"
        f"  API        {at.api_url}/v1  (OpenAPI documentation at {at.api_url}/docs)\n"
        f"  chain      anvil at {at.rpc_url} (chain id {chain_id}); "
        f"contracts {manifest.relative_to(PROJECT)}\n"
        f"  store      {STORE.relative_to(PROJECT)}, followed by `coopledger index`\n"
        f"  accounts   anvil's test accounts (mnemonic 'test test ... junk'); the first members:\n{shown}\n"
        "    account 79 pays as the consortium's outside customers\n"
        f"  wallet     to act as a member from the dashboard, add this network to your browser wallet:\n"
        f"             RPC URL {at.rpc_url}, chain id {chain_id}, currency ETH (the page offers to add it),\n"
        f"             then import {first_name}'s test account with its private key\n"
        f"             {first_key}\n"
        "             (anvil's published test key: for this demo chain only, never for real money)\n"
        f"  logs       {RUN_DIR.relative_to(PROJECT)}/\n"
    )
    try:
        while True:
            stack.check()
            time.sleep(1)
    except KeyboardInterrupt:
        print("\ndemo: stopping the API, the indexer and the chain ...")
        stack.stop()
        print("demo: stopped; nothing is left running")


if __name__ == "__main__":
    main()
