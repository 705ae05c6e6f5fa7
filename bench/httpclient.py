"""A small keep-alive HTTP client that times each request with time.perf_counter, and stats."""

from __future__ import annotations

import http.client
import json
import math
import time
from typing import Any
from urllib.parse import quote, urlencode


class Http:
    """One persistent HTTP/1.1 connection (one per thread), JSON in and out."""

    def __init__(self, port: int, token: str | None = None, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self.headers = {"Accept": "application/json", "Connection": "keep-alive"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.conn: http.client.HTTPConnection | None = None
        self.reconnects = 0

    def _connect(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
            self.conn.connect()
        return self.conn

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
        """(status, parsed JSON or None, milliseconds). The time covers sending the request and
        reading the whole response body; a connection the server closed while idle is reopened
        (outside the timed part) and the request sent again."""
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = dict(self.headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            conn = self._connect()
            try:
                t0 = time.perf_counter()
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
                ms = (time.perf_counter() - t0) * 1000
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest):
                self.close()
                self.reconnects += 1
                if attempt:
                    raise
                continue
            if resp.getheader("Connection", "").lower() == "close":
                self.close()
            parsed = json.loads(raw) if raw and resp.getheader("Content-Type", "").startswith(
                "application/json") else None
            return resp.status, parsed, ms
        raise AssertionError("unreachable")

    def get(self, path: str, params: list[tuple[str, str]] | None = None) -> tuple[int, Any, float]:
        if params:
            path += "?" + urlencode(params, quote_via=quote)
        return self.request("GET", path)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summary(ms: list[float]) -> dict[str, Any]:
    s = sorted(ms)
    return {"n": len(s), "p50_ms": round(percentile(s, 50), 2),
            "p95_ms": round(percentile(s, 95), 2),
            "max_ms": round(s[-1], 2) if s else None,
            "mean_ms": round(sum(s) / len(s), 2) if s else None}
