"""The request log as users run it: one line per request at `info`, written off the request
path; a harness that stops reading stderr never freezes the server; the ready line on stdout
and in a ready file; the last lines flushed at shutdown."""
import http.client
import json
import os
import pathlib
import re
import signal
import subprocess
import threading
import time

from conftest import BIN

GET = {"Content-Type": "application/x-amz-json-1.0",
       "X-Amz-Target": "AWSPartnerCentralSelling.GetOpportunity"}
BODY = json.dumps({"Catalog": "Sandbox", "Identifier": "O1234567890"})


def hammer(port, total, threads=4):
    """Sends `total` GetOpportunity calls over keep-alive connections; returns the statuses seen."""
    seen, lock = {}, threading.Lock()

    def worker(n):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(n):
            conn.request("POST", "/", body=BODY, headers=GET)
            resp = conn.getresponse()
            resp.read()
            with lock:
                seen[resp.status] = seen.get(resp.status, 0) + 1
        conn.close()

    workers = [threading.Thread(target=worker, args=(total // threads,)) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    return seen


def health(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/_admin/health")
    return json.loads(conn.getresponse().read())


def start_unread(*extra):
    """Starts the server, reads its ready line from stderr, and never reads stderr again."""
    proc = subprocess.Popen([BIN, "serve", "--in-memory", "--listen", "127.0.0.1:0", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=dict(os.environ, RUST_LOG="info"))
    while True:
        line = proc.stderr.readline().decode()
        assert line, f"server exited: {proc.wait()}"
        if "listening on http://" in line:
            return proc, int(line.rsplit(":", 1)[1])


def test_a_harness_that_stops_reading_stderr_does_not_freeze_the_server():
    # The pipe holds about 300 request lines; the server once froze there.
    proc, port = start_unread()
    try:
        seen = hammer(port, 2_000)
        assert seen == {400: 2_000}
        assert health(port)["status"] == "ok"
    finally:
        proc.kill()
        proc.wait()


def test_lines_past_the_full_queue_are_dropped_and_counted_never_waited_for():
    proc, port = start_unread()
    try:
        started = time.monotonic()
        seen = hammer(port, 40_000)
        assert seen == {400: 40_000}
        assert time.monotonic() - started < 100
        dropped = health(port)["logLinesDropped"]
        # About 20,000 lines fit the 4 MiB buffer and a few hundred the pipe; the rest are dropped.
        assert 5_000 < dropped <= 40_000, dropped
    finally:
        proc.kill()
        proc.wait()


def test_ready_line_on_stdout_and_a_ready_file_written_then_removed(tmp_path):
    ready = tmp_path / "ready"
    ready.write_text("http://stale.invalid:1\n")  # left by an earlier run: must not pass for this one
    proc = subprocess.Popen([BIN, "serve", "--in-memory", "--listen", "127.0.0.1:0", "--ready-file", str(ready)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("partnercentral-local listening on http://127.0.0.1:"), line
        url = line.strip().split("listening on ")[1]
        deadline = time.monotonic() + 10
        while not (ready.exists() and ready.read_text().endswith("\n")):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert ready.read_text() == url + "\n"
        assert health(int(url.rsplit(":", 1)[1]))["status"] == "ok"
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    assert not ready.exists()


def test_every_request_line_is_flushed_at_shutdown_in_the_usual_format(tmp_path):
    log = tmp_path / "stderr.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([BIN, "serve", "--in-memory", "--listen", "127.0.0.1:0",
                                 "--ready-file", str(tmp_path / "ready")],
                                stdout=subprocess.DEVNULL, stderr=err, env=dict(os.environ, RUST_LOG="info"))
    try:
        deadline = time.monotonic() + 10
        while not (tmp_path / "ready").exists():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        port = int((tmp_path / "ready").read_text().strip().rsplit(":", 1)[1])
        assert hammer(port, 3_000) == {400: 3_000}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    text = log.read_text()
    lines = [l for l in text.splitlines() if " request " in l or l.endswith(" request")]
    assert len(lines) == 3_000, len(lines)
    # The format users know: level, target, message, then the fields.
    assert re.search(r"INFO partnercentral_local::http: request operation=\"?GetOpportunity\"? "
                     r"account=\"?123456789012\"? catalog=\"?Sandbox\"? status=400 latency_us=\d+ "
                     r"request_id=[0-9a-f-]{36}", lines[-1]), lines[-1]
    assert "shutting down" in text
    assert text.index("listening on") < text.index(lines[0])


def test_rust_log_still_decides_which_lines_are_written(tmp_path):
    for level, expected in (("warn", 0), ("partnercentral_local::http=info", 50), ("info", 50)):
        log = tmp_path / f"{level}.log"
        ready = tmp_path / f"{level}.ready"
        with open(log, "w") as err:
            proc = subprocess.Popen([BIN, "serve", "--in-memory", "--listen", "127.0.0.1:0", "--ready-file", str(ready)],
                                    stdout=subprocess.DEVNULL, stderr=err, env=dict(os.environ, RUST_LOG=level))
        try:
            deadline = time.monotonic() + 10
            while not ready.exists():
                assert time.monotonic() < deadline
                time.sleep(0.01)
            assert hammer(int(ready.read_text().strip().rsplit(":", 1)[1]), 50, threads=5) == {400: 50}
        finally:
            proc.terminate()
            assert proc.wait(timeout=10) == 0
        lines = [l for l in log.read_text().splitlines() if "partnercentral_local::http: request " in l]
        assert len(lines) == expected, (level, len(lines))
