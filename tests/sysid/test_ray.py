"""ray_address=: the evaluator's tasks on Ray actors, with a local Ray started here."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from sysid_logs import TRUTH, position_segments

from s2r.errors import S2RError
from s2r.sim import SimRobot
from s2r.sysid import identify
from s2r.sysid.evaluate import Evaluator


def test_ray_actors_give_the_residuals_of_this_process(local_ray, furuta_log):
    with SimRobot("furuta") as sim:
        spec = sim.spec
        segs, cols = position_segments(sim, furuta_log)
        values = [TRUTH, {"link.pendulum.mass": 0.02}]
        shifts = [None, ((0.0, 0.001), (0.01, 0.0))]
        scales = np.ones(len(cols))
        with Evaluator(sim, segs, cols, spec.joint_names, [], scales, workers=1) as one:
            a = one.many(values, shifts)
        with Evaluator(sim, segs, cols, spec.joint_names, [], scales, workers=2,
                       ray_address="local") as on_ray:
            b = on_ray.many(values, shifts)
            assert type(on_ray._pool).__name__ == "RayPool"
    assert np.abs(a[0]).max() < 1e-9 < np.abs(a[1]).max()
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-12)
    assert local_ray.is_initialized()  # a Ray started by the caller is left running


def test_identify_on_ray_recovers_the_truth(local_ray, furuta_log):
    result = identify("furuta", [furuta_log], ["link.pendulum.mass"], workers=2,
                      ray_address="local", fixed={k: v for k, v in TRUTH.items()
                                                  if k != "link.pendulum.mass"})
    assert result.params["link.pendulum.mass"].value == pytest.approx(0.028, rel=1e-4)


def test_without_ray_the_error_names_the_extra(monkeypatch, furuta_log):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    with pytest.raises(S2RError, match=r"pip install 's2r\[ray\]'"):
        identify("furuta", [furuta_log], ["link.pendulum.mass"], workers=2,
                 ray_address="local")


def test_the_cli_passes_ray_address(local_ray, furuta_log, tmp_path, monkeypatch):
    from s2r.cli import main
    from s2r.sysid import raypool

    made = []
    monkeypatch.setattr(raypool.RayPool, "__init__", _recording(raypool.RayPool.__init__, made))
    assert main(["sysid", "robot=furuta", f"logs=[{furuta_log}]",
                 "params=[link.pendulum.mass]", "workers=2", "ray_address=local",
                 "holdout=0.0", f"out={tmp_path / 'fit'}"]) == 0
    assert made == ["local"] and (tmp_path / "fit" / "result.yaml").is_file()


def _recording(init, made):
    def wrapped(self, workers, ray_address, *args):
        made.append(ray_address)
        init(self, workers, ray_address, *args)
    return wrapped
