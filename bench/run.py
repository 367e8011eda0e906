#!/usr/bin/env python3
"""Benchmark harness for partnercentral-local (see bench/README.md).

Builds release, seeds stores through state documents (`--seed`), loads the server with wrk
and prints one results table. Every throughput is also measured, in the same run and
alternately (A B A B), against a ceiling: a minimal hyper server answering the exact bytes
partnercentral-local returned for the same request.

    python3 bench/run.py            # the full run (writes bench/RESULTS.md)
    python3 bench/run.py --smoke    # seconds; what CI runs so the harness never rots
"""
import argparse
import datetime
import hashlib
import hmac
import json
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = ROOT / "target" / "release" / "partnercentral-local"
CEILING = ROOT / "target" / "release" / "examples" / "ceiling"
ACCOUNT = "123456789012"  # the account of unsigned requests
CATALOG = "Sandbox"
ACCESS_KEY, SECRET = "AKIDBENCH", "bench-secret"
TARGET = "AWSPartnerCentralSelling."


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


def write_seed(path, total, approved):
    """A state document with `total` opportunities, the first `approved` of them approved
    and summarised; written as a stream so a million records need little memory."""
    with open(path, "w") as f:
        f.write('{"format":"partnercentral-local/state","version":1,')
        f.write(f'"nextOpportunityNumber":{FIRST + total},"scopes":[{{"accountId":"{ACCOUNT}",')
        f.write(f'"catalog":"{CATALOG}","opportunities":[')
        for i in range(total):
            if i:
                f.write(",")
            f.write(json.dumps(opportunity(FIRST + i, i < approved), separators=(",", ":")))
        f.write('],"awsSummaries":[')
        for i in range(approved):
            if i:
                f.write(",")
            f.write(json.dumps(summary(FIRST + i), separators=(",", ":")))
        f.write("]}]}")
    return [f"O{FIRST + i}" for i in range(approved)]


class Proc:
    def __init__(self, argv, env=None):
        self.started = time.monotonic()
        self.p = subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                                  env=dict(os.environ, RUST_LOG="warn", **(env or {})))
        for line in self.p.stderr:
            if "listening on http://" in line:
                self.url = line.strip().split("listening on ")[1]
                self.ready = time.monotonic() - self.started
                break
        else:
            raise RuntimeError(f"{argv[0]} exited: {self.p.wait()}")
        import threading
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


def serve(data_dir, *extra):
    return Proc([str(BIN), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir), *extra])


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


def lua_script(path, operation, bodies, port=None, signed=False, unique_token=False):
    """A wrk script cycling through pre-built requests (pre-signed when `signed`)."""
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
        lines.append("  local body = string.gsub(r.body, 'TOKEN', tostring(tid) .. '-' .. tostring(i))")
        lines.append("  return wrk.format('POST', '/', r.headers, body)")
    else:
        lines.append("  return wrk.format('POST', '/', r.headers, r.body)")
    lines.append("end")
    pathlib.Path(path).write_text("\n".join(lines) + "\n")


def wrk(url, script, conns, seconds):
    threads = 1 if conns == 1 else 2
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{seconds}s", "--latency",
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
    return {"rps": rps, "p50": pct(50), "p99": pct(99), "errors": int(errors.group(1)) if errors else 0,
            "socket": socket_errors.group(0) if socket_errors else ""}


def sample_response(port, operation, body, headers=None):
    h = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET + operation}
    h.update(headers or {})
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=body.encode(), headers=h, method="POST")
    with urllib.request.urlopen(req) as resp:
        return resp.read()


# ---------------------------------------------------------------- scenarios

class Bench:
    def __init__(self, args, work):
        self.args = args
        self.work = pathlib.Path(work)
        self.rows = []
        self.rss = []

    def compare(self, name, server, operation, bodies, conns, signed=False, unique_token=False,
                target_ratio=None):
        """Runs the server and the ceiling alternately; records medians and the ratio."""
        script = self.work / f"{len(self.rows)}.lua"
        lua_script(script, operation, bodies, port=server.port, signed=signed, unique_token=unique_token)
        first = bodies[0].replace("TOKEN", "sample")
        extra = sign(server.port, operation, first, datetime.datetime.now(datetime.timezone.utc)) if signed else {}
        body_file = self.work / f"{len(self.rows)}.body"
        body_file.write_bytes(sample_response(server.port, operation, first, extra))
        ceiling = Proc([str(CEILING), str(body_file)])
        ceiling_script = self.work / f"{len(self.rows)}-ceiling.lua"
        lua_script(ceiling_script, operation, bodies, port=ceiling.port, signed=signed, unique_token=unique_token)
        a, b = [], []
        try:
            # Warm both sides (caches, page cache, connections) before measuring.
            wrk(server.url, script, conns, 1)
            wrk(ceiling.url, ceiling_script, conns, 1)
            for _ in range(self.args.rounds):
                a.append(wrk(server.url, script, conns, self.args.seconds))
                b.append(wrk(ceiling.url, ceiling_script, conns, self.args.seconds))
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

    def note_rss(self, label, proc):
        self.rss.append((label, proc.rss_mb()))


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
    "Project": {"Title": "Data platform migration", "CustomerUseCase": "Migration",
                "CustomerBusinessProblem": "The customer runs out of capacity every quarter end.",
                "DeliveryModels": ["SaaS or PaaS"], "SalesActivities": ["Initialized discussions with customer"],
                "ExpectedCustomerSpend": [{"Amount": "5000", "CurrencyCode": "USD", "Frequency": "Monthly",
                                           "TargetCompany": "AWS"}]},
    "LifeCycle": {"Stage": "Qualified", "NextSteps": "Schedule a discovery call", "TargetCloseDate": "2027-06-30"},
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
    try:
        # 1. The small store: every opportunity approved.
        small_ids = write_seed(pathlib.Path(work) / "small.json", args.small, args.small)
        small_dir = pathlib.Path(work) / "small"
        srv = serve(small_dir, "--seed", str(pathlib.Path(work) / "small.json"))
        bench.note_rss(f"idle, {args.small:,} stored", srv)
        bodies = summary_bodies(small_ids)
        bench.compare(f"GetAwsOpportunitySummary, {args.small:,} stored", srv, "GetAwsOpportunitySummary", bodies, 1)
        small32 = bench.compare(f"GetAwsOpportunitySummary, {args.small:,} stored", srv,
                                "GetAwsOpportunitySummary", bodies, 32, target_ratio=0.7)
        bench.note_rss("after GetAwsOpportunitySummary", srv)
        srv.stop()

        srv = serve(small_dir, "--credentials", str(creds))
        signed_bodies = bodies[: min(len(bodies), 2000)]
        bench.compare("… with SigV4 verification", srv, "GetAwsOpportunitySummary", signed_bodies, 1, signed=True)
        bench.compare("… with SigV4 verification", srv, "GetAwsOpportunitySummary", signed_bodies, 32,
                      signed=True, target_ratio=0.5)
        bench.note_rss("after signed GetAwsOpportunitySummary", srv)
        srv.stop()

        # 2. Durable creates with a full payload.
        create_dir = pathlib.Path(work) / "create"
        srv = serve(create_dir)
        bench.compare("CreateOpportunity (durable, full payload)", srv, "CreateOpportunity", [CREATE_BODY], 16,
                      unique_token=True)
        bench.note_rss("after CreateOpportunity", srv)
        srv.stop()

        # 3. The large store.
        large_dir = pathlib.Path(work) / "large"
        seed = pathlib.Path(work) / "large.json"
        t = time.monotonic()
        large_ids = write_seed(seed, args.large, min(args.large, 10_000))
        generated = time.monotonic() - t
        srv = serve(large_dir, "--seed", str(seed))
        seeded = srv.ready
        seed.unlink()
        bench.rss.append((f"peak while seeding {args.large:,} (one-time import)", srv.peak_mb()))
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
    finally:
        shutil.rmtree(work, ignore_errors=True)

    return report(args, bench, small32, large32, cold, seeded, generated)


def report(args, bench, small32, large32, cold, seeded, generated):
    cpu = next((l.split(":", 1)[1].strip() for l in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    lines = [
        f"Run of {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores ({cpu}), "
        f"wrk {args.seconds}s per run, {args.rounds} alternating rounds (server, ceiling), medians shown.",
        "",
        "| scenario | conns | req/s | p50 ms | p99 ms | ceiling req/s | ceiling p99 ms | ratio | target | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in bench.rows:
        target = f"≥ {r['target']}×" if r["target"] else ""
        lines.append(f"| {r['scenario']} | {r['conns']} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
                     f"{r['ceiling']:,.0f} | {r['ceiling_p99']:.2f} | {r['ratio']:.2f} | {target} | {r['errors']} |")
    # Compared through their ratios to the ceiling measured alongside, so that the machine's
    # drift between the two scenarios (minutes apart) does not count as the store's size.
    flat = large32["ratio"] / small32["ratio"]
    raw_flat = large32["rps"] / small32["rps"]
    by_name = {(r["scenario"], r["conns"]): r for r in bench.rows}
    signed32 = by_name.get(("… with SigV4 verification", 32), {})
    create = next((r for r in bench.rows if r["scenario"].startswith("CreateOpportunity")), {})
    listing = next((r for r in bench.rows if r["scenario"].startswith("ListOpportunities")), {})
    steady_rss = max(mb for label, mb in bench.rss if not label.startswith("peak"))
    worst_p99 = max(r["p99"] for r in (small32, large32))
    ceiling_p99 = max(r["ceiling_p99"] for r in (small32, large32))
    checks = [
        ("GetAwsOpportunitySummary ≥ 0.7× the ceiling at 32 conns", f"{small32['ratio']:.2f}×",
         small32["ratio"] >= 0.7),
        ("… with SigV4 verification ≥ 0.5×", f"{signed32.get('ratio', 0):.2f}×", signed32.get("ratio", 0) >= 0.5),
        ("p99 ≤ 1 ms at 32 conns", f"{worst_p99:.2f} ms (ceiling's own p99: {ceiling_p99:.2f} ms)",
         worst_p99 <= 1.0),
        (f"{args.large:,} stored within 10 % of {args.small:,}", f"{flat:.2f}×", flat >= 0.9),
        ("CreateOpportunity ≥ 5,000/s durable", f"{create.get('rps', 0):,.0f}/s", create.get("rps", 0) >= 5000),
        (f"ListOpportunities page of 100 p99 ≤ 10 ms at {args.large:,}", f"{listing.get('p99', 0):.2f} ms",
         listing.get("p99", 99) <= 10),
        (f"cold start < 100 ms at {args.large:,}", f"{cold * 1000:.0f} ms", cold < 0.1),
        (f"RSS < 64 MB (idle and after every scenario)", f"{steady_rss:.1f} MB", steady_rss < 64),
    ]
    lines += [
        "",
        f"- Throughput at {args.large:,} stored vs {args.small:,} stored (32 conns): {flat:.2f}× as ratios to "
        f"the ceiling ({raw_flat:.2f}× in raw req/s; target ≥ 0.90×).",
        f"- Cold start to the ready line with {args.large:,} stored: {cold * 1000:.0f} ms (target < 100 ms).",
        f"- Seeding {args.large:,} opportunities through `--seed`: {seeded:.1f} s to ready "
        f"(document generated in {generated:.1f} s).",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *[f"| {name} | {value} | {'yes' if ok else '**no**'} |" for name, value, ok in checks],
        "",
        "| RSS | MB |",
        "|---|---|",
    ]
    lines += [f"| {label} | {mb:.1f} |" for label, mb in bench.rss]
    text = "\n".join(lines) + "\n"
    print(text)
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="seconds-long run with small data, no thresholds")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--large", type=int, default=1_000_000)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--out", help="also write the table into this Markdown file")
    args = ap.parse_args()
    if args.smoke:
        args.seconds, args.rounds, args.small, args.large = 1, 1, 200, 2000
    text = run(args)
    if args.out:
        pathlib.Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
