"""Checks a command makes before it writes anything: a refused command leaves every
directory as it found it (exit 2, one line naming the problem and the fix).

- ``check_runs_dir``: a ``--runs`` that does not exist and looks like a typo (its parent
  is missing, or a runs directory of a close name sits beside it) is refused; a mistyped
  name would otherwise start an empty directory and train the whole grid again.
- ``check_disk``: the trials still to train must fit the free space of the runs
  directory's disk (their checkpoints, records and samples), or they would fail one by
  one, minutes apart, with the storage library's own message.
- ``check_out_dir``: a report directory must be a directory we can write.
- ``precision_warning``: trials in bfloat16 on a CPU without bfloat16 instructions run,
  several times slower than in float32; the user is told before they start.
"""

from __future__ import annotations

import difflib
import errno
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from wgan_suite.core import machine
from wgan_suite.core.errors import InputError
from wgan_suite.core.layout import DEFAULT_RUNS, RunsDir
from wgan_suite.core.statuses import DONE
from wgan_suite.harness.plan import trial_dir
from wgan_suite.trial.models.footprint import parameter_count
from wgan_suite.trial.trial_status import current_status

MARGIN_BYTES = 100 * 2**20  # left free beyond the estimate (status files, tables, report)
TRIAL_FIXED_BYTES = 8 * 2**20  # records, sample grids, scored samples, status, config
CHECKPOINT_COPIES = 4  # weights + optimizer moments (Adam: 2) + Tune's copy of the checkpoint


def _runs_like(path: Path) -> bool:
    return any((path / mark).exists() for mark in RunsDir.marks())


def check_runs_dir(runs: Path, new: bool = False) -> None:
    """Refuse a ``--runs`` that does not exist and is probably mistyped (``new``: meant)."""
    runs = Path(runs)
    if runs.exists():
        if not runs.is_dir():
            raise InputError(f"--runs {runs}: is a file, not a runs directory")
        return
    if new or runs == DEFAULT_RUNS:
        return
    parent = runs.parent
    if not parent.is_dir():
        raise InputError(
            f"--runs {runs}: neither it nor its parent {parent} exists (a typo?); to start "
            "a new runs directory there, pass --new-runs"
        )
    siblings = [p.name for p in parent.iterdir() if p.is_dir() and _runs_like(p)]
    close = difflib.get_close_matches(runs.name, siblings, n=1, cutoff=0.75)
    if close:
        raise InputError(
            f"--runs {runs}: no such directory; did you mean {parent / close[0]} (a runs "
            "directory)? To start a new one under this name, pass --new-runs"
        )


def _existing(path: Path) -> Path:
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def trial_bytes(spec) -> int:
    """What one trial writes, over-estimated: its checkpoint copies and fixed files."""
    return CHECKPOINT_COPIES * 4 * parameter_count(spec.config) + TRIAL_FIXED_BYTES


def check_disk(runs: Path, todo: Sequence, free: int | None = None) -> None:
    """The trials still to train must fit the runs directory's disk (``free``: for tests)."""
    pending = [
        s
        for s in {s.trial_id: s for s in todo}.values()
        if current_status(trial_dir(runs, s), active=False)["status"] not in DONE
    ]
    if not pending:
        return
    need = sum(trial_bytes(s) for s in pending) + MARGIN_BYTES
    where = _existing(runs)
    free = shutil.disk_usage(where).free if free is None else free
    if free < need:
        raise InputError(
            f"--runs {runs}: {len(pending)} trial(s) to train need about {need / 2**20:,.0f} MB, "
            f"but the disk of {where} has {free / 2**20:,.0f} MB free; free space or use "
            "--runs on another disk"
        )


def precision_warning(specs: Sequence) -> str | None:
    """One line when CPU trials of ``specs`` train in bfloat16 on this machine's CPU and it
    has no bfloat16 instructions; None otherwise, or when unknown."""
    slow = {s.trial_id for s in specs if s.config.precision == "bfloat16" and not s.resources.gpu}
    if not slow or machine.bfloat16_in_hardware() is not False:
        return None
    return (
        f"{len(slow)} trial(s) of this grid set precision: bfloat16, and this CPU has no "
        "bfloat16 instructions (avx512_bf16, amx_bf16): those that train here train several "
        "times slower than in float32 (docs/speed.md)"
    )


def check_out_dir(out: Path, flag: str = "--out") -> None:
    """A report directory: a directory (or one that can be made) we can write; nothing is
    created here."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{flag} {out}: is a file; name a directory for the report")
    base = _existing(out)
    if not base.is_dir():
        raise InputError(f"{flag} {out}: {base} is a file, not a directory")
    if not os.access(base, os.W_OK | os.X_OK):
        raise InputError(f"{flag} {out}: {base} is not writable; name a directory you can write")


DISK_FULL = "disk full"
# the words of a full disk: the OS's, torch.save's ("unexpected pos"), and the errno as
# pyarrow (Ray Tune's file copies) prints it
FULL_SIGNS = ("No space left", "unexpected pos", "Disk quota exceeded", "[Errno 28]", "[errno 28]")


def says_disk_full(text: str) -> bool:
    """Whether an error's text names a full disk (FULL_SIGNS)."""
    return any(sign in text for sign in FULL_SIGNS)


def is_disk_full(exc: BaseException, where: Path) -> bool:
    """Did ``exc`` come from a full disk? torch.save reports ENOSPC as "unexpected pos N
    vs M" without an errno, so the words, and the free space left at ``where``, count."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if says_disk_full(str(seen)):
            return True
        seen = seen.__cause__ or seen.__context__
    return out_of_space(where)


def out_of_space(where: Path) -> bool:
    """Less than 1 MiB free on the disk that holds ``where`` (False when unreadable)."""
    try:
        return shutil.disk_usage(_existing(where)).free < 2**20
    except OSError:
        return False


def disk_full_reason(where: Path) -> str:
    return (
        f"{DISK_FULL} while writing {where}: free space (or use --runs on another disk) and "
        "run the same command again; finished trials are kept and this one resumes"
    )
