"""Fixtures: the real partnercentral-local binary on a free port, and real clients.

Every success response a boto3 client of these fixtures receives is checked against the
output shape of the botocore model the server bundles (see ``shapecheck.py``).
"""
import copy
import datetime
import http.client
import json
import os
import pathlib
import subprocess
import tempfile
import uuid

import boto3
import pytest
from botocore.config import Config

from shapecheck import assert_conforms

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get(
    "PARTNERCENTRAL_LOCAL_BIN", str(ROOT / "target" / "debug" / "partnercentral-local")
)
# `PCL_TEST_DATABASE_URL=postgres://user@host:port/db` runs every server this suite starts on
# PostgreSQL: each gets a database of its own (`--database-url`), fresh for `--in-memory`
# servers, one per data directory otherwise (so that a restart on the same directory finds
# its state again). The URL names a database to connect to for creating them.
DATABASE_URL = os.environ.get("PCL_TEST_DATABASE_URL")
_DATABASES = {}
# Every database this session created, dropped when it ends.
_CREATED = []
# Tests of what only the SQLite backend has (its file, its lock, its schema history).
sqlite_only = pytest.mark.skipif(
    bool(DATABASE_URL), reason="SQLite's data directory; not the PostgreSQL backend's"
)
SERVICE = "partnercentral-selling"
ACCOUNT = "111111111111"
OTHER_ACCOUNT = "222222222222"


class Server:
    """One running server process."""

    def __init__(self, *args, env=None):
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.url = None
        self.port = None
        self.log = tempfile.NamedTemporaryFile(prefix="pcl-", suffix=".log", delete=False)

    def start(self):
        args = list(self.args)
        if DATABASE_URL and "--database-url" not in args:
            args = _on_postgres(args, self.env)
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", "127.0.0.1:0", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=self.env,
            text=True,
        )
        for line in self.proc.stderr:
            self.log.write(line.encode())
            if "listening on http://" in line:
                self.url = line.strip().split("listening on ")[1]
                self.port = int(self.url.rsplit(":", 1)[1])
                break
        else:
            raise RuntimeError(f"server exited early: {self.proc.wait()}")
        # Keep draining stderr so the server never blocks on a full pipe.
        import threading

        threading.Thread(target=self._drain, daemon=True).start()
        return self

    def _drain(self):
        for line in self.proc.stderr:
            self.log.write(line.encode())
            self.log.flush()

    def stop(self, sig=None):
        if self.proc and self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            return self.proc.wait(timeout=10)
        return self.proc.returncode if self.proc else None

    def logs(self):
        self.log.flush()
        return pathlib.Path(self.log.name).read_text()

    def client(self, account=ACCOUNT, secret="any-secret", token=None, check_shapes=True, **config):
        config.setdefault("retries", {"total_max_attempts": 1})
        cfg = Config(**config)
        c = boto3.client(
            SERVICE,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=account,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=cfg,
        )
        if check_shapes:
            c.meta.events.register(f"before-parse.{SERVICE}.*", _check_response)
        return c

    def raw(self, body=b"", headers=None, method="POST", path="/"):
        """Sends one HTTP request; returns (status, headers, parsed JSON body or bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, parsed

    def call(self, operation, body, headers=None):
        h = {
            "X-Amz-Target": f"AWSPartnerCentralSelling.{operation}",
            "Content-Type": "application/x-amz-json-1.0",
        }
        h.update(headers or {})
        return self.raw(body, h)


def _database(key):
    """The URL of a database of its own for `key` (none: a fresh one), created on first use."""
    import hashlib
    import urllib.parse

    if key is not None and key in _DATABASES:
        return _DATABASES[key]
    name = "pcl_" + (
        hashlib.sha1(key.encode()).hexdigest()[:16] if key is not None else uuid.uuid4().hex[:16]
    )
    subprocess.run(
        ["psql", DATABASE_URL, "-q", "-v", "ON_ERROR_STOP=1",
         "-c", f"DROP DATABASE IF EXISTS {name}", "-c", f"CREATE DATABASE {name}"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    _CREATED.append(name)
    parts = urllib.parse.urlsplit(DATABASE_URL)
    url = urllib.parse.urlunsplit(parts._replace(path="/" + name))
    if key is not None:
        _DATABASES[key] = url
    return url


def _on_postgres(args, env):
    """`args` with the storage flags replaced by a database (see `DATABASE_URL`)."""
    out = []
    data_dir = env.get("PARTNERCENTRAL_LOCAL_DATA_DIR")
    in_memory = env.get("PARTNERCENTRAL_LOCAL_IN_MEMORY", "").lower() in ("1", "true", "yes")
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--in-memory":
            # Kept: bulk jobs' files then go to a temporary directory of the server's own.
            in_memory = True
            out.append(a)
        elif a == "--data-dir" and i + 1 < len(args):
            data_dir = args[i + 1]
            out += args[i : i + 2]
            i += 1
        elif a.startswith("--data-dir="):
            data_dir = a.split("=", 1)[1]
            out.append(a)
        else:
            out.append(a)
        i += 1
    if in_memory:
        key = None
    else:
        key = os.path.abspath(data_dir or ".partnercentral-local")
    return [*out, "--database-url", _database(key)]


def _check_response(operation_model, response_dict, **_):
    if response_dict.get("status_code") == 200:
        body = response_dict.get("body") or b"{}"
        assert_conforms(operation_model.name, json.loads(body))


@pytest.fixture(scope="session")
def server():
    s = Server("--in-memory").start()
    yield s
    assert s.stop() == 0


@pytest.fixture
def client(server):
    return server.client()


@pytest.fixture
def fresh_account():
    """A 12-digit account no other test uses."""
    return str(uuid.uuid4().int)[:12].rjust(12, "1")


# AWS refuses a target close date that is not in the future: a year from today.
TARGET_CLOSE_DATE = (datetime.date.today() + datetime.timedelta(days=365)).isoformat()


def opportunity_input(**overrides):
    """A CreateOpportunity body AWS accepts, and can submit as Co-Sell (business rules)."""
    body = {
        "Customer": {
            "Account": {
                "CompanyName": "Acme Corp",
                "Industry": "Software and Internet",
                "WebsiteUrl": "https://acme.example.com",
                "Address": {"CountryCode": "US", "PostalCode": "98101", "City": "Seattle",
                            "StateOrRegion": "Washington"},
            },
            "Contacts": [
                {"Email": "ann@acme.example.com", "FirstName": "Ann", "LastName": "Lee",
                 "BusinessTitle": "CTO", "Phone": "+12065550100"}
            ],
        },
        "Project": {
            "Title": "Data platform migration",
            "CustomerBusinessProblem": "The customer runs out of capacity every quarter end.",
            "CustomerUseCase": "Migration / Database Migration",
            "DeliveryModels": ["SaaS or PaaS"],
            "SalesActivities": ["Initialized discussions with customer"],
            "OtherSolutionDescription": "Managed data platform built on AWS",
            "ExpectedCustomerSpend": [
                {"Amount": "5000", "CurrencyCode": "USD", "Frequency": "Monthly", "TargetCompany": "AWS"}
            ],
        },
        "LifeCycle": {"Stage": "Prospect", "NextSteps": "Schedule a discovery call",
                      "TargetCloseDate": TARGET_CLOSE_DATE},
        "OpportunityType": "Net New Business",
        "PrimaryNeedsFromAws": ["Co-Sell - Technical Consultation"],
    }
    body.update(overrides)
    return body


def update_input(opportunity):
    """What AWS documents: GetOpportunity, Id → Identifier, read-only members removed."""
    body = {k: copy.deepcopy(v) for k, v in opportunity.items()
            if k not in ("ResponseMetadata", "Id", "Arn", "CreatedDate", "OpportunityTeam",
                         "RelatedEntityIdentifiers")}
    body["Identifier"] = opportunity["Id"]
    return body


def create_submitted(c, catalog="Sandbox", **overrides):
    oid = c.create_opportunity(Catalog=catalog, **opportunity_input(**overrides))["Id"]
    task = c.start_engagement_from_opportunity_task(
        Catalog=catalog, Identifier=oid, AwsSubmission={"InvolvementType": "Co-Sell", "Visibility": "Full"}
    )
    assert task["TaskStatus"] == "COMPLETE"
    return oid


def approve(c, oid, catalog="Sandbox", status="Approved", **review):
    opp = c.get_opportunity(Catalog=catalog, Identifier=oid)
    body = update_input(opp)
    body["LifeCycle"]["ReviewStatus"] = status
    body["LifeCycle"].update(review)
    return c.update_opportunity(**body)


def pytest_sessionfinish(session, exitstatus):
    """Drops the databases the session created (servers still connected are cut off)."""
    if not DATABASE_URL or not _CREATED:
        return
    drops = []
    for name in _CREATED:
        drops += ["-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"]
    subprocess.run(["psql", DATABASE_URL, "-q", *drops],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
