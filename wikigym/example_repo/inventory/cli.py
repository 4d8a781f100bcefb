"""Command line entry point: `inventory serve | add | list | restock`."""

from __future__ import annotations

import argparse
import json
import sys

from inventory.api import make_server
from inventory.config import Settings
from inventory.models import Item, ValidationError
from inventory.service import InventoryService
from inventory.storage import InMemoryItemStore, ItemStore, SQLiteItemStore


def build_service(settings: Settings, memory: bool = False) -> InventoryService:
    """Wire a store and the service from settings."""
    store: ItemStore = InMemoryItemStore() if memory else SQLiteItemStore(settings.database)
    return InventoryService(store, settings.low_stock_threshold, settings.max_reservation)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="inventory", description="Track stock levels.")
    parser.add_argument("--config", default=None, help="YAML settings file")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--memory", action="store_true", help="keep items in memory only")

    add = commands.add_parser("add", help="add an item")
    add.add_argument("sku")
    add.add_argument("name")
    add.add_argument("--quantity", type=int, default=0)
    add.add_argument("--price-cents", type=int, default=0)

    commands.add_parser("list", help="print all items as JSON")

    restock = commands.add_parser("restock", help="add delivered units")
    restock.add_argument("sku")
    restock.add_argument("quantity", type=int)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings.from_file(args.config) if args.config else Settings.from_file()
    service = build_service(settings, memory=getattr(args, "memory", False))
    try:
        if args.command == "serve":
            server = make_server(service, settings.host, settings.port)
            print(f"listening on http://{settings.host}:{settings.port}")
            server.serve_forever()
        elif args.command == "add":
            item = service.add_item(Item(args.sku, args.name, args.quantity, unit_price_cents=args.price_cents))
            print(json.dumps(item.to_dict()))
        elif args.command == "list":
            print(json.dumps([item.to_dict() for item in service.list_items()], indent=2))
        elif args.command == "restock":
            print(json.dumps(service.restock(args.sku, args.quantity).to_dict()))
    except ValidationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
