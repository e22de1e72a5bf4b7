"""The demo stack: what `make demo` runs.

    python scripts/demo.py           start anvil, deploy, seed the demo consortium, index it (and keep
                                     following), serve the API and dashboard; Ctrl-C stops everything
    python scripts/demo.py stop      stop a demo whose terminal was closed (what `make stop` runs)

Every run starts a fresh chain, so the demo's store is started afresh too. It is the default store
(`data/coopledger.db`), so that `coopledger serve` or `coopledger index` run later in the project folder find
the demo's chain without a setting. The processes it starts are recorded in `.run/demo.pids` (their logs in
`.run/`); Ctrl-C — or `make stop` from another terminal — stops them all, the chain last, so that nothing is
left running.
"""

from __future__ import annotations

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
from pathlib import Path

from ledger.settings import DEFAULT_STORE_URL

PROJECT = Path(__file__).resolve().parent.parent
RUN_DIR = PROJECT / ".run"
PID_FILE = RUN_DIR / "demo.pids"
HOST, CHAIN_PORT, API_PORT = "127.0.0.1", 8545, 8000
RPC_URL = f"http://{HOST}:{CHAIN_PORT}"
API_URL = f"http://{HOST}:{API_PORT}"
STORE = PROJECT / DEFAULT_STORE_URL.removeprefix("sqlite:///")
BIN = Path(sys.executable).parent
# Brownie's `development` network settings (so Brownie attaches to this chain), with the 80 accounts the
# seed needs (61 members and the customers' account).
ANVIL_ARGS = ["--port", str(CHAIN_PORT), "--accounts", "80", "--base-fee", "0", "--gas-limit", "12000000"]
SHOWN_MEMBERS = 5


def port_in_use(port: int) -> bool:
    """True when something accepts TCP connections on ``HOST:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


def _rpc(method: str) -> object | None:
    payload = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode()
    request = urllib.request.Request(RPC_URL, data=payload, headers={"Content-Type": "application/json"})
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


def _first_members() -> list[tuple[str, str]]:
    """(name, address) of the first members, read back from the API."""
    with urllib.request.urlopen(f"{API_URL}/v1/members?limit=100", timeout=10) as response:
        members = json.load(response)["data"]
    joined = sorted(members, key=lambda member: (member["joined_block"], member["address"]))
    return [(member["name"], member["address"]) for member in joined[:SHOWN_MEMBERS]]


def use_the_projects_toolchain() -> None:
    """What the Makefile exports, set here too, so that `python scripts/demo.py` works on its own: Brownie
    compiles with the offline solc bridge (`.solcx/`) and finds anvil (`node_modules/.bin`)."""
    solcx = PROJECT / ".solcx"
    if not any(solcx.glob("solc-v*")):
        sys.exit("demo: the offline compiler bridge is missing (.solcx/): run `make setup` first")
    os.environ.setdefault("SOLCX_BINARY_PATH", str(solcx))
    os.environ["PATH"] = os.pathsep.join(
        [str(PROJECT / "node_modules" / ".bin"), str(BIN), os.environ["PATH"]]
    )


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Start the demo stack, or stop it with the argument ``stop``."""
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress shows when piped too
    # Ctrl-C and a plain `kill` both stop everything; SIGINT is restored even where a parent ignored it
    # (a shell's background job), so that the demo never leaves its chain behind.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    if sys.argv[1:] == ["stop"]:
        stop_recorded()
        return
    if sys.argv[1:]:
        sys.exit(f"usage: {sys.argv[0]} [stop]")
    use_the_projects_toolchain()
    for port, what in ((CHAIN_PORT, "the chain"), (API_PORT, "the API")):
        if port_in_use(port):
            sys.exit(
                f"demo: port {port} (for {what}) is already in use. If an earlier demo runs, stop it with "
                "Ctrl-C in its terminal or `make stop`; otherwise stop whatever listens there."
            )
    stack = Stack()
    stack.start("anvil", [str(PROJECT / "node_modules" / ".bin" / "anvil"), *ANVIL_ARGS])
    stack.wait_until("anvil", lambda: _rpc("eth_chainId") is not None, "anvil", seconds=30)
    chain_id = int(str(_rpc("eth_chainId")), 16)
    print(f"demo: anvil is up at {RPC_URL} (chain id {chain_id})")
    manifest = PROJECT / "deployments" / f"{chain_id}.json"
    run([str(BIN / "python"), "scripts/deploy.py", "--rpc-url", RPC_URL], stack, "deployment")
    run([str(BIN / "python"), "scripts/seed_demo.py", "--rpc-url", RPC_URL], stack, "seeding")
    for stale in (STORE, STORE.with_name(STORE.name + "-wal"), STORE.with_name(STORE.name + "-shm")):
        stale.unlink(missing_ok=True)  # a fresh chain: the store starts afresh too
    env = {
        **os.environ,
        "COOPLEDGER_RPC_URL": RPC_URL,
        "COOPLEDGER_STORE_URL": f"sqlite:///{STORE}",
        "COOPLEDGER_MANIFEST": str(manifest),
        "COOPLEDGER_API_PORT": str(API_PORT),
    }
    run([str(BIN / "coopledger"), "index", "--once"], stack, "indexing", env)
    stack.start("indexer", [str(BIN / "coopledger"), "index"], env)
    stack.start("api", [str(BIN / "coopledger"), "serve"], env)
    stack.wait_until("api", lambda: _answers(f"{API_URL}/health"), "the API")
    shown = "\n".join(f"    {name:<28} {address}" for name, address in _first_members())
    print(
        "\ncoopledger demo is up (Ctrl-C stops everything):\n"
        f"  dashboard  {API_URL}/\n"
        f"  API        {API_URL}/v1  (OpenAPI documentation at {API_URL}/docs)\n"
        f"  chain      anvil at {RPC_URL} (chain id {chain_id}); contracts {manifest.relative_to(PROJECT)}\n"
        f"  store      {STORE.relative_to(PROJECT)}, followed by `coopledger index`\n"
        f"  accounts   anvil's test accounts (mnemonic 'test test ... junk'); the first members:\n{shown}\n"
        "    account 79 pays as the consortium's outside customers\n"
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
