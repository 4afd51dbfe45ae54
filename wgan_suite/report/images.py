"""Sample grids from trial directories as embedded thumbnails (``data:`` URIs)."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from PIL import Image, ImageChops

from wgan_suite.core.layout import TrialDir
from wgan_suite.core.statuses import TrialStatus

THUMB = 112  # px, longest side, in the stability table
CHART_COLOURS = 1024  # at most this many distinct colours: a chart, not a photo-like grid
SAMPLE = 256  # px, longest side, in the sample-grid and toy sections


@dataclass(frozen=True)
class Picture:
    """An embedded picture, or the reason there is none."""

    uri: str | None  # data:image/png;base64,... or None
    alt: str  # what it shows
    why: str = ""  # why it is missing (when uri is None)


def png_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def chart_png(png: bytes) -> bytes:
    """An opaque chart (a matplotlib figure, a toy scatter plot) as a 256-colour palette
    PNG: its colours are a few hundred, mostly anti-aliasing, so this is about half the
    bytes and looks the same. Not for sample grids, whose colours are the data."""
    with Image.open(io.BytesIO(png)) as img:
        return _palette_png(img.convert("RGB"))


def _palette_png(img) -> bytes:
    buf = io.BytesIO()
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def sample_path(trial: pd.Series | dict[str, Any]) -> tuple[Path | None, str]:
    """The last checkpoint's sample PNG of a trial, or why there is none.

    ``sample_grid`` (relative to ``trial_dir``) from the results; else the last
    ``samples/iter_*.png`` in the trial directory, unless the table says the trial is
    pending: its directory may hold a later run's in-progress samples, which the table's
    numbers do not describe.
    """
    trial_dir = trial.get("trial_dir")
    if trial.get("status") == TrialStatus.PENDING:
        return None, "not run yet"
    if trial_dir is None or pd.isna(trial_dir):
        return None, "no trial directory recorded"
    trial_dir = Path(str(trial_dir))
    grid = trial.get("final.sample_grid")
    if grid is not None and not pd.isna(grid) and (trial_dir / str(grid)).is_file():
        return trial_dir / str(grid), ""
    found = TrialDir(trial_dir).grids()
    if found:
        return found[-1], ""
    if not trial_dir.exists():
        return None, f"trial directory {trial_dir} is not on this machine"
    return None, f"no checkpoint yet (status {trial.get('status')})"


def thumbnail(path: Path, size: int) -> str:
    """``thumbnail_png`` as a ``data:`` URI."""
    return png_uri(thumbnail_png(path, size))


def thumbnail_png(path: Path, size: int) -> bytes:
    """PNG thumbnail (never enlarged; the page scales small grids up, pixelated).

    Grey grids saved as RGB (torchvision's save_image always writes three channels) are
    stored as one grey channel: the same pixels at half the bytes, which keeps pages of
    many MNIST-family samples small. Charts (the 2-D toy scatter plots, at most
    ``CHART_COLOURS`` colours before resizing) are stored as ``chart_png`` stores figures;
    colour sample grids (thousands of colours) keep every colour.
    """
    with Image.open(path) as img:
        img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
        if img.mode == "RGBA" and img.getextrema()[3] == (255, 255):
            img = img.convert("RGB")  # matplotlib writes an alpha channel it does not use
        chart = False
        if img.mode == "RGB":
            r, g, b = img.split()
            if (
                not ImageChops.difference(r, g).getbbox()
                and not ImageChops.difference(r, b).getbbox()
            ):
                img = r
            else:  # counted before resampling adds in-between colours
                chart = img.getcolors(CHART_COLOURS) is not None
        img.thumbnail((size, size), Image.Resampling.LANCZOS)
        if chart:
            return _palette_png(img)
        buf = io.BytesIO()
        img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def trial_picture(trial: pd.Series | dict[str, Any], size: int, alt: str) -> Picture:
    path, why = sample_path(trial)
    if path is None:
        return Picture(None, alt, why)
    try:
        return Picture(thumbnail(path, size), f"{alt} ({path.name})")
    except OSError as err:  # unreadable or truncated PNG: say so instead of failing
        return Picture(None, alt, f"{path.name} could not be read: {err}")
