"""A load generator: ``connections`` concurrent keep-alive connections GET one URL for ``seconds``.

    python bench/load.py http://127.0.0.1:8000/v1/metrics/network --connections 50 --seconds 30

Runs in its own process (the benchmark starts it apart from the server) and prints one JSON object: requests,
errors (non-200 answers and failed connections), requests per second, and latency p50 / p95 / p99 / max in
milliseconds. Latency is measured per request, from sending it to reading the whole body.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import aiohttp


async def _worker(session: aiohttp.ClientSession, url: str, until: float, latencies: list[float]) -> int:
    errors = 0
    while time.perf_counter() < until:
        started = time.perf_counter()
        try:
            async with session.get(url) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
        except aiohttp.ClientError:
            errors += 1
        latencies.append(time.perf_counter() - started)
    return errors


async def run(url: str, connections: int, seconds: float) -> dict[str, float]:
    """Load ``url`` and return the figures (see the module's docstring)."""
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        async with session.get(url) as warmup:  # the first answer may be cold: it is not measured
            await warmup.read()
        started = time.perf_counter()
        until = started + seconds
        errors = sum(
            await asyncio.gather(*(_worker(session, url, until, latencies) for _ in range(connections)))
        )
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)

    def percentile(share: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return {
        "requests": len(ordered),
        "errors": errors,
        "requests_per_s": len(ordered) / elapsed,
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": percentile(0.95),
        "p99_ms": percentile(0.99),
        "max_ms": 1000 * ordered[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    options = parser.parse_args()
    print(json.dumps(asyncio.run(run(options.url, options.connections, options.seconds))))


if __name__ == "__main__":
    main()
