"""The INSERT forms the store writes with, in the SQL of each database it supports (SQLite, PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from ledger.exceptions import StoreError

__all__ = ["dialect_insert", "insert_ignoring_duplicates"]


def dialect_insert(dialect: str, table: Table) -> Any:
    """An INSERT with ON CONFLICT support: SQLite and PostgreSQL spell it the same way in SQLAlchemy."""
    if dialect == "sqlite":
        return sqlite.insert(table)
    if dialect == "postgresql":
        return postgresql.insert(table)
    raise StoreError(f"the event store supports SQLite and PostgreSQL, not {dialect}")


def insert_ignoring_duplicates(dialect: str, table: Table, keys: list[str]) -> Insert:
    statement: Insert = dialect_insert(dialect, table).on_conflict_do_nothing(index_elements=keys)
    return statement
