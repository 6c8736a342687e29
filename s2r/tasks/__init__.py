"""Gymnasium tasks on s2r robots, registered as ``s2r/<Name>-v0``.

>>> import gymnasium as gym
>>> import s2r.tasks
>>> env = gym.make("s2r/FurutaSwingup-v0")
>>> obs, info = env.reset(seed=1)
>>> env.observation_space.contains(obs)
True
>>> env.close()
"""

from __future__ import annotations

import gymnasium as gym

from s2r.tasks.base import RobotTask, wrap_angle
from s2r.tasks.builtin import CartpoleBalance, CartpoleSwingup, FurutaSwingup, PendulumSwingup

#: task name (as in configs/tasks) -> (gym id, class)
TASKS: dict[str, tuple[str, type[RobotTask]]] = {
    "cartpole_balance": ("s2r/CartpoleBalance-v0", CartpoleBalance),
    "cartpole_swingup": ("s2r/CartpoleSwingup-v0", CartpoleSwingup),
    "pendulum_swingup": ("s2r/PendulumSwingup-v0", PendulumSwingup),
    "furuta_swingup": ("s2r/FurutaSwingup-v0", FurutaSwingup),
}

for _name, (_id, _cls) in TASKS.items():
    if _id not in gym.registry:
        gym.register(_id, entry_point=f"{_cls.__module__}:{_cls.__name__}",
                     max_episode_steps=None, disable_env_checker=True)

from s2r.tasks import camera  # noqa: E402, F401  (registers s2r/<Task>Pixels-v0)

__all__ = ["TASKS", "CartpoleBalance", "CartpoleSwingup", "FurutaSwingup", "PendulumSwingup",
           "RobotTask", "wrap_angle"]
