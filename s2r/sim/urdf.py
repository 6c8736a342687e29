"""URDF text handling: absolute mesh paths and centre-of-mass edits.

PyBullet cannot move a link's centre of mass on a live body, and ``loadURDF``
caches files by name for the life of a client (s2r/sim/PHYSICS.md, section 6), so a
COM change is done by writing the URDF again under a new file name and
reloading it.

>>> import pybullet_data, os
>>> model = UrdfModel(os.path.join(pybullet_data.getDataPath(), "cartpole.urdf"))
>>> model.inertial_origin("pole")
(0.0, 0.0, 0.5)
"""

from __future__ import annotations

import itertools
import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path

from s2r.errors import RobotError

_counter = itertools.count()


class UrdfModel:
    """A URDF file parsed once, rewritten on demand with changed COM origins."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.tree = ET.parse(self.path)
        except (ET.ParseError, OSError) as err:
            raise RobotError(f"cannot parse URDF: {err}", where=str(self.path)) from None
        root = self.tree.getroot()
        if root.tag != "robot":
            raise RobotError("not a URDF: the root element is not <robot>", where=str(self.path))
        base = self.path.parent
        for mesh in root.iter("mesh"):  # keep meshes loadable from another directory
            filename = mesh.get("filename", "")
            if filename and "://" not in filename and not os.path.isabs(filename):
                mesh.set("filename", str(base / filename))
        self._links = {link.get("name", ""): link for link in root.iter("link")}
        #: xyz text of each link whose centre of mass was given to :meth:`write` (it stays)
        self._com: dict[str, str] = {}
        self._template: tuple[str, list[str]] | None = None

    def _inertial(self, link: str) -> ET.Element:
        element = self._links.get(link)
        if element is None:
            raise RobotError(f"no link named '{link}'", where=str(self.path))
        inertial = element.find("inertial")
        if inertial is None:
            inertial = ET.SubElement(element, "inertial")
        return inertial

    def inertial_origin(self, link: str) -> tuple[float, float, float]:
        """The ``<inertial><origin xyz>`` of a link (0, 0, 0 when absent)."""
        origin = self._inertial(link).find("origin")
        if origin is None:
            return (0.0, 0.0, 0.0)
        x, y, z = (float(v) for v in origin.get("xyz", "0 0 0").split())
        return (x, y, z)

    def write(self, directory: str | os.PathLike[str],
              com: Mapping[str, Sequence[float]] | None = None) -> str:
        """Write the URDF with the given COM per link to a new, unique file; return its path.

        A link's COM, once given, stays until given again. The XML is serialized once (per
        set of links with a COM) into a template; each write only fills in the numbers.

        >>> import pybullet_data, os, tempfile
        >>> model = UrdfModel(os.path.join(pybullet_data.getDataPath(), "cartpole.urdf"))
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = model.write(tmp, {"pole": (0.0, 0.01, 0.5)})
        ...     UrdfModel(path).inertial_origin("pole")
        (0.0, 0.01, 0.5)
        """
        for link, xyz in (com or {}).items():
            self._inertial(link)  # raises for an unknown link
            self._com[link] = " ".join(repr(float(v)) for v in xyz)
        text, links = self._template_for()
        for i, link in enumerate(links):
            text = text.replace(f"@s2r-com-{i}@", self._com[link])
        out = Path(directory) / f"{self.path.stem}-{os.getpid()}-{next(_counter)}.urdf"
        out.write_text(text, encoding="utf-8")
        return str(out)

    def _template_for(self) -> tuple[str, list[str]]:
        """The URDF text with a placeholder for the COM of every link in ``_com``."""
        links = sorted(self._com)
        if self._template is None or self._template[1] != links:
            for i, link in enumerate(links):
                inertial = self._inertial(link)
                origin = inertial.find("origin")
                if origin is None:
                    origin = ET.SubElement(inertial, "origin")
                origin.set("xyz", f"@s2r-com-{i}@")
            text = ET.tostring(self.tree.getroot(), encoding="unicode")
            for link in links:  # the tree keeps real values (inertial_origin reads them)
                self._inertial(link).find("origin").set("xyz", self._com[link])  # type: ignore[union-attr]
            self._template = (text, links)
        return self._template
