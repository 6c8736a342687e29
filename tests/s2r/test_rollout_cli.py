"""``s2r rollout`` runs scripted controllers and policy files, named as in ``s2r deploy``."""

from __future__ import annotations

import pytest

from s2r.cli import main
from s2r.logs import read_log


def test_rollout_scripted_policy(tmp_path, capsys):
    out = tmp_path / "run.s2r.csv"
    assert main(["rollout", "task=pendulum_swingup", "policy=scripted:sine", "episodes=2",
                 "max_steps=20", f"out={out}"]) == 0
    text = capsys.readouterr().out
    assert "episode 0: return" in text and "episode 1: return" in text
    log = read_log(out)
    assert log.meta.policy == "scripted:sine" and [len(e) for e in log.episodes] == [20, 20]


def test_rollout_a_policy_file(tmp_path, capsys):
    import torch

    from s2r.policy import save_policy

    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    path = tmp_path / "p.pt"
    save_policy(net, path, task="pendulum_swingup", obs_dim=3, act_dim=1)
    out = tmp_path / "run.s2r.csv"
    assert main(["rollout", "task=pendulum_swingup", f"policy={path}", "episodes=1",
                 "max_steps=15", f"out={out}"]) == 0
    assert read_log(out).meta.policy == "p.pt" and len(read_log(out).episode(0)) == 15
    # a policy for another task is refused before anything runs
    assert main(["rollout", "task=furuta_swingup", f"policy={path}", "episodes=1"]) == 2
    assert "trained for task 'pendulum_swingup'" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["controller=sine"], "controller= is now policy="),
    (["policy=scripted:square"], "unknown scripted policy 'square'"),
    (["episodes=0"], "episodes: must be >= 1, got 0"),
])
def test_rollout_errors_are_one_line(args, message, capsys):
    assert main(["rollout", "task=pendulum_swingup", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.count("\n") == 0
