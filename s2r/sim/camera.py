"""Rendering a SimRobot with PyBullet's CPU renderer (ER_TINY_RENDERER).

:func:`default_pose` frames what the robot's moving links can reach (its
static scenery, such as the cart-pole's 30 m slide bar, is ignored);
:class:`Lighting` holds the renderer's light. Rendering costs about 0.1-0.3 ms
at 64x64 (s2r/sim/PHYSICS.md, section 10): once per control step at most.

>>> from s2r.sim import SimRobot
>>> robot = SimRobot("furuta")
>>> image = render_robot(robot, 32)
>>> image.shape, image.dtype
((32, 32, 3), dtype('uint8'))
>>> robot.close()
"""

from __future__ import annotations

import functools
import itertools
import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from s2r.errors import RobotError
from s2r.sim._pb import pb
from s2r.sim.sim_robot import SimRobot

F = TypeVar("F", bound=Callable[..., Any])


def _robot_errors(fn: F) -> F:
    """PyBullet errors of ``fn(robot, ...)`` as RobotError (a closed robot says so)."""
    @functools.wraps(fn)
    def wrapper(robot: SimRobot, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(robot, *args, **kwargs)
        except pb.error as err:
            why = "the robot is closed" if robot.client < 0 else f"PyBullet failed: {err}"
            raise RobotError(f"{fn.__name__}: {why}", where=robot.description.name) from None
    return wrapper  # type: ignore[return-value]


@dataclass
class CameraPose:
    """Where the camera looks from: target, distance, yaw/pitch in degrees, field of view."""

    target: tuple[float, float, float] = (0.0, 0.0, 0.0)
    distance: float = 1.0
    yaw: float = 0.0
    pitch: float = -10.0
    fov: float = 60.0


@dataclass
class Lighting:
    """The light of ER_TINY_RENDERER; the defaults are the renderer's own.

    All fields are sent with every image: the renderer keeps the last values it
    was given in a physics client, so relying on its defaults after a change
    would silently keep the changed light. ``direction`` points towards the
    light; ``distance`` only matters for shadows, which cost about 10x more.
    """

    direction: tuple[float, float, float] = (-50.0, 30.0, 100.0)
    color: tuple[float, float, float] = (1.0, 1.0, 1.0)
    distance: float = 2.0
    ambient: float = 0.6
    diffuse: float = 0.35
    specular: float = 0.05
    shadow: bool = False

    def kwargs(self) -> dict[str, Any]:
        """The ``getCameraImage`` arguments."""
        return {"lightDirection": list(self.direction), "lightColor": list(self.color),
                "lightDistance": self.distance, "lightAmbientCoeff": self.ambient,
                "lightDiffuseCoeff": self.diffuse, "lightSpecularCoeff": self.specular,
                "shadow": int(self.shadow)}


def _joint_grid(robot: SimRobot, j: int, info: tuple, travel: bool, points: int) -> list[float]:
    names = {robot.joint_index(js.name): js.name for js in robot.spec.joints}
    limits = robot.spec.safety.position.get(names.get(j, ""))
    if limits is None and info[8] < info[9]:
        limits = (float(info[8]), float(info[9]))
    if info[2] == pb.JOINT_PRISMATIC:
        if travel and limits is not None:
            return list(np.linspace(limits[0], limits[1], 5))
        return [min(max(0.0, limits[0]), limits[1]) if limits else 0.0]
    if limits is not None:
        return list(np.linspace(limits[0], limits[1], points))
    return list(np.linspace(-math.pi, math.pi, points, endpoint=False))


@_robot_errors
def reach_points(robot: SimRobot, travel: bool = False) -> np.ndarray:
    """Corners (N x 3) of the moving links' boxes, swept over a grid of joint positions
    (within the safety limits; prismatic travel only with ``travel``). Static links
    (the cart-pole's 30 m slide bar) are ignored. The joint state is restored exactly."""
    robot.need_shapes()  # the boxes are those of the collision shapes
    c, body = robot.client, robot.body
    infos = [pb.getJointInfo(body, j, physicsClientId=c) for j in
             range(pb.getNumJoints(body, physicsClientId=c))]
    movable = [i[0] for i in infos if i[2] in (pb.JOINT_REVOLUTE, pb.JOINT_PRISMATIC)]
    moving = []
    for j in range(len(infos)):
        k = j
        while k >= 0 and k not in movable:
            k = infos[k][16]
        if k >= 0:
            moving.append(j)
    links = moving or list(range(-1, len(infos)))
    points = max(3, min(12, int(4096 ** (1.0 / max(1, len(movable))))))
    grids = [_joint_grid(robot, j, infos[j], travel, points) for j in movable]
    saved = [pb.getJointState(body, j, physicsClientId=c)[:2] for j in movable]
    corners: list[tuple[float, ...]] = []
    try:
        for combo in itertools.product(*grids):
            for j, q in zip(movable, combo):
                pb.resetJointState(body, j, float(q), 0.0, physicsClientId=c)
            for link in links:
                corners += itertools.product(*zip(*pb.getAABB(body, link, physicsClientId=c)))
    finally:
        for j, (q, qd) in zip(movable, saved):
            pb.resetJointState(body, j, q, qd, physicsClientId=c)
    return np.array(corners, dtype=float)


@_robot_errors
def default_pose(robot: SimRobot, *, travel: bool = False, fov: float = 60.0,
                 aspect: float = 1.0, margin: float = 1.1) -> CameraPose:
    """A pose that frames everything the robot's moving links can reach (:func:`reach_points`).

    A robot that moves in a vertical plane (cart-pole, pendulum) is seen square
    on, slightly from above; any other from an oblique angle above. The target
    and distance fit the reachable points into the field of view with ``margin``.

    >>> from s2r.sim import SimRobot
    >>> robot = SimRobot("cartpole")
    >>> pose = default_pose(robot)      # not the 30 m slide bar: cart and swinging pole
    >>> 2.0 < pose.distance < 4.0, pose.yaw
    (True, 0.0)
    >>> robot.close()
    """
    pts = reach_points(robot, travel)
    ext = pts.max(axis=0) - pts.min(axis=0)
    if ext[1] <= 0.5 * ext[0]:
        yaw, pitch = 0.0, -10.0
    elif ext[0] <= 0.5 * ext[1]:
        yaw, pitch = 90.0, -10.0
    else:
        yaw, pitch = 40.0, -35.0
    target = (pts.min(axis=0) + pts.max(axis=0)) / 2
    view = np.array(pb.computeViewMatrixFromYawPitchRoll(
        target.tolist(), 1.0, yaw, pitch, 0.0, 2, physicsClientId=robot.client)).reshape(4, 4).T
    cam = (view @ np.c_[pts, np.ones(len(pts))].T)[:3].T  # camera frame, looking along -z
    shift = (cam[:, :2].max(axis=0) + cam[:, :2].min(axis=0)) / 2
    target = target + view[0, :3] * shift[0] + view[1, :3] * shift[1]
    x, y = cam[:, 0] - shift[0], cam[:, 1] - shift[1]
    tan = math.tan(math.radians(fov) / 2)
    need = 1.0 + cam[:, 2] + margin * np.maximum(np.abs(x) / aspect, np.abs(y)) / tan
    return CameraPose(target=tuple(float(v) for v in target),  # type: ignore[arg-type]
                      distance=float(max(need.max(), 0.05)), yaw=yaw, pitch=pitch, fov=fov)


@_robot_errors
def render(robot: SimRobot, width: int, height: int, pose: CameraPose,
           lighting: Lighting | None = None, segmentation: bool = False
           ) -> tuple[np.ndarray, np.ndarray | None]:
    """One image: RGB (height x width x 3, uint8) and, if asked, the segmentation mask
    (body id per pixel, -1 where nothing is drawn)."""
    robot.need_shapes()  # after a centre-of-mass reload the body may have none yet
    c = robot.client
    view = pb.computeViewMatrixFromYawPitchRoll(list(pose.target), pose.distance, pose.yaw,
                                                pose.pitch, 0.0, 2, physicsClientId=c)
    far = max(20.0, 4.0 * pose.distance)
    proj = pb.computeProjectionMatrixFOV(pose.fov, width / height, 0.01, far, physicsClientId=c)
    flags = 0 if segmentation else pb.ER_NO_SEGMENTATION_MASK
    _, _, rgba, _, seg = pb.getCameraImage(width, height, view, proj, renderer=pb.ER_TINY_RENDERER,
                                           flags=flags, physicsClientId=c,
                                           **(lighting or Lighting()).kwargs())
    rgb = np.asarray(rgba, dtype=np.uint8).reshape(height, width, 4)[:, :, :3].copy()
    return rgb, np.asarray(seg).reshape(height, width) if segmentation else None


_POSES: weakref.WeakKeyDictionary[Any, CameraPose] = weakref.WeakKeyDictionary()


def render_robot(robot: SimRobot, size: int = 64, pose: CameraPose | None = None,
                 light_direction: tuple[float, float, float] | None = None) -> np.ndarray:
    """An RGB image (size x size x 3, uint8) of the robot (default pose computed once per robot)."""
    if pose is None:
        if robot not in _POSES:
            _POSES[robot] = default_pose(robot)
        pose = _POSES[robot]
    lighting = Lighting(direction=light_direction) if light_direction else Lighting()
    return render(robot, size, size, pose, lighting)[0]
