"""Behind a load balancer that sends the PROXY protocol header (DAICHO_PROXY_PROTOCOL_FROM,
docs/scale.md), the client's address it passes on is the request's address — in the access log,
the sign-in lockouts and the administration networks — and only a listed balancer may pass one
on."""

from __future__ import annotations

import json
import socket
from typing import Any

from tests.conftest import json_call, run_daicho, running_server

CLIENT = "203.0.113.7"


def _through_balancer(base: str, token: str, name: str) -> bytes:
    """A request as a balancer in front of the server sends it: the PROXY line, then HTTP."""
    host, port = base.removeprefix("http://").split(":")
    body = json.dumps({"name": name, "fields": [{"name": "名称", "type": "text"}]}).encode()
    head = (f"PROXY TCP4 {CLIENT} 127.0.0.1 51234 {port}\r\n"
            f"POST /api/v1/ledgers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(head + body)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def _ips(base: str, token: str, action: str) -> list[Any]:
    status, log = json_call(base, token, "GET", "/api/v1/audit-log")
    assert status == 200
    return [e["ip"] for e in log["items"] if e["action"] == action]


def test_a_listed_balancer_passes_the_client_address_on(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "DAICHO_PROXY_PROTOCOL_FROM": "127.0.0.1/32"}
    assert run_daicho(env, "init").code == 0
    token = run_daicho(env, "token", "create", "admin").out.strip()
    with running_server(env) as base:
        answer = _through_balancer(base, token, "負荷分散の向こう")
        assert answer.startswith(b"HTTP/1.1 201"), answer[:300]
        # a connection without the header (the balancer's health check) is served as before
        status, _body = json_call(base, token, "POST", "/api/v1/ledgers", {
            "name": "直接", "fields": [{"name": "名称", "type": "text"}]})
        assert status == 201
        assert _ips(base, token, "ledger_create") == [CLIENT, "127.0.0.1"]  # in order written


def test_no_one_else_may_name_an_address(cli_env: dict[str, str]) -> None:
    for listed in ("10.9.0.0/16", None):  # another balancer listed; the setting left unset
        env = dict(cli_env)
        if listed:
            env["DAICHO_PROXY_PROTOCOL_FROM"] = listed
        env["DAICHO_DATA_DIR"] += f"-{bool(listed)}"
        assert run_daicho(env, "init").code == 0
        token = run_daicho(env, "token", "create", "admin").out.strip()
        with running_server(env) as base:
            answer = _through_balancer(base, token, "なりすまし")
            assert answer.startswith(b"HTTP/1.1 4"), answer[:300]
            assert CLIENT not in _ips(base, token, "ledger_create")
            status, listing = json_call(base, token, "GET", "/api/v1/ledgers")
            assert status == 200 and not [x for x in listing["items"] if x["name"] == "なりすまし"]


def test_a_bad_setting_is_refused(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "DAICHO_PROXY_PROTOCOL_FROM": "balancer.example"}
    done = run_daicho(env, "serve", "--port", "1", timeout=60)
    assert done.code != 0
    assert "DAICHO_PROXY_PROTOCOL_FROM" in done.err
