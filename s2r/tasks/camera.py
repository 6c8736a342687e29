"""Pixel observations: any :class:`RobotTask` seen through a camera (PyBullet's CPU renderer).

:class:`PixelTask` keeps the wrapped task's reward, termination and reset
distribution and observes an RGB image (``uint8``, H x W x 3), or
``{"image", "state"}`` with ``state=True``. The image is rendered once per
reset and once per step (about 0.1-0.3 ms at 64x64). Each built-in task is
also registered with pixels, as ``s2r/<Task>Pixels-v0``.

The task's :class:`Camera` is what visual randomizers change: ``settings``
(pose, lighting, background), always re-derived from ``nominal`` so nothing
compounds, and ``filters`` applied to every image (sensor noise).
:func:`find_camera` finds it through any stack of wrappers.

>>> import gymnasium as gym
>>> import s2r.tasks
>>> env = gym.make("s2r/FurutaSwingupPixels-v0")
>>> obs, info = env.reset(seed=0)
>>> obs.shape, obs.dtype
((64, 64, 3), dtype('uint8'))
>>> find_camera(env).settings.pose.fov
60.0
>>> env.close()
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import gymnasium as gym
import numpy as np

from s2r.errors import ConfigError
from s2r.robot import Observation, Robot
from s2r.sim.camera import CameraPose, Lighting, default_pose, render
from s2r.sim.sim_robot import SimRobot
from s2r.tasks import TASKS
from s2r.tasks.base import RobotTask

#: an image transform: uint8 H x W x 3 in, uint8 H x W x 3 out
ImageFilter = Callable[[np.ndarray], np.ndarray]


@dataclass
class CameraSettings:
    """What a camera renders with: pose, lighting and an optional background image
    (H x W x 3 uint8, drawn wherever no object is, instead of the renderer's white)."""

    pose: CameraPose
    lighting: Lighting = field(default_factory=Lighting)
    background: np.ndarray | None = None

    def copy(self) -> CameraSettings:
        return CameraSettings(replace(self.pose), replace(self.lighting), self.background)


class Camera:
    """A camera on a :class:`SimRobot`: nominal and current settings, and image filters.

    Args:
        robot: the simulated robot to render.
        size: image side in pixels, or ``(height, width)``.
        pose: nominal pose (default: :func:`~s2r.sim.camera.default_pose`).
        lighting: nominal lighting (default: the renderer's).
        travel: the default pose also frames the travel of prismatic joints (the
            cart-pole's whole +-2.4 m; the robot then looks small).

    >>> from s2r.sim import SimRobot
    >>> robot = SimRobot("pendulum")
    >>> camera = Camera(robot, size=(24, 32))
    >>> camera.settings.pose.yaw += 30.0          # what a randomizer does
    >>> camera.render().shape
    (24, 32, 3)
    >>> camera.restore()                          # back to nominal
    >>> camera.settings.pose.yaw
    0.0
    >>> robot.close()
    """

    def __init__(self, robot: SimRobot, size: int | tuple[int, int] = 64,
                 pose: CameraPose | None = None, lighting: Lighting | None = None,
                 travel: bool = False) -> None:
        self.robot = robot
        self.height, self.width = (size, size) if isinstance(size, int) else size
        if min(self.height, self.width) < 1:
            raise ConfigError(f"camera size must be >= 1 pixel, got {size}")
        pose = pose or default_pose(robot, travel=travel, aspect=self.width / self.height)
        self.nominal = CameraSettings(pose, lighting or Lighting())
        self.settings = self.nominal.copy()
        self.filters: list[ImageFilter] = []

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.height, self.width, 3)

    def restore(self) -> None:
        """Put the settings back to nominal (filters stay)."""
        self.settings = self.nominal.copy()

    def render(self, filters: bool = True) -> np.ndarray:
        """One RGB image with the current settings (and the filters, unless ``filters=False``)."""
        s = self.settings
        background = s.background
        image, seg = render(self.robot, self.width, self.height, s.pose, s.lighting,
                            segmentation=background is not None)
        if background is not None and seg is not None:
            image = np.where((seg < 0)[:, :, None], background, image)
        if filters:
            for f in self.filters:
                image = f(image)
        return image


def find_camera(env: Any) -> Camera | None:
    """The :class:`Camera` of an env (any object with a ``camera`` attribute), looked
    for on every wrapper down to the unwrapped env; ``None`` if there is none."""
    seen = env
    while seen is not None:
        camera = vars(seen).get("camera") if hasattr(seen, "__dict__") else None
        if isinstance(camera, Camera):
            return camera
        seen = seen.env if isinstance(seen, gym.Wrapper) else None
    camera = getattr(getattr(env, "unwrapped", None), "camera", None)
    return camera if isinstance(camera, Camera) else None


class PixelTask(RobotTask):
    """A task observed through a camera: an RGB image, or ``{"image", "state"}``.

    Args:
        task: a :class:`RobotTask` (which this task then owns and closes), a task
            class, or a task name of :data:`s2r.tasks.TASKS` (``"furuta_swingup"``).
        size: image side in pixels, or ``(height, width)``.
        pose: nominal camera pose (default: frames everything the robot's moving links
            can reach, with prismatic joints at 0 unless ``travel``).
        lighting: nominal lighting.
        travel: the default pose also frames the travel of prismatic joints.
        state: observe ``{"image": ..., "state": <the task's vector>}``.
        render_mode: ``"rgb_array"``: :meth:`render` returns the last observed image.
        **task_kwargs: for a task class or name (``robot``, ``max_steps``, ``params``).

    >>> env = PixelTask("pendulum_swingup", size=32, state=True)
    >>> obs, info = env.reset(seed=0)
    >>> obs["image"].shape, obs["state"].shape
    ((32, 32, 3), (3,))
    >>> env.close()
    """

    def __init__(self, task: RobotTask | type[RobotTask] | str = "furuta_swingup", *,
                 size: int | tuple[int, int] = 64, pose: CameraPose | None = None,
                 lighting: Lighting | None = None, travel: bool = False, state: bool = False,
                 render_mode: str | None = None, **task_kwargs: Any) -> None:
        if isinstance(task, str):
            if task not in TASKS:
                raise ConfigError(f"unknown task '{task}' (known: {', '.join(TASKS)})")
            task = TASKS[task][1]
        inner = task if isinstance(task, RobotTask) else task(**task_kwargs)
        if not isinstance(inner.robot, SimRobot):
            inner.close()
            raise ConfigError("PixelTask renders with PyBullet: the task's robot must be a "
                              f"SimRobot, got {type(inner.robot).__name__}")
        self.task = inner
        robot: Robot = inner.robot
        super().__init__(robot, max_steps=inner.max_steps, render_mode=render_mode)
        self.camera = Camera(inner.robot, size, pose, lighting, travel)
        image_space = gym.spaces.Box(0, 255, self.camera.shape, np.uint8)
        self.state = state
        space: gym.spaces.Space[Any] = (
            gym.spaces.Dict({"image": image_space, "state": inner.observation_space})
            if state else image_space)
        self.observation_space = space
        self.metadata = {**inner.metadata, "render_modes": ["rgb_array"]}
        self.last_image: np.ndarray | None = None

    def initial_state(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return self.task.initial_state(rng)

    def observation(self, obs: Observation) -> Any:
        """Render the image (once per reset/step); with ``state``, add the task's vector."""
        self.last_image = self.camera.render()
        if self.state:
            return {"image": self.last_image, "state": self.task.observation(obs)}
        return self.last_image

    def reward(self, obs: Observation, applied: np.ndarray) -> float:
        return self.task.reward(obs, applied)

    def terminated(self, obs: Observation) -> bool:
        return self.task.terminated(obs)

    def render(self) -> np.ndarray | None:  # type: ignore[override]
        """The last observed image (no extra rendering)."""
        if self.render_mode != "rgb_array" or self.last_image is None:
            return None
        return self.last_image.copy()

    def close(self) -> None:
        self.task.close()


#: task name -> gym id of its pixel version
PIXEL_TASKS: dict[str, str] = {}
for _name, (_id, _cls) in TASKS.items():
    PIXEL_TASKS[_name] = _id.replace("-v0", "Pixels-v0")
    if PIXEL_TASKS[_name] not in gym.registry:
        gym.register(PIXEL_TASKS[_name], entry_point=f"{__name__}:PixelTask",
                     kwargs={"task": _name}, max_episode_steps=None, disable_env_checker=True)

__all__ = ["PIXEL_TASKS", "Camera", "CameraSettings", "ImageFilter", "PixelTask", "find_camera"]
