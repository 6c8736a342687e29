"""Real logs for the report tests, made fast: each scripted policy evaluated in simulation
(``s2r.evaluate.evaluate``) and deployed on a lockstep emulator (``hardware.session.deploy``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.emulator import Emulator, EmulatorConfig
from hardware.session import deploy
from s2r.commands.hardware import DeployConfig
from s2r.evaluate import evaluate

POLICIES = ("sine", "zero", "random")
TASK, STEPS, EPISODES = "furuta_swingup", 100, 3


def make_pairs(root: Path, truth: str, policies: tuple[str, ...]
               ) -> dict[str, tuple[Path, Path]]:
    """``{policy: (sim dir, real dir)}``: eval in sim, deploy on an emulator with ``truth``."""
    out = {}
    # generous reply timeout and watchdog: a busy machine must not make the link "silent"
    cfg = EmulatorConfig(robot="furuta", mode="lockstep", seed=0, truth=truth,
                         watchdog_ms=60000)
    with Emulator(cfg) as emu:
        for name in policies:
            sim, real = root / name / "sim", root / name / "real"
            real.mkdir(parents=True)
            evaluate(f"scripted:{name}", TASK, episodes=EPISODES, max_steps=STEPS, out=sim)
            deploy(DeployConfig(port=emu.port, paced=False, policy=f"scripted:{name}",
                                task=TASK, episodes=EPISODES, max_steps=STEPS,
                                reply_timeout=2.0, out=str(real / "deploy.s2r.csv")))
            out[name] = (sim, real)
    return out


@pytest.fixture(scope="session")
def bench_pairs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Three policies against the emulator's bench truth (it differs from the model)."""
    return make_pairs(tmp_path_factory.mktemp("bench"), "bench", POLICIES)


@pytest.fixture(scope="session")
def nominal_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One policy against an emulator whose truth is the nominal model."""
    return make_pairs(tmp_path_factory.mktemp("nominal"), "nominal", ("sine",))["sine"]
