"""The pytest plugin (registered through the ``pytest11`` entry point: installing the package
is enough).

Fixtures:

- ``partnercentral_server`` (session): one in-memory server for the whole session, started
  the first time a test asks for it and stopped at the end. Extra ``serve`` options come from
  the ``partnercentral_serve_args`` ini option, e.g. ``partnercentral_serve_args =
  --task-delay-ms 200``.
- ``partnercentral`` (function): that server, reset before the test
  (:meth:`~partnercentral_local.Server.reset_all`: records, clock, events, fault rules,
  engagement groups, prospecting results). The usual fixture::

      def test_lifecycle(partnercentral):
          pc = partnercentral.client()
          ...

- ``partnercentral_mock`` (function): the same, with :func:`~partnercentral_local.mock` applied
  for the test, so code that builds its own boto3 clients reaches the server.

Marker: ``@pytest.mark.partnercentral_mock(account_id=..., region_name=...)`` applies
``partnercentral_mock`` to a test (its arguments are ``mock()``'s).

Nothing starts unless a test uses one of these, so the plugin costs nothing elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .mock import mock
from .server import Server

MARKER = "partnercentral_mock"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "partnercentral_serve_args",
        type="args",
        default=[],
        help="extra `partnercentral-local serve` options for the session's server",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(account_id='111111111111', region_name='us-east-1'): run the test inside "
        "partnercentral_local.mock() on the session's (reset) partnercentral-local server",
    )


@pytest.fixture(scope="session")
def partnercentral_server(pytestconfig: pytest.Config) -> Iterator[Server]:
    """One partnercentral-local server for the session (in memory, on a free port)."""
    args = [str(a) for a in pytestconfig.getini("partnercentral_serve_args")]
    with Server(*args) as server:
        yield server


@pytest.fixture
def partnercentral(partnercentral_server: Server) -> Server:
    """The session's server, every record, the clock, events and fault rules reset."""
    if not partnercentral_server.running:
        # It died during an earlier test: a new one on another port, so later tests still run.
        partnercentral_server.start()
    partnercentral_server.reset_all()
    return partnercentral_server


@pytest.fixture
def partnercentral_mock(partnercentral: Server, request: pytest.FixtureRequest) -> Iterator[Server]:
    """The reset server, with ``mock()`` applied for the test (arguments from the
    ``partnercentral_mock`` marker, if any)."""
    marker = request.node.get_closest_marker(MARKER)
    kwargs = dict(marker.kwargs) if marker is not None else {}
    with mock(partnercentral, **kwargs):
        yield partnercentral


@pytest.fixture(autouse=True)
def _partnercentral_mock_marker(request: pytest.FixtureRequest) -> None:
    """Applies ``partnercentral_mock`` to tests carrying its marker."""
    if request.node.get_closest_marker(MARKER) is not None:
        request.getfixturevalue("partnercentral_mock")
