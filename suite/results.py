"""One tidy table from the trial directories (STYLE 16).

``runs/results.{parquet,csv}``: a row per (ablation, trial, logged iteration), with
the ablation's axes, the seed, the budget, the flattened resolved config and every
record field as columns (checkpoint rows carry the metrics' scores; ``*_smooth`` are
the median-filtered W/JS estimates of the paper's curves). ``runs/trials.{parquet,csv}``:
a row per (ablation, trial) with status, reason, traceback, wall time, hardware,
versions and config hash.
Later stages (claims, report) read only these files.
"""

from __future__ import annotations

import io as _io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from suite import io
from suite.ablation import TrialSpec
from suite.analysis import add_smoothed, add_updates, mark_instability
from suite.trial_status import read_status

MEMBERS = "ablations"


def write_membership(runs: Path, specs: list[TrialSpec]) -> None:
    """Which trials make up an ablation at a budget: the table's row set."""
    by_key: dict[tuple[str, str], list[TrialSpec]] = {}
    for s in specs:
        by_key.setdefault((s.ablation, s.budget), []).append(s)
    for (name, budget), group in by_key.items():
        io.write_json(
            runs / MEMBERS / f"{name}--{budget}.json",
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


def _trial_rows(member: dict[str, Any], entry: dict[str, Any], runs: Path):
    path = runs / "trials" / entry["dirname"]
    status = read_status(path)
    cfg_file = path / "config.json"
    config = io.read_json(cfg_file)["config"] if cfg_file.exists() else {}
    ident = {
        "ablation": member["ablation"],
        "ablation_version": member["version"],
        "budget": member["budget"],
        "trial_id": entry["trial_id"],
        "seed": entry["seed"],
        **{f"axis.{k}": v for k, v in entry["cell"].items()},
    }
    records = io.read_jsonl(path / "records.jsonl")
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
        "iterations_done": last.get("iteration", 0),
        "wall_time": last.get("wall_time"),
        "config_hash": status.get("config_hash"),
        "trial_dir": str(path),
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


def collect(runs: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every membership file under ``runs`` and write the two tables atomically."""
    trials, rows = [], []
    for file in sorted((runs / MEMBERS).glob("*.json")):
        member = io.read_json(file)
        for entry in member["trials"]:
            t, r = _trial_rows(member, entry, runs)
            trials.append(t)
            rows.extend(r)
    results = mark_instability(add_updates(add_smoothed(pd.DataFrame(rows))))
    trial_table = pd.DataFrame(trials)
    for name, frame in (("results", results), ("trials", trial_table)):
        _write_table(frame, runs / name)
    return results, trial_table


def _write_table(frame: pd.DataFrame, stem: Path) -> None:
    buf = _io.BytesIO()
    frame.to_parquet(buf, index=False)
    io.write_bytes(stem.with_suffix(".parquet"), buf.getvalue())
    io.write_text(stem.with_suffix(".csv"), frame.to_csv(index=False))
