"""The README's worked example runs as written against the real binary."""
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def test_readme_worked_example_runs(server, fresh_account):
    text = README.read_text()
    section = text.split("## A worked example", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    pc = server.client(account=fresh_account)
    scope = {"pc": pc}
    exec(compile(code, "README.md", "exec"), scope)
    summary = scope["summary"]
    assert summary["RelatedOpportunityId"] == scope["oid"]
    assert summary["InvolvementType"] == "Co-Sell"
    assert summary["RelatedEntityIds"]["Solutions"] == ["S-1234567"]


def test_readme_control_plane_example_runs(server):
    text = README.read_text()
    section = text.split("## Playing AWS's part", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope = {"pc": server.client(account="111111111111",
                                 retries={"mode": "legacy", "total_max_attempts": 5}),
             "ENDPOINT": server.url}
    # The section builds on the worked example's OPPORTUNITY.
    worked = text.split("## A worked example: from create", 1)[1]
    first = re.search(r"```python\n(.*?)```", worked, re.S).group(1)
    exec(compile(first.split("oid = pc.create_opportunity")[0], "README.md", "exec"), scope)
    exec(compile(code, "README.md", "exec"), scope)
    assert scope["summary"]["OpportunityTeam"][-1]["FirstName"] == "Sam"


def test_readme_referral_example_runs(server, fresh_account):
    text = README.read_text()
    section = text.split("## A worked example: an AWS referral", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope = {"pc": server.client(account=fresh_account)}
    exec(compile(code, "README.md", "exec"), scope)
    assert scope["invitation"]["Status"] == "PENDING"
    assert "PostalCode" not in str(scope["invitation"]["Payload"])
    assert scope["task"]["OpportunityId"] == scope["referred"]
    assert scope["opportunity"]["Customer"]["Account"]["Address"]["PostalCode"] == "10001"
    assert scope["opportunity"]["LifeCycle"]["ReviewStatus"] == "Approved"
    assert scope["aws_summary"]["Origin"] == "AWS Referral"


def test_readme_co_selling_example_runs():
    """The two-account example, on a server of its own (it uses fixed account ids)."""
    from conftest import Server
    text = README.read_text()
    section = text.split("## A worked example: co-selling", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    worked = text.split("## A worked example: from create", 1)[1]
    first = re.search(r"```python\n(.*?)```", worked, re.S).group(1)
    s = Server("--in-memory").start()
    try:
        scope = {"ENDPOINT": s.url}
        exec(compile(first.split("oid = pc.create_opportunity")[0], "README.md", "exec"), scope)
        exec(compile(code, "README.md", "exec"), scope)
        b = scope["b"]
        assert b.get_opportunity(Catalog="Sandbox", Identifier=scope["theirs"])["LifeCycle"][
            "ReviewStatus"] == "Approved"
        assert [m["AccountId"] for m in scope["members"]["EngagementMemberList"]] == [
            "111111111111", "222222222222", "aws"]
        assert scope["converted"]["TaskStatus"] == "COMPLETE" and scope["converted"]["ContextId"] == "2"
        assert scope["draft"]["Project"]["Title"] == "Converted from Lead"
    finally:
        s.stop()


def test_readme_bulk_jobs_example_runs(server, fresh_account, monkeypatch):
    """The bulk-jobs example, with the sample files it names (paths from the repository root)."""
    text = README.read_text()
    section = text.split("## A worked example: bulk jobs", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(README.parent)
    scope = {"pc": server.client(account=fresh_account), "ENDPOINT": server.url}
    exec(compile(code, "README.md", "exec"), scope)
    summary = scope["summary"]
    assert (summary["Status"], summary["OperationType"], summary["TotalRecords"]) == ("COMPLETED", "BULK_CREATE", 3)
    assert (summary["SuccessCount"], summary["FailureCount"]) == (2, 1)
    results = scope["results"]
    assert [r["Status"] for r in results] == ["SUCCEEDED", "SUCCEEDED", "FAILED"]
    assert results[2]["ErrorMessage"].startswith("REQUEST_VALIDATION_FAILED: Customer.Account.Industry")
    lines = scope["failed_csv"].strip().splitlines()
    assert lines[0] == "RequestId,Status,ResourceIdentifier,ErrorCode,ErrorMessage"
    assert len(lines) == 2 and lines[1].startswith("crm-0003,FAILED,,ValidationException,")
    assert scope["account"]["Account"]["CompanyName"] == "Acme Corp"
    assert [r["Status"] for r in scope["imported"]] == ["SUCCEEDED", "SUCCEEDED"]


def test_readme_search_opportunities_example_runs(server, fresh_account):
    text = README.read_text()
    section = text.split("### SearchOpportunities", 1)[1].split("\n### ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    pc = server.client(account=fresh_account)
    pc.create_opportunity(Catalog="Sandbox", **__import__("conftest").opportunity_input(
        LifeCycle={"Stage": "Qualified", "TargetCloseDate": "2030-06-30"}))
    scope = {"pc": pc}
    exec(compile("answer = " + code.strip(), "README.md", "exec"), scope)
    # The new opportunity has no AWS summary, so no EstimatedMrr: the filter holds for nothing.
    assert scope["answer"]["OpportunitySearchSummaries"] == []
