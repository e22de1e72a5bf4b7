"""Producing in a forked child: items arrive in order, failures arrive as the child's exception, no orphan."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.exceptions import ChainError
from ledger.prefetch import PrefetchError, prefetched


def _numbers(count: int) -> Iterator[tuple[int, int]]:
    for number in range(count):
        yield number, os.getpid()


def test_items_arrive_in_order_from_another_process() -> None:
    received = list(prefetched(lambda: _numbers(50)))
    assert [number for number, _ in received] == list(range(50))
    assert {pid for _, pid in received} != {os.getpid()}, "they were produced in a child process"


def _fails_after(count: int) -> Iterator[int]:
    yield from range(count)
    raise ChainError("The node at http://node does not answer (ConnectionError).")


def test_the_childs_exception_is_raised_after_the_items_before_it() -> None:
    items = prefetched(lambda: _fails_after(3))
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(ChainError, match="does not answer"):
        next(items)


class _UnpicklableError(Exception):
    def __init__(self, message: str, handle: object) -> None:
        super().__init__(message)
        self.handle = handle


def _fails_unpicklably() -> Iterator[int]:
    yield 1
    raise _UnpicklableError("bad range", threading.Lock())


def test_an_exception_that_cannot_cross_is_sent_as_its_description() -> None:
    with pytest.raises(PrefetchError, match="_UnpicklableError: bad range"):
        list(prefetched(_fails_unpicklably))


def _dies() -> Iterator[int]:
    yield 1
    os.kill(os.getpid(), signal.SIGKILL)
    yield 2


def test_a_child_that_dies_is_a_clear_error() -> None:
    with pytest.raises(PrefetchError, match=r"ended unexpectedly \(exit code -9\)"):
        list(prefetched(_dies))


def _forever(pid_file: Path) -> Iterator[int]:
    pid_file.write_text(str(os.getpid()))
    number = 0
    while True:
        yield number
        number += 1


def test_leaving_the_loop_stops_the_child(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    items = prefetched(lambda: _forever(pid_file))
    assert next(items) == 0
    items.close()
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _alive(child), "the child process was stopped and reaped"


_ORPHAN_SCRIPT = """
import os, sys, time
from ledger.prefetch import prefetched

def endless():
    yield os.getpid()
    while True:
        yield b"x" * 1_000_000  # fills the pipe: the child then waits in send

items = prefetched(endless)
print(next(items), flush=True)
time.sleep(60)
"""


def test_the_child_ends_when_the_parent_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN_SCRIPT],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    time.sleep(0.5)  # let the child fill the pipe and block in send
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = _alive(child)
    if alive:
        os.kill(child, signal.SIGKILL)
    assert not alive, "the prefetch child outlived its killed parent"


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, reaped by init, counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
