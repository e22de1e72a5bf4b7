"""Read ahead of the writes: forked reading processes take turns over the chunks of a backfill.

The indexer's backfill is two kinds of work: reading the chain's logs (with decoding and preparing rows),
and writing them. In one process they take turns (Python runs one thread at a time). Here
:func:`leapfrogged` forks ``readers`` processes (two by default) that read successive chunks in turn —
while this process writes chunk *i*, the readers are reading chunks *i + 1*, *i + 2*, … — so the node, the
decoding and the writes all overlap. Chunks arrive in order. Each reader is handed ``depth`` chunks ahead
and a new one each time it finishes one, so it never waits for the writer to ask; a sender thread in each
reader passes on what it has prepared while it reads on. Each chunk's size follows from the number of logs
in an earlier one, ``readers * depth`` chunks back (those are already handed out). Memory is bounded by
about ``readers * depth`` chunks in flight.

The readers write nothing anywhere: if any process dies, nothing is half-written. They ignore Ctrl-C (this
process stops them), and they end on their own when this process is gone (their next send or receive finds
the pipe closed: each reader closes the ends of the pipes it inherited).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import pickle
import queue
import signal
import threading
from collections import deque
from collections.abc import Callable, Generator
from multiprocessing.connection import Connection
from typing import TypeVar

__all__ = ["PrefetchError", "leapfrogged"]

T = TypeVar("T")

_ITEM, _ERROR, _DONE = "item", "error", "done"


class PrefetchError(RuntimeError):
    """The child process ended without saying why (killed, or out of memory)."""


def _picklable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # one that does not pickle is sent as its description
        return PrefetchError(f"{type(exc).__name__}: {exc}")
    return exc


def leapfrogged(
    read_chunk: Callable[[int, int], Generator[T, None, int]],
    start: int,
    target: int,
    first_size: int,
    next_size: Callable[[int, int], int],
    on_start: Callable[[], None],
    readers: int = 2,
    depth: int = 2,
) -> Generator[T]:
    """Read ``[start, target]`` in chunks with ``readers`` forked processes taking turns, and yield what
    ``read_chunk(first, last)`` yields for each chunk, in chunk order.

    While this process consumes chunk *i*, the readers are already reading chunks *i + 1*, … (each reader
    holds ``depth`` chunks handed out). The size of the chunk handed out when one is done follows from it by
    ``next_size(size, logs)`` (``logs``: what ``read_chunk`` returned for it), so the sizes adapt
    ``readers * depth`` chunks late. ``on_start`` runs first in each reader (to open its own
    connections). An exception in a reader is raised here, in order; closing the generator stops them all.
    """
    context = multiprocessing.get_context("fork")
    ends: list[Connection] = []
    children = []
    for _ in range(readers):
        mine, theirs = context.Pipe(duplex=True)
        child = context.Process(
            target=_serve_chunks,
            args=(read_chunk, on_start, theirs, [*ends, mine]),
            name="coopledger-reader",
            daemon=True,
        )
        child.start()
        theirs.close()
        ends.append(mine)
        children.append(child)
    planned: deque[tuple[int, int, int]] = deque()  # (reader, first, last) in chunk order
    following, size = start, first_size

    def assign(reader: int) -> None:
        nonlocal following
        if following <= target:
            last = min(following + size - 1, target)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                ends[reader].send((following, last))  # a reader gone is reported in its turn, below
            planned.append((reader, following, last))
            following = last + 1

    try:
        for _ in range(depth):
            for reader in range(readers):
                assign(reader)
        while planned:
            reader, first, last = planned.popleft()
            while True:
                try:
                    kind, payload = ends[reader].recv()
                except (EOFError, ConnectionResetError):  # reset: it died with our messages unread
                    children[reader].join(timeout=5)
                    code = children[reader].exitcode
                    raise PrefetchError(
                        f"a process reading the chain ended unexpectedly (exit code {code})"
                    ) from None
                if kind == _ITEM:
                    yield payload
                elif kind == _ERROR:
                    raise payload
                else:
                    size = next_size(last - first + 1, payload)
                    assign(reader)
                    break
    finally:
        for end in ends:
            end.close()
        for child in children:
            if child.is_alive():
                child.terminate()
            child.join()


def _serve_chunks(
    read_chunk: Callable[[int, int], Generator[object, None, int]],
    on_start: Callable[[], None],
    connection: Connection,
    inherited: list[Connection],
) -> None:
    for end in inherited:  # the parent's ends: open here, they would keep a dead parent's pipes alive
        end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    outbox: queue.SimpleQueue[tuple[str, object] | None] = queue.SimpleQueue()
    sender = threading.Thread(target=_send_all, args=(outbox, connection), daemon=True)
    sender.start()
    try:
        on_start()
        while sender.is_alive():
            try:
                first, last = connection.recv()
            except EOFError:
                return  # the parent is done, or gone
            chunk = read_chunk(first, last)
            while True:
                try:
                    message: tuple[str, object] = (_ITEM, next(chunk))
                except StopIteration as done:
                    outbox.put((_DONE, done.value))
                    break
                outbox.put(message)
    except (BrokenPipeError, ConnectionResetError):
        return
    except Exception as exc:  # every failure is the parent's to raise
        outbox.put((_ERROR, _picklable(exc)))
    finally:
        outbox.put(None)
        sender.join()


def _send_all(outbox: queue.SimpleQueue[tuple[str, object] | None], connection: Connection) -> None:
    while (message := outbox.get()) is not None:
        try:
            connection.send(message)
        except OSError:  # the parent is gone (broken pipe, reset) or closed its end
            return
