#!/usr/bin/env python3
"""Soak: mixed traffic against one server for a while, with memory and file handles sampled.

    python3 tests/soak.py --seconds 300      # the documented long run (RELIABILITY.md)
    python3 tests/soak.py --seconds 15       # what CI runs

Traffic from 4 threads over real sockets: creates, full updates, gets, lists, summaries, AWS
approvals and AWS-side patches through the control plane, and a share of invalid requests. A 4xx
answer is an expected error; a 5xx, a dropped connection or any other exception is a failure.
Fails on any failure, or if RSS keeps growing past the first samples or file handles leak."""
import argparse
import json
import os
import pathlib
import random
import sys
import tempfile
import threading
import time

from botocore.exceptions import ClientError

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "python"))

from conftest import Server, approve, create_submitted, opportunity_input, update_input  # noqa: E402


def rss_mb(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=300)
    soak(ap.parse_args().seconds)


def soak(seconds):
    args = argparse.Namespace(seconds=seconds)
    data = tempfile.mkdtemp(prefix="pcl-soak-")
    server = Server("--data-dir", data, env={"RUST_LOG": "warn"}).start()
    pid = server.proc.pid
    stop = threading.Event()
    counts = {"ok": 0, "client_error": 0, "failure": 0}
    errors = {}
    failures = {}  # kind → (count, first message)
    lock = threading.Lock()

    def record(outcome, code, detail=""):
        with lock:
            counts[outcome] += 1
            if outcome == "client_error":
                errors[code] = errors.get(code, 0) + 1
            elif outcome == "failure":
                n, first = failures.get(code, (0, detail))
                failures[code] = (n + 1, first)

    def traffic(n):
        rng = random.Random(n)
        c = server.client(account=f"{100000000000 + n}", check_shapes=False)
        mine = []
        while not stop.is_set():
            try:
                r = rng.random()
                if r < 0.15 or not mine:
                    mine.append(c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"])
                elif r < 0.25:
                    mine.append(create_submitted(c))
                    approve(c, mine[-1])
                elif r < 0.4:
                    oid = rng.choice(mine)
                    body = update_input(c.get_opportunity(Catalog="Sandbox", Identifier=oid))
                    body["LifeCycle"]["NextSteps"] = f"step {rng.random()}"
                    c.update_opportunity(**body)
                elif r < 0.65:
                    c.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=rng.choice(mine))
                elif r < 0.8:
                    c.list_opportunities(Catalog="Sandbox", MaxResults=50)
                elif r < 0.9:
                    status, _, body = server.raw(
                        json.dumps({"LifeCycle": {"Stage": "Qualified"}}).encode(), {}, method="PATCH",
                        path=f"/_admin/accounts/{100000000000 + n}/catalogs/Sandbox/aws-opportunities/"
                             f"{rng.choice(mine)}")
                    if status != 200:
                        record("client_error" if 400 <= status < 500 else "failure",
                               f"admin PATCH {status}", str(body)[:300])
                        continue
                else:
                    c.get_opportunity(Catalog="Sandbox", Identifier="not-an-id")
                record("ok", None)
            except ClientError as e:  # 4xx are expected (not found, invalid, locked); 5xx are not
                status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                code = e.response.get("Error", {}).get("Code", "?")
                record("client_error" if 400 <= status < 500 else "failure", f"{code} ({status})", str(e))
            except Exception as e:  # noqa: BLE001 - dropped connections, timeouts, broken answers
                record("failure", type(e).__name__, repr(e))

    threads = [threading.Thread(target=traffic, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    samples = []
    start = time.monotonic()
    interval = max(1, args.seconds // 12)
    while time.monotonic() - start < args.seconds:
        time.sleep(interval)
        samples.append((round(time.monotonic() - start), rss_mb(pid), fds(pid)))
        print(f"t={samples[-1][0]:>4}s rss={samples[-1][1]:.1f} MB fds={samples[-1][2]} "
              f"requests={sum(counts.values())} failures={counts['failure']}", flush=True)
    stop.set()
    for t in threads:
        t.join()
    alive = server.call("ListSolutions", {"Catalog": "AWS"})[0] == 200
    assert server.stop() == 0
    total = sum(counts.values())
    early_rss = max(s[1] for s in samples[: max(1, len(samples) // 3)])
    late_rss = max(s[1] for s in samples[-max(1, len(samples) // 3):])
    fd_growth = samples[-1][2] - samples[0][2]
    print(f"soak: {args.seconds}s, {total} requests ({counts['client_error']} expected errors), "
          f"RSS {samples[0][1]:.1f} → {samples[-1][1]:.1f} MB (early max {early_rss:.1f}, late max {late_rss:.1f}), "
          f"fds {samples[0][2]} → {samples[-1][2]}; errors by code: {errors}; failures: {failures}")
    assert alive, "the server stopped answering"
    assert counts["failure"] == 0, f"{counts['failure']} requests failed (5xx or no answer): {failures}"
    assert counts["ok"] > 0, "no request succeeded"
    assert late_rss <= early_rss * 1.5 + 16, "memory keeps growing"
    assert fd_growth <= 8, "file handles leak"


if __name__ == "__main__":
    main()
