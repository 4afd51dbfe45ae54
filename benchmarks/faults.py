"""Fault injection: kill, corrupt and race the suite, then check nothing was lost (not a test).

Every scenario starts from an empty runs directory, injects one fault while or after
``python -m wgan_suite run`` trains a small grid at its smoke budget, then runs
``python -m wgan_suite run`` again (the recovery) and compares every trial with a clean
reference run:

  lost        trials of the grid that did not end up finished
  recomputed  trials that had finished intact before the recovery and were trained again
  wrong       trials whose records differ from the reference (wall time aside)

All three must be 0. ``damaged`` counts the finished trials whose results a scenario
destroyed on purpose (they must be retrained, and are not counted as recomputed).

    python benchmarks/faults.py                      # every scenario (~10 min on 2 cores)
    python benchmarks/faults.py kill_driver garbled_records

The grid is 2 losses x 2 seeds of a 2-D toy WGAN whose smoke budget (300 generator
iterations) lasts a few seconds per trial: long enough to kill a trial in the middle.
Processes are started in their own sessions and killed by session id only.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from wgan_suite.core import files
from wgan_suite.core.env import OFFLINE, RAY_ENV
from wgan_suite.trial.trial_status import current_status, read_status

ENV = {**os.environ, **RAY_ENV, "PYTHONUNBUFFERED": "1", OFFLINE: "1"}
NET = {"name": "mlp", "width": 32, "init": "he"}
ABLATION = {
    "name": "faults",
    "version": 1,
    "description": "fault-injection grid",
    "paper": "none",
    "base": {"data": "8gaussians", "generator": NET, "critic": NET, "nz": 2, "batch_size": 64},
    "grid": {"loss": ["wgan", "gan_ns"]},
    "seeds": [0, 1],
    "budgets": {
        "smoke": {"iterations": 300, "log_every": 10, "checkpoint_every": 50, "grid_size": 16},
        "quick": {"iterations": 3000},
        "paper": {"iterations": 30000},
    },
    "resources": {"cpu": 1},
}
TIMING = ("wall_time", "eval_seconds", "checkpoint")


# --------------------------------------------------------------------------- processes


def command(ablation: Path, runs: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "wgan_suite", "run", str(ablation), "--budget", "smoke",
            "--runs", str(runs), *extra]  # fmt: skip


def start(ablation: Path, runs: Path, *extra: str) -> subprocess.Popen:
    log = open(runs.parent / f"{runs.name}-{time.monotonic_ns()}.log", "w")  # noqa: SIM115
    return subprocess.Popen(
        command(ablation, runs, *extra),
        env=ENV,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def run(ablation: Path, runs: Path, *extra: str) -> int:
    return start(ablation, runs, *extra).wait(timeout=900)


def session_pids(sid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z" and os.getsid(int(entry.name)) == sid:
                    pids.append(int(entry.name))
    return pids


def kill_session(proc: subprocess.Popen, driver_first: bool = True) -> None:
    """The driver first (as `kill -9 PID` would), then what it left of Ray; or all at once."""
    if driver_first:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(1)
    deadline = time.monotonic() + 20
    while (pids := session_pids(proc.pid)) and time.monotonic() < deadline:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
    proc.wait()


def wait_for(predicate: Callable[[], object], timeout_s: float = 300) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError("the state to inject the fault in never came")


# --------------------------------------------------------------------------- trial state


def trial_dirs(runs: Path) -> list[Path]:
    return sorted(p for p in (runs / "trials").glob("*") if p.is_dir())


def statuses(runs: Path) -> dict[str, str]:
    return {p.name: current_status(p, active=True)["status"] for p in trial_dirs(runs)}


def records_of(path: Path) -> list[dict] | None:
    try:
        rows = files.read_jsonl(path / "records.jsonl")
    except files.CorruptFile:
        return None
    return [{k: v for k, v in r.items() if k not in TIMING} for r in rows]


def mid_run(runs: Path) -> Path | None:
    """A trial running with a checkpoint and records past it, while another has finished."""
    st = statuses(runs)
    if "finished" not in st.values():
        return None
    for path in trial_dirs(runs):
        rows = records_of(path) or []
        if st[path.name] == "running" and (path / "checkpoint").exists() and len(rows) >= 7:
            return path
    return None


def snapshot(runs: Path) -> dict[str, tuple[list[dict] | None, float | None]]:
    """Finished trials: their records and when their last training started."""
    out = {}
    for path in trial_dirs(runs):
        if current_status(path, active=False)["status"] == "finished":
            out[path.name] = (records_of(path), read_status(path).get("started"))
    return out


# --------------------------------------------------------------------------- scenarios
# Each gets (ablation, runs) and returns the trials whose results it destroyed on purpose.


def kill_driver(ab: Path, runs: Path) -> set[str]:
    """SIGKILL the driver (and its Ray) while trials run."""
    proc = start(ab, runs)
    wait_for(lambda: mid_run(runs))
    kill_session(proc)
    return set()


def kill_worker(ab: Path, runs: Path) -> set[str]:
    """SIGKILL one trial's worker process; the same run must retry it from its checkpoint."""
    proc = start(ab, runs)
    victim = wait_for(lambda: mid_run(runs))
    pid = files.read_json(victim / "status.json")["hardware"]["pid"]
    os.kill(pid, signal.SIGKILL)
    if proc.wait(timeout=900) != 0:  # the retry must complete the grid in this same run
        raise AssertionError(f"the run whose worker was killed exited {proc.returncode}")
    return set()


def _interrupted(ab: Path, runs: Path) -> Path:
    """A crash of everything (driver and workers at once) while a trial runs."""
    proc = start(ab, runs)
    victim = wait_for(lambda: mid_run(runs))
    kill_session(proc, driver_first=False)
    if current_status(victim, active=False)["status"] == "finished":
        raise AssertionError(f"{victim.name} finished before the kill: no fault injected")
    return victim


def truncated_checkpoint(ab: Path, runs: Path) -> set[str]:
    """A crash, then the interrupted trial's latest checkpoint cut in half."""
    ckpt = _interrupted(ab, runs) / "checkpoint" / "state.pt"
    ckpt.write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    return set()


def garbled_checkpoint(ab: Path, runs: Path) -> set[str]:
    """A crash, then bytes of the interrupted trial's checkpoint overwritten."""
    ckpt = _interrupted(ab, runs) / "checkpoint" / "state.pt"
    data = bytearray(ckpt.read_bytes())
    for i in range(len(data) // 3, len(data) // 2, 101):
        data[i] ^= 0x5A
    ckpt.write_bytes(bytes(data))
    return set()


def torn_records(ab: Path, runs: Path) -> set[str]:
    """A crash mid-append: the interrupted trial's last record line half written."""
    victim = _interrupted(ab, runs)
    with open(victim / "records.jsonl", "ab") as fh:
        fh.write(b'{"iteration": 99999, "loss_cri')
    return set()


def _clean(ab: Path, runs: Path) -> list[Path]:
    assert run(ab, runs) == 0
    return trial_dirs(runs)


def garbled_records(ab: Path, runs: Path) -> set[str]:
    """A finished trial's first record overwritten: its results are gone, it must retrain."""
    victim = _clean(ab, runs)[0]
    data = (victim / "records.jsonl").read_bytes()
    (victim / "records.jsonl").write_bytes(b"\x00" * 20 + data[20:])
    return {victim.name}


def garbled_status(ab: Path, runs: Path) -> set[str]:
    """status.json of finished trials cut short or emptied."""
    dirs = _clean(ab, runs)
    (dirs[0] / "status.json").write_text('{"status": "fini')
    (dirs[1] / "status.json").write_bytes(b"")
    return set()


def status_says_running(ab: Path, runs: Path) -> set[str]:
    """Killed after the final record, before the final status: status.json says running."""
    for path in _clean(ab, runs):
        st = files.read_json(path / "status.json")
        files.write_json(path / "status.json", {**st, "status": "running", "iteration": None})
    return set()


def concurrent_runs(ab: Path, runs: Path) -> set[str]:
    """Two drivers on one runs directory at once: one must refuse (exit 3), one must run."""
    procs = [start(ab, runs), start(ab, runs)]
    codes = sorted(p.wait(timeout=900) for p in procs)
    if codes != [0, 3]:
        raise AssertionError(f"exit codes {codes}, expected [0, 3]")
    return set()


def stale_lock(ab: Path, runs: Path) -> set[str]:
    """The runs lock's holder was killed: the next run must take it over, not wait."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from wgan_suite.harness.lock import runs_lock; "
         "ctx = runs_lock(Path(sys.argv[1]), 'run'); ctx.__enter__(); print('x', flush=True); "
         "time.sleep(600)", str(runs)],
        env=ENV, stdout=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    holder.stdout.readline()
    kill_session(holder)
    return set()


SCENARIOS = {
    f.__name__: f
    for f in (
        kill_driver,
        kill_worker,
        truncated_checkpoint,
        garbled_checkpoint,
        torn_records,
        garbled_records,
        garbled_status,
        status_says_running,
        concurrent_runs,
        stale_lock,
    )
}


# --------------------------------------------------------------------------- scoring


def score(name: str, work: Path, ab: Path, reference: dict[str, list[dict]]) -> dict:
    runs = work / name
    t0 = time.monotonic()
    try:
        damaged = SCENARIOS[name](ab, runs)
        before = snapshot(runs)
        code = run(ab, runs)  # the recovery
    except Exception as err:  # the scenario itself failed: report it, go on
        return {"scenario": name, "error": f"{type(err).__name__}: {err}"}
    after = {p.name: p for p in trial_dirs(runs)}
    final = {n: current_status(p, active=False)["status"] for n, p in after.items()}
    lost = sum(final.get(n) != "finished" for n in reference)
    wrong = sum(records_of(after[n]) != ref for n, ref in reference.items() if n in after)
    redone = 0
    for n, (rows, started) in before.items():
        if n in damaged:
            continue
        if records_of(after[n]) != rows or read_status(after[n]).get("started") != started:
            redone += 1
    return {
        "scenario": name,
        "trials": len(reference),
        "damaged": len(damaged),
        "lost": lost,
        "recomputed": redone,
        "wrong": wrong,
        "exit": code,
        "seconds": round(time.monotonic() - t0),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("scenarios", nargs="*", help=f"some of: {', '.join(SCENARIOS)} (default: all)")
    p.add_argument("--keep", type=Path, help="work in this directory (default: a new temp dir)")
    args = p.parse_args()
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        p.error(f"unknown scenario(s) {', '.join(sorted(unknown))}; known: {', '.join(SCENARIOS)}")
    work = args.keep or Path(tempfile.mkdtemp(prefix="wgan-faults-"))
    work.mkdir(parents=True, exist_ok=True)
    ab = work / "faults.yaml"
    ab.write_text(yaml.safe_dump(ABLATION, sort_keys=False))
    if run(ab, work / "reference") != 0:
        print(f"the clean reference run failed; see {work}", file=sys.stderr)
        return 1
    reference = {p.name: records_of(p) for p in trial_dirs(work / "reference")}
    cols = ("scenario", "trials", "damaged", "lost", "recomputed", "wrong", "exit", "seconds")
    print(" | ".join(f"{c:>20}" if c == "scenario" else c for c in cols), flush=True)
    bad = 0
    for name in args.scenarios or SCENARIOS:
        row = score(name, work, ab, reference)
        if "error" in row:
            print(f"{name:>20} | ERROR {row['error']}", flush=True)
            bad += 1
            continue
        bad += row["lost"] + row["recomputed"] + row["wrong"] + (row["exit"] != 0)
        cells = [f"{row[c]:>20}" if c == "scenario" else f"{row[c]:>{len(c)}}" for c in cols]
        print(" | ".join(cells), flush=True)
    print(f"{'all zero' if not bad else 'FAILURES'}; runs directories and logs in {work}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
