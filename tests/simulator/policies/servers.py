"""Local HTTP servers on 127.0.0.1 that speak the Anthropic Messages API and OpenAI chat completions.

Each server answers POSTs from a queue of scripted responses `(status, body_dict, headers)` and records every request
body it received, so policy tests exercise the real SDKs over real HTTP (retries, headers, JSON) without a network.
When the queue is empty, `default` builds a reply from the request (for multi-turn tests).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, Any], dict[str, str]]


class ScriptedServer:
    def __init__(self, path_suffix: str, default: Callable[[dict[str, Any]], Reply] | None = None):
        self.path_suffix = path_suffix
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.default = default
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.endswith(server.path_suffix):
                    self._send(404, {"error": {"type": "not_found_error", "message": self.path}}, {})
                    return
                server.requests.append(body)
                server.headers.append({k.lower(): v for k, v in self.headers.items()})
                if server.replies:
                    status, payload, headers = server.replies.pop(0)
                elif server.default is not None:
                    status, payload, headers = server.default(body)
                else:
                    status, payload, headers = 500, {"error": {"type": "api_error", "message": "no reply"}}, {}
                self._send(status, payload, headers)

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def anthropic_message(content: list[dict[str, Any]], stop_reason: str = "end_turn", input_tokens: int = 100,
                      output_tokens: int = 20, cache_read: int = 0, cache_write: int = 0) -> dict[str, Any]:
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514",
            "content": content, "stop_reason": stop_reason, "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens,
                      "cache_read_input_tokens": cache_read, "cache_creation_input_tokens": cache_write}}


def anthropic_error(status: int, kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def chat_completion(message: dict[str, Any], finish_reason: str = "stop", prompt_tokens: int = 50,
                    completion_tokens: int = 10) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "student",
            "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}
