"""Reading in turns with several forked readers: chunks arrive in order, sizes adapt, failures arrive as
the readers' exceptions, and no reader outlives the loop or its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Generator
from pathlib import Path

import pytest

from ledger.exceptions import ChainError
from ledger.indexer.prefetch import PrefetchError, leapfrogged


def _blocks(first: int, last: int) -> Generator[tuple[int, int, int], None, int]:
    yield first, last, os.getpid()
    return last - first + 1  # "logs": one per block


def _doubling(size: int, logs: int) -> int:
    return size * 2


def _nothing() -> None:
    return None


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_chunks_arrive_in_order_from_the_readers_in_turn_with_growing_sizes(depth: int) -> None:
    chunks = list(leapfrogged(_blocks, 10, 400, 4, _doubling, _nothing, readers=2, depth=depth))
    assert chunks[0][:2] == (10, 13)
    assert [first for first, _, _ in chunks[1:]] == [last + 1 for _, last, _ in chunks[:-1]], (
        "no gap, no overlap"
    )
    assert chunks[-1][1] == 400
    sizes = [last - first + 1 for first, last, _ in chunks[:-1]]
    handed_out = 2 * depth  # before any chunk is done: each reader holds ``depth``
    assert sizes[: handed_out + 1] == [4] * handed_out + [8], "sizes adapt once the first chunks are done"
    readers = {pid for _, _, pid in chunks}
    assert len(readers) == 2
    assert os.getpid() not in readers


def _fails_from(limit: int) -> Callable[[int, int], Generator[int, None, int]]:
    def read(first: int, last: int) -> Generator[int, None, int]:
        if first >= limit:
            raise ChainError("The node at http://node does not answer (ConnectionError).")
        yield first
        return 1

    return read


def test_a_readers_exception_is_raised_after_the_chunks_before_it() -> None:
    chunks = leapfrogged(_fails_from(5), 0, 100, 1, lambda size, logs: 1, _nothing)
    assert [next(chunks) for _ in range(5)] == [0, 1, 2, 3, 4]
    with pytest.raises(ChainError, match="does not answer"):
        next(chunks)


class _UnpicklableError(Exception):
    def __init__(self, message: str, handle: object) -> None:
        super().__init__(message)
        self.handle = handle


def _unpicklable(first: int, last: int) -> Generator[int, None, int]:
    raise _UnpicklableError("bad range", threading.Lock())
    yield 0  # a generator


def test_an_exception_that_cannot_cross_is_sent_as_its_description() -> None:
    with pytest.raises(PrefetchError, match="_UnpicklableError: bad range"):
        list(leapfrogged(_unpicklable, 0, 10, 5, _doubling, _nothing))


def _dies(first: int, last: int) -> Generator[int, None, int]:
    if first > 0:
        os.kill(os.getpid(), signal.SIGKILL)
    yield first
    return 1


def test_a_reader_that_dies_is_a_clear_error() -> None:
    with pytest.raises(PrefetchError, match=r"ended unexpectedly \(exit code -9\)"):
        list(leapfrogged(_dies, 0, 10, 1, _doubling, _nothing))


def _recording(folder: Path) -> Callable[[int, int], Generator[int, None, int]]:
    def read(first: int, last: int) -> Generator[int, None, int]:
        (folder / str(os.getpid())).touch()
        yield first
        return 1

    return read


def test_leaving_the_loop_stops_every_reader(tmp_path: Path) -> None:
    chunks = leapfrogged(_recording(tmp_path), 0, 10**9, 1, lambda size, logs: 1, _nothing)
    assert [next(chunks) for _ in range(4)] == [0, 1, 2, 3]
    chunks.close()
    readers = [int(path.name) for path in tmp_path.iterdir()]
    assert len(readers) == 2
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in readers) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(_alive(pid) for pid in readers), "every reader was stopped and reaped"


_ORPHAN_SCRIPT = """
import os, time
from ledger.indexer.prefetch import leapfrogged

def endless(first, last):
    yield os.getpid()
    yield b"x" * 1_000_000  # fills the pipe: the reader then waits in send
    return 1

items = leapfrogged(endless, 0, 10**9, 1, lambda size, logs: 1, lambda: None)
print(next(items), flush=True)
time.sleep(60)
"""


def test_the_readers_end_when_the_parent_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN_SCRIPT],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[3],
    )
    assert parent.stdout is not None
    reader = int(parent.stdout.readline())
    time.sleep(0.5)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(reader) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = _alive(reader)
    if alive:
        os.kill(reader, signal.SIGKILL)
    assert not alive, "a reader outlived its killed parent"


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, reaped by init, counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
