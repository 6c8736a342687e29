"""randomizers/REFERENCE.md is generated from the code and must not drift from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from randomizers.reference import reference
from randomizers.registry import registry

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "randomizers" / "REFERENCE.md"


def test_committed_reference_matches_the_code():
    assert DOC.read_text() == reference(), (
        "randomizers/REFERENCE.md is stale: run `python -m randomizers.reference > "
        "randomizers/REFERENCE.md`")


def test_every_builtin_randomizer_and_option_is_documented():
    text = reference()
    for kind, cls in registry().items():
        if cls.__module__.startswith("randomizers."):
            assert f"### `{kind}`" in text


def test_the_module_prints_the_reference():
    out = subprocess.run([sys.executable, "-m", "randomizers.reference"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert out == reference()
