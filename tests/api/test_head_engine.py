"""The metrics worker's engine finds the communities in a process of their own on a large tie graph: the
figures it publishes are the ones computed in one process, and if that process dies they are still
published, found in the engine's own."""

from __future__ import annotations

import logging
import multiprocessing
import os
from pathlib import Path

import pytest

import api.worker
from api.worker import HeadEngine, HeadFigures
from ledger.analytics.metrics.alerts import AlertThresholds
from ledger.analytics.metrics.network import Communities
from ledger.analytics.metrics.report import NetworkReport, structure_report
from ledger.store import Store
from tests.api.conftest import Served


def dies(nodes: list[str], edges: list[tuple[int, int]], weights: list[int]) -> Communities:
    """Stands for a communities process that is killed (out of memory, say) while it works."""
    os._exit(9)


def _published_global(served: Served) -> tuple[NetworkReport, NetworkReport]:
    """What an engine that finds the communities apart (from any size) publishes once its global figures
    are in, and the same figures computed in one process on its tie graph."""
    published: list[HeadFigures] = []
    with served.store() as store:
        engine = HeadEngine(store, AlertThresholds(), 0.0, published.append, communities_apart_from=0)
        try:
            engine.step()
        finally:
            engine.stop(timeout=120)
        last = published[-1]
        assert last.global_block == last.block >= 0, "the global figures were published"
        running = engine._running
        in_one_process = structure_report(last.block, running.members(), running.tie_graph())
    return last.figures[0], in_one_process


def test_communities_found_apart_give_the_figures_of_one_process(served: Served) -> None:
    network, in_one_process = _published_global(served)
    assert network.communities.groups, "the lifecycle's chain has communities to find"
    assert network == in_one_process


def test_a_communities_process_that_dies_is_made_up_for(
    served: Served, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(api.worker, "communities_of_edges", dies)
    network, in_one_process = _published_global(served)
    assert network == in_one_process
    assert "communities found in the engine's own process" in caplog.text


def _engine_in_a_process(store_url: str, log_path: str) -> None:
    """An engine in a spawned process, as the metrics worker runs one, logging to ``log_path``."""
    logging.basicConfig(filename=log_path, level=logging.WARNING)
    with Store.open(store_url) as store:
        engine = HeadEngine(store, AlertThresholds(), 0.0, lambda found: None, communities_apart_from=0)
        engine.step()
        engine.stop(timeout=120)


@pytest.mark.parametrize("daemonic", [False, True])
def test_an_engine_in_a_worker_process_starts_the_communities_process(
    served: Served, tmp_path: Path, daemonic: bool
) -> None:
    """The metrics worker is not a daemonic process (ProcessRefresher): a daemonic one may start no process,
    and its engine falls back to finding the communities itself (seen here, so the check can fail)."""
    log = tmp_path / "worker.log"
    context = multiprocessing.get_context("spawn")
    worker = context.Process(
        target=_engine_in_a_process, args=(served.settings.store_url, str(log)), daemon=daemonic
    )
    worker.start()
    worker.join(120)
    assert worker.exitcode == 0
    fell_back = "communities found in the engine's own process" in log.read_text()
    assert fell_back is daemonic
