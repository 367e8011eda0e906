"""Bad input and failure: a missing or non-executable binary, a port that cannot be bound, a
server that exits or hangs at start; and no server left behind when the process that started
it is interrupted or killed."""

from __future__ import annotations

import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

import partnercentral_local
from partnercentral_local import BinaryNotFoundError, Server, ServerStartError, find_binary

posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX signals and scripts")


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie (nobody may reap it in a container)."""
    stat = pathlib.Path(f"/proc/{pid}/stat")
    if sys.platform.startswith("linux"):
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (FileNotFoundError, ProcessLookupError):
            return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def script(tmp_path: pathlib.Path, body: str) -> str:
    path = tmp_path / "fake-partnercentral-local"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def test_a_missing_binary(tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "nowhere" / "partnercentral-local"
    with pytest.raises(BinaryNotFoundError, match="does not exist"):
        Server(binary=missing).start()


def test_a_missing_binary_named_by_the_environment(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARTNERCENTRAL_LOCAL_BIN", str(tmp_path / "nothing"))
    with pytest.raises(BinaryNotFoundError, match="PARTNERCENTRAL_LOCAL_BIN names"):
        Server().start()


def test_a_non_executable_binary(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "partnercentral-local"
    path.write_bytes(b"\x7fELF not really")
    path.chmod(0o644)
    with pytest.raises(BinaryNotFoundError, match="not executable"):
        Server(binary=path).start()
    with pytest.raises(BinaryNotFoundError, match="directory"):
        Server(binary=tmp_path).start()


@posix_only
def test_an_executable_that_cannot_run(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "partnercentral-local"
    path.write_bytes(b"\x00\x01\x02 not a program")
    path.chmod(0o755)
    with pytest.raises(ServerStartError, match="cannot run"):
        Server(binary=path).start()


def test_a_port_that_cannot_be_bound() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        server = Server(listen=f"127.0.0.1:{port}")
        with pytest.raises(ServerStartError) as failed:
            server.start()
    finally:
        taken.close()
    error = failed.value
    assert error.returncode not in (None, 0)
    assert str(port) in error.stderr
    assert "--- server stderr ---" in str(error)
    assert re.search(r"in use|address", error.stderr, re.I), error.stderr
    assert not server.running


def test_a_server_that_exits_at_start(tmp_path: pathlib.Path) -> None:
    server = Server(seed=tmp_path / "no-such-seed.json")
    with pytest.raises(ServerStartError) as failed:
        server.start()
    assert "exited before it was ready" in str(failed.value)
    assert "no-such-seed.json" in failed.value.stderr
    assert not server.running

    with pytest.raises(ServerStartError) as refused:
        Server("--no-such-option").start()
    assert refused.value.returncode == 2
    assert "--no-such-option" in refused.value.stderr


@posix_only
def test_a_server_that_never_gets_ready_is_killed(tmp_path: pathlib.Path) -> None:
    pids = tmp_path / "pids"
    fake = script(tmp_path, f'echo "starting" >&2\nsleep 60 &\necho $$ $! > {pids}\nwait\n')
    server = Server(binary=fake, startup_timeout=1)
    started = time.monotonic()
    with pytest.raises(ServerStartError, match="did not say it was ready within 1 s") as hung:
        server.start()
    assert time.monotonic() - started < 10
    assert "starting" in hung.value.stderr
    shell, child = (int(p) for p in pids.read_text().split())
    assert gone(shell)
    assert gone(child)


@posix_only
def test_a_ready_line_on_stderr_only_is_not_enough(tmp_path: pathlib.Path) -> None:
    fake = script(tmp_path, 'echo "partnercentral-local listening on http://127.0.0.1:1" >&2\n')
    with pytest.raises(ServerStartError, match="exited before it was ready"):
        Server(binary=fake).start()


def test_serve_variables_of_the_environment_are_not_passed_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PARTNERCENTRAL_LOCAL_ADMIN_TOKEN", "from-the-environment")
    monkeypatch.setenv("PARTNERCENTRAL_LOCAL_LISTEN", "127.0.0.1:1")
    with Server() as server:
        assert server.health()["status"] == "ok"  # no token required
    with Server(env={"PARTNERCENTRAL_LOCAL_TASK_DELAY_MS": "60000"}) as server:
        pc = server.client()
        oid = pc.create_opportunity(Catalog="Sandbox", **partnercentral_local.sample_opportunity())[
            "Id"
        ]
        task = pc.start_engagement_from_opportunity_task(
            Catalog="Sandbox",
            Identifier=oid,
            AwsSubmission={"InvolvementType": "Co-Sell", "Visibility": "Full"},
        )
        assert task["TaskStatus"] == "IN_PROGRESS"  # what env= adds does reach it


def test_stop_is_clean_and_idempotent() -> None:
    server = Server()
    assert server.stop() is None
    with pytest.raises(partnercentral_local.PartnerCentralLocalError, match="not been started"):
        server.endpoint_url  # noqa: B018
    server.start()
    pid = server.pid
    assert pid is not None
    assert server.stop() == 0  # SIGTERM: a clean stop
    assert server.stop() == 0
    assert gone(pid)
    assert "listening on" in server.logs()


def test_options_become_arguments(tmp_path: pathlib.Path) -> None:
    server = Server(
        "--quotas", "aws", task_delay_ms=5, business_rules="off", data_dir=tmp_path, seed=None
    )
    command = server.command
    assert command[1:] == [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--task-delay-ms",
        "5",
        "--business-rules",
        "off",
        "--data-dir",
        str(tmp_path),
        "--quotas",
        "aws",
    ]  # a data directory: not in memory
    with server:
        assert server.health()["storage"] == "sqlite"
    assert "--in-memory" in Server().command


def test_nothing_is_downloaded_at_run_time() -> None:
    """The package reaches only the server it started: no URL of anywhere else, no HTTP
    client but http.client aimed at the server's own host and port."""
    package = pathlib.Path(partnercentral_local.__file__).parent
    for source in package.glob("*.py"):
        text = source.read_text()
        assert "urllib.request" not in text, source
        assert "urlopen" not in text, source
        assert not re.search(r"https?://(?!127\.0\.0\.1|HOST|[\w.]*example\.com)", text), source
    assert find_binary().endswith("partnercentral-local")


CHILD = textwrap.dedent(
    """
    import sys, time
    import partnercentral_local
    partnercentral_local.Server._orphan_guard = sys.argv[1]
    server = partnercentral_local.Server()
    with server:
        watchdog = server._watchdog.pid if server._watchdog else 0
        print(server.pid, watchdog, flush=True)
        time.sleep(120)
    """
)


def start_child(guard: str) -> tuple[subprocess.Popen[str], int, int]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, guard], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line, "the child did not start a server"
    server, watchdog = (int(x) for x in line.split())
    assert alive(server)
    return child, server, watchdog


@posix_only
@pytest.mark.parametrize("guard", ["pdeathsig", "watchdog"])
def test_no_orphan_when_the_test_process_is_killed(guard: str) -> None:
    if guard == "pdeathsig" and not sys.platform.startswith("linux"):
        pytest.skip("Linux only")
    child, server, watchdog = start_child(guard)
    child.kill()  # SIGKILL: no atexit, no finally, nothing runs in the child
    child.wait()
    assert gone(server), f"server {server} outlived its parent ({guard})"
    if watchdog:
        assert gone(watchdog)


@posix_only
@pytest.mark.parametrize(
    ("sig", "guard"),
    [(signal.SIGINT, "pdeathsig"), (signal.SIGTERM, "pdeathsig"), (signal.SIGINT, "watchdog")],
)
def test_no_orphan_when_the_test_process_is_interrupted(sig: int, guard: str) -> None:
    if guard == "pdeathsig" and not sys.platform.startswith("linux"):
        pytest.skip("Linux only")
    child, server, watchdog = start_child(guard)
    child.send_signal(sig)  # Ctrl-C (KeyboardInterrupt: the with block stops it) or SIGTERM
    child.wait(timeout=15)
    assert gone(server)
    if watchdog:
        assert gone(watchdog)


@posix_only
def test_no_orphan_when_a_pytest_run_is_killed(tmp_path: pathlib.Path) -> None:
    """A real pytest session using the plugin, killed mid-test with SIGKILL."""
    pidfile = tmp_path / "server.pid"
    (tmp_path / "test_slow.py").write_text(
        textwrap.dedent(
            f"""
            import pathlib, time

            def test_slow(partnercentral):
                pathlib.Path({str(pidfile)!r}).write_text(str(partnercentral.pid))
                time.sleep(120)
            """
        )
    )
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    server = int(pidfile.read_text())
    assert alive(server)
    run.kill()
    run.wait()
    assert gone(server)


@posix_only
def test_a_server_started_from_another_thread_uses_the_watchdog() -> None:
    import threading

    result: dict[str, object] = {}

    def start() -> None:
        server = Server().start()
        result["server"] = server

    thread = threading.Thread(target=start)
    thread.start()
    thread.join()
    server = result["server"]
    assert isinstance(server, Server)
    try:
        # PR_SET_PDEATHSIG fires when the starting *thread* ends: not used off the main thread.
        assert server.running
        assert server._watchdog is not None
    finally:
        server.stop()
