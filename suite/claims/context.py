"""What a check may read: one ablation's rows at one budget, and per-seed values from them.

Every way the data can fail to decide a claim (a column or row missing, a trial failed
or still running, no metric with data) raises ``Inconclusive`` here with its reason, so
the check kinds only describe what they compute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from suite.claims.base import Inconclusive, describe_where

NOT_DONE = ("failed", "pending", "stopped", "running")  # not a result; "diverged" is one


@dataclass(frozen=True)
class Trial:
    trial_id: str
    seed: int
    status: str


@dataclass
class Context:
    """One claim's view of the tables; ``results``/``trials`` hold its ablation and budget."""

    results: pd.DataFrame
    trials: pd.DataFrame
    tolerance: float = 0.0
    min_seeds: int = 3
    _rows: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ trials

    def select(self, where: dict[str, Any]) -> list[Trial]:
        """Trials matching ``where``; any failed/pending/stopped one makes the claim wait."""
        ids: set[str] = set()
        usable = [f for f in (self.trials, self.results) if _has(f, ["trial_id", *where])]
        if not usable:
            missing = sorted(
                {c for f in (self.trials, self.results) for c in where if c not in f.columns}
            )
            axes = sorted({c for f in (self.trials, self.results) for c in f.columns} & _axes(self))
            raise Inconclusive(
                f"column(s) {', '.join(missing)} not in the table; its axes: {', '.join(axes)}"
            )
        for frame in usable:
            ids |= set(frame.loc[_matches(frame, where), "trial_id"].astype(str))
        if not ids:
            raise Inconclusive(f"no trial matches {describe_where(where)}")
        selected = [self._trial(t) for t in sorted(ids)]
        bad = [t for t in selected if t.status in NOT_DONE or not t.status]
        if bad:
            listed = ", ".join(f"{t.trial_id} ({t.status or 'no status'})" for t in bad)
            raise Inconclusive(
                f"{len(bad)} trial(s) of {describe_where(where)} not done: {listed}",
                tuple(t.trial_id for t in selected),
            )
        return selected

    def _trial(self, trial_id: str) -> Trial:
        for frame in (self.trials, self.results):
            if _has(frame, ["trial_id"]):
                hit = frame[frame["trial_id"].astype(str) == trial_id]
                if not hit.empty and "seed" in hit and "status" in hit:
                    row = hit.iloc[0]
                    status = "" if pd.isna(row["status"]) else str(row["status"])
                    return Trial(trial_id, int(row["seed"]), status)
        return Trial(trial_id, -1, "")

    # ------------------------------------------------------------------ rows

    def rows(self, trial_id: str, which: str = "all") -> pd.DataFrame:
        """The trial's rows ordered by iteration; ``checkpoints`` keeps at_checkpoint rows."""
        if trial_id not in self._rows:
            frame = self.results
            if not _has(frame, ["trial_id"]):
                frame = pd.DataFrame(columns=["trial_id", "iteration"])
            own = frame[frame["trial_id"].astype(str) == trial_id]
            if "iteration" in own:
                own = own.sort_values("iteration", kind="stable")
            self._rows[trial_id] = own
        own = self._rows[trial_id]
        if which == "checkpoints":
            if "at_checkpoint" not in own.columns:
                raise Inconclusive("column at_checkpoint missing: cannot find checkpoint rows")
            own = own[own["at_checkpoint"].fillna(False).astype(bool)]
        return own

    def series(self, trial_id: str, column: str, which: str = "all") -> pd.Series:
        """Non-null numeric values of ``column``, indexed by iteration."""
        own = self.rows(trial_id, which)
        if column not in own.columns:
            return pd.Series(dtype=float)
        values = pd.to_numeric(own[column], errors="coerce")
        index = own["iteration"] if "iteration" in own else np.arange(len(own))
        out = pd.Series(values.to_numpy(dtype=float), index=np.asarray(index, dtype=float))
        return out[np.isfinite(out.to_numpy())]

    def first_metric(self, metrics: Iterable[str], trials: Iterable[Trial], which: str) -> str:
        """The first of ``metrics`` with data in these trials' rows (``[fid, fd_classifier]``)."""
        metrics, trials = list(metrics), list(trials)
        for metric in metrics:
            if any(not self.series(t.trial_id, metric, which).empty for t in trials):
                return metric
        raise Inconclusive(
            f"no data for {' or '.join(metrics)} in the selected trials' rows",
            tuple(t.trial_id for t in trials),
        )

    # ------------------------------------------------------------------ seeds

    def by_seed(
        self, trials: list[Trial], value: Callable[[Trial], float | None], what: str
    ) -> tuple[dict[int, float], list[str]]:
        """One value per seed (trials sharing a seed are averaged); notes on trials without."""
        per_seed: dict[int, list[float]] = {}
        missing = []
        for t in trials:
            v = value(t)
            if v is None:
                missing.append(f"{t.trial_id} (seed {t.seed})")
            else:
                per_seed.setdefault(t.seed, []).append(v)
        notes = [f"{len(missing)} trial(s) without {what}: {', '.join(missing)}"] if missing else []
        return {s: float(np.mean(vs)) for s, vs in per_seed.items()}, notes


def _has(frame: pd.DataFrame, columns: Iterable[str]) -> bool:
    return not frame.empty and all(c in frame.columns for c in columns)


def _axes(ctx: Context) -> set[str]:
    cols = set(ctx.trials.columns) | set(ctx.results.columns)
    return {c for c in cols if c.startswith("axis.")}


def _matches(frame: pd.DataFrame, where: dict[str, Any]) -> pd.Series:
    """Axis labels are strings (``clip(c=0.01)``); YAML numbers compare by their text."""
    mask = pd.Series(True, index=frame.index)
    for column, wanted in where.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        mask &= frame[column].astype(str).isin([str(v) for v in values])
    return mask
