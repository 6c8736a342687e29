"""A self-contained HTML page: headings, text, tables and matplotlib figures embedded as PNG.

The reports of ``s2r sysid`` and ``s2r report`` are built with it: one file that opens in
any browser with no other file beside it and no network.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import matplotlib.pyplot as plt
>>> page = HtmlPage("Example")
>>> page.heading("Fit")
>>> page.table(["name", "value"], [["mass", 0.1234]])
>>> fig, ax = plt.subplots(); _ = ax.plot([0, 1], [0, 1])
>>> page.figure(fig, "a line")
>>> html = page.render()
>>> "<table>" in html and "data:image/png;base64," in html
True
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; line-height: 1.4; }
h1 { border-bottom: 2px solid #444; padding-bottom: .2em; }
h2 { margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th { background: #f0f0f0; } td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0; } figure img { max-width: 100%; }
figcaption { color: #555; font-size: 0.9em; }
.summary { background: #f6f8fa; border-left: 4px solid #0969da; padding: .6em 1em; }
.warning { background: #fff8e1; border-left: 4px solid #d29922; padding: .6em 1em; }
"""


def format_cell(value: Any, digits: int = 4) -> str:
    """A table cell as text: floats to ``digits`` significant digits, None as a dash."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def figure_png(fig: Any, dpi: int = 90) -> bytes:
    """A matplotlib figure as PNG bytes; the figure is closed."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


class HtmlPage:
    """Collects the parts of one page in order; :meth:`write` saves it as one file."""

    def __init__(self, title: str) -> None:
        self.title = title
        self._parts: list[str] = [f"<h1>{html.escape(title)}</h1>"]

    def heading(self, text: str, level: int = 2) -> None:
        self._parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def paragraph(self, text: str, css: str | None = None) -> None:
        """A paragraph of plain text; ``css`` is ``"summary"`` or ``"warning"`` for a box."""
        cls = f' class="{css}"' if css else ""
        self._parts.append(f"<p{cls}>{html.escape(text)}</p>")

    def bullets(self, items: Sequence[str], css: str | None = None) -> None:
        cls = f' class="{css}"' if css else ""
        lis = "".join(f"<li>{html.escape(item)}</li>" for item in items)
        self._parts.append(f"<ul{cls}>{lis}</ul>")

    def table(self, header: Sequence[str], rows: Sequence[Sequence[Any]],
              digits: int = 4) -> None:
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(format_cell(c, digits))}</td>" for c in row)
            + "</tr>" for row in rows)
        self._parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")

    def figure(self, fig: Any, caption: str = "") -> None:
        """Embeds a matplotlib figure as a base64 PNG (the figure is closed)."""
        data = base64.b64encode(figure_png(fig)).decode("ascii")
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        alt = html.escape(caption or "figure", quote=True)
        self._parts.append(f'<figure><img src="data:image/png;base64,{data}" alt="{alt}">'
                           f"{cap}</figure>")

    def render(self) -> str:
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style></head>"
                "<body>\n" + "\n".join(self._parts) + "\n</body></html>\n")

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Writes the page (through a temporary file, so a reader never sees half of it)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(self.render(), encoding="utf-8")
        os.replace(tmp, path)
        return path
