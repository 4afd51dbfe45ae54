"""Jinja2 rendering (autoescaped, strict) and atomic writes of the HTML pages."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from wgan_suite.core import files
from wgan_suite.report.tables import fmt


@cache
def environment() -> Environment:
    """Templates ship inside the package (``wgan_suite/report/templates/*.html.j2``)."""
    env = Environment(
        loader=PackageLoader("wgan_suite.report", "templates"),
        autoescape=True,  # every value is data, including claim statements
        undefined=StrictUndefined,  # a typo in a template fails the build, not the page
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = fmt
    return env


def render(template: str, out: Path, **context: Any) -> Path:
    files.write_text(out, environment().get_template(template).render(**context))
    out.chmod(0o644)  # the atomic write's temp file is private; a report is for reading
    return out
