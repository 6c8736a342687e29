"""Names of the timing and sensing effects that randomizers sample (see :mod:`s2r.effects`).

A randomizer of an effect (deadzone, encoder resolution, delays) samples values
for the robot's parameter names, e.g. ``motor.arm.deadzone`` or
``sensor.pendulum.resolution``. Where the target has those names (an s2r
SimRobot) the values are set as parameters and the robot applies the effect;
where it has not (an env written without s2r) the randomizer applies the same
:mod:`s2r.effects` function to the env's vectors itself, under names made of
the element's position (``motor.0.deadzone``).

>>> from randomizers.base import Layout, RandomizationContext
>>> ctx = RandomizationContext(None, None, None, 0.01, Layout(size=3), 1)
>>> effect_names(ctx, "motor.{}.deadzone", [0])
(['motor.0.deadzone'], False)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from randomizers.base import RandomizationContext, RandomizationError
from randomizers.distributions import Distribution


def _spec(ctx: RandomizationContext) -> Any:
    robot = getattr(getattr(ctx.env, "unwrapped", None), "robot", None) or ctx.robot
    return getattr(robot, "spec", None)


def effect_names(ctx: RandomizationContext, pattern: str, pos: Sequence[int],
                 owners: str = "actuators") -> tuple[list[str], bool]:
    """The names ``pattern.format(owner)`` of the elements at ``pos``, and whether the
    target has all of them.

    ``owners``: ``actuators`` (positions in the action vector; owner: the actuator's
    joint), ``joints`` (positions in the joint vector; owner: the joint) or
    ``elements`` (the owner is the position itself, as on an env that is not an s2r
    task).
    """
    spec = _spec(ctx)
    if spec is None or owners == "elements":
        return [pattern.format(i) for i in pos], False
    if owners == "actuators":
        keys = [spec.actuators[i].joint for i in pos]
    else:
        keys = [spec.joint_names[i] for i in pos]
    names = [pattern.format(k) for k in keys]
    params = getattr(ctx.target, "params", None)
    return names, params is not None and all(n in params for n in names)


#: channel -> the name of a sensor's noise level (``{}``: the joint or sensor)
NOISE_NAMES = {"q": "sensor.{}.position_noise", "qd": "sensor.{}.velocity_noise",
               "sensors": "sensor.{}.noise"}


def sensor_names(ctx: RandomizationContext, channel: str, pos: Sequence[int],
                 patterns: Mapping[str, str]) -> tuple[list[str], bool | None]:
    """Names of measurement elements ``pos`` (positions in the measurement vector) of
    ``channel`` under ``patterns[channel]``, and whether the target has all of them;
    ``None`` (and names by position) if the channel has no pattern or the env is not an
    s2r task."""
    from s2r.effects import sensor_owner

    spec, pattern = _spec(ctx), patterns.get(channel)
    if spec is None or pattern is None:
        return [f"sensor.{i}.?" for i in pos], None
    start = getattr(ctx.layout, channel).start
    if channel == "sensors":
        keys = [sensor_owner(spec.sensors[i - start]) for i in pos]
    else:
        keys = [spec.joint_names[i - start] for i in pos]
    names = [pattern.format(k) for k in keys]
    params = getattr(ctx.target, "params", None)
    return names, params is not None and all(n in params for n in names)


def check_reach(ctx: RandomizationContext, who: str, names: Sequence[str],
                distribution: Distribution) -> None:
    """Refuse a distribution that could reach outside a parameter's bounds."""
    params = ctx.require_target(who).params
    lo, hi = distribution.support()
    for name in names:
        p = params[name]
        if lo < p.low or hi > p.high:
            raise RandomizationError(
                f"{who}: {name} could reach [{lo:.6g}, {hi:.6g}] {p.unit}, outside its bounds "
                f"[{p.low:.6g}, {p.high:.6g}] (narrow the range, or raise the bound in the "
                "robot YAML)")


def record_values(who: str, record: Mapping[str, Any], names: Sequence[str],
                  option: str) -> dict[str, float]:
    """The ``values`` of a record, checked to name exactly ``names`` (a record of another
    config, or of an older version, is refused)."""
    values = record.get("values")
    if not isinstance(values, Mapping) or sorted(values) != sorted(names):
        got = sorted(values) if isinstance(values, Mapping) else sorted(record)
        raise RandomizationError(f"{who}: the record names {got}, this config samples "
                                 f"{list(names)} (records are {{values: {{name: value}}}}; "
                                 f"option {option})")
    return {n: float(values[n]) for n in names}


def sample_values(names: Sequence[str], distribution: Distribution, scale: float, shared: bool,
                  rng: Any) -> dict[str, Any]:
    """A record ``{"values": {name: draw}}``: one draw per name, or one for all if ``shared``,
    from ``distribution`` widened by ``scale`` (a curriculum's width)."""
    d = distribution if scale == 1.0 else distribution.widened(scale)
    draws = [d.sample(rng)] * len(names) if shared else [d.sample(rng) for _ in names]
    return {"values": dict(zip(names, draws))}


def apply_values(ctx: RandomizationContext, who: str, record: Mapping[str, Any],
                 names: Sequence[str], option: str, on_robot: bool) -> dict[str, float]:
    """The record's values (:func:`record_values`), set as parameters of the target when it
    has the names (``on_robot``); returned for a randomizer that applies them itself."""
    values = record_values(who, record, names, option)
    if on_robot:
        ctx.require_target(who).set_params(values)
    return values


def refuse_shared_names(randomizers: Sequence[Any]) -> None:
    """Two randomizers that sample the same parameter name would silently override one
    another (the later one wins): refused, naming both and the parameter."""
    owner: dict[str, Any] = {}
    for r in randomizers:
        for name in getattr(r, "names", None) or ():
            first = owner.setdefault(name, r)
            if first is not r:
                raise RandomizationError(
                    f"{r.name}: samples {name}, which {first.name} samples too (the later would "
                    "override the earlier; keep one)", where=r.where or first.where)
