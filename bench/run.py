#!/usr/bin/env python3
"""Benchmark harness for partnercentral-local (see bench/README.md).

Builds release, seeds stores through state documents (`--seed`), loads the server with wrk
and prints one results table. Every throughput is also measured, in the same run and
alternately (A B A B), against a ceiling: a minimal hyper server answering the exact bytes
partnercentral-local returned for the same request.

    python3 bench/run.py            # the full run (--out bench/RESULTS.md keeps the table)
    python3 bench/run.py --smoke    # seconds; what CI runs so the harness never rots
    python3 bench/run.py --only export,bad-request   # selected scenarios only
    python3 bench/run.py --only invitations          # the inbound path (engagement invitations)
    python3 bench/run.py --only engagements          # reading, listing and searching engagements
    python3 bench/run.py --only snapshot-jobs        # UpdateOpportunity with and without a running job
    python3 bench/run.py --only seed                 # seeding memory, and a 1M document bad at its end
    python3 bench/run.py --only search-opps          # SearchOpportunities over 1,000,000 opportunities
    python3 bench/run.py --backend postgres          # PostgreSQL: one and two replicas vs SQLite, and seeding
"""
import argparse
import csv
import datetime
import hashlib
import hmac
import http.client
import json
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import socket
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Where cargo builds (CARGO_TARGET_DIR when set, as `build()`'s cargo honours it).
TARGET_DIR = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
BIN = TARGET_DIR / "release" / "partnercentral-local"
CEILING = TARGET_DIR / "release" / "examples" / "ceiling"
ACCOUNT = "123456789012"  # the account of unsigned requests
CATALOG = "Sandbox"
ACCESS_KEY, SECRET = "AKIDBENCH", "bench-secret"
TARGET = "AWSPartnerCentralSelling."
# What --only chooses from, in the order they run.
SCENARIOS = ("summary", "sigv4", "create", "large", "export", "bad-request", "invitations", "engagements",
             "snapshot-jobs", "seed", "bulk", "search-opps")
# Seeding 1,000,000 opportunities before the import streamed (bench/RESULTS.md of 2026-11-27 01:22,
# same machine, same generator): "no slower than today" is measured against it.
SEED_1M_BEFORE_STREAMING_S = 64.8


# ---------------------------------------------------------------- set-up

def ensure_wrk():
    if shutil.which("wrk"):
        return
    print("installing wrk from Debian's packages ...", file=sys.stderr)
    subprocess.run(["apt-get", "update", "-qq"], check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)


def build():
    subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "partnercentral-local",
                    "--example", "ceiling"], cwd=ROOT, check=True)


def ts(n):
    base = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    t = base + datetime.timedelta(seconds=n)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def opportunity(n, approved):
    doc = {
        "Customer": {"Account": {"CompanyName": f"Company {n % 5000}", "Industry": "Software and Internet",
                                 "Address": {"CountryCode": "US"}},
                     "Contacts": [{"Email": f"buyer{n}@example.com", "FirstName": "Ann", "LastName": "Lee"}]},
        "Project": {"Title": f"Project {n}", "ExpectedCustomerSpend": [
            {"Amount": "5000", "CurrencyCode": "USD", "Frequency": "Monthly", "TargetCompany": "AWS"}]},
        "LifeCycle": {"Stage": ["Prospect", "Qualified", "Committed"][n % 3],
                      "ReviewStatus": "Approved" if approved else "Pending Submission",
                      "NextSteps": f"Next step for {n}", "TargetCloseDate": "2027-06-30"},
        "Origin": "Partner Referral",
    }
    rec = {"id": f"O{n}", "num": n, "createdDate": ts(n), "lastModifiedDate": ts(n), "doc": doc,
           "related": {"Solutions": ["S-1234567"]}}
    if approved:
        rec["submission"] = {"involvementType": "Co-Sell", "visibility": "Full"}
    return rec


def summary(n):
    return {"opportunityId": f"O{n}", "aws": {
        "OpportunityTeam": [{"BusinessTitle": "PDM", "Email": "pdm@example.com", "FirstName": "Pat",
                             "LastName": "Manager"}],
        "LifeCycle": {"Stage": "Qualified"}, "Insights": {"EngagementScore": "High"}},
        "nextStepsHistory": [], "lastNextSteps": f"Next step for {n}"}


FIRST = 1_000_001


def write_seed(path, total, approved, bad_last=False):
    """A state document with `total` opportunities, the first `approved` of them approved
    and summarised; written as a stream so a million records need little memory. With
    `bad_last`, the very last opportunity has a stage no model allows."""
    with open(path, "w") as f:
        f.write('{"format":"partnercentral-local/state","version":1,')
        f.write(f'"nextOpportunityNumber":{FIRST + total},"scopes":[{{"accountId":"{ACCOUNT}",')
        f.write(f'"catalog":"{CATALOG}","opportunities":[')
        for i in range(total):
            if i:
                f.write(",")
            rec = opportunity(FIRST + i, i < approved)
            if bad_last and i == total - 1:
                rec["doc"]["LifeCycle"]["Stage"] = "Nowhere"
            f.write(json.dumps(rec, separators=(",", ":")))
        f.write('],"awsSummaries":[')
        for i in range(approved):
            if i:
                f.write(",")
            f.write(json.dumps(summary(FIRST + i), separators=(",", ":")))
        f.write("]}]}")
    return [f"O{FIRST + i}" for i in range(approved)]


class Proc:
    def __init__(self, argv, env=None, log_file=None):
        """Starts `argv` and waits for its ready line. With `log_file`, the server runs as the
        README says users run it — the default `info` log, here to a file — and is found
        ready through `--ready-file`; otherwise at `RUST_LOG=warn`, read from stderr."""
        self.started = time.monotonic()
        if log_file is not None:
            ready = pathlib.Path(str(log_file) + ".ready")
            environ = {k: v for k, v in os.environ.items() if k != "RUST_LOG"}
            with open(log_file, "w") as log:
                self.p = subprocess.Popen(argv + ["--ready-file", str(ready)], stderr=log,
                                          stdout=subprocess.DEVNULL, env=dict(environ, **(env or {})))
            while not ready.exists():
                if self.p.poll() is not None:
                    raise RuntimeError(f"{argv[0]} exited: {self.p.returncode}")
                time.sleep(0.005)
            self.url = ready.read_text().strip()
            self.ready = time.monotonic() - self.started
            self.port = int(self.url.rsplit(":", 1)[1])
            return
        self.p = subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                                  env=dict(os.environ, RUST_LOG="warn", **(env or {})))
        for line in self.p.stderr:
            if "listening on http://" in line:
                self.url = line.strip().split("listening on ")[1]
                self.ready = time.monotonic() - self.started
                break
        else:
            raise RuntimeError(f"{argv[0]} exited: {self.p.wait()}")
        threading.Thread(target=lambda: [None for _ in self.p.stderr], daemon=True).start()
        self.port = int(self.url.rsplit(":", 1)[1])

    def _status_mb(self, field):
        for line in pathlib.Path(f"/proc/{self.p.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def rss_mb(self):
        return self._status_mb("VmRSS")

    def peak_mb(self):
        return self._status_mb("VmHWM")

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=60)


def serve(data_dir, *extra, log_file=None):
    return Proc([str(BIN), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir), *extra],
                log_file=log_file)


def serve_pg(url, *extra):
    return Proc([str(BIN), "serve", "--listen", "127.0.0.1:0", "--database-url", url, *extra])


# ---------------------------------------------------------------- PostgreSQL

def pg_bindir():
    """Where PostgreSQL's programs are: `pg_config --bindir`, else the newest of Debian's."""
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        if (pathlib.Path(out) / "initdb").exists():
            return pathlib.Path(out)
    except (OSError, subprocess.CalledProcessError):
        pass
    found = sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if found:
        return found[-1].parent
    raise RuntimeError("no PostgreSQL found (initdb): install Debian's postgresql package, "
                       "or pass --database-url")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgCluster:
    """A throwaway PostgreSQL cluster: initdb in a temporary directory, started on a free port
    (as a non-root user when run as root: initdb refuses root), removed by `stop`. Default
    settings, as a user's installation has them."""

    def __init__(self):
        import pwd
        self.bindir = pg_bindir()
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="pcl-bench-pg-"))
        self.user = None
        if os.geteuid() == 0:
            for name in (os.environ.get("PCL_BENCH_PG_USER"), "postgres", "nobody"):
                if not name:
                    continue
                try:
                    entry = pwd.getpwnam(name)
                except KeyError:
                    continue
                self.user = name
                os.chown(self.dir, entry.pw_uid, entry.pw_gid)
                break
            else:
                raise RuntimeError("running as root and no other user to run PostgreSQL as")
        self.port = free_port()
        data = self.dir / "data"
        self._run([str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                   "-E", "UTF8", "--no-instructions"])
        self._run([str(self.bindir / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "log"), "-w", "start",
                   "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"])
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, argv):
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       cwd=self.dir, **({"user": self.user} if self.user else {}))

    def stop(self):
        try:
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class PgDatabases:
    """Fresh databases on one server, created through `psql` and dropped at the end."""

    def __init__(self, url, prefix):
        self.url = url
        self.prefix = prefix
        self.made = []
        psql = shutil.which("psql")
        self.psql = psql or str(pg_bindir() / "psql")

    def _sql(self, sql):
        subprocess.run([self.psql, self.url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                       stdout=subprocess.DEVNULL, env=dict(os.environ, PGOPTIONS="-c client_min_messages=warning"))

    def fresh(self):
        name = f"{self.prefix}{os.getpid()}_{len(self.made)}"
        self._sql(f"DROP DATABASE IF EXISTS {name}")
        self._sql(f"CREATE DATABASE {name}")
        self.made.append(name)
        return urllib.parse.urlparse(self.url)._replace(path="/" + name).geturl()

    def drop_all(self):
        for name in self.made:
            try:
                self._sql(f"DROP DATABASE IF EXISTS {name}")
            except subprocess.CalledProcessError:
                print(f"  could not drop database {name}", file=sys.stderr)
        self.made = []

    def settings(self):
        out = subprocess.run([self.psql, self.url, "-At", "-c",
                              "SELECT current_setting('server_version') || ', fsync ' || current_setting('fsync') "
                              "|| ', synchronous_commit ' || current_setting('synchronous_commit') "
                              "|| ', shared_buffers ' || current_setting('shared_buffers')"],
                             capture_output=True, text=True, check=True).stdout.strip()
        return out


# ---------------------------------------------------------------- requests

def sign(port, operation, body, when):
    amz = when.strftime("%Y%m%dT%H%M%SZ")
    headers = {"content-type": "application/x-amz-json-1.0", "host": f"127.0.0.1:{port}",
               "x-amz-date": amz, "x-amz-target": TARGET + operation}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["POST", "/", ""] + [f"{k}:{headers[k]}" for k in sorted(headers)]
                          + ["", signed, hashlib.sha256(body.encode()).hexdigest()])
    scope = f"{amz[:8]}/us-east-1/partnercentral-selling/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{SECRET}".encode()
    for part in (amz[:8], "us-east-1", "partnercentral-selling", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    return {"X-Amz-Date": amz, "Authorization": f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, "
            f"SignedHeaders={signed}, Signature={sig}"}


def lua_string(s):
    return "[==[" + s + "]==]"


def lua_script(path, operation, bodies, port=None, signed=False, unique_token=False, token_prefix=""):
    """A wrk script cycling through pre-built requests (pre-signed when `signed`). With
    `unique_token`, each request's `TOKEN` becomes `<token_prefix><thread>-<n>`: wrk processes
    run side by side need prefixes of their own."""
    lines = ["local reqs = {"]
    when = datetime.datetime.now(datetime.timezone.utc)
    for b in bodies:
        h = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET + operation}
        if signed:
            h["Host"] = f"127.0.0.1:{port}"
            h.update(sign(port, operation, b, when))
        hs = ", ".join(f"[ {lua_string(k)} ] = {lua_string(v)}" for k, v in h.items())
        lines.append(f"  {{ headers = {{ {hs} }}, body = {lua_string(b)} }},")
    lines.append("}")
    lines.append("local i = 0")
    lines.append("local tid = 0")
    lines.append("setup = function(thread) tid = tid + 1; thread:set('tid', tid) end")
    lines.append("request = function()")
    lines.append("  i = i + 1")
    lines.append("  local r = reqs[(i % #reqs) + 1]")
    if unique_token:
        lines.append(f"  local body = string.gsub(r.body, 'TOKEN', '{token_prefix}' .. tostring(tid) .. '-' .. tostring(i))")
        lines.append("  return wrk.format('POST', '/', r.headers, body)")
    else:
        lines.append("  return wrk.format('POST', '/', r.headers, r.body)")
    lines.append("end")
    pathlib.Path(path).write_text("\n".join(lines) + "\n")


def wrk(url, script, conns, seconds, timeout=None):
    threads = 1 if conns == 1 else 2
    extra = ["--timeout", f"{timeout}s"] if timeout else []
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{seconds}s", "--latency", *extra,
                          "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors:.*", out)
    timeouts = re.search(r"Socket errors:.*timeout (\d+)", out)
    return {"rps": rps, "p50": pct(50), "p99": pct(99), "errors": int(errors.group(1)) if errors else 0,
            "socket": socket_errors.group(0) if socket_errors else "",
            "timeouts": int(timeouts.group(1)) if timeouts else 0}


def wrk_together(urls, scripts, conns, seconds):
    """wrk against several servers at once, `conns` split evenly between them (one wrk, one
    thread each); the summed req/s, and the worst of their percentiles."""
    each = max(1, conns // len(urls))
    results = [None] * len(urls)

    def one(i):
        results[i] = wrk(urls[i], scripts[i], each, seconds)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(urls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if any(r is None for r in results):
        raise RuntimeError("a wrk run failed")
    return {"rps": sum(r["rps"] for r in results), "p50": max(r["p50"] for r in results),
            "p99": max(r["p99"] for r in results), "errors": sum(r["errors"] for r in results),
            "socket": "; ".join(r["socket"] for r in results if r["socket"]),
            "timeouts": sum(r["timeouts"] for r in results)}


def sample_response(port, operation, body, headers=None):
    h = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET + operation}
    h.update(headers or {})
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=body.encode(), headers=h, method="POST")
    with urllib.request.urlopen(req) as resp:
        return resp.read()


def drain(resp, keep=0):
    """Reads a response to its end in 1 MiB pieces; returns its size and its first `keep` bytes."""
    size, head = 0, b""
    while True:
        chunk = resp.read(1 << 20)
        if not chunk:
            return size, head
        if len(head) < keep:
            head += chunk[: keep - len(head)]
        size += len(chunk)


def fetch_export(port):
    """One `GET /_admin/state`, read as a stream (the document is large) and discarded."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        started = time.monotonic()
        conn.request("GET", "/_admin/state")
        resp = conn.getresponse()
        size, _ = drain(resp)
        ended = time.monotonic()
        if resp.status != 200:
            raise RuntimeError(f"GET /_admin/state answered {resp.status}")
        return {"seconds": ended - started, "bytes": size, "ended": ended}
    finally:
        conn.close()


def fetch_state(port):
    """The whole `GET /_admin/state` answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        conn.request("GET", "/_admin/state")
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"GET /_admin/state answered {resp.status}")
        return data
    finally:
        conn.close()


# ---------------------------------------------------------------- scenarios

class Bench:
    def __init__(self, args, work):
        self.args = args
        self.work = pathlib.Path(work)
        self.rows = []
        self.rss = []
        self.large_seed = None
        self.search = None

    def compare(self, name, server, operation, bodies, conns, signed=False, unique_token=False,
                target_ratio=None):
        """Runs the server and the ceiling alternately; records medians and the ratio. With a
        list of servers (replicas of one store), the connections are split between them and
        the ceiling gets the same split (as many wrk processes, all on the one ceiling)."""
        servers = server if isinstance(server, list) else [server]
        server = servers[0]
        n = len(self.rows)
        scripts = [self.work / f"{n}-{i}.lua" for i in range(len(servers))]
        for i, (srv, script) in enumerate(zip(servers, scripts)):
            lua_script(script, operation, bodies, port=srv.port, signed=signed, unique_token=unique_token,
                       token_prefix=f"r{i}-")
        first = bodies[0].replace("TOKEN", "sample")
        extra = sign(server.port, operation, first, datetime.datetime.now(datetime.timezone.utc)) if signed else {}
        body_file = self.work / f"{n}.body"
        body_file.write_bytes(sample_response(server.port, operation, first, extra))
        ceiling = Proc([str(CEILING), str(body_file)])
        ceiling_scripts = [self.work / f"{n}-{i}-ceiling.lua" for i in range(len(servers))]
        for i, script in enumerate(ceiling_scripts):
            lua_script(script, operation, bodies, port=ceiling.port, signed=signed, unique_token=unique_token,
                       token_prefix=f"r{i}-")
        urls = [srv.url for srv in servers]
        ceiling_urls = [ceiling.url] * len(servers)

        def load(targets, target_scripts, seconds):
            if len(targets) == 1:
                return wrk(targets[0], target_scripts[0], conns, seconds)
            return wrk_together(targets, target_scripts, conns, seconds)

        a, b = [], []
        try:
            # Warm both sides (caches, page cache, connections) before measuring.
            load(urls, scripts, 1)
            load(ceiling_urls, ceiling_scripts, 1)
            for _ in range(self.args.rounds):
                a.append(load(urls, scripts, self.args.seconds))
                b.append(load(ceiling_urls, ceiling_scripts, self.args.seconds))
        finally:
            ceiling.stop()
        med = lambda runs, k: statistics.median(r[k] for r in runs)
        row = {"scenario": name, "conns": conns, "rps": med(a, "rps"), "p50": med(a, "p50"), "p99": med(a, "p99"),
               "ceiling": med(b, "rps"), "ratio": med(a, "rps") / med(b, "rps"), "ceiling_p99": med(b, "p99"),
               "errors": sum(r["errors"] for r in a), "target": target_ratio}
        self.rows.append(row)
        print(f"  {name} c={conns}: {row['rps']:.0f} req/s (ceiling {row['ceiling']:.0f}, "
              f"ratio {row['ratio']:.2f}), p50 {row['p50']:.2f} ms, p99 {row['p99']:.2f} ms, "
              f"errors {row['errors']}", file=sys.stderr)
        return row

    def snapshot_job_writes(self, data_dir, seconds, threads=4, rounds=2):
        """UpdateOpportunity, each writer on its own opportunity, changing a field of the
        snapshot view every time (the worst case: every write makes a revision), without and
        with a running snapshot job on the opportunities, alternating; the ratio is with/without
        on the same server."""
        srv = serve(data_dir)
        headers = {"Content-Type": "application/x-amz-json-1.0"}

        def call(conn, op, body):
            conn.request("POST", "/", body=json.dumps(body), headers=dict(headers, **{"X-Amz-Target": TARGET + op}))
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 200:
                raise RuntimeError(f"{op}: {resp.status} {data[:300]!r}")
            return json.loads(data) if data else {}

        base = json.loads(CREATE_BODY)
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        try:
            eid = call(conn, "CreateEngagement", {"Catalog": CATALOG, "ClientToken": "bench-e"})["Id"]
            plain, followed = [], []
            for i in range(2 * threads):
                oid = call(conn, "CreateOpportunity", dict(base, ClientToken=f"bench-{i}"))["Id"]
                (plain if i < threads else followed).append(oid)
            for oid in followed:
                job = call(conn, "CreateResourceSnapshotJob", {
                    "Catalog": CATALOG, "ClientToken": f"job-{oid}", "EngagementIdentifier": eid,
                    "ResourceType": "Opportunity", "ResourceIdentifier": oid,
                    "ResourceSnapshotTemplateIdentifier": "OpportunitySummaryView"})["Id"]
                call(conn, "StartResourceSnapshotJob", {"Catalog": CATALOG, "ResourceSnapshotJobIdentifier": job})
        finally:
            conn.close()

        def writer(oid, deadline, counts, latencies):
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
            body = dict(base, Identifier=oid)
            for k in ("ClientToken", "Origin", "PartnerOpportunityIdentifier"):
                body.pop(k, None)
            got = call(c, "GetOpportunity", {"Catalog": CATALOG, "Identifier": oid})
            lmd = got["LastModifiedDate"]
            n = 0
            while time.monotonic() < deadline:
                body["LastModifiedDate"] = lmd
                body["LifeCycle"] = dict(body["LifeCycle"], NextSteps=f"step {n}")
                t0 = time.monotonic()
                lmd = call(c, "UpdateOpportunity", body)["LastModifiedDate"]
                latencies.append((time.monotonic() - t0) * 1000)
                n += 1
            counts.append(n)
            c.close()

        def phase(ids):
            counts, latencies = [], []
            deadline = time.monotonic() + seconds
            ts = [threading.Thread(target=writer, args=(oid, deadline, counts, latencies)) for oid in ids]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            latencies.sort()
            pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")
            return {"rps": sum(counts) / seconds, "p50": pick(0.5), "p99": pick(0.99)}

        without, with_job = [], []
        try:
            phase(plain)  # warm
            for _ in range(rounds):
                without.append(phase(plain))
                with_job.append(phase(followed))
        finally:
            srv.stop()
        med = lambda runs, k: statistics.median(r[k] for r in runs)
        row = {"scenario": "UpdateOpportunity with a running snapshot job (ceiling: the same, no job)",
               "conns": threads, "rps": med(with_job, "rps"), "p50": med(with_job, "p50"),
               "p99": med(with_job, "p99"), "ceiling": med(without, "rps"),
               "ratio": med(with_job, "rps") / med(without, "rps"), "ceiling_p99": med(without, "p99"),
               "errors": 0, "target": None}
        self.rows.append(row)
        print(f"  snapshot jobs: {row['rps']:.0f} updates/s with a running job, {row['ceiling']:.0f} without "
              f"(ratio {row['ratio']:.2f}), p99 {row['p99']:.2f} vs {row['ceiling_p99']:.2f} ms", file=sys.stderr)
        return row

    def bulk_create(self, data_dir, rows):
        """A bulk job creating `rows` opportunities from one uploaded CSV file (durable store):
        records per second from StartedAt to CompletedAt, and the server's RSS while it runs
        (sampled every 50 ms) against its peak before the job."""
        sample = ROOT / "examples" / "bulk" / "opportunities.csv"
        header, first = list(csv.reader(open(sample)))[:2]
        path = pathlib.Path(data_dir).with_suffix(".csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            for i in range(rows):
                row = list(first)
                row[0], row[1], row[2] = f"crm-{i}", f"006B{i:07d}", f"Company {i}"
                w.writerow(row)
        mb = path.stat().st_size / 1e6
        srv = serve(data_dir)
        try:
            with open(path, "rb") as f:
                conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=600)
                conn.request("PUT", "/_admin/files/bench/opportunities.csv", body=f,
                             headers={"Content-Length": str(path.stat().st_size)})
                resp = conn.getresponse()
                resp.read()
                conn.close()
            if resp.status != 200:
                raise RuntimeError(f"the upload answered {resp.status}")
            before = srv.peak_mb()
            started = time.monotonic()
            job = json.loads(sample_response(srv.port, "StartOpportunityBulkJob", json.dumps(
                {"Catalog": CATALOG, "ClientToken": "bench-bulk", "FileFormat": "CSV",
                 "FileURI": "s3://bench/bench/opportunities.csv"})))["JobId"]
            peak = 0.0
            while True:
                peak = max(peak, srv.rss_mb())
                out = json.loads(sample_response(srv.port, "ListOpportunityBulkJobs", json.dumps(
                    {"Catalog": CATALOG, "JobId": job})))["OpportunityBulkJobSummaries"][0]
                if out["Status"] in ("COMPLETED", "FAILED"):
                    break
                time.sleep(0.05)
            wall = time.monotonic() - started
            ran = (datetime.datetime.fromisoformat(out["CompletedAt"].replace("Z", "+00:00"))
                   - datetime.datetime.fromisoformat(out["StartedAt"].replace("Z", "+00:00"))).total_seconds()
            self.rss.append((f"peak while a {rows:,}-record bulk job ran (sampled)", peak))
        finally:
            srv.stop()
            path.unlink(missing_ok=True)
        return {"rows": rows, "mb": mb, "status": out["Status"], "succeeded": out["SuccessCount"],
                "failed": out["FailureCount"], "seconds": ran, "wall": wall,
                "rate": out["ProcessedRecords"] / max(ran, 1e-3), "peak": peak, "before": before}

    def note_rss(self, label, proc):
        self.rss.append((label, proc.rss_mb()))

    def want(self, scenario):
        return scenario in self.args.only

    def seeding(self, smaller, larger):
        """Peak memory and time of `--seed` into a durable store (`smaller` records, and
        `larger` when the large scenario did not already), then a `larger`-record document
        whose last record is bad, PUT to a server holding the small store: refused, with
        where, and the state unchanged."""
        runs = []
        sizes = [smaller] + ([] if self.want("large") else [larger])
        for total in sizes:
            seed = self.work / f"seed-{total}.json"
            write_seed(seed, total, min(total, 10_000))
            mb = seed.stat().st_size / 1e6
            srv = serve(self.work / f"seed-{total}", "--seed", str(seed))
            runs.append({"total": total, "mb": mb, "seconds": srv.ready, "peak": srv.peak_mb()})
            srv.stop()
            seed.unlink()
            shutil.rmtree(self.work / f"seed-{total}", ignore_errors=True)
            print(f"  seeding {total:,}: {runs[-1]['seconds']:.1f} s, peak {runs[-1]['peak']:.1f} MB", file=sys.stderr)
        if self.want("large") and self.large_seed:
            runs.append(self.large_seed)
        small = self.work / "seed-small.json"
        write_seed(small, self.args.small, self.args.small)
        srv = serve(self.work / "seed-target", "--seed", str(small))
        bad = self.work / "seed-bad.json"
        write_seed(bad, larger, min(larger, 10_000), bad_last=True)
        size = bad.stat().st_size
        try:
            before = hashlib.sha256(fetch_state(srv.port)).hexdigest()
            started = time.monotonic()
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=3600)
            with open(bad, "rb") as f:
                conn.request("PUT", "/_admin/state", body=f, headers={"Content-Length": str(size),
                                                                       "Content-Type": "application/json"})
                resp = conn.getresponse()
                answer = json.loads(resp.read())
            conn.close()
            seconds = time.monotonic() - started
            peak = srv.peak_mb()
            after = hashlib.sha256(fetch_state(srv.port)).hexdigest()
        finally:
            srv.stop()
            bad.unlink()
        where = f"scopes[0].opportunities[{larger - 1}]"
        result = {"total": larger, "mb": size / 1e6, "status": resp.status, "seconds": seconds, "peak": peak,
                  "error": answer.get("error", ""), "where": where in answer.get("error", ""),
                  "unchanged": before == after}
        print(f"  bad {larger:,}-record document: HTTP {resp.status} in {seconds:.1f} s, peak {peak:.1f} MB, "
              f"{answer.get('error', '')[:120]!r}, {'unchanged' if before == after else 'CHANGED'}", file=sys.stderr)
        return {"runs": runs, "bad": result}

    def export_reads(self, data_dir, total, seconds, conns=8):
        """GetOpportunity reads with and without `GET /_admin/state` requested back to back
        alongside (alternated, then the ceiling); returns the figures for the report."""
        seed = self.work / "export.json"
        write_seed(seed, total, total // 10)
        srv = serve(data_dir, "--seed", str(seed))
        srv.stop()
        seed.unlink()
        srv = serve(data_dir)  # measured on a normally started server, as the large store
        step = max(1, total // 10_000)
        bodies = [json.dumps({"Catalog": CATALOG, "Identifier": f"O{FIRST + i}"}, separators=(",", ":"))
                  for i in range(0, total, step)]
        script = self.work / "export.lua"
        lua_script(script, "GetOpportunity", bodies)
        body_file = self.work / "export.body"
        body_file.write_bytes(sample_response(srv.port, "GetOpportunity", bodies[0]))
        ceiling = Proc([str(CEILING), str(body_file)])
        # wrk's default 2 s timeout would drop the stalled reads from the latencies.
        run = lambda url: wrk(url, script, conns, seconds, timeout=30)
        quiet, busy, ceil, exports, inside = [], [], [], [], 0
        try:
            first = fetch_export(srv.port)  # also warms the page cache
            wrk(srv.url, script, conns, 1)
            wrk(ceiling.url, script, conns, 1)
            for _ in range(self.args.rounds):
                quiet.append(run(srv.url))
                stop, done = threading.Event(), []

                def exporting():
                    while not stop.is_set():
                        done.append(fetch_export(srv.port))

                exporter = threading.Thread(target=exporting)
                exporter.start()
                try:
                    busy.append(run(srv.url))
                finally:
                    window_end = time.monotonic()
                    stop.set()
                    exporter.join()  # the export in flight finishes before the next run
                exports += done
                inside += sum(1 for e in done if e["ended"] <= window_end)
                ceil.append(run(ceiling.url))
        finally:
            ceiling.stop()
        self.rss.append((f"peak during back-to-back exports, {total:,} stored", srv.peak_mb()))
        self.note_rss("after the exports", srv)
        srv.stop()
        med = lambda runs, k: statistics.median(r[k] for r in runs)
        name = f"GetOpportunity, {total:,} stored"
        rows = []
        for label, runs, target in ((f"{name}, no export", quiet, None),
                                    (f"{name}, during back-to-back GET /_admin/state", busy, "p99 ≤ 5 ms")):
            row = {"scenario": label, "conns": conns, "rps": med(runs, "rps"), "p50": med(runs, "p50"),
                   "p99": med(runs, "p99"), "ceiling": med(ceil, "rps"), "ratio": med(runs, "rps") / med(ceil, "rps"),
                   "ceiling_p99": med(ceil, "p99"), "errors": sum(r["errors"] + r["timeouts"] for r in runs),
                   "target": target}
            self.rows.append(row)
            rows.append(row)
            print(f"  {label} c={conns}: {row['rps']:.0f} req/s (ceiling {row['ceiling']:.0f}, "
                  f"ratio {row['ratio']:.2f}), p50 {row['p50']:.2f} ms, p99 {row['p99']:.2f} ms, "
                  f"errors {row['errors']}", file=sys.stderr)
        times = [e["seconds"] * 1000 for e in exports] or [float("nan")]
        result = {"total": total, "seconds": seconds, "rounds": self.args.rounds, "quiet": rows[0],
                  "busy": rows[1], "exports": len(exports), "inside": inside,
                  "export_ms": statistics.median(times), "export_max_ms": max(times),
                  "export_min_ms": min(times), "export_mb": first["bytes"] / 1e6,
                  "first_export_ms": first["seconds"] * 1000}
        print(f"  {len(exports)} exports ({inside} finished inside the read windows), median "
              f"{result['export_ms']:.0f} ms (min {result['export_min_ms']:.0f}, max {result['export_max_ms']:.0f}), "
              f"{result['export_mb']:.1f} MB each", file=sys.stderr)
        return result

    def bad_request(self, data_dir, items):
        """One ListOpportunities with `items` invalid identifiers, on a fresh server: the status,
        the size of the answer, the time to its last byte and the server's memory growth."""
        limit = 16 << 20
        body = ('{"Catalog":"%s","Identifier":[' % CATALOG + ",".join(['"x"'] * items) + "]}").encode()
        assert len(body) <= limit, "raise --max-body-bytes with the item count"
        request_bytes = len(body)
        srv = serve(data_dir, "--max-body-bytes", str(limit))
        try:
            rss_before, hwm_before = srv.rss_mb(), srv.peak_mb()
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=900)
            started = time.monotonic()
            conn.request("POST", "/", body, {"Content-Type": "application/x-amz-json-1.0",
                                             "X-Amz-Target": TARGET + "ListOpportunities"})
            del body
            resp = conn.getresponse()
            first_byte = time.monotonic() - started
            size, head = drain(resp, keep=300)
            elapsed = time.monotonic() - started
            conn.close()
            hwm_after, rss_after = srv.peak_mb(), srv.rss_mb()
            alive = srv.p.poll() is None
            self.rss.append(("fresh server, before the huge invalid request", rss_before))
            self.rss.append((f"peak answering the huge invalid request ({items:,} items)", hwm_after))
        finally:
            if srv.p.poll() is None:
                srv.stop()
        result = {"items": items, "request_bytes": request_bytes,
                  "status": resp.status, "bytes": size, "seconds": elapsed, "first_byte": first_byte,
                  "rss_before": rss_before, "hwm_before": hwm_before, "hwm_after": hwm_after,
                  "rss_after": rss_after, "growth": hwm_after - rss_before, "alive": alive,
                  "head": head.decode("utf-8", "replace")}
        print(f"  huge invalid ListOpportunities ({items:,} items, {result['request_bytes']:,} bytes): HTTP "
              f"{resp.status}, {size:,} bytes in {elapsed:.2f} s (first byte {first_byte:.2f} s); RSS "
              f"{rss_before:.1f} MB -> peak {hwm_after:.1f} MB (peak before {hwm_before:.1f}, RSS after "
              f"{rss_after:.1f}); server {'alive' if alive else 'GONE'}; answer begins {result['head'][:120]!r}",
              file=sys.stderr)
        return result


def base36(n, width):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out.rjust(width, "0")


def write_invitation_seed(path, total):
    """A state document in which AWS referred `total` opportunities to ACCOUNT: one engagement
    and one PENDING invitation each, sent a second apart, expiring in 15 days. Returns the ids."""
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    document = json.loads(CREATE_BODY)
    for k in ("Catalog", "ClientToken", "Origin"):
        document.pop(k)
    engagements, invitations, ids = [], [], []
    for i in range(total):
        sent = now - datetime.timedelta(seconds=total - i)
        eng, inv = f"eng-{base36(i, 14)}", f"engi-{base36(i, 13)}"
        engagements.append({"id": eng, "title": f"Referral {i}", "createdAt": stamp(sent), "createdBy": "aws",
                            "modifiedAt": stamp(sent), "modifiedBy": "aws",
                            "members": [{"accountId": "aws", "companyName": "AWS", "websiteUrl": "www.aws.com",
                                         "joinedAt": stamp(sent)}]})
        invitations.append({
            "id": inv, "engagementId": eng, "payloadType": "OpportunityInvitation", "status": "PENDING",
            "invitationDate": stamp(sent), "expirationDate": stamp(sent + datetime.timedelta(days=15)),
            "senderAwsAccountId": "aws", "senderCompanyName": "AWS", "receiverAwsAccountId": ACCOUNT,
            "message": "AWS referred this opportunity to you.",
            "payload": {"OpportunityInvitation": {
                "Customer": {"CompanyName": "Acme Corp", "CountryCode": "US", "Industry": "Software and Internet",
                             "WebsiteUrl": "https://acme.example.com"},
                "Project": {"Title": f"Referral {i}", "BusinessProblem": document["Project"]["CustomerBusinessProblem"],
                            "TargetCompletionDate": "2027-06-30", "ExpectedCustomerSpend": []},
                "ReceiverResponsibilities": ["Services Partner"]}},
            "referral": {"opportunityId": f"O{FIRST + i}", "opportunityNumber": FIRST + i,
                         "createdDate": stamp(sent), "document": document}})
        ids.append(inv)
    path.write_text(json.dumps({"format": "partnercentral-local/state", "version": 2,
                                "nextOpportunityNumber": FIRST + total, "scopes": [],
                                "catalogs": [{"catalog": CATALOG, "engagements": engagements,
                                              "invitations": invitations}]}))
    return ids


def write_engagement_seed(path, total, others):
    """A state document with `total` lead engagements AWS shares with ACCOUNT (a Lead context each,
    ACCOUNT a member) and `others` engagements of another partner ACCOUNT is not in. Returns the
    ids of ACCOUNT's."""
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    engagements, ids = [], []
    for i in range(total + others):
        made = now - datetime.timedelta(seconds=total + others - i)
        mine = i < total
        member = ACCOUNT if mine else "999999999999"
        eng = f"eng-{base36(i, 14)}"
        engagements.append({
            "id": eng, "title": f"Lead {i}", "createdAt": stamp(made), "createdBy": "aws",
            "modifiedAt": stamp(made), "modifiedBy": "aws",
            "members": [{"accountId": "aws", "companyName": "AWS", "websiteUrl": "www.aws.com",
                         "joinedAt": stamp(made)},
                        {"accountId": member, "companyName": f"Partner {member}", "joinedAt": stamp(made)}],
            "contexts": [{"Id": "1", "Type": "Lead", "Payload": {"Lead": {
                "Customer": {"CompanyName": f"Customer {i % 97}", "Industry": "Software and Internet",
                             "Address": {"CountryCode": "US"}},
                "QualificationStatus": ("Qualified", "Unqualified")[i % 2],
                "Interactions": [{"SourceType": "Event", "SourceName": "Summit", "Contact": {
                    "BusinessTitle": "CTO", "Email": f"cto{i}@example.com", "FirstName": "A",
                    "LastName": "B"}}]}}}]})
        if mine:
            ids.append(eng)
    path.write_text(json.dumps({"format": "partnercentral-local/state", "version": 2,
                                "nextOpportunityNumber": FIRST, "scopes": [],
                                "catalogs": [{"catalog": CATALOG, "engagements": engagements,
                                              "invitations": []}]}))
    return ids


# SearchOpportunities data: company names from syllables (40 × 25 × 20 = 20,000 names, about 50
# opportunities each at 1,000,000), titles, stages and spends that vary, an AWS summary for one in ten.
FIRSTS = ["Zen", "Alta", "Bri", "Cor", "Dex", "Ever", "Fal", "Gran", "Hel", "Ion", "Jun", "Kel", "Lum", "Mar",
          "Nov", "Orb", "Pax", "Quin", "Ros", "Sol", "Tor", "Umb", "Val", "Wex", "Xan", "Yor", "Zol", "Arc",
          "Bel", "Cas", "Dor", "Eld", "Fen", "Gal", "Har", "Ivo", "Jas", "Kor", "Lin", "Mor"]
SECONDS = ["brook", "tech", "vale", "stone", "field", "wave", "crest", "point", "ridge", "forge", "light", "gate",
           "path", "mark", "line", "core", "span", "well", "wood", "port", "bay", "hill", "dale", "mont", "view"]
KINDS = ["Analytics", "Systems", "Labs", "Holdings", "Logistics", "Foods", "Health", "Energy", "Media", "Retail",
         "Capital", "Robotics", "Motors", "Pharma", "Textiles", "Airlines", "Bank", "Insurance", "Games", "Studios"]
TITLES = ["Data lake migration", "SAP on AWS", "Contact center modernization", "Generative AI assistant",
          "Disaster recovery", "Mainframe exit", "Data warehouse", "Kubernetes platform", "Cost optimization",
          "Security baseline"]
STAGES = ["Prospect", "Qualified", "Technical Validation", "Business Validation", "Committed", "Launched",
          "Closed Lost"]


def company_name(i):
    return f"{FIRSTS[i % 40]}{SECONDS[(i // 40) % 25]} {KINDS[(i // 1000) % 20]}"


def search_company(n):
    return company_name((n * 7919) % 20_000)


def search_approved(i):
    """One in ten, spread over each company's opportunities (which share their number modulo 20,000)."""
    return (i // 3) % 10 == 0


def write_search_seed(path, total):
    """A state document of `total` varied opportunities (one in ten approved with an AWS summary
    carrying an engagement score), streamed."""
    with open(path, "w") as f:
        f.write('{"format":"partnercentral-local/state","version":1,')
        f.write(f'"nextOpportunityNumber":{FIRST + total},"scopes":[{{"accountId":"{ACCOUNT}",')
        f.write(f'"catalog":"{CATALOG}","opportunities":[')
        for i in range(total):
            n = FIRST + i
            approved = search_approved(i)
            doc = {
                "Customer": {"Account": {"CompanyName": search_company(n), "Industry": "Software and Internet",
                                         "Address": {"CountryCode": ["US", "DE", "JP", "GB"][n % 4]}}},
                "Project": {"Title": f"{TITLES[n % 10]} {n}", "ExpectedCustomerSpend": [
                    {"Amount": str(100 * (n % 97)), "CurrencyCode": "USD", "Frequency": "Monthly",
                     "TargetCompany": "AWS"}]},
                "LifeCycle": {"Stage": STAGES[n % 7], "ReviewStatus": "Approved" if approved else "Pending Submission",
                              "NextSteps": f"Follow up with {search_company(n + 1)}", "TargetCloseDate": "2027-06-30"},
                "Origin": "Partner Referral",
            }
            rec = {"id": f"O{n}", "num": n, "createdDate": ts(n), "lastModifiedDate": ts(n), "doc": doc}
            if approved:
                rec["submission"] = {"involvementType": "Co-Sell", "visibility": "Full"}
            if i:
                f.write(",")
            f.write(json.dumps(rec, separators=(",", ":")))
        f.write('],"awsSummaries":[')
        first = True
        for i in filter(search_approved, range(total)):
            n = FIRST + i
            if not first:
                f.write(",")
            first = False
            f.write(json.dumps({"opportunityId": f"O{n}", "aws": {
                "Insights": {"EngagementScore": ["High", "Medium", "Low"][n % 3]}},
                "nextStepsHistory": [], "lastNextSteps": None}, separators=(",", ":")))
        f.write("]}]}")


def search_bodies(total, count=200):
    """SearchOpportunities requests: a company's name as the keyword, and a two-leaf filter."""
    bodies = []
    for k in range(count):
        n = FIRST + (k * 4999) % total
        bodies.append(json.dumps({
            "Catalog": CATALOG, "MaxResults": 20, "Keyword": search_company(n),
            "Filter": {"AndAllFilters": [
                {"EqualsTo": {"Key": "ReviewStatus", "Value": {"StringValue": "Approved"}}},
                {"GreaterThan": {"Key": "EstimatedMrr", "Value": {"DoubleValue": 1000}}}]}},
            separators=(",", ":")))
    return bodies


def summary_bodies(ids):
    return [json.dumps({"Catalog": CATALOG, "RelatedOpportunityIdentifier": i}, separators=(",", ":"))
            for i in ids]


CREATE_BODY = json.dumps({
    "Catalog": CATALOG, "ClientToken": "TOKEN", "Origin": "Partner Referral",
    "Customer": {"Account": {"CompanyName": "Acme Corp", "Industry": "Software and Internet",
                             "WebsiteUrl": "https://acme.example.com",
                             "Address": {"City": "Seattle", "CountryCode": "US", "PostalCode": "98101",
                                         "StateOrRegion": "Washington", "StreetAddress": "1 Main St"}},
                 "Contacts": [{"Email": "ann@acme.example.com", "FirstName": "Ann", "LastName": "Lee",
                               "BusinessTitle": "CTO", "Phone": "+12065550100"}]},
    "Project": {"Title": "Data platform migration", "CustomerUseCase": "Migration / Database Migration",
                "CustomerBusinessProblem": "The customer runs out of capacity every quarter end.",
                "DeliveryModels": ["SaaS or PaaS"], "SalesActivities": ["Initialized discussions with customer"],
                "ExpectedCustomerSpend": [{"Amount": "5000", "CurrencyCode": "USD", "Frequency": "Monthly",
                                           "TargetCompany": "AWS"}]},
    "LifeCycle": {"Stage": "Qualified", "NextSteps": "Schedule a discovery call", "TargetCloseDate": "2030-06-30"},
    "OpportunityType": "Net New Business", "PrimaryNeedsFromAws": ["Co-Sell - Technical Consultation"],
    "Marketing": {"Source": "None"}, "NationalSecurity": "No", "PartnerOpportunityIdentifier": "CRM-1",
}, separators=(",", ":"))


def run(args):
    ensure_wrk()
    if not args.no_build:
        build()
    work = tempfile.mkdtemp(prefix="pcl-bench-")
    bench = Bench(args, work)
    creds = pathlib.Path(work) / "credentials.json"
    creds.write_text(json.dumps({"credentials": [
        {"accessKeyId": ACCESS_KEY, "secretAccessKey": SECRET, "accountId": ACCOUNT}]}))
    small32 = large32 = cold = seeded = generated = export = bad = default32 = seeding = None
    try:
        # 1. The small store: every opportunity approved.
        if bench.want("summary") or bench.want("sigv4"):
            small_ids = write_seed(pathlib.Path(work) / "small.json", args.small, args.small)
            small_dir = pathlib.Path(work) / "small"
            srv = serve(small_dir, "--seed", str(pathlib.Path(work) / "small.json"))
            bodies = summary_bodies(small_ids)
            if bench.want("summary"):
                bench.note_rss(f"idle, {args.small:,} stored", srv)
                bench.compare(f"GetAwsOpportunitySummary, {args.small:,} stored", srv, "GetAwsOpportunitySummary",
                              bodies, 1)
                small32 = bench.compare(f"GetAwsOpportunitySummary, {args.small:,} stored", srv,
                                        "GetAwsOpportunitySummary", bodies, 32, target_ratio=0.7)
                bench.note_rss("after GetAwsOpportunitySummary", srv)
            srv.stop()
            if bench.want("summary"):
                # As users run it: the default `info` log line per request, to a file.
                log = pathlib.Path(work) / "default.log"
                srv = serve(small_dir, log_file=log)
                default32 = bench.compare("… default configuration (info log to a file)", srv,
                                          "GetAwsOpportunitySummary", bodies, 32, target_ratio=0.75)
                bench.note_rss("after GetAwsOpportunitySummary, default configuration", srv)
                srv.stop()
                logged = sum(1 for line in open(log) if " request " in line)
                print(f"  default configuration: {logged:,} request lines logged", file=sys.stderr)

        if bench.want("sigv4"):
            srv = serve(small_dir, "--credentials", str(creds))
            signed_bodies = bodies[: min(len(bodies), 2000)]
            bench.compare("… with SigV4 verification", srv, "GetAwsOpportunitySummary", signed_bodies, 1,
                          signed=True)
            bench.compare("… with SigV4 verification", srv, "GetAwsOpportunitySummary", signed_bodies, 32,
                          signed=True)
            bench.note_rss("after signed GetAwsOpportunitySummary", srv)
            srv.stop()

        # 2. Durable creates with a full payload.
        if bench.want("create"):
            create_dir = pathlib.Path(work) / "create"
            srv = serve(create_dir)
            bench.compare("CreateOpportunity (durable, full payload)", srv, "CreateOpportunity", [CREATE_BODY], 16,
                          unique_token=True)
            bench.note_rss("after CreateOpportunity", srv)
            srv.stop()

        # 3. The large store.
        if bench.want("large"):
            large_dir = pathlib.Path(work) / "large"
            seed = pathlib.Path(work) / "large.json"
            t = time.monotonic()
            large_ids = write_seed(seed, args.large, min(args.large, 10_000))
            generated = time.monotonic() - t
            mb = seed.stat().st_size / 1e6
            srv = serve(large_dir, "--seed", str(seed))
            seeded = srv.ready
            seed.unlink()
            bench.rss.append((f"peak while seeding {args.large:,} (one-time import)", srv.peak_mb()))
            bench.large_seed = {"total": args.large, "mb": mb, "seconds": seeded, "peak": srv.peak_mb()}
            srv.stop()
            srv = serve(large_dir)  # scenarios run on a normally started server
            bench.note_rss(f"idle, {args.large:,} stored", srv)
            large32 = bench.compare(f"GetAwsOpportunitySummary, {args.large:,} stored", srv,
                                    "GetAwsOpportunitySummary", summary_bodies(large_ids), 32)
            list_body = json.dumps({"Catalog": CATALOG, "MaxResults": 100, "LifeCycleStage": ["Qualified"],
                                    "Sort": {"SortBy": "LastModifiedDate", "SortOrder": "DESCENDING"}},
                                   separators=(",", ":"))
            bench.compare(f"ListOpportunities, page of 100, filtered, {args.large:,} stored", srv,
                          "ListOpportunities", [list_body], 8)
            bench.note_rss("after ListOpportunities", srv)
            srv.stop()

            starts = []
            for _ in range(3):
                p = serve(large_dir)
                starts.append(p.ready)
                bench.note_rss(f"just started, {args.large:,} stored", p)
                p.stop()
            cold = statistics.median(starts)

        # 4. Reads while the whole store is exported, back to back (durable store).
        if bench.want("export"):
            export = bench.export_reads(pathlib.Path(work) / "export", args.export_records, args.export_seconds)

        # 5. One huge invalid request on a fresh server.
        if bench.want("bad-request"):
            bad = bench.bad_request(pathlib.Path(work) / "bad", args.bad_items)

        # 6. The inbound path: reading and listing the invitations AWS sent (durable store).
        if bench.want("invitations"):
            seed = pathlib.Path(work) / "invitations.json"
            inv_ids = write_invitation_seed(seed, args.invitations)
            inv_dir = pathlib.Path(work) / "invitations"
            srv = serve(inv_dir, "--seed", str(seed))
            srv.stop()
            srv = serve(inv_dir)
            bench.compare(f"GetEngagementInvitation, {args.invitations:,} pending", srv, "GetEngagementInvitation",
                          [json.dumps({"Catalog": CATALOG, "Identifier": i}, separators=(",", ":"))
                           for i in inv_ids], 32)
            page = json.dumps({"Catalog": CATALOG, "ParticipantType": "RECEIVER", "Status": ["PENDING"],
                               "MaxResults": 20, "Sort": {"SortBy": "InvitationDate", "SortOrder": "DESCENDING"}},
                              separators=(",", ":"))
            bench.compare(f"ListEngagementInvitations, page of 20 of {args.invitations:,} pending", srv,
                          "ListEngagementInvitations", [page], 8)
            bench.note_rss("after the invitation reads", srv)
            srv.stop()
        # 7. Engagements: one read, a page of the caller's, a filtered search (durable store).
        if bench.want("engagements"):
            seed = pathlib.Path(work) / "engagements.json"
            eng_ids = write_engagement_seed(seed, args.engagements, args.engagements)
            eng_dir = pathlib.Path(work) / "engagements"
            srv = serve(eng_dir, "--seed", str(seed))
            srv.stop()
            srv = serve(eng_dir)
            n = f"{args.engagements:,}"
            bench.compare(f"GetEngagement, a member of {n} of {2 * args.engagements:,}", srv, "GetEngagement",
                          [json.dumps({"Catalog": CATALOG, "Identifier": i}, separators=(",", ":"))
                           for i in eng_ids], 32)
            bench.compare(f"ListEngagements, page of 20 of the caller's {n}", srv, "ListEngagements",
                          [json.dumps({"Catalog": CATALOG, "MaxResults": 20}, separators=(",", ":"))], 8)
            search = json.dumps({"Catalog": CATALOG, "MaxResults": 20, "Filter": {"AndAllFilters": [
                {"EqualsTo": {"Key": "LeadQualificationStatus", "Value": {"StringValue": "Qualified"}}},
                {"ContainsAny": {"Key": "LeadCustomerCompanyName", "Value": {"StringListValue": ["customer 1"]}}}]}},
                separators=(",", ":"))
            bench.compare(f"SearchEngagements, a filter tree over the caller's {n}", srv, "SearchEngagements",
                          [search], 8)
            bench.note_rss("after the engagement reads", srv)
            srv.stop()
        # 8. Writes followed by a running snapshot job (durable store).
        if bench.want("snapshot-jobs"):
            bench.snapshot_job_writes(pathlib.Path(work) / "jobs", args.seconds)
        # 9. SearchOpportunities over a large store (durable): a keyword and a two-leaf filter.
        if bench.want("search-opps"):
            seed = pathlib.Path(work) / "search.json"
            write_search_seed(seed, args.search_records)
            search_dir = pathlib.Path(work) / "search"
            srv = serve(search_dir, "--seed", str(seed))
            search_seeded = srv.ready
            seed.unlink()
            bench.rss.append((f"peak while seeding {args.search_records:,} for search (one-time import)",
                              srv.peak_mb()))
            srv.stop()
            srv = serve(search_dir)
            bodies = search_bodies(args.search_records)
            sample = json.loads(sample_response(srv.port, "SearchOpportunities", bodies[0]))
            found = [len(json.loads(sample_response(srv.port, "SearchOpportunities", b))["OpportunitySearchSummaries"])
                     for b in bodies[:20]]
            print(f"  search-opps: seeded {args.search_records:,} in {search_seeded:.1f} s; first query found "
                  f"{len(sample['OpportunitySearchSummaries'])}, the first 20 found {sum(found)}", file=sys.stderr)
            search_row = bench.compare(f"SearchOpportunities, keyword + 2-leaf filter, {args.search_records:,} stored",
                                       srv, "SearchOpportunities", bodies, 8)
            search_row["target"] = "p99 ≤ 50 ms"
            bench.search = {"total": args.search_records, "seeded": search_seeded, "row": search_row,
                            "found": sum(found) / len(found)}
            bench.note_rss("after SearchOpportunities", srv)
            srv.stop()
        # 10. State in bounded memory: seeding, and a huge document bad at its very end.
        if bench.want("seed"):
            seeding = bench.seeding(args.seed_records, args.large)
        # 10. A bulk job creating opportunities from one large CSV file (durable store).
        if bench.want("bulk"):
            bench.bulk = bench.bulk_create(pathlib.Path(work) / "bulk", args.bulk_rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    return report(args, bench, small32, large32, cold, seeded, generated, export, bad, default32, seeding)


# What `--backend postgres` runs (of `--only`), in this order.
PG_SCENARIOS = ("summary", "create", "seed")


def run_postgres(args):
    """GetAwsOpportunitySummary and CreateOpportunity on SQLite, then on PostgreSQL through one
    replica and through two (two servers on one database, the connections split between
    them), each against the same-run ceiling; then seeding `--seed-size` opportunities on
    both backends (time to ready, peak RSS)."""
    ensure_wrk()
    if not args.no_build:
        build()
    chosen = [s for s in PG_SCENARIOS if s in args.only]
    skipped = [s for s in args.only if s not in PG_SCENARIOS]
    if skipped and set(args.only) != set(SCENARIOS):
        print(f"  --backend postgres runs {', '.join(PG_SCENARIOS)}; not {', '.join(skipped)}", file=sys.stderr)
    work = pathlib.Path(tempfile.mkdtemp(prefix="pcl-bench-"))
    bench = Bench(args, work)
    url = args.database_url or os.environ.get("PCL_BENCH_DATABASE_URL")
    cluster = dbs = None
    load = {"start": os.getloadavg()}
    out = {"rows": [], "seeds": [], "where": "", "settings": ""}
    started = time.monotonic()
    try:
        if url:
            out["where"] = "the server at --database-url / PCL_BENCH_DATABASE_URL"
        else:
            t = time.monotonic()
            cluster = PgCluster()
            url = cluster.url
            out["where"] = f"a throwaway cluster (initdb and start: {time.monotonic() - t:.1f} s)"
            print(f"  PostgreSQL: {out['where']}, port {cluster.port}", file=sys.stderr)
        dbs = PgDatabases(url, args.database_prefix)
        out["settings"] = dbs.settings()

        def three(label, operation, bodies, conns, seed=None, unique_token=False):
            """The scenario on SQLite, then on PostgreSQL with one and two replicas."""
            seed_args = ["--seed", str(seed)] if seed else []
            srv = serve(work / f"{label}-sqlite", *seed_args)
            try:
                lite = bench.compare(f"{label} — SQLite", srv, operation, bodies, conns, unique_token=unique_token)
            finally:
                srv.stop()
            db = dbs.fresh()
            first = serve_pg(db, *seed_args)
            second = None
            try:
                one = bench.compare(f"{label} — PostgreSQL, 1 replica", first, operation, bodies, conns,
                                    unique_token=unique_token)
                second = serve_pg(db)
                two = bench.compare(f"{label} — PostgreSQL, 2 replicas", [first, second], operation, bodies,
                                    conns, unique_token=unique_token)
            finally:
                first.stop()
                if second:
                    second.stop()
            for row, backend in ((lite, "SQLite"), (one, "PostgreSQL ×1"), (two, "PostgreSQL ×2")):
                out["rows"].append(dict(row, label=label, backend=backend, vs_sqlite=row["ratio"] / lite["ratio"]))

        if "summary" in chosen:
            small = work / "small.json"
            ids = write_seed(small, args.small, args.small)
            three(f"GetAwsOpportunitySummary, {args.small:,} stored", "GetAwsOpportunitySummary",
                  summary_bodies(ids), 32, seed=small)
        if "create" in chosen:
            three("CreateOpportunity (full payload)", "CreateOpportunity", [CREATE_BODY], 16, unique_token=True)
        if "seed" in chosen:
            doc = work / "seed.json"
            t = time.monotonic()
            write_seed(doc, args.seed_size, min(args.seed_size, 10_000))
            generated = time.monotonic() - t
            mb = doc.stat().st_size / 1e6
            for backend in ("SQLite", "PostgreSQL"):
                db = None
                if backend == "SQLite":
                    srv = serve(work / "seed-sqlite", "--seed", str(doc))
                else:
                    db = dbs.fresh()
                    srv = serve_pg(db, "--seed", str(doc))
                run = {"backend": backend, "total": args.seed_size, "mb": mb, "seconds": srv.ready,
                       "peak": srv.peak_mb(), "generated": generated}
                srv.stop()
                shutil.rmtree(work / "seed-sqlite", ignore_errors=True)
                out["seeds"].append(run)
                print(f"  seeding {args.seed_size:,} on {backend}: {run['seconds']:.1f} s, peak {run['peak']:.1f} MB",
                      file=sys.stderr)
            doc.unlink()
    finally:
        if dbs:
            dbs.drop_all()
        if cluster:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    load["end"] = os.getloadavg()
    out["minutes"] = (time.monotonic() - started) / 60
    return report_postgres(args, out, load)


def report_postgres(args, out, load):
    cpu = next((l.split(":", 1)[1].strip() for l in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    fmt_load = lambda l: " ".join(f"{x:.2f}" for x in l)
    lines = [
        f"Run of {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores ({cpu}), "
        f"{out['minutes']:.1f} minutes; load average {fmt_load(load['start'])} at the start, "
        f"{fmt_load(load['end'])} at the end. wrk {args.seconds}s per run, {args.rounds} alternating rounds "
        f"(server, ceiling), medians shown. PostgreSQL {out['settings']}, on {out['where']}, on this machine.",
        "",
        "| scenario | backend | conns | req/s | p50 ms | p99 ms | ceiling req/s | ratio to ceiling | vs SQLite | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in out["rows"]:
        lines.append(f"| {r['label']} | {r['backend']} | {r['conns']} | {r['rps']:,.0f} | {r['p50']:.2f} | "
                     f"{r['p99']:.2f} | {r['ceiling']:,.0f} | {r['ratio']:.2f} | {r['vs_sqlite']:.2f}× | "
                     f"{r['errors']} |")
    checks = []
    if out["seeds"]:
        lines += ["", "| seeding through `--seed` | backend | document MB | seconds to ready | records/s | peak RSS MB |",
                  "|---|---|---|---|---|---|"]
        for run in out["seeds"]:
            lines.append(f"| {run['total']:,} opportunities | {run['backend']} | {run['mb']:.0f} | "
                         f"{run['seconds']:.1f} | {run['total'] / run['seconds']:,.0f} | {run['peak']:.1f} |")
            checks.append((f"seeding {run['total']:,} on {run['backend']}: peak RSS ≤ 512 MB",
                           f"{run['peak']:.1f} MB", run["peak"] <= 512))
    lines += ["", "Ratios to the ceiling are each run's own; \"vs SQLite\" divides them by the SQLite row's "
              "(so the drift between runs does not count). Two replicas: the connections split between two "
              "server processes on one database, the ceiling loaded with the same split; p50 and p99 are the "
              "worse of the two wrk processes'."]
    if checks:
        lines += ["", "| target | measured | met |", "|---|---|---|",
                  *[f"| {name} | {value} | {'yes' if ok else '**no**'} |" for name, value, ok in checks]]
    text = "\n".join(lines) + "\n"
    print(text)
    return text


def report(args, bench, small32, large32, cold, seeded, generated, export=None, bad=None, default32=None,
           seeding=None):
    cpu = next((l.split(":", 1)[1].strip() for l in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    only = "" if set(args.only) == set(SCENARIOS) else f" Scenarios: {', '.join(args.only)}."
    lines = [
        f"Run of {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores ({cpu}), "
        f"wrk {args.seconds}s per run, {args.rounds} alternating rounds (server, ceiling), medians shown.{only}",
        "",
        "| scenario | conns | req/s | p50 ms | p99 ms | ceiling req/s | ceiling p99 ms | ratio | target | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in bench.rows:
        target = r["target"] if isinstance(r["target"], str) else f"≥ {r['target']}×" if r["target"] else ""
        lines.append(f"| {r['scenario']} | {r['conns']} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
                     f"{r['ceiling']:,.0f} | {r['ceiling_p99']:.2f} | {r['ratio']:.2f} | {target} | {r['errors']} |")
    by_name = {(r["scenario"], r["conns"]): r for r in bench.rows}
    signed32 = by_name.get(("… with SigV4 verification", 32))
    create = next((r for r in bench.rows if r["scenario"].startswith("CreateOpportunity")), None)
    listing = next((r for r in bench.rows if r["scenario"].startswith("ListOpportunities")), None)
    steady = [mb for label, mb in bench.rss if not label.startswith("peak")]
    p99s = [r for r in (small32, large32) if r]
    checks, notes = [], []
    if small32:
        checks.append(("GetAwsOpportunitySummary ≥ 0.7× the ceiling at 32 conns", f"{small32['ratio']:.2f}×",
                       small32["ratio"] >= 0.7))
    if default32:
        checks.append(("… default configuration (info log to a file) ≥ 0.75× the ceiling",
                       f"{default32['ratio']:.2f}×", default32["ratio"] >= 0.75))
        checks.append(("… default configuration p99 ≤ 2× the ceiling's p99",
                       f"{default32['p99']:.2f} ms vs {default32['ceiling_p99']:.2f} ms "
                       f"({default32['p99'] / default32['ceiling_p99']:.1f}×)",
                       default32["p99"] <= 2 * default32["ceiling_p99"]))
    if signed32 and small32:
        # Compared through their ratios to the ceiling measured alongside (the ceiling gets the
        # same signed requests), so that the drift between the two scenarios does not count.
        rel = signed32["ratio"] / small32["ratio"]
        checks.append(("… with SigV4 verification ≥ 0.7× unsigned (same run)",
                       f"{rel:.2f}× ({signed32['ratio']:.2f}× vs {small32['ratio']:.2f}× the ceiling; "
                       f"{signed32['rps']:,.0f} vs {small32['rps']:,.0f} req/s)", rel >= 0.7))
    if p99s:
        worst_p99 = max(r["p99"] for r in p99s)
        ceiling_p99 = max(r["ceiling_p99"] for r in p99s)
        checks.append(("p99 ≤ 1 ms at 32 conns", f"{worst_p99:.2f} ms (ceiling's own p99: {ceiling_p99:.2f} ms)",
                       worst_p99 <= 1.0))
    if small32 and large32:
        # Compared through their ratios to the ceiling measured alongside, so that the machine's
        # drift between the two scenarios (minutes apart) does not count as the store's size.
        flat = large32["ratio"] / small32["ratio"]
        raw_flat = large32["rps"] / small32["rps"]
        checks.append((f"{args.large:,} stored within 10 % of {args.small:,}", f"{flat:.2f}×", flat >= 0.9))
        notes.append(f"- Throughput at {args.large:,} stored vs {args.small:,} stored (32 conns): {flat:.2f}× as "
                     f"ratios to the ceiling ({raw_flat:.2f}× in raw req/s; target ≥ 0.90×).")
    if create:
        checks.append(("CreateOpportunity ≥ 5,000/s durable", f"{create['rps']:,.0f}/s", create["rps"] >= 5000))
    if listing:
        checks.append((f"ListOpportunities page of 100 p99 ≤ 10 ms at {args.large:,}", f"{listing['p99']:.2f} ms",
                       listing["p99"] <= 10))
    if cold is not None:
        checks.append((f"cold start < 100 ms at {args.large:,}", f"{cold * 1000:.0f} ms", cold < 0.1))
        notes.append(f"- Cold start to the ready line with {args.large:,} stored: {cold * 1000:.0f} ms "
                     f"(target < 100 ms).")
        notes.append(f"- Seeding {args.large:,} opportunities through `--seed`: {seeded:.1f} s to ready "
                     f"(document generated in {generated:.1f} s).")
    if export:
        quiet, busy = export["quiet"], export["busy"]
        checks.append((f"GetOpportunity p99 ≤ 5 ms during back-to-back exports at {export['total']:,}",
                       f"{busy['p99']:.2f} ms (without exports: {quiet['p99']:.2f} ms)", busy["p99"] <= 5))
        notes.append(
            f"- GetOpportunity at {quiet['conns']} conns on a durable store of {export['total']:,}, during "
            f"back-to-back `GET /_admin/state` vs without (alternated, {export['rounds']} × {export['seconds']} s "
            f"each): {busy['rps'] / quiet['rps']:.2f}× the req/s, p50 {busy['p50']:.2f} vs {quiet['p50']:.2f} ms, "
            f"p99 {busy['p99']:.2f} vs {quiet['p99']:.2f} ms ({busy['p99'] / quiet['p99']:.1f}×). "
            f"{export['exports']} exports of {export['export_mb']:.1f} MB ({export['inside']} finished inside the "
            f"read windows), {export['export_ms']:.0f} ms each (median; {export['export_min_ms']:.0f}–"
            f"{export['export_max_ms']:.0f} ms; the first, alone: {export['first_export_ms']:.0f} ms).")
    if bad:
        small_answer = bad["status"] == 400 and bad["bytes"] < 64 * 1024
        checks.append((f"ListOpportunities with {bad['items']:,} invalid identifiers: a 400 < 64 KB",
                       f"HTTP {bad['status']}, {bad['bytes']:,} bytes", small_answer))
        checks.append(("… server memory growth < 64 MB", f"{bad['growth']:.1f} MB (peak {bad['hwm_after']:.1f} MB)",
                       bad["growth"] < 64))
        notes.append(
            f"- ListOpportunities with {bad['items']:,} invalid identifiers ({bad['request_bytes'] / 1e6:.1f} MB "
            f"request, fresh server, `--max-body-bytes` 16 MiB): HTTP {bad['status']}, {bad['bytes']:,} bytes in "
            f"{bad['seconds']:.2f} s (first byte after {bad['first_byte']:.2f} s); RSS {bad['rss_before']:.1f} MB "
            f"before, peak {bad['hwm_after']:.1f} MB after (peak before: {bad['hwm_before']:.1f} MB), growth "
            f"{bad['growth']:.1f} MB{'' if bad['alive'] else '; the server DIED'}.")
    if seeding:
        for run in seeding["runs"]:
            limit = 192 if run["total"] <= 200_000 else 512
            checks.append((f"seeding {run['total']:,}: peak RSS ≤ {limit} MB", f"{run['peak']:.1f} MB",
                           run["peak"] <= limit))
            notes.append(f"- Seeding {run['total']:,} opportunities ({run['mb']:.0f} MB document) through `--seed` "
                         f"into a durable store: {run['seconds']:.1f} s to ready, peak RSS {run['peak']:.1f} MB.")
        bad_doc = seeding["bad"]
        checks.append((f"a {bad_doc['total']:,}-record document bad at its end: refused, nothing changed",
                       f"HTTP {bad_doc['status']} in {bad_doc['seconds']:.1f} s, peak RSS {bad_doc['peak']:.1f} MB, "
                       f"{'unchanged' if bad_doc['unchanged'] else 'CHANGED'}",
                       bad_doc["status"] == 400 and bad_doc["unchanged"] and bad_doc["where"]))
        notes.append(f"- `PUT /_admin/state` of {bad_doc['total']:,} opportunities ({bad_doc['mb']:.0f} MB) whose last "
                     f"record is bad, to a server holding {args.small:,}: HTTP {bad_doc['status']} after "
                     f"{bad_doc['seconds']:.1f} s, answer `{bad_doc['error'][:160]}`; peak RSS {bad_doc['peak']:.1f} MB; "
                     f"the state afterwards {'is byte-for-byte the state before' if bad_doc['unchanged'] else 'CHANGED'}.")
    if seeded is not None and args.large >= 1_000_000:
        checks.append((f"seeding {args.large:,} no slower than before streaming ({SEED_1M_BEFORE_STREAMING_S} s)",
                       f"{seeded:.1f} s", seeded <= SEED_1M_BEFORE_STREAMING_S))
    bulk = getattr(bench, "bulk", None)
    if bulk:
        checks.append((f"bulk job of {bulk['rows']:,} creates ≥ 5,000 records/s", f"{bulk['rate']:,.0f}/s",
                       bulk["rate"] >= 5000 and bulk["succeeded"] == bulk["rows"]))
        checks.append(("… RSS < 128 MB during the job", f"{bulk['peak']:.1f} MB", bulk["peak"] < 128))
        notes.append(f"- StartOpportunityBulkJob of {bulk['rows']:,} rows ({bulk['mb']:.0f} MB CSV, uploaded with "
                     f"`PUT /_admin/files`) on a durable store: {bulk['status']}, {bulk['succeeded']:,} created, "
                     f"{bulk['failed']:,} failed, {bulk['seconds']:.1f} s from StartedAt to CompletedAt "
                     f"({bulk['rate']:,.0f} records/s; {bulk['wall']:.1f} s from the Start call to COMPLETED seen); "
                     f"RSS at most {bulk['peak']:.1f} MB while it ran (peak before the job: {bulk['before']:.1f} MB).")
    if bench.search:
        row = bench.search["row"]
        checks.append((f"SearchOpportunities keyword + 2-leaf filter p99 ≤ 50 ms at 8 conns, "
                       f"{bench.search['total']:,} stored", f"{row['p99']:.2f} ms ({row['rps']:,.0f} req/s)",
                       row["p99"] <= 50))
        notes.append(f"- SearchOpportunities over {bench.search['total']:,} opportunities of one account (seeded in "
                     f"{bench.search['seeded']:.1f} s): a company name as `Keyword` (one of 20,000, found with its opportunities and in others' next steps) "
                     f"and `ReviewStatus = Approved` AND `EstimatedMrr > 1000`, 200 different requests cycled, "
                     f"{bench.search['found']:.1f} results each on average.")
    if steady:
        checks.append(("RSS < 64 MB (idle and after every scenario)", f"{max(steady):.1f} MB", max(steady) < 64))
    lines += ["", *notes, "", "| target | measured | met |", "|---|---|---|",
              *[f"| {name} | {value} | {'yes' if ok else '**no**'} |" for name, value, ok in checks],
              "", "| RSS | MB |", "|---|---|"]
    lines += [f"| {label} | {mb:.1f} |" for label, mb in bench.rss]
    text = "\n".join(lines) + "\n"
    print(text)
    return text


def scenario_list(text):
    names = [n.strip() for n in text.split(",") if n.strip()]
    if "all" in names:
        return list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown scenario {', '.join(unknown)!s}; choose from "
                                          f"{', '.join(SCENARIOS)} (or all)")
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="seconds-long run with small data, no thresholds")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--large", type=int, default=1_000_000)
    ap.add_argument("--export-records", type=int, default=100_000,
                    help="opportunities stored for the reads-during-export scenario")
    ap.add_argument("--export-seconds", type=int, default=10, help="wrk seconds per run of that scenario")
    ap.add_argument("--bad-items", type=int, default=1_500_000,
                    help="invalid identifiers in the huge ListOpportunities request")
    ap.add_argument("--invitations", type=int, default=1000,
                    help="pending invitations of the account in the invitations scenario")
    ap.add_argument("--engagements", type=int, default=1000,
                    help="engagements the account is a member of (and as many it is not) in the "
                         "engagements scenario")
    ap.add_argument("--seed-records", type=int, default=200_000,
                    help="opportunities of the smaller seeding run of the seed scenario")
    ap.add_argument("--bulk-rows", type=int, default=100_000,
                    help="rows of the CSV file of the bulk scenario")
    ap.add_argument("--search-records", type=int, default=1_000_000,
                    help="opportunities stored for the search-opps scenario")
    ap.add_argument("--only", type=scenario_list, default=list(SCENARIOS),
                    help=f"comma-separated scenarios to run: {', '.join(SCENARIOS)} (default: all)")
    ap.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite",
                    help="postgres: GetAwsOpportunitySummary and CreateOpportunity through one and two "
                         "replicas on PostgreSQL vs SQLite, and the seed on both (scenarios summary, create, seed)")
    ap.add_argument("--database-url", help="PostgreSQL server for --backend postgres (else "
                                           "PCL_BENCH_DATABASE_URL; else a throwaway cluster is started)")
    ap.add_argument("--database-prefix", default="pcl_bench_",
                    help="names of the databases --backend postgres creates (and drops)")
    ap.add_argument("--seed-size", type=int, default=1_000_000,
                    help="opportunities seeded on each backend by --backend postgres")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--out", help="also write the table into this Markdown file")
    args = ap.parse_args()
    if args.smoke:
        args.seconds, args.rounds, args.small, args.large = 1, 1, 200, 2000
        args.export_records, args.export_seconds, args.bad_items = 2000, 2, 150_000
        args.invitations, args.seed_records = 100, 1000
        args.engagements = 100
        args.bulk_rows = 2000
        args.search_records = 2000
        args.seed_size = 2000
    text = run_postgres(args) if args.backend == "postgres" else run(args)
    if args.out:
        pathlib.Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
