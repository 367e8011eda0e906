"""Several servers on one PostgreSQL database behave as one service (issue 17).

Run only on PostgreSQL (`PCL_TEST_DATABASE_URL`, see conftest.py): what the database enforces
(one writer at a time, constraints, ids from a sequence, bulk jobs' claims), with real boto3
clients against real server processes: creation and reads across replicas, update and
ClientToken races split across them, one invitation accepted from both, a replica killed with
SIGKILL under load, bulk jobs worked by two runners and taken over from a dead one. What each
server keeps beside the database (events, faults, quotas, clock, no stale cache) is in
test_replicas_shared.py.
"""
import concurrent.futures
import copy
import csv
import io
import signal
import subprocess
import threading
import time
import uuid

import pytest

from conftest import DATABASE_URL, Server, _database, opportunity_input, update_input
from test_control_plane import admin
from test_races import N, run_together

pytestmark = pytest.mark.skipif(not DATABASE_URL, reason="needs PCL_TEST_DATABASE_URL")


@pytest.fixture
def replicas():
    url = _database(f"replicas-{uuid.uuid4()}")
    first = Server("--database-url", url).start()
    second = Server("--database-url", url).start()
    yield first, second
    first.stop()
    second.stop()


def test_created_on_one_replica_is_read_on_the_other(replicas, fresh_account):
    a, b = replicas
    oid = a.client(account=fresh_account).create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
    got = b.client(account=fresh_account).get_opportunity(Catalog="AWS", Identifier=oid)
    assert got["Id"] == oid
    newer = b.client(account=fresh_account).create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
    assert int(newer[1:]) > int(oid[1:])


def test_an_update_race_across_replicas_has_exactly_one_winner(replicas, fresh_account):
    a, b = replicas
    c = a.client(account=fresh_account)
    oid = c.create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
    base = update_input(c.get_opportunity(Catalog="AWS", Identifier=oid))
    clients = [(a if i % 2 else b).client(account=fresh_account) for i in range(N)]

    def writer(i):
        body = copy.deepcopy(base)
        body["PartnerOpportunityIdentifier"] = f"writer-{i}"
        return lambda: clients[i].update_opportunity(**body)

    codes = [r[0] for r in run_together([writer(i) for i in range(N)])]
    assert codes.count("ok") == 1 and codes.count("ConflictException") == N - 1, codes


def test_one_client_token_sent_to_both_replicas_creates_one_record(replicas, fresh_account):
    a, b = replicas
    body = opportunity_input()
    clients = [(a if i % 2 else b).client(account=fresh_account) for i in range(N)]
    results = run_together(
        [lambda c=c: c.create_opportunity(Catalog="AWS", ClientToken="race", **body) for c in clients]
    )
    assert all(r[0] == "ok" for r in results), results
    assert len({r[1]["Id"] for r in results}) == 1
    assert len(a.client(account=fresh_account).list_opportunities(Catalog="AWS")["OpportunitySummaries"]) == 1


def test_replicas_starting_together_on_a_new_database_both_serve(fresh_account):
    url = _database(f"together-{uuid.uuid4()}")
    servers = [Server("--database-url", url) for _ in range(3)]
    started = run_together([s.start for s in servers])
    try:
        assert all(r[0] == "ok" for r in started), started
        ids = {s.client(account=fresh_account).create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
               for s in servers}
        assert len(ids) == 3
    finally:
        for s in servers:
            s.stop()


def test_a_replica_killed_under_load_loses_no_acknowledged_write(replicas, fresh_account):
    """Writers create and update opportunities through both replicas; one replica is killed
    (SIGKILL) in the middle. Every write that was answered 200 is there afterwards, read through
    the survivor, and the survivor answered every request, before, during and after the kill."""
    a, b = replicas
    per_replica, seconds, kill_after = 3, 4.0, 1.5
    started = time.monotonic()
    killed_at = []

    fronts = [a] * per_replica + [b] * per_replica
    # One client per worker, made here (boto3 makes clients one thread at a time); no retries:
    # an answer is the only acknowledgement.
    clients = [s.client(account=fresh_account, connect_timeout=5, read_timeout=20) for s in fronts]

    def worker(i):
        server, c = fronts[i], clients[i]
        log = {"created": {}, "updated": {}, "errors": [], "ok_after_kill": 0}
        mine = None  # (id, LastModifiedDate) of the opportunity this worker updates
        n = 0
        while time.monotonic() - started < seconds:
            n += 1
            try:
                if mine is None or n % 2:
                    title = f"w{i}-{n}"
                    oid = c.create_opportunity(
                        Catalog="AWS", ClientToken=f"{fresh_account}-{i}-{n}",
                        **opportunity_input(Project={**opportunity_input()["Project"], "Title": title}))["Id"]
                    log["created"][oid] = title
                    if mine is None:
                        mine = (oid, c.get_opportunity(Catalog="AWS", Identifier=oid)["LastModifiedDate"])
                else:
                    body = update_input(c.get_opportunity(Catalog="AWS", Identifier=mine[0]))
                    body["LastModifiedDate"] = mine[1]
                    body["PartnerOpportunityIdentifier"] = f"step-{n}"
                    out = c.update_opportunity(**body)
                    mine = (mine[0], out["LastModifiedDate"])
                    log["updated"][mine[0]] = n
                if killed_at and time.monotonic() > killed_at[0]:
                    log["ok_after_kill"] += 1
            except Exception as e:  # noqa: BLE001 - what failed, and when, is what is checked
                log["errors"].append((time.monotonic() - started, repr(e)))
                if server is a and killed_at:
                    return log  # its server is gone: the worker stops
                time.sleep(0.05)
        return log

    def killer():
        time.sleep(kill_after)
        killed_at.append(time.monotonic())
        a.stop(signal.SIGKILL)
        return None

    results = run_together([lambda i=i: worker(i) for i in range(len(fronts))] + [killer])
    assert all(r[0] == "ok" for r in results), [r[0] for r in results]
    logs = [r[1] for r in results[:-1]]
    assert a.proc.returncode == -signal.SIGKILL

    survivors = logs[per_replica:]
    # The survivor never failed a request, and kept answering after the kill.
    assert [s["errors"] for s in survivors] == [[] for _ in survivors]
    assert all(s["ok_after_kill"] > 0 for s in survivors), [s["ok_after_kill"] for s in survivors]
    # The killed replica did answer some writes before it died: they are what must survive.
    assert all(log["created"] for log in logs[:per_replica])

    reader = b.client(account=fresh_account)
    for log in logs:
        for oid, title in log["created"].items():
            got = reader.get_opportunity(Catalog="AWS", Identifier=oid)
            assert got["Project"]["Title"] == title, oid
        for oid, step in log["updated"].items():
            stored = reader.get_opportunity(Catalog="AWS", Identifier=oid)["PartnerOpportunityIdentifier"]
            # The last acknowledged update, or one sent after it that committed unanswered.
            assert int(stored.split("-")[1]) >= step, (oid, stored, step)
    # Acknowledged creations are all listed once; an unanswered one may have committed too.
    listed = set()
    token = None
    while True:
        page = reader.list_opportunities(Catalog="AWS", MaxResults=100, **({"NextToken": token} if token else {}))
        listed |= {s["Id"] for s in page["OpportunitySummaries"]}
        token = page.get("NextToken")
        if not token:
            break
    acknowledged = {oid for log in logs for oid in log["created"]}
    assert acknowledged <= listed


# ------------------------------------------------------------- one invitation accepted from both

def refer(server, account):
    """AWS (the control plane) refers an opportunity to `account`: its invitation and reserved id."""
    status, _, sent = admin(server, "POST", f"/accounts/{account}/catalogs/AWS/invitations",
                            {"Opportunity": opportunity_input(), "EngagementTitle": "Raced referral"})
    assert status == 200, sent
    return sent["InvitationId"], sent["OpportunityId"]


def opportunities_and_tasks(server, account):
    c = server.client(account=account)
    return ([o["Id"] for o in c.list_opportunities(Catalog="AWS")["OpportunitySummaries"]],
            [t["TaskId"] for t in c.list_engagement_by_accepting_invitation_tasks(Catalog="AWS")["TaskSummaries"]])


def test_one_invitation_accepted_from_both_replicas_makes_one_opportunity(replicas, fresh_account):
    """StartEngagementByAcceptingInvitationTask for one referral through both replicas at once,
    each call with its own ClientToken: one task, which every call answers, and one opportunity."""
    a, b = replicas
    iid, oid = refer(a, fresh_account)
    clients = [(a if i % 2 else b).client(account=fresh_account) for i in range(N)]
    results = run_together([
        lambda i=i: clients[i].start_engagement_by_accepting_invitation_task(
            Catalog="AWS", Identifier=iid, ClientToken=f"accept-{i}")
        for i in range(N)])
    assert [r[0] for r in results] == ["ok"] * N, results
    assert len({r[1]["TaskId"] for r in results}) == 1
    assert {r[1]["OpportunityId"] for r in results} == {oid}
    for server in (a, b):
        assert server.client(account=fresh_account).get_engagement_invitation(
            Catalog="AWS", Identifier=iid)["Status"] == "ACCEPTED"
        assert opportunities_and_tasks(server, fresh_account) == ([oid], [results[0][1]["TaskId"]])


def test_accepting_one_invitation_both_ways_on_both_replicas_has_one_winner(replicas, fresh_account):
    """AcceptEngagementInvitation and StartEngagementByAcceptingInvitationTask racing for one
    referral through both replicas: one of the two ways wins, the other's calls conflict. A won
    task made the opportunity; a won AcceptEngagementInvitation accepted without one (as AWS's,
    which leaves the opportunity to the task)."""
    a, b = replicas
    iid, oid = refer(a, fresh_account)
    clients = [(a if i % 2 else b).client(account=fresh_account) for i in range(N)]

    def call(i):
        c = clients[i]
        if i % 4 < 2:
            return lambda: ("task", c.start_engagement_by_accepting_invitation_task(
                Catalog="AWS", Identifier=iid, ClientToken=f"accept-{i}"))
        return lambda: ("accept", c.accept_engagement_invitation(Catalog="AWS", Identifier=iid))

    results = run_together([call(i) for i in range(N)])
    codes = [r[0] for r in results]
    assert set(codes) <= {"ok", "ConflictException"}, codes
    won = [r[1] for r in results if r[0] == "ok"]
    tasks_ok = [out for kind, out in won if kind == "task"]
    accepts_ok = [out for kind, out in won if kind == "accept"]
    if accepts_ok:
        assert (len(accepts_ok), tasks_ok) == (1, []), codes
        expected = ([], [])
    else:
        assert len(tasks_ok) == N // 2 and len({t["TaskId"] for t in tasks_ok}) == 1, codes
        assert tasks_ok[0]["OpportunityId"] == oid
        expected = ([oid], [tasks_ok[0]["TaskId"]])
    for server in (a, b):
        assert server.client(account=fresh_account).get_engagement_invitation(
            Catalog="AWS", Identifier=iid)["Status"] == "ACCEPTED"
        assert opportunities_and_tasks(server, fresh_account) == expected


# --------------------------------------------------------------------- bulk jobs on two replicas

CA_HEADER = ["RequestId", "PartnerAccountIdentifier", "Account.CompanyName", "Account.WebsiteUrl",
             "Account.Industry", "Account.Address.CountryCode"]


@pytest.fixture
def replicas_sharing_files(tmp_path):
    """Two replicas on one database and one data directory (bulk jobs' files: README)."""
    url = _database(f"bulk-replicas-{uuid.uuid4()}")
    servers = [Server("--data-dir", str(tmp_path), "--database-url", url,
                      "--bulk-record-delay-ms", "5").start() for _ in range(2)]
    yield servers, url
    for s in servers:
        s.stop()


def runners_holding_jobs(url, stop):
    """Each bulk job's runners seen holding it (the database's leases) until `stop` is set."""
    seen = {}
    while not stop.is_set():
        out = subprocess.run(["psql", url, "-At", "-F", " ", "-c", "SELECT id, runner FROM bulk_job_leases"],
                             capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            job, runner = line.split()
            seen.setdefault(job, set()).add(runner)
        time.sleep(0.02)
    return seen


def test_bulk_jobs_on_two_replicas_apply_each_record_once(replicas_sharing_files, fresh_account):
    """Jobs started through both replicas, each runner free to take any of them: both runners
    work, each job is held by one runner throughout, every job completes, and every record was
    applied once (customer accounts have no ClientToken, so a record applied twice would be a
    second account)."""
    (a, b), url = replicas_sharing_files
    jobs, per_job = 4, 100
    stop = threading.Event()
    watcher = concurrent.futures.ThreadPoolExecutor(1)
    runners = watcher.submit(runners_holding_jobs, url, stop)
    started = []
    for j in range(jobs):
        front = (a, b)[j % 2]
        rows = [CA_HEADER] + [[f"j{j}-r{r}", f"P-{j}-{r}", f"Company {j}-{r}", f"https://c{j}-{r}.example.com",
                               "Software and Internet", "US"] for r in range(per_job)]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        key = f"replicas/{fresh_account}/{j}.csv"
        status, _, body = admin(front, "PUT", f"/files/{key}", buf.getvalue().encode())
        assert status == 200, body
        # Uploaded through one replica, started through the other: they share the files.
        other = (b, a)[j % 2]
        out = other.client(account=fresh_account).start_customer_account_bulk_job(
            Catalog="Sandbox", ClientToken=f"job-{j}", FileUri=f"s3://bucket/{key}")
        started.append(out["Id"])

    c = a.client(account=fresh_account)
    deadline = time.time() + 120
    for jid in started:
        while (got := c.get_customer_account_bulk_job(Catalog="Sandbox", Identifier=jid))["Status"] \
                not in ("COMPLETED", "FAILED"):
            assert time.time() < deadline, got
            time.sleep(0.1)
        assert (got["Status"], got["TotalRecords"], got["ProcessedRecords"], got["SuccessCount"],
                got["FailureCount"]) == ("COMPLETED", per_job, per_job, per_job, 0), got
        results = c.list_customer_account_bulk_job_results(Catalog="Sandbox", Identifier=jid,
                                                           MaxResults=100)["Results"]
        assert len(results) == per_job
        assert sorted(r["RequestId"] for r in results) == sorted(f"j{started.index(jid)}-r{r}"
                                                                  for r in range(per_job))
    stop.set()
    held = runners.result(timeout=10)
    watcher.shutdown()
    # Each job was worked by one runner from start to end (no server died: no hand-over), and
    # both servers' runners worked.
    assert all(len(r) == 1 for r in held.values()), held
    assert len(set.union(*held.values())) == 2, held
    accounts, token = [], None
    while True:
        page = b.client(account=fresh_account).search_customer_accounts(
            Catalog="Sandbox", MaxResults=100, **({"NextToken": token} if token else {}))
        accounts += page["CustomerAccountSummaries"]
        token = page.get("NextToken")
        if not token:
            break
    names = sorted(x["PartnerAccountIdentifier"] for x in accounts)
    assert names == sorted(f"P-{j}-{r}" for j in range(jobs) for r in range(per_job))


def test_a_bulk_job_whose_replica_died_is_finished_by_the_other(replicas_sharing_files, fresh_account):
    """The replica working a job is killed (SIGKILL) in the middle of it: once its claim ran out
    (10 s) the other replica takes the job over from its last committed batch, and each record
    is applied once."""
    (a, b), url = replicas_sharing_files
    total = 400
    rows = [CA_HEADER] + [[f"r{r}", f"P-{r}", f"Company {r}", f"https://c{r}.example.com",
                           "Software and Internet", "US"] for r in range(total)]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    key = f"takeover/{fresh_account}.csv"
    assert admin(a, "PUT", f"/files/{key}", buf.getvalue().encode())[0] == 200
    jid = a.client(account=fresh_account).start_customer_account_bulk_job(
        Catalog="Sandbox", ClientToken="takeover", FileUri=f"s3://bucket/{key}")["Id"]

    deadline = time.time() + 30
    while True:
        holder = subprocess.run(["psql", url, "-Atc", f"SELECT runner FROM bulk_job_leases WHERE id = '{jid}'"],
                                capture_output=True, text=True, check=True).stdout.strip()
        seen = b.client(account=fresh_account).get_customer_account_bulk_job(Catalog="Sandbox", Identifier=jid)
        if holder and seen["ProcessedRecords"] >= 5:
            break
        assert time.time() < deadline, (holder, seen)
        time.sleep(0.02)
    # The runner's name starts with its server's process id.
    [dying] = [s for s in (a, b) if holder.startswith(f"{s.proc.pid}-")]
    survivor = b if dying is a else a
    dying.stop(signal.SIGKILL)
    at_kill = survivor.client(account=fresh_account).get_customer_account_bulk_job(
        Catalog="Sandbox", Identifier=jid)
    assert at_kill["Status"] == "IN_PROGRESS" and at_kill["ProcessedRecords"] < total, at_kill

    c = survivor.client(account=fresh_account)
    deadline = time.time() + 90
    while (got := c.get_customer_account_bulk_job(Catalog="Sandbox", Identifier=jid))["Status"] != "COMPLETED":
        assert got["Status"] == "IN_PROGRESS" and time.time() < deadline, got
        time.sleep(0.1)
    assert (got["ProcessedRecords"], got["SuccessCount"], got["FailureCount"]) == (total, total, 0), got
    accounts, token = [], None
    while True:
        page = c.search_customer_accounts(Catalog="Sandbox", MaxResults=100,
                                          **({"NextToken": token} if token else {}))
        accounts += [x["PartnerAccountIdentifier"] for x in page["CustomerAccountSummaries"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(accounts) == sorted(f"P-{r}" for r in range(total))
