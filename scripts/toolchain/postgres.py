"""A throwaway PostgreSQL cluster for the tests: initialised in a temporary folder, on a free port, stopped
and removed at the end.

Not part of the runtime (``ledger`` talks to any PostgreSQL by URL). PostgreSQL refuses to run as root, so
as root the cluster is created and run as the ``postgres`` user (Debian's package creates it); as anybody
else, as that user. The server binaries come from Debian's ``postgresql`` package (``make postgres``
installs it where missing), found through ``pg_config --bindir`` or under ``/usr/lib/postgresql``.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from scripts.toolchain.localnode import free_port

__all__ = ["Postgres", "server_binaries", "start_postgres"]

INSTALL_HINT = (
    "PostgreSQL's server is not installed: run `make postgres` (it installs Debian's postgresql package "
    "with apt), or install PostgreSQL 15+ so that `pg_config --bindir` names its initdb and pg_ctl."
)


def server_binaries() -> Path:
    """The folder of ``initdb`` and ``pg_ctl`` (not on PATH in Debian's package)."""
    candidates = []
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(Path(found.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise RuntimeError(INSTALL_HINT)


@dataclass
class Postgres:
    """A running throwaway cluster: ``folder`` holds its data and socket; the superuser is ``user``."""

    folder: Path
    port: int
    user: str
    binaries: Path
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL of ``database`` (psycopg 3, over TCP on localhost, trusted: no password)."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "store") -> str:
        """Create an empty database; its SQLAlchemy URL."""
        name = f"{prefix}_{next(self._names)}"
        with psycopg.connect(self.url().replace("+psycopg", ""), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its folder."""
        self._pg_ctl("stop", "-m", "fast")
        shutil.rmtree(self.folder, ignore_errors=True)

    def halt(self) -> None:
        """Stop the server, keeping its data (open connections are cut, new ones refused)."""
        self._pg_ctl("stop", "-m", "fast")

    def resume(self) -> None:
        """Start a halted server again."""
        self._pg_ctl("start")

    def _pg_ctl(self, *action: str) -> None:
        data = self.folder / "data"
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        command = [
            str(self.binaries / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.folder / "log"),
        ]
        _as_owner([*command, *action], self.user)


def start_postgres() -> Postgres:
    """Initialise a cluster in a new temporary folder and start it on a free port (fsync off: a test
    cluster trades durability for speed)."""
    binaries = server_binaries()
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    folder = Path(tempfile.mkdtemp(prefix="coopledger-postgres-"))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam(user)
        except KeyError:
            raise RuntimeError(
                f"there is no '{user}' user to run PostgreSQL as (root may not): {INSTALL_HINT}"
            ) from None
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    _as_owner(
        [str(binaries / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", user, "-E", "UTF8"], user
    )
    cluster = Postgres(folder, free_port(), user, binaries)
    cluster._pg_ctl("start")
    deadline = time.monotonic() + 60
    while True:
        try:
            psycopg.connect(cluster.url().replace("+psycopg", ""), connect_timeout=2).close()
            return cluster
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start; see {folder / 'log'}") from None
            time.sleep(0.2)


def _as_owner(command: list[str], user: str) -> None:
    """Run ``command`` as ``user`` (through runuser when this process is root); raise with its output."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", user, "--", *command]
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {finished.stdout}{finished.stderr}")
