"""Names, units, meanings and default bounds of the effect parameter families (no imports).

Kept free of imports so that :mod:`s2r.params` can register the families in
its ``KINDS`` vocabulary.
"""

from __future__ import annotations

#: family -> (unit, meaning template); ``{0}`` is the joint, motor or sensor name.
EFFECT_KINDS: dict[str, tuple[str, str]] = {
    "delay.action": ("s", "dead time from a command to its effect on the actuators"),
    "delay.observation": ("s", "age of a measurement when the controller receives it"),
    "motor.*.deadzone": ("V", "deadzone of actuator {0} (command unit): |u| <= dz gives 0, "
                              "larger commands are shifted to u - sign(u) dz"),
    "motor.*.rate_limit": ("1/s", "largest change of the command of actuator {0} per second "
                                  "(command unit per s; 0: unlimited)"),
    "joint.*.coulomb_smooth": ("N*m", "smooth Coulomb friction of joint {0} (N for a slider): "
                                      "-F tanh(qd / v), no sticking"),
    "joint.*.stribeck_velocity": ("rad/s", "velocity scale v of the smooth Coulomb friction of "
                                           "joint {0} (m/s for a slider)"),
    "sensor.*.resolution": ("rad", "encoder step of joint {0} (m for a slider; 0: exact)"),
    "sensor.*.velocity_cutoff": ("Hz", "cutoff of the first-order low-pass on the velocity "
                                       "estimate of joint {0} (0: no filter)"),
    "sensor.*.position_noise": ("rad", "std of Gaussian noise on the position of joint {0} "
                                       "before quantization (m for a slider)"),
    "sensor.*.velocity_noise": ("rad/s", "std of Gaussian noise on the reported velocity of "
                                         "joint {0} (m/s for a slider)"),
    "sensor.*.noise": ("-", "std of Gaussian noise on extra sensor {0}, in its unit"),
}

#: family -> (low, high) default bounds; every effect is off (0) by default except the
#: Stribeck velocity, which is a scale and must stay > 0.
BOUNDS: dict[str, tuple[float, float]] = {
    "motor.*.rate_limit": (0.0, 1.0e4),
    "joint.*.coulomb_smooth": (0.0, 10.0),
    "joint.*.stribeck_velocity": (1.0e-4, 10.0),
    "sensor.*.resolution": (0.0, 0.1),
    "sensor.*.velocity_cutoff": (0.0, 1.0e4),
    "sensor.*.position_noise": (0.0, 0.1),
    "sensor.*.velocity_noise": (0.0, 10.0),
    "sensor.*.noise": (0.0, 10.0),
}

#: nominal values where "off" is not 0
NOMINAL = {"joint.*.stribeck_velocity": 0.01}

JOINT_FAMILIES = ("sensor.*.resolution", "sensor.*.velocity_cutoff", "sensor.*.position_noise",
                  "sensor.*.velocity_noise", "joint.*.coulomb_smooth",
                  "joint.*.stribeck_velocity")
MOTOR_FAMILIES = ("motor.*.rate_limit",)
SENSOR_FAMILIES = ("sensor.*.noise",)
