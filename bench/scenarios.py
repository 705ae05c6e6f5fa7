"""The measured scenarios. Every figure is client-side latency of real HTTP requests to a running
server (time.perf_counter around send + full read), after a warm-up pass, over ≥ `n` requests."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import dataset
from httpclient import Http, summary

API = "/api/v1"
SERVER_ERRORS: list[str] = []  # 5xx answers: reported in results, left out of the latencies


def _check(status: int, body: Any, what: str, expect: int = 200) -> bool:
    """True when the answer is the expected one; a 5xx is recorded and skipped (False);
    anything else is a harness bug and stops the run."""
    if status == expect:
        return True
    if status >= 500:
        SERVER_ERRORS.append(f"{time.strftime('%H:%M:%S')} {what}: HTTP {status} "
                             f"{str(body)[:200]}")
        return False
    raise RuntimeError(f"{what}: HTTP {status} {str(body)[:500]}")


def _plan(n: int, items: list[Any], seed: int) -> list[Any]:
    """n requests cycling through every item, in a shuffled (deterministic) order."""
    rnd = random.Random(seed)
    out: list[Any] = []
    while len(out) < n:
        batch = list(items)
        rnd.shuffle(batch)
        out += batch
    return out[:max(n, len(items))]


def _datasette_params(kubun: str, sort: str, lean: bool) -> list[tuple[str, str]]:
    params = [("kubun", kubun)]
    params.append(("_sort_desc", sort[1:]) if sort.startswith("-") else ("_sort", sort))
    params.append(("_size", "50"))
    if lean:
        # Same work as daicho's page: no total count, no facet suggestions.
        params += [("_nocount", "1"), ("_nosuggest", "1")]
    return params


def filtered_pages(port: int, token: str, ledger_id: int, n: int,
                   datasette_port: int | None = None,
                   settle: Callable[[], float] | None = None) -> dict[str, Any]:
    """filter=kubun:eq:X & sort=±field & limit=50: page 1, and page 2 via next_cursor; with
    Datasette's JSON API for the same page alongside (requests interleaved one by one).

    The warm-up asks for every combination once; on a big ledger that queues the background
    jobs that build the (filter, sort) pair indexes. `settle` waits for them (and returns the
    seconds waited) before the timed requests."""
    combos = [(k, s) for k in dataset.KUBUN for s in dataset.SORTS]
    path = f"{API}/ledgers/{ledger_id}/records"
    dc = Http(port, token)
    ds = Http(datasette_port) if datasette_port else None
    ds_path = "/plain/ledger.json"
    cursors: dict[tuple[str, str], str] = {}
    ds_next: dict[tuple[str, str], str] = {}
    # Warm-up: every combination once on each server; remember the page-2 tokens.
    for kubun, sort in combos:
        status, body, _ms = dc.get(path, [("filter", f"kubun:eq:{kubun}"), ("sort", sort),
                                          ("limit", "50")])
        _check(status, body, "daicho page 1")
        if len(body["items"]) != 50 or not body["next_cursor"]:
            raise RuntimeError(f"page 1 of {kubun}/{sort} has {len(body['items'])} items")
        cursors[(kubun, sort)] = body["next_cursor"]
        if ds is not None:
            for lean in (True, False):
                status, dbody, _ms = ds.get(ds_path, _datasette_params(kubun, sort, lean))
                _check(status, dbody, "datasette page 1")
            if len(dbody["rows"]) != 50 or not dbody.get("next"):
                raise RuntimeError(f"datasette page 1 of {kubun}/{sort}: {str(dbody)[:300]}")
            ds_next[(kubun, sort)] = dbody["next"]
    waited = settle() if settle is not None else 0.0
    times: dict[str, list[float]] = defaultdict(list)
    per_combo: dict[str, list[float]] = defaultdict(list)
    for kubun, sort in _plan(n, combos, 1):
        params = [("filter", f"kubun:eq:{kubun}"), ("sort", sort), ("limit", "50")]
        status, body, ms = dc.get(path, params)
        if _check(status, body, "daicho page 1"):
            times["daicho_page1"].append(ms)
        per_combo[f"{kubun} {sort}"].append(ms)
        if ds is not None:
            status, body, ms = ds.get(ds_path, _datasette_params(kubun, sort, True))
            if _check(status, body, "datasette page 1"):
                times["datasette_page1_lean"].append(ms)
            status, body, ms = ds.get(ds_path, _datasette_params(kubun, sort, False))
            if _check(status, body, "datasette page 1"):
                times["datasette_page1_default"].append(ms)
    for kubun, sort in _plan(n, combos, 2):
        params = [("filter", f"kubun:eq:{kubun}"), ("sort", sort), ("limit", "50"),
                  ("cursor", cursors[(kubun, sort)])]
        status, body, ms = dc.get(path, params)
        if _check(status, body, "daicho page 2"):
            if len(body["items"]) != 50:
                raise RuntimeError("page 2 is short")
            times["daicho_page2"].append(ms)
        if ds is not None:
            params2 = [*_datasette_params(kubun, sort, True), ("_next", ds_next[(kubun, sort)])]
            status, body, ms = ds.get(ds_path, params2)
            if _check(status, body, "datasette page 2"):
                times["datasette_page2_lean"].append(ms)
    slowest = sorted(((sorted(v)[len(v) // 2], k) for k, v in per_combo.items()), reverse=True)
    out: dict[str, Any] = {k: summary(v) for k, v in times.items()}
    out["slowest_combinations_median_ms"] = [{"combo": k, "median_ms": round(m, 2)}
                                             for m, k in slowest[:6]]
    out["combinations"] = len(combos)
    out["index_jobs_waited_s"] = round(waited, 1)
    dc.close()
    if ds is not None:
        ds.close()
    return out


def search(port: int, token: str, ledger_id: int, n: int) -> dict[str, Any]:
    """q= with 1-, 2- and 4-character queries; one figure per length, cycling its queries."""
    path = f"{API}/ledgers/{ledger_id}/records"
    dc = Http(port, token)
    by_len: dict[int, list[str]] = defaultdict(list)
    for q, _what in dataset.SEARCH_QUERIES:
        by_len[len(q)].append(q)
    hits: dict[str, Any] = {}
    for q, _what in dataset.SEARCH_QUERIES:  # warm-up
        status, body, _ms = dc.get(path, [("q", q), ("limit", "50")])
        _check(status, body, f"search {q}")
        hits[q] = len(body["items"]) if not body["next_cursor"] else "50+"
    out: dict[str, Any] = {}
    per_query: dict[str, list[float]] = defaultdict(list)
    for length in sorted(by_len):
        times = []
        for q in _plan(n, by_len[length], length):
            status, body, ms = dc.get(path, [("q", q), ("limit", "50")])
            if _check(status, body, f"search {q}"):
                times.append(ms)
                per_query[q].append(ms)
        out[f"q_{length}char"] = summary(times)
    out["per_query"] = [
        {"q": q, "what": what, "page1_hits": hits[q], **summary(per_query[q])}
        for q, what in dataset.SEARCH_QUERIES
    ]
    dc.close()
    return out


def aggregates(port: int, token: str, ledger_id: int, n: int) -> dict[str, Any]:
    path = f"{API}/ledgers/{ledger_id}/aggregate"
    dc = Http(port, token)
    out: dict[str, Any] = {}
    for name, metric in (("group_count", "count"), ("group_sum_amount", "sum:amount")):
        params = [("group_by", "kubun"), ("metric", metric)]
        for _ in range(3):
            status, body, _ms = dc.get(path, params)
            _check(status, body, "aggregate")
        times = []
        for _ in range(n):
            status, body, ms = dc.get(path, params)
            if _check(status, body, "aggregate"):
                times.append(ms)
        out[name] = summary(times)
        out[name]["groups"] = body["groups"]
    dc.close()
    return out


def single_updates(port: int, token: str, ledger_id: int, records: int, n: int) -> dict[str, Any]:
    """One client: GET a random record (untimed), then PATCH it with its revision (timed). The
    change touches 備考 (text: search index) and 状態 (an indexed choice), so each PATCH writes
    the row, two indexes, the gram index and a history entry."""
    path = f"{API}/ledgers/{ledger_id}/records"
    dc = Http(port, token)
    rnd = random.Random(7)
    times = []
    for i in range(n + 20):
        rid = rnd.randint(1, records)
        status, rec, _ms = dc.get(f"{path}/{rid}")
        if not _check(status, rec, "get record"):
            continue
        values = {"note": f"ベンチマーク更新 {time.time_ns()} 第{i}回",
                  "status": dataset.STATUS[(dataset.STATUS.index(rec["values"]["status"]) + 1)
                                           % len(dataset.STATUS)]}
        status, body, ms = dc.request("PATCH", f"{path}/{rid}",
                                      {"revision": rec["revision"], "values": values})
        if not _check(status, body, "patch"):
            continue
        if body["revision"] != rec["revision"] + 1:
            raise RuntimeError("revision did not advance by one")
        if i >= 20:  # the first 20 are the warm-up
            times.append(ms)
    dc.close()
    return summary(times)


def concurrency(port: int, token: str, clients: int = dataset.CONCURRENCY_CLIENTS,
                records: int = 100, merge_per_client: int = 100,
                conflict_per_client: int = 50) -> dict[str, Any]:
    """16 threads, each with its own keep-alive connection, update the same 100 records.

    Phase "merge": client k increments only its own field ck, sending the revision it last saw
    (usually stale: other clients changed other fields since), so the server must merge. A 409
    is retried with details.current.

    Phase "conflict": every update also increments the shared field `total`, so a stale
    revision must give 409; the client retries from details.current.

    A lost update shows as: ck of a record ≠ the successful increments client k made to it; total
    ≠ the successful phase-2 increments to it; or history entries that do not count them.
    """
    admin = Http(port, token)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    status, ledger, _ms = admin.request("POST", f"{API}/ledgers", {
        "name": f"ベンチマーク 同時更新 {stamp}-{random.randrange(10**6)}",
        "fields": dataset.concurrency_fields()})
    _check(status, ledger, "create ledger", 201)
    lid = ledger["id"]
    path = f"{API}/ledgers/{lid}/records"
    zero = {f"c{k}": 0 for k in range(1, clients + 1)} | {"total": 0}
    status, created, _ms = admin.request("POST", f"{path}/bulk", {
        "create": [{"values": {"label": f"R{i:03d}", **zero}} for i in range(records)]})
    _check(status, created, "bulk create")
    ids = [r["id"] for r in created["created"]]

    counts: dict[str, list[Counter[int]]] = {
        "merge": [Counter() for _ in range(clients)],
        "conflict": [Counter() for _ in range(clients)]}
    stats: dict[str, dict[str, Any]] = {}
    anomalies: list[str] = []
    lock = threading.Lock()

    def run_phase(phase: str, per_client: int) -> None:
        barrier = threading.Barrier(clients + 1)
        lat: list[float] = []
        conflicts = Counter[int]()
        errors: list[str] = []

        def worker(k: int) -> None:  # k = 1..clients
            h = Http(port, token)
            rnd = random.Random(1000 * k + len(phase))
            field = f"c{k}"
            seen: dict[int, tuple[int, int]] = {}  # rid -> (revision, my counter) last seen
            mine = counts[phase][k - 1]
            local_lat: list[float] = []
            h.get(f"{API}/ledgers/{lid}")  # open the connection before the start
            barrier.wait()
            for _ in range(per_client):
                rid = rnd.choice(ids)
                if phase == "conflict" or rid not in seen:
                    status, rec, _ms = h.get(f"{path}/{rid}")
                    if status != 200:
                        errors.append(f"GET {status}")
                        continue
                    seen[rid] = (rec["revision"], rec["values"][field])
                    total = rec["values"]["total"]
                rev, value = seen[rid]
                for _attempt in range(100):
                    values = {field: value + 1}
                    if phase == "conflict":
                        values["total"] = total + 1
                    status, body, ms = h.request("PATCH", f"{path}/{rid}",
                                                 {"revision": rev, "values": values})
                    local_lat.append(ms)
                    if status == 200:
                        if body["values"][field] != value + 1:
                            anomalies.append(f"{phase} k={k} rid={rid}: got "
                                             f"{body['values'][field]}, sent {value + 1}")
                        seen[rid] = (body["revision"], body["values"][field])
                        mine[rid] += 1
                        break
                    if status == 409:
                        with lock:
                            conflicts[k] += 1
                        current = body["error"]["details"]["current"]
                        if current["values"][field] != value:
                            anomalies.append(f"{phase} k={k} rid={rid}: {field} is "
                                             f"{current['values'][field]}, expected {value}")
                        rev, value = current["revision"], current["values"][field]
                        total = current["values"]["total"]
                        continue
                    errors.append(f"PATCH {status} {str(body)[:200]}")
                    break
            with lock:
                lat.extend(local_lat)
            h.close()

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(1, clients + 1)]
        for t in threads:
            t.start()
        barrier.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        done = sum(sum(c.values()) for c in counts[phase])
        stats[phase] = {
            "clients": clients, "records": records, "updates_per_client": per_client,
            "successful_updates": done, "patch_requests": len(lat),
            "conflicts_409": sum(conflicts.values()), "errors": len(errors),
            "error_samples": errors[:5], "seconds": round(wall, 2),
            "updates_per_second": round(done / wall, 1), "patch_latency": summary(lat),
        }

    run_phase("merge", merge_per_client)
    run_phase("conflict", conflict_per_client)

    # Verification: final values and history against what the clients saw succeed.
    status, listed, _ms = admin.get(path, [("limit", "500")])
    _check(status, listed, "list")
    final = {r["id"]: r for r in listed["items"]}
    mismatches: list[str] = []
    history_updates = 0
    for rid in ids:
        rec = final[rid]
        status, hist, _ms = admin.get(f"{path}/{rid}/history")
        _check(status, hist, "history")
        entries = hist["items"]
        revs = sorted(e["revision"] for e in entries)
        if revs != list(range(1, rec["revision"] + 1)):
            mismatches.append(f"rid={rid}: history revisions {revs[:5]}… vs revision "
                              f"{rec['revision']}")
        updates = [e for e in entries if e["action"] == "update"]
        history_updates += len(updates)
        total_expected = sum(c[rid] for c in counts["conflict"])
        if rec["values"]["total"] != total_expected:
            mismatches.append(f"rid={rid}: total {rec['values']['total']} != {total_expected}")
        if sum(1 for e in updates if "total" in e["changes"]) != total_expected:
            mismatches.append(f"rid={rid}: history counts a different number of total changes")
        for k in range(1, clients + 1):
            expected = counts["merge"][k - 1][rid] + counts["conflict"][k - 1][rid]
            if rec["values"][f"c{k}"] != expected:
                mismatches.append(f"rid={rid} c{k}: {rec['values'][f'c{k}']} != {expected}")
            in_history = sum(1 for e in updates if f"c{k}" in e["changes"])
            if in_history != expected:
                mismatches.append(f"rid={rid} c{k}: history has {in_history} != {expected}")
    successes = sum(stats[p]["successful_updates"] for p in stats)
    per_client_sum_ok = all(
        sum(final[rid]["values"][f"c{k}"] for rid in ids)
        == sum(counts["merge"][k - 1].values()) + sum(counts["conflict"][k - 1].values())
        for k in range(1, clients + 1))
    admin.close()
    return {
        "ledger_id": lid, **stats,
        "verification": {
            "successful_updates": successes,
            "history_update_entries": history_updates,
            "per_client_counter_sums_match": per_client_sum_ok,
            "lost_updates_detected": len(mismatches) + len(anomalies),
            "samples": (mismatches + anomalies)[:10],
            "ok": not mismatches and not anomalies and history_updates == successes,
        },
    }
