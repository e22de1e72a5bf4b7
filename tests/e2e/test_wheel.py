"""The package as a user installs it: the built wheel, in a fresh virtual environment, with the runtime pins
the suite tested (``requirements.lock``), serves the API and the dashboard — its page, script and libraries —
with nothing looked up in the checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from ledger.store import Store
from scripts.toolchain.localnode import PROJECT, free_port

#: What `pip freeze` lists that is the installer's own, not a runtime dependency.
INSTALLER = {"pip", "setuptools", "wheel", "coopledger"}


def _run(*command: str | Path, cwd: Path | None = None) -> str:
    finished = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=900, check=False
    )
    assert finished.returncode == 0, f"{command} failed:\n{finished.stdout}\n{finished.stderr}"
    return finished.stdout


def _pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except urllib.error.URLError:
        return 0, b""  # not listening yet


def test_the_wheel_installs_with_the_tested_pins_and_serves_the_dashboard(tmp_path: Path) -> None:
    sources = tmp_path / "sources"  # built from a copy: the build writes nothing into the checkout
    sources.mkdir()
    for part in ("pyproject.toml", "README.md", "ledger", "api"):
        copy = shutil.copytree if (PROJECT / part).is_dir() else shutil.copy
        copy(PROJECT / part, sources / part)
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", tmp_path / "dist", sources)
    (wheel,) = (tmp_path / "dist").glob("coopledger-*.whl")

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv)
    _run(
        venv / "bin" / "python", "-m", "pip", "install", "--quiet", "-c", PROJECT / "requirements.lock", wheel
    )
    installed = _pins(_run(venv / "bin" / "python", "-m", "pip", "freeze"))
    tested = _pins((PROJECT / "requirements.lock").read_text())
    differing = {
        name: (version, tested.get(name))
        for name, version in installed.items()
        if name not in INSTALLER and tested.get(name) != version
    }
    assert not differing, f"installed (version, tested version): {differing}"

    store = tmp_path / "store.db"
    Store.open(f"sqlite:///{store}").close()
    port = free_port()
    server = subprocess.Popen(
        [venv / "bin" / "coopledger", "serve", "--store-url", f"sqlite:///{store}", "--port", str(port)],
        cwd=tmp_path,  # far from the checkout: the page's files must come from the installed package
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while _get(f"{base}/health")[0] != 200:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            assert time.monotonic() < deadline, "the installed API did not start"
            time.sleep(0.2)
        status, page = _get(f"{base}/")
        assert status == 200
        assert b"/vendor/cytoscape.min.js" in page
        for path in (
            "/vendor/cytoscape.min.js",
            "/vendor/chart.umd.min.js",
            "/static/app.js",
            "/static/style.css",
        ):
            status, body = _get(f"{base}{path}")
            assert (status, len(body) > 1_000) == (200, True), path
        assert _get(f"{base}/v1/members")[0] == 200
        server.terminate()  # what a service manager's stop sends: SIGTERM
        assert server.wait(timeout=30) == 0
        said = server.stdout.read().decode() if server.stdout else ""
        assert "stopped serving; the store it served holds no block yet" in said
    finally:
        if server.poll() is None:
            server.kill()
