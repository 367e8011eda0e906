"""Crash durability: writers create and update opportunities over real sockets while the
process is killed with SIGKILL at random moments; after each restart on the same data directory
every acknowledged write is there and no id is reused.

`PCL_CRASH_ROUNDS` sets the number of kill/restart rounds (5 here; RELIABILITY.md documents a
long run)."""
import os
import random
import threading
import time

from botocore.config import Config

import boto3
from conftest import ACCOUNT, Server, opportunity_input, sqlite_only, update_input

ROUNDS = int(os.environ.get("PCL_CRASH_ROUNDS", "5"))
WRITERS = 3


def writer_client(url):
    return boto3.client("partnercentral-selling", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=ACCOUNT, aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1, read_timeout=3))


def test_acknowledged_writes_survive_sigkill(tmp_path):
    rng = random.Random(int(os.environ.get("PCL_CRASH_SEED", "42")))
    created = {}   # id -> marker acknowledged at create
    updated = {}   # id -> (LastModifiedDate, marker) of the last acknowledged update
    lock = threading.Lock()
    highest = 0
    verified = 0
    acknowledged_ids = []
    for round_ in range(ROUNDS + 1):
        server = Server("--data-dir", str(tmp_path)).start()
        c = server.client(check_shapes=False)
        # Every acknowledged write of the previous rounds is there.
        for oid, marker in created.items():
            opp = c.get_opportunity(Catalog="AWS", Identifier=oid)
            if oid in updated:
                lmd, upd_marker = updated[oid]
                assert opp["LastModifiedDate"] >= lmd, (oid, opp["LastModifiedDate"], lmd)
                if opp["LastModifiedDate"] == lmd:
                    assert opp["PartnerOpportunityIdentifier"] == upd_marker
            else:
                assert opp["PartnerOpportunityIdentifier"] == marker or opp["LastModifiedDate"] > opp["CreatedDate"]
            verified += 1
        if round_ == ROUNDS:
            server.stop()
            break
        stop = threading.Event()

        def write(n):
            cl = writer_client(server.url)
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    if created and rng.random() < 0.4:
                        with lock:
                            oid = rng.choice(list(created))
                        body = update_input(cl.get_opportunity(Catalog="AWS", Identifier=oid))
                        marker = f"u{round_}-{n}-{i}"
                        body["PartnerOpportunityIdentifier"] = marker
                        out = cl.update_opportunity(**body)
                        with lock:
                            prev = updated.get(oid)
                            if prev is None or out["LastModifiedDate"] > prev[0]:
                                updated[oid] = (out["LastModifiedDate"], marker)
                    else:
                        marker = f"c{round_}-{n}-{i}"
                        out = cl.create_opportunity(Catalog="AWS", PartnerOpportunityIdentifier=marker,
                                                    **opportunity_input())
                        with lock:
                            acknowledged_ids.append(out["Id"])
                            created[out["Id"]] = marker
                except Exception:  # noqa: BLE001 - unacknowledged: the kill or a lost race
                    pass

        threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.3, 1.0))
        server.proc.kill()  # SIGKILL, no shutdown
        server.proc.wait()
        stop.set()
        for t in threads:
            t.join()
        with lock:
            newest = max((int(i[1:]) for i in created), default=0)
        assert newest >= highest  # ids only grow
        highest = newest
    assert len(created) > ROUNDS, "the writers got some writes acknowledged"
    # Ids were never reused: every acknowledged create got its own id.
    assert len(set(acknowledged_ids)) == len(acknowledged_ids)
    print(f"crash rounds: {ROUNDS}, acknowledged creates: {len(created)}, updates: {len(updated)}, "
          f"records verified: {verified}")


def _mount_tmpfs(path, size):
    import subprocess
    path.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                       capture_output=True, text=True)
    return p.returncode == 0


@sqlite_only
def test_a_full_or_read_only_data_dir_is_a_clear_error_and_loses_nothing(tmp_path):
    import subprocess

    import pytest
    mnt = tmp_path / "small"
    if not _mount_tmpfs(mnt, "1m"):
        pytest.skip("this machine does not let the test mount a small file system")
    try:
        server = Server("--data-dir", str(mnt)).start()
        c = server.client(check_shapes=False)
        acknowledged, failure = [], None
        for i in range(5000):
            try:
                acknowledged.append(c.create_opportunity(Catalog="AWS", **opportunity_input())["Id"])
            except c.exceptions.ClientError as e:
                failure = e.response
                break
        assert failure is not None, "the 1 MiB file system filled up"
        assert failure["Error"]["Code"] == "InternalServerException"
        assert "full" in failure["Error"]["Message"]
        for oid in acknowledged[-5:]:  # reads still work while full
            assert c.get_opportunity(Catalog="AWS", Identifier=oid)["Id"] == oid
        server.stop()
        subprocess.run(["mount", "-o", "remount,size=8m", str(mnt)], check=True)
        server = Server("--data-dir", str(mnt)).start()
        c = server.client(check_shapes=False)
        for oid in acknowledged:
            assert c.get_opportunity(Catalog="AWS", Identifier=oid)["Id"] == oid
        c.create_opportunity(Catalog="AWS", **opportunity_input())  # writable again
        server.stop()
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        p = subprocess.run([conftest_bin(), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(mnt)],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode != 0 and "read-only" in p.stderr.lower() and "data directory" in p.stderr, p.stderr
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


def conftest_bin():
    from conftest import BIN
    return BIN
