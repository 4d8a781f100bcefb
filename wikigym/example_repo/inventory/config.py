"""Settings for the service, read from `config/inventory.yaml` with environment overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "inventory.yaml"


@dataclass(frozen=True)
class Settings:
    """Runtime settings. `database` is a SQLite path; ':memory:' keeps everything in RAM."""

    host: str = "127.0.0.1"
    port: int = 8080
    database: str = "inventory.db"
    low_stock_threshold: int = 5
    max_reservation: int = 50

    @classmethod
    def from_file(cls, path: Path | str = DEFAULT_CONFIG) -> Settings:
        """Load settings from YAML; `INVENTORY_DB` and `INVENTORY_PORT` override the file."""
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        server = data.get("server", {})
        stock = data.get("stock", {})
        return cls(
            host=server.get("host", cls.host),
            port=int(os.environ.get("INVENTORY_PORT", server.get("port", cls.port))),
            database=os.environ.get("INVENTORY_DB", data.get("database", {}).get("path", cls.database)),
            low_stock_threshold=int(stock.get("low_stock_threshold", cls.low_stock_threshold)),
            max_reservation=int(stock.get("max_reservation", cls.max_reservation)),
        )
