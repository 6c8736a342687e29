"""Visual randomization: the camera task, and every visual randomizer's effect on the image."""

from __future__ import annotations

import json
import os
from typing import Any

import gymnasium as gym
import numpy as np
import pybullet as pb
import pytest
from gymnasium.utils.env_checker import check_env

import s2r.tasks  # noqa: F401  (registers the pixel tasks)
from randomizers.base import RandomizationError
from randomizers.registry import build_randomizers, registry
from randomizers.visual import TextureRandomizer
from randomizers.visual.procedural import KINDS, procedural_image, write_png
from randomizers.wrapper import RandomizedEnv
from s2r.errors import ConfigError
from s2r.tasks import CartpoleBalance
from s2r.tasks import camera as camera_module
from s2r.tasks.camera import Camera, PixelTask, find_camera

SIZE = 48
VISUAL = ("link_color", "texture", "light", "camera_pose", "camera_fov", "background",
          "image_noise")
ALL: list[dict[str, Any]] = [
    {"type": "link_color"}, {"type": "texture", "probability": 0.5}, {"type": "light"},
    {"type": "camera_pose"}, {"type": "camera_fov"}, {"type": "background"},
    {"type": "image_noise", "std": [2.0, 6.0]}]


def make(entries: list[dict[str, Any]], task: str = "cartpole_balance", seed: int = 0,
         **kwargs: Any) -> RandomizedEnv:
    return RandomizedEnv(PixelTask(task, size=SIZE, **kwargs), build_randomizers(entries),
                         seed=seed)


def cam(env: Any) -> Camera:
    camera = find_camera(env)
    assert camera is not None
    return camera


def reset_with(env: RandomizedEnv, record: dict[str, Any]) -> np.ndarray:
    """The first image of an episode with the given randomization values (a replay)."""
    image, _ = env.reset(seed=0, options={"randomization": record})
    return image


def links(camera: Camera) -> np.ndarray:
    """Per pixel: the robot's link index, or -2 where there is no robot."""
    s, robot = camera.settings, camera.robot
    view = pb.computeViewMatrixFromYawPitchRoll(list(s.pose.target), s.pose.distance, s.pose.yaw,
                                                s.pose.pitch, 0, 2, physicsClientId=robot.client)
    proj = pb.computeProjectionMatrixFOV(s.pose.fov, 1.0, 0.01, 20.0, physicsClientId=robot.client)
    seg = np.asarray(pb.getCameraImage(
        camera.width, camera.height, view, proj, renderer=pb.ER_TINY_RENDERER,
        flags=pb.ER_SEGMENTATION_MASK_OBJECT_AND_LINKINDEX, physicsClientId=robot.client,
        **s.lighting.kwargs())[4]).reshape(camera.height, camera.width)
    body, link = seg & ((1 << 24) - 1), (seg >> 24) - 1
    return np.where((seg >= 0) & (body == robot.body), link, -2)


def robot_mask(camera: Camera) -> np.ndarray:
    return links(camera) >= 0  # the moving links (the slide bar is the base, -1)


def test_all_visual_types_are_registered() -> None:
    assert set(VISUAL) <= set(registry())


# ---------------------------------------------------------------------- camera task
def test_pixel_task_passes_the_env_checker() -> None:
    cases: list[tuple[str, dict[str, Any]]] = [
        ("s2r/FurutaSwingupPixels-v0", {}),
        ("s2r/CartpoleBalancePixels-v0", {"state": True, "size": 32})]
    for gym_id, kwargs in cases:
        env = gym.make(gym_id, **kwargs)
        check_env(env.unwrapped, skip_render_check=True)
        obs, _ = env.reset(seed=1)
        assert env.observation_space.contains(obs)
        env.close()


def test_pixel_task_renders_once_per_step(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = camera_module.render

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(camera_module, "render", counting)
    env = PixelTask("pendulum_swingup", size=16, render_mode="rgb_array")
    image, _ = env.reset(seed=0)
    for _ in range(3):
        image, *_ = env.step(env.action_space.sample())
    assert len(calls) == 4
    assert np.array_equal(env.render(), image) and len(calls) == 4  # type: ignore[arg-type]  # render() re-uses it
    env.close()


def test_pixel_task_refuses_unknown_task() -> None:
    with pytest.raises(ConfigError, match="unknown task"):
        PixelTask("juggling")


@pytest.mark.parametrize("task", ["cartpole_swingup", "pendulum_swingup", "furuta_swingup"])
def test_default_pose_frames_the_robot_in_any_position(task: str) -> None:
    env = PixelTask(task, size=SIZE)
    n = env.robot.spec.n_joints
    rng = np.random.default_rng(0)
    union = np.zeros((SIZE, SIZE), bool)
    for _ in range(6):
        q = rng.uniform(-2.3, 2.3, n)
        q[0] = 0.0 if task.startswith("cartpole") else q[0]  # the cart at rest: see travel
        env.reset(options={"state": (q, np.zeros(n))})
        mask = robot_mask(env.camera)
        rows, cols = np.nonzero(mask)
        assert rows.size > 0
        assert rows.min() > 0 and cols.min() > 0  # the whole robot in view
        assert rows.max() < SIZE - 1 and cols.max() < SIZE - 1
        union |= mask
    rows, cols = np.nonzero(union)
    assert min(np.ptp(rows), np.ptp(cols)) > 0.4 * SIZE  # and not tiny
    env.close()


def test_travel_frames_the_whole_rail() -> None:
    env = PixelTask("cartpole_balance", size=SIZE, travel=True)
    for x in (-2.4, 2.4):
        env.reset(options={"state": ([x, 0.0], [0.0, 0.0])})
        cols = np.nonzero(robot_mask(env.camera))[1]
        assert 0 < cols.min() and cols.max() < SIZE - 1
    env.close()


# ------------------------------------------------------------------- each effect
def test_link_color_changes_the_robots_colour() -> None:
    env = make([{"type": "link_color", "space": "rgb", "red": 1.0, "green": 0.0, "blue": 0.0}])
    image, info = env.reset(seed=0)
    camera = cam(env)
    mask = robot_mask(camera)
    red, green, blue = image[mask].astype(float).mean(axis=0)
    assert red > 100 and green < 10 and blue < 10
    assert all(c == [1.0, 0.0, 0.0, 1.0] for c in info["randomization"]["link_color"]["colors"]
               .values())
    env.randomizers[0].close(env.ctx)  # nominal colours back
    nominal = camera.render()[mask].astype(float).mean(axis=0)
    assert nominal[2] > nominal[0] + 30  # the nominal cart is blue
    env.close()


def test_link_color_hsv_draws_differ_per_episode() -> None:
    env = make([{"type": "link_color", "links": ["cart"]}])
    means = []
    for _ in range(3):
        image, _ = env.reset()
        means.append(image[links(cam(env)) == 0].astype(float).mean(axis=0))
    assert np.abs(means[0] - means[1]).max() > 5 and np.abs(means[1] - means[2]).max() > 5
    env.close()


def test_texture_puts_a_pattern_on_a_link() -> None:
    env = make([{"type": "texture", "links": ["cart"], "kinds": ["checker"], "pool": 2}])
    textured, info = env.reset(seed=0)
    cart = links(cam(env)) == 0
    plain = reset_with(env, {"texture": {"textures": {"cart": None}}})
    assert textured[cart].std(axis=0).max() > plain[cart].std(axis=0).max() + 15
    for _ in range(6):
        env.reset()
    randomizer = env.randomizers[0]
    assert isinstance(randomizer, TextureRandomizer)
    assert len(randomizer.cache._ids) <= 2  # bounded by the pool: PyBullet cannot unload
    assert randomizer.cache._tmp is not None
    folder = randomizer.cache._tmp.name
    assert os.listdir(folder) == []  # PNGs are deleted once loaded
    env.close()
    assert not os.path.exists(folder)


def test_light_direction_and_ambient_change_the_shading() -> None:
    env = make([{"type": "light", "ambient": [0.1, 1.0]}])
    env.reset(seed=0)
    mask = robot_mask(cam(env))

    def light(direction: list[float], ambient: float) -> np.ndarray:
        image = reset_with(env, {"light": {"direction": direction, "ambient": ambient}})
        return image[mask].astype(float)

    front, back = light([0.2, -1.0, 0.3], 0.6), light([0.2, 1.0, 0.3], 0.6)
    assert np.abs(front - back).mean() > 5
    assert light([0.0, -1.0, 1.0], 1.0).mean() > light([0.0, -1.0, 1.0], 0.1).mean() + 20
    env.close()


def test_camera_pose_shifts_and_scales_the_image() -> None:
    env = make([{"type": "camera_pose", "target": [-1.0, 1.0]}])
    env.reset(seed=0)
    camera = cam(env)

    def mask(**record: Any) -> np.ndarray:
        reset_with(env, {"camera_pose": record})
        return robot_mask(camera)

    centre = np.nonzero(mask(target=[0.0, 0.0, 0.0]))[1].mean()
    shifted = np.nonzero(mask(target=[0.3, 0.0, 0.0]))[1].mean()
    assert centre - shifted > 3  # looking further right: the robot moves left
    assert mask(distance=1.5).sum() < 0.7 * mask(distance=1.0).sum()
    turned = mask(yaw=60.0)
    assert turned.sum() != mask(yaw=0.0).sum()
    env.close()


def test_field_of_view_changes_the_apparent_size() -> None:
    env = make([{"type": "camera_fov", "fov": [0.7, 1.3]}])
    env.reset(seed=0)
    camera = cam(env)
    areas = {}
    for factor in (0.7, 1.3):
        reset_with(env, {"camera_fov": {"fov": factor}})
        assert camera.settings.pose.fov == pytest.approx(60.0 * factor)
        areas[factor] = robot_mask(camera).sum()
    assert areas[0.7] > 1.8 * areas[1.3]
    env.close()


def test_background_replaces_the_white_where_nothing_is_drawn() -> None:
    env = make([{"type": "background", "kinds": ["noise"]}])
    image, info = env.reset(seed=0)
    empty = links(cam(env)) == -2
    record = info["randomization"]["background"]
    expected = procedural_image(record["kind"], record["seed"], SIZE, SIZE)
    slide_bar = image != expected
    assert (image[empty] == expected[empty]).mean() > 0.9  # all but the static slide bar
    assert slide_bar.any()
    assert not (image == 255).all(axis=2).any()
    env.close()


def test_image_noise_has_the_configured_std_and_changes_every_step() -> None:
    env = make([{"type": "image_noise", "std": 8.0}])
    camera = cam(env)
    camera.settings.background = np.full(camera.shape, 128, np.uint8)  # no clipping at white
    env.reset(seed=0)
    residuals = []
    for _ in range(2):
        noisy, *_ = env.step(np.zeros(1, dtype=np.float32))
        clean = camera.render(filters=False)
        unclipped = (clean > 40) & (clean < 215)
        residuals.append((noisy.astype(float) - clean)[unclipped])
    assert residuals[0].size > 0.8 * clean.size
    assert residuals[0].std() == pytest.approx(8.0, rel=0.05)
    assert abs(residuals[0].mean()) < 0.3
    assert not np.array_equal(residuals[0], residuals[1])  # new noise in every image
    env.close()


# --------------------------------------------------------- determinism and replay
def run(env: RandomizedEnv, steps: int = 3) -> list[np.ndarray]:
    image, _ = env.reset()
    images = [image]
    for _ in range(steps):
        images.append(env.step(np.full(1, 0.5, dtype=np.float32))[0])
    return images


def test_same_seed_same_images_other_seed_other_images() -> None:
    a, b, c = (make(ALL, seed=s) for s in (11, 11, 12))
    first, second, other = run(a), run(b), run(c)
    assert all(np.array_equal(x, y) for x, y in zip(first, second))
    assert not np.array_equal(first[0], other[0])
    for env in (a, b, c):
        env.close()


def test_a_replayed_record_reproduces_the_images() -> None:
    env = make(ALL, seed=4)
    first = run(env)
    record = json.loads(json.dumps(env.last_record))  # records are JSON
    run(env)  # another episode, other values
    image, _ = env.reset(options={"randomization": record})
    replay = [image] + [env.step(np.full(1, 0.5, dtype=np.float32))[0] for _ in range(3)]
    assert all(np.array_equal(x, y) for x, y in zip(first, replay))
    env.close()


def test_interval_camera_jitter_moves_the_camera_within_an_episode() -> None:
    env = make([{"type": "camera_pose", "mode": "interval", "interval": {"steps": 1}}])
    env.reset(seed=0)
    camera = cam(env)
    yaws = set()
    for _ in range(3):
        env.step(np.zeros(1, dtype=np.float32))
        yaws.add(camera.settings.pose.yaw)
    assert len(yaws) == 3
    env.close()


# ------------------------------------------------------------- invalid configs
@pytest.mark.parametrize("entry, message", [
    ({"type": "link_color", "saturation": [0.5, 2.0]}, "saturation"),
    ({"type": "link_color", "space": "cmyk"}, "space"),
    ({"type": "link_color", "space": "rgb", "hue": [0, 1]}, "space: hsv"),
    ({"type": "texture", "kinds": ["marble"]}, "marble"),
    ({"type": "texture", "pool": 0}, "pool"),
    ({"type": "light", "azimuth": [0, 90], "elevation": None}, "elevation"),
    ({"type": "light", "ambient": [-0.5, 1.0]}, "ambient"),
    ({"type": "camera_pose", "distance": [-1.0, 1.0]}, "distance"),
    ({"type": "image_noise", "std": [-1.0, 2.0]}, "std"),
    ({"type": "background", "probability": 1.5}, "probability"),
    ({"type": "camera_fov", "zoom": 2}, "unknown option"),
])
def test_invalid_configs_fail_when_built(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(RandomizationError, match=message):
        build_randomizers([entry])


@pytest.mark.parametrize("entry, message", [
    ({"type": "link_color", "links": ["wheel"]}, "no link named 'wheel'"),
    ({"type": "camera_pose", "pitch": [-85.0, 0.0]}, "pitch"),
    ({"type": "camera_fov", "fov": [0.5, 4.0]}, "fov"),
])
def test_invalid_configs_fail_when_bound(entry: dict[str, Any], message: str) -> None:
    randomizers = build_randomizers([entry])
    task = PixelTask("cartpole_balance", size=8)
    with pytest.raises(RandomizationError, match=message):
        RandomizedEnv(task, randomizers)
    task.close()


def test_camera_randomizers_need_a_camera_task() -> None:
    task = CartpoleBalance()
    for kind in ("light", "camera_pose", "camera_fov", "background", "image_noise"):
        with pytest.raises(RandomizationError, match="needs a camera task"):
            RandomizedEnv(task, build_randomizers([{"type": kind}]))
    RandomizedEnv(task, build_randomizers([{"type": "link_color"}])).close()  # no camera needed


# ------------------------------------------------------------------ procedural
def test_procedural_images_are_deterministic_and_pngs_valid(tmp_path: Any) -> None:
    import matplotlib.image

    for kind in KINDS:
        image = procedural_image(kind, 5, 12, 20)
        assert image.shape == (12, 20, 3) and np.array_equal(image,
                                                             procedural_image(kind, 5, 12, 20))
        write_png(tmp_path / f"{kind}.png", image)
        read = matplotlib.image.imread(tmp_path / f"{kind}.png")
        assert np.array_equal(np.round(read[:, :, :3] * 255).astype(np.uint8), image)
    one, two = procedural_image("noise", 1, 8, 8), procedural_image("noise", 2, 8, 8)
    assert not np.array_equal(one, two)
