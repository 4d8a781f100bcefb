"""Business rules: reserving stock for orders, releasing it, restocking and low-stock reports."""

from __future__ import annotations

import logging
from dataclasses import replace

from inventory.models import Item, Reservation, ValidationError, validate_quantity, validate_sku
from inventory.storage import ItemNotFound, ItemStore

log = logging.getLogger(__name__)


class OutOfStock(Exception):
    """Raised when a reservation asks for more units than are available."""

    def __init__(self, sku: str, requested: int, available: int) -> None:
        super().__init__(f"{sku}: requested {requested}, only {available} available")
        self.sku = sku
        self.requested = requested
        self.available = available


class InventoryService:
    """Coordinates the store and the stock rules. All mutations go through here."""

    def __init__(self, store: ItemStore, low_stock_threshold: int = 5, max_reservation: int = 50) -> None:
        self.store = store
        self.low_stock_threshold = low_stock_threshold
        self.max_reservation = max_reservation
        self._reservations: dict[str, Reservation] = {}

    def add_item(self, item: Item) -> Item:
        """Register a new item; adding an existing SKU is an error."""
        try:
            self.store.get(item.sku)
        except ItemNotFound:
            self.store.put(item)
            log.info("added %s (%d units)", item.sku, item.quantity)
            return item
        raise ValidationError(f"item {item.sku} already exists")

    def get_item(self, sku: str) -> Item:
        return self.store.get(validate_sku(sku))

    def list_items(self) -> list[Item]:
        return self.store.list()

    def reserve(self, sku: str, quantity: int, order_id: str) -> Reservation:
        """Hold `quantity` units of `sku` for `order_id`.

        Raises:
            OutOfStock: not enough units are available.
            ValidationError: the quantity exceeds `max_reservation` or the order already holds a reservation.
        """
        validate_quantity(quantity)
        if quantity > self.max_reservation:
            raise ValidationError(f"cannot reserve more than {self.max_reservation} units at once")
        if order_id in self._reservations:
            raise ValidationError(f"order {order_id} already has a reservation")
        item = self.get_item(sku)
        if quantity > item.available:
            raise OutOfStock(sku, quantity, item.available)
        self.store.put(replace(item, reserved=item.reserved + quantity))
        reservation = Reservation(sku=sku, quantity=quantity, order_id=order_id)
        self._reservations[order_id] = reservation
        return reservation

    def release(self, order_id: str) -> None:
        """Cancel a reservation and return its units to the available stock."""
        reservation = self._reservations.pop(order_id)
        item = self.store.get(reservation.sku)
        self.store.put(replace(item, reserved=item.reserved - reservation.quantity))

    def ship(self, order_id: str) -> Item:
        """Ship a reserved order: the units leave the shelf and the reservation ends."""
        reservation = self._reservations.pop(order_id)
        item = self.store.get(reservation.sku)
        shipped = replace(
            item, quantity=item.quantity - reservation.quantity, reserved=item.reserved - reservation.quantity
        )
        self.store.put(shipped)
        return shipped

    def restock(self, sku: str, quantity: int) -> Item:
        """Add delivered units to the shelf."""
        validate_quantity(quantity)
        item = self.get_item(sku)
        restocked = replace(item, quantity=item.quantity + quantity)
        self.store.put(restocked)
        log.info("restocked %s: +%d", sku, quantity)
        return restocked

    def low_stock(self) -> list[Item]:
        """Items whose available units are at or below the threshold, most urgent first."""
        low = [item for item in self.store.list() if item.available <= self.low_stock_threshold]
        return sorted(low, key=lambda item: (item.available, item.sku))
