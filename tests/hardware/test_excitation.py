"""Excitation signals: band and spectrum, amplitude and rate bounds, seed reproducibility."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.excitation import (
    LFSR_TAPS,
    PRBS,
    Chirp,
    Excitation,
    Multisine,
    PolicyExcitation,
    lfsr_sequence,
)
from hardware.serial_robot import spec_from_description
from s2r.errors import ConfigError
from s2r.robot import Observation, SafetyLimits
from s2r.sim import load_robot_description

RATE = 200.0
SPEC = dataclasses.replace(spec_from_description(load_robot_description("furuta")),
                           control_rate=RATE, safety=SafetyLimits(max_action_delta=None))


def spectrum(x: np.ndarray, rate: float) -> tuple[np.ndarray, np.ndarray]:
    x = x - x.mean()
    power = np.abs(np.fft.rfft(x)) ** 2
    return np.fft.rfftfreq(len(x), 1.0 / rate), power


def band_fraction(x: np.ndarray, lo: float, hi: float, rate: float = RATE) -> float:
    f, p = spectrum(x, rate)
    return float(p[(f >= lo) & (f <= hi)].sum() / p.sum())


@pytest.mark.parametrize("method", ["log", "linear"])
def test_chirp_energy_lies_in_its_band(method):
    t = np.arange(int(20 * RATE)) / RATE
    x = Chirp(0.5, 8.0, 20.0, method)(t)
    assert band_fraction(x, 0.4, 9.0) > 0.95
    assert band_fraction(x, 12.0, RATE / 2) < 0.01
    assert np.abs(x).max() <= 1.0


def test_chirp_instantaneous_frequency():
    log, lin = Chirp(1.0, 16.0, 4.0, "log"), Chirp(1.0, 16.0, 4.0, "linear")
    assert log.frequency(2.0) == pytest.approx(4.0)  # geometric mean at half time
    assert lin.frequency(2.0) == pytest.approx(8.5)
    # zero crossings of the log chirp: spacing shrinks as the frequency rises
    t = np.arange(int(4 * 1000)) / 1000
    x = log(t)
    crossings = t[1:][np.diff(np.signbit(x)) != 0]
    assert np.diff(crossings)[:3].mean() > 5 * np.diff(crossings)[-3:].mean()


@pytest.mark.parametrize("order", sorted(LFSR_TAPS))
def test_lfsr_is_maximal_length(order):
    bits = lfsr_sequence(order, 5) * 2.0 - 1.0
    n = (1 << order) - 1
    assert len(bits) == n
    # a maximal-length sequence has the two-valued circular autocorrelation n, -1, -1, ...
    corr = np.fft.irfft(np.abs(np.fft.rfft(bits)) ** 2, n)
    assert corr[0] == pytest.approx(n) and np.allclose(corr[1:], -1.0)


def test_prbs_levels_bit_period_band_and_seed():
    t = np.arange(int(20 * RATE)) / RATE
    prbs = PRBS(0.05, seed=3, min_period=10.0)
    x = prbs(t)
    assert set(np.unique(x)) == {-1.0, 1.0}
    changes = np.flatnonzero(np.diff(x)) + 1
    phase = (t[changes] / 0.05) % 1.0
    assert np.all(np.minimum(phase, 1.0 - phase) < 1e-6)  # switches only on bit edges
    assert band_fraction(x, 0.0, 1 / 0.05) > 0.85  # first spectral null at 1/bit_period
    assert prbs.order == 8  # 255 bits * 0.05 s >= 10 s
    np.testing.assert_array_equal(PRBS(0.05, seed=3)(t), x)
    assert not np.array_equal(PRBS(0.05, seed=4)(t), x)


def test_multisine_lines_crest_factor_and_peak():
    duration = 10.0
    t = np.arange(int(duration * RATE)) / RATE
    freqs = np.arange(1, 21) * 0.5  # on the 1/duration grid: no leakage
    ms = Multisine(freqs, t, seed=1)
    x = ms(t)
    assert np.abs(x).max() == pytest.approx(1.0)
    f, p = spectrum(x, RATE)
    on = np.isin(np.round(f, 6), np.round(freqs, 6))
    assert p[~on].sum() / p.sum() < 1e-9
    assert np.all(p[on] > 0.5 * p[on].mean())  # equal line amplitudes
    zero_phase = np.sin(2 * np.pi * np.outer(t, freqs) + np.pi / 2).sum(axis=1)
    aligned = np.abs(zero_phase).max() / np.sqrt(np.mean(zero_phase**2))
    assert ms.crest_factor < 0.5 * aligned  # random phases beat aligned ones
    np.testing.assert_array_equal(Multisine(freqs, t, seed=1)(t), x)
    assert not np.array_equal(Multisine(freqs, t, seed=2)(t), x)


@settings(max_examples=30, deadline=None)
@given(kind=st.sampled_from(["chirp", "prbs", "multisine"]),
       amplitude=st.floats(0.0, 5.0), delta=st.one_of(st.none(), st.floats(0.01, 3.0)),
       seed=st.integers(0, 1000))
def test_commands_stay_within_action_limits_and_rate_limit(kind, amplitude, delta, seed):
    spec = dataclasses.replace(SPEC, safety=SafetyLimits(max_action_delta=delta))
    t = np.arange(400) / RATE
    wave = {"chirp": Chirp(0.2, 20.0, 2.0), "prbs": PRBS(0.02, seed),
            "multisine": Multisine([1.0, 3.0, 7.0], t, seed)}[kind]
    u = Excitation(wave, spec, amplitude=amplitude).sample(t)[:, 0]
    assert np.all(np.abs(u) <= amplitude + 1e-12)
    if delta is not None:
        assert np.all(np.abs(np.diff(np.concatenate(([0.0], u)))) <= delta + 1e-9)


def test_stateful_calls_match_sample_and_reset():
    t = np.arange(50) / RATE
    exc = Excitation(Chirp(1.0, 5.0, 0.25), dataclasses.replace(
        SPEC, safety=SafetyLimits(max_action_delta=0.3)), amplitude=4.0)
    live = np.array([exc(ti) for ti in t])
    np.testing.assert_array_equal(live, exc.sample(t))


def test_amplitude_outside_the_action_range_is_a_config_error():
    with pytest.raises(ConfigError, match="leaves the action range"):
        Excitation(Chirp(1, 2, 1), SPEC, amplitude=4.0, offset=2.0)
    with pytest.raises(ConfigError, match="chirp needs"):
        Chirp(0.0, 2.0, 1.0)
    with pytest.raises(ConfigError, match="log or linear"):
        Chirp(1.0, 2.0, 1.0, "cubic")
    with pytest.raises(ConfigError, match="at least one frequency"):
        Multisine([], np.arange(3))


def test_policy_excitation_maps_observations_through_the_task():
    class Task:
        def observation(self, obs: Observation) -> np.ndarray:
            return obs.q

        def to_command(self, action: np.ndarray) -> np.ndarray:
            return 5.0 * np.asarray(action)

    spec = dataclasses.replace(SPEC, safety=SafetyLimits(max_action_delta=2.0))
    exc = PolicyExcitation(lambda obs: np.array([obs[0]]), Task(), spec)
    obs = Observation(0.0, np.array([1.0, 0.0]), np.zeros(2))
    assert [float(exc(0.0, obs)[0]) for _ in range(4)] == [2.0, 4.0, 5.0, 5.0]
    with pytest.raises(ConfigError):
        exc(0.0, None)


def test_centring_feedback_on_the_actuated_joint():
    exc = Excitation(lambda t: np.zeros_like(t), SPEC, amplitude=1.0, kp=2.0, kd=0.5)
    obs = Observation(0.0, np.array([0.5, 3.0]), np.array([1.0, 9.0]))  # pendulum ignored
    assert exc(0.0, obs).tolist() == [-1.5]
    assert exc(0.0, None).tolist() == [0.0]  # no observation: open loop
    big = Observation(0.0, np.array([-10.0, 0.0]), np.zeros(2))
    assert exc(0.0, big).tolist() == [5.0]  # still clipped to the action limit
