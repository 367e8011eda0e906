"""Several servers on one PostgreSQL database behave as one service (issue 17).

Run only on PostgreSQL (`PCL_TEST_DATABASE_URL`, see conftest.py). These are what the database
enforces by itself (one writer at a time, constraints); test_replicas_shared.py has what each
server keeps beside it (events, faults, quotas, clock, no stale cache).
"""
import copy
import uuid

import pytest

from conftest import DATABASE_URL, Server, _database, opportunity_input, update_input
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
