"""The published JSON Schema of ``metrics.json``, and the check every write goes through.

>>> schema()["properties"]["format"]
{'const': 's2r-gap-report'}
>>> validate({"format": "s2r-gap-report"})
Traceback (most recent call last):
...
s2r.errors.ReportError: metrics.json: invalid at <root>: 'version' is a required property
>>> _non_finite({"a": [1.0, float("nan")]})
'a/1'
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from s2r.errors import ReportError

SCHEMA_PATH = Path(__file__).with_name("metrics.schema.json")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The schema (``s2r/report/metrics.schema.json``, shipped in the package)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate(metrics: dict[str, Any]) -> None:
    """Raise :class:`~s2r.errors.ReportError` naming the first place ``metrics`` breaks the
    schema (a NaN or infinity anywhere is refused as well: JSON has neither)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(metrics))
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "<root>"
        raise ReportError(f"invalid at {where}: {error.message}", where="metrics.json")
    bad = _non_finite(metrics)
    if bad is not None:
        raise ReportError(f"invalid at {bad}: not a finite number (JSON has no NaN or "
                          "infinity)", where="metrics.json")


def _non_finite(obj: Any, path: str = "") -> str | None:
    """The path of the first NaN or infinity in ``obj``, or None."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return path or "<root>"
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) \
        if isinstance(obj, list) else ()
    for key, value in items:
        found = _non_finite(value, f"{path}/{key}" if path else str(key))
        if found is not None:
            return found
    return None
