"""One partnercentral-local server process: start it, reach it, drive its control plane, stop it.

The server is the ``partnercentral-local`` binary this package installs (or the one
``PARTNERCENTRAL_LOCAL_BIN`` names). It listens on a free loopback port (``--listen
127.0.0.1:0``), keeps its state in memory unless told otherwise, and is ready when it prints
``partnercentral-local listening on http://HOST:PORT`` on stdout. Nothing here downloads
anything.

A server never outlives the Python process that started it: :meth:`Server.stop` (or leaving
the ``with`` block) stops it, an ``atexit`` hook stops any still running, and a process that is
killed outright (SIGKILL, a crash) takes its servers with it: on Linux through the kernel
(``PR_SET_PDEATHSIG``), elsewhere through a small watchdog process that notices its parent is
gone.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import http.client
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Mapping
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Callable, Union

if TYPE_CHECKING:
    from mypy_boto3_partnercentral_selling.client import PartnerCentralSellingAPIClient

__all__ = [
    "BIN_ENV",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_CATALOG",
    "DEFAULT_REGION",
    "AdminError",
    "BinaryNotFoundError",
    "PartnerCentralLocalError",
    "Server",
    "ServerStartError",
    "find_binary",
]

#: The environment variable that names the binary to run instead of the installed one (the
#: repository's own test suite uses it too).
BIN_ENV = "PARTNERCENTRAL_LOCAL_BIN"
#: The partner account a client acts for unless told otherwise (a 12-digit access key id is
#: taken as the account id).
DEFAULT_ACCOUNT_ID = "111111111111"
#: The catalog the control-plane helpers address unless told otherwise.
DEFAULT_CATALOG = "Sandbox"
#: The region clients are configured with unless told otherwise.
DEFAULT_REGION = "us-east-1"
#: The service name boto3 knows the API by.
SERVICE_NAME = "partnercentral-selling"

_EXE = "partnercentral-local" + (".exe" if os.name == "nt" else "")
_READY = "partnercentral-local listening on "
# The server reads every serve option from PARTNERCENTRAL_LOCAL_* variables as well; a Server
# is configured by its arguments alone, so those of the caller's environment are not passed on.
_SERVE_ENV_PREFIX = "PARTNERCENTRAL_LOCAL_"
_STDERR_TAIL = 4000

OptionValue = Union[str, int, float, bool, "os.PathLike[str]", None]
JSONObject = dict[str, Any]


class PartnerCentralLocalError(Exception):
    """Base class of this package's errors."""


class ServerStartError(PartnerCentralLocalError):
    """The server did not start: the binary is missing or cannot run, the address cannot be
    bound, an option is refused, or it exited or hung before saying it was ready.

    ``stderr`` holds what the server wrote to stderr (also in the message, its last lines),
    ``returncode`` its exit status when it exited.
    """

    def __init__(self, message: str, *, stderr: str = "", returncode: int | None = None) -> None:
        self.stderr = stderr
        self.returncode = returncode
        text = message
        if stderr.strip():
            tail = stderr.strip()
            if len(tail) > _STDERR_TAIL:
                tail = "..." + tail[-_STDERR_TAIL:]
            text += "\n--- server stderr ---\n" + tail
        super().__init__(text)


class BinaryNotFoundError(ServerStartError):
    """No runnable ``partnercentral-local`` binary was found."""


class AdminError(PartnerCentralLocalError):
    """The control plane refused a request (any 4xx or 5xx answer).

    ``status`` is the HTTP status, ``error`` the server's own explanation (its ``{"error":
    ...}`` body), ``method`` and ``path`` the request.
    """

    def __init__(self, status: int, error: str, method: str, path: str) -> None:
        self.status = status
        self.error = error
        self.method = method
        self.path = path
        super().__init__(f"{method} {path} answered {status}: {error}")


def _scripts_dirs() -> list[str]:
    """Where pip puts this distribution's scripts: the environment's, then the user's."""
    dirs: list[str] = []
    with contextlib.suppress(KeyError):  # every scheme has one
        dirs.append(sysconfig.get_path("scripts"))
    user_scheme = f"{os.name}_user"
    get_preferred = getattr(sysconfig, "get_preferred_scheme", None)
    if get_preferred is not None:
        user_scheme = get_preferred("user")
    with contextlib.suppress(KeyError):  # a platform without a user scheme
        dirs.append(sysconfig.get_path("scripts", user_scheme))
    dirs.append(os.path.dirname(sys.executable))
    return [d for i, d in enumerate(dirs) if d and d not in dirs[:i]]


def _check_runnable(path: str, where: str) -> str:
    if not os.path.exists(path):
        raise BinaryNotFoundError(f"{where} names {path!r}, which does not exist")
    if os.path.isdir(path):
        raise BinaryNotFoundError(f"{where} names {path!r}, which is a directory")
    if not os.access(path, os.X_OK):
        raise BinaryNotFoundError(f"{where} names {path!r}, which is not executable")
    return path


def find_binary(binary: str | os.PathLike[str] | None = None) -> str:
    """The path of the ``partnercentral-local`` binary to run.

    In order: ``binary`` when given; the file ``PARTNERCENTRAL_LOCAL_BIN`` names; the one this
    distribution installed (the environment's scripts directory, then the user's); the first on
    ``PATH``. A binary that was named but is missing or not executable is an error, never
    silently replaced by another.

    Raises:
        BinaryNotFoundError: nothing runnable was found.
    """
    if binary is not None:
        return _check_runnable(os.fspath(binary), "binary")
    named = os.environ.get(BIN_ENV)
    if named:
        return _check_runnable(named, BIN_ENV)
    for directory in _scripts_dirs():
        candidate = os.path.join(directory, _EXE)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    on_path = shutil.which(_EXE)
    if on_path:
        return on_path
    raise BinaryNotFoundError(
        f"no {_EXE} binary: not in {', '.join(_scripts_dirs())} nor on PATH. Install the "
        f"partnercentral-local wheel for this platform, or set {BIN_ENV} to a binary built "
        "with `cargo build`"
    )


def _option_args(options: Mapping[str, OptionValue]) -> list[str]:
    """``task_delay_ms=500`` → ``--task-delay-ms 500``; ``True`` → the bare flag; ``None`` and
    ``False`` → nothing."""
    args: list[str] = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        else:
            args += [flag, os.fspath(value) if isinstance(value, os.PathLike) else str(value)]
    return args


def _iso_duration(by: datetime.timedelta | str) -> str:
    if isinstance(by, str):
        return by
    if by < datetime.timedelta(0):
        raise ValueError("the clock only advances; use set_clock() to move it back")
    millis = round(by.total_seconds() * 1000)
    days, millis = divmod(millis, 86_400_000)
    text = f"P{days}D" if days else "P"
    if millis or not days:
        seconds = millis / 1000
        text += "T" + (f"{int(seconds)}S" if seconds == int(seconds) else f"{seconds:.3f}S")
    return text


def _quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


# Every server this process started and has not stopped: stopped at interpreter exit.
_LIVE: set[Server] = set()
_LIVE_LOCK = threading.Lock()


@atexit.register
def _stop_all() -> None:
    with _LIVE_LOCK:
        servers = list(_LIVE)
    for server in servers:
        with contextlib.suppress(Exception):  # best effort at exit
            server.stop()


# A watchdog for platforms without PR_SET_PDEATHSIG: it blocks on a pipe from the process that
# started the server; a byte means "stopped cleanly, go away", end of file means that process
# died, so it stops the server (SIGTERM, then SIGKILL after 5 s) and exits.
_WATCHDOG = """
import os, signal, sys, time
pid = int(sys.argv[1])
if sys.stdin.buffer.read(1):
    sys.exit(0)
def alive():
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False
if os.name == "nt":
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        pass
    sys.exit(0)
try:
    os.killpg(pid, signal.SIGTERM)
except OSError:
    sys.exit(0)
deadline = time.monotonic() + 5
while alive() and time.monotonic() < deadline:
    time.sleep(0.05)
try:
    os.killpg(pid, signal.SIGKILL)
except OSError:
    pass
"""


def _pdeathsig_preexec() -> Callable[[], None] | None:
    """On Linux, a ``preexec_fn`` that has the kernel SIGKILL the child when this process dies
    (and kills it at once if that already happened). ``None`` elsewhere or if unavailable."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - no libc prctl
        return None
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


class Server:
    """A ``partnercentral-local serve`` process on a free loopback port.

    Usable as a context manager (``with Server() as server: ...`` starts and stops it) or
    through :meth:`start` and :meth:`stop`. Any ``serve`` option can be given, as keyword
    arguments (``task_delay_ms=500`` is ``--task-delay-ms 500``, ``True`` a bare flag) or as
    raw arguments (``Server("--quotas", "aws")``)::

        with Server(error_status="model") as server:
            pc = server.client()                   # boto3, pointed at the server
            oid = pc.create_opportunity(...)["Id"]
            server.approve(oid)                    # play AWS's part

    Storage is in memory unless ``data_dir`` (or ``in_memory=False``) is given. The server is
    configured by these arguments alone: ``PARTNERCENTRAL_LOCAL_*`` variables of the
    environment are not passed on to it (``env`` may add any).

    Args:
        *args: extra ``serve`` arguments, passed as they are.
        binary: the binary to run (default: see :func:`find_binary`).
        listen: ``HOST:PORT`` to listen on; port 0 (the default) lets the system pick a free one.
        in_memory: keep everything in memory (default: ``True`` unless ``data_dir`` is given).
        admin_token: require ``Authorization: Bearer TOKEN`` on the control plane; the helpers
            send it.
        env: variables added to the server's environment (e.g. ``{"RUST_LOG": "debug"}``).
        startup_timeout: seconds to wait for the ready line before giving up.
        request_timeout: seconds a control-plane call may take.
        **options: any other ``serve`` option, by its long name with ``_`` for ``-``.
    """

    # How a killed parent takes the server with it: "pdeathsig" (Linux, main thread),
    # "watchdog", or None to choose. Tests set it to exercise both.
    _orphan_guard: str | None = None

    def __init__(
        self,
        *args: str,
        binary: str | os.PathLike[str] | None = None,
        listen: str = "127.0.0.1:0",
        in_memory: bool | None = None,
        admin_token: str | None = None,
        env: Mapping[str, str] | None = None,
        startup_timeout: float = 30.0,
        request_timeout: float = 60.0,
        **options: OptionValue,
    ) -> None:
        self._binary = binary
        self._args = [str(a) for a in args]
        self._listen = listen
        if in_memory is None:
            in_memory = options.get("data_dir") is None and not any(
                a == "--data-dir" or a.startswith("--data-dir=") for a in self._args
            )
        self._in_memory = in_memory
        self.admin_token = admin_token
        self._env = dict(env or {})
        self.startup_timeout = startup_timeout
        self.request_timeout = request_timeout
        self._options = dict(options)
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._url: str | None = None
        self._host = ""
        self._port = 0
        self._lock = threading.Lock()
        self._cmd: list[str] = []

    # -- the process -------------------------------------------------------------------------

    @property
    def command(self) -> list[str]:
        """The command line the server is (or would be) started with."""
        cmd = [find_binary(self._binary), "serve", "--listen", self._listen]
        if self._in_memory:
            cmd.append("--in-memory")
        if self.admin_token is not None:
            cmd += ["--admin-token", self.admin_token]
        return cmd + _option_args(self._options) + self._args

    def start(self) -> Server:
        """Starts the server and waits until it is ready; returns ``self``.

        Raises:
            ServerStartError: the server could not start (its stderr is in the exception);
                no process is left behind.
        """
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                return self
            cmd = self._cmd = self.command
            env = {k: v for k, v in os.environ.items() if not k.startswith(_SERVE_ENV_PREFIX)}
            env.update(self._env)
            # Kept open for the server's life (and after, for logs()); closed when collected.
            self._stderr = tempfile.TemporaryFile(  # noqa: SIM115
                prefix="partnercentral-local-", suffix=".log"
            )
            guard = self._orphan_guard
            if guard is None:
                on_main = threading.current_thread() is threading.main_thread()
                guard = "pdeathsig" if on_main and sys.platform.startswith("linux") else "watchdog"
            popen: dict[str, Any] = {}
            if os.name == "nt":
                popen["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined,unused-ignore]
            else:
                # Its own process group: a terminal's Ctrl-C goes to the test runner, which
                # stops the server itself, and stop() can signal the whole group.
                popen["start_new_session"] = True
                if guard == "pdeathsig":
                    preexec = _pdeathsig_preexec()
                    if preexec is None:
                        guard = "watchdog"
                    else:
                        popen["preexec_fn"] = preexec
            try:
                proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=self._stderr,
                    env=env,
                    **popen,
                )
            except OSError as e:
                raise ServerStartError(f"cannot run {cmd[0]}: {e}") from e
            self._proc = proc
            with _LIVE_LOCK:
                _LIVE.add(self)
            if guard == "watchdog":
                self._start_watchdog(proc.pid)
            try:
                self._wait_ready(proc)
            except BaseException:
                self._terminate(kill=True)
                raise
            return self

    def _shown_command(self) -> str:
        """The command line for messages, the admin token masked."""
        token = self.admin_token
        return " ".join("***" if token is not None and a == token else a for a in self._cmd)

    def _start_watchdog(self, pid: int) -> None:
        popen: dict[str, Any] = {}
        if os.name == "nt":
            popen["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined,unused-ignore]
        else:
            popen["start_new_session"] = True
        try:
            self._watchdog = subprocess.Popen(
                [sys.executable, "-S", "-c", _WATCHDOG, str(pid)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                **popen,
            )
        except OSError:  # pragma: no cover - no interpreter to run: atexit still stops it
            self._watchdog = None

    def _wait_ready(self, proc: subprocess.Popen[bytes]) -> None:
        lines: queue.Queue[bytes | None] = queue.Queue()
        stdout = proc.stdout
        assert stdout is not None

        def read() -> None:
            # Reads the ready line, then drains stdout until the server closes it.
            with stdout:
                for raw in stdout:
                    lines.put(raw)
            lines.put(None)

        threading.Thread(target=read, name=f"partnercentral-local-{proc.pid}", daemon=True).start()
        deadline = time.monotonic() + self.startup_timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                raw = lines.get(timeout=max(remaining, 0))
            except queue.Empty:
                raise ServerStartError(
                    f"the server did not say it was ready within {self.startup_timeout:g} s "
                    f"({self._shown_command()})",
                    stderr=self.logs(),
                ) from None
            if raw is None:
                try:
                    code = proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    code = None
                raise ServerStartError(
                    f"the server exited before it was ready (exit status {code}): "
                    f"{self._shown_command()}",
                    stderr=self.logs(),
                    returncode=code,
                )
            line = raw.decode("utf-8", "replace").strip()
            if line.startswith(_READY):
                url = line[len(_READY) :].strip()
                parts = urllib.parse.urlsplit(url)
                if parts.hostname is None or parts.port is None:
                    raise ServerStartError(f"unreadable ready line {line!r}", stderr=self.logs())
                self._url = url
                self._host = parts.hostname
                self._port = parts.port
                return

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stops the server (SIGTERM: it finishes in-flight requests; SIGKILL after
        ``timeout`` seconds) and returns its exit status (0 for a clean stop), or ``None`` if
        it was never started. Safe to call more than once."""
        with self._lock:
            return self._terminate(timeout=timeout)

    def _terminate(self, *, timeout: float = 10.0, kill: bool = False) -> int | None:
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            try:
                if kill:
                    proc.kill()
                else:
                    proc.terminate()
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            except OSError:  # pragma: no cover - it exited meanwhile
                proc.wait()
        if os.name != "nt":
            # Anything left in its process group goes with it (the server starts none).
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
        if self._watchdog is not None:
            watchdog, self._watchdog = self._watchdog, None
            try:
                assert watchdog.stdin is not None
                watchdog.stdin.write(b"x")
                watchdog.stdin.close()
            except OSError:  # pragma: no cover - it is already gone
                pass
            try:
                watchdog.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover
                watchdog.kill()
                watchdog.wait()
        with _LIVE_LOCK:
            _LIVE.discard(self)
        return proc.returncode

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"running at {self._url}" if self.running else "stopped"
        return f"<partnercentral_local.Server {state}>"

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The server's process id (``None`` before it started)."""
        return self._proc.pid if self._proc is not None else None

    @property
    def returncode(self) -> int | None:
        """The exit status once the process ended, else ``None``."""
        return self._proc.poll() if self._proc is not None else None

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:PORT``: the URL to give an AWS client as its endpoint."""
        if self._url is None:
            raise PartnerCentralLocalError("the server has not been started")
        return self._url

    @property
    def port(self) -> int:
        """The port the server listens on."""
        self.endpoint_url  # noqa: B018 - raises when not started
        return self._port

    def logs(self) -> str:
        """Everything the server wrote to stderr so far (one line per request, at ``info``)."""
        if self._stderr is None:
            return ""
        self._stderr.flush()
        return (
            os.pread(self._stderr.fileno(), 1 << 30, 0).decode("utf-8", "replace")
            if hasattr(os, "pread")
            else self._read_log_seek()
        )

    def _read_log_seek(self) -> str:  # pragma: no cover - Windows
        assert self._stderr is not None
        position = self._stderr.tell()
        self._stderr.seek(0)
        data = self._stderr.read()
        self._stderr.seek(position)
        return data.decode("utf-8", "replace")

    # -- clients -----------------------------------------------------------------------------

    def client(
        self,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region_name: str = DEFAULT_REGION,
        **kw: Any,
    ) -> PartnerCentralSellingAPIClient:
        """A boto3 ``partnercentral-selling`` client pointed at this server, acting for
        ``account_id`` (its access key id; the secret is ``"local"`` unless
        ``aws_secret_access_key`` is given). Other keyword arguments go to ``boto3.client``
        (``config=botocore.config.Config(...)``, ``aws_session_token``, ...). The client
        ignores ``AWS_PROFILE``: whatever profile the environment names, it is not used."""
        import boto3.session
        import botocore.session

        kw.setdefault("aws_access_key_id", account_id)
        kw.setdefault("aws_secret_access_key", "local")
        kw.setdefault("endpoint_url", self.endpoint_url)
        core = botocore.session.Session()
        # The environment's AWS_PROFILE names a real account's profile (or one that does not
        # exist here, which would fail): the emulator's clients use none.
        with contextlib.suppress(Exception):
            from botocore.configprovider import ConstantProvider

            store = core.get_component("config_store")
            store.set_config_provider("profile", ConstantProvider(None))
        session = boto3.session.Session(botocore_session=core)
        return session.client("partnercentral-selling", region_name=region_name, **kw)

    # -- the control plane -------------------------------------------------------------------

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """One control-plane call: ``method`` on ``/_admin`` + ``path`` with ``body`` as JSON
        (a ``str`` or ``bytes`` body is sent as it is). Returns the parsed JSON answer.

        Raises:
            AdminError: the answer was 4xx or 5xx; it carries the server's ``error``.
        """
        if not path.startswith("/"):
            path = "/" + path
        full = "/_admin" + path if not path.startswith("/_admin") else path
        data: bytes | None
        if body is None:
            data = None
        elif isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.admin_token is not None:
            headers["Authorization"] = f"Bearer {self.admin_token}"
        connection = http.client.HTTPConnection(self._host, self.port, timeout=self.request_timeout)
        try:
            connection.request(method, full, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            status = response.status
        finally:
            connection.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        if status >= 400:
            error = parsed.get("error") if isinstance(parsed, dict) else None
            raise AdminError(status, str(error if error is not None else parsed), method, full)
        return parsed

    def _scope(self, account_id: str, catalog: str) -> str:
        return f"/accounts/{_quote(account_id)}/catalogs/{_quote(catalog)}"

    def health(self) -> JSONObject:
        """``GET /_admin/health``: status, version, storage, model, operation counts."""
        result: JSONObject = self.admin("GET", "/health")
        return result

    def operations(self) -> list[JSONObject]:
        """Every operation of the model: ``{"name", "implemented", "quota",
        "idempotencyToken"}``."""
        result: list[JSONObject] = self.admin("GET", "/operations")["operations"]
        return result

    def reset(self, *, account_id: str | None = None, catalog: str | None = None) -> None:
        """``POST /_admin/reset``: wipes every record (and returns the clock to real time and
        empties the event log); ``account_id`` and/or ``catalog`` narrow it. Ids are never
        reused."""
        body = {k: v for k, v in (("accountId", account_id), ("catalog", catalog)) if v is not None}
        self.admin("POST", "/reset", body)

    def reset_all(self) -> None:
        """Everything a test may have changed, back to a new server's: every record, the
        clock and the event log (:meth:`reset`), the fault rules, and the engagement groups and
        prospecting results of both catalogs. Partner profiles (``/accounts/{id}/profile``)
        stay. The pytest plugin runs this before each test."""
        self.reset()
        self.clear_faults()
        for catalog in ("AWS", "Sandbox"):
            self.admin("DELETE", f"/catalogs/{catalog}/engagement-groups")
            self.admin("DELETE", f"/catalogs/{catalog}/prospecting")

    def review(
        self,
        opportunity_id: str,
        status: str,
        *,
        comments: str | None = None,
        reason: str | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        catalog: str = DEFAULT_CATALOG,
    ) -> JSONObject:
        """AWS's review decision on a submitted opportunity: ``status`` is ``"In review"``,
        ``"Approved"``, ``"Action Required"`` or ``"Rejected"``. ``Approved`` creates the AWS
        opportunity (its summary becomes readable). Returns the server's answer."""
        body: JSONObject = {"ReviewStatus": status}
        if comments is not None:
            body["ReviewComments"] = comments
        if reason is not None:
            body["ReviewStatusReason"] = reason
        path = f"{self._scope(account_id, catalog)}/opportunities/{_quote(opportunity_id)}/review"
        result: JSONObject = self.admin("POST", path, body)
        return result

    def approve(
        self,
        opportunity_id: str,
        *,
        comments: str | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        catalog: str = DEFAULT_CATALOG,
    ) -> JSONObject:
        """AWS approves a submitted opportunity: ``review(opportunity_id, "Approved")``."""
        return self.review(
            opportunity_id, "Approved", comments=comments, account_id=account_id, catalog=catalog
        )

    def _aws_path(self, opportunity_id: str, account_id: str, catalog: str) -> str:
        return f"{self._scope(account_id, catalog)}/aws-opportunities/{_quote(opportunity_id)}"

    def aws_opportunity(
        self,
        opportunity_id: str,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        catalog: str = DEFAULT_CATALOG,
    ) -> JSONObject:
        """The AWS-side record behind GetAwsOpportunitySummary, in its own member names."""
        result: JSONObject = self.admin("GET", self._aws_path(opportunity_id, account_id, catalog))
        return result

    def put_aws_opportunity(
        self,
        opportunity_id: str,
        record: Mapping[str, Any],
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        catalog: str = DEFAULT_CATALOG,
    ) -> JSONObject:
        """Replaces the AWS-side record (for an opportunity that does not exist: a standalone
        summary, a fixture)."""
        path = self._aws_path(opportunity_id, account_id, catalog)
        result: JSONObject = self.admin("PUT", path, dict(record))
        return result

    def patch_aws_opportunity(
        self,
        opportunity_id: str,
        patch: Mapping[str, Any],
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        catalog: str = DEFAULT_CATALOG,
    ) -> JSONObject:
        """Changes the AWS-side record by a JSON merge patch (RFC 7386: ``None`` removes a
        member, lists are replaced), e.g. ``{"LifeCycle": {"Stage": "Qualified"}}``."""
        path = self._aws_path(opportunity_id, account_id, catalog)
        result: JSONObject = self.admin("PATCH", path, dict(patch))
        return result

    def delete_aws_opportunity(
        self,
        opportunity_id: str,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        catalog: str = DEFAULT_CATALOG,
    ) -> None:
        """Removes the AWS-side record."""
        self.admin("DELETE", self._aws_path(opportunity_id, account_id, catalog))

    def send_invitation(
        self,
        body: Mapping[str, Any],
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        catalog: str = DEFAULT_CATALOG,
    ) -> JSONObject:
        """AWS (or another account) sends ``account_id`` an engagement invitation; ``body`` is
        the control plane's (exactly one of ``Opportunity`` or ``LeadInvitation``, and the
        optional ``SenderAwsAccountId``, ``Message``, ...). See :meth:`refer` and
        :meth:`send_lead`."""
        path = f"{self._scope(account_id, catalog)}/invitations"
        result: JSONObject = self.admin("POST", path, dict(body))
        return result

    @staticmethod
    def _invitation_extras(
        sender_aws_account_id: str | None,
        sender_company_name: str | None,
        message: str | None,
        receiver_alias: str | None,
        engagement_title: str | None,
        engagement_description: str | None,
        invitation_id: str | None,
    ) -> JSONObject:
        members = {
            "SenderAwsAccountId": sender_aws_account_id,
            "SenderCompanyName": sender_company_name,
            "Message": message,
            "ReceiverAlias": receiver_alias,
            "EngagementTitle": engagement_title,
            "EngagementDescription": engagement_description,
            "InvitationId": invitation_id,
        }
        return {k: v for k, v in members.items() if v is not None}

    def refer(
        self,
        opportunity: Mapping[str, Any],
        *,
        sender_aws_account_id: str | None = None,
        sender_company_name: str | None = None,
        message: str | None = None,
        receiver_alias: str | None = None,
        engagement_title: str | None = None,
        engagement_description: str | None = None,
        invitation_id: str | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        catalog: str = DEFAULT_CATALOG,
    ) -> JSONObject:
        """AWS refers an opportunity to ``account_id``: a PENDING engagement invitation.
        ``opportunity`` holds CreateOpportunity's members without ``Catalog``,
        ``ClientToken`` and ``Origin``. Returns ``{"InvitationId", "InvitationArn",
        "EngagementId", "EngagementArn", "PayloadType", "OpportunityId"}`` (the id the
        opportunity gets once accepted)."""
        body = {"Opportunity": dict(opportunity)}
        body.update(
            self._invitation_extras(
                sender_aws_account_id,
                sender_company_name,
                message,
                receiver_alias,
                engagement_title,
                engagement_description,
                invitation_id,
            )
        )
        return self.send_invitation(body, account_id=account_id, catalog=catalog)

    def send_lead(
        self,
        lead_invitation: Mapping[str, Any],
        *,
        lead_contact: Mapping[str, Any] | None = None,
        sender_aws_account_id: str | None = None,
        sender_company_name: str | None = None,
        message: str | None = None,
        receiver_alias: str | None = None,
        engagement_title: str | None = None,
        engagement_description: str | None = None,
        invitation_id: str | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        catalog: str = DEFAULT_CATALOG,
    ) -> JSONObject:
        """AWS shares a lead with ``account_id``: ``lead_invitation`` is a
        ``LeadInvitationPayload``, ``lead_contact`` (a ``LeadContact``) what the lead's
        engagement context reveals."""
        body: JSONObject = {"LeadInvitation": dict(lead_invitation)}
        if lead_contact is not None:
            body["LeadContact"] = dict(lead_contact)
        body.update(
            self._invitation_extras(
                sender_aws_account_id,
                sender_company_name,
                message,
                receiver_alias,
                engagement_title,
                engagement_description,
                invitation_id,
            )
        )
        return self.send_invitation(body, account_id=account_id, catalog=catalog)

    def solutions(
        self, *, account_id: str = DEFAULT_ACCOUNT_ID, catalog: str = DEFAULT_CATALOG
    ) -> list[JSONObject]:
        """The solutions AWS lists for the account (what ListSolutions answers)."""
        answer = self.admin("GET", f"{self._scope(account_id, catalog)}/solutions")
        result: list[JSONObject] = answer["SolutionSummaries"]
        return result

    def add_solution(
        self,
        name: str,
        category: str,
        *,
        solution_id: str | None = None,
        status: str | None = None,
        created_date: str | datetime.datetime | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        catalog: str = DEFAULT_CATALOG,
    ) -> JSONObject:
        """Adds a solution AWS lists for the account (then associable with
        AssociateOpportunity); returns it with its ``Id``."""
        body: JSONObject = {"Name": name, "Category": category}
        if solution_id is not None:
            body["Id"] = solution_id
        if status is not None:
            body["Status"] = status
        if created_date is not None:
            body["CreatedDate"] = (
                created_date.isoformat()
                if isinstance(created_date, datetime.datetime)
                else created_date
            )
        result: JSONObject = self.admin(
            "POST", f"{self._scope(account_id, catalog)}/solutions", body
        )
        return result

    def faults(self) -> list[JSONObject]:
        """The fault rules in force."""
        result: list[JSONObject] = self.admin("GET", "/faults")["faults"]
        return result

    def add_fault(
        self,
        operation: str = "*",
        *,
        error: str | None = None,
        message: str | None = None,
        latency_ms: int | None = None,
        probability: float | None = None,
        count: int | None = None,
        account_id: str | None = None,
    ) -> JSONObject:
        """Makes matching API calls fail with ``error`` (an error the operation models, or
        ``InternalServerException``) and/or wait ``latency_ms``; ``count`` uses before the rule
        expires, ``probability`` (0..1) of hitting a matching call. Returns the rule with its
        ``id``."""
        members = {
            "operation": operation,
            "error": error,
            "message": message,
            "latencyMs": latency_ms,
            "probability": probability,
            "count": count,
            "accountId": account_id,
        }
        body = {k: v for k, v in members.items() if v is not None}
        result: JSONObject = self.admin("POST", "/faults", body)
        return result

    def remove_fault(self, fault_id: str) -> None:
        """Removes one fault rule (:class:`AdminError` 404 if there is none with that id)."""
        self.admin("DELETE", f"/faults/{_quote(fault_id)}")

    def clear_faults(self) -> int:
        """Removes every fault rule; returns how many there were."""
        removed: int = self.admin("DELETE", "/faults")["removed"]
        return removed

    def clock(self) -> JSONObject:
        """The service clock: ``{"now", "mode": "real" | "offset", "offsetMs"}``."""
        result: JSONObject = self.admin("GET", "/clock")
        return result

    def set_clock(self, now: datetime.datetime | str) -> JSONObject:
        """Sets the service clock to ``now`` (an aware datetime, or RFC 3339 text); it keeps
        running from there. Invitations and tasks that became due are settled."""
        if isinstance(now, datetime.datetime):
            if now.tzinfo is None:
                raise ValueError("set_clock needs an aware datetime (e.g. tzinfo=timezone.utc)")
            now = now.isoformat()
        result: JSONObject = self.admin("POST", "/clock", {"now": now})
        return result

    def advance_clock(self, by: datetime.timedelta | str) -> JSONObject:
        """Moves the service clock forward by ``by`` (a timedelta, or an ISO 8601 duration such
        as ``"P16D"``), e.g. past an invitation's 15-day expiry."""
        result: JSONObject = self.admin("POST", "/clock", {"advance": _iso_duration(by)})
        return result

    def reset_clock(self) -> JSONObject:
        """Returns the service clock to real time."""
        result: JSONObject = self.admin("DELETE", "/clock")
        return result

    def events(self, detail_type: str | None = None) -> list[JSONObject]:
        """The EventBridge events emitted so far, oldest first; only those of ``detail_type``
        (e.g. ``"Opportunity Updated"``) when given."""
        events: list[JSONObject] = self.admin("GET", "/events")["events"]
        if detail_type is not None:
            events = [e for e in events if e.get("detail-type") == detail_type]
        return events

    def state(self) -> JSONObject:
        """Every record as one versioned state document (``GET /_admin/state``)."""
        result: JSONObject = self.admin("GET", "/state")
        return result

    def load_state(self, document: Mapping[str, Any] | str | bytes) -> JSONObject:
        """Replaces everything with a state document (as :meth:`state` returns it, or its JSON
        text): all of it or, on any error, nothing. Returns ``{"imported": counts}``."""
        body: JSONObject | str | bytes = (
            dict(document) if isinstance(document, Mapping) else document
        )
        result: JSONObject = self.admin("PUT", "/state", body)
        return result
