"""Figures of the reliability suites and their long-variant switch (imported by the suites and
by their conftest, which prints the summary at the end of the run)."""

from __future__ import annotations

import json
import os
from collections import defaultdict

LONG = os.environ.get("ABA_RELIABILITY_LONG", "") not in ("", "0")


def scale(default, long):
    """The default figure, or the long variant's under ABA_RELIABILITY_LONG=1."""
    return long if LONG else default


# section -> figure -> value (numbers add up across tests, other values are replaced).
_FIGURES: dict[str, dict[str, object]] = defaultdict(dict)


def record(section: str, **figures) -> None:
    """Add figures to the end-of-run summary (summed when numeric and recorded again)."""
    target = _FIGURES[section]
    for name, value in figures.items():
        old = target.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(
                old, (int, float)) and not isinstance(old, bool) and not name.endswith("_per_s"):
            target[name] = old + value
        else:
            target[name] = value


def terminal_summary(terminalreporter) -> None:
    if not _FIGURES:
        return
    tr = terminalreporter
    tr.section("reliability summary" + (" (long variant)" if LONG else ""))
    for section in sorted(_FIGURES):
        figures = _FIGURES[section]
        text = ", ".join(f"{k}: {_fmt(v)}" for k, v in figures.items())
        tr.write_line(f"{section:<22} {text}")
    out = os.environ.get("ABA_RELIABILITY_REPORT")
    if out:
        with open(out, "w") as fh:
            json.dump({"long": LONG, "figures": _FIGURES}, fh, indent=2, default=str)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
