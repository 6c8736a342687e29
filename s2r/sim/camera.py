"""Rendering a SimRobot with PyBullet's CPU renderer (ER_TINY_RENDERER)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pybullet as pb

from s2r.sim.sim_robot import SimRobot


@dataclass
class CameraPose:
    """Where the camera looks from: target, distance, yaw/pitch in degrees, field of view."""

    target: tuple[float, float, float] = (0.0, 0.0, 0.0)
    distance: float = 1.0
    yaw: float = 0.0
    pitch: float = -10.0
    fov: float = 60.0


def default_pose(robot: SimRobot) -> CameraPose:
    """A pose that frames the robot: looking at its base, from its side."""
    boxes = [pb.getAABB(robot.body, j, physicsClientId=robot.client)
             for j in range(-1, pb.getNumJoints(robot.body, physicsClientId=robot.client))]
    lo = np.min([b[0] for b in boxes], axis=0)
    hi = np.max([b[1] for b in boxes], axis=0)
    size = max(float(np.max(hi - lo)), 0.2)
    target = tuple(float(v) for v in (lo + hi) / 2)
    return CameraPose(target=target, distance=1.6 * size)  # type: ignore[arg-type]


def render_robot(robot: SimRobot, size: int = 64, pose: CameraPose | None = None,
                 light_direction: tuple[float, float, float] | None = None) -> np.ndarray:
    """An RGB image (size x size x 3, uint8) of the robot."""
    pose = pose or default_pose(robot)
    view = pb.computeViewMatrixFromYawPitchRoll(pose.target, pose.distance, pose.yaw, pose.pitch,
                                                0.0, 2, physicsClientId=robot.client)
    proj = pb.computeProjectionMatrixFOV(pose.fov, 1.0, 0.01, 20.0, physicsClientId=robot.client)
    kwargs = {"lightDirection": list(light_direction)} if light_direction else {}
    _, _, rgba, _, _ = pb.getCameraImage(size, size, view, proj, renderer=pb.ER_TINY_RENDERER,
                                         physicsClientId=robot.client, **kwargs)
    return np.asarray(rgba, dtype=np.uint8).reshape(size, size, 4)[:, :, :3].copy()
