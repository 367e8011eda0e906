"""Races: concurrent clients against one opportunity or one idempotency token."""
import copy
import threading

from conftest import approve, create_submitted, opportunity_input, update_input
from test_control_plane import admin

N = 16


def run_together(workers):
    barrier = threading.Barrier(len(workers))
    results = [None] * len(workers)

    def wrap(i, fn):
        barrier.wait()
        try:
            results[i] = ("ok", fn())
        except Exception as e:  # noqa: BLE001 - the outcome is what is checked
            results[i] = (getattr(e, "response", {}).get("Error", {}).get("Code", repr(e)), None)

    threads = [threading.Thread(target=wrap, args=(i, fn)) for i, fn in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_one_last_modified_date_lets_exactly_one_writer_win(server, fresh_account):
    c = server.client(account=fresh_account)
    oid = c.create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
    base = update_input(c.get_opportunity(Catalog="AWS", Identifier=oid))
    clients = [server.client(account=fresh_account) for _ in range(N)]

    def writer(i):
        body = copy.deepcopy(base)
        body["PartnerOpportunityIdentifier"] = f"writer-{i}"
        return lambda: clients[i].update_opportunity(**body)

    results = run_together([writer(i) for i in range(N)])
    codes = [r[0] for r in results]
    assert codes.count("ok") == 1 and codes.count("ConflictException") == N - 1, codes
    winner = codes.index("ok")
    final = c.get_opportunity(Catalog="AWS", Identifier=oid)
    assert final["PartnerOpportunityIdentifier"] == f"writer-{winner}"
    assert final["LastModifiedDate"] == results[winner][1]["LastModifiedDate"]


def test_one_client_token_creates_exactly_one_opportunity(server, fresh_account):
    body = opportunity_input()
    clients = [server.client(account=fresh_account) for _ in range(N)]
    results = run_together([lambda c=c: c.create_opportunity(Catalog="AWS", ClientToken="race", **body)
                            for c in clients])
    assert all(r[0] == "ok" for r in results), results
    assert len({r[1]["Id"] for r in results}) == 1
    listed = clients[0].list_opportunities(Catalog="AWS")["OpportunitySummaries"]
    assert len(listed) == 1


def test_submit_racing_an_update_loses_nothing(server, fresh_account):
    c = server.client(account=fresh_account)
    for round_ in range(10):
        oid = c.create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
        body = update_input(c.get_opportunity(Catalog="AWS", Identifier=oid))
        body["Project"]["Title"] = f"Updated {round_}"
        a, b = server.client(account=fresh_account), server.client(account=fresh_account)
        (u, _), (s, _) = run_together([
            lambda: a.update_opportunity(**body),
            lambda: b.submit_opportunity(Catalog="AWS", Identifier=oid, InvolvementType="Co-Sell"),
        ])
        final = c.get_opportunity(Catalog="AWS", Identifier=oid)
        assert s == "ok" and final["LifeCycle"]["ReviewStatus"] == "Submitted"
        if u == "ok":
            assert final["Project"]["Title"] == f"Updated {round_}"  # the acknowledged update is kept
        else:
            assert u in ("ValidationException", "ConflictException")  # locked after submission
            assert final["Project"]["Title"] == "Data platform migration"


def test_aws_approval_racing_a_partner_fix_keeps_the_frozen_field_rule(server, fresh_account):
    c = server.client(account=fresh_account)
    for round_ in range(10):
        oid = create_submitted(c, catalog="AWS")
        admin(server, "POST", f"/accounts/{fresh_account}/catalogs/AWS/opportunities/{oid}/review",
              {"ReviewStatus": "Action Required"})
        body = update_input(c.get_opportunity(Catalog="AWS", Identifier=oid))
        body["Project"]["CustomerBusinessProblem"] = f"A clearer problem statement, take {round_}."
        partner = server.client(account=fresh_account)
        (u, _), (a, _) = run_together([
            lambda: partner.update_opportunity(**body),
            lambda: admin(server, "POST", f"/accounts/{fresh_account}/catalogs/AWS/opportunities/{oid}/review",
                          {"ReviewStatus": "Approved"}),
        ])
        final = c.get_opportunity(Catalog="AWS", Identifier=oid)
        assert final["LifeCycle"]["ReviewStatus"] == "Approved"
        if u == "ok":  # the fix came first, then AWS approved the fixed opportunity
            assert final["Project"]["CustomerBusinessProblem"].endswith(f"take {round_}.")
        else:  # AWS approved first: the partner's read is stale, and the field is frozen now
            assert u in ("ConflictException", "ValidationException")
            assert final["Project"]["CustomerBusinessProblem"].startswith("The customer runs out")
