"""State export and import, --seed, and solutions added by the control plane."""
import copy
import json

import pytest

from conftest import Server, approve, create_submitted, opportunity_input
from test_control_plane import admin


@pytest.fixture
def populated():
    s = Server("--in-memory").start()
    c = s.client(account="121212121212")
    oid = create_submitted(c)
    approve(c, oid)
    c.create_opportunity(Catalog="AWS", ClientToken="tok", **opportunity_input())
    admin(s, "PATCH", f"/accounts/121212121212/catalogs/Sandbox/aws-opportunities/{oid}",
          {"LifeCycle": {"Stage": "Engaged"}})
    admin(s, "POST", "/accounts/121212121212/catalogs/AWS/solutions", {"Name": "Data Lake", "Category": "Analytics"})
    yield s, c, oid
    s.stop()


def test_export_then_import_round_trips_exactly(populated):
    s, c, oid = populated
    status, _, state = admin(s, "GET", "/state")
    assert status == 200 and state["format"] == "partnercentral-local/state" and state["version"] == 3
    scopes = {(x["accountId"], x["catalog"]) for x in state["scopes"]}
    assert scopes == {("121212121212", "AWS"), ("121212121212", "Sandbox")}
    assert admin(s, "POST", "/reset")[0] == 200
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.get_opportunity(Catalog="Sandbox", Identifier=oid)
    status, _, body = admin(s, "PUT", "/state", state)
    assert status == 200 and body["imported"]["opportunities"] == 2
    assert admin(s, "GET", "/state")[2] == state
    summary = c.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    assert summary["LifeCycle"]["Stage"] == "Engaged"
    newer = c.create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
    assert int(newer[1:]) >= state["nextOpportunityNumber"]


@pytest.mark.parametrize("mutate,needle", [
    (lambda d: d.update(version=4), "version"),
    (lambda d: d["scopes"][0].update(catalog="Prod"), "catalog"),
    (lambda d: d["scopes"][0].update(accountId="1"), "accountId"),
    (lambda d: d.update(scopes=d["scopes"] + [copy.deepcopy(d["scopes"][0])]), "twice"),
    (lambda d: [s for s in d["scopes"] if s["opportunities"]][0]["opportunities"][0]["doc"]["Customer"]["Account"]
        .update(Industry="Wizardry"), "Industry"),
    (lambda d: [s for s in d["scopes"] if s["opportunities"]][0]["opportunities"][0].update(id="X1"), "id"),
    (lambda d: [s for s in d["scopes"] if s["awsSummaries"]][0]["awsSummaries"][0]["aws"]
        .update(LifeCycle={"Stage": "Done"}), "LifeCycle.Stage"),
    (lambda d: d["scopes"][0].update(surprise=1), "surprise"),
])
def test_a_bad_state_document_changes_nothing(populated, mutate, needle):
    s, c, oid = populated
    before = admin(s, "GET", "/state")[2]
    bad = copy.deepcopy(before)
    mutate(bad)
    status, _, body = admin(s, "PUT", "/state", bad)
    assert status == 400 and needle in body["error"], body
    assert admin(s, "GET", "/state")[2] == before


def test_seed_loads_into_an_empty_store_only(populated, tmp_path):
    s, _, oid = populated
    state = admin(s, "GET", "/state")[2]
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(state))
    data = tmp_path / "data"
    first = Server("--data-dir", str(data), "--seed", str(seed)).start()
    try:
        c = first.client(account="121212121212")
        assert c.get_opportunity(Catalog="Sandbox", Identifier=oid)["LifeCycle"]["ReviewStatus"] == "Approved"
        extra = c.create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
    finally:
        first.stop()
    second = Server("--data-dir", str(data), "--seed", str(seed)).start()  # not empty: seed ignored
    try:
        c = second.client(account="121212121212")
        assert c.get_opportunity(Catalog="AWS", Identifier=extra)["Id"] == extra
    finally:
        second.stop()
    seed.write_text('{"format": "partnercentral-local/state", "version": 9, "nextOpportunityNumber": 1, "scopes": []}')
    import subprocess
    from conftest import BIN
    p = subprocess.run([BIN, "serve", "--in-memory", "--listen", "127.0.0.1:0", "--seed", str(seed)],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode != 0 and "seed file" in p.stderr


def test_solutions_added_by_aws_can_be_listed_and_associated(server, fresh_account):
    c = server.client(account=fresh_account)
    path = f"/accounts/{fresh_account}/catalogs/AWS/solutions"
    status, _, sol = admin(server, "POST", path, {"Id": "S-7654321", "Name": "Data Lake", "Category": "Analytics"})
    assert status == 200 and sol["Status"] == "Active"
    listed = c.list_solutions(Catalog="AWS")["SolutionSummaries"]
    assert [x["Id"] for x in listed] == ["S-0059717", "S-1234567", "S-7654321"]
    assert c.list_solutions(Catalog="Sandbox")["SolutionSummaries"][0]["Id"] == "S-0059717"
    oid = c.create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
    c.associate_opportunity(Catalog="AWS", OpportunityIdentifier=oid, RelatedEntityType="Solutions",
                            RelatedEntityIdentifier="S-7654321")
    status, _, body = admin(server, "POST", path, {"Name": "X", "Category": "Y", "Status": "Bogus"})
    assert status == 400 and "Status" in body["error"]
    status, _, body = admin(server, "POST", path, {"Id": "nope", "Name": "X", "Category": "Y"})
    assert status == 400 and "Id" in body["error"]
    assert len(admin(server, "GET", path)[2]["SolutionSummaries"]) == 3
