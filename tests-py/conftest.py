"""Shared helpers for the Python comparison tests."""

import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def cxmap_bin():
    return os.environ.get("CXMAP_BIN", str(ROOT / "target" / "debug" / "cxmap"))


@pytest.fixture(scope="session")
def cxmap():
    binary = cxmap_bin()
    if not pathlib.Path(binary).exists():
        pytest.fail(f"cxmap binary not found at {binary}: build it (cargo build -p cxmap-cli) or set CXMAP_BIN")

    def run(*args):
        out = subprocess.run([binary, "analyze", *args, "--format", "json"], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    return run
