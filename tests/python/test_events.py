"""EventBridge events: emitted in the real envelope by every operation and AWS-side action,
listed by the control plane and delivered to a webhook without ever blocking the API."""
import http.server
import json
import socket
import threading
import time

import pytest

from conftest import Server, approve, create_submitted, opportunity_input
from test_control_plane import admin


def events_of(server, account, opportunity=None):
    out = []
    for e in admin(server, "GET", "/events")[2]["events"]:
        if e["account"] != account:
            continue
        d = e["detail"]
        ids = {d.get("opportunity", {}).get("identifier"),
               d.get("resourceSnapshot", {}).get("resourceId")}
        if opportunity is None or opportunity in ids or "engagementInvitation" in d or "engagement" in d:
            out.append(e)
    return out


def test_lifecycle_emits_the_documented_events(server, fresh_account):
    c = server.client(account=fresh_account)
    oid = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
    created = events_of(server, fresh_account)
    assert [e["detail-type"] for e in created] == ["Opportunity Created"]
    e = created[0]
    assert e["source"] == "aws.partnercentral-selling" and e["version"] == "0"
    assert e["region"] == "us-east-1" and e["resources"] == []
    assert e["detail"] == {"schemaVersion": "1", "catalog": "Sandbox", "opportunity": {"identifier": oid}}
    assert e["time"].endswith("Z") and len(e["id"]) == 36

    c.start_engagement_from_opportunity_task(Catalog="Sandbox", Identifier=oid,
                                             AwsSubmission={"InvolvementType": "Co-Sell"})
    approve(c, oid)
    types = [e["detail-type"] for e in events_of(server, fresh_account)]
    # The documented events of each action (facts §6); the snapshots come last in each action,
    # as its snapshot job takes them once the action's own changes are made: the submission's
    # job takes revision 1 of OpportunitySummaryView, the approval revision 2 and AWS's own
    # AwsOpportunitySummaryFullView revision 1.
    assert types == [
        "Opportunity Created",
        "Opportunity Updated", "Engagement Created", "Engagement Member Added",
        "Engagement Invitation Created", "Engagement Resource Snapshot Created",
        "Engagement Invitation Accepted", "Engagement Member Added", "Opportunity Updated",
        "Engagement Resource Snapshot Created", "Engagement Resource Snapshot Created",
    ]
    snapshots = [e["detail"]["resourceSnapshot"] for e in events_of(server, fresh_account)
                 if e["detail-type"] == "Engagement Resource Snapshot Created"]
    assert [(s["resourceSnapshotTemplateName"], s["arn"].rsplit("/", 1)[1], s["createdBy"]) for s in snapshots] == [
        ("OpportunitySummaryView", "1", fresh_account), ("OpportunitySummaryView", "2", fresh_account),
        ("AwsOpportunitySummaryFullView", "1", "aws")]
    invitation = [e for e in events_of(server, fresh_account)
                  if e["detail-type"] == "Engagement Invitation Created"][0]
    assert invitation["resources"][0].endswith(invitation["detail"]["engagementInvitation"]["id"])
    detail = invitation["detail"]["engagementInvitation"]
    # The invitation to AWS: sent by the partner, to AWS, never expiring.
    assert detail["senderAccountId"] == fresh_account and detail["receiverAccountId"] == "aws"
    assert detail["participantType"] == "SENDER" and detail["senderCompanyName"]
    assert "expirationDate" not in detail


def test_idempotent_replays_and_failed_calls_emit_nothing(server, fresh_account):
    c = server.client(account=fresh_account)
    body = opportunity_input()
    c.create_opportunity(Catalog="AWS", ClientToken="same", **body)
    c.create_opportunity(Catalog="AWS", ClientToken="same", **body)
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.assign_opportunity(Catalog="AWS", Identifier="O1", Assignee={
            "Email": "a@b.example.com", "FirstName": "A", "LastName": "B", "BusinessTitle": "OpportunityOwner"})
    assert [e["detail-type"] for e in events_of(server, fresh_account)] == ["Opportunity Created"]


class Receiver:
    """A webhook receiver on a free port; fails the first `fail` requests with 500."""

    def __init__(self, fail=0):
        self.events = []
        self.fail = fail
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.fail > 0:
                    outer.fail -= 1
                    self.send_response(500)
                else:
                    outer.events.append(json.loads(body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/events"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(predicate(e) for e in self.events):
                return True
            time.sleep(0.05)
        return False

    def close(self):
        self.httpd.shutdown()


def test_the_webhook_receives_opportunity_updated_when_aws_changes_the_summary():
    receiver = Receiver(fail=1)  # the first delivery fails and is retried
    s = Server("--in-memory", "--events-webhook", receiver.url).start()
    try:
        c = s.client(account="777777777777")
        oid = create_submitted(c, catalog="AWS")
        admin(s, "POST", f"/accounts/777777777777/catalogs/AWS/opportunities/{oid}/review",
              {"ReviewStatus": "Approved"})
        receiver.events.clear()
        status, _, _ = admin(s, "PATCH", f"/accounts/777777777777/catalogs/AWS/aws-opportunities/{oid}",
                             {"LifeCycle": {"Stage": "Qualified"}})
        assert status == 200
        assert receiver.wait_for(lambda e: e["detail-type"] == "Opportunity Updated"
                                 and e["detail"]["opportunity"]["identifier"] == oid)
    finally:
        s.stop()
        receiver.close()


def test_a_webhook_that_is_down_never_blocks_or_fails_the_api():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/nobody"
    s = Server("--in-memory", "--events-webhook", dead).start()
    try:
        c = s.client()
        t = time.monotonic()
        for _ in range(5):
            c.create_opportunity(Catalog="AWS", **opportunity_input())
        assert time.monotonic() - t < 2
    finally:
        assert s.stop() == 0


def test_a_webhook_must_be_an_http_url():
    import subprocess
    from conftest import BIN
    p = subprocess.run([BIN, "serve", "--in-memory", "--listen", "127.0.0.1:0",
                        "--events-webhook", "ftp://example"], capture_output=True, text=True, timeout=20)
    assert p.returncode != 0 and "http://" in p.stderr
