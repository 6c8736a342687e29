"""Settings for the whole suite: no test may fail because the machine is busy.

Hypothesis would otherwise fail a test whose examples take longer than 200 ms
(``deadline``) or whose data generation is slow (``HealthCheck.too_slow``): both are
speed checks, and speed belongs in ``benchmarks/``.

Stable-Baselines3 makes a ``SB3-<date>`` folder in the system's temporary directory
for every model that learns without a log folder of its own; the suite's go under
its own temporary directory (``SB3_LOGDIR``) instead of piling up there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("s2r", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("s2r")


@pytest.fixture(autouse=True, scope="session")
def _sb3_logs_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    mp = pytest.MonkeyPatch()
    mp.setenv("SB3_LOGDIR", str(tmp_path_factory.mktemp("sb3")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    """A Ray started on this machine for the module's tests (the sweep and sysid ones)."""
    ray = pytest.importorskip("ray")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    tmp = tempfile.mkdtemp(prefix="ray")  # short: Ray's socket paths must fit
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=tmp)
    yield ray
    ray.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)
