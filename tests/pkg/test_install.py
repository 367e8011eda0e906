"""What `pip install` of the wheel gives: the binary on PATH and the package, from the
installed distribution (not from the source tree), without a Rust toolchain."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig
from importlib.metadata import distribution

import pytest

import partnercentral_local

ROOT = pathlib.Path(__file__).resolve().parents[2]
INSTALLED = os.environ.get("PARTNERCENTRAL_LOCAL_PKG_INSTALLED") == "1"
installed_only = pytest.mark.skipif(
    not INSTALLED, reason="run by scripts/python-package in a fresh environment"
)


@installed_only
def test_the_package_comes_from_the_installed_wheel() -> None:
    package = pathlib.Path(partnercentral_local.__file__).resolve().parent
    assert pathlib.Path(sysconfig.get_path("purelib")).resolve() in package.parents
    assert ROOT not in package.parents
    assert (package / "py.typed").is_file()


@installed_only
def test_the_binary_is_installed_on_path() -> None:
    assert "PARTNERCENTRAL_LOCAL_BIN" not in os.environ
    expected = os.path.join(sysconfig.get_path("scripts"), "partnercentral-local")
    assert partnercentral_local.find_binary() == expected
    assert shutil.which("partnercentral-local") == expected
    out = subprocess.run(
        ["partnercentral-local", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"partnercentral-local {partnercentral_local.__version__}"


@installed_only
def test_no_rust_toolchain_is_needed() -> None:
    assert shutil.which("cargo") is None
    assert shutil.which("rustc") is None


def test_the_version_is_the_crates() -> None:
    cargo = (ROOT / "Cargo.toml").read_text()
    crate_version = cargo.split('version = "', 1)[1].split('"', 1)[0]
    assert partnercentral_local.__version__ == crate_version


def test_the_pytest_plugin_is_registered() -> None:
    points = distribution("partnercentral-local").entry_points
    plugins = [e for e in points if e.group == "pytest11"]
    assert [(e.name, e.value) for e in plugins] == [
        ("partnercentral_local", "partnercentral_local.plugin")
    ]


def test_boto3_is_a_dependency() -> None:
    requires = distribution("partnercentral-local").requires or []
    assert any(r.replace(" ", "").startswith("boto3>=") for r in requires)
    assert sys.version_info >= (3, 9)
