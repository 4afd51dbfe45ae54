"""What a person watching a run sees: a plan line, then one compact line per event.

The plan line says how many trials will train, how many were reused, and about how long
the rest takes; every later line carries done / running / pending, the elapsed time and
the ETA. Durations come from what was measured: finished trials of the same ablation,
budget and cell in the runs directory's table (their training wall time plus a trial's
start-up), replaced by the trials of this run as they end. An ablation none of whose
trials has been timed yet takes the median of every timed trial of its budget, and the ETA
then reads ``~`` (rough): a run of many ablations (``reproduce``) would otherwise show no
ETA until its last ablation's first trial has ended. Trial names carry the
settings that tell them apart (``clipping_c[lipschitz=clip(c=0.01)] s3``), not a hash.

The lines come from a Ray Tune callback: Tune's own reporters print tables of every
trial, too wide for a terminal; ``--verbose`` shows them.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from wgan_suite.core.layout import RunsDir
from wgan_suite.core.statuses import DONE, TrialStatus

STARTUP_S = 18.0  # a trial's start-up (worker, imports, data) measured on the 2-core VMs
EVERY_S = 10.0  # at most one iteration line per trial this often


def trial_label(spec: Any) -> str:
    """``ablation[axis=value, ...] s<seed>``: the settings that distinguish a trial."""
    cell = ", ".join(f"{k}={v}" for k, v in spec.cell.items())
    return f"{spec.ablation}[{cell}] s{spec.seed}" if cell else f"{spec.ablation} s{spec.seed}"


def _key(spec: Any) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    return spec.ablation, spec.budget, tuple(sorted((k, str(v)) for k, v in spec.cell.items()))


def measured_durations(runs: Path) -> dict[tuple, list[float]]:
    """Seconds per finished trial in the runs directory's table, by (ablation, budget, cell)."""
    # deferred: pandas takes ~1 s to import; `list` loads this module (via tune) without it
    import pandas as pd

    table = RunsDir(runs).trials
    if not table.is_file():
        return {}
    try:
        trials = pd.read_parquet(table)
    except Exception:  # an unreadable table only costs the estimate
        return {}
    if "wall_time" not in trials or "ablation" not in trials:
        return {}
    axes = [c for c in trials.columns if c.startswith("axis.")]
    out: dict[tuple, list[float]] = {}
    done = trials[trials["status"].isin(list(DONE)) & trials["wall_time"].notna()]
    for row in done.to_dict("records"):
        cell = tuple(sorted((a[5:], str(row[a])) for a in axes if row.get(a) is not None))
        key = (row["ablation"], row["budget"], cell)
        out.setdefault(key, []).append(float(row["wall_time"]) + STARTUP_S)
    return out


def clock(seconds: float) -> str:
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class Estimates:
    """Expected seconds per trial: same cell, else same ablation and budget (``of``);
    ``rough``: any ablation of the same budget."""

    def __init__(self, measured: Mapping[tuple, list[float]]) -> None:
        self.measured = {k: list(v) for k, v in measured.items()}

    def add(self, spec: Any, seconds: float) -> None:
        self.measured.setdefault(_key(spec), []).append(seconds)

    def of(self, spec: Any) -> float | None:
        key = _key(spec)
        if key in self.measured:
            return statistics.median(self.measured[key])
        return self._median(lambda k: k[:2] == key[:2])

    def rough(self, spec: Any) -> float | None:
        budget = _key(spec)[1]
        return self._median(lambda k: k[1] == budget)

    def _median(self, same: Callable[[tuple], bool]) -> float | None:
        """Median seconds over every measured (ablation, budget, cell) that ``same`` takes."""
        times = [s for k, v in self.measured.items() if same(k) for s in v]
        return statistics.median(times) if times else None


class Progress:
    """The plan line and the live lines of one ``run_grid`` call."""

    def __init__(
        self,
        specs: Sequence[Any],
        *,
        slots: int,
        reused: int = 0,
        estimates: Estimates | None = None,
        every_s: float = EVERY_S,
        say: Any = print,
        retries: int = 0,
        stopping: Any = lambda: False,
    ) -> None:
        self.specs = {s.trial_id: s for s in specs}
        self.slots, self.reused, self.every_s, self.say = max(1, slots), reused, every_s, say
        self.retries = retries  # per trial, for lost workers (Tune's max_failures)
        self.stopping = stopping  # True once the grid stops (a full disk): no retry then
        self.estimates = estimates or Estimates({})
        self.started_at = time.monotonic()
        self.began: dict[str, float] = {}
        self.finished: set[str] = set()
        self.last: dict[str, float] = {}

    # ------------------------------------------------------------------ time
    def remaining_s(self) -> tuple[float, bool] | None:
        """Work left divided over the slots, and whether it is rough (some trial timed only
        by other ablations of its budget); None while some trial has no estimate at all."""
        now, total, rough = time.monotonic(), 0.0, False
        for tid, spec in self.specs.items():
            if tid in self.finished:
                continue
            est = self.estimates.of(spec)
            if est is None:
                est, rough = self.estimates.rough(spec), True
                if est is None:
                    return None
            total += max(est - (now - self.began[tid]), 0.0) if tid in self.began else est
        return total / self.slots, rough

    def plan_line(self) -> str:
        left = self.remaining_s()
        if left is None:
            eta = "no estimate until one has ended"
        elif left[1]:
            eta = f"roughly {clock(left[0])} (some ablations timed by others of the budget)"
        else:
            eta = f"about {clock(left[0])}"
        return (
            f"plan: {len(self.specs)} trial(s) to train, {self.reused} reused; "
            f"{self.slots} at a time; {eta}"
        )

    # ------------------------------------------------------------------ events
    def started(self, tid: str) -> None:
        self.began[tid] = time.monotonic()
        self.line(tid, "started")

    def result(self, tid: str, iteration: int) -> None:
        if time.monotonic() - self.last.get(tid, 0.0) >= self.every_s:
            self.last[tid] = time.monotonic()
            self.line(tid, f"iteration {iteration}/{self.specs[tid].config.iterations}")

    def ended(self, tid: str, what: str) -> None:
        began = self.began.pop(tid, None)
        if began is not None and what == "ended":
            self.estimates.add(self.specs[tid], time.monotonic() - began)
        self.finished.add(tid)
        self.line(tid, what)

    def recovering(self, tid: str, failures: int) -> None:
        """A lost worker, the ``failures``-th of this trial: say how many retries remain
        (nothing when the grid is stopping: its one line says why)."""
        if self.stopping():
            return
        failures = max(failures, 1)  # Tune does not count a preempted worker as a failure
        left = max(self.retries - failures, 0)
        self.line(
            tid,
            f"worker lost; retry {failures} of {self.retries} from its last checkpoint "
            f"({left} left)",
        )

    def line(self, tid: str, what: str) -> None:
        done = len(self.finished)
        pending = len(self.specs) - done - len(self.began)
        left = self.remaining_s()
        eta = "ETA ?" if left is None else f"ETA {'~' if left[1] else ''}{clock(left[0])}"
        self.say(
            f"[{clock(time.monotonic() - self.started_at)} | done {done}/{len(self.specs)}, "
            f"running {len(self.began)}, pending {pending} | {eta}] "
            f"{trial_label(self.specs[tid])}: {what}",
            flush=True,
        )

    def callback(self) -> Any:
        """The Ray Tune callback that feeds this object."""
        # deferred: ray takes ~1.5 s to import; only `run`/`reproduce` and their workers use it
        from ray import tune

        progress = self

        def tid(trial: Any) -> str:
            return trial.config["trial"]["trial_id"]

        class Callback(tune.Callback):
            def on_trial_start(self, iteration, trials, trial, **info):
                progress.started(tid(trial))

            def on_trial_result(self, iteration, trials, trial, result, **info):
                progress.result(tid(trial), result.get("iteration", 0))

            def on_trial_complete(self, iteration, trials, trial, **info):
                failed = (trial.last_result or {}).get("status") == TrialStatus.FAILED
                progress.ended(tid(trial), "FAILED" if failed else "ended")

            def on_trial_recover(self, iteration, trials, trial, **info):
                progress.recovering(tid(trial), int(trial.num_failures))

            def on_trial_error(self, iteration, trials, trial, **info):
                progress.ended(tid(trial), "FAILED")

        return Callback()
