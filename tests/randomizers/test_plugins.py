"""A third-party randomizer reaches configs through the entry-point group ``s2r.randomizers``.

Nothing is installed: the test writes a ``*.dist-info`` directory with an
``entry_points.txt`` into a temporary directory on ``sys.path``, which is all
``importlib.metadata`` looks at, and puts the plugin's module in ``sys.modules``.
"""

from __future__ import annotations

import sys
import types
from importlib.metadata import entry_points
from typing import Any

import numpy as np
import pytest

from randomizers import registry
from randomizers.base import RandomizationContext, RandomizationError, Randomizer
from randomizers.registry import build_randomizers
from randomizers.wrapper import RandomizedEnv


class SensorOffset(Randomizer):
    """A third party's randomizer: adds a per-episode offset in [0, high] to the observation."""

    transforms_observation = True

    def __init__(self, high: float = 1.0, *, mode: str = "reset", interval: Any = None,
                 name: str | None = None) -> None:
        super().__init__(mode=mode, interval=interval, name=name)
        self.high = high
        self.offset = 0.0

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        return {"offset": float(rng.uniform(0.0, self.high))}

    def apply(self, ctx: RandomizationContext, record) -> None:
        self.offset = record["offset"]

    def observation(self, values, ctx, rng):
        return values + self.offset


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """Expose ``acme_randomizers`` (a distribution that is not installed) to entry points."""
    module = types.ModuleType("acme_randomizers")
    module.SensorOffset = SensorOffset
    module.NotARandomizer = dict
    monkeypatch.setitem(sys.modules, "acme_randomizers", module)
    info = tmp_path / "acme_randomizers-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-randomizers\n"
                                   "Version: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[s2r.randomizers]\nacme_offset = acme_randomizers:SensorOffset\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    # the registry is global: give this test its own copy, restored afterwards
    monkeypatch.setattr(registry, "REGISTRY", dict(registry.REGISTRY))
    return info / "entry_points.txt"


def test_plugin_is_found_through_the_entry_point_group(plugin):
    names = {ep.name for ep in entry_points(group="s2r.randomizers")}
    assert "acme_offset" in names
    assert registry.registry()["acme_offset"] is SensorOffset


def test_plugin_is_built_from_config_by_its_type_name(plugin, envs):
    [r] = build_randomizers([{"type": "acme_offset", "high": 0.5}])
    assert isinstance(r, SensorOffset) and r.name == "acme_offset"
    env = RandomizedEnv(envs["signal"](n=3), [r], seed=0)
    obs, info = env.reset()
    offset = info["randomization"]["acme_offset"]["offset"]
    assert 0.0 <= offset <= 0.5
    np.testing.assert_array_equal(obs, offset)
    with pytest.raises(RandomizationError, match="acme_offset: unknown option 'low'"):
        build_randomizers([{"type": "acme_offset", "low": 0.5}])


def test_a_broken_plugin_is_a_clear_error(plugin):
    plugin.write_text("[s2r.randomizers]\nacme_bad = acme_randomizers:NotARandomizer\n"
                      "acme_missing = acme_randomizers:Nothing\n")
    with pytest.raises(RandomizationError, match="plugin 'acme_(bad|missing)'"):
        build_randomizers([{"type": "mass", "distribution": [0.9, 1.1]}])


def test_plugins_do_not_leak_into_the_builtin_registry():
    assert "acme_offset" not in registry.REGISTRY
