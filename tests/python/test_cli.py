"""The AWS CLI (v1) against the real binary."""
import json
import os
import subprocess

from conftest import ACCOUNT, opportunity_input


def aws(server, *args, account=ACCOUNT, check=True):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=account, AWS_SECRET_ACCESS_KEY="secret",
               AWS_DEFAULT_REGION="us-east-1", AWS_MAX_ATTEMPTS="1",
               AWS_ENDPOINT_URL_PARTNERCENTRAL_SELLING=server.url)
    env.pop("AWS_PROFILE", None)
    p = subprocess.run(["aws", "partnercentral-selling", *args, "--output", "json"],
                       capture_output=True, text=True, env=env, timeout=60)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def test_cli_create_submit_approve_summary(server, tmp_path):
    body = dict(opportunity_input(), Catalog="Sandbox")
    f = tmp_path / "create.json"
    f.write_text(json.dumps(body))
    oid = json.loads(aws(server, "create-opportunity", "--cli-input-json", f"file://{f}").stdout)["Id"]
    task = json.loads(aws(server, "start-engagement-from-opportunity-task", "--catalog", "Sandbox",
                          "--identifier", oid, "--aws-submission",
                          "InvolvementType=Co-Sell,Visibility=Full").stdout)
    assert task["TaskStatus"] == "COMPLETE"
    missing = aws(server, "get-aws-opportunity-summary", "--catalog", "Sandbox",
                  "--related-opportunity-identifier", oid, check=False)
    assert missing.returncode == 254 or missing.returncode == 255
    assert "ResourceNotFoundException" in missing.stderr
    opp = json.loads(aws(server, "get-opportunity", "--catalog", "Sandbox", "--identifier", oid).stdout)
    upd = {k: v for k, v in opp.items()
           if k not in ("Id", "Arn", "CreatedDate", "OpportunityTeam", "RelatedEntityIdentifiers")}
    upd["Identifier"] = oid
    upd["LifeCycle"]["ReviewStatus"] = "Approved"
    f.write_text(json.dumps(upd))
    aws(server, "update-opportunity", "--cli-input-json", f"file://{f}")
    summary = json.loads(aws(server, "get-aws-opportunity-summary", "--catalog", "Sandbox",
                             "--related-opportunity-identifier", oid).stdout)
    assert summary["RelatedOpportunityId"] == oid
    assert summary["InvolvementType"] == "Co-Sell"
    assert summary["OpportunityTeam"][0]["BusinessTitle"] == "PDM"


def test_cli_prints_validation_errors_and_exits_non_zero(server):
    p = aws(server, "get-opportunity", "--catalog", "AWS", "--identifier", "X1", check=False)
    assert p.returncode in (254, 255)
    assert "ValidationException" in p.stderr and "Identifier" in p.stderr


def test_cli_paginates_list_opportunities(server, fresh_account):
    for _ in range(3):
        body = dict(opportunity_input(), Catalog="AWS")
        aws(server, "create-opportunity", "--cli-input-json", json.dumps(body), account=fresh_account)
    out = json.loads(aws(server, "list-opportunities", "--catalog", "AWS", "--page-size", "1",
                         account=fresh_account).stdout)
    assert len(out["OpportunitySummaries"]) == 3
