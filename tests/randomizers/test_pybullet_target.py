"""PyBulletTarget on a Gymnasium env written without s2r (conftest.SlidingCube):
the same randomizers, the same vocabulary, real effects on the env's own client."""

from __future__ import annotations

import numpy as np
import pybullet as pb
import pytest

from randomizers.pybullet_target import PyBulletTarget
from randomizers.registry import build_randomizers
from randomizers.wrapper import RandomizedEnv
from s2r.errors import ConfigError, ParameterError

G = 9.81


def target_of(env):
    return PyBulletTarget(env.client, {"plane": env.plane, "cube": env.cube})


def randomized(env, entries, seed=0):
    return RandomizedEnv(env, build_randomizers(entries), seed=seed, target=target_of(env))


def test_table_reads_nominal_values_and_default_bounds(cube_env):
    t = target_of(cube_env)
    assert t.get("link.cube.mass") == 1.0
    assert t.get("link.cube.inertia_xx") == pytest.approx(1.0 * (0.1**2 + 0.1**2) / 12)
    assert t.get("link.cube.lateral_friction") == 0.5  # PyBullet's default for a new body
    assert t.get("link.plane.lateral_friction") == 1.0
    assert t.get("world.gravity") == pytest.approx(G)
    assert t.get("world.timestep") == pytest.approx(1 / 240)
    assert "link.plane.mass" not in t.params  # static: a mass would make it fall
    mass = t.params["link.cube.mass"]
    assert (mass.low, mass.high, mass.unit) == (0.25, 4.0, "kg")  # s2r's RULES
    with pytest.raises(ParameterError, match="outside the bounds"):
        t.set("link.cube.mass", -1.0)


def test_mass_keeps_the_radii_of_gyration(cube_env):
    t = target_of(cube_env)
    i0 = t.get("link.cube.inertia_yy")
    t.set("link.cube.mass", 3.0)
    dyn = pb.getDynamicsInfo(cube_env.cube, -1, physicsClientId=cube_env.client)
    assert dyn[0] == 3.0
    assert dyn[2][1] == pytest.approx(3.0 * i0) == t.get("link.cube.inertia_yy")
    # mass and an inertia in one call (as SimRobot): the inertias present win, the others
    # keep their current value
    t.set_params({"link.cube.mass": 1.5, "link.cube.inertia_zz": 0.005})
    dyn = pb.getDynamicsInfo(cube_env.cube, -1, physicsClientId=cube_env.client)
    assert dyn[0] == 1.5
    assert dyn[2][2] == pytest.approx(0.005) and dyn[2][0] == pytest.approx(3.0 * i0)
    t.set("link.cube.mass", 0.75)  # and from then on they scale with the mass again
    dyn = pb.getDynamicsInfo(cube_env.cube, -1, physicsClientId=cube_env.client)
    assert dyn[2][2] == pytest.approx(0.0025) and dyn[2][0] == pytest.approx(1.5 * i0)


def slide_distance(env, **reset):
    env.reset(options={"velocity": 2.0})
    for _ in range(120):  # 2 s: long enough to stop
        obs = env.step(np.zeros(1))[0]
    return obs[0]


def test_friction_randomization_changes_how_far_the_cube_slides(cube_env):
    env = randomized(cube_env, [{"type": "friction", "distribution": [0.3, 1.6]}], seed=1)
    mus, distances = [], []
    for _ in range(4):
        d = slide_distance(env)
        values = env.last_record["friction"]["values"]
        mu = values["link.cube.lateral_friction"] * values["link.plane.lateral_friction"]
        assert pb.getDynamicsInfo(cube_env.cube, -1, physicsClientId=cube_env.client)[1] == \
            pytest.approx(values["link.cube.lateral_friction"])
        mus.append(mu)
        distances.append(d)
        # v^2 / (2 mu g): PyBullet slides 3-5 % short of it (contact settling at the start)
        assert d == pytest.approx(4.0 / (2 * mu * G), rel=0.08)
    assert max(distances) > 1.3 * min(distances)
    order = np.argsort(mus)
    assert np.all(np.diff(np.array(distances)[order]) < 0)  # more friction, shorter slide


def bounce_apex(env, height=0.55):
    """Height of the first bounce above the resting height (0.05 m)."""
    env.reset(options={"height": height})
    zs, vz = [], []
    for _ in range(90):
        obs = env.step(np.zeros(1))[0]
        zs.append(obs[2])
        vz.append(obs[5])
    up = int(np.argmax(np.array(vz) > 0))  # first sample moving up after the impact
    down = up + int(np.argmax(np.array(vz[up:]) < 0))
    return max(zs[up:down + 1]) - 0.05


def test_restitution_randomization_changes_the_bounce(cube_env):
    env = randomized(cube_env, [{"type": "restitution", "distribution": [0.6, 0.95],
                                 "shared": True}], seed=2)
    es, apexes = [], []
    for _ in range(4):
        apex = bounce_apex(env)
        e = env.last_record["restitution"]["values"]["link.cube.restitution"]
        es.append(e * e)  # contacts multiply the two sides' restitution
        apexes.append(apex)
        # apex = e_eff^2 * drop; PyBullet bounces 5-20 % higher (s2r/sim/PHYSICS.md section 12)
        assert apex == pytest.approx(e**4 * 0.5, rel=0.25)
    order = np.argsort(es)
    assert np.all(np.diff(np.array(apexes)[order]) > 0)


def test_gravity_and_timestep_act_on_the_foreign_client(cube_env):
    env = randomized(cube_env, [{"type": "gravity", "distribution": 1.3},
                                {"type": "timestep", "distribution": 0.5}])
    env.reset(options={"height": 1.0})
    obs = env.step(np.zeros(1))[0]  # 4 physics steps of 1/480 s
    # free fall; PyBullet's default linear damping (0.04/s) takes 3e-4 of it in 4 steps
    assert obs[5] == pytest.approx(-1.3 * G * 4 / 480, rel=5e-4)
    env.close()


def test_sensing_noise_changes_the_foreign_observation(cube_env):
    env = randomized(cube_env, [{"type": "observation_noise", "amplitude": 0.01,
                                 "indices": [0, 1, 2]}])
    obs, _ = env.reset(options={"velocity": 1.0})
    raw = cube_env._obs()
    assert np.all(obs[:3] != raw[:3]) and np.all(np.abs(obs[:3] - raw[:3]) < 0.06)
    np.testing.assert_array_equal(obs[3:], raw[3:])


def test_same_seed_same_samples_and_same_episode(envs):
    entries = [{"type": "friction", "distribution": [0.5, 1.5]},
               {"type": "mass", "distribution": [0.5, 2.0]},
               {"type": "action_noise", "amplitude": 0.2},
               {"type": "observation_noise", "amplitude": 0.01}]

    def run(seed):
        cube = envs["cube"]()
        env = randomized(cube, entries, seed=seed)
        rows, records = [], []
        for _ in range(2):
            obs, info = env.reset(options={"velocity": 1.0})
            records.append(info["randomization"])
            rows.append(obs)
            for k in range(30):
                rows.append(env.step(np.array([np.sin(0.3 * k)]))[0])
        env.close()
        return np.array(rows), records

    a, ra = run(7)
    b, rb = run(7)
    c, rc = run(8)
    np.testing.assert_array_equal(a, b)
    assert ra == rb and ra != rc
    assert not np.array_equal(a, c)


def test_link_names_must_be_unique(cube_env):
    other = pb.createMultiBody(1.0, -1, physicsClientId=cube_env.client)
    with pytest.raises(ConfigError, match="link0.*used twice"):
        PyBulletTarget(cube_env.client, [cube_env.cube, other])
    t = PyBulletTarget(cube_env.client, [cube_env.cube], links={"box": (cube_env.cube, -1)})
    assert "link.box.mass" in t.params
    with pytest.raises(ConfigError, match="no parameter named 'joint.x.damping'"):
        PyBulletTarget(cube_env.client, [cube_env.cube], nominal={"joint.x.damping": 0.1})
