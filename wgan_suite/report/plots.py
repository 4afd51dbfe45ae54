"""The report's figures, each a small function returning a ``data:`` URI of a PNG.

seaborn styles are applied in a context (never ``set_theme``), so a report built in
the same process as training leaves matplotlib's global state alone.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from wgan_suite.analysis.stats import Verdict
from wgan_suite.report import labels as meta
from wgan_suite.report.images import chart_png, png_uri

DPI = 80
SUMMARY_DPI = 100  # the first screen's figure: read at a glance, so a little sharper


@contextmanager
def figure(
    nrows: int = 1,
    ncols: int = 1,
    width: float = 5.2,
    height: float = 3.3,
    style: str = "whitegrid",
) -> Iterator[tuple]:
    """A figure of ``nrows`` x ``ncols`` panels of ``width`` x ``height`` inches each."""
    with sns.axes_style(style), sns.plotting_context("notebook", font_scale=0.8):
        size = (width * ncols, height * nrows)
        fig, axes = plt.subplots(nrows, ncols, figsize=size, squeeze=False)
        try:
            yield fig, list(axes.flat)
        finally:
            plt.close(fig)


def encode(fig: plt.Figure) -> str:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI)
    return png_uri(chart_png(buf.getvalue()))


def _seed_lines(ax, frame: pd.DataFrame, column: str, color, label: str) -> None:
    """One thin line per seed and the mean over seeds (where seeds overlap) in bold."""
    for _, trial in frame.groupby("trial_id"):
        trial = trial.sort_values("iteration")
        ax.plot(trial["iteration"], trial[column], color=color, lw=0.6, alpha=0.35)
    mean = frame.groupby("iteration")[column].mean()
    ax.plot(mean.index, mean.to_numpy(), color=color, lw=1.8, label=label)


def estimate_curves(
    cell: pd.DataFrame, estimate: str, quality: str | None, title: str, reference: float | None
) -> str:
    """W (or JS) estimate vs generator iterations, quality on a twin axis (paper Figs. 3-4)."""
    colors = sns.color_palette("colorblind")
    with figure() as (fig, (ax,)):
        _seed_lines(ax, cell.dropna(subset=[estimate]), estimate, colors[0], estimate + " (mean)")
        if reference is not None:
            ax.axhline(reference, color="0.4", ls=":", lw=1, label=f"{reference:.3f} (log 2)")
        ax.set_xlabel("generator iterations")
        ax.set_ylabel(meta.label(estimate), color=colors[0])
        ax.set_title(textwrap.fill(title, 60), fontsize=9)
        handles, labels = ax.get_legend_handles_labels()
        points = cell.dropna(subset=[quality]) if quality else cell.iloc[:0]
        if len(points):
            twin = ax.twinx()
            twin.grid(False)
            for _, trial in points.groupby("trial_id"):
                twin.plot(trial["iteration"], trial[quality], "o", color=colors[1], ms=3, alpha=0.4)
            mean = points.groupby("iteration")[quality].mean()
            twin.plot(mean.index, mean.to_numpy(), "o-", color=colors[1], lw=1.5, label=quality)
            twin.set_ylabel(meta.label(quality), color=colors[1])
            h2, l2 = twin.get_legend_handles_labels()
            handles, labels = handles + h2, labels + l2
        ax.legend(handles, labels, fontsize=7, loc="upper right")
        return encode(fig)


def c_sweep_plot(sweep: pd.DataFrame, metric: str) -> str:
    """Final quality vs the clipping c (log x); cells without clipping as dashed lines."""
    colors = sns.color_palette("colorblind")
    clipped = sweep.dropna(subset=["c", f"final.{metric}"])
    with figure() as (fig, (ax,)):
        ax.plot(clipped["c"], clipped[f"final.{metric}"], "o", color=colors[0], alpha=0.5)
        mean = clipped.groupby("c")[f"final.{metric}"].mean()
        ax.plot(mean.index, mean.to_numpy(), "-", color=colors[0], lw=1.8, label="clip (mean)")
        others = sweep[sweep["c"].isna()].dropna(subset=[f"final.{metric}"])
        for i, (label, group) in enumerate(others.groupby("cell", sort=False)):
            value = group[f"final.{metric}"].mean()
            ax.axhline(value, color=colors[(i + 1) % 10], ls="--", label=str(label))
        ax.set_xscale("log")
        ax.set_xlabel("clipping range c (log scale)")
        ax.set_ylabel(meta.final_label(metric))
        ax.legend(fontsize=7)
        return encode(fig)


def layer_norm_plot(norms: pd.DataFrame) -> str:
    """Critic gradient norm per layer (00 = input side), one line per cell, log y."""
    with figure() as (fig, (ax,)):
        order = list(pd.unique(norms["cell"]))
        sns.lineplot(
            data=norms,
            x="layer",
            y="norm",
            hue="cell",
            hue_order=order,
            marker="o",
            errorbar=None,
            ax=ax,
        )
        ax.set_yscale("log")
        ax.set_xlabel("critic layer (0 = input side)")
        ax.set_ylabel("gradient norm of the critic loss")
        ax.legend(fontsize=7)
        return encode(fig)


def grouped_curves(frame: pd.DataFrame, column: str, hue: str, facet: str | None) -> str:
    """``column`` vs iterations, one colour per value of ``hue``, one panel per ``facet``."""
    facets = list(pd.unique(frame[facet])) if facet else [None]
    ncols = min(len(facets), 3)
    nrows = math.ceil(len(facets) / ncols)
    colors = dict(zip(pd.unique(frame[hue]), sns.color_palette("colorblind"), strict=False))
    with figure(nrows, ncols, width=4.6, height=3.2) as (fig, axes):
        for ax in axes[len(facets) :]:
            ax.set_visible(False)
        for ax, value in zip(axes, facets, strict=False):
            sub = frame if facet is None else frame[frame[facet] == value]
            for key, group in sub.groupby(hue, sort=False):
                _seed_lines(ax, group, column, colors[key], str(key))
            ax.set_xlabel("generator iterations")
            ax.set_ylabel(meta.label(column))
            ax.set_title(str(value) if facet else "", fontsize=9)
            ax.legend(fontsize=7)
        return encode(fig)


def step_cos_plot(frame: pd.DataFrame, hue: str) -> str:
    """Distribution of the step/gradient cosine of the critic optimizer per ``hue``."""
    with figure() as (fig, (ax,)):
        sns.histplot(
            data=frame,
            x="step_cos_critic",
            hue=hue,
            stat="density",
            common_norm=False,
            element="step",
            bins=np.linspace(-1, 1, 41),
            ax=ax,
        )
        ax.axvline(0, color="0.3", ls=":", lw=1)
        ax.set_xlabel("cosine(critic step, -gradient)")
        ax.set_ylabel("density over logged steps")
        return encode(fig)


# The badge colours of the pages, and a symbol per verdict so colour is never the only cue.
VERDICT_STYLE = {
    Verdict.REPRODUCED: ("#1a7f37", "\N{CHECK MARK}"),
    Verdict.NOT_REPRODUCED: ("#cf222e", "\N{BALLOT X}"),
    Verdict.INCONCLUSIVE: ("#8c959f", "?"),
}


def verdict_heatmap(grid: pd.DataFrame, row_labels: list[str]) -> str:
    """Claims (rows) x budgets run (columns), coloured by verdict; blank where the claim's
    ablation did not run at that budget."""
    order = list(VERDICT_STYLE)
    codes = grid.apply(lambda col: col.map(lambda v: order.index(v) if v in order else np.nan))
    symbols = grid.apply(lambda col: col.map(lambda v: VERDICT_STYLE.get(v, ("", ""))[1]))
    size = (1.6 + 0.7 * grid.shape[1], 0.5 + 0.26 * len(grid))
    with figure(width=size[0], height=size[1], style="white") as (fig, (ax,)):
        sns.heatmap(
            codes.astype(float),
            mask=codes.isna(),
            cmap=ListedColormap([VERDICT_STYLE[v][0] for v in order]),
            vmin=-0.5,
            vmax=2.5,
            cbar=False,
            annot=symbols.to_numpy(),
            fmt="",
            linewidths=1.5,
            linecolor="white",
            annot_kws={"color": "white", "fontsize": 10, "fontweight": "bold"},
            ax=ax,
        )
        rows = np.arange(len(grid)) + 0.5
        ax.set_yticks(rows, row_labels, rotation=0, fontsize=8, family="monospace")
        ax.set_xticks(np.arange(grid.shape[1]) + 0.5, list(grid.columns), fontsize=9)
        ax.xaxis.tick_top()
        ax.set(xlabel="", ylabel="")
        ax.tick_params(length=0)
        _verdict_legend(ax)
        buf = io.BytesIO()  # tight bounding box: the legend below the axes is kept
        fig.savefig(buf, format="png", dpi=SUMMARY_DPI, bbox_inches="tight", pad_inches=0.05)
        return png_uri(chart_png(buf.getvalue()))


def _verdict_legend(ax) -> None:
    handles = [
        Patch(color=color, label=f"{symbol} {verdict.replace('_', ' ')}")
        for verdict, (color, symbol) in VERDICT_STYLE.items()
    ]
    handles.append(Patch(facecolor="white", edgecolor="0.6", label="blank: not run"))
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=2,
        fontsize=7.5,
        frameon=False,
    )
