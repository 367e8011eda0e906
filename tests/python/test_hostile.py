"""Hostile input: every attack gets a clear 4xx or a closed connection, and the server keeps
serving everyone else."""
import json
import socket
import time

import pytest

from conftest import Server


@pytest.fixture(scope="module")
def strict():
    s = Server("--in-memory", "--max-connections", "6", "--header-timeout-ms", "500",
               "--body-timeout-ms", "500").start()
    yield s
    assert s.stop() == 0


def still_serves(s):
    status, _, body = s.call("ListSolutions", {"Catalog": "AWS"})
    assert status == 200 and body["SolutionSummaries"]


def closed_or_status(sock, timeout=5):
    """What the server did within `timeout`: "closed" (closed or reset the connection), the HTTP
    status it answered, or "timeout" when it did nothing at all."""
    sock.settimeout(timeout)
    try:
        data = sock.recv(65536)
    except ConnectionResetError:
        return "closed"
    except socket.timeout:
        return "timeout"
    if not data:
        return "closed"
    return data.split(b" ", 2)[1].decode()


def test_a_header_flood_is_refused(strict):
    with socket.create_connection(("127.0.0.1", strict.port)) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(500)) + b"\r\n")
        assert closed_or_status(s) in ("431", "400", "closed")
    with socket.create_connection(("127.0.0.1", strict.port)) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 2_000_000 + b"\r\n\r\n")
        assert closed_or_status(s) in ("431", "400", "closed")
    still_serves(strict)


def test_slow_headers_are_cut_off(strict):
    with socket.create_connection(("127.0.0.1", strict.port)) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
        t = time.monotonic()
        outcome = closed_or_status(s, timeout=5)
        assert outcome in ("closed", "408"), outcome
        assert time.monotonic() - t < 3
    still_serves(strict)


def test_a_slow_body_gets_408(strict):
    with socket.create_connection(("127.0.0.1", strict.port)) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSPartnerCentralSelling.ListSolutions\r\n"
                  b"Content-Type: application/x-amz-json-1.0\r\nContent-Length: 100\r\n\r\n{\"Cata")
        assert closed_or_status(s) == "408"
    still_serves(strict)


def test_the_connection_limit_closes_extra_connections_and_recovers(strict):
    time.sleep(0.6)  # let earlier connections of this module go
    idle = [socket.create_connection(("127.0.0.1", strict.port)) for _ in range(6)]
    try:
        time.sleep(0.1)
        with socket.create_connection(("127.0.0.1", strict.port)) as extra:
            extra.sendall(b"GET /_admin/health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert closed_or_status(extra) == "closed"
    finally:
        for s in idle:
            s.close()
    time.sleep(0.6)  # the header timeout reaps them anyway
    still_serves(strict)


def test_half_open_connections_are_reaped(strict):
    socks = [socket.create_connection(("127.0.0.1", strict.port)) for _ in range(5)]
    time.sleep(1.2)  # longer than the header timeout
    for s in socks:
        assert closed_or_status(s, timeout=2) == "closed"
        s.close()
    still_serves(strict)


@pytest.mark.parametrize("body,status,kind", [
    ({"Catalog": "AWS", "MaxResults": 10**30}, 400, "SerializationException"),
    ({"Catalog": "AWS", "MaxResults": -5}, 400, "ValidationException"),
    ({"Catalog": "AWS", "MaxResults": 1.5}, 400, "SerializationException"),
    ({"Catalog": "A" * 5_000_000}, 400, "ValidationException"),
    ({"Catalog": "AWS", "Identifier": ["S-1"] * 100_000}, 400, "ValidationException"),
    ({"Catalog": "AWS", "Sort": {"SortBy": None, "SortOrder": "ASCENDING"}}, 400, "ValidationException"),
])
def test_out_of_range_and_huge_values_are_clear_4xx(server, body, status, kind):
    got, _, resp = server.call("ListSolutions", json.dumps(body).encode())
    assert got == status and resp["__type"].endswith("#" + kind), resp
    assert len(json.dumps(resp)) < 100_000  # the answer does not echo the huge input
    still_serves(server)


def test_a_long_run_of_garbage_does_not_take_the_server_down(server):
    import random
    rng = random.Random(7)
    for _ in range(300):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        status, _, _ = server.call("CreateOpportunity", junk)
        assert 400 <= status < 500
    still_serves(server)
