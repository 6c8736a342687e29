"""Timing and sensing effects: one implementation, named like every other parameter.

Every effect that a randomizer samples, system identification estimates or
the emulator's truth sets is a named parameter (nominal, bounds, unit,
meaning; see :mod:`s2r.params`) implemented once here, on plain Python floats
and without PyBullet, for the simulator, the emulator and the randomizers.
Every effect is off at its nominal value unless the robot says otherwise.

Reference (``<j>`` a joint, ``<m>`` the joint of an actuator, ``<s>`` an extra
sensor with dots written as underscores, e.g. ``current_arm``):

``delay.action`` (s)
    Dead time from a command to the actuators, at any resolution. Over a
    physics sub-step ``[t, t+dt)`` the actuators get the time-weighted mean of
    the commands in force over ``[t-d, t+dt-d)``: exact for an actuator that is
    linear in its command under a zero-order hold, and smooth in ``d`` (a 3 ms
    delay with a 2 ms step splits one step half and half).
``delay.observation`` (s)
    Age of a measurement: the true state is linearly interpolated at ``t - d``
    between physics sub-steps, then measured (quantized, filtered, noised).
``motor.<m>.deadzone`` (V, or the command's unit)
    ``|u| <= dz`` gives 0, otherwise ``u - sign(u) dz``: the DC motor's
    static-friction shift, continuous in ``u``. :func:`deadzone`.
``motor.<m>.rate_limit`` (command unit per second, 0: off)
    An applied command moves at most ``rate_limit * (t - t_prev)`` from the
    previous one; at one command per control period ``T`` this is the safety
    layer's ``max_action_delta = rate_limit * T``. :class:`RateLimiter`.
``joint.<j>.coulomb_smooth`` (N*m or N), ``joint.<j>.stribeck_velocity`` (rad/s or m/s)
    Friction torque ``-F tanh(qd / v)``, an explicit function of velocity
    without sticking (``joint.<j>.coulomb`` is the sticking kind).
    :func:`smooth_coulomb`.
``sensor.<j>.resolution`` (rad or m, 0: exact)
    Encoder step: ``q_m = round((q + n_q) / r) * r``. A revolute encoder with
    ``N`` counts per revolution has ``r = 2 pi / N``.
``sensor.<j>.position_noise`` (rad or m)
    Standard deviation of the Gaussian ``n_q`` added before quantization.
``sensor.<j>.velocity_cutoff`` (Hz, 0: off)
    Velocities of quantized joints are finite differences of measured
    positions over one control period (``w`` samples of ``dt``):
    ``(q_m[k] - q_m[k-w]) / (w dt)``; exact joints use the true velocity. Then
    a first-order low-pass ``v = a v + (1 - a) raw`` with ``a = exp(-2 pi f dt)``.
``sensor.<j>.velocity_noise`` (rad/s or m/s)
    Standard deviation of Gaussian noise on the reported velocity.
``sensor.<s>.noise`` (the sensor's unit)
    Standard deviation of Gaussian noise on an extra sensor (motor current: A).

:meth:`EffectModel.reset` starts an episode and returns the first measurement.
Per control step call :meth:`EffectModel.command`; per physics sub-step
:meth:`EffectModel.drive` (the command to apply), :meth:`EffectModel.friction`
(extra joint torques) and :meth:`EffectModel.record` (the true state after the
step); per sensor sample :meth:`EffectModel.measure`.
:meth:`EffectModel.snapshot` and :meth:`EffectModel.restore` save and reload
all of it as plain data.

>>> import numpy as np
>>> from s2r.robot import JointSpec, RobotSpec
>>> spec = RobotSpec("wheel", (JointSpec("wheel", "revolute"),), (), 100.0)
>>> fx = EffectModel(spec, sample_period=0.01)
>>> fx.set_params({"sensor.wheel.resolution": 2 * np.pi / 64})
>>> rng = np.random.default_rng(0)
>>> fx.reset(0.0, (0.0,), (0.0,), (), rng)
((0.0,), (0.0,), ())
>>> fx.record(0.01, (0.5,), (50.0,))
>>> q, qd, _ = fx.measure(0.01, rng)
>>> round(q[0] / (2 * np.pi / 64)), round(qd[0], 2)   # five counts in 10 ms
(5, 49.09)
"""

from __future__ import annotations

from s2r.effects.actuation import RateLimiter, deadzone
from s2r.effects.delay import CommandDelay, History
from s2r.effects.friction import smooth_coulomb
from s2r.effects.kinds import EFFECT_KINDS, effect_parameters, sensor_owner
from s2r.effects.model import EffectModel, counts_per_rev
from s2r.effects.sensing import SensorModel, lowpass_coefficient, quantize

__all__ = ["EFFECT_KINDS", "CommandDelay", "EffectModel", "History", "RateLimiter",
           "SensorModel", "counts_per_rev", "deadzone", "effect_parameters",
           "lowpass_coefficient", "quantize", "sensor_owner", "smooth_coulomb"]
