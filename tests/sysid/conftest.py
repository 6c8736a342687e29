"""Fixtures of the sysid tests: logs recorded from a SimRobot with known parameters."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sysid_logs import record


@pytest.fixture(scope="session")
def furuta_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 s of the furuta with sysid_logs.TRUTH, one episode."""
    return record(tmp_path_factory.mktemp("sysid") / "truth.s2r.csv", 8.0)


@pytest.fixture
def recorder(tmp_path: Path) -> Callable[..., Path]:
    return lambda name, seconds, **kw: record(tmp_path / name, seconds, **kw)
