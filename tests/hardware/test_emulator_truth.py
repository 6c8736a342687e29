"""The emulator's hidden truth (bench YAMLs, validation) and the plant's effects, without a pty."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from hardware.emulator import EmulatorConfig, Plant, load_emulator_config, load_truth
from hardware.emulator.config import default_config_path
from hardware.emulator.truth import RENAMED, truth_table
from s2r.config import configs_dir, read_yaml
from s2r.errors import ConfigError
from s2r.sim import SimRobot

ROBOTS = ("furuta", "pendulum", "cartpole")
DATA = Path(__file__).resolve().parents[1] / "s2r" / "data"


@pytest.fixture(scope="module")
def tables() -> dict:
    out = {}
    for name in ROBOTS:
        with SimRobot(name) as robot:
            out[name] = truth_table(robot.params, robot.spec)
    return out


def make_plant(robot: str = "furuta", truth: str = "bench", seed: int = 0, **effects: object
               ) -> Plant:
    return Plant(robot, truth, rng=np.random.default_rng(seed), **effects)


@pytest.mark.parametrize("robot", ROBOTS)
def test_every_bench_truth_is_valid_documented_and_differs_from_nominal(robot: str,
                                                                       tables: dict) -> None:
    truth = load_truth(robot, "bench", tables[robot])
    path = configs_dir() / "hardware" / "truth" / f"{robot}_bench.yaml"
    assert truth.source == str(path) and truth.robot == robot
    assert len(truth.params) >= 5
    for name, value in truth.params.items():
        assert name in tables[robot]
        assert value != pytest.approx(tables[robot][name].nominal), name
    assert truth.effects.action_jitter > 0 and truth.effects.comm_latency > 0
    assert any(name.endswith(".resolution") for name in truth.params)
    lines = path.read_text().splitlines()
    comments = sum(line.lstrip().startswith("#") for line in lines)
    assert comments >= len(truth.params), "every value is explained in a comment"


def test_furuta_bench_values(tables: dict) -> None:
    plant = make_plant()
    try:
        truth, nominal = plant.truth, tables["furuta"].nominal()
        assert set(truth) | set(plant.effect_truth) == set(nominal)
        assert truth["link.pendulum.mass"] == pytest.approx(1.08 * nominal["link.pendulum.mass"])
        # the inertia follows the mass even though the COM moved in the same truth
        assert truth["link.pendulum.inertia_xx"] == pytest.approx(
            1.08 * nominal["link.pendulum.inertia_xx"])
        assert truth["motor.arm.resistance"] == 9.1
        assert truth["motor.arm.torque_constant"] == 0.039
        assert truth["joint.arm.damping"] == pytest.approx(1.2 * nominal["joint.arm.damping"])
        assert truth["joint.arm.coulomb"] == 0.001 and truth["motor.arm.deadzone"] == 0.2
        assert truth["delay.action"] == 0.003
        assert truth["link.pendulum.com_z"] != nominal["link.pendulum.com_z"]
        assert truth["world.control_period"] == nominal["world.control_period"]
        assert plant.counts_per_rev == 2048
        effects = plant.effect_truth
        assert effects["sensor.arm.resolution"] == 2 * math.pi / 2048
        assert effects["sensor.current_arm.noise"] == 0.01
        assert effects["delay.action"] == 0.003 and effects["sensor.arm.velocity_noise"] == 0.0
    finally:
        plant.close()


def test_nominal_truth_has_no_effects(tables: dict) -> None:
    plant = make_plant("pendulum", "nominal")
    try:
        nominal = tables["pendulum"].nominal()
        assert plant.truth == pytest.approx({k: nominal[k] for k in plant.truth})
        assert plant.effect_truth == {k: nominal.get(k, 0.0) for k in plant.effect_truth}
        assert not any(vars(plant.effects).values()) and plant.counts_per_rev == 0
    finally:
        plant.close()


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "truth.yaml"
    path.write_text(text)
    return str(path)


def test_a_truth_file_can_be_a_flat_mapping_of_values(tmp_path: Path, tables: dict) -> None:
    path = write(tmp_path, "link.pole.mass: 1.2\njoint.hinge.damping: 0.05\n")
    truth = load_truth("pendulum", path, tables["pendulum"])
    assert truth.params == {"link.pole.mass": 1.2, "joint.hinge.damping": 0.05}
    assert truth.effects.action_jitter == 0.0


@pytest.mark.parametrize("text, message", [
    ("params: {link.pole.mas: 1.2}", "params.link.pole.mas: unknown parameter (did you mean "
                                     "link.pole.mass"),
    ("params: {link.pole.mass: 9.0}", "params.link.pole.mass: 9.0 kg is outside the bounds"),
    ("params: {link.pole.mass: heavy}", "params.link.pole.mass: expected a number"),
    ("params: {world.control_period: 0.01}", "params.world.control_period: not a property"),
    ("robot: furuta\nparams: {}", "robot: this truth is for 'furuta', not 'pendulum'"),
    ("effects: {comm_latncy: 0.1}",
     "unknown key 'effects.comm_latncy' (did you mean 'comm_latency'?)"),
    ("effects: {action_jitter: -1.0}", "effects.action_jitter: must be finite and >= 0"),
    ("params: {sensor.hinge.resolution: 1.0}",
     "params.sensor.hinge.resolution: 1.0 rad is outside the bounds [0.0, 0.1]"),
    ("params: {sensor.hinge.resolutoin: 0.01}", "did you mean sensor.hinge.resolution"),
    ("effects: {encoder_cpr: 2048}", "effects.encoder_cpr: no longer a setting; it is the "
                                     "per-joint parameter sensor.<joint>.resolution = 2*pi/counts"),
    ("effects: {velocity_filter: 0.5}", "effects.velocity_filter: no longer a setting; it is "
                                        "the per-joint parameter sensor.<joint>.velocity_cutoff"),
    ("params: [1, 2]", "params: expected a mapping"),
    ("params: {link.pole.mass: [", "invalid YAML"),
])
def test_bad_truth_files_name_the_key_and_the_file(tmp_path: Path, tables: dict, text: str,
                                                   message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_truth("pendulum", path, tables["pendulum"])
    assert str(err.value).startswith(path) and message in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_truths_are_config_errors(tables: dict) -> None:
    with pytest.raises(ConfigError, match="no such truth file"):
        load_truth("pendulum", "benchy", tables["pendulum"])
    with pytest.raises(ConfigError, match="no bench truth for robot 'my_pendulum'.*furuta"):
        make_plant(str(DATA / "my_pendulum.yaml"))
    make_plant(str(DATA / "my_pendulum.yaml"), "nominal").close()  # a user robot works


def test_truth_timestep_longer_than_the_physics_tick_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="truth.yaml: .*world.timestep"):
        make_plant("furuta", write(tmp_path, "world.timestep: 0.004"))


def test_emulator_config_defaults_match_the_yaml() -> None:
    assert load_emulator_config() == EmulatorConfig()
    raw = read_yaml(default_config_path())
    assert set(raw) == set(vars(EmulatorConfig()))
    with pytest.raises(ConfigError, match=r"<overrides>: drop_rate: must be a probability"):
        load_emulator_config(overrides=["drop_rate=1.5"])
    with pytest.raises(ConfigError, match=r"unknown key 'seeds'"):
        load_emulator_config(overrides=["seeds=1"])
    for bad in (dict(mode="fast"), dict(watchdog_ms=0), dict(silent_after=-1.0),
                dict(comm_latency=math.nan), dict(control_rate=0.0), dict(host_baud=0),
                dict(set_watchdog="maybe"), dict(baud=0)):
        with pytest.raises(ConfigError):
            EmulatorConfig(**bad).check()  # type: ignore[arg-type]


def test_encoder_quantization_and_finite_difference_velocity() -> None:
    plant = make_plant("furuta", "nominal", encoder_cpr=2048)
    try:
        plant.reset([0.3, 1.0], [0.0, 2.0])
        step = 2 * math.pi / 2048
        true_qd, meas_qd = [], []
        for _ in range(100):
            plant.step()
            q, qd, _ = plant.measurement()
            assert all(abs(x / step - round(x / step)) < 1e-9 for x in q)
            true_qd.append(plant.true_state()[1][1])
            meas_qd.append(qd[1])
        # over one control period (10 ms) one count is 0.31 rad/s: the estimate tracks the
        # true velocity to within a few counts (it also lags by half a period)
        err = np.abs(np.array(meas_qd) - np.array(true_qd))
        assert np.median(err) < 1.0 and max(meas_qd) != min(meas_qd)
    finally:
        plant.close()


def test_actuation_delay_and_coasting_driver() -> None:
    plant = make_plant("furuta", "nominal")
    plant.sim.set_params({"delay.action": 0.006})  # three 2 ms ticks
    try:
        plant.command((5.0,), enabled=True)
        currents = []
        for _ in range(5):
            plant.step()
            currents.append(plant.measurement()[2][0])
        assert currents[:3] == [0.0, 0.0, 0.0] and currents[3] > 0.5  # 5 V / 8.4 ohm
        plant.advance_to(plant.time + 0.2)
        plant.command((0.0,), enabled=False)
        plant.advance_to(plant.time + 0.01)
        q, qd, (current,) = plant.measurement()
        assert abs(qd[0]) > 10.0 and abs(current) < 1e-3  # spinning freely, no current
    finally:
        plant.close()


def test_noise_is_seeded() -> None:
    def run(seed: int) -> list:
        plant = make_plant("furuta", "bench", seed=seed)
        try:
            plant.command((1.0,), enabled=True)
            plant.advance_to(0.3)
            return list(plant.measurement())
        finally:
            plant.close()

    assert run(1) == run(1)
    assert run(1) != run(2)


@pytest.mark.parametrize("key", sorted(RENAMED))
def test_every_old_effects_key_names_its_new_parameter(tmp_path: Path, tables: dict,
                                                       key: str) -> None:
    path = write(tmp_path, f"effects: {{{key}: 0.5}}")
    with pytest.raises(ConfigError) as err:
        load_truth("pendulum", path, tables["pendulum"])
    message = str(err.value)
    assert message.startswith(path) and f"effects.{key}: no longer a setting" in message
    assert "sensor." in message and "\n" not in message
