"""Run a producer in a forked child process and consume what it yields in this one, one item ahead.

The indexer's backfill is two kinds of work: reading and decoding the chain's logs, and writing them. In one
process they take turns (Python runs one thread at a time); here the child reads and prepares the next range
while the parent writes the current one. The pipe between them holds one item at a time, so the child is at
most one item ahead and memory stays bounded.

The child writes nothing anywhere: if either process dies, nothing is half-written. It ignores Ctrl-C (the
parent stops it), and it ends on its own when the parent is gone (its next send finds the pipe closed).
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal
from collections.abc import Callable, Generator, Iterator
from multiprocessing.connection import Connection
from typing import TypeVar

__all__ = ["PrefetchError", "prefetched"]

T = TypeVar("T")

_ITEM, _ERROR, _DONE = "item", "error", "done"


class PrefetchError(RuntimeError):
    """The child process ended without saying why (killed, or out of memory)."""


def prefetched(produce: Callable[[], Iterator[T]]) -> Generator[T]:
    """Iterate what ``produce()`` yields, computed in a forked child process.

    ``produce`` runs in the child: it must open its own connections (sockets and database handles are not to
    be shared across a fork). An exception it raises is raised here, in order, after the items before it.
    Closing the iterator (or leaving the loop) stops the child.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_run, args=(produce, sender, receiver), name="coopledger-prefetch", daemon=True
    )
    child.start()
    sender.close()
    try:
        while True:
            try:
                kind, payload = receiver.recv()
            except EOFError:
                child.join(timeout=5)
                raise PrefetchError(
                    f"the process reading the chain ended unexpectedly (exit code {child.exitcode})"
                ) from None
            if kind == _ITEM:
                yield payload
            elif kind == _ERROR:
                raise payload
            else:
                return
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _run(produce: Callable[[], Iterator[object]], sender: Connection, inherited: Connection) -> None:
    # The fork gave this process the pipe's reading end too: while it stays open here, a send to a parent
    # that died blocks forever instead of failing, and the child would outlive it.
    inherited.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops this process
    items = produce()
    while True:
        message: tuple[str, object]
        try:
            message = (_ITEM, next(items))
        except StopIteration:
            message = (_DONE, None)
        except Exception as exc:  # every failure is the parent's to raise
            message = (_ERROR, _picklable(exc))
        try:
            sender.send(message)
        except (BrokenPipeError, ConnectionResetError):
            return  # the parent stopped listening
        if message[0] != _ITEM:
            sender.close()
            return


def _picklable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # one that does not pickle is sent as its description
        return PrefetchError(f"{type(exc).__name__}: {exc}")
    return exc
