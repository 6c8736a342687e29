"""A robot's spec without a simulator (re-exported from :mod:`s2r.description`)."""

from s2r.description import spec_from_description, spec_of

__all__ = ["spec_from_description", "spec_of"]
