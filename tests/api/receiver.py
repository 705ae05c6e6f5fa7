"""A real HTTP receiver for webhook tests: an `http.server` on 127.0.0.1 in a thread, which
records every request and answers with the statuses it is told, in turn."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def signed_with(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("X-Daicho-Signature", ""), expected)


@dataclass
class Receiver:
    url: str
    got: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # statuses to answer with, then 200s
    headers: dict[str, str] = field(default_factory=dict)  # sent with every answer
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 20) -> bool:
        """Block until `count` requests have arrived (a server's worker sends them)."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.got) >= count, timeout)

    def bodies(self) -> list[dict[str, Any]]:
        return [r.json for r in self.got]


@contextmanager
def receiving(path: str = "/hook") -> Iterator[Receiver]:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver.arrived:
                receiver.got.append(Received(self.path, dict(self.headers.items()), body))
                status = receiver.answers.pop(0) if receiver.answers else 200
                receiver.arrived.notify_all()
            self.send_response(status)
            for name, value in receiver.headers.items():
                self.send_header(name, value)
            answer = b'{"ok": true}' if status < 300 else b"broken " * 200
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}{path}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
