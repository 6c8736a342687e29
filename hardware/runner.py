"""The fixed-rate runner, kept under its old name: the code lives in :mod:`s2r.runner`.

Simulation and hardware run episodes through one runner (the same task, safety layer
and log writer; pacing only on hardware), so it belongs to the s2r core;
``hardware.runner`` re-exports it for existing imports.

>>> from hardware.runner import run_task
>>> import s2r.runner
>>> run_task is s2r.runner.run_task
True
"""

from __future__ import annotations

from s2r.runner import (
    EXTRA_COLUMNS,
    TASK_COLUMNS,
    Pacer,
    RunResult,
    StopSignal,
    TimingStats,
    end_reason,
    run_signal,
    run_task,
    stop_on_signals,
    timing_line,
    timing_warning,
)

__all__ = ["EXTRA_COLUMNS", "TASK_COLUMNS", "Pacer", "RunResult", "StopSignal", "TimingStats",
           "end_reason", "run_signal", "run_task", "stop_on_signals", "timing_line",
           "timing_warning"]
