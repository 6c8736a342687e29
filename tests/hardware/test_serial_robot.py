"""SerialRobot against a scripted fake device: handshake, act/observe, retries, faults."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import pytest
from host_fake_device import FURUTA, FakeDevice, Faults

from hardware import messages as m
from hardware.serial_robot import SerialRobot, spec_from_description
from s2r.errors import ConfigError, DeviceError, ProtocolError, RobotError, SafetyStop
from s2r.robot import Robot
from s2r.sim import load_robot_description

# Replies come from a thread of this process: 0.5 s covers a loaded machine, and the tests
# that expect timeouts stay short. The host sets the fake's watchdog (default 100 ms): 2 s
# keeps a stalled test process from tripping it. No test asserts how long anything took.
FAST = dict(reply_timeout=0.5, handshake_timeout=2.0, watchdog_ms=2000)


@pytest.fixture
def device():
    with FakeDevice() as dev:
        yield dev


def make(dev: FakeDevice, **kw) -> SerialRobot:
    return SerialRobot("furuta", dev.port, **{**FAST, **kw})


def test_spec_from_description_matches_the_robot_yaml():
    spec = spec_from_description(load_robot_description("furuta"))
    assert spec.name == "furuta" and spec.control_rate == 100.0
    assert [j.kind for j in spec.joints] == ["revolute", "revolute"]
    assert spec.actuators[0].kind == "dc_motor" and spec.actuators[0].unit == "V"
    assert spec.sensors == ("current.arm",)
    assert spec.safety.position == {"arm": (-2.3, 2.3)}
    assert spec.safety.velocity == {"arm": 30.0, "pendulum": 60.0}


def test_handshake_reset_act_observe(device):
    with make(device) as robot:
        assert isinstance(robot, Robot)
        assert robot.device_info.robot == "furuta" and not robot.is_emulator
        obs = robot.reset([0.1, 3.0], [0.0, 0.5])
        np.testing.assert_allclose(obs.q, [0.1, 3.0], rtol=1e-6)
        assert obs.status & m.StatusFlags.ENABLED
        t0 = obs.t
        sent = robot.act([9.0])
        assert sent.tolist() == [5.0]  # clipped to the actuator limit
        obs = robot.observe()
        assert obs.t == pytest.approx(t0 + 0.01) and obs.status & m.StatusFlags.CMD_VALID
        assert obs.sensors.shape == (1,)
        assert robot.act(np.array([-1.25])).tolist() == [-1.25]
        assert device.applied == [(5.0,), (-1.25,)]
        stats = robot.stats
        # HELLO SET_WATCHDOG HELLO RESET ENABLE STATE_REQUEST 2 x COMMAND
        assert stats.frames_sent == stats.frames_received == 8
        assert len(stats.rtt) == 8 and stats.retries == stats.timeouts == 0
    assert device.received[-1] == "Disable"
    robot.close()  # idempotent


def test_act_before_reset_is_refused(device):
    with make(device) as robot, pytest.raises(RobotError, match="reset"):
        robot.act([0.0])


@pytest.mark.parametrize("field,value,expected", [
    ("robot", "cartpole", "robot name: expected 'furuta', got 'cartpole'"),
    ("sensors", (), "sensors: expected ('current.arm',), got ()"),
])
def test_handshake_mismatch_names_field_expected_and_got(field, value, expected):
    info = dataclasses.replace(FURUTA, **{field: value})
    with FakeDevice(info) as dev, pytest.raises(m.HandshakeError) as err:
        make(dev)
    assert expected in str(err.value) and dev.port in str(err.value)


def test_handshake_mismatch_on_action_limits():
    arm = dataclasses.replace(FURUTA.joints[0], action_limits=(-12.0, 12.0))
    info = dataclasses.replace(FURUTA, joints=(arm, FURUTA.joints[1]))
    with FakeDevice(info) as dev, pytest.raises(m.HandshakeError, match="action_limits"):
        make(dev)


def test_silent_device_at_handshake():
    with FakeDevice(faults=Faults(silent_after=0)) as dev:
        with pytest.raises(DeviceError, match="no reply to HELLO.*nothing received"):
            make(dev)


def test_bad_port_is_a_device_error(tmp_path):
    with pytest.raises(DeviceError, match="no such device"):
        SerialRobot("furuta", str(tmp_path / "ttyUSB9"))
    with pytest.raises(DeviceError, match="cannot open"):
        SerialRobot("furuta", "nosuch://x")


def test_port_is_exclusive(device):
    with make(device), pytest.raises(DeviceError, match="in use"):
        make(device)


def test_lost_reply_is_recovered_without_applying_twice():
    # frames: 0 HELLO, 1 SET_WATCHDOG, 2 HELLO, 3 RESET, 4 ENABLE, 5 STATE_REQUEST,
    # 6 COMMAND (reply dropped), 7 the same COMMAND again (same seq: answered, not applied)
    with FakeDevice(faults=Faults(drop_reply={6})) as dev, make(dev) as robot:
        robot.reset([0.0, 0.0])
        robot.act([1.0])
        assert dev.received[6:8] == ["Command", "Command"]
        assert robot.observe().status & m.StatusFlags.CMD_VALID
        robot.act([2.0])
        assert dev.applied == [(1.0,), (2.0,)]
        assert robot.stats.retries == 1 and robot.stats.timeouts == 1


def test_lost_command_is_sent_again():
    with FakeDevice(faults=Faults(ignore={6})) as dev, make(dev) as robot:
        robot.reset([0.0, 0.0])
        robot.act([1.0])
        assert dev.received[6:] == ["Command"]  # frame 6 never arrived; 7 is the resend
        assert dev.applied == [(1.0,)]
        assert robot.stats.retries == 1


def test_corrupted_reply_is_counted_and_retried_at_once():
    with FakeDevice(faults=Faults(corrupt_reply={6, 8})) as dev, \
            make(dev, reply_timeout=5.0) as robot:
        robot.reset([0.0, 0.0])
        robot.act([1.0])
        robot.act([1.0])
        assert robot.stats.crc_errors + robot.stats.framing_errors == 2
        # retried on the bad frame, without waiting out the (5 s) reply timeout
        assert robot.stats.retries == 2 and robot.stats.timeouts == 0
        assert dev.applied == [(1.0,), (1.0,)]


def test_retry_budget_then_clear_stop():
    drops = set(range(6, 200, 2))  # every COMMAND's first reply lost
    with FakeDevice(faults=Faults(drop_reply=drops)) as dev, \
            make(dev, retry_budget=5, retry_window=50) as robot:
        robot.reset([0.0, 0.0])
        with pytest.raises(DeviceError, match="link unreliable: 6 retries in the last"):
            for _ in range(50):
                robot.act([0.5])


def test_silent_device_mid_episode():
    with FakeDevice(faults=Faults(silent_after=10)) as dev, make(dev) as robot:
        robot.reset([0.0, 0.0])
        with pytest.raises(DeviceError, match=r"COMMAND after 3 attempts .* control periods: "
                                              r"device silent or unplugged") as err:
            for _ in range(10):
                robot.act([0.5])
        assert str(err.value).startswith(dev.port)
        assert robot.stats.timeouts >= 3


def test_unplugged_device_mid_episode():
    with FakeDevice(faults=Faults(hang_up_after=9)) as dev, make(dev) as robot:
        robot.reset([0.0, 0.0])
        with pytest.raises(DeviceError, match="disconnected|silent"):
            for _ in range(10):
                robot.act([0.5])
    # closing after the device vanished does not raise


def test_watchdog_trip_is_a_safety_stop(device):
    with make(device, watchdog_ms=500) as robot:
        robot.reset([0.0, 0.0])
        robot.act([0.1])
        time.sleep(1.2)  # longer than the 500 ms watchdog
        with pytest.raises(SafetyStop, match="watchdog tripped"):
            robot.act([0.1])
        assert robot.observe().status & m.StatusFlags.WATCHDOG_TRIPPED
        robot.reset([0.0, 0.0])  # RESET + ENABLE clears it
        robot.act([0.1])


def test_device_limit_is_a_safety_stop(device):
    with make(device) as robot:
        robot.reset([2.49, 0.0], [10.0, 0.0])
        with pytest.raises(SafetyStop, match="left its position/velocity limit"):
            robot.act([0.0])


def test_estop_latches_and_enable_refused_while_input_asserted(device):
    with make(device) as robot:
        robot.reset([0.0, 0.0])
        assert robot.estop()
        assert device.flags & m.StatusFlags.ESTOP
        with pytest.raises(RobotError):
            robot.act([0.0])
    with FakeDevice(faults=Faults(estop_input=True)) as dev, make(dev) as robot:
        with pytest.raises(SafetyStop, match="e-stop input is asserted"):
            robot.reset([0.0, 0.0])


def test_set_watchdog_is_read_back(device):
    with make(device, watchdog_ms=250) as robot:
        assert device.watchdog_ms == robot.device_info.watchdog_ms == 250
        assert device.received[:3] == ["Hello", "SetWatchdog", "Hello"]
    with pytest.raises(ConfigError, match="watchdog_ms: must be 1..60000, got 0"):
        make(device, watchdog_ms=0)


def test_default_watchdog_is_100_ms(device):
    assert device.watchdog_ms == 1000  # the fake powers up with 1000 ms
    with SerialRobot("furuta", device.port, reply_timeout=0.5, handshake_timeout=2.0) as robot:
        assert device.watchdog_ms == robot.device_info.watchdog_ms == 100


def test_home_reset_fallback_when_state_reset_unsupported():
    with FakeDevice(faults=Faults(state_reset=False)) as dev, make(dev) as robot:
        with pytest.warns(UserWarning, match="HOME"):
            obs = robot.reset([0.3, 0.0])
        assert obs.q.tolist() == [0.0, 0.0] and not robot.state_reset_supported
        robot.reset([0.3, 0.0])


def test_error_reply_is_a_protocol_error(device):
    with make(device) as robot:
        robot.link.send(m.Ack(1))  # a device-to-host type: the device answers ERROR
        with pytest.raises(ProtocolError, match="UNKNOWN_TYPE"):
            robot.ex.request(m.Ack(1))


def test_spy_url_handler_logs_the_traffic(device, tmp_path: Path):
    log = tmp_path / "spy.txt"
    with SerialRobot("furuta", f"spy://{device.port}?file={log}", **FAST) as robot:
        robot.reset([0.0, 0.0])
        robot.act([0.5])
    text = log.read_text()
    assert "TX" in text and "RX" in text
