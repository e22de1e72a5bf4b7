"""Start a local chain and deploy coopledger on it: what `make demo` runs.

    python scripts/demo.py           start anvil (detached), deploy, print what runs where
    python scripts/demo.py stop      stop the chain this script started

The chain keeps running after the script ends so that you can use it (Brownie console, the CLI);
`make stop` stops it. State lives in `.run/` (pid file and the chain's log).
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
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
RUN_DIR = PROJECT / ".run"
PID_FILE = RUN_DIR / "anvil.pid"
LOG_FILE = RUN_DIR / "anvil.log"
HOST, PORT = "127.0.0.1", 8545
RPC_URL = f"http://{HOST}:{PORT}"
# The same settings Brownie's `development` network launches anvil with, so Brownie attaches to it.
ANVIL_ARGS = ["--port", str(PORT), "--accounts", "10", "--base-fee", "0", "--gas-limit", "12000000"]


def port_in_use(host: str, port: int) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def chain_id(url: str) -> int | None:
    """The chain id the node at ``url`` reports, or None while it does not answer."""
    payload = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    request = urllib.request.Request(url, data=payload, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return int(json.load(response)["result"], 16)
    except (urllib.error.URLError, OSError, KeyError, ValueError):
        return None


def start_chain() -> int:
    """Start anvil detached from this process; return its pid once it answers JSON-RPC."""
    if port_in_use(HOST, PORT):
        sys.exit(
            f"demo: port {PORT} is already in use. If it is an earlier demo chain, run `make stop`; "
            "otherwise stop whatever listens there."
        )
    RUN_DIR.mkdir(exist_ok=True)
    with LOG_FILE.open("w") as log:
        process = subprocess.Popen(
            ["anvil", *ANVIL_ARGS], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    PID_FILE.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + 30
    while chain_id(RPC_URL) is None:
        if process.poll() is not None:
            sys.exit(f"demo: anvil exited with code {process.returncode}; see {LOG_FILE}")
        if time.monotonic() > deadline:
            stop_chain()
            sys.exit(f"demo: anvil did not answer on {RPC_URL} within 30 s; see {LOG_FILE}")
        time.sleep(0.2)
    return process.pid


def stop_chain() -> None:
    """Stop the chain recorded in the pid file, if it still runs."""
    if not PID_FILE.exists():
        print("demo: no demo chain is recorded as running")
        return
    pid = int(PID_FILE.read_text().strip())
    try:
        os.killpg(pid, signal.SIGTERM)
        print(f"demo: stopped the chain (pid {pid})")
    except ProcessLookupError:
        print(f"demo: the chain (pid {pid}) had already stopped")
    PID_FILE.unlink()


def deploy() -> None:
    """Deploy the contracts with Brownie, which attaches to the running chain."""
    brownie = Path(sys.executable).parent / "brownie"
    subprocess.run(
        [str(brownie), "run", "scripts/deploy.py", "--network", "development"], cwd=PROJECT, check=True
    )


def main() -> None:
    """Start the demo stack, or stop it with the argument ``stop``."""
    if sys.argv[1:] == ["stop"]:
        stop_chain()
        return
    if sys.argv[1:]:
        sys.exit(f"usage: {sys.argv[0]} [stop]")
    pid = start_chain()
    print(f"demo: anvil started (pid {pid}), chain id {chain_id(RPC_URL)}, JSON-RPC at {RPC_URL}")
    try:
        deploy()
    except subprocess.CalledProcessError as exc:
        stop_chain()
        sys.exit(f"demo: deployment failed (exit code {exc.returncode}); the chain was stopped")
    manifest = (PROJECT / "deployments" / f"{chain_id(RPC_URL)}.json").relative_to(PROJECT)
    print(
        "\ncoopledger demo is up:\n"
        f"  chain      anvil at {RPC_URL} (pid {pid}, log {LOG_FILE.relative_to(PROJECT)})\n"
        f"  contracts  {manifest}  (show with `.venv/bin/coopledger deployment {manifest}`)\n"
        "  stop it    make stop\n"
    )


if __name__ == "__main__":
    main()
