"""Same seeds in float32 and bfloat16: what the claims read, and what the grid costs.

    python benchmarks/precision_study.py clipping_c --budget cpu --runs runs/precision-clipping_c
    python benchmarks/precision_study.py clipping_c --budget cpu --runs R --report-only

Issue 25 allows reduced precision "only where a test shows the verdict-relevant numbers
unchanged". This study is that test for one ablation at one budget. It runs the ablation
with one more grid axis, ``precision: [float32, bfloat16]`` (``TrialConfig.precision``):
its float32 trials are the shipped ones (the same identities), each with a bfloat16 twin
of the same cell and seed. It runs them on the ablation's own seeds at that budget (never
a registration's confirmatory seeds) through the suite's own ``run`` (Ray Tune, two
trials at a time, each cell's bfloat16 trials started right after its float32 ones, so
that both arms share the machine alike). Then it reads, for each arm:

- every claim decided on that ablation at that budget: verdict, measured effect, its
  confidence interval and both one-sided p (``evaluate_claim``, as the report does);
- each trial's last record, paired by cell and seed: the relative difference of every
  metric;
- each trial's own wall time: the core time of the two arms.

Verdict-relevant numbers are **unchanged** for a claim when both arms give the same
verdict and each arm's measured effect lies inside the other's confidence interval. The
study prints the machine first, a table per claim, and writes the whole comparison to
``<runs>/precision_study.json``. Stopped (Ctrl-C, a deadline), it keeps the trials that
finished; the same command goes on from there.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
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
from wgan_suite.core.locations import shipped_ablations

SUFFIX = "_precision"
ARMS = ("float32", "bfloat16")
KEY = "seed"  # with the ablation's other axes, pairs a bfloat16 trial with its float32 twin
SKIP = ("iteration", "images_seen", "wall_time", "eval_seconds", "n_critic", "updates")


def variant(ablations: Path, name: str) -> str:
    """Write ``<name>_precision.yaml`` next to a copy of the shipped ablations: the same
    file with one more axis, ``precision``, as its last zip group (in a budget's own axes
    too): the innermost axis, so that each cell's bfloat16 trials start right after its
    float32 ones."""
    raw = yaml.safe_load((ablations / f"{name}.yaml").read_text())
    raw["name"] = name + SUFFIX
    raw["zip"] = [*(raw.get("zip") or []), {"precision": list(ARMS)}]
    for budget in (raw.get("budgets") or {}).values():
        if isinstance(budget, dict) and budget.get("axes"):
            budget["axes"]["zip"] = [*(budget["axes"].get("zip") or []), {"precision": list(ARMS)}]
    raw["reproduce"] = False
    files.write_text(ablations / f"{name}{SUFFIX}.yaml", yaml.safe_dump(raw, sort_keys=False))
    return name + SUFFIX


def run_both(name: str, budget: str, runs: Path) -> int:
    folder = runs / "study-ablations"
    if not folder.exists():
        shutil.copytree(shipped_ablations(), folder)
    study = variant(folder, name)
    cmd = [sys.executable, "-m", "wgan_suite", "run", study, "--budget", budget]
    cmd += ["--ablations-dir", str(folder), "--runs", str(runs), "--new-runs"]
    print("$", " ".join(cmd), flush=True)
    return subprocess.call(cmd)


def arms(runs: Path, name: str) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    results = pd.read_parquet(runs / "results.parquet")
    trials = pd.read_parquet(runs / "trials.parquet")
    mine = trials[trials["ablation"] == name + SUFFIX]
    out = {}
    for arm in ARMS:
        ids = set(mine.loc[mine["config.precision"] == arm, "trial_id"])
        res = results[results["trial_id"].isin(ids) & (results["ablation"] == name + SUFFIX)]
        tri = mine[mine["trial_id"].isin(ids)]
        out[arm] = (res.assign(ablation=name), tri.assign(ablation=name))
    return out


def _axes(frame: pd.DataFrame) -> list[str]:
    axes = (c for c in frame.columns if c.startswith("axis.") and c != "axis.precision")
    return [*sorted(axes), KEY]


def claim_rows(name: str, budget: str, tables: dict) -> list[dict[str, Any]]:
    rows = []
    for claim in load_claims():
        if claim.ablation != name or budget not in claim.budgets:
            continue
        read = {arm: evaluate_claim(claim, *tables[arm], budget) for arm in tables}
        f, b = read["float32"], read["bfloat16"]

        def inside(v: Any, w: Any) -> bool:
            if None in (v.measured, w.ci_low, w.ci_high):
                return v.measured == w.measured
            return w.ci_low <= v.measured <= w.ci_high

        rows.append(
            {
                "claim": claim.id,
                "unchanged": f.verdict == b.verdict and inside(f, b) and inside(b, f),
                **{
                    f"{arm}_{k}": getattr(read[arm], k)
                    for arm in read
                    for k in ("verdict", "measured", "ci_low", "ci_high", "p_value", "p_against")
                },
            }
        )
    return rows


def last_records(results: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    done = results.sort_values("iteration").groupby("trial_id").tail(1)
    return done.set_index(keys)


def metric_rows(tables: dict) -> list[dict[str, Any]]:
    """Per metric: the median and largest relative difference between twins' last records."""
    f_res, f_tri = tables["float32"]
    b_res, _ = tables["bfloat16"]
    keys = _axes(f_tri)
    f, b = last_records(f_res, keys), last_records(b_res, keys)
    both = f.index.intersection(b.index)
    rows = []
    for column in f.columns:
        if column in SKIP or column.startswith("config.") or column not in b:
            continue
        if not pd.api.types.is_float_dtype(f[column]):
            continue
        x, y = f.loc[both, column].astype(float), b.loc[both, column].astype(float)
        ok = x.notna() & y.notna() & x.map(math.isfinite) & y.map(math.isfinite)
        if not ok.any():
            continue
        gap = (y[ok] - x[ok]).abs()
        rel = (gap / x[ok].abs().clip(lower=1e-12)).tolist()
        scale = float(x[ok].abs().median())  # a metric near 0 in some cells: its typical size
        rows.append(
            {
                "metric": column,
                "pairs": int(ok.sum()),
                "median_rel_diff": statistics.median(rel),
                "max_rel_diff": max(rel),
                "max_diff_over_median": float(gap.max()) / scale if scale else None,
            }
        )
    return rows


def cost(tables: dict) -> dict[str, Any]:
    walls = {}
    for arm, (_, tri) in tables.items():
        done = tri[tri["status"] == "finished"].drop_duplicates("trial_id")
        walls[arm] = {"trials": len(done), "core_s": float(done["wall_time"].sum())}
    f, b = walls["float32"]["core_s"], walls["bfloat16"]["core_s"]
    walls["ratio"] = b / f if f else None
    return walls


def show(study: dict[str, Any]) -> None:
    print(f"\n{study['ablation']} at budget {study['budget']}")
    c = study["cost"]
    for arm in ("float32", "bfloat16"):
        print(f"  {arm}: {c[arm]['trials']} trials finished, {c[arm]['core_s'] / 60:.1f} min")
    if c["ratio"] is not None:
        print(f"  bfloat16 / float32 core time: {c['ratio']:.2f}x")
    print("\nclaims (verdict, measured [CI], p for / against):")
    for r in study["claims"]:
        print(f"  {r['claim']}: {'unchanged' if r['unchanged'] else 'CHANGED'}")
        for arm in ("float32", "bfloat16"):
            lo, hi = r[f"{arm}_ci_low"], r[f"{arm}_ci_high"]
            ci = f"[{lo:.4g}, {hi:.4g}]" if None not in (lo, hi) else "[-]"
            m = r[f"{arm}_measured"]
            print(
                f"    {arm:>8}: {r[f'{arm}_verdict']}, "
                f"{'-' if m is None else format(m, '.4g')} {ci}, "
                f"p {r[f'{arm}_p_value']} / {r[f'{arm}_p_against']}"
            )
    print("\nlast records, twins paired by cell and seed (relative difference):")
    for r in study["metrics"]:
        scaled = r["max_diff_over_median"]
        print(
            f"  {r['metric']:>28}: median {r['median_rel_diff']:.3g}, "
            f"largest {r['max_rel_diff']:.3g} over {r['pairs']} pairs; largest difference "
            f"{'-' if scaled is None else format(scaled, '.3g')}x the metric's median size"
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
    study = {
        "ablation": args.ablation,
        "budget": args.budget,
        "machine": facts(),
        "cost": cost(tables),
        "claims": claim_rows(args.ablation, args.budget, tables),
        "metrics": metric_rows(tables),
    }
    files.write_text(args.runs / "precision_study.json", json.dumps(study, indent=1, default=str))
    show(study)
    return 0


if __name__ == "__main__":
    sys.exit(main())
