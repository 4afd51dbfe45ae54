"""The status of a trial directory, as written and as it is.

``status.json`` is what the trial last said about itself; after a crash it can be
out of date (``running`` for a process that was killed), missing or garbled. The
durable facts are the records: ``records.jsonl`` ends with the final record of a
trial that finished or diverged. ``current_status`` combines both, so that every
command reports the truth after any crash: records decide ``finished``/``diverged``,
``running`` needs a live run, unreadable records make the trial ``corrupt``.
"""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

import wgan_suite
from wgan_suite.core import env, files, machine
from wgan_suite.core.layout import TrialDir
from wgan_suite.core.statuses import DONE, TrialStatus

STATUS_FILE = TrialDir.STATUS
RECORDS_FILE = TrialDir.RECORDS
RECORD_STATUSES = (TrialStatus.RUNNING, TrialStatus.STOPPED, *DONE)


def read_status(trial_dir: Path) -> dict[str, Any]:
    """``status.json`` as written; ``pending`` without one; ``unknown`` when unreadable."""
    path = TrialDir(trial_dir).status
    if not path.exists():
        return {"status": TrialStatus.PENDING}
    try:
        data = files.read_json(path)
    except (OSError, ValueError) as err:  # JSONDecodeError and UnicodeDecodeError
        return {
            "status": TrialStatus.UNKNOWN,
            "status_error": f"{path}: unreadable ({type(err).__name__})",
        }
    if not isinstance(data, dict) or not isinstance(data.get("status"), str):
        return {"status": TrialStatus.UNKNOWN, "status_error": f"{path}: not a status record"}
    return data


def write_status(trial_dir: Path, status: str, **fields: Any) -> None:
    old = read_status(trial_dir)
    old.pop("status_error", None)
    files.write_json(
        TrialDir(trial_dir).status,
        {**old, **fields, "status": status, "updated": datetime.now(UTC).isoformat()},
    )


def read_records(trial_dir: Path) -> tuple[list[dict[str, Any]], str | None]:
    """All records of a trial, checked, and a note when a torn last line was dropped.

    Raises ``files.CorruptFile`` (file and line) for a line that is not a record, or
    iterations that do not strictly increase (two writers, or an edited file).
    """
    path = TrialDir(trial_dir).records
    rows, note = files.read_jsonl_checked(path)
    last = -1  # a record of iteration 0 (the untrained state) may come first
    for number, row in enumerate(rows, start=1):
        it = row.get("iteration")
        if not isinstance(it, int) or isinstance(it, bool) or it <= last:
            after = f"after {last}" if last >= 0 else "first"
            problem = f"iteration {it!r} {after}: records must have increasing iterations"
            raise files.CorruptFile(path, problem, number)
        if row.get("status") not in RECORD_STATUSES:
            problem = f"status {row.get('status')!r} is not one of {', '.join(RECORD_STATUSES)}"
            raise files.CorruptFile(path, problem, number)
        last = it
    return rows, note


def local_worker(status: dict[str, Any]) -> int | None:
    """The pid of the process that wrote ``running``, when it still runs on this host in
    this process's session (a worker Ray started for this run: a pid reused since, or a
    worker of an earlier session, is not one), or None."""
    hw = status.get("hardware") or {}
    pid = hw.get("pid")
    if status.get("status") != TrialStatus.RUNNING or hw.get("hostname") != platform.node():
        return None
    if type(pid) is not int or pid <= 1 or pid == os.getpid():
        return None
    try:
        return pid if os.getsid(pid) == os.getsid(0) else None
    except OSError:  # it has ended
        return None


def _alive(status: dict[str, Any]) -> bool:
    """Whether the process that wrote ``running`` may still run (unknowable on another host)."""
    hw = status.get("hardware") or {}
    if hw.get("hostname") != platform.node() or not isinstance(hw.get("pid"), int):
        return True
    try:
        os.kill(hw["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def current_status(trial_dir: Path, *, active: bool) -> dict[str, Any]:
    """The trial's status as its files prove it; ``active``: a command holds the runs lock.

    ``interrupted``: it started, and nothing runs it now (resumed by the next ``run``).
    """
    status = read_status(trial_dir)
    note = status.get("status_error")
    try:
        rows, _ = read_records(trial_dir)
    except files.CorruptFile as err:
        return {**status, "status": TrialStatus.CORRUPT, "reason": str(err)}
    last = rows[-1] if rows else None
    if last is not None and last["status"] in DONE:
        truth = {"status": last["status"], "reason": last.get("reason")}
        return {**status, **truth, "iteration": last["iteration"], "wall_time": last["wall_time"]}
    said = status["status"]
    if said in DONE:
        where = f"iteration {last['iteration']}" if last else "no record"
        why = f"{STATUS_FILE} says {said} but {RECORDS_FILE} ends at {where}"
        return {**status, "status": TrialStatus.INTERRUPTED, "reason": why}
    if said == TrialStatus.RUNNING and not (active and _alive(status)):
        return {
            **status,
            "status": TrialStatus.INTERRUPTED,
            "reason": "its process ended while it ran",
        }
    if said == TrialStatus.UNKNOWN:
        started = bool(rows) or TrialDir(trial_dir).checkpoint_dir.exists()
        return {
            **status,
            "status": TrialStatus.INTERRUPTED if started else TrialStatus.PENDING,
            "reason": note,
        }
    return status


def carried_start(now: dict[str, Any], before: dict[str, Any] | None, resumes: bool) -> dict:
    """When and under which registrations the training a trial keeps ran, across resumes:
    ``first_started`` (its first start, not this resume's) and ``registrations`` (every
    registration tag a start or resume of it ran under, sorted and ';'-joined; ``none``
    for one without). ``now``: this start's ``provenance``; ``before``: the hardware
    record of the status it resumes (None where there is none, or it is unreadable: then
    the first start is unknown, and so never after a registration's commit)."""
    mine = now.get("registration") or "none"
    if not resumes:
        return {"first_started": now["started"], "registrations": mine}
    before = before or {}
    first = before.get("first_started", before.get("started"))
    earlier = before.get("registrations", before.get("registration", "unknown")) or "none"
    return {
        "first_started": first if isinstance(first, str) else None,
        "registrations": ";".join(sorted({*str(earlier).split(";"), mine})),
    }


def provenance(device: torch.device) -> dict[str, Any]:
    """Hardware and versions recorded with every trial (the CPU facts:
    ``wgan_suite.core.machine``)."""
    # deferred: ray takes ~1.5 s to import; only a training trial records its version
    import ray

    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    return {
        "device": str(device),
        "gpu_name": gpu,
        "cpu": machine.cpu_facts()["cpu_model"],
        "cpu_threads": torch.get_num_threads(),
        **machine.facts(),
        "hostname": platform.node(),
        "pid": os.getpid(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "ray": ray.__version__,
        "suite": wgan_suite.__version__,
        # when this process started the trial (or resumed it), and the registration it
        # ran under (carried_start keeps the first start's and every resume's): a trial
        # from before its registration's commit is never confirmatory
        "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "registration": env.registration(),
    }
