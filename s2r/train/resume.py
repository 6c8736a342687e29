"""What a checkpoint needs beyond the model for a resumed run to continue *exactly*.

``resume.pkl`` in a checkpoint holds the random generators of the learner (torch,
NumPy's and Python's global ones, the action space's), a snapshot of every training env
mid-episode (:mod:`s2r.train.snapshot`) and the ADR callback's per-env bookkeeping. It is
written only at a clean point of the learning loop (before a rollout, after the update
that followed the previous one: nothing half collected), and read by
:func:`restore` after the model, its saved last observation and the observation
statistics are loaded. A checkpoint without it (one saved on Ctrl-C mid-rollout)
resumes by resetting the envs: a continuation, not a replay.
"""

from __future__ import annotations

import pickle
import random
from pathlib import Path
from typing import Any

import numpy as np

from s2r.errors import S2RError

FILE = "resume.pkl"
FORMAT = 1


def save(path: Path, model: Any, venv: Any, adr_cb: Any) -> None:
    """Write ``path/resume.pkl`` for ``model`` training on ``venv``."""
    import torch

    state = {"format": FORMAT,
             "torch": torch.get_rng_state().numpy(), "numpy": np.random.get_state(),
             "python": random.getstate(), "action_space": model.action_space.np_random,
             "envs": venv.env_method("snapshot"),
             "adr": None if adr_cb is None else {"records": adr_cb._records,
                                                 "returns": adr_cb._returns}}
    (path / FILE).write_bytes(pickle.dumps(state))


def restore(path: Path, model: Any, venv: Any, adr_cb: Any) -> None:
    """Rebuild every env of ``venv`` from ``path/resume.pkl`` and put the generators back.

    Call it after the model is loaded with its last observation kept (SB3's
    ``load(..., force_reset=False)``): the replayed envs must end on that observation,
    else this raises naming the env.
    """
    import torch

    state = pickle.loads((path / FILE).read_bytes())
    envs = state["envs"]
    if len(envs) != venv.num_envs:
        raise S2RError(f"the checkpoint has {len(envs)} environments, the run {venv.num_envs}: "
                       f"resume with envs={len(envs)}", where=str(path / FILE))
    last = _last_raw_obs(model, venv)
    for i, blob in enumerate(envs):
        obs = venv.env_method("restore", blob, indices=[i])[0]
        if last is not None and not np.array_equal(np.asarray(obs, dtype=last.dtype), last[i]):
            raise S2RError(f"environment {i} did not replay to its checkpointed state (its "
                           "physics is not deterministic?)", where=str(path / FILE))
    if adr_cb is not None and state["adr"] is not None:
        adr_cb._records, adr_cb._returns = state["adr"]["records"], state["adr"]["returns"]
    # last: loading the model reseeded these
    torch.set_rng_state(torch.from_numpy(state["torch"]))
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    model.action_space._np_random = state["action_space"]


def _last_raw_obs(model: Any, venv: Any) -> np.ndarray | None:
    """The un-normalised observations the model last saw (None if it has none)."""
    from stable_baselines3.common.vec_env import VecNormalize

    if isinstance(venv, VecNormalize):
        return None if venv.old_obs is None else np.asarray(venv.old_obs)
    return None if model._last_obs is None else np.asarray(model._last_obs)
