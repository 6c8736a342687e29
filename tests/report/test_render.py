"""report.html opens in a real headless Chromium and shows its plots.

Skipped only where Chromium is missing and cannot be installed (not root); as root, or
with CI set, a missing Chromium is an error (``make system-deps`` installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from s2r.report import build_report

WIDTH, HEIGHT = 1200, 5200


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    reason = "chromium not found: apt-get install -y --no-install-recommends chromium"
    if os.environ.get("CI") or (hasattr(os, "geteuid") and os.geteuid() == 0):
        pytest.fail(f"{reason} (root or CI: it must be installed, see make system-deps)")
    pytest.skip(reason)


def screenshot(html: Path, png: Path, tmp: Path) -> np.ndarray:
    """Render ``html`` in headless Chromium; the screenshot as an RGB array."""
    from PIL import Image

    profile = tmp / f"profile-{png.stem}"
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={profile}", f"--screenshot={png}",
           f"--window-size={WIDTH},{HEIGHT}", html.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert png.is_file(), f"no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return np.asarray(Image.open(png).convert("RGB"))


def colours(img: np.ndarray) -> int:
    """Distinct colours, quantised to 32 levels per channel (anti-aliasing aside)."""
    q = (img // 8).reshape(-1, 3).astype(np.int64)
    return len(np.unique(q[:, 0] * 1024 + q[:, 1] * 32 + q[:, 2]))


def inked(img: np.ndarray) -> float:
    """Fraction of pixels that are not (near) white."""
    return float((img.min(axis=2) < 240).mean())


def test_report_html_shows_its_plots_in_chromium(bench_pairs, tmp_path):
    sim, real = bench_pairs["sine"]
    rep = build_report([("sine", sim, real)], out=tmp_path / "report", resamples=200,
                       permutations=50)
    page = rep.html.read_text()
    assert page.count("data:image/png;base64,") == 4  # returns, trajectories, residuals, timing
    assert "http://" not in page and "https://" not in page  # self-contained
    bare = tmp_path / "bare.html"
    bare.write_text(re.sub(r"<img [^>]*>", "", page))
    with_plots = screenshot(rep.html, tmp_path / "plots.png", tmp_path)
    without = screenshot(bare, tmp_path / "bare.png", tmp_path)
    assert with_plots.shape == without.shape == (HEIGHT, WIDTH, 3)
    # the text and tables render in both; the plots add colour and ink
    assert inked(without) > 0.005
    assert colours(with_plots) > 3 * colours(without)
    assert inked(with_plots) > inked(without) + 0.005
    # where the bare page is blank below its last table, the plots are drawn
    rows = np.flatnonzero((without.min(axis=2) < 240).any(axis=1))
    below = slice(rows[-1] + 20, HEIGHT)
    assert inked(without[below]) == 0.0 and inked(with_plots[below]) > 0.01
    sim_blue = np.all(np.abs(with_plots[below].astype(int) - (31, 119, 180)) < 30, axis=2)
    real_red = np.all(np.abs(with_plots[below].astype(int) - (214, 39, 40)) < 30, axis=2)
    assert sim_blue.sum() > 200 and real_red.sum() > 200  # both sides' curves are visible
