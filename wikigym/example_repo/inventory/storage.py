"""Persistence for items: a SQLite store for the service and an in-memory store for tests.

Both implement `ItemStore`, so the service never knows which one it talks to.
"""

from __future__ import annotations

import json
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager

from inventory.models import Item

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    sku TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    quantity INTEGER NOT NULL DEFAULT 0,
    reserved INTEGER NOT NULL DEFAULT 0,
    unit_price_cents INTEGER NOT NULL DEFAULT 0,
    tags TEXT NOT NULL DEFAULT '[]'
)
"""


class ItemNotFound(KeyError):
    """Raised when a SKU is not in the store."""


class ItemStore(ABC):
    """Interface every storage backend implements."""

    @abstractmethod
    def get(self, sku: str) -> Item:
        """Return the item or raise ItemNotFound."""

    @abstractmethod
    def put(self, item: Item) -> None:
        """Insert or replace an item."""

    @abstractmethod
    def delete(self, sku: str) -> None:
        """Remove an item; raise ItemNotFound if it does not exist."""

    @abstractmethod
    def list(self) -> list[Item]:
        """All items ordered by SKU."""


class InMemoryItemStore(ItemStore):
    """A dictionary-backed store, used by tests and by `inventory serve --memory`."""

    def __init__(self) -> None:
        self._items: dict[str, Item] = {}

    def get(self, sku: str) -> Item:
        try:
            return self._items[sku]
        except KeyError:
            raise ItemNotFound(sku) from None

    def put(self, item: Item) -> None:
        self._items[item.sku] = item

    def delete(self, sku: str) -> None:
        if self._items.pop(sku, None) is None:
            raise ItemNotFound(sku)

    def list(self) -> list[Item]:
        return [self._items[sku] for sku in sorted(self._items)]


class SQLiteItemStore(ItemStore):
    """Items in a SQLite table; each write runs in its own transaction."""

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute(SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Commit on success, roll back on error."""
        try:
            yield self._conn
            self._conn.commit()
        except Exception:
            self._conn.rollback()
            raise

    def get(self, sku: str) -> Item:
        row = self._conn.execute("SELECT * FROM items WHERE sku = ?", (sku,)).fetchone()
        if row is None:
            raise ItemNotFound(sku)
        return _row_to_item(row)

    def put(self, item: Item) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?, ?, ?)",
                (item.sku, item.name, item.quantity, item.reserved, item.unit_price_cents, json.dumps(item.tags)),
            )

    def delete(self, sku: str) -> None:
        with self.transaction() as conn:
            if conn.execute("DELETE FROM items WHERE sku = ?", (sku,)).rowcount == 0:
                raise ItemNotFound(sku)

    def list(self) -> list[Item]:
        rows = self._conn.execute("SELECT * FROM items ORDER BY sku").fetchall()
        return [_row_to_item(row) for row in rows]

    def close(self) -> None:
        self._conn.close()


def _row_to_item(row: sqlite3.Row) -> Item:
    return Item(
        sku=row["sku"],
        name=row["name"],
        quantity=row["quantity"],
        reserved=row["reserved"],
        unit_price_cents=row["unit_price_cents"],
        tags=json.loads(row["tags"]),
    )
