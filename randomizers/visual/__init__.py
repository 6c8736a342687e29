"""Visual randomizers: how the robot looks to a camera (PyBullet's CPU renderer).

=================  ===========================================================
type               what changes (per episode unless said)
=================  ===========================================================
``link_color``     colour of links (``changeVisualShape rgbaColor``), HSV or RGB
``texture``        procedural textures on links (checker, stripes, noise, solid)
``light``          light direction, colour, ambient/diffuse/specular coefficients
``camera_pose``    camera target, distance, yaw and pitch, around the nominal pose
``camera_fov``     field of view, as a factor of the nominal one
``background``     a procedural image wherever no object is drawn
``image_noise``    Gaussian pixel noise, new in every image
=================  ===========================================================

Every value of an episode is in its record (``info["randomization"]``), so an
episode replays exactly. See randomizers/VISUAL.md.

>>> from randomizers.registry import build_randomizers
>>> from randomizers.wrapper import RandomizedEnv
>>> from s2r.tasks.camera import PixelTask
>>> env = RandomizedEnv(PixelTask("pendulum_swingup", size=32), build_randomizers([
...     {"type": "link_color"}, {"type": "light"}, {"type": "image_noise", "std": 3.0}]), seed=0)
>>> image, info = env.reset(seed=0)
>>> image.shape, sorted(info["randomization"]["link_color"]["colors"])
((32, 32, 3), ['base', 'pole'])
>>> env.close()
"""

from __future__ import annotations

from randomizers.visual.base import VisualRandomizer
from randomizers.visual.camera import (
    BackgroundRandomizer,
    CameraFovRandomizer,
    CameraPoseRandomizer,
    ImageNoiseRandomizer,
    LightRandomizer,
)
from randomizers.visual.links import LinkColorRandomizer, LinkRandomizer, TextureRandomizer
from randomizers.visual.procedural import KINDS, procedural_image

__all__ = ["KINDS", "BackgroundRandomizer", "CameraFovRandomizer", "CameraPoseRandomizer",
           "ImageNoiseRandomizer", "LightRandomizer", "LinkColorRandomizer", "LinkRandomizer",
           "TextureRandomizer", "VisualRandomizer", "procedural_image"]
