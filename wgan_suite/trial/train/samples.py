"""Fixed-noise sample pictures written at every checkpoint."""

from __future__ import annotations

import io
import math
from pathlib import Path

from PIL import Image
from torch import Tensor

from wgan_suite.core import files as atomic
from wgan_suite.trial.data.base import to_uint8


def image_grid_png(images: Tensor) -> bytes:
    """(N, C, H, W) in [-1, 1] -> PNG bytes of a near-square grid."""
    # deferred: torchvision imports torchvision.models and torch._dynamo (~3.5 s); the
    # claims import this module (through the column catalogue) but never draw a grid
    from torchvision.utils import make_grid

    grid = make_grid(images.detach().float().cpu(), nrow=int(math.sqrt(len(images))), pad_value=1.0)
    array = to_uint8(grid).permute(1, 2, 0).numpy()
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def points_png(points: Tensor, title: str) -> bytes:
    """(N, 2) scatter or (N, 1) histogram for the toy data sets."""
    # deferred: pyplot takes ~0.5 s to import and only a toy trial's checkpoint draws
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = points.detach().float().cpu().numpy()
    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    if pts.shape[1] == 1:
        ax.hist(pts[:, 0], bins=50)
        ax.set_xlabel("x")
        ax.set_ylabel("count")
    else:
        ax.scatter(pts[:, 0], pts[:, 1], s=4, alpha=0.6)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def save_samples(samples: Tensor, path: Path, title: str) -> None:
    png = image_grid_png(samples) if samples.dim() == 4 else points_png(samples, title)
    atomic.write_bytes(path, png)
