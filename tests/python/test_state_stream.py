"""State documents as streams: `PUT /_admin/state` and `--seed` read record by record, and
any error anywhere — a truncated document, a bad record at the very end, not JSON at all —
is refused with where it is and changes nothing; `GET /_admin/state` streams its answer."""
import copy
import http.client
import json
import socket
import subprocess
import time

import pytest

from conftest import BIN, Server, approve, create_submitted, opportunity_input
from test_control_plane import admin
from test_inbound import refer

ACCT = "131313131313"


@pytest.fixture(scope="module")
def world():
    """A server holding opportunities, an AWS summary, a solution, and a referral (an
    engagement and its invitation); and its state document."""
    s = Server("--in-memory").start()
    c = s.client(account=ACCT)
    oid = create_submitted(c)
    approve(c, oid)
    for _ in range(5):
        c.create_opportunity(Catalog="Sandbox", **opportunity_input())
    admin(s, "POST", f"/accounts/{ACCT}/catalogs/Sandbox/solutions", {"Name": "Lake", "Category": "Analytics"})
    refer(s, ACCT)
    status, headers, doc = admin(s, "GET", "/state")
    assert status == 200
    yield s, c, doc
    s.stop()


def put_raw(s, data):
    return admin(s, "PUT", "/state", data)


def unchanged(s, before):
    status, _, now = admin(s, "GET", "/state")
    return status == 200 and now == before


def sandbox(doc):
    return next(x for x in doc["scopes"] if x["accountId"] == ACCT and x["catalog"] == "Sandbox")


def test_the_export_streams_and_round_trips(world):
    s, _, doc = world
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    conn.request("GET", "/_admin/state")
    resp = conn.getresponse()
    assert resp.status == 200
    assert resp.getheader("transfer-encoding") == "chunked" and resp.getheader("content-length") is None
    assert json.loads(resp.read()) == doc
    conn.close()
    assert doc["catalogs"][0]["engagements"] and doc["catalogs"][0]["invitations"]
    status, _, body = put_raw(s, json.dumps(doc).encode())
    assert status == 200, body
    shared = doc["catalogs"][0]
    assert body["imported"]["opportunities"] == 6 and body["imported"]["awsSummaries"] == 1
    assert body["imported"]["invitations"] == len(shared["invitations"]) >= 1
    assert body["imported"]["engagements"] == len(shared["engagements"]) >= 1
    assert unchanged(s, doc)


def test_a_client_leaving_mid_export_does_not_hurt_the_server(world):
    s, _, doc = world
    for _ in range(3):
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        sock.sendall(b"GET /_admin/state HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.recv(10)
        sock.close()
    assert unchanged(s, doc)


def truncations(doc):
    text = json.dumps(doc, separators=(",", ":"))
    last = text.rindex('{"id":"O')  # the last opportunity record begins here
    return {
        "inside the last opportunity": (text[: last + 40], "opportunities[5]"),
        "after the last opportunity": (text[: text.index('],"awsSummaries"', last)] + ",", "opportunities[6]"),
        "before the catalogs end": (text[:-3], "catalogs[0]"),
        "one byte short": (text[:-1], "the document"),
    }


@pytest.mark.parametrize("case", ["inside the last opportunity", "after the last opportunity",
                                  "before the catalogs end", "one byte short"])
def test_a_truncated_document_is_refused_where_it_ends(world, case):
    s, _, doc = world
    text, where = truncations(doc)[case]
    status, _, body = put_raw(s, text.encode())
    assert status == 400, body
    assert where in body["error"] and "ends too early" in body["error"], body["error"]
    assert unchanged(s, doc)


def last_record(d, list_name):
    return sandbox(d)[list_name][-1]


@pytest.mark.parametrize("mutate,needle", [
    # The very last opportunity of the scope is bad: everything before it was already written
    # inside the transaction, and all of it goes.
    (lambda d: last_record(d, "opportunities")["doc"]["LifeCycle"].update(Stage="Nowhere"),
     "scopes[{i}].opportunities[5]"),
    (lambda d: last_record(d, "opportunities").update(id=sandbox(d)["opportunities"][0]["id"],
                                                      num=sandbox(d)["opportunities"][0]["num"]),
     "appears twice"),
    (lambda d: last_record(d, "opportunities").update(surprise=True), "unknown field `surprise`"),
    (lambda d: d["catalogs"][0]["invitations"][-1].update(engagementId="eng-00000000000000"),
     "is not among the engagements"),
    (lambda d: d["catalogs"][0]["invitations"][-1].update(status="MAYBE"), "catalogs[0].invitations[{last}].status"),
    (lambda d: d.update(nextOpportunityNumber=sandbox(d)["opportunities"][-1]["num"]),
     "must be below nextOpportunityNumber"),
    (lambda d: d.update(extra=1), "unknown field 'extra'"),
])
def test_a_bad_record_at_the_end_changes_nothing(world, mutate, needle):
    s, _, doc = world
    bad = copy.deepcopy(doc)
    mutate(bad)
    i = bad["scopes"].index(sandbox(bad))
    status, _, body = put_raw(s, json.dumps(bad).encode())
    assert status == 400, body
    last = len(bad["catalogs"][0]["invitations"]) - 1
    assert needle.format(i=i, last=last) in body["error"], body["error"]
    if "engagements" not in needle:  # found when the record is read: the error says where
        assert "line 1, column" in body["error"] or "line 1 column" in body["error"], body["error"]
    else:  # found at the end of the document
        assert f"catalogs[0].invitations[{last}]" in body["error"], body["error"]
    assert unchanged(s, doc)


@pytest.mark.parametrize("data,needle", [
    (b"", "ends too early"),
    (b"hello", "expected value"),
    (b"[1, 2]", "a state document"),
    (b'{"format": "partnercentral-local/state"} trailing', "needs 'scopes'"),
    (b'{"format": "partnercentral-local/state", "version": 2, "nextOpportunityNumber": 1, "scopes": []} x',
     "trailing characters"),
    (b'{"format": "partnercentral-local/state", "version": 2, "scopes": []}', "nextOpportunityNumber"),
    (b'{"format": "partnercentral-local/state", "version": 4, "nextOpportunityNumber": 1, "scopes": []}',
     "version 1 to 3"),
    (b'{"format": "partnercentral-local/state", "version": 1, "nextOpportunityNumber": 1, "scopes": [],'
     b' "catalogs": [{"catalog": "Sandbox"}]}', "set version to 2"),
])
def test_not_a_state_document_is_refused_and_changes_nothing(world, data, needle):
    s, _, doc = world
    status, _, body = put_raw(s, data)
    assert status == 400, body
    assert needle in body["error"], body["error"]
    assert unchanged(s, doc)


def test_streaming_needs_the_scope_before_its_records(world):
    s, _, doc = world
    scope = sandbox(doc)
    reordered = {"opportunities": scope["opportunities"], "accountId": scope["accountId"],
                 "catalog": scope["catalog"]}
    bad = dict(doc, scopes=[reordered])
    status, _, body = put_raw(s, json.dumps(bad).encode())
    assert status == 400 and "accountId and catalog must come before" in body["error"], body
    assert unchanged(s, doc)


def test_header_last_and_invitations_before_engagements_still_load(world):
    s, c, doc = world
    reordered = {"scopes": doc["scopes"],
                 "catalogs": [{"catalog": x["catalog"], "invitations": x["invitations"],
                               "snapshots": x["snapshots"], "engagements": x["engagements"]}
                              for x in doc["catalogs"]],
                 "nextOpportunityNumber": doc["nextOpportunityNumber"], "version": 3,
                 "format": "partnercentral-local/state"}
    status, _, body = put_raw(s, json.dumps(reordered).encode())
    assert status == 200, body
    assert unchanged(s, doc)


def test_a_version_1_document_still_loads(world):
    s, c, doc = world
    v1 = {"format": "partnercentral-local/state", "version": 1,
          "nextOpportunityNumber": doc["nextOpportunityNumber"], "scopes": copy.deepcopy(doc["scopes"])}
    status, _, body = put_raw(s, json.dumps(v1).encode())
    assert status == 200, body
    oid = sandbox(doc)["opportunities"][0]["id"]
    assert c.get_opportunity(Catalog="Sandbox", Identifier=oid)["Id"] == oid
    # Restore the whole world for the tests that follow.
    assert put_raw(s, json.dumps(doc).encode())[0] == 200
    assert unchanged(s, doc)


def test_an_upload_in_small_slow_chunks_loads(world):
    s, _, doc = world
    data = json.dumps(doc).encode()
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    sock.sendall(b"PUT /_admin/state HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n")
    for i in range(0, len(data), 997):
        piece = data[i:i + 997]
        sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        if i % (997 * 20) == 0:
            time.sleep(0.01)
    sock.sendall(b"0\r\n\r\n")
    head = sock.recv(65536)
    sock.close()
    assert head.startswith(b"HTTP/1.1 200"), head
    assert unchanged(s, doc)


def test_a_refusal_early_in_a_large_upload_is_still_read_by_the_client(world):
    s, _, doc = world
    bad = copy.deepcopy(doc)
    bad["scopes"][0]["accountId"] = "nope"
    filler = [copy.deepcopy(sandbox(doc)["opportunities"][0]) for _ in range(4000)]
    bad["scopes"].append({"accountId": "999999999999", "catalog": "Sandbox", "opportunities": filler})
    data = json.dumps(bad).encode()
    assert len(data) > 4 << 20
    status, _, body = put_raw(s, data)
    assert status == 400 and "scopes[0].accountId must be 12 digits" in body["error"], body
    assert unchanged(s, doc)


def test_a_seed_bad_at_its_end_stops_the_server_and_writes_nothing(world, tmp_path):
    s, _, doc = world
    bad = copy.deepcopy(doc)
    last_record(bad, "opportunities")["doc"]["LifeCycle"]["Stage"] = "Nowhere"
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(bad))
    data = tmp_path / "data"
    p = subprocess.run([BIN, "serve", "--data-dir", str(data), "--listen", "127.0.0.1:0", "--seed", str(seed)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "seed file" in p.stderr and "opportunities[5]" in p.stderr, p.stderr
    seed.write_text(json.dumps(doc)[:-10])
    p = subprocess.run([BIN, "serve", "--data-dir", str(data), "--listen", "127.0.0.1:0", "--seed", str(seed)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "ends too early" in p.stderr, p.stderr
    # Nothing was written: a good seed now loads into the still-empty store.
    seed.write_text(json.dumps(doc))
    good = Server("--data-dir", str(data), "--seed", str(seed)).start()
    try:
        assert unchanged(good, doc)
    finally:
        good.stop()


def many(template, first, count):
    """`count` copies of an opportunity record numbered from `first`."""
    out = []
    for n in range(first, first + count):
        rec = copy.deepcopy(template)
        rec["id"], rec["num"] = f"O{n}", n
        out.append(rec)
    return out


@pytest.mark.parametrize("spoil,needle", [
    # Far past the first batch a backend may hold back and write at once (PostgreSQL: 500).
    (lambda ops: ops[-1]["doc"]["LifeCycle"].update(Stage="Nowhere"), "opportunities[1199]"),
    # A repeated id inside a batch, and one repeating a record of an earlier batch.
    (lambda ops: ops[700].update(id=ops[650]["id"], num=ops[650]["num"]), "opportunities[700]: id"),
    (lambda ops: ops[1100].update(id=ops[3]["id"], num=ops[3]["num"]), "opportunities[1100]: id"),
])
def test_a_refused_import_leaves_the_opportunity_numbers_as_they_were(spoil, needle):
    """A large document refused (a bad record at its end, or a repeated id) changes nothing,
    the counter of opportunity numbers included: the next CreateOpportunity follows on from
    the ids that existed before, not from the document's `nextOpportunityNumber`."""
    s = Server("--in-memory").start()
    try:
        c = s.client(account=ACCT)
        first = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
        status, _, before = admin(s, "GET", "/state")
        assert status == 200
        template = sandbox(before)["opportunities"][0]
        ops = many(template, before["nextOpportunityNumber"] + 1000, 1200)
        spoil(ops)
        bad = dict(before, nextOpportunityNumber=before["nextOpportunityNumber"] + 50_000,
                   scopes=[{"accountId": ACCT, "catalog": "Sandbox", "opportunities": ops,
                            "awsSummaries": [{"opportunityId": o["id"], "aws": {}, "nextStepsHistory": [],
                                              "lastNextSteps": None} for o in ops[:600]]}])
        status, _, body = put_raw(s, json.dumps(bad).encode())
        assert status == 400 and needle in body["error"], body
        assert unchanged(s, before)
        following = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
        assert int(following[1:]) == int(first[1:]) + 1, (first, following)
    finally:
        s.stop()


def test_a_large_document_loads_with_its_summaries_searchable():
    """More records than one batch, summaries after their opportunities: everything is
    there, and the search index reflects the summaries (written in a later batch)."""
    s = Server("--in-memory").start()
    try:
        c = s.client(account=ACCT)
        c.create_opportunity(Catalog="Sandbox", **opportunity_input())
        status, _, before = admin(s, "GET", "/state")
        template = sandbox(before)["opportunities"][0]
        ops = many(template, 2_000_001, 1234)
        for o in ops[::2]:  # AWS's side is searchable once approved
            o["doc"]["LifeCycle"]["ReviewStatus"] = "Approved"
            o["submission"] = {"involvementType": "Co-Sell", "visibility": "Full"}
        summaries = [{"opportunityId": o["id"], "aws": {"Insights": {"EngagementScore": "High"}},
                      "nextStepsHistory": [], "lastNextSteps": None} for o in ops[::2]]
        doc = dict(before, nextOpportunityNumber=2_000_001 + 1234,
                   scopes=[{"accountId": ACCT, "catalog": "Sandbox", "opportunities": ops,
                            "awsSummaries": summaries}], catalogs=[])
        status, _, body = put_raw(s, json.dumps(doc).encode())
        assert status == 200, body
        assert body["imported"]["opportunities"] == 1234 and body["imported"]["awsSummaries"] == 617
        status, _, after = admin(s, "GET", "/state")
        assert len(sandbox(after)["opportunities"]) == 1234 and len(sandbox(after)["awsSummaries"]) == 617
        found, token = 0, None
        while True:
            page = c.search_opportunities(
                Catalog="Sandbox", MaxResults=100,
                Filter={"EqualsTo": {"Key": "EngagementScore", "Value": {"StringValue": "High"}}},
                **({"NextToken": token} if token else {}))
            found += len(page["OpportunitySearchSummaries"])
            token = page.get("NextToken")
            if not token:
                break
        assert found == 617
        created = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
        assert created == f"O{2_000_001 + 1234}"
    finally:
        s.stop()
