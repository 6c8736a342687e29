"""Non-numeric values, schedules of missing randomizers and a ``seed:`` key in randomization
files are errors naming the file, the entry and the key (before: a raw ValueError, or
accepted and ignored)."""

from __future__ import annotations

import pytest

from randomizers.base import RandomizationError
from randomizers.registry import build_randomizers, load_randomization
from randomizers.schedules import load_curriculum
from randomizers.wrapper import RandomizedEnv
from s2r.tasks import PendulumSwingup


@pytest.mark.parametrize("entry, message", [
    ({"type": "mass", "distribution": [0.8, "abc"]}, r"mass: distribution\[1\]: 'abc' is not"),
    ({"type": "mass", "distribution": [None, 1.2]}, r"mass: distribution\[0\]: None is not"),
    ({"type": "mass", "distribution": {"uniform": [0.8, "x"]}}, r"distribution.uniform\[1\]"),
    ({"type": "mass", "distribution": {"normal": ["m", 0.1]}}, r"distribution.normal\[0\]"),
    ({"type": "mass", "distribution": {"dist": "normal", "mean": "m", "std": 0.1}},
     "mass: distribution.mean: 'm' is not a number"),
    ({"type": "mass", "distribution": {"choice": [1, "two"]}}, r"distribution.choice\[1\]"),
    ({"type": "mass", "distribution": "abc"}, "distribution: expected \\[low, high\\]"),
    ({"type": "action_delay", "seconds": [0.0, "abc"]}, r"action_delay: seconds\[1\]"),
    ({"type": "push", "link": "pole", "magnitude": [1, "q"]}, r"push: magnitude\[1\]: 'q'"),
    ({"type": "observation_dropout", "probability": [0, "p"]}, r"probability\[1\]: 'p'"),
])
def test_a_value_that_is_not_a_number_names_entry_and_key(entry, message):
    with pytest.raises(RandomizationError, match=message) as err:
        build_randomizers([{"type": "gravity", "distribution": [0.9, 1.1]}, entry])
    assert "randomizers[1]" in str(err.value)


def test_numbers_yaml_left_as_strings_still_count():
    (mass,) = build_randomizers([{"type": "mass", "distribution": ["0.8", "1.2e0"]}])
    assert mass.term.distribution.support() == (0.8, 1.2)


def test_a_value_converted_only_when_bound_names_entry_and_key():
    rs = build_randomizers([{"type": "observation_noise", "amplitude": "lots"}])
    env = PendulumSwingup()
    with pytest.raises(RandomizationError, match=r"randomizers\[0\] \(type observation_noise\): "
                                                 "observation_noise: amplitude: 'lots' is not"):
        RandomizedEnv(env, rs)
    env.close()


def test_in_a_file_the_error_names_file_index_and_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("randomizers:\n  - {type: gravity, distribution: [0.9, 1.1]}\n"
                    "  - {type: mass, distribution: [0.8, abc]}\n")
    with pytest.raises(RandomizationError, match=r"bad.yaml: randomizers\[1\] \(type mass\): "
                                                 r"mass: distribution\[1\]: 'abc' is not a "
                                                 "number"):
        load_randomization(path)


def test_a_schedule_naming_a_missing_randomizer_is_refused_at_load(tmp_path):
    path = tmp_path / "cur.yaml"
    path.write_text("randomizers:\n  - {type: mass, distribution: [0.5, 1.5]}\n"
                    "schedules:\n  - {randomizer: mass, type: linear, until: 10}\n"
                    "  - {randomizer: masss, type: linear, until: 10}\n")
    message = r"cur.yaml: schedules\[1\]: no randomizer named 'masss' \(names: mass\)"
    with pytest.raises(RandomizationError, match=message):
        load_randomization(path)
    with pytest.raises(RandomizationError, match=message):
        load_curriculum(path)
    # checked against the randomizers given, when they are
    assert load_curriculum(path, build_randomizers([
        {"type": "mass", "distribution": [0.5, 1.5]},
        {"type": "mass", "name": "masss", "distribution": [0.5, 1.5]}])).names == ["mass",
                                                                                   "masss"]


def test_a_seed_key_is_refused(tmp_path):
    path = tmp_path / "seeded.yaml"
    path.write_text("seed: 3\nrandomizers:\n  - {type: mass, distribution: [0.5, 1.5]}\n")
    for load in (load_randomization, load_curriculum):
        with pytest.raises(RandomizationError, match="seeded.yaml: seed: a randomization file "
                                                     "holds no seed"):
            load(path)
