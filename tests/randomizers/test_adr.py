"""ADR (OpenAI et al. 2019) on toys where the right answer is known, and inside RandomizedEnv."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from randomizers.adr import ADRRandomizer
from randomizers.base import RandomizationError
from randomizers.registry import build_randomizers
from randomizers.wrapper import RandomizedEnv
from s2r.params import Parameter, ParameterTable
from s2r.tasks import PendulumSwingup


class Toy:
    """A ParameterTarget with two parameters (nominal 1 and 2)."""

    def __init__(self) -> None:
        self.params = ParameterTable([Parameter("link.a.mass", 1.0, 0.1, 3.0, "kg"),
                                      Parameter("link.b.mass", 2.0, 0.2, 6.0, "kg"),
                                      Parameter("joint.a.damping", 0.0, 0.0, 1.0)])
        self.values = self.params.nominal()

    def get(self, name: str) -> float:
        return self.values[name]

    def get_params(self) -> dict[str, float]:
        return dict(self.values)

    def set_params(self, values) -> None:
        self.values.update(self.params.check(values))


def run(adr, target, performance, episodes, seed=0, trace=None):
    """Sample/update loop; ``performance(record) -> float``; optional per-episode trace."""
    rng = np.random.default_rng(seed)
    for _ in range(episodes):
        record = adr.sample_for(target, rng)
        adr.update(record, performance(record))
        if trace is not None:
            trace.append((adr.low.copy(), adr.high.copy(), adr.entropy()))


def make(**kw):
    args = dict(params="link.*.mass", thresholds=[0.2, 0.8], step=0.05, queue_length=4)
    args.update(kw)
    return ADRRandomizer(**args)


def test_bounds_grow_when_good_and_stop_at_hard_limits():
    adr, toy, trace = make(limits=[0.5, 2.0]), Toy(), []
    run(adr, toy, lambda r: 1.0, 3000, trace=trace)
    lows = np.array([t[0] for t in trace])
    highs = np.array([t[1] for t in trace])
    assert np.all(np.diff(lows, axis=0) <= 0) and np.all(np.diff(highs, axis=0) >= 0)
    assert lows.min() >= 0.5 and highs.max() <= 2.0           # never beyond the hard limits
    np.testing.assert_allclose(adr.low, [0.5, 0.5])
    np.testing.assert_allclose(adr.high, [2.0, 2.0])
    entropies = [t[2] for t in trace if math.isfinite(t[2])]
    assert entropies and np.all(np.diff(entropies) >= -1e-12) and entropies[-1] > entropies[0]
    assert adr.entropy() == pytest.approx(math.log(1.5))
    assert adr.counters["expand"] > 0 and adr.counters["shrink"] == 0


def test_bounds_shrink_when_bad_never_past_nominal():
    adr, toy, trace = make(initial=[0.6, 1.5]), Toy(), []
    with pytest.raises(RandomizationError, match="not bound"):
        adr.entropy()
    adr.bind_target(toy)
    start = adr.entropy()
    run(adr, toy, lambda r: 0.0, 3000, trace=trace)
    lows = np.array([t[0] for t in trace])
    highs = np.array([t[1] for t in trace])
    assert np.all(np.diff(lows, axis=0) >= 0) and np.all(np.diff(highs, axis=0) <= 0)
    np.testing.assert_allclose(adr.low, [1.0, 1.0])            # shrunk to the nominal
    np.testing.assert_allclose(adr.high, [1.0, 1.0])
    assert adr.entropy() == -math.inf < start
    finite = [t[2] for t in trace if math.isfinite(t[2])]
    assert np.all(np.diff(finite) <= 1e-12)


def test_parameter_bounds_respected_without_limits():
    adr, toy = make(step=0.5), Toy()                           # scale limits = [0.1, 3] for both
    run(adr, toy, lambda r: 1.0, 2000)
    np.testing.assert_allclose(adr.low, [0.1, 0.1])
    np.testing.assert_allclose(adr.high, [3.0, 3.0])
    rng = np.random.default_rng(1)
    for _ in range(200):
        values = adr.sample_for(toy, rng)["values"]
        toy.set_params(values)                                 # never outside the bounds


@pytest.mark.parametrize("operation", ["scale", "abs"])
def test_competent_within_c_converges_near_c(operation):
    """The policy succeeds iff every |x - nominal| < c: the bounds settle at nominal +- c."""
    toy = Toy()
    c = {"link.a.mass": 0.3, "link.b.mass": 0.8}               # absolute, in kg
    step = 0.02 if operation == "scale" else 0.03
    adr = make(operation=operation, step=step, queue_length=6)

    def success(record):
        return float(all(abs(v - toy.params[n].nominal) < c[n]
                         for n, v in record["values"].items()))

    run(adr, toy, success, 8000, seed=3)
    for name, bounds in adr.bounds().items():
        nominal = toy.params[name].nominal
        unit = nominal if operation == "scale" else 1.0         # kg per operation unit
        lo, hi = (b * unit for b in bounds)
        assert abs(hi - (nominal + c[name])) <= 2 * step * unit, (name, hi)
        assert abs(lo - (nominal - c[name])) <= 2 * step * unit, (name, lo)


def test_boundary_pinning_and_record():
    adr, toy = make(boundary_prob=1.0, initial=[0.5, 1.5]), Toy()
    rng = np.random.default_rng(0)
    sides = set()
    for _ in range(50):
        rec = adr.sample_for(toy, rng)
        b = rec["boundary"]
        bound = adr.bounds()[b["param"]][0 if b["side"] == "low" else 1]
        assert b["value"] == bound
        assert rec["values"][b["param"]] == pytest.approx(bound * toy.params[b["param"]].nominal)
        sides.add((b["param"], b["side"]))
    assert len(sides) == 4
    adr0 = make(boundary_prob=0.0, initial=[0.5, 1.5])
    recs = [adr0.sample_for(toy, rng) for _ in range(50)]
    assert all(r["boundary"] is None for r in recs)
    assert all(adr0.update(r, 1.0) is None for r in recs)
    assert not adr0.queues


def test_queue_fills_then_moves_once_and_clears():
    adr, toy = make(queue_length=3, initial=[0.5, 1.5]), Toy()
    adr.bind_target(toy)
    rec = {"values": {}, "boundary": {"param": "link.a.mass", "side": "low", "value": 0.5}}
    assert adr.update(rec, 0.5) is None and adr.update(rec, 0.5) is None
    assert adr.update(rec, 0.5) == "hold" and adr.bounds()["link.a.mass"] == (0.5, 1.5)
    assert adr.update(rec, 1) is None and adr.update(rec, 1) is None
    assert adr.update(rec, 1) == "expand"
    assert adr.bounds()["link.a.mass"][0] == pytest.approx(0.45)
    assert adr.update(rec, 1) is None                    # the boundary moved: a stale result
    assert adr.counters["stale"] == 1 and not adr.queues[(0, 0)]
    whole = {"adr": {"values": {}, "boundary": {"param": "link.a.mass", "side": "high",
                                                "value": 1.5}}}
    assert adr.update(whole, 0.0) is None and adr.queues[(0, 1)] == [0.0]  # info["randomization"]


def test_state_dict_roundtrip_json_and_resume():
    adr, toy = make(initial=[0.8, 1.2]), Toy()
    run(adr, toy, lambda r: float(r["values"]["link.a.mass"] < 1.4), 500)
    state = json.loads(json.dumps(adr.state_dict()))
    copy = ADRRandomizer.from_state_dict(state)
    assert copy.bounds() == adr.bounds() and copy.entropy() == adr.entropy()
    assert copy.queues == {k: v for k, v in adr.queues.items() if v}
    fresh = make(initial=[0.8, 1.2])
    fresh.load_state_dict(state)
    fresh.bind_target(toy)                                   # binding keeps the loaded state
    assert fresh.bounds() == adr.bounds()
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    assert adr.sample_for(toy, a) == fresh.sample_for(toy, b)
    other = ADRRandomizer("link.a.mass", thresholds=[0, 1])
    other.bind_target(toy)
    with pytest.raises(RandomizationError, match="state is for"):
        other.load_state_dict(state)


@pytest.mark.parametrize("kwargs, match", [
    ({"thresholds": [1, 0]}, "thresholds"),
    ({"thresholds": [1, 1]}, "t_low < t_high"),
    ({"thresholds": [0, 1], "boundary_prob": 1.5}, "boundary_prob"),
    ({"thresholds": [0, 1], "queue_length": 0}, "queue_length"),
    ({"thresholds": [0, 1], "operation": "mul"}, "operation"),
    ({"thresholds": [0, 1], "initial": [1.1, 1.3]}, "initial"),
    ({"thresholds": [0, 1], "limits": [0.9, 0.95]}, "limits"),
    ({"thresholds": [0, 1], "params": "link.nope.mass"}, "no parameter matches"),
    ({"thresholds": [0, 1], "params": "joint.a.damping"}, "nominal is 0"),
    ({"thresholds": [0, 1], "operation": "add"}, "step"),
    ({"thresholds": [0, 1], "params": {"link.a.mass": {"stp": 1}}}, "unknown option"),
])
def test_validation(kwargs, match):
    args = {"params": "link.*.mass", **kwargs}
    with pytest.raises(RandomizationError, match=match):
        ADRRandomizer(**args).bind_target(Toy())


def test_per_pattern_overrides_and_add_operation():
    adr = ADRRandomizer({"link.a.mass": {"step": 0.1, "limits": [-0.2, 0.2]},
                         "joint.a.damping": {"step": 0.05, "initial": [0, 0.1]}},
                        thresholds=[0, 1], operation="add", queue_length=1)
    toy = Toy()
    run(adr, toy, lambda r: 1.0, 400)
    assert adr.bounds()["link.a.mass"] == pytest.approx((-0.2, 0.2))
    assert adr.bounds()["joint.a.damping"] == pytest.approx((0.0, 1.0))  # its own bounds


def test_in_randomized_env_replay_and_update_from_info():
    (adr,) = build_randomizers([{"type": "adr", "params": ["link.pole.mass", "world.gravity"],
                                 "thresholds": [-1e9, -1e8], "initial": [0.9, 1.1],
                                 "queue_length": 1, "boundary_prob": 1.0}])
    assert isinstance(adr, ADRRandomizer)
    env = RandomizedEnv(PendulumSwingup(max_steps=5), [adr], seed=0)
    obs, info = env.reset(seed=0)
    record = info["randomization"]["adr"]
    robot = env.ctx.robot
    assert robot.get("link.pole.mass") == pytest.approx(record["values"]["link.pole.mass"])
    assert record["boundary"]["side"] in ("low", "high")
    total, done = 0.0, False
    while not done:
        obs, r, term, trunc, _ = env.step(env.action_space.sample())
        total, done = total + float(r), term or trunc
    assert adr.update(info["randomization"], total) == "expand"
    _, info2 = env.reset(options={"randomization": info["randomization"]})
    assert info2["randomization"]["adr"] == record
    assert robot.get("link.pole.mass") == pytest.approx(record["values"]["link.pole.mass"])
    env.close()
    env_a = RandomizedEnv(PendulumSwingup(), [ADRRandomizer("link.pole.mass", [0, 1],
                                                           initial=[0.5, 1.5])], seed=7)
    env_b = RandomizedEnv(PendulumSwingup(), [ADRRandomizer("link.pole.mass", [0, 1],
                                                           initial=[0.5, 1.5])], seed=7)
    for _ in range(3):
        assert env_a.reset()[1]["randomization"] == env_b.reset()[1]["randomization"]
    env_a.close()
    env_b.close()
