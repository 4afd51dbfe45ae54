"""What a ``run`` must train, decided from the trial directories (under the runs lock).

A trial is reused only when its records prove it ended (``finished`` or
``diverged``) *and* it ran the current code (``wgan_suite.core.provenance``). A trial that
ran other code is moved to ``runs/superseded/`` and trained again from scratch;
``keep_stale`` keeps finished ones instead (their rows carry the old code hash, and
the table then mixes code versions, which ``collect`` says). Unfinished trials of
other code always restart: one trial never continues across two versions of code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wgan_suite.core import files
from wgan_suite.core.layout import RunsDir, TrialDir
from wgan_suite.core.statuses import DONE, TrialStatus
from wgan_suite.harness.ablation import TrialSpec
from wgan_suite.trial.trial_status import current_status, read_records, read_status, write_status

SUPERSEDED = RunsDir.SUPERSEDED


def trial_dir(runs: Path, spec: TrialSpec) -> Path:
    return RunsDir(runs).trial(spec.dirname).path


def recorded_code(path: Path) -> str | None:
    """The code hash a trial directory says it ran (its config, else its status)."""
    try:
        code = (files.read_json(TrialDir(path).config).get("code") or {}).get("code_hash")
    except (OSError, ValueError, AttributeError):
        code = None
    return code or (read_status(path).get("code") or {}).get("code_hash")


def _started(path: Path) -> bool:
    trial = TrialDir(path)
    return trial.records.exists() or trial.checkpoint_dir.exists()


@dataclass
class Plan:
    todo: list[TrialSpec] = field(default_factory=list)  # to schedule, each once
    reused: list[TrialSpec] = field(default_factory=list)  # ended, current code
    kept_stale: list[TrialSpec] = field(default_factory=list)  # ended, other code, kept
    supersede: list[TrialSpec] = field(default_factory=list)  # other code: moved, rerun
    repair: dict[str, dict[str, Any]] = field(default_factory=dict)  # dirname -> status
    untorn: list[TrialSpec] = field(default_factory=list)  # ended; drop a torn last line
    restore: dict[str, Path] = field(default_factory=dict)  # dirname -> superseded copy

    def summary(self) -> list[str]:
        lines = []
        if self.restore:
            lines.append(
                f"{len(self.restore)} finished trial(s) of this code found in "
                f"runs/{SUPERSEDED}/ and put back (not trained again)"
            )
        if self.supersede:
            lines.append(
                f"{len(self.supersede)} trial(s) ran other code: moved to runs/{SUPERSEDED}/ "
                "and trained again (--keep-stale keeps finished ones)"
            )
        if self.kept_stale:
            lines.append(
                f"{len(self.kept_stale)} finished trial(s) of other code kept (--keep-stale); "
                "their rows carry that code's hash"
            )
        return lines


def make_plan(
    specs: Sequence[TrialSpec],
    runs: Path,
    code: str,
    *,
    retry_failed: bool = True,
    keep_stale: bool = False,
) -> Plan:
    """Classify every distinct trial; reads only (``apply`` does the moves)."""
    plan, seen = Plan(), set()
    for spec in specs:
        if spec.trial_id in seen:
            continue
        seen.add(spec.trial_id)
        path = trial_dir(runs, spec)
        back = superseded_match(runs, spec, code)
        if back is not None and (not path.exists() or recorded_code(path) != code):
            if path.exists():
                plan.supersede.append(spec)
            plan.restore[spec.dirname] = back
            plan.reused.append(spec)
            continue
        if not path.exists():
            plan.todo.append(spec)
            continue
        status = current_status(path, active=False)  # we hold the lock: nothing runs
        ended = status["status"] in DONE
        ran = recorded_code(path)
        other = ran != code and (ran is not None or _started(path))
        if other and (not ended or not keep_stale):
            plan.supersede.append(spec)
            plan.todo.append(spec)
        elif ended:
            (plan.kept_stale if other else plan.reused).append(spec)
            if read_status(path).get("status") != status["status"]:
                plan.repair[spec.dirname] = status
            if read_records(path)[1]:
                plan.untorn.append(spec)
        elif status["status"] != TrialStatus.FAILED or retry_failed:
            plan.todo.append(spec)
    return plan


def superseded_match(runs: Path, spec: TrialSpec, code: str) -> Path | None:
    """A finished run of this trial by this very code among the superseded ones (code
    edited, then undone): reused instead of trained again."""
    folder = RunsDir(runs).superseded
    if not folder.is_dir():
        return None
    for candidate in sorted(folder.glob(f"{spec.dirname}.{code[:12]}*")):
        same = recorded_code(candidate) == code
        if same and current_status(candidate, active=False)["status"] in DONE:
            return candidate
    return None


def apply(plan: Plan, runs: Path) -> None:
    """Move superseded trials aside, put back finished runs of this code from there, and
    make status.json say what the records prove."""
    for spec in plan.supersede:
        src = trial_dir(runs, spec)
        dst = RunsDir(runs).superseded / f"{spec.dirname}.{(recorded_code(src) or 'unknown')[:12]}"
        n = 1
        while dst.exists():
            dst, n = dst.with_name(f"{dst.name.split('~')[0]}~{n}"), n + 1
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
    for dirname, src in plan.restore.items():
        os.replace(src, RunsDir(runs).trial(dirname).path)
    for spec in plan.untorn:  # its final record is complete: the torn line came after it
        path = trial_dir(runs, spec)
        rows, torn = read_records(path)
        print(f"warning: {torn}", file=sys.stderr, flush=True)
        files.write_jsonl(TrialDir(path).records, rows)
    for dirname, status in plan.repair.items():
        fields = {k: status.get(k) for k in ("reason", "iteration", "wall_time")}
        write_status(RunsDir(runs).trial(dirname).path, status["status"], **fields)
