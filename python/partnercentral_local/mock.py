"""``mock()``: code that builds its own boto3 clients talks to the emulator, unchanged.

Inside ``with mock():`` (or a function decorated with ``@mock()``) the process environment
points every new ``partnercentral-selling`` client at a partnercentral-local server, with test
credentials and a region, the way AWS's SDKs and CLI read them:

- ``AWS_ENDPOINT_URL_PARTNERCENTRAL_SELLING``: the server's URL (the service-specific endpoint
  variable that boto3, the AWS CLI, the JavaScript and Rust SDKs honour);
- ``AWS_ACCESS_KEY_ID`` (the account id: a 12-digit access key acts for that account),
  ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION`` and ``AWS_REGION``;
- removed: ``AWS_SESSION_TOKEN``, ``AWS_SECURITY_TOKEN``, ``AWS_PROFILE``,
  ``AWS_DEFAULT_PROFILE`` (a real profile's credentials must not be used, nor a missing one
  fail) and ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` (which would disable the endpoint
  variable).

boto3's default session (``boto3.client(...)``) caches credentials, so it is dropped on entry
and put back on exit. Everything is restored afterwards, also when the block raises. The
environment is the process's: do not run two ``mock()`` blocks in different threads at once.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import threading
from collections.abc import Awaitable
from types import TracebackType
from typing import Any, Callable, TypeVar, cast

from .server import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Server

__all__ = ["ENV_CLEARED", "ENV_SET", "Mock", "mock"]

F = TypeVar("F", bound=Callable[..., Any])

#: The variables a mock() sets.
ENV_SET = (
    "AWS_ENDPOINT_URL_PARTNERCENTRAL_SELLING",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
)
#: The variables a mock() removes.
ENV_CLEARED = (
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)

_NO_SESSION = object()
# The servers of the mock() blocks now open, innermost last: a nested mock() reuses them.
_ACTIVE: list[Server] = []
_ACTIVE_LOCK = threading.Lock()


class _Frame:
    """What one entry changed, to undo it."""

    def __init__(self, server: Server, owned: bool) -> None:
        self.server = server
        self.owned = owned
        self.environ: dict[str, str | None] = {}
        self.boto3_session: Any = _NO_SESSION


class Mock:
    """The context manager and decorator :func:`mock` returns.

    Entering it yields the :class:`~partnercentral_local.Server` in use. One ``Mock`` may be
    entered again (or decorate a function called recursively); each entry is undone by its own
    exit.
    """

    def __init__(
        self,
        server: Server | None = None,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region_name: str = DEFAULT_REGION,
        secret_access_key: str = "local",
    ) -> None:
        self._server = server
        self.account_id = account_id
        self.region_name = region_name
        self.secret_access_key = secret_access_key
        self._frames: list[_Frame] = []

    @property
    def server(self) -> Server | None:
        """The server of the innermost open entry (``None`` outside one)."""
        if self._frames:
            return self._frames[-1].server
        return self._server

    def __enter__(self) -> Server:
        owned = False
        server = self._server
        if server is None:
            with _ACTIVE_LOCK:
                server = _ACTIVE[-1] if _ACTIVE else None
        if server is None:
            server = Server().start()
            owned = True
        elif not server.running:
            server.start()
        frame = _Frame(server, owned)
        try:
            values = {
                "AWS_ENDPOINT_URL_PARTNERCENTRAL_SELLING": server.endpoint_url,
                "AWS_ACCESS_KEY_ID": self.account_id,
                "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
                "AWS_DEFAULT_REGION": self.region_name,
                "AWS_REGION": self.region_name,
            }
            for name in (*ENV_SET, *ENV_CLEARED):
                frame.environ[name] = os.environ.get(name)
            for name in ENV_CLEARED:
                os.environ.pop(name, None)
            os.environ.update(values)
            boto3 = sys.modules.get("boto3")
            if boto3 is not None:
                frame.boto3_session = getattr(boto3, "DEFAULT_SESSION", None)
                setattr(boto3, "DEFAULT_SESSION", None)  # noqa: B010 - untyped module attribute
        except BaseException:
            self._undo(frame)
            raise
        self._frames.append(frame)
        with _ACTIVE_LOCK:
            _ACTIVE.append(server)
        return server

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        frame = self._frames.pop()
        with _ACTIVE_LOCK:
            for i in range(len(_ACTIVE) - 1, -1, -1):
                if _ACTIVE[i] is frame.server:
                    del _ACTIVE[i]
                    break
        self._undo(frame)

    @staticmethod
    def _undo(frame: _Frame) -> None:
        try:
            for name, value in frame.environ.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            if frame.boto3_session is not _NO_SESSION:
                boto3 = sys.modules.get("boto3")
                if boto3 is not None:
                    setattr(boto3, "DEFAULT_SESSION", frame.boto3_session)  # noqa: B010
        finally:
            if frame.owned:
                frame.server.stop()

    def _copy(self) -> Mock:
        return Mock(
            self._server,
            account_id=self.account_id,
            region_name=self.region_name,
            secret_access_key=self.secret_access_key,
        )

    def __call__(self, func: F) -> F:
        """Decorates ``func`` (plain or ``async``): each call runs inside a fresh entry."""
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self._copy():
                    return await cast(Callable[..., Awaitable[Any]], func)(*args, **kwargs)

            return cast(F, run_async)

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._copy():
                return func(*args, **kwargs)

        return cast(F, run)


def mock(
    server: Server | None = None,
    *,
    account_id: str = DEFAULT_ACCOUNT_ID,
    region_name: str = DEFAULT_REGION,
    secret_access_key: str = "local",
) -> Mock:
    """Points boto3 (and every AWS SDK that reads the environment) at a partnercentral-local
    server for the duration of a ``with`` block or of each call of a decorated function.

    The server is ``server`` when given (started if it is not running, left running after);
    else the server of an enclosing ``mock()`` block; else a new in-memory server, started on
    entry and stopped on exit. Clients act for ``account_id`` in ``region_name``::

        with mock() as server:
            handler(event, context)      # builds boto3.client("partnercentral-selling")
            server.events("Opportunity Created")

        @mock(account_id="222222222222")
        def test_sync_job(): ...
    """
    return Mock(
        server,
        account_id=account_id,
        region_name=region_name,
        secret_access_key=secret_access_key,
    )
