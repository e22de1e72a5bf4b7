"""Projections: folded from the events as they are stored, equal to what the contracts themselves report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect

from ledger.indexer.chain import ChainReader
from ledger.indexer.sync import Indexer
from ledger.protocol.manifest import load_manifest
from ledger.store import Store
from ledger.store.projections import TABLE_KEYS, Projections
from ledger.store.schema import PROJECTION_TABLES
from ledger.types import LedgerEvent
from tests.ledger.chain_fixtures import Anvil, Deployment, make_lifecycle

MIGRATIONS = Path(__file__).resolve().parents[3] / "ledger" / "store" / "migrations"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A new store, on SQLite and on PostgreSQL."""
    with Store.open(store_url) as opened:
        yield opened


@pytest.fixture
def lifecycle(anvil: Anvil, deployment: Deployment, store: Store) -> dict[str, int]:
    """The lifecycle scenario, indexed in small ranges (so projections are folded across many commits)."""
    ids = make_lifecycle(deployment)
    manifest = load_manifest(deployment.manifest_path)
    Indexer(ChainReader(anvil.url), store, manifest, batch_blocks=3, max_batch_blocks=3).sync()
    return ids


def _all_projections(store: Store) -> dict[str, list[dict[str, Any]]]:
    return {table: store.projection_rows(table) for table in PROJECTION_TABLES}


def _by(rows: list[dict[str, Any]], *columns: str) -> dict[Any, dict[str, Any]]:
    return {tuple(row[column] for column in columns): row for row in rows}


def test_agreement_projection_equals_the_contracts_books(
    deployment: Deployment, store: Store, lifecycle: dict[str, int]
) -> None:
    agreements = deployment.contracts["Agreements"].functions
    agreement_id = lifecycle["agreement"]
    row = _by(store.projection_rows("agreements"), "id")[(agreement_id,)]
    summary = agreements.agreement(agreement_id).call()
    assert row["status"] == "terminated"
    assert summary[1] == 4
    assert row["kind"] == "resource_pooling"
    assert (row["current_version"], row["pending_version"]) == (summary[6], summary[7]) == (3, 0)
    assert row["held"] == summary[9] == 0
    assert row["total_credited"] == summary[10] == row["total_deposited"]
    assert row["total_deposited"] == 1_000_003 + 20_011 + 77_777 + 30_001 + 9_999 + 12_345

    parties = _by(store.projection_rows("agreement_parties"), "agreement_id", "party")
    for account in deployment.accounts[:3]:
        party = parties[(agreement_id, account)]
        assert party["credited"] == agreements.creditedTo(agreement_id, account).call()
        assert party["withdrawn"] == agreements.withdrawnBy(agreement_id, account).call()
        assert party["share_bps"] == agreements.shareOf(agreement_id, account).call()
    assert [parties[(agreement_id, a)]["withdrawn"] > 0 for a in deployment.accounts[:3]] == [
        False,
        True,
        True,
    ]

    versions = _by(store.projection_rows("agreement_versions"), "agreement_id", "version")
    assert [versions[(agreement_id, v)]["status"] for v in (1, 2, 3)] == ["superseded", "replaced", "active"]
    assert versions[(agreement_id, 3)]["shares_bps"] == [3_000, 4_000, 3_000]
    assert versions[(agreement_id, 3)]["signatures"] == 3
    assert versions[(agreement_id, 3)]["uri"] == "v3"


def test_a_proposal_cancelled_by_consent_is_terminated_with_its_version_lapsed(
    store: Store, lifecycle: dict[str, int]
) -> None:
    cancelled = lifecycle["cancelled"]
    row = _by(store.projection_rows("agreements"), "id")[(cancelled,)]
    assert (row["status"], row["current_version"], row["pending_version"]) == ("terminated", 0, 0)
    version = _by(store.projection_rows("agreement_versions"), "agreement_id", "version")[(cancelled, 1)]
    assert version["status"] == "lapsed"


def test_member_projection_follows_admissions_suspensions_and_exits(
    deployment: Deployment, store: Store, lifecycle: dict[str, int]
) -> None:
    members = _by(store.projection_rows("members"), "address")
    consortium = deployment.contracts["Consortium"].functions
    accounts = deployment.accounts
    assert len(members) == 7
    newcomer = members[(accounts[7],)]
    assert (newcomer["name"], newcomer["sector"], newcomer["region"]) == (
        "Newcomer Plumbing",
        "plumbing",
        "south",
    )
    assert newcomer["admission_proposal"] == 1
    statuses = {"active": 1, "suspended": 2, "exited": 3}
    for (address,), member in members.items():
        name, _, _, joined_at, status = consortium.member(address).call()
        assert (member["name"], member["joined_at"], statuses[member["status"]]) == (name, joined_at, status)
    assert members[(accounts[5],)]["status"] == "exited"
    assert newcomer["status"] == "suspended"


def test_asset_projection_follows_deployment_approvals_and_revocations(
    deployment: Deployment, store: Store, lifecycle: dict[str, int]
) -> None:
    consortium = deployment.contracts["Consortium"].functions
    cusd = deployment.contracts["MockERC20"].address
    revocation = lifecycle["revocation"]
    pound = consortium.proposal(revocation).call()[1]
    assets = _by(store.projection_rows("assets"), "address")
    assert set(assets) == {(cusd,), (pound,)}
    deployed = assets[(cusd,)]
    assert (deployed["approved"], deployed["proposal_id"]) == (True, 0), "approved at deployment"
    revoked = assets[(pound,)]
    assert (revoked["approved"], revoked["proposal_id"]) == (False, revocation)
    assert revoked["approved_block"] < revoked["updated_block"]
    for (address,), row in assets.items():
        assert row["approved"] == consortium.isApprovedAsset(address).call()


def test_program_and_referral_projections_equal_the_contracts_books(
    deployment: Deployment, store: Store, lifecycle: dict[str, int]
) -> None:
    referrals = deployment.contracts["ReferralRewards"].functions
    program_id = lifecycle["program"]
    program = _by(store.projection_rows("programs"), "id")[(program_id,)]
    view = referrals.program(program_id).call()
    assert program["status"] == "closed"
    assert view[7] is True
    assert program["reserved"] == 0, "every confirmed reward of the lifecycle was paid"
    assert program["funded"] - program["reclaimed"] - program["reserved"] - program["paid"] == view[8] == 0
    assert program["funded"] == 25 * 10**6
    assert (program["referrals"], program["conversions"]) == (3, 2)

    rows = [row for row in store.projection_rows("referrals") if row["program_id"] == program_id]
    status_names = ["none", "recorded", "confirmed", "claimed"]
    for row in rows:
        on_chain = referrals.referral(program_id, row["referrer"], row["commitment"]).call()
        assert row["status"] == status_names[on_chain[0]]
        assert (row["reward"] or 0) == on_chain[1]
    assert sorted((row["status"], row["via_voucher"]) for row in rows) == [
        ("claimed", False),
        ("claimed", True),
        ("recorded", None),
    ]


def test_rating_projection_keeps_the_newest_rating_of_each_version(
    deployment: Deployment, store: Store, lifecycle: dict[str, int]
) -> None:
    """Founder 0 rated 1 with 2 and then 4 (version 1), 1 rated 0 with 5 and a comment (version 3), and 0's
    signed rating of 2 (3, version 1) was submitted by a customer."""
    a = deployment.accounts
    rows = {
        (row["agreement_id"], row["version"], row["rater"], row["ratee"]): (row["score"], row["comment_hash"])
        for row in store.projection_rows("ratings")
    }
    agreement = lifecycle["agreement"]
    assert rows == {
        (agreement, 1, a[0], a[1]): (4, "0x" + "00" * 32),
        (agreement, 3, a[1], a[0]): (5, "0x" + "88" * 32),
        (agreement, 1, a[0], a[2]): (3, "0x" + "00" * 32),
    }


def test_rebuilding_from_the_events_gives_the_incremental_projections(
    store: Store, lifecycle: dict[str, int]
) -> None:
    incremental = _all_projections(store)
    store.rebuild_projections()
    assert _all_projections(store) == incremental
    assert all(incremental[table] for table in PROJECTION_TABLES)


def _migrate(url: str, *steps: tuple[str, str]) -> None:
    """Run alembic ``steps`` (("downgrade", "0001"), ("upgrade", "head"), ...) on the store at ``url``."""
    engine = create_engine(url)
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        for step, revision in steps:
            getattr(command, step)(config, revision)
    engine.dispose()


def test_a_store_from_before_projections_gets_them_when_the_indexer_starts(
    store_url: str, store: Store, lifecycle: dict[str, int], deployment: Deployment
) -> None:
    expected = _all_projections(store)
    parties = [row["parties"] for row in store.event_rows()]
    assert any(parties), "the lifecycle names members in its events"
    store.close()
    url = store_url
    _migrate(url, ("downgrade", "0001"))
    with Store.open(url) as upgraded:
        upgraded.record_deployment(load_manifest(deployment.manifest_path))  # the indexer's first step
        assert _all_projections(upgraded) == expected
        assert [row["parties"] for row in upgraded.event_rows()] == parties, "the migration filled parties"


def test_migration_0005_keys_referrals_by_referrer_and_keeps_every_row(
    store_url: str, store: Store, lifecycle: dict[str, int]
) -> None:
    before = sorted(store.projection_rows("referrals"), key=lambda row: row["commitment"])
    store.close()
    url = store_url
    _migrate(url, ("downgrade", "0004"), ("upgrade", "head"))
    engine = create_engine(url)
    with engine.connect() as connection:
        key = inspect(connection).get_pk_constraint("referrals")["constrained_columns"]
    engine.dispose()
    assert key == ["program_id", "referrer", "commitment"]
    with Store.open(url) as upgraded:
        after = sorted(upgraded.projection_rows("referrals"), key=lambda row: row["commitment"])
    assert after == before


def test_an_event_about_an_unknown_agreement_is_reported_not_fatal() -> None:
    state = Projections(())
    orphan = LedgerEvent(
        "Agreements", "Withdrawn", {"id": 9, "party": "0xabc", "amount": 5}, 1, "0x1", 0, "0x2", 0
    )
    state.apply(orphan)
    assert len(state.anomalies) == 1
    assert "no earlier event created" in state.anomalies[0][1]
    assert not any(state.changed_rows(table) for table in TABLE_KEYS)


def test_kinds_and_statuses_are_spelt_as_the_contracts_enums(
    store: Store, lifecycle: dict[str, int], deployment: Deployment
) -> None:
    """One spelling everywhere: what the projections store is a label of the deployment's own enums."""
    contracts = load_manifest(deployment.manifest_path).contracts

    def labels(contract: str, enum: str) -> set[str]:
        return set(contracts[contract].enum_labels(enum))

    def stored(table: str, column: str) -> set[str]:
        return {row[column] for row in store.projection_rows(table)}

    assert stored("members", "status") <= labels("Consortium", "MemberStatus")
    assert stored("agreements", "status") <= labels("Agreements", "Status")
    assert stored("agreements", "kind") <= labels("Agreements", "Kind")
    assert stored("referrals", "status") <= labels("ReferralRewards", "ReferralStatus")
    assert len(stored("referrals", "status")) > 1, "the lifecycle leaves referrals in several statuses"
