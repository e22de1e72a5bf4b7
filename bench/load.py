"""A load generator: ``connections`` concurrent keep-alive connections GET one or more URLs for ``seconds``.

    python bench/load.py http://127.0.0.1:8000/v1/metrics/network --connections 50 --seconds 30
    python bench/load.py URL URL … --rpc-url http://127.0.0.1:8545     (several URLs, in turn; staleness)

Runs in its own process (the benchmark starts it apart from the server) and prints one JSON object: for one
URL, its figures; for several, the figures of each by URL. Figures: requests, errors (non-200 answers and
failed connections), requests per second, and latency p50 / p95 / p99 / max in milliseconds, measured per
request from sending it to reading the whole body. With ``--rpc-url``, also how many blocks behind the
chain's head the answers were: the chain's head (polled every 0.25 s) minus the answer's ``X-Block-Height``.
With ``--samples FILE``, at most ten answers per second of each URL that say ``last_change_block`` are
written to FILE as JSON ``[url, Unix time received, last_change_block, global_last_change_block]`` rows
(how stale the answers were is worked out from them by the caller, who knows when each change was mined).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp


@dataclass
class _Tally:
    """What the requests to one URL met."""

    latencies: list[float] = field(default_factory=list)
    behind: list[int] = field(default_factory=list)
    errors: int = 0
    samples: list[tuple[float, int | None, int | None]] = field(default_factory=list)
    sampled_at: float = 0.0

    def figures(self, elapsed: float) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        if not ordered:
            return {"requests": 0, "errors": self.errors}

        def percentile(share: float) -> float:
            return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]

        found: dict[str, Any] = {
            "requests": len(ordered),
            "errors": self.errors,
            "requests_per_s": len(ordered) / elapsed,
            "p50_ms": 1000 * statistics.median(ordered),
            "p95_ms": percentile(0.95),
            "p99_ms": percentile(0.99),
            "max_ms": 1000 * ordered[-1],
        }
        if self.behind:
            found["behind_median"] = statistics.median(self.behind)
            found["behind_max"] = max(self.behind)
        return found


class _ChainHead:
    """The chain's head, polled in the background (0 until known)."""

    def __init__(self) -> None:
        self.number = 0

    async def follow(self, session: aiohttp.ClientSession, rpc_url: str, until: float) -> None:
        request = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}
        while time.perf_counter() < until:
            with contextlib.suppress(aiohttp.ClientError, KeyError, ValueError):
                async with session.post(rpc_url, json=request) as response:
                    self.number = int((await response.json())["result"], 16)
            await asyncio.sleep(0.25)


async def _worker(
    session: aiohttp.ClientSession,
    urls: list[str],
    first: int,
    until: float,
    tallies: dict[str, _Tally],
    head: _ChainHead | None,
    sampling: bool = False,
) -> None:
    turn = first
    while time.perf_counter() < until:
        url = urls[turn % len(urls)]
        turn += 1
        tally = tallies[url]
        started = time.perf_counter()
        try:
            async with session.get(url) as response:
                body = await response.read()
                ok = response.status == 200
                height = response.headers.get("X-Block-Height")
        except aiohttp.ClientError:
            tally.errors += 1
            continue
        tally.latencies.append(time.perf_counter() - started)
        if sampling and ok and time.time() - tally.sampled_at >= 0.1 and b'"last_change_block"' in body:
            tally.sampled_at = time.time()
            answer = json.loads(body)
            tally.samples.append(
                (tally.sampled_at, answer["last_change_block"], answer.get("global_last_change_block"))
            )
        if not ok:
            tally.errors += 1
        elif head is not None and head.number and height is not None:
            tally.behind.append(max(0, head.number - int(height)))


async def run(
    urls: list[str],
    connections: int,
    seconds: float,
    rpc_url: str | None = None,
    samples: list[list[Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Load ``urls`` (in turn) and return each one's figures (see the module's docstring); ``samples``, if
    given, receives the sampled answers' rows."""
    tallies = {url: _Tally() for url in urls}
    head = _ChainHead() if rpc_url else None
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        for url in urls:  # the first answer may be cold: it is not measured
            async with session.get(url) as warmup:
                await warmup.read()
        started = time.perf_counter()
        until = started + seconds
        following = [head.follow(session, rpc_url, until)] if head is not None and rpc_url else []
        await asyncio.gather(
            *following,
            *(
                _worker(session, urls, index, until, tallies, head, samples is not None)
                for index in range(connections)
            ),
        )
        elapsed = time.perf_counter() - started
    if samples is not None:
        samples += [[url, *row] for url, tally in tallies.items() for row in tally.samples]
    return {url: tally.figures(elapsed) for url, tally in tallies.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="+", metavar="url")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rpc-url", help="the chain's node, to tell how far behind its head answers were")
    parser.add_argument("--samples", help="write sampled answers' change blocks to this JSON file")
    options = parser.parse_args()
    samples: list[list[Any]] | None = [] if options.samples else None
    found = asyncio.run(run(options.urls, options.connections, options.seconds, options.rpc_url, samples))
    if options.samples:
        with open(options.samples, "w") as sink:
            json.dump(samples, sink)
    print(json.dumps(found[options.urls[0]] if len(options.urls) == 1 else found))


if __name__ == "__main__":
    main()
