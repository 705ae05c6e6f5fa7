"""The soak of bench/soak.py in a CI-sized form: several clients bulk-load, read, search and PATCH
through a real `daicho serve` of two processes; afterwards every acknowledged write is in the
database, the history equals the acknowledged writes, `daicho check` passes and no response was
5xx. Runs on both databases (the suite's PostgreSQL run gives the server a database of its own)."""

from __future__ import annotations

import sys
from pathlib import Path

from bench import soak


def test_sustained_writes_from_several_clients_lose_nothing(cli_env: dict[str, str],
                                                            tmp_path: Path) -> None:
    cfg = soak.Config(records=40_000, seconds=45, workers=2, threads=8, bulk_clients=3,
                      readers=2, patchers=2, batch=250, targets=50)
    result = soak.run(cfg, cli_env, Path(sys.executable).parent / "daicho",
                      tmp_path / "server.log")
    assert result["problems"] == []
    assert result["responses_5xx"] == 0
    assert result["records_acknowledged"] == cfg.records
    assert result["updates_acknowledged"] > 0
    assert result["ok"]
