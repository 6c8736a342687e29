"""Procedural images for visual randomization: textures and backgrounds made at run time.

Every image is a pure function of ``(kind, seed, height, width)``, so a record
holding the kind and the seed replays exactly. Nothing is downloaded; PNG files
are written with a minimal writer (zlib) for ``pybullet.loadTexture``.

>>> image = procedural_image("checker", seed=3, height=16, width=16)
>>> image.shape, image.dtype
((16, 16, 3), dtype('uint8'))
>>> bool((image == procedural_image("checker", 3, 16, 16)).all())
True
"""

from __future__ import annotations

import os
import struct
import tempfile
import zlib
from collections.abc import Callable

import numpy as np
import pybullet as pb

KINDS = ("solid", "checker", "stripes", "noise")


def random_colors(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random RGB colours (n x 3, floats in [0, 1]) from the generator."""
    return rng.uniform(0.0, 1.0, (n, 3))


def _solid(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    return np.broadcast_to(random_colors(rng, 1)[0], (h, w, 3))


def _checker(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    colors = random_colors(rng, 2)
    cells = int(rng.integers(2, 9))
    yy, xx = np.indices((h, w))
    parity = (yy * cells // h + xx * cells // w) % 2
    return colors[parity]


def _stripes(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    colors = random_colors(rng, 2)
    angle, period = rng.uniform(0.0, np.pi), rng.uniform(0.1, 0.4)
    yy, xx = np.indices((h, w)) / max(h, w)
    phase = (xx * np.cos(angle) + yy * np.sin(angle)) / period
    return colors[(np.floor(phase) % 2).astype(int)]


def _noise(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Smooth value noise: a coarse grid of random colours, bilinearly upsampled, plus grain."""
    n = int(rng.integers(3, 9))
    grid = random_colors(rng, (n + 1) * (n + 1)).reshape(n + 1, n + 1, 3)
    y, x = np.linspace(0, n, h), np.linspace(0, n, w)
    y0, x0 = np.minimum(y.astype(int), n - 1), np.minimum(x.astype(int), n - 1)
    fy, fx = (y - y0)[:, None, None], (x - x0)[None, :, None]
    top = grid[y0][:, x0] * (1 - fx) + grid[y0][:, x0 + 1] * fx
    bottom = grid[y0 + 1][:, x0] * (1 - fx) + grid[y0 + 1][:, x0 + 1] * fx
    return np.clip(top * (1 - fy) + bottom * fy + rng.normal(0.0, 0.04, (h, w, 1)), 0.0, 1.0)


_MAKERS: dict[str, Callable[[np.random.Generator, int, int], np.ndarray]] = {
    "solid": _solid, "checker": _checker, "stripes": _stripes, "noise": _noise}


def procedural_image(kind: str, seed: int, height: int, width: int) -> np.ndarray:
    """An RGB image (height x width x 3, uint8) of a kind in :data:`KINDS`."""
    if kind not in _MAKERS:
        raise ValueError(f"unknown image kind '{kind}' (known: {', '.join(KINDS)})")
    rng = np.random.default_rng([KINDS.index(kind), int(seed)])
    return np.round(_MAKERS[kind](rng, height, width) * 255).astype(np.uint8)


def write_png(path: str | os.PathLike[str], image: np.ndarray) -> None:
    """Write an RGB uint8 image as an 8-bit PNG (no compression level tuning, no filters)."""
    h, w, _ = image.shape
    raw = b"".join(b"\x00" + np.ascontiguousarray(image[y], dtype=np.uint8).tobytes()
                   for y in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class TextureCache:
    """PyBullet textures by ``(client, kind, seed)``, each made and loaded once.

    PyBullet cannot unload a texture, so a randomizer draws seeds from a bounded
    pool and the cache keeps the number of loaded textures bounded too. The PNG
    is deleted right after loading; :meth:`close` removes the temporary folder.
    """

    def __init__(self, resolution: int = 64) -> None:
        self.resolution = resolution
        self._ids: dict[tuple[int, str, int], int] = {}
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def get(self, client: int, kind: str, seed: int) -> int:
        """The texture id of ``(kind, seed)`` in ``client`` (loaded on first use)."""
        key = (client, kind, int(seed))
        if key not in self._ids:
            if self._tmp is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="s2r-textures-")
            path = os.path.join(self._tmp.name, f"{client}-{kind}-{seed}.png")
            write_png(path, procedural_image(kind, seed, self.resolution, self.resolution))
            try:
                self._ids[key] = pb.loadTexture(path, physicsClientId=client)
            finally:
                os.unlink(path)
        return self._ids[key]

    def close(self) -> None:
        self._ids.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
