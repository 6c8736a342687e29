"""The reference firmware builds for the ATmega328P, fits it, and its protocol code
matches the Python codec byte for byte (``make host-test`` on the shared vectors)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIRMWARE = Path(__file__).resolve().parents[2] / "hardware" / "firmware"
FLASH_LIMIT = 32 * 1024 - 512  # 32 KiB minus the Optiboot bootloader of an Uno
RAM_LIMIT = 2048 - 256  # 2 KiB, keeping at least 256 bytes for the stack


def require(tool: str, package: str) -> None:
    """Skip without the tool, but fail in CI (CI set), where it must be installed."""
    if shutil.which(tool):
        return
    reason = f"{tool} not found: apt-get install -y --no-install-recommends {package}"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error)")
    pytest.skip(reason)


def make(target: str, build: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=0"}
    return subprocess.run(
        ["make", "-C", str(FIRMWARE), target, f"BUILD={build}", f"PYTHON={sys.executable}"],
        capture_output=True, text=True, timeout=300, env=env, check=False)


def test_hex_builds_and_fits(tmp_path: Path) -> None:
    require("make", "make")
    require("avr-gcc", "gcc-avr avr-libc")
    require("avr-size", "binutils-avr")
    result = make("hex", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    hex_file = tmp_path / "s2r-fw.hex"
    lines = hex_file.read_text().split()
    assert len(lines) > 10 and all(line.startswith(":") for line in lines)
    assert lines[-1] == ":00000001FF"  # Intel HEX end-of-file record
    program = int(re.search(r"Program:\s+(\d+) bytes", result.stdout).group(1))  # type: ignore[union-attr]
    data = int(re.search(r"Data:\s+(\d+) bytes", result.stdout).group(1))  # type: ignore[union-attr]
    assert 0 < program <= FLASH_LIMIT, f"flash: {program} bytes"
    assert 0 < data <= RAM_LIMIT, f"RAM: {data} bytes of static data"


def test_host_test_matches_python_vectors(tmp_path: Path) -> None:
    require("make", "make")
    require("cc", "gcc")
    result = make("host-test", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(r"host-test: (\d+) checks passed", result.stdout)
    assert match, result.stdout
    assert int(match.group(1)) > 1000  # the bit-flip sweep alone is thousands of checks
