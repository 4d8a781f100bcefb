"""HTTP API over the inventory service, built on the standard library's `http.server`.

Routes:
    GET  /health                  liveness probe
    GET  /items                   all items (`?low_stock=1` for the low-stock report)
    GET  /items/<sku>             one item
    POST /items                   create an item (JSON body)
    POST /items/<sku>/reserve     {"quantity": n, "order_id": "..."}
    POST /items/<sku>/restock     {"quantity": n}
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from inventory.models import Item, ValidationError
from inventory.service import InventoryService, OutOfStock
from inventory.storage import ItemNotFound

Response = tuple[HTTPStatus, Any]
Route = tuple[str, re.Pattern[str], Callable[..., Response]]


class InventoryAPI:
    """Maps requests to service calls and service errors to HTTP status codes."""

    def __init__(self, service: InventoryService) -> None:
        self.service = service
        self.routes: list[Route] = [
            ("GET", re.compile(r"^/health$"), self.health),
            ("GET", re.compile(r"^/items$"), self.list_items),
            ("GET", re.compile(r"^/items/(?P<sku>[A-Z]{3}-\d{4})$"), self.get_item),
            ("POST", re.compile(r"^/items$"), self.create_item),
            ("POST", re.compile(r"^/items/(?P<sku>[A-Z]{3}-\d{4})/reserve$"), self.reserve),
            ("POST", re.compile(r"^/items/(?P<sku>[A-Z]{3}-\d{4})/restock$"), self.restock),
        ]

    def dispatch(self, method: str, target: str, body: dict[str, Any]) -> Response:
        """Find the route for `method` and `target` and run it, translating errors."""
        parts = urlsplit(target)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        for route_method, pattern, handler in self.routes:
            match = pattern.match(parts.path)
            if match and route_method == method:
                try:
                    return handler(body=body, query=query, **match.groupdict())
                except ItemNotFound as error:
                    return HTTPStatus.NOT_FOUND, {"error": f"no item {error.args[0]}"}
                except OutOfStock as error:
                    return HTTPStatus.CONFLICT, {"error": str(error), "available": error.available}
                except (ValidationError, KeyError, TypeError) as error:
                    return HTTPStatus.BAD_REQUEST, {"error": str(error)}
        return HTTPStatus.NOT_FOUND, {"error": f"no route for {method} {parts.path}"}

    def health(self, **_: Any) -> Response:
        return HTTPStatus.OK, {"status": "ok"}

    def list_items(self, query: dict[str, str], **_: Any) -> Response:
        items = self.service.low_stock() if query.get("low_stock") == "1" else self.service.list_items()
        return HTTPStatus.OK, [item.to_dict() for item in items]

    def get_item(self, sku: str, **_: Any) -> Response:
        return HTTPStatus.OK, self.service.get_item(sku).to_dict()

    def create_item(self, body: dict[str, Any], **_: Any) -> Response:
        item = self.service.add_item(Item.from_dict(body))
        return HTTPStatus.CREATED, item.to_dict()

    def reserve(self, sku: str, body: dict[str, Any], **_: Any) -> Response:
        reservation = self.service.reserve(sku, body["quantity"], body["order_id"])
        return HTTPStatus.CREATED, reservation.to_dict()

    def restock(self, sku: str, body: dict[str, Any], **_: Any) -> Response:
        return HTTPStatus.OK, self.service.restock(sku, body["quantity"]).to_dict()


def make_handler(api: InventoryAPI) -> type[BaseHTTPRequestHandler]:
    """Build a request handler class bound to `api` (http.server instantiates it per request)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._respond(*api.dispatch("GET", self.path, {}))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except json.JSONDecodeError:
                self._respond(HTTPStatus.BAD_REQUEST, {"error": "body is not valid JSON"})
                return
            self._respond(*api.dispatch("POST", self.path, body))

        def _respond(self, status: HTTPStatus, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def make_server(service: InventoryService, host: str, port: int) -> ThreadingHTTPServer:
    """Create (but do not start) the HTTP server."""
    return ThreadingHTTPServer((host, port), make_handler(InventoryAPI(service)))
