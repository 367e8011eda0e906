"""partnercentral-local for Python: the AWS Partner Central Selling API emulator, in tests.

- :class:`Server` starts the bundled ``partnercentral-local`` binary on a free port (in memory
  by default), hands out boto3 clients pointed at it (:meth:`Server.client`) and drives its
  control plane (AWS's review, the AWS-side record, referrals, solutions, faults, clock,
  events, state, reset); a context manager.
- :func:`mock` points code that builds its own boto3 clients at a server, through the
  environment, for a ``with`` block or a decorated function.
- The pytest plugin (loaded automatically) offers the fixtures ``partnercentral``,
  ``partnercentral_server`` and ``partnercentral_mock`` and the marker
  ``partnercentral_mock``.
- :func:`sample_opportunity` is a CreateOpportunity body AWS accepts and lets you submit.

Nothing in the package downloads anything: the binary is in the wheel.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .mock import Mock, mock
from .samples import sample_opportunity
from .server import (
    BIN_ENV,
    DEFAULT_ACCOUNT_ID,
    DEFAULT_CATALOG,
    DEFAULT_REGION,
    AdminError,
    BinaryNotFoundError,
    PartnerCentralLocalError,
    Server,
    ServerStartError,
    find_binary,
)

try:
    __version__ = version("partnercentral-local")
except PackageNotFoundError:  # pragma: no cover - imported from a source tree
    __version__ = "0+unknown"

__all__ = [
    "BIN_ENV",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_CATALOG",
    "DEFAULT_REGION",
    "AdminError",
    "BinaryNotFoundError",
    "Mock",
    "PartnerCentralLocalError",
    "Server",
    "ServerStartError",
    "__version__",
    "find_binary",
    "mock",
    "sample_opportunity",
]
