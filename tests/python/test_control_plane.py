"""The control plane plays AWS's part: review decisions and the AWS-side record behind
GetAwsOpportunitySummary, checked through boto3."""
import json

import pytest

from conftest import create_submitted, opportunity_input


def admin(server, method, path, body=None):
    data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    return server.raw(data, {"Content-Type": "application/json"}, method=method, path=f"/_admin{path}")


def base(account, catalog, kind, oid):
    return f"/accounts/{account}/catalogs/{catalog}/{kind}/{oid}"


def test_aws_approves_in_the_production_catalog(server, fresh_account):
    c = server.client(account=fresh_account)
    oid = create_submitted(c, catalog="AWS")
    status, _, body = admin(server, "POST", base(fresh_account, "AWS", "opportunities", oid) + "/review",
                            {"ReviewStatus": "Approved", "ReviewComments": "Welcome"})
    assert status == 200 and body["LifeCycle"]["ReviewStatus"] == "Approved"
    s = c.get_aws_opportunity_summary(Catalog="AWS", RelatedOpportunityIdentifier=oid)
    assert s["InvolvementType"] == "Co-Sell"
    assert c.get_opportunity(Catalog="AWS", Identifier=oid)["LifeCycle"]["ReviewComments"] == "Welcome"


@pytest.mark.parametrize("body,status,needle", [
    ({"ReviewStatus": "Approvd"}, 400, "ReviewStatus"),
    ({}, 400, "ReviewStatus is required"),
    (b"{not json", 400, "not valid JSON"),
    ({"ReviewStatus": "Approved", "ReviewComments": 5}, 400, "ReviewComments"),
])
def test_bad_review_requests_are_400_and_change_nothing(server, fresh_account, body, status, needle):
    c = server.client(account=fresh_account)
    oid = create_submitted(c, catalog="AWS")
    got, _, resp = admin(server, "POST", base(fresh_account, "AWS", "opportunities", oid) + "/review", body)
    assert got == status and needle in resp["error"]
    assert c.get_opportunity(Catalog="AWS", Identifier=oid)["LifeCycle"]["ReviewStatus"] == "Submitted"


def test_review_of_unknown_or_unsubmitted_opportunity(server, fresh_account):
    c = server.client(account=fresh_account)
    status, _, body = admin(server, "POST", base(fresh_account, "AWS", "opportunities", "O999999999") + "/review",
                            {"ReviewStatus": "Approved"})
    assert status == 404
    oid = c.create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
    status, _, body = admin(server, "POST", base(fresh_account, "AWS", "opportunities", oid) + "/review",
                            {"ReviewStatus": "Approved"})
    assert status == 400 and "INVALID_RESOURCE_STATE" in body["error"]
    status, _, body = admin(server, "POST", base("12", "AWS", "opportunities", oid) + "/review",
                            {"ReviewStatus": "Approved"})
    assert status == 400 and "accountId" in body["error"]


def test_aws_moves_the_stage_and_assigns_a_seller_and_the_summary_shows_it(server, fresh_account):
    c = server.client(account=fresh_account)
    oid = create_submitted(c, catalog="AWS")
    admin(server, "POST", base(fresh_account, "AWS", "opportunities", oid) + "/review", {"ReviewStatus": "Approved"})
    path = base(fresh_account, "AWS", "aws-opportunities", oid)
    status, _, body = admin(server, "PATCH", path, {
        "LifeCycle": {"Stage": "Qualified", "NextSteps": "AWS seller meets the customer"},
        "OpportunityTeam": [{"BusinessTitle": "AWSSalesRep", "Email": "seller@amazon.example.com",
                             "FirstName": "Sam", "LastName": "Seller"}],
        "Insights": {"EngagementScore": "High", "NextBestActions": "Propose a POC"},
        "InvolvementTypeChangeReason": "Customer Requested",
    })
    assert status == 200, body
    s = c.get_aws_opportunity_summary(Catalog="AWS", RelatedOpportunityIdentifier=oid)
    assert s["LifeCycle"]["Stage"] == "Qualified"
    assert s["LifeCycle"]["NextSteps"] == "AWS seller meets the customer"
    assert [h["Value"] for h in s["LifeCycle"]["NextStepsHistory"]] == ["AWS seller meets the customer"]
    assert s["OpportunityTeam"][0]["BusinessTitle"] == "AWSSalesRep"
    assert s["Insights"]["EngagementScore"] == "High"
    assert s["InvolvementTypeChangeReason"] == "Customer Requested"
    assert s["Customer"]["Contacts"][0]["Email"] == "ann@acme.example.com"  # still mirrored
    # A merge patch with null removes a member.
    status, _, body = admin(server, "PATCH", path, {"Insights": None, "LifeCycle": {"Stage": "Committed"}})
    assert status == 200 and "Insights" not in body and body["LifeCycle"]["Stage"] == "Committed"
    assert body["LifeCycle"]["NextSteps"] == "AWS seller meets the customer"
    status, _, got = admin(server, "GET", path)
    assert status == 200 and got == body


def test_bad_aws_side_values_are_400_naming_the_field_and_change_nothing(server, fresh_account):
    c = server.client(account=fresh_account)
    oid = create_submitted(c, catalog="Sandbox")
    path = base(fresh_account, "Sandbox", "aws-opportunities", oid)
    assert admin(server, "PUT", path, {"LifeCycle": {"Stage": "Prospect"}})[0] == 200
    for bad, field in [({"LifeCycle": {"Stage": "Winning"}}, "LifeCycle.Stage"),
                       ({"OpportunityTeam": [{"Email": "NOT AN EMAIL"}]}, "OpportunityTeam[0].Email"),
                       ({"Insights": {"OpportunityQuality": {"Score": 101}}}, "Insights.OpportunityQuality.Score"),
                       ({"Visibility": 3}, "Visibility")]:
        status, _, body = admin(server, "PATCH", path, bad)
        assert status == 400 and field in body["error"], body
    s = c.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    assert s["LifeCycle"]["Stage"] == "Prospect"


def test_put_without_an_opportunity_creates_a_standalone_summary_and_delete_removes_it(server, fresh_account):
    c = server.client(account=fresh_account)
    path = base(fresh_account, "Sandbox", "aws-opportunities", "O424242")
    status, _, body = admin(server, "PUT", path, {
        "Origin": "AWS Referral", "InvolvementType": "Co-Sell", "Visibility": "Full",
        "LifeCycle": {"Stage": "Engaged", "NextSteps": "Intro call",
                      "NextStepsHistory": [{"Value": "Lead received", "Time": "2026-01-02T03:04:05.000Z"}]},
    })
    assert status == 200, body
    s = c.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier="O424242")
    assert s["Origin"] == "AWS Referral" and s["LifeCycle"]["Stage"] == "Engaged"
    assert [h["Value"] for h in s["LifeCycle"]["NextStepsHistory"]] == ["Lead received", "Intro call"]
    assert admin(server, "DELETE", path)[0] == 200
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier="O424242")
    assert admin(server, "DELETE", path)[0] == 404
    assert admin(server, "PATCH", path, {"Visibility": "Full"})[0] == 404


def test_reset_one_account_leaves_the_others(server, fresh_account):
    mine = server.client(account=fresh_account)
    other = server.client(account="999999999999")
    a = mine.create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
    b = other.create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
    status, _, _ = admin(server, "POST", "/reset", {"accountId": fresh_account})
    assert status == 200
    with pytest.raises(mine.exceptions.ResourceNotFoundException):
        mine.get_opportunity(Catalog="AWS", Identifier=a)
    assert other.get_opportunity(Catalog="AWS", Identifier=b)["Id"] == b
    assert admin(server, "POST", "/reset", {"catalog": "Prod"})[0] == 400


def test_admin_token_guards_the_control_plane_only():
    from conftest import Server
    s = Server("--in-memory", "--admin-token", "let-me-in").start()
    try:
        assert s.raw(b"", {}, method="GET", path="/_admin/health")[0] == 401
        assert s.raw(b"", {"Authorization": "Bearer wrong"}, method="GET", path="/_admin/health")[0] == 401
        status, _, body = s.raw(b"", {"Authorization": "Bearer let-me-in"}, method="GET", path="/_admin/health")
        assert status == 200 and body["status"] == "ok"
        assert s.client().list_solutions(Catalog="AWS")["SolutionSummaries"]  # the API is not affected
    finally:
        s.stop()
    assert "let-me-in" not in s.logs()


def test_non_loopback_listen_needs_an_admin_token():
    import subprocess
    from conftest import BIN, Server
    p = subprocess.run([BIN, "serve", "--in-memory", "--listen", "0.0.0.0:0"],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode != 0 and "--admin-token" in p.stderr
    s = Server("--in-memory", env={"PARTNERCENTRAL_LOCAL_ADMIN_TOKEN": "t"})
    s.args = ["--in-memory"]
    s.proc = subprocess.Popen([BIN, "serve", "--listen", "0.0.0.0:0", "--in-memory"], stderr=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, text=True, env=s.env)
    line = s.proc.stderr.readline()
    try:
        assert "listening on http://0.0.0.0:" in line, line
    finally:
        s.proc.terminate()
        assert s.proc.wait(timeout=10) == 0


def test_the_aws_subcommand_approves_sets_the_stage_and_adds_a_seller(server, fresh_account):
    import subprocess
    from conftest import BIN
    c = server.client(account=fresh_account)
    oid = create_submitted(c, catalog="AWS")

    def aws(*args):
        p = subprocess.run([BIN, "aws", "--endpoint", server.url, "--account", fresh_account,
                            "--catalog", "AWS", *args], capture_output=True, text=True, timeout=30)
        return p

    p = aws("show", oid)
    assert p.returncode != 0 and "404" in p.stderr
    assert aws("approve", oid).returncode == 0
    assert aws("set-stage", oid, "Qualified").returncode == 0
    p = aws("add-team-member", oid, "--email", "sam@amazon.example.com", "--first-name", "Sam",
            "--last-name", "Seller", "--title", "AWSSalesRep")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["OpportunityTeam"][-1]["FirstName"] == "Sam"
    s = c.get_aws_opportunity_summary(Catalog="AWS", RelatedOpportunityIdentifier=oid)
    assert s["LifeCycle"]["Stage"] == "Qualified"
    assert [m["BusinessTitle"] for m in s["OpportunityTeam"]] == ["PDM", "AWSSalesRep"]
    p = aws("set-stage", oid, "Winning")
    assert p.returncode != 0 and "LifeCycle.Stage" in p.stderr
