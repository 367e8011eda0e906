"""A short soak in every test run (RELIABILITY.md documents the long one)."""
import importlib.util
import pathlib


def test_mixed_traffic_keeps_memory_and_file_handles_flat():
    path = pathlib.Path(__file__).resolve().parents[1] / "soak.py"
    spec = importlib.util.spec_from_file_location("soak", path)
    soak = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(soak)
    soak.soak(12)
