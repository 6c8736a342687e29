"""Settings for the whole suite: no test may fail because the machine is busy.

Hypothesis would otherwise fail a test whose examples take longer than 200 ms
(``deadline``) or whose data generation is slow (``HealthCheck.too_slow``): both are
speed checks, and speed belongs in ``benchmarks/``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile("s2r", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("s2r")
