"""Ray Tune is the only scheduler: every trial of a grid is one Tune trial.

``run_trial`` knows nothing about Ray; this adapter turns its records into
``tune.report`` calls with Tune checkpoints and prints one progress line per event
instead of Ray's logs. Which trials to schedule is decided before (``wgan_suite.harness.plan``).

Failures are split in two. A trial that raises is a result: its status says
``failed`` with the traceback and Tune sees it end normally, so it is not retried.
A trial whose worker process or node dies is not: Tune retries it
(``MAX_RETRIES``) from its last checkpoint, on any node.

Before anything is scheduled, a cluster address must answer (``connect_check``) and some
node must have the resources each trial asks for (``check_resources``): Ray would
otherwise wait forever, silently, for a node that never comes.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import torch

from wgan_suite.core import env
from wgan_suite.core.env import RAY_ENV
from wgan_suite.core.errors import InputError
from wgan_suite.core.layout import RunsDir, TrialDir
from wgan_suite.core.provenance import code_hash, code_identity
from wgan_suite.core.statuses import DONE, TrialStatus
from wgan_suite.harness import reaper
from wgan_suite.harness.ablation import TrialSpec
from wgan_suite.harness.plan import trial_dir
from wgan_suite.harness.preflight import (
    disk_full_reason,
    is_disk_full,
    out_of_space,
    says_disk_full,
)
from wgan_suite.harness.progress import Estimates, Progress, measured_durations
from wgan_suite.trial.config import TrialConfig
from wgan_suite.trial.trial_status import (
    carried_start,
    current_status,
    provenance,
    read_status,
    write_status,
)

MAX_RETRIES = 3  # per trial, for lost workers and nodes (a trial that raises is not retried)
CONNECT_TIMEOUT_S = 30.0  # for a cluster address to complete Ray's handshake
DISK_FULL_KEY = "disk_full"  # in a trial's last report: the driver stops the whole grid


class DiskFull(InputError):
    """A write under the runs directory met a full disk: the grid stopped (exit 2)."""


# --------------------------------------------------------------------------- inside a trial


def _record_metrics(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if isinstance(v, (int, float, str)) and k != "checkpoint"}


def _adopt_tune_checkpoint(path: Path) -> None:
    """After a Tune retry or restore on another node, start from Tune's copy."""
    # deferred: ray takes ~1.5 s to import; only `run`/`reproduce` and their workers use it
    from ray import tune

    ckpt = tune.get_checkpoint()
    trial = TrialDir(path)
    if ckpt is not None and not trial.checkpoint.exists():
        with ckpt.as_directory() as d:
            shutil.copytree(d, trial.checkpoint_dir, dirs_exist_ok=True)


def train_one(tune_config: dict[str, Any]) -> None:
    """The Tune function trainable: one resolved trial config, one trial directory."""
    # deferred: ray takes ~1.5 s to import; only `run`/`reproduce` and their workers use it
    from ray import tune

    payload = tune_config["trial"]
    path = Path(payload["dir"])
    config = TrialConfig.model_validate(payload["config"])
    device = torch.device("cuda" if payload["gpu"] > 0 else "cpu")
    if device.type == "cuda":  # Ray does not partition GPU memory between packed trials
        torch.cuda.set_per_process_memory_fraction(min(1.0, payload["gpu"] * 0.95))
    torch.set_num_threads(max(1, int(payload["cpu"])))

    def warn(message: str) -> None:  # what resuming repaired, kept in the status
        write_status(
            path, TrialStatus.RUNNING, warnings=[*read_status(path).get("warnings", []), message]
        )

    try:  # the first write too: a full disk is a result, never a lost worker to retry
        hardware = provenance(device)
        before = read_status(path).get("hardware")  # before this start overwrites it
        before = before if isinstance(before, dict) else None
        # until run_trial says whether it goes on from a checkpoint (on_start), the earlier
        # starts are kept as if it did: a worker lost before then cannot drop them
        hardware |= carried_start(hardware, before, resumes=True)
        path.mkdir(parents=True, exist_ok=True)
        write_status(
            path,
            TrialStatus.RUNNING,
            trial_id=payload["trial_id"],
            config_hash=config.hash(),
            code=code_identity(),
            hardware=hardware,
            started=time.time(),
            reason=None,
            traceback=None,
        )
        _check_code(payload)
        # deferred: the training loop (its metrics, matplotlib) loads in the Ray worker
        # that trains, not in the driver the CLI imports this module into
        from wgan_suite.trial.train import run_trial

        _adopt_tune_checkpoint(path)
        saved = TrialDir(path).checkpoint_dir
        row: dict[str, Any] = {}

        def started_from(iteration: int) -> None:  # run_trial's answer: scratch or not
            fields = carried_start(hardware, before, resumes=iteration > 0)
            write_status(path, TrialStatus.RUNNING, hardware={**hardware, **fields})

        for row in run_trial(config, path, device=device, on_warning=warn, on_start=started_from):
            ckpt = (
                tune.Checkpoint.from_directory(str(saved))
                if "checkpoint" in row and saved.is_dir()
                else None
            )
            tune.report(_record_metrics(row), checkpoint=ckpt)
    except Exception as exc:  # a result, not a crash: recorded, reported, not retried
        reason = f"{type(exc).__name__}: {exc}"
        full = is_disk_full(exc, path)
        if full:  # the user's to fix: the driver stops the grid and exits 2 naming it
            reason = disk_full_reason(path)
        failed = {"reason": reason, "traceback": traceback.format_exc(), "ended": time.time()}
        if not _status_written(path, TrialStatus.FAILED, **failed):
            full, reason = True, disk_full_reason(path)  # the report below tells the driver
        tune.report({"status": TrialStatus.FAILED, "reason": reason[:500], DISK_FULL_KEY: full})
        return
    ended = _status_written(
        path,
        row["status"],
        reason=row.get("reason"),
        iteration=row["iteration"],
        wall_time=row.get("wall_time"),
        ended=time.time(),
    )
    if not ended:  # its records are kept: the next run resumes it and finishes
        tune.report(
            {"status": TrialStatus.FAILED, "reason": disk_full_reason(path), DISK_FULL_KEY: True}
        )


def _status_written(path: Path, status: str, **fields: Any) -> bool:
    """``write_status``; False where the disk is full (the caller reports it to the
    driver, which stops the grid: never a lost worker to retry). Other errors raise."""
    try:
        write_status(path, status, **fields)
    except OSError as err:
        if not is_disk_full(err, path):
            raise
        return False
    return True


def _check_code(payload: dict[str, Any]) -> None:
    """A worker must run the driver's code, or its results would be filed under another."""
    mine = code_hash()
    if payload.get("code_hash") not in (None, mine):
        raise RuntimeError(
            f"this worker runs other code (code hash {mine[:12]}) than the driver "
            f"({payload['code_hash'][:12]}): install the same suite on every node"
        )


# --------------------------------------------------------------------------- driver side


ADDRESS = re.compile(r"^(?:ray://)?(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5})$")


def parse_address(address: str) -> tuple[str, int] | None:
    """``host:port`` (or ``ray://host:port``) -> (host, port); ``auto`` -> None."""
    if address == "auto":
        return None
    m = ADDRESS.match(address)
    if not m or not 0 < int(m["port"]) < 65536:
        raise InputError(
            f"--address {address!r}: expected HOST:PORT of a Ray head node "
            "(e.g. 127.0.0.1:6379, as `ray start --head` prints), or 'auto'"
        )
    return m["host"].strip("[]"), int(m["port"])


_ANSWERED: set[str] = set()  # addresses that passed connect_check in this process
PROBE = "import logging, sys, ray; ray.init(address=sys.argv[1], logging_level=logging.ERROR)"


def connect_check(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Fail in seconds, naming the address, when no Ray cluster answers there.

    ``ray.init`` retries an unreachable address for minutes, silently. A TCP connect
    answers a refused or unroutable address at once; a throwaway driver process then
    checks the handshake within ``timeout_s`` (a port that is open but not Ray's).
    """
    if address in _ANSWERED:
        return
    target = parse_address(address)
    if target is not None:
        try:
            socket.create_connection(target, timeout=min(5.0, timeout_s)).close()
        except OSError as err:
            raise InputError(
                f"--address {address}: no Ray cluster answers at {target[0]}:{target[1]} "
                f"({err.strerror or err}); start one with `ray start --head` or omit --address"
            ) from None
    child_env = {**RAY_ENV, **os.environ}
    try:
        probe = subprocess.run(
            [sys.executable, "-c", PROBE, address],
            env=child_env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        raise InputError(
            f"--address {address}: no Ray handshake within {timeout_s:.0f} s "
            "(is that the head node's GCS port?)"
        ) from None
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no output"])[-1][:300]
        raise InputError(f"--address {address}: cannot connect to a Ray cluster: {last}")
    _ANSWERED.add(address)


# Set before ray is imported (read then), here rather than in core.env.RAY_ENV, which the
# training code's hash covers: Ray's core worker installs a C++ failure handler for SIGTERM
# (a stack dump, then SIGABRT) at ray.init and puts SIGTERM back to the default action in
# ray.shutdown(), under the suite's own handler, so a `kill` in that second (about 1.1-1.4 s)
# ended a run with exit 143 before its tables. Off, SIGTERM stays the suite's throughout
# (tests/test_tune.py); a crashing worker loses the C++ stack dump in its log.
DRIVER_ENV = {"RAY_DISABLE_FAILURE_SIGNAL_HANDLER": "1"}


def _init_ray(address: str | None, verbose: bool) -> bool:
    """Connect to a cluster or start a local one; True when this call started Ray."""
    for key, value in {**RAY_ENV, **DRIVER_ENV}.items():
        os.environ.setdefault(key, value)
    # deferred: ray takes ~1.5 s to import; only `run`/`reproduce` and their workers use it
    import ray

    if not verbose:  # failures are in the progress lines and the trials table
        logging.getLogger("ray").setLevel(logging.CRITICAL)
    if ray.is_initialized():
        return False
    quiet = {"log_to_driver": verbose, "logging_level": logging.INFO if verbose else logging.ERROR}
    # the suite's settings (data and cache dirs, weights, offline) reach every worker,
    # also on a cluster whose nodes did not start from this shell
    suite_env = env.suite_variables()
    if suite_env:
        quiet["runtime_env"] = {"env_vars": suite_env}
    if address:
        connect_check(address)
        ray.init(address=address, **quiet)
    else:
        with reaper.watch() as session:  # Ray's agents outlive a killed driver: this ends them
            ctx = ray.init(
                address="local", num_cpus=os.cpu_count(), include_dashboard=False, **quiet
            )
            session(ctx.address_info.get("session_dir"))
    return True


def check_resources(todo: Sequence[TrialSpec]) -> None:
    """Every trial's bundle must fit on one live node, or Ray would wait for it forever."""
    # deferred: ray takes ~1.5 s to import; only `run`/`reproduce` and their workers use it
    import ray

    nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
    for cpu, gpu in sorted({(s.resources.cpu, s.resources.gpu) for s in todo}):
        if any(n.get("CPU", 0) >= cpu and n.get("GPU", 0) >= gpu for n in nodes):
            continue
        example = next(s for s in todo if (s.resources.cpu, s.resources.gpu) == (cpu, gpu))
        offer = "; ".join(f"CPU {n.get('CPU', 0):g}, GPU {n.get('GPU', 0):g}" for n in nodes)
        raise InputError(
            f"ablation {example.ablation} (budget {example.budget}) asks for cpu: {cpu:g}, "
            f"gpu: {gpu:g} per trial, but no node of the Ray cluster has that "
            f"({len(nodes)} node(s): {offer or 'none'}); lower its resources or use a "
            "cluster that has them"
        )


def check_local_resources(todo: Sequence[TrialSpec]) -> None:
    """Before anything is written: on a local run (no cluster), every trial's cpu and gpu
    must fit this machine, or the run is refused here rather than after Ray started and
    the runs directory was touched (a refused run writes nothing)."""
    if not todo:
        return
    cpus = os.cpu_count() or 1
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    for cpu, gpu in sorted({(s.resources.cpu, s.resources.gpu) for s in todo}):
        if cpu <= cpus and gpu <= gpus:
            continue
        example = next(s for s in todo if (s.resources.cpu, s.resources.gpu) == (cpu, gpu))
        raise InputError(
            f"ablation {example.ablation} (budget {example.budget}) asks for cpu: {cpu:g}, "
            f"gpu: {gpu:g} per trial, but this machine has {cpus} CPU(s) and {gpus} GPU(s); "
            "lower its resources, or pass --address of a Ray cluster that has them"
        )


def run_grid(
    todo: Sequence[TrialSpec],
    runs: Path,
    *,
    address: str | None = None,
    verbose: bool = False,
    name: str = "grid",
    reused: int = 0,
    on_stuck: Callable[[], None] | None = None,
) -> list[TrialSpec]:
    """Schedule exactly these trials through one Tuner; returns them.

    ``on_stuck``: called (from another thread) when a SIGTERM's stop has not ended the grid
    within ``env.term_deadline()`` seconds; it is expected to end the process.
    """
    runs = runs.resolve()
    if not todo:
        return []
    started = _init_ray(address, verbose)
    # deferred: ray takes ~1.5 s to import; only `run`/`reproduce` and their workers use it
    from ray import tune
    from ray.tune.logger import TBXLoggerCallback

    # Ray's own answer to SIGTERM ends the driver with no summary and trials left "running"
    # (the hostile probe: exit -6, a C++ stack dump and SIGABRT, before DRIVER_ENV turned
    # that handler off): a `kill` or a container stop is Ctrl-C here instead.
    main = threading.current_thread() is threading.main_thread()  # signals: main thread only
    term = TermAsCtrlC(on_stuck) if main else None
    if term is not None:
        term.install()
    try:
        check_resources(todo)
        current = code_hash()
        payloads = [
            {
                "trial_id": s.trial_id,
                "dir": str(trial_dir(runs, s)),
                "config": s.config.to_dict(),
                "cpu": s.resources.cpu,
                "gpu": s.resources.gpu,
                "code_hash": current,
            }
            for s in todo
        ]
        trainable = tune.with_resources(
            train_one,
            lambda cfg: tune.PlacementGroupFactory(
                [{"CPU": cfg["trial"]["cpu"], "GPU": cfg["trial"]["gpu"]}]
            ),
        )
        full_disk = _full_disk_stopper(runs)
        progress = Progress(
            todo,
            slots=_slots(todo),
            reused=reused,
            estimates=Estimates(measured_durations(runs)),
            retries=MAX_RETRIES,
            stopping=full_disk.stop_all,
        )
        print(progress.plan_line(), flush=True)
        print(
            f"curves live: tensorboard --logdir {RunsDir(runs).tune} (Ctrl-C stops; the same "
            "command resumes)",
            flush=True,
        )
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        tuner = tune.Tuner(
            trainable,
            param_space={"trial": tune.grid_search(payloads)},
            tune_config=tune.TuneConfig(
                trial_dirname_creator=lambda t: t.config["trial"]["trial_id"],
                trial_name_creator=lambda t: t.config["trial"]["trial_id"],
                reuse_actors=True,  # one worker process per slot, not per trial
            ),
            run_config=tune.RunConfig(
                name=f"{name}-{stamp}",
                storage_path=str(RunsDir(runs).tune),
                verbose=2 if verbose else 0,
                callbacks=[full_disk.watch, progress.callback(), TBXLoggerCallback()],
                checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
                failure_config=tune.FailureConfig(max_failures=MAX_RETRIES),
                stop=full_disk,
            ),
        )
        state_log = logging.getLogger(TUNE_STATE_LOGGER)
        state_log.addFilter(full_disk.log_filter)
        try:
            grid = tuner.fit()
        finally:
            state_log.removeFilter(full_disk.log_filter)
        _mark_lost_trials(grid, todo, runs)
        if full_disk.reason is not None:
            raise DiskFull(full_disk.reason)
    finally:
        try:
            # SIGTERM stays ours through Ray's shutdown: Ray's C++ failure handler, which
            # put SIGTERM back to the default action part-way through it (exit 143 before
            # the tables), is off (DRIVER_ENV; tests/test_tune.py).
            if term is not None:
                term.shutting_down = True
            if started:
                _shutdown_ray(ignore_ctrl_c=main)
        finally:
            if term is not None:  # Ray is down in time: collect and the report go on
                term.restore()
                term.cancel()
                if term.late:
                    print(
                        "SIGTERM while Ray shut down, after the training: the tables are "
                        "written first",
                        file=sys.stderr,
                        flush=True,
                    )
    return list(todo)


def _shutdown_ray(ignore_ctrl_c: bool) -> None:
    """``ray.shutdown()``; ``ignore_ctrl_c`` (main thread): a Ctrl-C inside it (the user's
    second) would leave Ray's core worker without its raylet, and the core worker then ends
    the process (exit 1, no summary), so the driver ignores SIGINT until Ray is down."""
    # deferred: ray takes ~1.5 s to import; only `run`/`reproduce` and their workers use it
    import ray

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if ignore_ctrl_c else None
    try:
        ray.shutdown()
    finally:
        reaper.release()  # what a shut-down Ray still has running ends now
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


class TermAsCtrlC:
    """While the grid runs (main thread), SIGTERM is Ctrl-C: Tune stops the trials at
    their checkpoints. The first SIGTERM also starts a deadline: ``on_stuck`` runs (in a
    timer thread) if ``cancel`` has not come ``env.term_deadline()`` seconds later.

    Why the deadline: a SIGTERM to the whole process group (systemd's stop, Slurm's
    scancel) also ends Ray's own processes, which block SIGINT but not SIGTERM; Tune's stop
    then waits on a GCS that is gone, and Ray's core worker ends the process after 60 s with
    nothing said. Slurm sends SIGKILL 30 s after SIGTERM by default."""

    def __init__(self, on_stuck: Callable[[], None] | None) -> None:
        self.on_stuck = on_stuck
        self.seconds = env.term_deadline()
        self.deadline: threading.Timer | None = None
        self.lock = threading.Lock()
        self.ended = False  # the grid ended: the deadline must not act any more
        self.shutting_down = False  # the trials have ended and Ray is being shut down
        self.late = False  # a SIGTERM came then: said once Ray is down

    def install(self) -> None:
        self.previous = signal.signal(signal.SIGTERM, self._on_term)

    def _on_term(self, *_: Any) -> None:
        if self.shutting_down:  # nothing left to stop (and Ctrl-C is ignored meanwhile)
            self.late = True
        else:
            os.kill(os.getpid(), signal.SIGINT)
        if self.on_stuck is not None and self.deadline is None:
            self.deadline = threading.Timer(self.seconds, self._past_deadline)
            self.deadline.daemon = True
            self.deadline.start()

    def _past_deadline(self) -> None:
        with self.lock:  # cancel() and this never both go on
            if self.ended:
                return
            self.on_stuck()

    def restore(self) -> None:
        signal.signal(signal.SIGTERM, self.previous)

    def cancel(self) -> None:
        with self.lock:
            self.ended = True
        if self.deadline is not None:
            self.deadline.cancel()


def _full_disk_stopper(runs: Path) -> Any:
    """A Tune stopper that ends every trial once one reports a full disk: the others
    would only meet it too. They are interrupted, and the same command resumes them.
    Its ``watch`` callback catches what no trial can report: Ray Tune's own writes
    (checkpoints, results, its error files) failing on a full disk reach the driver as a
    lost worker, which Tune would retry into the same full disk."""
    # deferred: ray takes ~1.5 s to import; only `run`/`reproduce` and their workers use it
    from ray import tune

    class FullDisk(tune.Stopper):
        reason: str | None = None

        def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
            if result.get(DISK_FULL_KEY) and self.reason is None:
                self.reason = str(result.get("reason"))
            return False

        def stop_all(self) -> bool:
            return self.reason is not None

    stopper = FullDisk()

    class Watch(tune.Callback):
        def on_trial_recover(self, iteration, trials, trial, **info):
            self._check(trial)

        def on_trial_error(self, iteration, trials, trial, **info):
            self._check(trial)

        def _check(self, trial: Any) -> None:
            if stopper.reason is None and lost_to_full_disk(trial.error_file, runs):
                stopper.reason = disk_full_reason(runs)

    class StateNotSaved(logging.Filter):
        """Ray Tune saves its experiment state from the driver and, when that write fails,
        logs the error with a traceback and goes on: on a full disk, stop the grid and
        say so in the one disk-full line instead."""

        def filter(self, record: logging.LogRecord) -> bool:
            exc = record.exc_info[1] if record.exc_info else None
            if exc is None or not is_disk_full(exc, runs):
                return True
            stopper.reason = stopper.reason or disk_full_reason(runs)
            return False

    stopper.watch, stopper.log_filter = Watch(), StateNotSaved()
    return stopper


TUNE_STATE_LOGGER = "ray.tune.execution.experiment_state"  # where Tune reports a failed save


def lost_to_full_disk(error_file: str | None, runs: Path) -> bool:
    """Whether a trial Tune saw fail was failed by a full disk: the error Tune wrote for
    it names it; only when Tune could not write one (or it cannot be read) does the free
    space of the runs directory decide (a crash while the disk is merely nearly full is
    a crash, retried as one)."""
    text = None
    if error_file:
        try:
            with open(error_file, "rb") as fh:
                fh.seek(max(os.fstat(fh.fileno()).st_size - 4096, 0))
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            pass
    if text:
        return says_disk_full(text)
    return out_of_space(runs)


def _slots(todo: Sequence[TrialSpec]) -> int:
    """How many of these trials Ray can run at once (its CPUs and GPUs over their asks)."""
    # deferred: ray takes ~1.5 s to import; only `run`/`reproduce` and their workers use it
    import ray

    have = ray.cluster_resources()
    fits = []
    for s in todo:
        n = have.get("CPU", 1) // s.resources.cpu if s.resources.cpu else len(todo)
        if s.resources.gpu:
            n = min(n, have.get("GPU", 0) // s.resources.gpu)
        fits.append(n)
    return int(max(1, min(len(todo), min(fits))))


def _mark_lost_trials(grid: Any, todo: Sequence[TrialSpec], runs: Path) -> None:
    """Give every trial Tune ended without a final record a status that says why.

    A trial Tune stopped (Ctrl-C on the driver: no error) is ``interrupted`` and the next
    ``run`` resumes it from its checkpoint; one whose worker died more often than retried
    is ``failed`` with Tune's error. Tune reports a trial it never started without a
    config: it has no directory and stays pending.
    """
    by_id = {s.trial_id: s for s in todo}
    for result in grid:
        trial = (result.config or {}).get("trial") or {}
        spec = by_id.get(trial.get("trial_id"))
        if spec is None:
            continue
        path = trial_dir(runs, spec)
        if current_status(path, active=False)["status"] in (*DONE, TrialStatus.FAILED):
            continue
        # on a full disk the status stays "running", which the next run resumes
        if result.error is None:
            _status_written(
                path, TrialStatus.INTERRUPTED, reason="stopped before it ended; `run` resumes it"
            )
        else:
            _status_written(path, TrialStatus.FAILED, reason=str(result.error)[:2000])
