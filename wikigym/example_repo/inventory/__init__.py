"""Inventory service: track stock levels, reserve items for orders and restock them.

The package is split by layer: `models` (domain objects and validation), `storage` (persistence),
`service` (business rules), `api` (HTTP handlers) and `cli` (command line entry point).
"""

from inventory.models import Item, Reservation, ValidationError
from inventory.service import InventoryService, OutOfStock

__version__ = "0.3.0"
__all__ = ["InventoryService", "Item", "OutOfStock", "Reservation", "ValidationError", "__version__"]
