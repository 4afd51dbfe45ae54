"""What a check may read: one ablation's rows at one budget, and per-seed values from them.

Every way the data can fail to decide a claim (a column or row missing, a trial failed
or still running, no metric with data) raises ``Inconclusive`` here with its reason, so
the check kinds only describe what they compute.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wgan_suite.claims.selection import Inconclusive, describe_where
from wgan_suite.core.statuses import DONE


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
    _rows: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _order: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _floats: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _configs: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ trials

    def select(self, where: dict[str, Any]) -> list[Trial]:
        """Trials matching ``where``; any failed/pending/stopped one makes the claim wait."""
        ids: set[str] = set()
        usable = [
            f
            for f in (self.trials, self.results)
            if _has(f, ["trial_id"]) and all(config_column(k, f.columns) for k in where)
        ]
        if not usable:
            missing = sorted(
                {k for f in (self.trials, self.results) for k in where}
                - {
                    k
                    for f in (self.trials, self.results)
                    for k in where
                    if config_column(k, f.columns)
                }
            )
            raise Inconclusive(
                f"config value(s) {', '.join(missing)} not in the tables "
                "(no trial of this ablation sets them)"
            )
        for frame in usable:
            ids |= set(frame.loc[matches(frame, where), "trial_id"].astype(str))
        if not ids:
            raise Inconclusive(f"no trial matches {describe_where(where)}")
        selected = [self._trial(t) for t in sorted(ids)]
        bad = [t for t in selected if t.status not in DONE]  # only these are outcomes
        if bad:
            listed = ", ".join(f"{t.trial_id} ({t.status or 'no status'})" for t in bad)
            raise Inconclusive(
                f"{len(bad)} trial(s) of {describe_where(where)} not done: {listed}",
                tuple(t.trial_id for t in selected),
            )
        return selected

    def _trial(self, trial_id: str) -> Trial:
        for first in self._first_rows:
            row = first.get(trial_id)
            if row is not None:
                seed, status = row
                return Trial(trial_id, int(seed), "" if pd.isna(status) else str(status))
        return Trial(trial_id, -1, "")

    @functools.cached_property
    def _first_rows(self) -> list[dict[str, tuple]]:
        """Per table with seed and status columns (trials first): trial id -> (seed,
        status) of its first row. Built once per context: a claim reads hundreds of
        trials, and a boolean mask over the whole table per trial cost validate seconds."""
        return [
            _first_row_of_each(f["trial_id"].astype(str), f["seed"], f["status"])
            for f in (self.trials, self.results)
            if _has(f, ["trial_id"]) and "seed" in f and "status" in f
        ]

    @functools.cached_property
    def _rows_by_id(self) -> dict[str, pd.DataFrame]:
        """Trial id -> its rows of ``results`` in table order (built once, as above)."""
        if not _has(self.results, ["trial_id"]):
            return {}
        ids = self.results["trial_id"].astype(str)
        return dict(list(self.results.groupby(ids, sort=False)))

    @functools.cached_property
    def _positions(self) -> dict[str, np.ndarray]:
        """Trial id -> positions of its rows in ``results``, in table order: what ``series``
        reads, column by column, instead of copying every column of the trial's rows."""
        if not _has(self.results, ["trial_id"]):
            return {}
        ids = self.results["trial_id"].astype(str)
        return self.results.groupby(ids, sort=False).indices

    @functools.cached_property
    def _numeric(self) -> frozenset[str] | None:
        """The columns of ``results`` that ``series`` reads as floats (numpy numbers); None
        where it reads through ``rows`` instead: no trial ids, a column name repeated, or an
        iteration that is not a number (ordered as pandas orders it)."""
        frame = self.results
        if not _has(frame, ["trial_id"]) or not frame.columns.is_unique:
            return None
        numeric = frozenset(
            c for c, t in frame.dtypes.items() if isinstance(t, np.dtype) and t.kind in "biuf"
        )
        return None if "iteration" in frame and "iteration" not in numeric else numeric

    def _float(self, column: str) -> np.ndarray:
        """A numeric column of ``results`` as floats, converted once."""
        if column not in self._floats:
            self._floats[column] = self.results[column].to_numpy(dtype=float)
        return self._floats[column]

    def _ordered(self, trial_id: str) -> np.ndarray:
        """Positions of the trial's rows stably ordered by iteration, NaN last (as ``rows``)."""
        if trial_id not in self._order:
            at = self._positions.get(trial_id, np.zeros(0, dtype=np.intp))
            if "iteration" in self.results:
                iterations = self.results["iteration"].to_numpy()
                at = at[np.argsort(iterations[at], kind="stable")]
            self._order[trial_id] = at
        return self._order[trial_id]

    # ------------------------------------------------------------------ rows

    def rows(self, trial_id: str, which: str = "all") -> pd.DataFrame:
        """The trial's rows ordered by iteration; ``checkpoints`` keeps at_checkpoint rows."""
        if trial_id not in self._rows:
            frame = self.results
            if not _has(frame, ["trial_id"]):
                frame = pd.DataFrame(columns=["trial_id", "iteration"])
            own = self._rows_by_id.get(trial_id)
            if own is None:
                own = frame.iloc[0:0]
            if "iteration" in own:
                own = own.sort_values("iteration", kind="stable")
            self._rows[trial_id] = own
        own = self._rows[trial_id]
        flag = ROW_FILTERS.get(which)
        if flag is not None:
            column, wanted = flag
            if column not in own.columns:
                raise Inconclusive(f"column {column} missing: cannot select {which} rows")
            own = own[own[column].fillna(False).astype(bool) == wanted]
        return own

    def series(
        self, trial_id: str, column: str, which: str = "all", index: str = "iteration"
    ) -> pd.Series:
        """Non-null numeric values of ``column``, indexed by ``index`` (iteration, updates).
        Read at the trial's positions in float copies of the columns: a claim reads hundreds
        of trials, and a sub-frame of every column per trial cost validate seconds. Columns
        of other dtypes go through ``rows`` (the same values, slower)."""
        flag = ROW_FILTERS.get(which)
        numeric, columns = self._numeric, self.results.columns
        read = [column, index] + ([flag[0]] if flag is not None else [])
        if numeric is None or any(c in columns and c not in numeric for c in read):
            return _series(self.rows(trial_id, which), column, index)
        at = self._ordered(trial_id)
        if flag is not None:
            name, wanted = flag
            if name not in columns:
                raise Inconclusive(f"column {name} missing: cannot select {which} rows")
            flags = self._float(name)[at]
            at = at[((flags != 0) & ~np.isnan(flags)) == wanted]  # fillna(False).astype(bool)
        if column not in columns:
            return pd.Series(dtype=float)
        if index != "iteration" and index not in columns:
            raise Inconclusive(f"column {index} missing: cannot index {column} by it")
        where = self._float(index)[at] if index in columns else np.arange(len(at), dtype=float)
        out = pd.Series(self._float(column)[at], index=where)
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

    def config_value(self, trial_id: str, key: str) -> Any:
        """The trial's resolved config value at ``key`` (a config path), or None."""
        for i, frame in enumerate((self.trials, self.results)):
            column = config_column(key, frame.columns) if _has(frame, ["trial_id"]) else None
            if column is None:
                continue
            if not frame.columns.is_unique:  # a column name repeated: as read before
                hit = frame.loc[frame["trial_id"].astype(str) == trial_id, column].dropna()
                if len(hit):
                    return hit.iloc[0]
                continue
            if (i, column) not in self._configs:
                self._configs[i, column] = _first_values(frame, column)
            value = self._configs[i, column].get(trial_id)  # never a null one
            if value is not None:
                return value
        return None

    # ------------------------------------------------------------------ seeds

    def by_seed(
        self,
        trials: list[Trial],
        value: Callable[[Trial], float | None],
        what: str,
        pair_by: str | tuple[str, ...] | None = None,
        one_each: bool = False,
    ) -> tuple[dict[Any, float], list[str]]:
        """One value per seed (trials sharing a seed are averaged), or per value of the
        config path ``pair_by`` (e.g. an architecture index), or per tuple of the values of
        a list of them ('seed' naming the seed); notes on trials without. ``one_each``:
        several trials with one key are refused instead of averaged (0/1 outcomes)."""
        per_seed: dict[Any, list[float]] = {}
        missing = []
        for t in trials:
            v = value(t)
            key = self._pair_key(t, pair_by)
            if v is None or key is None:
                missing.append(f"{t.trial_id} (seed {t.seed})")
            else:
                per_seed.setdefault(key, []).append(v)
        notes = [f"{len(missing)} trial(s) without {what}: {', '.join(missing)}"] if missing else []
        shared = sorted((str(k) for k, vs in per_seed.items() if len(vs) > 1))
        if one_each and shared:
            by = "seed" if pair_by is None else str(pair_by)
            raise Inconclusive(
                f"{len(shared)} pair(s) by {by} hold several trials of one arm "
                f"({', '.join(shared[:4])}{', ...' if len(shared) > 4 else ''}): a 0/1 outcome "
                "is compared trial by trial, never averaged and thresholded at 0.5; pair by "
                "the seed too (pair_by: [<config path>, seed])"
            )
        return {s: float(np.mean(vs)) for s, vs in per_seed.items()}, notes

    def _pair_key(self, t: Trial, pair_by: str | tuple[str, ...] | None) -> Any:
        if pair_by is None:
            return t.seed
        if isinstance(pair_by, str):
            return self.config_value(t.trial_id, pair_by)
        parts = tuple(t.seed if p == "seed" else self.config_value(t.trial_id, p) for p in pair_by)
        return None if any(p is None for p in parts) else parts


def _first_row_of_each(ids: pd.Series, seeds: pd.Series, statuses: pd.Series) -> dict[str, tuple]:
    """Trial id -> (seed, status) of its first row."""
    first: dict[str, tuple] = {}
    for k, seed, status in zip(ids, seeds, statuses, strict=True):
        first.setdefault(k, (seed, status))
    return first


def _series(own: pd.DataFrame, column: str, index: str) -> pd.Series:
    """``Context.series`` read from the trial's rows as ``rows`` gives them: for the tables
    and columns it cannot read as floats."""
    if column not in own.columns:
        return pd.Series(dtype=float)
    values = pd.to_numeric(own[column], errors="coerce")
    if index != "iteration" and index not in own.columns:
        raise Inconclusive(f"column {index} missing: cannot index {column} by it")
    index = own[index] if index in own else np.arange(len(own))
    out = pd.Series(values.to_numpy(dtype=float), index=np.asarray(index, dtype=float))
    return out[np.isfinite(out.to_numpy())]


def _first_values(frame: pd.DataFrame, column: str) -> dict[str, Any]:
    """Trial id -> its first non-null value of ``column`` in table order; built once per
    context and column: a mask over the whole table per trial cost validate seconds."""
    ids = frame["trial_id"].astype(str)
    values = frame[column]
    kept = np.flatnonzero(values.notna().to_numpy() & ids.notna().to_numpy())
    first: dict[str, int] = {}
    for k, at in zip(ids.to_numpy()[kept], kept, strict=True):
        first.setdefault(k, at)
    return {k: values.iloc[at] for k, at in first.items()}


def _has(frame: pd.DataFrame, columns: Iterable[str]) -> bool:
    return not frame.empty and all(c in frame.columns for c in columns)


# Measure.rows -> (boolean column, wanted value); "all" keeps every row.
ROW_FILTERS = {
    "checkpoints": ("at_checkpoint", True),
    "unstable": ("unstable", True),
    "stable": ("unstable", False),
}


def config_column(key: str, columns: Iterable[str]) -> str | None:
    """The table column of a config path: ``loss`` -> ``config.loss.name``,
    ``lipschitz.c`` -> ``config.lipschitz.c``; None when the tables lack it."""
    columns = set(columns)
    for candidate in (f"config.{key}.name", f"config.{key}"):
        if candidate in columns:
            return candidate
    return None


def matches(frame: pd.DataFrame, where: dict[str, Any]) -> pd.Series:
    """Rows whose config has every ``where`` value (numbers compare as numbers)."""
    mask = pd.Series(True, index=frame.index)
    for key, wanted in where.items():
        column = config_column(key, frame.columns)
        if column is None:
            return pd.Series(False, index=frame.index)
        values = wanted if isinstance(wanted, list) else [wanted]
        hit = pd.Series(False, index=frame.index)
        for v in values:
            hit |= _equal(frame[column], v)
        mask &= hit
    return mask


def _equal(series: pd.Series, value: Any) -> pd.Series:
    if isinstance(value, bool):
        return series.map(lambda x: isinstance(x, (bool, np.bool_)) and bool(x) == value)
    if isinstance(value, (int, float)):
        return _close(series, float(value))
    same = series.astype(str) == str(value)
    # YAML 1.1 reads 1e-3 (no dot) as a string: a number written that way still
    # compares as a number (lipschitz.c: 1e-3 selects c = 0.001)
    number = _number(value)
    return same if number is None else same | _close(series, number)


def _close(series: pd.Series, value: float) -> pd.Series:
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    return pd.Series(np.isclose(numbers, value, rtol=1e-9, atol=0), index=series.index)


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if np.isfinite(number) else None
