"""Same seeds in float32 and bfloat16: what the claims read, and what the grid costs.

    python benchmarks/precision_study.py clipping_c --budget cpu --runs runs/precision-clipping_c
    python benchmarks/precision_study.py clipping_c --budget cpu --runs R --report-only

Issue 25 allows reduced precision "only where a test shows the verdict-relevant numbers
unchanged". This study is that test for one ablation at one budget. It runs the ablation
with one more axis, ``precision: [float32, bfloat16]`` (``TrialConfig.precision``): its
float32 trials are the shipped ones (the same identities: checked before anything runs),
each with a bfloat16 twin of the same cell and seed. It runs them on the ablation's own
seeds at that budget (never a registration's confirmatory seeds) through the suite's own
``run`` (Ray Tune, two trials at a time; each cell's bfloat16 trials start after its
float32 ones, so that both arms share the machine alike). Then it reads, for each arm:

- every claim decided on that ablation at that budget: verdict, measured effect, its
  confidence interval and both one-sided p (``evaluate_claim``, as the report does);
- each pair of twins that both finished: the relative difference of every metric in
  their last records;
- the same pairs' own wall times: the core time of the two arms.

A claim's verdict-relevant numbers are **unchanged** when both arms give the same verdict
and each arm's measured effect lies inside the other's confidence interval; **unread**
when an arm measured nothing (no effect or no interval), and **changed** otherwise. The
study prints the machine first, then a table per claim, and writes the whole comparison
to ``<runs>/precision_study.json``. A Ctrl-C reaches only the suite's ``run``, which stops
the trials and keeps what finished; the same command goes on from there.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe, facts

from wgan_suite.claims import load_claims
from wgan_suite.claims.verdicts import evaluate_claim
from wgan_suite.core import files
from wgan_suite.core.statuses import TrialStatus
from wgan_suite.harness.ablation import find_ablation, load_ablation, resolve_includes

SUFFIX = "_precision"
ARMS = ("float32", "bfloat16")
AXIS = "axis.precision"
SKIP = ("iteration", "images_seen", "wall_time", "eval_seconds", "n_critic", "updates")


def variant(folder: Path, name: str, budget: str) -> str:
    """Write ``<folder>/<name>_precision.yaml``: the ablation with its includes merged in
    and one more axis, ``precision``, as its last zip group (in a budget's own axes too),
    so the innermost axis. Its float32 trials must be the shipped ones."""
    shipped = find_ablation(name)
    raw = resolve_includes(shipped, roots=(shipped.parent,))
    raw["name"] = name + SUFFIX
    raw["zip"] = [*(raw.get("zip") or []), {"precision": list(ARMS)}]
    for spec in (raw.get("budgets") or {}).values():
        if isinstance(spec, dict) and spec.get("axes"):
            spec["axes"]["zip"] = [*(spec["axes"].get("zip") or []), {"precision": list(ARMS)}]
    raw["reproduce"] = False
    path = folder / f"{name}{SUFFIX}.yaml"
    files.write_text(path, yaml.safe_dump(raw, sort_keys=False))
    ours = load_ablation(path).trials(budget)
    same = {t.trial_id for t in ours if t.config.precision == "float32"}
    if same != {t.trial_id for t in load_ablation(shipped).trials(budget)}:
        raise SystemExit(f"{path}: its float32 trials are not {name}'s at budget {budget}")
    return name + SUFFIX


def run_both(name: str, budget: str, runs: Path) -> int:
    study = variant(runs / "study-ablations", name, budget)
    cmd = [sys.executable, "-m", "wgan_suite", "run", study, "--budget", budget]
    cmd += ["--ablations-dir", str(runs / "study-ablations"), "--runs", str(runs), "--new-runs"]
    print("$", " ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd)
    # Ctrl-C is the suite's to handle (stop the trials, collect, summarise): this process
    # waits for it instead of killing it
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return proc.wait()
    finally:
        signal.signal(signal.SIGINT, previous)


def arms(runs: Path, name: str) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Per arm: its results and trials, labelled as the shipped ablation (claims read it)."""
    results = pd.read_parquet(runs / "results.parquet")
    trials = pd.read_parquet(runs / "trials.parquet")
    mine = trials[trials["ablation"] == name + SUFFIX]
    out = {}
    for arm in ARMS:
        tri = mine[mine[AXIS] == arm]
        res = results[results["trial_id"].isin(set(tri["trial_id"]))]
        out[arm] = (res.assign(ablation=name), tri.assign(ablation=name))
    return out


def twins(tables: dict) -> pd.DataFrame:
    """Pairs of trials of the same cell and seed that both finished: one row per pair with
    the two trial ids and wall times."""
    sides = []
    for arm in ARMS:
        tri = tables[arm][1].drop_duplicates("trial_id")
        tri = tri[tri["status"] == TrialStatus.FINISHED]
        keys = [c for c in tri.columns if c.startswith("axis.") and c != AXIS] + ["seed"]
        side = tri.set_index(keys)[["trial_id", "wall_time"]].add_prefix(f"{arm}_")
        sides.append(side)
    return sides[0].join(sides[1], how="inner")


def _number(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def claim_rows(name: str, budget: str, tables: dict) -> list[dict[str, Any]]:
    rows = []
    for claim in load_claims():
        if claim.ablation != name or budget not in claim.budgets:
            continue
        read = {arm: evaluate_claim(claim, *tables[arm], budget) for arm in ARMS}
        nums = {
            arm: [_number(getattr(v, k)) for k in ("measured", "ci_low", "ci_high")]
            for arm, v in read.items()
        }
        if any(None in n for n in nums.values()):
            state = "unread"
        else:
            (m0, lo0, hi0), (m1, lo1, hi1) = nums["float32"], nums["bfloat16"]
            inside = lo1 <= m0 <= hi1 and lo0 <= m1 <= hi0
            same = read["float32"].verdict == read["bfloat16"].verdict
            state = "unchanged" if same and inside else "changed"
        rows.append(
            {
                "claim": claim.id,
                "state": state,
                **{
                    f"{arm}_{k}": getattr(read[arm], k)
                    for arm in ARMS
                    for k in ("verdict", "measured", "ci_low", "ci_high", "p_value", "p_against")
                },
            }
        )
    return rows


def metric_rows(tables: dict, pairs: pd.DataFrame) -> list[dict[str, Any]]:
    """Per metric: the median and largest relative difference between twins' last records."""
    last = {}
    for arm in ARMS:
        res = tables[arm][0]
        done = res.sort_values("iteration").groupby("trial_id").tail(1).set_index("trial_id")
        last[arm] = done.reindex(pairs[f"{arm}_trial_id"].tolist()).reset_index(drop=True)
    f, b = last["float32"], last["bfloat16"]
    rows = []
    for column in f.columns:
        if column in SKIP or column.startswith(("config.", "axis.")) or column not in b:
            continue
        if not pd.api.types.is_float_dtype(f[column]):
            continue
        x, y = f[column].astype(float), b[column].astype(float)
        ok = x.map(math.isfinite) & y.map(math.isfinite)
        if not ok.any():
            continue
        gap = (y[ok] - x[ok]).abs()
        rel = (gap / x[ok].abs().clip(lower=1e-12)).tolist()
        rows.append(
            {
                "metric": column,
                "pairs": int(ok.sum()),
                "median_rel_diff": statistics.median(rel),
                "max_rel_diff": max(rel),
            }
        )
    return rows


def cost(pairs: pd.DataFrame, tables: dict) -> dict[str, Any]:
    """Core time of the twins that both finished (a trial without its twin is left out)."""
    walls: dict[str, Any] = {"pairs": len(pairs)}
    for arm in ARMS:
        walls[arm] = {
            "trials": int(tables[arm][1]["trial_id"].nunique()),
            "core_s": float(pairs[f"{arm}_wall_time"].sum()),
        }
    f, b = walls["float32"]["core_s"], walls["bfloat16"]["core_s"]
    walls["ratio"] = b / f if f else None
    return walls


def show(study: dict[str, Any]) -> None:
    print(f"\n{study['ablation']} at budget {study['budget']}")
    c = study["cost"]
    print(f"  {c['pairs']} pairs of twins finished")
    for arm in ARMS:
        print(f"  {arm}: {c[arm]['trials']} trials, {c[arm]['core_s'] / 60:.1f} min over the pairs")
    if c["ratio"] is not None:
        print(f"  bfloat16 / float32 core time: {c['ratio']:.2f}x")
    print("\nclaims (verdict, measured [CI], p for / against):")
    for r in study["claims"]:
        print(f"  {r['claim']}: {r['state']}")
        for arm in ARMS:
            m, lo, hi = (_number(r[f"{arm}_{k}"]) for k in ("measured", "ci_low", "ci_high"))
            ci = f"[{lo:.4g}, {hi:.4g}]" if None not in (lo, hi) else "[no interval]"
            print(
                f"    {arm:>8}: {r[f'{arm}_verdict']}, "
                f"{'-' if m is None else format(m, '.4g')} {ci}, "
                f"p {r[f'{arm}_p_value']} / {r[f'{arm}_p_against']}"
            )
    print("\nlast records of the twins (relative difference, per pair):")
    for r in study["metrics"]:
        print(
            f"  {r['metric']:>28}: median {r['median_rel_diff']:.3g}, "
            f"largest {r['max_rel_diff']:.3g} over {r['pairs']} pairs"
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("ablation")
    p.add_argument("--budget", default="cpu")
    p.add_argument("--runs", type=Path, required=True, help="the study's own runs directory")
    p.add_argument("--report-only", action="store_true", help="read what finished, run nothing")
    args = p.parse_args(argv)
    print(describe(), flush=True)
    if not args.report_only:
        code = run_both(args.ablation, args.budget, args.runs)
        if code not in (0, 1):  # 1: some trials did not finish; read what did
            return code
    tables = arms(args.runs, args.ablation)
    pairs = twins(tables)
    study = {
        "ablation": args.ablation,
        "budget": args.budget,
        "machine": facts(),
        "cost": cost(pairs, tables),
        "claims": claim_rows(args.ablation, args.budget, tables),
        "metrics": metric_rows(tables, pairs),
    }
    text = json.dumps(study, indent=1, default=str).replace("NaN", "null")
    files.write_text(args.runs / "precision_study.json", text)
    show(study)
    return 0


if __name__ == "__main__":
    sys.exit(main())
