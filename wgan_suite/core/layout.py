"""The on-disk layout of a trial directory, of ``runs/`` and of a report: every file name
under them is spelt here once, and nowhere else in the package (``tests/test_layout.py``
reads the sources and fails on a copy).

A trial directory (``TrialDir``)::

  config.json                   the resolved config and the code that runs it, written first
  records.jsonl                 one line per logged generator iteration
  status.json                   what the run says of itself (the records have the last word)
  checkpoint/state.pt           the latest full training state
  checkpoint-previous/state.pt  the one before it: the fallback when the latest is damaged
  samples/iter_NNNNNNN.png      the fixed-noise grid at iteration 0 and each checkpoint
  corrupt/                      damaged files moved aside on resume

A runs directory (``RunsDir``)::

  trials/<dirname>/             one TrialDir per trial
  ablations/<name>--<budget>.json  the trials that make up an ablation at a budget
  results.parquet, results.csv  a row per (ablation, trial, logged iteration)
  trials.parquet, trials.csv    a row per (ablation, trial)
  .lock, .lock.json             the runs lock and the note naming its holder
  superseded/                   trials of other code moved aside
  report/                       the default place of the report (``ReportDir``)
  tune/                         Ray Tune's experiment folders (TensorBoard curves)

A report's evidence bundle (``ReportDir.evidence``) is laid out like a runs directory
(the two tables, ``trials/<trial_id>/samples/...``), so it is read back as one.

The names are those of the first released layout: existing directories stay readable.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

DEFAULT_RUNS = Path("runs")  # the runs directory a command uses unless --runs names another

__all__ = ["OWNED", "ReportDir", "RunsDir", "TrialDir"]


@dataclass(frozen=True)
class TrialDir:
    """One trial's directory."""

    path: Path

    CONFIG: ClassVar[str] = "config.json"
    RECORDS: ClassVar[str] = "records.jsonl"
    STATUS: ClassVar[str] = "status.json"
    CHECKPOINT: ClassVar[str] = "checkpoint"
    PREVIOUS: ClassVar[str] = "checkpoint-previous"
    STATE: ClassVar[str] = "state.pt"
    SAMPLES: ClassVar[str] = "samples"
    GRID_PREFIX: ClassVar[str] = "iter_"
    GRID_SUFFIX: ClassVar[str] = ".png"
    CORRUPT: ClassVar[str] = "corrupt"

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @property
    def config(self) -> Path:
        return self.path / self.CONFIG

    @property
    def records(self) -> Path:
        return self.path / self.RECORDS

    @property
    def status(self) -> Path:
        return self.path / self.STATUS

    @property
    def checkpoint_dir(self) -> Path:
        return self.path / self.CHECKPOINT

    @property
    def checkpoint(self) -> Path:
        """The latest training state."""
        return self.path / self.checkpoint_rel()

    @property
    def previous(self) -> Path:
        """The training state before the latest (the fallback)."""
        return self.path / self.previous_rel()

    @property
    def checkpoints(self) -> tuple[Path, Path]:
        """The training states, newest first."""
        return self.checkpoint, self.previous

    @property
    def samples(self) -> Path:
        return self.path / self.SAMPLES

    @property
    def corrupt(self) -> Path:
        """Where damaged files are moved aside."""
        return self.path / self.CORRUPT

    @classmethod
    def checkpoint_rel(cls) -> Path:
        """The latest state, relative to the trial directory (also Tune's checkpoint)."""
        return Path(cls.CHECKPOINT) / cls.STATE

    @classmethod
    def previous_rel(cls) -> Path:
        return Path(cls.PREVIOUS) / cls.STATE

    @classmethod
    def grid_rel(cls, iteration: int) -> Path:
        """The sample grid of an iteration, relative to the trial directory (as the
        records name it)."""
        return Path(cls.SAMPLES) / f"{cls.GRID_PREFIX}{iteration:07d}{cls.GRID_SUFFIX}"

    def grid(self, iteration: int) -> Path:
        return self.path / self.grid_rel(iteration)

    def grids(self) -> list[Path]:
        """Every sample grid present, oldest first."""
        return sorted(self.samples.glob(f"{self.GRID_PREFIX}*{self.GRID_SUFFIX}"))


@dataclass(frozen=True)
class RunsDir:
    """A runs directory (``--runs``), or a report's evidence bundle (tables and trials)."""

    path: Path

    TRIALS_DIR: ClassVar[str] = "trials"
    PLANS: ClassVar[str] = "ablations"
    PLAN_SUFFIX: ClassVar[str] = ".json"
    RESULTS: ClassVar[str] = "results"
    TRIALS: ClassVar[str] = "trials"
    TABLE_SUFFIX: ClassVar[str] = ".parquet"
    CSV_SUFFIX: ClassVar[str] = ".csv"
    LOCK: ClassVar[str] = ".lock"
    LOCK_INFO: ClassVar[str] = ".lock.json"
    SUPERSEDED: ClassVar[str] = "superseded"
    REPORT: ClassVar[str] = "report"
    TUNE: ClassVar[str] = "tune"

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    # -- trial directories
    @property
    def trial_dirs(self) -> Path:
        """The folder of trial directories."""
        return self.path / self.TRIALS_DIR

    def trial(self, dirname: str) -> TrialDir:
        return TrialDir(self.trial_dirs / str(dirname))

    @classmethod
    def trial_rel(cls, dirname: str) -> Path:
        """A trial directory relative to the runs directory."""
        return Path(cls.TRIALS_DIR) / str(dirname)

    # -- membership files (which trials make up an ablation at a budget)
    @property
    def plans(self) -> Path:
        return self.path / self.PLANS

    def plan(self, ablation: str, budget: str) -> Path:
        return self.plans / f"{ablation}--{budget}{self.PLAN_SUFFIX}"

    def plan_files(self) -> list[Path]:
        return sorted(self.plans.glob(f"*{self.PLAN_SUFFIX}"))

    # -- the tables
    def table(self, name: str) -> Path:
        """``name`` (``RESULTS`` or ``TRIALS``) as parquet, the table read back."""
        return self.path / f"{name}{self.TABLE_SUFFIX}"

    def table_csv(self, name: str) -> Path:
        """The CSV copy of a table, for readers without parquet."""
        return self.path / f"{name}{self.CSV_SUFFIX}"

    @property
    def results(self) -> Path:
        return self.table(self.RESULTS)

    @property
    def trials(self) -> Path:
        return self.table(self.TRIALS)

    @property
    def results_csv(self) -> Path:
        return self.table_csv(self.RESULTS)

    @property
    def trials_csv(self) -> Path:
        return self.table_csv(self.TRIALS)

    # -- the rest
    @property
    def lock(self) -> Path:
        return self.path / self.LOCK

    @property
    def lock_info(self) -> Path:
        return self.path / self.LOCK_INFO

    @property
    def superseded(self) -> Path:
        return self.path / self.SUPERSEDED

    @property
    def report(self) -> Path:
        return self.path / self.REPORT

    @property
    def tune(self) -> Path:
        """Ray Tune's own experiment folders (its checkpoints, TensorBoard logs)."""
        return self.path / self.TUNE

    @classmethod
    def marks(cls) -> tuple[str, ...]:
        """Names whose presence says a folder is a runs directory."""
        return (cls.TRIALS_DIR, cls.PLANS, cls.RESULTS + cls.TABLE_SUFFIX, cls.LOCK)


@dataclass(frozen=True)
class ReportDir:
    """A report's output folder."""

    path: Path

    INDEX: ClassVar[str] = "index.html"
    VERDICTS: ClassVar[str] = "verdicts.csv"
    EVIDENCE: ClassVar[str] = "data"

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @property
    def index(self) -> Path:
        return self.path / self.INDEX

    @property
    def verdicts(self) -> Path:
        return self.path / self.VERDICTS

    @property
    def evidence(self) -> Path:
        """The evidence bundle, laid out like a runs directory."""
        return self.path / self.EVIDENCE


def _owned() -> Iterator[str]:
    for cls in (TrialDir, RunsDir, ReportDir):
        for name, value in vars(cls).items():
            if name.isupper() and isinstance(value, str):
                yield value


OWNED: frozenset[str] = frozenset(_owned())  # every name above (tests/test_layout.py)
