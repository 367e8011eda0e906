"""Foundations that must hold whatever the size of the store or of a request: bounded error
answers, reads and writes that never wait behind an export, one body reader for both doors,
timestamps in commit order, ranges checked on import, and a data directory that records its
schema version and is upgraded, re-rendered or refused on start."""
import json
import socket
import pathlib
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import BIN, DATABASE_URL, Server, opportunity_input, sqlite_only
from test_control_plane import admin

ACCOUNT = "171717171717"


def status_kb(pid, field):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(field)


def record(n, account_offset=0):
    return {"id": f"O{n}", "num": n, "createdDate": "2026-01-01T00:00:00.000Z",
            "lastModifiedDate": "2026-01-01T00:00:00.000Z",
            "doc": {"Customer": {"Account": {"CompanyName": f"Company {n}", "Industry": "Software and Internet",
                                             "Address": {"CountryCode": "US"}},
                                 "Contacts": [{"Email": f"buyer{n}@example.com", "FirstName": "Ann"}]},
                    "Project": {"Title": f"Project {n} " + "x" * 200},
                    "LifeCycle": {"Stage": "Prospect", "ReviewStatus": "Pending Submission",
                                  "NextSteps": "Call " + "y" * 100},
                    "Origin": "Partner Referral"},
            "related": {}}


def state_document(count, first=1_000_001):
    return {"format": "partnercentral-local/state", "version": 1, "nextOpportunityNumber": first + count,
            "scopes": [{"accountId": ACCOUNT, "catalog": "Sandbox",
                        "opportunities": [record(first + i) for i in range(count)]}]}


# ---------------------------------------------------------------- bounded errors

def test_a_huge_list_of_bad_identifiers_gets_a_small_answer_and_costs_little_memory():
    s = Server("--in-memory", "--max-body-bytes", str(16 << 20)).start()
    try:
        s.call("ListSolutions", {"Catalog": "AWS"})
        before = status_kb(s.proc.pid, "VmRSS")
        body = b'{"Catalog":"Sandbox","Identifier":[' + b",".join([b'"x"'] * 1_500_000) + b"]}"
        status, _, resp = s.call("ListOpportunities", body)
        peak = status_kb(s.proc.pid, "VmHWM")
        assert status == 400 and resp["__type"].endswith("#ValidationException")
        assert len(json.dumps(resp)) < 64 * 1024
        assert {"FieldName": "Identifier", "Code": "TOO_MANY_VALUES"} in [
            {"FieldName": e["FieldName"], "Code": e["Code"]} for e in resp["ErrorList"]]
        assert "1500000" in json.dumps(resp)
        assert (peak - before) / 1024 < 64, f"peak RSS grew by {(peak - before) / 1024:.0f} MB"
    finally:
        s.stop()


def test_an_answer_reports_at_most_fifty_violations_and_counts_the_others(server):
    body = dict(opportunity_input(), Catalog="Sandbox", ClientToken="t")
    body["Customer"]["Contacts"] = [{"Email": f"not-an-email-{i}"} for i in range(1000)]
    status, _, resp = server.call("CreateOpportunity", body)
    assert status == 400 and resp["Reason"] == "REQUEST_VALIDATION_FAILED"
    assert len(resp["ErrorList"]) == 50
    assert "1000 validation errors detected" in resp["Message"] and "and 950 more" in resp["Message"]
    assert {e["Code"] for e in resp["ErrorList"]} == {"INVALID_STRING_FORMAT"}


def test_unknown_members_cost_nothing_and_change_nothing(server):
    status, _, resp = server.call("ListSolutions", {"Catalog": "AWS", "Junk": ["x"] * 200_000})
    assert status == 200 and resp["SolutionSummaries"]


# ---------------------------------------------------------------- store off the runtime

@pytest.mark.parametrize("mode", ["--data-dir", "--in-memory"])
def test_reads_and_writes_do_not_wait_behind_an_export(tmp_path, mode):
    args = ["--data-dir", str(tmp_path / "data")] if mode == "--data-dir" else ["--in-memory"]
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(state_document(40_000)))
    s = Server(*args, "--seed", str(seed)).start()
    try:
        c = s.client(account=ACCOUNT)
        exports = []

        def export_loop(stop):
            import http.client
            while not stop.is_set():
                t = time.monotonic()
                conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
                conn.request("GET", "/_admin/state")
                resp = conn.getresponse()
                # Read and drop: parsing 20,000 records here would hold the GIL and slow the
                # reader thread of this very test. Read slowly, too: the export streams, so a
                # slow client keeps it (and its snapshot) open, and nobody may wait for that.
                while resp.read(1 << 20):
                    time.sleep(0.02)
                conn.close()
                assert resp.status == 200
                exports.append(time.monotonic() - t)

        stop = threading.Event()
        worker = threading.Thread(target=export_loop, args=(stop,))
        worker.start()
        reads, writes = [], []
        deadline = time.monotonic() + 4
        try:
            while time.monotonic() < deadline:
                t = time.monotonic()
                c.get_opportunity(Catalog="Sandbox", Identifier="O1000042")
                reads.append(time.monotonic() - t)
                t = time.monotonic()
                c.create_opportunity(Catalog="Sandbox", **opportunity_input())
                writes.append(time.monotonic() - t)
        finally:
            stop.set()
            worker.join()
        typical_export = sorted(exports)[len(exports) // 2]
        print(f"{mode}: {len(exports)} exports, median {typical_export * 1000:.0f} ms; "
              f"slowest read {max(reads) * 1000:.1f} ms, slowest create {max(writes) * 1000:.1f} ms")
        assert len(exports) >= 2, exports
        # Before the store left the async runtime, reads and writes waited behind whole
        # exports (0.7 to 2.9 s here). Now a read never does, and a write only in memory, for
        # the copy an export reads from (about 2 ms a megabyte; the export's read of the copy
        # is most of its time). On a busy 2-core machine a copy can take several times its
        # usual time, so the waits are judged by their median.
        p90 = sorted(writes)[int(len(writes) * 0.9)]
        waited = sorted(w for w in writes if w > 0.02) or [0.0]
        typical_wait = waited[len(waited) // 2]
        print(f"  90th percentile create {p90 * 1000:.1f} ms; {len(waited)} creates waited, "
              f"median {typical_wait * 1000:.0f} ms")
        assert typical_export > 0.1, "the exports are too small to show a wait"
        # On PostgreSQL the export's reading runs in a database process this server cannot
        # lower the priority of: on two cores a read may queue behind it for the CPU (not for a
        # lock), so its bound is looser there, and still well under one export.
        bound = min(0.4, typical_export / 2) if DATABASE_URL else 0.1
        assert max(reads) < bound, (max(reads), typical_export)
        assert p90 < 0.1, (p90, typical_export)
        assert typical_wait < 0.6 * typical_export, (typical_wait, typical_export)
        assert max(writes) < 1.0, (max(writes), typical_export)
    finally:
        s.stop()


# ---------------------------------------------------------------- one body reader

def put_state_head(s, declared, sent):
    """Declares a body of `declared` bytes to PUT /_admin/state, sends `sent` of it, and
    answers the first bytes of the response."""
    import socket
    with socket.create_connection(("127.0.0.1", s.port), timeout=5) as sock:
        sock.sendall(b"PUT /_admin/state HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % declared + sent)
        return sock.recv(65536)


def test_the_control_plane_takes_bodies_as_large_as_the_api(tmp_path):
    s = Server("--in-memory").start()
    try:
        doc = state_document(4_000)
        size = len(json.dumps(doc))
        assert 3_000_000 < size < 6 * 1024 * 1024
        status, headers, body = admin(s, "PUT", "/state", doc)
        assert status == 200, body
        assert body["imported"]["opportunities"] == 4_000
        # Past the limit, a control-plane body is refused before it is read ...
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as sock:
            sock.sendall(b"POST /_admin/faults HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % (7 << 20))
            head = sock.recv(65536)
        assert head.startswith(b"HTTP/1.1 413"), head
        assert b"application/json" in head and b"exceeds the limit" in head
        # ... except a state document, which is streamed record by record (no size limit).
        big = json.dumps(state_document(10_000)).encode()
        assert len(big) > 7 << 20
        status, headers, body = admin(s, "PUT", "/state", big)
        assert status == 200, body
        assert body["imported"]["opportunities"] == 10_000
    finally:
        s.stop()


def test_a_slow_control_plane_body_gets_a_json_408():
    s = Server("--in-memory", "--body-timeout-ms", "300").start()
    try:
        head = put_state_head(s, 100, b'{"form')
        assert head.startswith(b"HTTP/1.1 408"), head
        assert b'"error"' in head and b"did not arrive" in head
    finally:
        s.stop()


# ---------------------------------------------------------------- commit-ordered time

def test_creation_time_follows_commit_order_under_concurrent_writers(server, fresh_account):
    c = server.client(account=fresh_account)
    created = []
    lock = threading.Lock()

    def create(n):
        mine = [c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"] for _ in range(40)]
        with lock:
            created.extend(mine)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pages = c.get_paginator("list_opportunities").paginate(
        Catalog="Sandbox", Sort={"SortBy": "Identifier", "SortOrder": "ASCENDING"})
    listed = [o for p in pages for o in p["OpportunitySummaries"]]
    assert len(listed) == 320
    # Ids are handed out in commit order; their timestamps must not go back.
    dates = [o["CreatedDate"] for o in listed]
    assert dates == sorted(dates)
    after = dates[len(dates) // 2]
    newer = c.list_opportunities(Catalog="Sandbox", MaxResults=100,
                                 CreatedDate={"AfterCreatedDate": after},
                                 Sort={"SortBy": "Identifier", "SortOrder": "ASCENDING"})
    first_newer = int(newer["OpportunitySummaries"][0]["Id"][1:])
    assert all(int(o["Id"][1:]) >= first_newer for o in listed if o["CreatedDate"] >= after)


# ---------------------------------------------------------------- import ranges

@pytest.mark.parametrize("number", [-(2 ** 63), 0, 2 ** 63 - 1, 10 ** 18 + 1])
def test_an_out_of_range_id_counter_is_refused_on_import(number):
    s = Server("--in-memory").start()
    try:
        doc = {"format": "partnercentral-local/state", "version": 1, "nextOpportunityNumber": number,
               "scopes": []}
        status, _, body = admin(s, "PUT", "/state", doc)
        assert status == 400 and "nextOpportunityNumber" in body["error"]
        c = s.client()
        assert c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"].startswith("O")
    finally:
        s.stop()


def test_the_last_opportunity_number_is_handed_out_once_then_creates_are_refused():
    s = Server("--in-memory").start()
    try:
        last = 10 ** 18 - 1
        doc = {"format": "partnercentral-local/state", "version": 1, "nextOpportunityNumber": last,
               "scopes": []}
        assert admin(s, "PUT", "/state", doc)[0] == 200
        c = s.client()
        assert c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"] == f"O{last}"
        with pytest.raises(c.exceptions.InternalServerException):
            c.create_opportunity(Catalog="Sandbox", **opportunity_input())
        assert admin(s, "GET", "/health")[2]["status"] == "ok"
    finally:
        s.stop()


# ---------------------------------------------------------------- health

def test_health_reports_the_store(server):
    status, _, body = admin(server, "GET", "/health")
    assert status == 200 and body["status"] == "ok"
    # Each backend has its own schema history.
    assert body["store"] == {"ok": True, "schemaVersion": 2 if DATABASE_URL else 8}
    assert body["operations"]["total"] == 63


@sqlite_only
def test_health_fails_when_the_database_is_damaged(tmp_path):
    data = tmp_path / "data"
    s = Server("--data-dir", str(data)).start()
    try:
        s.client().create_opportunity(Catalog="Sandbox", **opportunity_input())
        db = data / "partnercentral-local.sqlite3"
        for f in data.glob("partnercentral-local.sqlite3*"):
            f.write_bytes(b"\0" * 4096)
        db.write_bytes(b"this is not a database" * 200)
        status, _, body = admin(s, "GET", "/health")
        assert status == 503 and body["status"] == "unavailable" and body["store"]["ok"] is False
    finally:
        s.stop()


# ---------------------------------------------------------------- schema versions and settings

def test_listings_follow_the_region_after_a_restart(tmp_path):
    data = str(tmp_path / "data")
    s = Server("--data-dir", data, "--region", "us-east-1").start()
    oid = s.client().create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
    assert s.stop() == 0
    s = Server("--data-dir", data, "--region", "eu-west-2").start()
    try:
        c = s.client()
        listed = c.list_opportunities(Catalog="Sandbox")["OpportunitySummaries"]
        got = c.get_opportunity(Catalog="Sandbox", Identifier=oid)
        assert [o["Arn"] for o in listed] == [got["Arn"]]
        assert ":eu-west-2:" in got["Arn"]
    finally:
        s.stop()


OLD_SCHEMA = """
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE opportunities (
    account TEXT NOT NULL, catalog TEXT NOT NULL, id TEXT NOT NULL, num INTEGER NOT NULL,
    created TEXT NOT NULL, last_modified TEXT NOT NULL, stage TEXT NOT NULL,
    review_status TEXT NOT NULL, company_name TEXT NOT NULL, target_close_date TEXT NOT NULL,
    doc TEXT NOT NULL, PRIMARY KEY (account, catalog, id));
CREATE TABLE aws_summaries (account TEXT NOT NULL, catalog TEXT NOT NULL, id TEXT NOT NULL,
    doc TEXT NOT NULL, PRIMARY KEY (account, catalog, id));
CREATE TABLE idempotency (account TEXT NOT NULL, catalog TEXT NOT NULL, operation TEXT NOT NULL,
    token TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (account, catalog, operation, token));
CREATE TABLE tasks (account TEXT NOT NULL, catalog TEXT NOT NULL, id TEXT NOT NULL,
    start_time TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (account, catalog, id));
CREATE TABLE solutions (account TEXT NOT NULL, catalog TEXT NOT NULL, id TEXT NOT NULL,
    doc TEXT NOT NULL, PRIMARY KEY (account, catalog, id));
"""


@sqlite_only
def test_a_data_directory_of_the_first_schema_is_upgraded_on_start(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    db = sqlite3.connect(data / "partnercentral-local.sqlite3")
    db.executescript(OLD_SCHEMA)
    rec = record(1_000_001)
    db.execute("INSERT INTO counters VALUES ('opportunity', 1000001)")
    db.execute("INSERT INTO opportunities VALUES (?,?,?,?,?,?,?,?,?,?,?)",
               ("111111111111", "Sandbox", rec["id"], rec["num"], rec["createdDate"], rec["lastModifiedDate"],
                "Prospect", "Pending Submission", "Company 1000001", "", json.dumps(rec)))
    db.commit()
    db.close()
    s = Server("--data-dir", str(data)).start()
    try:
        c = s.client()
        listed = c.list_opportunities(Catalog="Sandbox")["OpportunitySummaries"]
        assert [o["Id"] for o in listed] == ["O1000001"]
        assert listed[0]["Customer"]["Account"]["CompanyName"] == "Company 1000001"
        # The search index (schema 8) was built from the stored opportunity on start.
        found = c.search_opportunities(Catalog="Sandbox", Keyword="COMPANY 1000001")
        assert [o["Id"] for o in found["OpportunitySearchSummaries"]] == ["O1000001"]
        assert c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"] == "O1000002"
    finally:
        s.stop()
    db = sqlite3.connect(data / "partnercentral-local.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 8
    db.close()


@sqlite_only
def test_a_data_directory_of_a_newer_build_is_refused(tmp_path):
    data = tmp_path / "data"
    s = Server("--data-dir", str(data)).start()
    assert s.stop() == 0
    db = sqlite3.connect(data / "partnercentral-local.sqlite3")
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    p = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data)],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode != 0
    assert "newer partnercentral-local" in p.stderr and "99" in p.stderr


@sqlite_only
def test_a_second_server_cannot_open_the_same_data_directory(tmp_path):
    data = str(tmp_path / "data")
    s = Server("--data-dir", data).start()
    try:
        p = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", data],
                           capture_output=True, text=True, timeout=20)
        assert p.returncode != 0 and "in use by another partnercentral-local" in p.stderr
    finally:
        s.stop()


def test_an_unknown_control_plane_path_is_a_json_404_not_an_api_error(server):
    for method in ("GET", "POST", "DELETE"):
        status, headers, body = admin(server, method, "/no-such-thing")
        assert status == 404 and headers["content-type"] == "application/json"
        assert "no control-plane endpoint" in body["error"]


def test_a_clean_stop_leaves_no_write_ahead_log(tmp_path):
    """The last connection to close must be the writer, which checkpoints and removes the WAL;
    a WAL left behind made the next start scan it (0.5 s after seeding 1,000,000)."""
    data = tmp_path / "data"
    s = Server("--data-dir", str(data)).start()
    try:
        c = s.client(account=ACCOUNT)
        for _ in range(20):
            c.create_opportunity(Catalog="Sandbox", **opportunity_input())
        c.list_opportunities(Catalog="Sandbox")  # the read pool is used too
    finally:
        assert s.stop() == 0
    assert not (data / "partnercentral-local.sqlite3-wal").exists()
