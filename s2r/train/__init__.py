"""Training with randomization: ``s2r train`` and :func:`train` (Stable-Baselines3 PPO/SAC).

A run trains over worker processes (one environment per core, one torch thread
each, every worker its own randomization seed), normalises observations,
evaluates on the nominal model and on the randomized distribution, keeps the
best policy as an artifact (:mod:`s2r.artifact`) and writes checkpoints and
TensorBoard logs; ``resume=`` continues a run. See ``s2r/train/README.md``.

>>> cfg = TrainConfig(task="pendulum_swingup", steps=64, envs=1, subprocess=False,
...                   eval_episodes=1, progress=False, out=__import__("tempfile").mkdtemp(),
...                   hyper={"n_steps": 64, "batch_size": 32, "n_epochs": 1})
>>> result = train(cfg)
>>> result.steps, (result.policy / "spec.json").is_file()
(64, True)
"""

from __future__ import annotations

from s2r.train.config import TrainConfig, task_config
from s2r.train.evaluate import Evaluation, evaluate
from s2r.train.run import TrainResult, train

__all__ = ["Evaluation", "TrainConfig", "TrainResult", "evaluate", "task_config", "train"]
