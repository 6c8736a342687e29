"""Policy files: round trip, checks against the task, junk and pickled code, numpy forward."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from s2r.errors import PolicyError
from s2r.mlp import ACTIVATIONS, NumpyMLP
from s2r.policy import load_policy, save_policy


def net(n_in: int = 6, n_out: int = 1) -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(n_in, 16), torch.nn.Tanh(),
                               torch.nn.Linear(16, n_out), torch.nn.Tanh())


def blob(layers, state, **meta) -> dict:
    """A policy file's contents written by hand (what a broken or hostile file may hold)."""
    base = {"format": "s2r-policy", "version": 1, "task": "furuta_swingup", "obs_dim": 6,
            "act_dim": 1, "layers": layers}
    return {"meta": {**base, **meta}, "state_dict": state}


def write(path, content) -> str:
    torch.save(content, str(path))
    return str(path)


def small_state() -> dict:
    return {"0.weight": torch.zeros(16, 6), "0.bias": torch.zeros(16),
            "2.weight": torch.zeros(1, 16), "2.bias": torch.zeros(1)}


LAYERS = [["Linear", 6, 16], ["Tanh"], ["Linear", 16, 1]]


def test_round_trip_gives_the_same_actions(tmp_path):
    module = net()
    path = tmp_path / "p.pt"
    save_policy(module, path, task="furuta_swingup", obs_dim=6, act_dim=1)
    policy = load_policy(path, task="furuta_swingup", obs_dim=6, act_dim=1)
    obs = np.linspace(-1, 1, 6).astype(np.float32)
    expected = module(torch.as_tensor(obs)).detach().numpy()
    np.testing.assert_allclose(policy(obs), expected, rtol=1e-6)
    assert (policy.task, policy.obs_dim, policy.act_dim) == ("furuta_swingup", 6, 1)


def test_wrong_task_and_sizes_are_clear_errors(tmp_path):
    path = tmp_path / "p.pt"
    save_policy(net(), path, task="furuta_swingup", obs_dim=6, act_dim=1)
    with pytest.raises(PolicyError, match="trained for task 'furuta_swingup', not 'x'"):
        load_policy(path, task="x")
    with pytest.raises(PolicyError, match="policy takes 6 observations, the task gives 5"):
        load_policy(path, obs_dim=5)


def test_wrong_action_size_is_refused_at_load(tmp_path):
    path = tmp_path / "p3.pt"
    save_policy(net(6, 3), path, task="furuta_swingup", obs_dim=6, act_dim=3)
    with pytest.raises(PolicyError, match="policy gives 3 actions, the task takes 1"):
        load_policy(path, task="furuta_swingup", obs_dim=6, act_dim=1)


def test_deploy_refuses_a_wrong_action_size_before_opening_the_port(tmp_path, capsys):
    from s2r.cli import main

    path = tmp_path / "p3.pt"
    save_policy(net(6, 3), path, task="furuta_swingup", obs_dim=6, act_dim=3)
    port = tmp_path / "ttyUSB9"  # does not exist: opening it would be a DeviceError (exit 3)
    code = main(["deploy", f"policy={path}", "task=furuta_swingup", f"port={port}",
                 f"out={tmp_path / 'd.csv'}"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "policy gives 3 actions, the task takes 1" in err, err
    assert err.count("\n") == 0 and not (tmp_path / "d.csv").exists()


def test_metadata_sizes_must_be_integers(tmp_path):
    # the old loader compared the string "6" with the int 6: "expects 6 ..., the task gives 6"
    path = write(tmp_path / "s.pt", blob(LAYERS, small_state(), obs_dim="6"))
    with pytest.raises(PolicyError, match="'obs_dim' must be a positive integer, got '6'"):
        load_policy(path, obs_dim=6)
    path = write(tmp_path / "b.pt", blob(LAYERS, small_state(), act_dim=True))
    with pytest.raises(PolicyError, match="'act_dim' must be a positive integer, got True"):
        load_policy(path)


def test_declared_sizes_must_match_the_layers(tmp_path):
    # declares 6 observations, its first layer takes 5: refused, whatever the task gives
    state = {**small_state(), "0.weight": torch.zeros(16, 5)}
    path = write(tmp_path / "a.pt", blob([["Linear", 5, 16], ["Tanh"], ["Linear", 16, 1]],
                                         state))
    with pytest.raises(PolicyError, match=r"layer 0: Linear takes 5 inputs but gets 6 "
                                          r"\(the observation\)"):
        load_policy(path, obs_dim=6)
    path = write(tmp_path / "c.pt", blob([["Linear", 6, 16], ["Linear", 8, 1]], small_state()))
    with pytest.raises(PolicyError, match="layer 1: Linear takes 8 inputs but gets 16"):
        load_policy(path)
    path = write(tmp_path / "o.pt", blob(LAYERS, small_state(), act_dim=2))
    with pytest.raises(PolicyError, match="gives 1 outputs but the policy declares 2 actions"):
        load_policy(path)


def test_huge_declared_layers_are_refused_before_allocation(tmp_path, monkeypatch):
    # 1.6 GB of float32 declared, a few hundred bytes stored
    layers = [["Linear", 6, 20000], ["Tanh"], ["Linear", 20000, 20000], ["Linear", 20000, 1]]
    state = {"0.weight": torch.zeros(16, 6), "0.bias": torch.zeros(16),
             "2.weight": torch.zeros(16, 16), "3.weight": torch.zeros(1, 16)}
    path = write(tmp_path / "big.pt", blob(layers, state))

    def no_modules(*args, **kwargs):
        raise AssertionError("a torch module was built while loading a policy")

    monkeypatch.setattr(torch.nn.Linear, "__init__", no_modules)
    with pytest.raises(PolicyError, match=r"'0.weight': shape \(16, 6\) does not match the "
                                          r"layer \(\(20000, 6\)\)"):
        load_policy(path)


def test_layers_outside_the_allowed_set_are_refused(tmp_path):
    for bad, match in [(["Conv1d", 1, 1], "layer type 'Conv1d' is not allowed"),
                       (["os.system"], "layer type 'os.system' is not allowed"),
                       ("Linear", "a layer is \\[name, ...\\], got 'Linear'"),
                       (["Linear", 6.0, 16], "Linear needs \\[in, out\\] positive integers"),
                       (["Tanh", 2.0], "bad parameters for Tanh"),
                       (["ELU", float("nan")], "bad parameters for ELU")]:
        path = write(tmp_path / "l.pt", blob([bad, *LAYERS], small_state()))
        with pytest.raises(PolicyError, match=f"layer 0: {match}"):
            load_policy(path)
    with pytest.raises(PolicyError, match="cannot save layer Conv1d"):
        save_policy(torch.nn.Sequential(torch.nn.Conv1d(1, 1, 1)), tmp_path / "c.pt",
                    task="t", obs_dim=1, act_dim=1)


def test_bad_tensors_are_refused(tmp_path):
    cases = [({"2.bias": torch.tensor([float("nan")])}, "'2.bias': holds NaN or infinite"),
             ({"0.weight": torch.full((16, 6), float("inf"))}, "'0.weight': holds NaN"),
             ({"0.weight": torch.zeros(16, 6, dtype=torch.int64)}, "dtype torch.int64 is not"),
             ({"0.weight": [[0.0] * 6] * 16}, "'0.weight': expected a dense tensor, got list"),
             ({"9.weight": torch.zeros(1)}, "weights 9.weight belong to no layer")]
    for change, match in cases:
        path = write(tmp_path / "t.pt", blob(LAYERS, {**small_state(), **change}))
        with pytest.raises(PolicyError, match=match):
            load_policy(path)
    missing = small_state()
    del missing["2.weight"]
    with pytest.raises(PolicyError, match="weights '2.weight' are missing"):
        load_policy(write(tmp_path / "m.pt", blob(LAYERS, missing)))


def test_saving_a_diverged_network_is_refused(tmp_path):
    module = net()
    with torch.no_grad():
        module[0].weight[0, 0] = float("nan")
    with pytest.raises(PolicyError, match="'0.weight': holds NaN"):
        save_policy(module, tmp_path / "n.pt", task="t", obs_dim=6, act_dim=1)
    assert not (tmp_path / "n.pt").exists()
    with pytest.raises(PolicyError, match="gives 1 outputs but the policy declares 2 actions"):
        save_policy(net(), tmp_path / "w.pt", task="t", obs_dim=6, act_dim=2)


class Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_pickled_code_is_named_as_code(tmp_path, capsys):
    for name, data in [("torch", None), ("p0", pickle.dumps({"meta": Evil()}, protocol=0)),
                       ("p2", pickle.dumps({"meta": Evil()}, protocol=2)),
                       ("p4", pickle.dumps({"meta": Evil()}, protocol=4))]:
        path = tmp_path / f"{name}.pt"
        if data is None:
            torch.save({"meta": Evil()}, str(path))
        else:
            path.write_bytes(data)
        with pytest.raises(PolicyError, match=r"it holds pickled code \(builtins.print\), "
                                              "which is never run"):
            load_policy(path)
    assert "pwned" not in capsys.readouterr().out


def test_junk_is_named_as_junk_not_code(tmp_path):
    for name, data in [("junk", b"\x00garbage" * 10), ("empty", b""), ("zip", b"PK\x03\x04xx"),
                       ("pickle4", pickle.dumps({"meta": 1}))]:
        path = tmp_path / f"{name}.pt"
        path.write_bytes(data)
        with pytest.raises(PolicyError, match="not an s2r policy file: it is not a torch "
                                              "weights file") as info:
            load_policy(path)
        assert "code" not in str(info.value)
    with pytest.raises(PolicyError, match="not an s2r policy file \\(save it with"):
        load_policy(write(tmp_path / "list.pt", [1, 2]))
    with pytest.raises(PolicyError, match="no such policy file"):
        load_policy(tmp_path / "missing.pt")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("activation", [
    torch.nn.Tanh(), torch.nn.ReLU(), torch.nn.ELU(), torch.nn.ELU(alpha=0.3),
    torch.nn.Sigmoid(), torch.nn.Identity(), torch.nn.LeakyReLU(),
    torch.nn.LeakyReLU(negative_slope=0.2), torch.nn.SiLU()], ids=repr)
def test_numpy_forward_matches_torch(tmp_path, activation, dtype):
    torch.manual_seed(1)
    module = torch.nn.Sequential(torch.nn.Linear(5, 32), activation,
                                 torch.nn.Linear(32, 32, bias=False), activation,
                                 torch.nn.Linear(32, 2)).to(dtype)
    path = tmp_path / "p.pt"
    save_policy(module, path, task="t", obs_dim=5, act_dim=2)
    policy = load_policy(path)
    assert isinstance(policy.fn, NumpyMLP)
    rng = np.random.default_rng(0)
    for _ in range(20):
        obs = rng.normal(0.0, 3.0, 5)
        expected = module(torch.as_tensor(obs, dtype=dtype)).detach().double().numpy()
        np.testing.assert_allclose(policy.fn(obs), expected, rtol=1e-6, atol=1e-6)
        if dtype == torch.float64:  # the observation is not rounded to float32 on the way
            np.testing.assert_allclose(policy(obs), np.clip(expected, -1, 1), rtol=1e-12,
                                       atol=1e-12)


def test_every_allowed_activation_is_covered():
    assert set(ACTIVATIONS) == {"Tanh", "ReLU", "ELU", "Sigmoid", "Identity", "LeakyReLU",
                                "SiLU"}


def test_a_policy_call_runs_no_torch(tmp_path, monkeypatch):
    path = tmp_path / "p.pt"
    save_policy(torch.nn.Linear(6, 1), path, task="t", obs_dim=6, act_dim=1)  # not Sequential
    policy = load_policy(path)

    def forbidden(*args, **kwargs):
        raise AssertionError("torch used at control time")

    monkeypatch.setattr(torch.nn.Module, "__call__", forbidden)
    monkeypatch.setattr(torch, "as_tensor", forbidden)
    assert policy(np.ones(6)).shape == (1,)
    with pytest.raises(PolicyError, match="policy takes 6 observations, got 5"):
        policy(np.ones(5))


def test_scripted_policies():
    assert load_policy("scripted:zero", act_dim=2)(np.zeros(3)).tolist() == [0.0, 0.0]
    a = load_policy("scripted:random", seed=1)
    b = load_policy("scripted:random", seed=1)
    assert a(np.zeros(1)) == b(np.zeros(1))
    with pytest.raises(PolicyError, match="unknown scripted policy 'nope'"):
        load_policy("scripted:nope")
