"""Physics randomizers: named parameters sampled relative to their nominal values.

Every physics randomizer is a :class:`ParameterRandomizer` over parameter-name
patterns: ``mass`` is ``link.*.mass``, ``joint_damping`` is ``joint.*.damping``,
and so on. Values are always ``operation(nominal, sample)``, validated before
any simulation: unknown names and ranges that could reach outside a
parameter's physical bounds (a negative mass or friction) are refused.

>>> from s2r.sim import SimRobot
>>> import numpy as np
>>> robot = SimRobot("pendulum")
>>> r = MassRandomizer(distribution=[0.5, 2.0])
>>> record = r.sample_for(robot, np.random.default_rng(0))
>>> 0.5 <= record["values"]["link.pole.mass"] <= 2.0
True
>>> robot.close()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from randomizers.base import RandomizationContext, RandomizationError, Randomizer
from randomizers.distributions import Term, apply_operation, make_distribution, reachable
from randomizers.registry import register
from randomizers.target import ParameterTarget


class ParameterRandomizer(Randomizer):
    """Sample named parameters (shell patterns like ``link.*.mass``).

    Args:
        params: parameter names or patterns (default: the class's ``default_params``).
        distribution: required; e.g. ``[0.8, 1.2]``, ``{"log_uniform": [0.5, 2]}``,
            ``{"normal": [1, .1]}``.
        operation: ``scale`` (default), ``add`` or ``abs``, always of the nominal value.
        shared: one sample for all matched parameters (else one each).
        clip: clip values into the parameter's bounds instead of refusing the config.
    """

    type = "parameters"
    default_params: ClassVar[Sequence[str]] = ()
    default_operation: ClassVar[str] = "scale"
    default_mode: ClassVar[str] = "reset"

    def __init__(self, params: str | Sequence[str] | None = None, distribution: Any = None,
                 operation: str | None = None, shared: bool = False, clip: bool = False,
                 mode: str | None = None, interval: Any = None, name: str | None = None) -> None:
        super().__init__(mode=mode or self.default_mode, interval=interval, name=name)
        patterns = [params] if isinstance(params, str) else list(params or self.default_params)
        if not patterns:
            raise RandomizationError(f"{self.name}: params: give parameter names or patterns")
        if distribution is None:
            raise RandomizationError(f"{self.name}: distribution: required, e.g. [0.8, 1.2]")
        self.patterns = patterns
        self.explicit = params is not None  # defaults: a family's names, matched where they exist
        self.term = Term(make_distribution(distribution), operation or self.default_operation)
        self.shared = shared
        self.clip = clip
        self.names: list[str] = []
        self.scale = 1.0  # curricula/ADR narrow or widen the range around its centre

    def bind(self, ctx: RandomizationContext) -> None:
        self.bind_target(ctx.require_target(self.name))

    def bind_target(self, target: ParameterTarget) -> None:
        """Resolve patterns to names and check every reachable value is within bounds."""
        names: list[str] = []
        for pattern in self.patterns:
            matched = target.params.match(pattern)
            if not matched and self.explicit:
                raise RandomizationError(f"{self.name}: no parameter matches '{pattern}' (see "
                                         "`s2r params ROBOT` for the names)")
            names += [n for n in matched if n not in names]
        if not names:
            raise RandomizationError(f"{self.name}: this robot has none of "
                                     f"{', '.join(self.patterns)} (see `s2r params ROBOT`)")
        for name in names:
            p = target.params[name]
            lo, hi = reachable(self.term.operation, p.nominal, self.term.distribution)
            if not self.clip and (lo < p.low or hi > p.high):
                raise RandomizationError(
                    f"{self.name}: {name} could reach [{lo:.6g}, {hi:.6g}] {p.unit}, outside its "
                    f"bounds [{p.low:.6g}, {p.high:.6g}] (narrow the range, or clip: true)")
        self.names = names
        self._target = target

    def _value(self, target: ParameterTarget, name: str, sample: float) -> float:
        p = target.params[name]
        value = apply_operation(self.term.operation, p.nominal, sample)
        return min(max(value, p.low), p.high) if self.clip else value

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        return self.sample_for(ctx.require_target(self.name), rng)

    def sample_for(self, target: ParameterTarget, rng: np.random.Generator) -> dict[str, Any]:
        """Draw values for ``target`` (binding it first if needed)."""
        if getattr(self, "_target", None) is not target:
            self.bind_target(target)
        dist = self.term.distribution if self.scale == 1.0 else \
            self.term.distribution.widened(self.scale)
        if self.shared:
            s = dist.sample(rng)
            values = {n: self._value(target, n, s) for n in self.names}
        else:
            values = {n: self._value(target, n, dist.sample(rng)) for n in self.names}
        return {"values": values}

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        ctx.require_target(self.name).set_params(record["values"])


def _family(type_name: str, params: Sequence[str], doc: str, operation: str = "scale",
            mode: str = "reset") -> type[ParameterRandomizer]:
    cls = type(f"{type_name.title().replace('_', '')}Randomizer", (ParameterRandomizer,),
               {"default_params": tuple(params), "default_operation": operation,
                "default_mode": mode, "__doc__": doc, "__module__": __name__})
    return register(type_name)(cls)


MassRandomizer = _family(
    "mass", ["link.*.mass"],
    "Link masses; the inertia scales with the mass (the radii of gyration are kept).")
InertiaRandomizer = _family("inertia", ["link.*.inertia_*"], "Principal inertias of links.")
ComRandomizer = _family(
    "com", ["link.*.com_*"], "Centres of mass (m); applied by reloading the URDF, so at "
    "start-up by default.", operation="add", mode="startup")
FrictionRandomizer = _family("friction", ["link.*.lateral_friction"],
                             "Lateral contact friction of links that touch something.")
RollingFrictionRandomizer = _family(
    "rolling_friction", ["link.*.rolling_friction", "link.*.spinning_friction"],
    "Rolling and spinning contact friction.")
RestitutionRandomizer = _family("restitution", ["link.*.restitution"], "Contact restitution.",
                                operation="abs")
JointDampingRandomizer = _family("joint_damping", ["joint.*.damping"], "Viscous joint damping.")
JointFrictionRandomizer = _family("joint_friction", ["joint.*.coulomb"],
                                  "Coulomb joint friction (with sticking).", operation="abs")
ArmatureRandomizer = _family("armature", ["joint.*.armature"], "Rotor inertia on joints.")
MotorStrengthRandomizer = _family(
    "motor_strength", ["motor.*.gain", "motor.*.saturation", "motor.*.voltage_limit"],
    "Actuator gain and force/voltage saturation (motor strength).")
ActuatorRandomizer = _family(
    "actuator", ["motor.*.resistance", "motor.*.torque_constant"],
    "DC motor constants: armature resistance and torque/back-EMF constant.")
SmoothFrictionRandomizer = _family(
    "smooth_friction", ["joint.*.coulomb_smooth"],
    "Smooth Coulomb friction ``-F tanh(qd / v)`` of joints, without sticking (N*m, absolute; "
    "the velocity scale v is ``joint.*.stribeck_velocity``).", operation="abs")
GravityRandomizer = _family("gravity", ["world.gravity"], "Magnitude of gravity.")
TimestepRandomizer = _family("timestep", ["world.timestep"], "Physics integration step.")
ControlPeriodRandomizer = _family("control_period", ["world.control_period"],
                                  "Time between two control actions.")
register("parameters")(ParameterRandomizer)

