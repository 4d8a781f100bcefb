"""Domain models for the inventory service: items, reservations and their validation rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

SKU_PATTERN = re.compile(r"^[A-Z]{3}-\d{4}$")
MAX_QUANTITY = 1_000_000


class ValidationError(ValueError):
    """Raised when an item, a SKU or a quantity is invalid."""


def validate_sku(sku: str) -> str:
    """Return the SKU if it looks like `ABC-1234`, else raise ValidationError."""
    if not SKU_PATTERN.match(sku):
        raise ValidationError(f"invalid SKU {sku!r}: expected three capital letters, a dash and four digits")
    return sku


def validate_quantity(quantity: int, *, allow_zero: bool = False) -> int:
    """Check that a quantity is a whole number within the accepted range."""
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise ValidationError(f"quantity must be an integer, got {type(quantity).__name__}")
    lowest = 0 if allow_zero else 1
    if not lowest <= quantity <= MAX_QUANTITY:
        raise ValidationError(f"quantity {quantity} is outside {lowest}..{MAX_QUANTITY}")
    return quantity


@dataclass
class Item:
    """A product kept in stock.

    `quantity` counts units on the shelf; `reserved` counts units promised to open orders, so
    `available` is what can still be sold.
    """

    sku: str
    name: str
    quantity: int = 0
    reserved: int = 0
    unit_price_cents: int = 0
    tags: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        validate_sku(self.sku)
        validate_quantity(self.quantity, allow_zero=True)
        if not self.name.strip():
            raise ValidationError("item name must not be empty")
        if self.reserved > self.quantity:
            raise ValidationError(f"{self.sku}: reserved {self.reserved} exceeds quantity {self.quantity}")

    @property
    def available(self) -> int:
        """Units that can still be reserved."""
        return self.quantity - self.reserved

    def to_dict(self) -> dict[str, Any]:
        """Serialise for the HTTP API and the database."""
        return {
            "sku": self.sku,
            "name": self.name,
            "quantity": self.quantity,
            "reserved": self.reserved,
            "available": self.available,
            "unit_price_cents": self.unit_price_cents,
            "tags": list(self.tags),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Item:
        """Build an item from API input, ignoring derived fields such as `available`."""
        return cls(
            sku=data["sku"],
            name=data["name"],
            quantity=int(data.get("quantity", 0)),
            reserved=int(data.get("reserved", 0)),
            unit_price_cents=int(data.get("unit_price_cents", 0)),
            tags=list(data.get("tags", [])),
        )


@dataclass(frozen=True)
class Reservation:
    """Units of one item held for an order until it ships or is cancelled."""

    sku: str
    quantity: int
    order_id: str
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def to_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "quantity": self.quantity,
            "order_id": self.order_id,
            "created_at": self.created_at.isoformat(),
        }
