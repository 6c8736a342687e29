"""The docs cite only files in the repository.

Checked: markdown links and file paths in every ``*.md`` file, in the docstrings and comments
of the Python packages, tests and benchmarks, and in the comments of ``configs/``.
A markdown link must resolve relative to the file that holds it (it is clicked). A path
named in prose may be short (``PROTOCOL.md`` in ``hardware/``, ``firmware/protocol.c``):
it must be the end of the path of a file in the repository, or a file of pybullet_data.
Not checked: URLs, absolute paths (``/tmp/port``), patterns (``configs/robots/*.yaml``,
``<robot>_bench.yaml``) and the files of examples that are not meant to exist
(NOT_IN_REPOSITORY).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pybullet_data
import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".ruff_cache",
             ".mypy_cache"}
#: path-like words that name a file by its extension
CITED = re.compile(r"(?<![\w./<>*{}-])([\w][\w./-]*\.(?:md|py|ya?ml|urdf|toml|png|c|h|json))"
                   r"(?![\w/*-])")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
#: files examples name that are not meant to be in the repository: what a user writes,
#: an error message's example path, what the firmware build generates
NOT_IN_REPOSITORY = {"my_pendulum.yaml", "my_pendulum.urdf", "my_set.yaml", "x.yaml",
                     "vectors.h",
                     # files s2r writes into its output directories (train, sysid, report)
                     "spec.json", "params.yaml", "randomization.yaml", "result.yaml",
                     "summary.json", "config.json", "metrics.json", "state.json",
                     "evaluations.json", "report.md", "sweep.json",
                     "my_truth.yaml", "demo.json", "excitation.s2r.csv"}
PYBULLET_DATA = Path(pybullet_data.getDataPath())


def repo_files(*suffixes: str) -> list[Path]:
    out = []
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if path.is_file() and path.suffix in suffixes and not SKIP_DIRS & set(rel.parts[:-1]):
            out.append(path)
    return sorted(out)


def python_prose(source: str) -> str:
    """The docstrings and comments of a Python source."""
    parts = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            parts.append(ast.get_docstring(node) or "")
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            parts.append(tok.string)
    return "\n".join(parts)


def markdown_prose(text: str) -> tuple[str, list[str]]:
    """The prose of a markdown text (fenced blocks removed) and the targets of its links."""
    prose = re.sub(r"^```.*?^```[ \t]*$", "", text, flags=re.S | re.M)
    return prose, LINK.findall(prose)


def yaml_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[1] for line in text.splitlines() if "#" in line)


def link_resolves(citing: Path, target: str) -> bool:
    """A markdown link, relative to the file that holds it."""
    target = target.split("#", 1)[0]
    return not target or (citing.parent / target).exists()


def path_resolves(target: str) -> bool:
    """A path named in prose: the end of a repository file's path, or a pybullet_data file."""
    target = target.split("/.", 1)[0]  # protocol.c/.h
    return (PYBULLET_DATA / target).exists() or any(
        f"/{rel}".endswith(f"/{target}") for rel in REPO_PATHS)


def citations(path: Path) -> tuple[list[str], list[str]]:
    """(markdown link targets, paths named in prose) of a file, the ones to check."""
    text = path.read_text(encoding="utf-8")
    links: list[str] = []
    if path.suffix == ".md":
        prose, links = markdown_prose(text)
        prose = LINK.sub("", prose)
    elif path.suffix == ".py":
        prose = python_prose(text)
    else:
        prose = yaml_comments(text)
    links = [t for t in links if not re.match(r"[a-z]+:", t) and not t.startswith(("#", "/"))]
    named = [m.group(1) for m in CITED.finditer(prose)]
    return links, [t for t in named if Path(t).name not in NOT_IN_REPOSITORY]


SOURCES = (repo_files(".md") + repo_files(".py") + [
    p for p in repo_files(".yaml", ".yml") if p.relative_to(ROOT).parts[0] == "configs"])
REPO_PATHS = [p.relative_to(ROOT).as_posix() for p in repo_files(
    ".md", ".py", ".yaml", ".yml", ".urdf", ".toml", ".png", ".c", ".h", ".json")]


def test_every_citation_resolves():
    broken = []
    for path in SOURCES:
        links, named = citations(path)
        broken += [f"{path.relative_to(ROOT)}: link {t}" for t in links
                   if not link_resolves(path, t)]
        broken += [f"{path.relative_to(ROOT)}: {t}" for t in named if not path_resolves(t)]
    assert not broken, "cited files that are not in the repository:\n" + "\n".join(broken)


@pytest.mark.parametrize("text, kind, expected", [
    ("see [the protocol](hardware/PROTOCOL.md#framing) and [web](https://x.org/a.md)",
     ".md", (["hardware/PROTOCOL.md#framing"], [])),
    ('"""Measured in PYBULLET.md, section 4."""\nx = "not.md"  # and DESIGN.md\n', ".py",
     ([], ["PYBULLET.md", "DESIGN.md"])),
    ("a: 1  # reference: docs/randomizers.md\n", ".yaml", ([], ["docs/randomizers.md"])),
    ("```bash\ncat notes.md\n```\nin `configs/robots/*.yaml`, `<robot>_bench.yaml`\n", ".md",
     ([], [])),
])
def test_citations_are_found_where_they_are_prose(tmp_path, text, kind, expected):
    path = tmp_path / f"doc{kind}"
    path.write_text(text)
    assert citations(path) == expected


def test_a_missing_file_does_not_resolve():
    assert path_resolves("PROTOCOL.md") and path_resolves("firmware/protocol.c/.h")
    assert path_resolves("s2r/sim/PHYSICS.md") and path_resolves("plane.urdf")
    assert not path_resolves("PYBULLET.md") and not path_resolves("DESIGN.md")
    assert not path_resolves("docs/randomizers.md") and not path_resolves("sim/PHYSICS.md.bak")
    assert link_resolves(ROOT / "README.md", "hardware/PROTOCOL.md")
    assert not link_resolves(ROOT / "s2r" / "ARCHITECTURE.md", "hardware/PROTOCOL.md")
