"""Policy files: round trip, wrong task, junk bytes, pickled code refused."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from s2r.errors import PolicyError
from s2r.policy import load_policy, save_policy


def net() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1),
                               torch.nn.Tanh())


def test_round_trip_gives_the_same_actions(tmp_path):
    module = net()
    path = tmp_path / "p.pt"
    save_policy(module, path, task="furuta_swingup", obs_dim=6, act_dim=1)
    policy = load_policy(path, task="furuta_swingup", obs_dim=6)
    obs = np.linspace(-1, 1, 6).astype(np.float32)
    expected = module(torch.as_tensor(obs)).detach().numpy()
    np.testing.assert_allclose(policy(obs), expected, rtol=1e-6)


def test_wrong_task_and_size_are_clear_errors(tmp_path):
    path = tmp_path / "p.pt"
    save_policy(net(), path, task="furuta_swingup", obs_dim=6, act_dim=1)
    with pytest.raises(PolicyError, match="trained for task 'furuta_swingup', not 'x'"):
        load_policy(path, task="x")
    with pytest.raises(PolicyError, match="expects 6 observations, the task gives 5"):
        load_policy(path, obs_dim=5)


def test_junk_and_pickled_code_are_refused(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(PolicyError, match="not an s2r policy file"):
        load_policy(junk)

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"meta": Evil()}))
    with pytest.raises(PolicyError, match="not an s2r policy file"):
        load_policy(evil)
    with pytest.raises(PolicyError, match="no such policy file"):
        load_policy(tmp_path / "missing.pt")


def test_unsupported_layers_are_refused(tmp_path):
    with pytest.raises(PolicyError, match="cannot save layer Conv1d"):
        save_policy(torch.nn.Sequential(torch.nn.Conv1d(1, 1, 1)), tmp_path / "c.pt",
                    task="t", obs_dim=1, act_dim=1)


def test_scripted_policies():
    assert load_policy("scripted:zero", act_dim=2)(np.zeros(3)).tolist() == [0.0, 0.0]
    a = load_policy("scripted:random", seed=1)
    b = load_policy("scripted:random", seed=1)
    assert a(np.zeros(1)) == b(np.zeros(1))
    with pytest.raises(PolicyError, match="unknown scripted policy 'nope'"):
        load_policy("scripted:nope")
