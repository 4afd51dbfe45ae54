"""What each command of ``python -m wgan_suite`` does: ``wgan_suite.cli`` parses the
command line and imports this module only when a command runs (its COMMANDS table), so
that ``--help`` and argument errors never wait for torch, pandas or the harness.

Exit codes (``wgan_suite.cli``): 0 success, 1 some trial failed, 2 invalid input, 3 the runs
directory is in use by another command.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wgan_suite.core import env
from wgan_suite.core.budgets import ORDER
from wgan_suite.core.env import REGISTRATION as REGISTRATION_ENV
from wgan_suite.core.errors import InputError
from wgan_suite.core.layout import DEFAULT_RUNS, ReportDir, RunsDir
from wgan_suite.core.locations import COMMAND
from wgan_suite.core.provenance import code_hash, git_state
from wgan_suite.core.statuses import DONE, TrialStatus
from wgan_suite.harness.ablation import (
    MAX_SEED,
    Ablation,
    AblationError,
    discover,
    find_ablation,
    get_path,
    label,
    load_ablation,
)
from wgan_suite.harness.lock import holder, runs_lock
from wgan_suite.harness.plan import apply, make_plan, trial_dir
from wgan_suite.harness.preflight import (
    DISK_FULL,
    check_disk,
    check_out_dir,
    check_runs_dir,
    precision_warning,
)
from wgan_suite.harness.tune import check_local_resources, connect_check, run_grid
from wgan_suite.trial.data.presence import DataMissing, check_data
from wgan_suite.trial.metrics.inception_weights import ENV as WEIGHTS_ENV
from wgan_suite.trial.trial_status import current_status, local_worker, read_status


def _warn(line: str) -> None:
    print(f"warning: {line}", file=sys.stderr, flush=True)


def _load(names: Sequence[str], args: argparse.Namespace) -> list[Ablation]:
    """Includes read inside ``--ablations-dir``, or beside a file named on the command line."""
    out = []
    for name in names:
        path = find_ablation(name, args.ablations_dir)
        roots = (args.ablations_dir, path.parent)
        ablation = load_ablation(path, roots=roots, max_trials=args.max_trials)
        for line in ablation.warnings:
            _warn(line)
        out.append(ablation)
    return out


def _specs(ablations: list[Ablation], budget: str):
    return [t for a in ablations for t in a.trials(budget)]


def cmd_validate(args: argparse.Namespace) -> int:
    """Resolve and expand every trial, and check that every claim on the ablation can be
    decided: its selections pick trials, and on those trials, with the seeds each deciding
    budget has, data for the claim reads reproduced and data against it not reproduced."""
    # deferred: the claims load the column catalogue, i.e. every metric and matplotlib
    # (~0.7 s), which `--help` and `list` do not need
    from wgan_suite.claims import load_claims
    from wgan_suite.claims.coverage import problems

    claims = load_claims()
    bad = 0
    for a in _load(args.ablations, args):
        counts = ", ".join(f"{b}: {len(a.trials(b))}" for b in a.spec.budgets)
        data = [t.config.data for b in a.spec.budgets for t in a.trials(b)]
        for problem in check_data(data, fetch=False, explicit_roots_only=True):
            _warn(f"{a.path}: {problem}")
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
    check_runs_dir(args.runs, new=True)  # a file is refused; a missing one lists as pending
    active = holder(args.runs) is not None  # else nothing can be running
    ablations = _load(args.ablations, args)
    check_shown(args.show, [s for a in ablations for s in a.trials(args.budget)])
    for a in ablations:
        specs = a.trials(args.budget)
        print(f"# {a.spec.name} v{a.spec.version} [{args.budget}]: {a.spec.description.strip()}")
        print(f"# reproduces: {a.spec.paper}; {len(specs)} trials")
        for s in specs:
            status = current_status(trial_dir(args.runs, s), active=active)["status"]
            cell = " ".join(f"{k}={v}" for k, v in s.cell.items())
            shown = " ".join(f"{k}={resolved(s, k)}" for k in args.show)
            print(
                f"{s.trial_id}  {status:9s} seed={s.seed} {cell}  "
                + (f"| {shown}  " if shown else "")
                + f"iterations={s.config.iterations} cpu={s.resources.cpu} gpu={s.resources.gpu}"
            )
    return 0


def check_shown(paths: list[str], specs: Sequence[Any]) -> None:
    """``list --show PATH`` names a config path some listed trial has (its value may be
    null there); a typo would otherwise print '-' on every line and exit 0."""
    configs = [s.config.to_dict() for s in specs]
    absent = object()
    for path in paths:
        if all(get_path(c, path, absent) is absent for c in configs):
            keys = ", ".join(sorted(configs[0])) if configs else "none"
            raise InputError(
                f"--show {path[:80]}: no listed trial has this config path; "
                f"give dotted keys such as lipschitz.c (top-level keys: {keys})"
            )


def resolved(spec, path: str) -> str:
    """What a trial's config resolves to at ``path`` (``schedule``, ``lipschitz.c``)."""
    value = get_path(spec.config.to_dict(), path)
    return label(value) if value is not None else "-"


def parse_seeds(text: str) -> list[int]:
    """``1000-1011`` or ``1000,1001,1005``: a block of 1 to 1000 distinct seeds in
    0..MAX_SEED."""
    try:
        if "-" in text:  # a range, not a list: FIRST-LAST may span more than memory holds
            first, last = (int(v) for v in text.split("-", 1))
            seeds: Sequence[int] = range(first, last + 1)
        else:
            seeds = [int(v) for v in text.split(",")]
    except ValueError:
        raise InputError(
            f"--seeds: expected FIRST-LAST or a comma list (1000-1015, 1,5,9), got {text[:40]!r}"
        ) from None
    if (  # the count first: min, max and set walk the seeds
        not 1 <= len(seeds) <= 1000
        or min(seeds) < 0
        or max(seeds) > MAX_SEED
        or len(set(seeds)) != len(seeds)
    ):
        raise InputError(
            f"--seeds: 1 to 1000 distinct seeds from 0 to {MAX_SEED}, got {text[:40]!r}"
        )
    return list(seeds)


def _seed_text(seeds: Sequence[int]) -> str:
    """``1000-1015`` for a run of seeds, else ``1,5,9`` (what --seeds reads)."""
    run = list(range(seeds[0], seeds[0] + len(seeds)))
    return f"{seeds[0]}-{seeds[-1]}" if list(seeds) == run else ",".join(map(str, seeds))


def _registered(args: argparse.Namespace, ablations: list[Ablation]) -> list[Ablation]:
    """``run --registration R``: the registered budget and seed block for each ablation."""
    # deferred: the claims load the column catalogue, i.e. every metric and matplotlib
    # (~0.7 s), which `--help` and `list` do not need
    from wgan_suite.claims.registration import load_registration, registrations_dir

    name = Path(args.registration)
    if name.suffix == ".yaml":  # R1.yaml, or claims/registrations/R1.yaml: the same R1
        if len(name.parts) > 1 and name.resolve().parent != registrations_dir().resolve():
            raise InputError(
                f"--registration {args.registration}: a registration runs from "
                f"{registrations_dir()} (where it is committed); give its name, e.g. R1"
            )
        args.registration = name.stem
    path = registrations_dir() / f"{args.registration}.yaml"
    if not path.is_file():
        raise InputError(f"--registration: no such registration: {path}")
    reg = load_registration(path)
    if not reg.final:  # a draft's design may still change: its trials would confirm nothing
        raise InputError(
            f"--registration {reg.registration}: {path} is a draft; freeze it for its run "
            f"with ./wgan-suite preregister --name {reg.registration} --budget {reg.budget} "
            f"--seeds {_seed_text(reg.seeds)} --replace --final, and commit it"
        )
    # what would make its trials read exploratory is refused before they train
    if reg.training_code_hash != code_hash():
        raise InputError(
            f"--registration {reg.registration}: the training code changed since it was "
            f"frozen (code hash {code_hash()[:12]}, registered {reg.training_code_hash[:12]}): "
            "its trials would not be confirmatory; register anew"
        )
    _, dirty = git_state()
    if dirty is not False:
        tree = "tracked files have uncommitted changes" if dirty else "not a git checkout"
        raise InputError(
            f"--registration {reg.registration}: {tree} (its trials would not be "
            "confirmatory: each records whether its tree was clean)"
        )
    if reg._committed:  # its trials must start after the commit that freezes it
        raise InputError(
            f"--registration {reg.registration}: {path} {reg._committed}; commit it "
            "before its trials run (a registration is evidence of its date only as git "
            "holds it)"
        )
    os.environ[REGISTRATION_ENV] = reg._tag or ""
    unknown = [a.spec.name for a in ablations if a.spec.name not in reg.trials]
    if unknown:
        raise InputError(
            f"--registration {reg.registration}: ablation(s) {', '.join(unknown)} are not "
            f"registered; registered: {', '.join(reg.trials)}"
        )
    if args.budget not in (reg.budget, "quick"):
        raise InputError(
            f"--registration {reg.registration} is at budget {reg.budget}, not {args.budget}"
        )
    args.budget = reg.budget
    return [a.with_seeds(reg.ablation_seeds[a.spec.name]) for a in ablations]


def cmd_run(args: argparse.Namespace) -> int:
    ablations = _load(args.ablations, args)
    if getattr(args, "registration", None):
        ablations = _registered(args, ablations)
    specs = _specs(ablations, args.budget)
    if args.inception_weights is not None:
        if not args.inception_weights.is_file():
            raise AblationError(f"--inception-weights: no such file: {args.inception_weights}")
        os.environ[WEIGHTS_ENV] = str(args.inception_weights.resolve())
    # every refusal comes before the lock and the runs directory are touched
    try:
        env.term_deadline()
    except ValueError as err:
        raise InputError(str(err)) from None
    if args.address:
        connect_check(args.address)
    else:
        check_local_resources(specs)
        slow = precision_warning(specs)  # a cluster's nodes have their own CPUs
        if slow:
            _warn(slow)
    check_runs_dir(args.runs, args.new_runs)
    check_disk(args.runs, specs)
    if not args.no_data_check:
        _check_data(args, specs)
    with runs_lock(args.runs, args.command, wait=args.wait):
        return _run_locked(args, ablations, specs)


def _check_data(args: argparse.Namespace, specs: list) -> None:
    """The data of every trial still to train must be here (or downloadable) before the
    lock: a read-only plan (the locked one may only find fewer trials to train)."""
    plan = make_plan(specs, args.runs, code_hash(), keep_stale=args.keep_stale)
    problems = check_data([s.config.data for s in plan.todo], fetch=True)
    if problems:
        raise DataMissing("\nerror: ".join(problems))


def _run_locked(args: argparse.Namespace, ablations: list[Ablation], specs: list) -> int:
    """Plan, train, collect: all under the runs lock."""
    # deferred: the tables module loads the column catalogue (matplotlib, ~0.7 s)
    from wgan_suite.harness.results import collect, write_membership

    plan = make_plan(
        specs,
        args.runs,
        code_hash(),
        retry_failed=not args.no_retry_failed,
        keep_stale=args.keep_stale,
    )
    for line in plan.summary():
        print(line, flush=True)
    apply(plan, args.runs)
    write_membership(args.runs, specs)
    name = "+".join(a.spec.name for a in ablations)[:60] + f"-{args.budget}"
    if not plan.todo:
        print(f"plan: nothing to train, {len(plan.reused) + len(plan.kept_stale)} reused")
    try:
        run_grid(
            plan.todo,
            args.runs,
            address=args.address,
            verbose=args.verbose,
            name=name,
            reused=len(plan.reused) + len(plan.kept_stale),
            on_stuck=lambda: _stuck(args, specs),
        )
    except KeyboardInterrupt:  # Ctrl-C before Tune ran, or a second one while it stopped
        print(
            "Ctrl-C (or SIGTERM): stopped at once; the trials that were running resume from "
            "their last checkpoints",
            file=sys.stderr,
            flush=True,
        )
    with SignalsHeld() as held:  # the tables are written whole, then the signal is said
        collect(args.runs)
        code = _summary(args, specs)
    if held.received:
        print(
            f"{' and '.join(held.received)} after the training: the tables were written first",
            file=sys.stderr,
            flush=True,
        )
    return code


class SignalsHeld:
    """Ctrl-C and SIGTERM recorded, not acted on, while the tables are written after the
    training (a few seconds): without it a SIGTERM there ended the process with exit 143,
    nothing said and no tables. Main thread only (signals are delivered there)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.received: list[str] = []
        self.previous: dict[int, Any] = {}

    def _on(self, signum: int, _frame: object) -> None:
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        if name not in self.received:
            self.received.append(name)

    def __enter__(self) -> SignalsHeld:
        if threading.current_thread() is threading.main_thread():
            self.previous = {s: signal.signal(s, self._on) for s in self.SIGNALS}
        return self

    def __exit__(self, *_: object) -> None:
        for s, handler in self.previous.items():
            signal.signal(s, handler)


def _stuck(args: argparse.Namespace, specs: list) -> None:
    """After a SIGTERM whose stop cannot end (Ray's own processes got it too): say what
    each trial's files prove, and end now. The trials resume from their checkpoints."""
    try:
        print(
            f"SIGTERM: Ray's processes are gone and its stop cannot end; stopping without it "
            f"after {env.term_deadline():g} s",
            file=sys.stderr,
            flush=True,
        )
        for s in {s.trial_id: s for s in specs}.values():  # workers outlive their raylet
            pid = local_worker(read_status(trial_dir(args.runs, s)))
            if pid is not None:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)  # as kill -9: its last checkpoint resumes it
        _summary(args, specs)
        sys.stdout.flush()
    finally:
        os._exit(1)  # the main thread waits on Ray, which will not answer


def _summary(args: argparse.Namespace, specs: list) -> int:
    """What happened to every trial of the grid (after an interrupt too), and what next."""
    unique = {s.trial_id: s for s in specs}.values()
    counts = Counter(
        current_status(trial_dir(args.runs, s), active=False)["status"] for s in unique
    )
    said = ", ".join(f"{n} {status}" for status, n in counts.most_common())
    print(f"{len(unique)} trial(s): {said}; table: {RunsDir(args.runs).results}")
    waiting = counts[TrialStatus.INTERRUPTED] + counts[TrialStatus.PENDING]
    if waiting:
        print(f"{waiting} trial(s) interrupted or not started: the same command resumes them")
    full = [s for s in unique if _disk_full(trial_dir(args.runs, s))]
    if full:  # not a failed trial: the user's to fix, and nothing is lost
        print(f"error: {read_status(trial_dir(args.runs, full[0]))['reason']}", file=sys.stderr)
        return 2
    if args.command == "run":
        print(f"next: {COMMAND} report --runs {args.runs}")
    return 1 if set(counts) - set(DONE) else 0


def _disk_full(path: Path) -> bool:
    status = read_status(path)
    return status.get("status") == TrialStatus.FAILED and str(status.get("reason")).startswith(
        DISK_FULL
    )


def reproducible(root: Path, budget: str) -> list[str]:
    """Ablations whose file says ``reproduce: true`` (or lists ``budget``) for ``budget``."""
    chosen = []
    for path in discover(root):
        spec = load_ablation(path, roots=(root,)).spec
        if spec.reproduced_at(budget):
            chosen.append(str(path))
        elif spec.reproduce:
            print(f"reproduce: {spec.name} is not part of the '{budget}' run; skipped")
    if not chosen:
        raise AblationError(f"no ablation in {root}/ says reproduce: true for budget '{budget}'")
    return chosen


def report_dir(args: argparse.Namespace) -> Path:
    """Where a report goes: ``--out``, else ``report/`` inside the runs directory it reads
    (``report DIR ...``: the last DIR named, a user's own runs in ``report reports/data
    runs``), so a user's fresh results never overwrite the committed ``reports/`` (the
    evidence), and never the ``runs/`` of the directory the command was typed in."""
    if args.out is not None:
        return args.out
    named = getattr(args, "runs_dirs", None)
    return RunsDir(named[-1] if named else args.runs).report


def cmd_reproduce(args: argparse.Namespace) -> int:
    """The paper's ablations (or those named) at a budget, then the tables and the report."""
    # deferred: the report loads seaborn, matplotlib and jinja2 (~1.3 s)
    from wgan_suite.report import report_from_runs

    args.ablations = args.ablations or reproducible(args.ablations_dir, args.budget)
    check_out_dir(report_dir(args))
    start = time.perf_counter()
    code = cmd_run(args)
    index = report_from_runs([args.runs], report_dir(args))
    print(
        f"reproduce: {', '.join(args.ablations)} at budget {args.budget} "
        f"took {time.perf_counter() - start:.0f} s; report: {index}"
    )
    return code


def cmd_report(args: argparse.Namespace) -> int:
    """Claims, verdicts and plots from one or more runs directories (their tables)."""
    # deferred: the report loads seaborn, matplotlib and jinja2 (~1.3 s)
    from wgan_suite.report import report_from_runs

    if args.runs_dirs and args.runs != DEFAULT_RUNS:  # else --runs was silently not read
        raise InputError(
            f"report: runs directories named twice ({' '.join(map(str, args.runs_dirs))} and "
            f"--runs {args.runs}); name them all as arguments: report DIR [DIR ...]"
        )
    out = report_dir(args)
    check_out_dir(out)
    index = report_from_runs(args.runs_dirs or [args.runs], out)
    print(f"report: {index}")
    return 0


def cmd_preregister(args: argparse.Namespace) -> int:
    """Freeze every check a budget decides, with a fresh block of seeds (claims/registrations)."""
    # deferred: the claims load the column catalogue, pandas and scipy (~1.5 s), which
    # `list` does not need (nor does pandas itself, read here for the used seeds)
    import pandas as pd

    from wgan_suite.claims import load_claims
    from wgan_suite.claims.preregister import build_registration, classifier_pin
    from wgan_suite.claims.registration import (
        REGISTRATION_NAME,
        check_new_block,
        load_registrations,
        registrations_dir,
        write_registration,
    )

    seeds = parse_seeds(args.seeds)
    if not REGISTRATION_NAME.fullmatch(args.name):
        raise InputError(
            f"--name: a registration's name is letters, digits, '_', '.' and '-', starting "
            f"with a letter or digit (e.g. R1), got {args.name[:40]!r}"
        )
    folder = args.out or registrations_dir()
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--out {folder}: is a file; name a directory for the registration")
    named = args.tables is not None
    missing = [str(d) for d in (args.tables or []) if not d.is_dir()]
    if missing:
        raise InputError(f"--tables: no such directory: {', '.join(missing)}")
    # --tables adds places to look; it never narrows them: a registration whose trials
    # exist in runs/ cannot be rewritten by pointing --tables at an empty directory
    defaults = [DEFAULT_RUNS, ReportDir(Path("reports")).evidence]
    tables = [RunsDir(d) for d in dict.fromkeys([*(args.tables if named else []), *defaults])]
    found = [d.trials for d in tables if d.trials.is_file()]
    trials = pd.concat([pd.read_parquet(t) for t in found]) if found else pd.DataFrame()
    trial_dirs = [p.name for d in tables if d.trial_dirs.is_dir() for p in d.trial_dirs.iterdir()]
    claims = load_claims()
    chosen = [c for c in claims if args.budget in c.budgets]
    if not chosen:
        deciding = [b for b in ORDER if any(b in c.budgets for c in claims)]
        raise InputError(
            f"--budget {args.budget}: no claim is decided there; claims are decided at "
            f"{', '.join(deciding)}"
        )
    names = sorted({c.ablation for c in chosen})
    ablations = {}
    for name in names:
        try:
            ablations[name] = load_ablation(find_ablation(name, args.ablations_dir))
        except AblationError as err:
            raise InputError(f"preregister: {err}") from None
    own = {s for a in ablations.values() for b in a.spec.budgets for s in a.seeds(b)}
    registrations = {r.registration: r for r in load_registrations(registrations_dir())}
    registrations |= {r.registration: r for r in load_registrations(folder)}
    check_new_block(
        args.name,
        seeds,
        list(registrations.values()),
        trials,
        folder,
        replace=args.replace,
        trial_dirs=trial_dirs,
        used_elsewhere=own,
    )
    effects = _pilot_effects(claims, args.budget, args.effects)
    reg = build_registration(
        args.name, claims, args.budget, seeds, ablations, code_hash(), effects=effects
    )
    pinned, pin_line = classifier_pin(reg, ablations)
    reg = reg.model_copy(update={"classifier_sha256": pinned, "final": args.final})
    path = write_registration(reg, folder)
    short_of = [c for c, e in reg.claims.items() if not e.reaches_bound]
    state = "final (frozen for its run)" if reg.final else "a draft (--final freezes it)"
    print(
        f"{'registered' if reg.final else 'drafted'} {len(reg.claims)} claims as "
        f"confirmatory at budget {reg.budget} on "
        f"seeds {seeds[0]}..{seeds[-1]} ({len(seeds)}), "
        f"{sum(len(v) for v in reg.trials.values())} trials: {path}, "
        f"{state}; "
        f"{len(reg.exploratory)} exploratory, each with why (below its scale, or no power)"
    )
    print(pin_line)
    for cid, e in reg.claims.items():
        print(
            f"  {cid} ({e.family}): {len(reg.ablation_seeds[e.ablation])} seeds, planned power "
            f"{e.planned_power} (0.8 needs {e.power_seeds}); effect {e.effect}"
        )
    for cid in short_of:
        e = reg.claims[cid]
        print(
            f"  {cid} ({e.family}): smallest p {max(e.min_p, e.min_p_against):.2g} > Holm "
            f"bound {e.holm_bound:.2g}; needs {e.seeds_needed or 'more than 100'} seeds"
        )
    return 0


def _pilot_effects(claims, budget: str, folder: Path) -> dict:
    """claim -> (its parts' effects on the pilot tables in ``folder``, why none)."""
    # deferred: the claims load the column catalogue, i.e. every metric and matplotlib
    # (~0.7 s), which other commands not need
    # and the report loads seaborn, matplotlib and jinja2 (~1.3 s)
    from wgan_suite.claims.power import claim_effects
    from wgan_suite.report import read_runs

    if not RunsDir(folder).trials.is_file():
        raise InputError(
            f"--effects: {folder} holds no {RunsDir(folder).trials.name}; name the pilot (a runs "
            "directory or bundle) whose effects size the seeds"
        )
    results, trials = read_runs([folder])
    source = f"{folder.name}, budget {budget}, seeds " + " ".join(
        map(str, sorted({int(s) for s in trials["seed"].dropna()}))
    )
    return {
        c.id: claim_effects(c, results, trials, budget, source)
        for c in claims
        if budget in c.budgets
    }


def cmd_collect(args: argparse.Namespace) -> int:
    # deferred: the tables module loads the column catalogue (matplotlib, ~0.7 s)
    from wgan_suite.harness.results import collect

    check_runs_dir(args.runs, new=True)  # a file is refused
    if not args.runs.exists():  # a typo would otherwise make a new, empty runs directory
        raise InputError(
            f"--runs {args.runs}: no such directory; collect rebuilds a runs directory's tables"
        )
    with runs_lock(args.runs, "collect", wait=args.wait):
        results, trials = collect(args.runs)
    print(
        f"{len(results)} rows, {len(trials)} trials -> {RunsDir(args.runs).results}, "
        f"{RunsDir(args.runs).trials.name}"
    )
    return 0
