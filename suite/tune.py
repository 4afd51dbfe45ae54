"""Ray Tune is the only scheduler (STYLE 18): every trial of a grid is one Tune trial.

``run_trial`` knows nothing about Ray; this adapter turns its records into
``tune.report`` calls with Tune checkpoints, skips trials whose directory already
holds a result (trial identity is a hash, so reruns and overlapping ablations
reuse cells), and prints one progress line per event instead of Ray's logs.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import traceback
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import torch

from suite.ablation import TrialSpec
from suite.config import TrialConfig
from suite.trial_status import DONE, provenance, read_status, write_status

RAY_ENV = {
    "RAY_AUTH_MODE": "disabled",
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_AIR_NEW_OUTPUT": "0",
    "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0",
    "RAY_TRAIN_ENABLE_V2_MIGRATION_WARNINGS": "0",
    "RAY_CHDIR_TO_TRIAL_DIR": "0",
    "RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO": "1",  # a 0-GPU trial must not see (and use) the GPU
    "TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S": "0",
    "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1",  # the suite reads its own trial directories
}


def trial_dir(runs: Path, spec: TrialSpec) -> Path:
    return runs / "trials" / spec.dirname


def pending(specs: Sequence[TrialSpec], runs: Path, retry_failed: bool = True) -> list[TrialSpec]:
    """Trials without a result yet, each once (a cell shared by ablations trains once)."""
    seen, todo = set(), []
    for spec in specs:
        if spec.trial_id in seen:
            continue
        seen.add(spec.trial_id)
        status = read_status(trial_dir(runs, spec))["status"]
        if status in DONE or (status == "failed" and not retry_failed):
            continue
        todo.append(spec)
    return todo


# --------------------------------------------------------------------------- inside a trial


def _record_metrics(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if isinstance(v, (int, float, str)) and k != "checkpoint"}


def _adopt_tune_checkpoint(path: Path) -> None:
    """After a Tune retry or restore on another node, start from Tune's copy."""
    from ray import tune

    ckpt = tune.get_checkpoint()
    if ckpt is not None and not (path / "checkpoint" / "state.pt").exists():
        with ckpt.as_directory() as d:
            shutil.copytree(d, path / "checkpoint", dirs_exist_ok=True)


def train_one(tune_config: dict[str, Any]) -> None:
    """The Tune function trainable: one resolved trial config, one trial directory."""
    from ray import tune

    payload = tune_config["trial"]
    path = Path(payload["dir"])
    config = TrialConfig.model_validate(payload["config"])
    device = torch.device("cuda" if payload["gpu"] > 0 else "cpu")
    if device.type == "cuda":  # Ray does not partition GPU memory between packed trials
        torch.cuda.set_per_process_memory_fraction(min(1.0, payload["gpu"] * 0.95))
    torch.set_num_threads(max(1, int(payload["cpu"])))
    path.mkdir(parents=True, exist_ok=True)
    write_status(
        path,
        "running",
        trial_id=payload["trial_id"],
        config_hash=config.hash(),
        hardware=provenance(device),
        started=time.time(),
        reason=None,
        traceback=None,
    )
    try:
        from suite.train import run_trial

        _adopt_tune_checkpoint(path)
        row: dict[str, Any] = {"status": "finished", "iteration": 0}
        for row in run_trial(config, path, device=device):
            ckpt = (
                tune.Checkpoint.from_directory(str(path / "checkpoint"))
                if "checkpoint" in row
                else None
            )
            tune.report(_record_metrics(row), checkpoint=ckpt)
    except Exception as exc:
        write_status(
            path,
            "failed",
            reason=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
            ended=time.time(),
        )
        raise
    write_status(
        path,
        row["status"],
        reason=row.get("reason"),
        iteration=row["iteration"],
        wall_time=row.get("wall_time"),
        ended=time.time(),
    )


# --------------------------------------------------------------------------- driver side


class Progress:
    """One line per event: trials done / running / pending and the current iteration."""

    def __init__(self, specs: Sequence[TrialSpec], every_s: float = 10.0) -> None:
        from ray import tune

        self.names = {s.trial_id: s.dirname for s in specs}
        self.iters = {s.trial_id: s.config.iterations for s in specs}
        self.total, self.every_s = len(specs), every_s
        self.running: set[str] = set()
        self.done = 0
        self.last: dict[str, float] = {}
        progress = self

        class Callback(tune.Callback):
            def on_trial_start(self, iteration, trials, trial, **info):
                progress.running.add(progress.key(trial))
                progress.line(trial, "started")

            def on_trial_result(self, iteration, trials, trial, result, **info):
                key = progress.key(trial)
                if time.monotonic() - progress.last.get(key, 0) >= progress.every_s:
                    progress.last[key] = time.monotonic()
                    it = result.get("iteration", 0)
                    progress.line(trial, f"iteration {it}/{progress.iters[key]}")

            def on_trial_complete(self, iteration, trials, trial, **info):
                progress.finish(trial, "ended")

            def on_trial_error(self, iteration, trials, trial, **info):
                progress.finish(trial, "FAILED")

        self.callback = Callback()

    @staticmethod
    def key(trial: Any) -> str:
        return trial.config["trial"]["trial_id"]

    def finish(self, trial: Any, what: str) -> None:
        self.running.discard(self.key(trial))
        self.done += 1
        self.line(trial, what)

    def line(self, trial: Any, what: str) -> None:
        pend = self.total - self.done - len(self.running)
        print(
            f"[done {self.done} | running {len(self.running)} | pending {pend}] "
            f"{self.names[self.key(trial)]}: {what}",
            flush=True,
        )


def _init_ray(address: str | None, verbose: bool) -> bool:
    """Connect to a cluster or start a local one; True when this call started Ray."""
    for key, value in RAY_ENV.items():
        os.environ.setdefault(key, value)
    import ray

    if not verbose:  # failures are in the progress lines and the trials table
        logging.getLogger("ray").setLevel(logging.CRITICAL)
    if ray.is_initialized():
        return False
    quiet = {"log_to_driver": verbose, "logging_level": logging.INFO if verbose else logging.ERROR}
    # the suite's settings (data and cache dirs, weights, offline) reach every worker,
    # also on a cluster whose nodes did not start from this shell
    suite_env = {k: v for k, v in os.environ.items() if k.startswith("WGAN_SUITE_")}
    if suite_env:
        quiet["runtime_env"] = {"env_vars": suite_env}
    if address:
        ray.init(address=address, **quiet)
    else:
        ray.init(address="local", num_cpus=os.cpu_count(), include_dashboard=False, **quiet)
    return True


def run_grid(
    specs: Sequence[TrialSpec],
    runs: Path,
    *,
    address: str | None = None,
    verbose: bool = False,
    retry_failed: bool = True,
    name: str = "grid",
) -> list[TrialSpec]:
    """Schedule every pending trial through one Tuner; returns the trials it scheduled."""
    runs = runs.resolve()
    todo = pending(specs, runs, retry_failed)
    if not todo:
        return []
    started = _init_ray(address, verbose)
    from ray import tune

    try:
        payloads = [
            {
                "trial_id": s.trial_id,
                "dir": str(trial_dir(runs, s)),
                "config": s.config.to_dict(),
                "cpu": s.resources.cpu,
                "gpu": s.resources.gpu,
            }
            for s in todo
        ]
        trainable = tune.with_resources(
            train_one,
            lambda cfg: tune.PlacementGroupFactory(
                [{"CPU": cfg["trial"]["cpu"], "GPU": cfg["trial"]["gpu"]}]
            ),
        )
        progress = Progress(todo)
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
                storage_path=str(runs / "tune"),
                verbose=2 if verbose else 0,
                callbacks=[progress.callback],
                checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
                failure_config=tune.FailureConfig(max_failures=0),
            ),
        )
        grid = tuner.fit()
        _mark_lost_trials(grid, todo, runs)
    finally:
        if started:
            import ray

            ray.shutdown()
    return todo


def _mark_lost_trials(grid: Any, todo: Sequence[TrialSpec], runs: Path) -> None:
    """A worker that died (OOM, segfault) wrote no status: record Tune's error as the reason."""
    by_id = {s.trial_id: s for s in todo}
    for result in grid:
        spec = by_id.get(result.config["trial"]["trial_id"])
        if spec is None:
            continue
        path = trial_dir(runs, spec)
        if read_status(path)["status"] not in (*DONE, "failed"):
            write_status(path, "failed", reason=str(result.error or "trial ended without a result"))
