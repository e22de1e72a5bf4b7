"""A local anvil node for the tests and the benchmarks: started on a free port, stopped gracefully.

Not part of the runtime (``ledger``/``api`` talk to any node by URL); the tests (``tests/ledger``) and the
benchmarks (``bench/``) share it from here so that neither imports the other.
"""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from web3 import HTTPProvider, Web3

PROJECT = Path(__file__).resolve().parents[2]
BUILD = PROJECT / "build" / "contracts"
# anvil's native binary, from its platform package (installed by npm next to the `anvil` package). Not npm's
# `.bin/anvil`: that is a Node wrapper which, on SIGTERM, passes the signal on and exits at once, while the
# node is still writing its state and holding its port — waiting on the wrapper would not wait for the node.
ANVIL_PACKAGES = PROJECT / "node_modules" / "@foundry-rs"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Anvil:
    """A running anvil process and a web3 connected to it."""

    process: subprocess.Popen[bytes]
    url: str
    w3: Web3

    def stop(self, timeout: float = 120) -> None:
        """Stop the node and return once it is gone (with ``--state`` or ``--dump-state``: once it has written
        its chain, hundreds of MB for the benchmark's)."""
        self.process.terminate()
        self.process.wait(timeout=timeout)


def anvil_binary() -> Path:
    """The path of anvil's native binary (see :data:`ANVIL_PACKAGES`)."""
    found = sorted(ANVIL_PACKAGES.glob("anvil-*/bin/anvil"))
    if not found:
        raise RuntimeError(f"anvil is not installed under {ANVIL_PACKAGES}: run `make setup`")
    return found[0]


def start_anvil(
    port: int | None = None,
    state: Path | None = None,
    *extra: str,
    gas_limit: int = 30_000_000,
    base_fee: int = 0,
) -> Anvil:
    """Start anvil on ``port`` (a free one by default); with ``state``, load the chain from that file if it
    exists and save it there when stopped (so a stopped node can come back with its chain). ``extra`` are
    more anvil options; ``base_fee`` is the first block's base fee in wei (0: gas is free, as on the demo's
    chain; above 0, as on a public network, where a transaction must pay it)."""
    port = port or free_port()
    command = [
        str(anvil_binary()),
        "--port",
        str(port),
        "--base-fee",
        str(base_fee),
        "--gas-limit",
        str(gas_limit),
        "--silent",
    ]
    if state is not None:
        command += ["--state", str(state)]
    command += extra
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    w3 = Web3(HTTPProvider(url))
    deadline = time.monotonic() + 120
    while not w3.is_connected():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"anvil did not start on {url}")
        time.sleep(0.1)
    return Anvil(process, url, w3)
