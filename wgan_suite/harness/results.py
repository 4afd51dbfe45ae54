"""One tidy table from the trial directories.

``runs/results.{parquet,csv}``: a row per (ablation, trial, logged iteration), with
the ablation's axes, the seed, the budget, the flattened resolved config and every
record field as columns (checkpoint rows carry the metrics' scores; ``*_smooth`` are
the median-filtered W/JS estimates of the paper's curves). ``runs/trials.{parquet,csv}``:
a row per (ablation, trial) with status, reason, traceback, wall time, hardware,
versions, config hash and the code that produced it (``code_hash``, ``git_commit``,
``git_dirty``: ``wgan_suite.core.provenance``; ``provenance.mixes_code(table)`` tells whether a
table mixes code versions) and the quality classifier its scores were made with
(``classifier_sha256``: the hashes its records carry, comma-separated; None if none).
Statuses are what the trial directories prove (``trial_status.current_status``): a
trial whose records cannot be read is ``corrupt``, with the file and line as its
reason, and contributes no rows; a torn last line is dropped with a warning.
Later stages (claims, report) read only these files.
"""

from __future__ import annotations

import io as _io
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from wgan_suite.analysis.summaries import add_smoothed, add_updates, mark_instability
from wgan_suite.core import files
from wgan_suite.core.layout import RunsDir, TrialDir
from wgan_suite.core.provenance import COLUMNS as CODE_COLUMNS
from wgan_suite.core.provenance import describe_mix
from wgan_suite.harness.ablation import TrialSpec
from wgan_suite.trial.trial_status import current_status, read_records


def write_membership(runs: Path, specs: list[TrialSpec]) -> None:
    """Which trials make up an ablation at a budget: the table's row set."""
    by_key: dict[tuple[str, str], list[TrialSpec]] = {}
    for s in specs:
        by_key.setdefault((s.ablation, s.budget), []).append(s)
    for (name, budget), group in by_key.items():
        files.write_json(
            RunsDir(runs).plan(name, budget),
            {
                "ablation": name,
                "version": group[0].version,
                "budget": budget,
                "budget_note": group[0].budget_note,
                "trials": [
                    {"trial_id": s.trial_id, "dirname": s.dirname, "cell": s.cell, "seed": s.seed}
                    for s in group
                ],
            },
        )


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, list):  # e.g. the metrics list: one readable cell
            out[name] = json.dumps(value, sort_keys=True)
        else:
            out[name] = value
    return out


def _read_config(path: Path) -> dict[str, Any]:
    try:
        return files.read_json(TrialDir(path).config)
    except (OSError, ValueError):
        return {}


def _trial_rows(member: dict[str, Any], entry: dict[str, Any], runs: Path, warn):
    path = RunsDir(runs).trial(entry["dirname"]).path
    status = current_status(path, active=False)
    saved = _read_config(path)
    config = saved.get("config", {})
    code = saved.get("code") or status.get("code") or {}
    ident = {
        "ablation": member["ablation"],
        "ablation_version": member["version"],
        "budget": member["budget"],
        "trial_id": entry["trial_id"],
        "seed": entry["seed"],
        **{f"axis.{k}": v for k, v in entry["cell"].items()},
        **{k: code.get(k) for k in CODE_COLUMNS},
    }
    try:
        records, torn = read_records(path)
    except files.CorruptFile as err:  # reported as the trial's status, never as fewer rows
        records, torn = [], None
        warn(f"trial {entry['trial_id']} is corrupt: {err}")
    if torn:
        warn(torn)
    last = records[-1] if records else {}
    hardware = status.get("hardware") or {}
    flat = {f"config.{k}": v for k, v in flatten(config).items()}
    trial = {
        **ident,
        "budget_note": member.get("budget_note"),
        **flat,
        "status": status["status"],
        "reason": status.get("reason"),
        "traceback": status.get("traceback"),
        "warnings": "\n".join(status.get("warnings") or []) or None,
        "iterations_done": last.get("iteration", 0),
        "wall_time": last.get("wall_time"),
        "config_hash": status.get("config_hash"),
        "trial_dir": str(path.relative_to(runs)),  # portable: read_runs resolves it
        "classifier_sha256": _distinct(records, "classifier_sha256"),
        **{f"hw.{k}": v for k, v in hardware.items()},
    }
    rows = [
        {
            **ident,
            "status": status["status"],
            **flat,
            **{k: v for k, v in r.items() if k not in ("status", "checkpoint")},
            "at_checkpoint": bool(r.get("at_checkpoint", False)),
            "record_status": r.get("status"),
        }
        for r in records
    ]
    return trial, rows


def _distinct(records: list[dict[str, Any]], key: str) -> str | None:
    """The values of ``key`` the records carry, sorted and comma-separated; None if none."""
    values = sorted({str(r[key]) for r in records if r.get(key) is not None})
    return ",".join(values) or None


def _say(line: str) -> None:
    print(f"warning: {line}", file=sys.stderr, flush=True)


def collect(runs: Path, warn=_say) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every membership file under ``runs`` and write the two tables atomically.

    Call it holding the runs lock (``wgan_suite.harness.lock``): no trial is running then, so a
    trial whose status still says ``running`` was interrupted.
    """
    trials, rows = [], []
    for file in RunsDir(runs).plan_files():
        try:
            member = files.read_json(file)
        except (OSError, ValueError):
            warn(f"{file}: unreadable, skipped (the next `run` of that ablation rewrites it)")
            continue
        for entry in member["trials"]:
            t, r = _trial_rows(member, entry, runs, warn)
            trials.append(t)
            rows.extend(r)
    results = mark_instability(add_updates(add_smoothed(pd.DataFrame(rows))))
    trial_table = pd.DataFrame(trials)
    mix = describe_mix(trial_table)
    if mix:
        warn(mix)
    for name, frame in ((RunsDir.RESULTS, results), (RunsDir.TRIALS, trial_table)):
        _write_table(frame, RunsDir(runs), name)
    return results, trial_table


def _write_table(frame: pd.DataFrame, runs: RunsDir, name: str) -> None:
    buf = _io.BytesIO()
    frame.to_parquet(buf, index=False)
    files.write_bytes(runs.table(name), buf.getvalue())
    files.write_text(runs.table_csv(name), frame.to_csv(index=False))
