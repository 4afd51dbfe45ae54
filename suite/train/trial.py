"""One trial, from a resolved config to a stream of records, checkpoints and sample grids.

Files in ``trial_dir`` (each written atomically or append-only):
  config.json          the resolved config, written before training (STYLE 8)
  records.jsonl        one line per logged generator iteration
  checkpoint/state.pt  the latest full training state (weights_only loadable)
  samples/iter_NNNNNNN.png  the fixed-noise grid at iteration 0 and each checkpoint
A rerun with the same config resumes from the checkpoint and produces the same
records as an uninterrupted run (on CPU, bit for bit, wall time aside).

Iteration 0 is scored too, before any training step (metrics, the Lipschitz stats of
the initial critic, a sample grid): a claim about what training does compares with
it, never with a value that initialisation alone produces (e.g. one clip of a He- or
DCGAN-initialised critic already puts most weights at the bound).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

from suite import io
from suite.config import TrialConfig
from suite.metrics import EvalContext, evaluate
from suite.train.samples import save_samples
from suite.train.state import TrainState, build_state, fixed_noise, generate
from suite.train.step import train_step

CHECKPOINT = Path("checkpoint") / "state.pt"


def _prepare_dir(config: TrialConfig, trial_dir: Path) -> None:
    trial_dir.mkdir(parents=True, exist_ok=True)
    path = trial_dir / "config.json"
    resolved = {"config": config.to_dict(), "config_hash": config.hash()}
    if path.exists():
        old = io.read_json(path)
        if old.get("config_hash") != resolved["config_hash"]:
            raise ValueError(
                f"{trial_dir} holds a trial with another config (hash {old.get('config_hash')}); "
                "use a new directory"
            )
    else:
        io.write_json(path, resolved)


def _resume(state: TrainState, trial_dir: Path) -> list[dict[str, Any]]:
    """Load the checkpoint if any, and drop records logged after it (they will be redone).

    Returns the records kept."""
    ckpt = trial_dir / CHECKPOINT
    records = trial_dir / "records.jsonl"
    if ckpt.exists():
        state.load_state_dict(io.torch_load(ckpt, map_location=state.device))
    kept = [
        {**r, "status": "running"} if r["status"] == "stopped" else r  # it goes on now
        for r in io.read_jsonl(records)
        if r["iteration"] <= state.iteration
    ]
    if records.exists():
        io.write_jsonl(records, kept)
    return kept


def _record(state: TrainState, terms: dict[str, torch.Tensor], wall: float) -> dict[str, Any]:
    row: dict[str, Any] = {
        "iteration": state.iteration,
        "images_seen": state.images_seen,
        "wall_time": round(wall, 4),
        "status": "running",
    }
    names = {"critic": "loss_critic", "generator": "loss_generator"}
    for key, value in terms.items():
        row[names.get(key, key)] = value.item()
    row.update(state.lipschitz.stats(state.critic))
    return row


def _nonfinite(row: dict[str, Any]) -> list[str]:
    return [k for k, v in row.items() if isinstance(v, float) and not math.isfinite(v)]


def _grid(state: TrainState, trial_dir: Path, z: torch.Tensor) -> dict[str, Any]:
    samples = generate(state.generator, z)
    title = f"{state.config.loss.name} / {state.config.generator.name}, iter {state.iteration}"
    grid = Path("samples") / f"iter_{state.iteration:07d}.png"
    save_samples(samples, trial_dir / grid, title)
    return {"sample_grid": str(grid)}


def _checkpoint(state: TrainState, trial_dir: Path, z: torch.Tensor) -> dict[str, Any]:
    io.torch_save(state.state_dict(), trial_dir / CHECKPOINT)
    return {"checkpoint": str(trial_dir / CHECKPOINT), **_grid(state, trial_dir, z)}


def _scores(scorer: EvalContext, final: bool) -> dict[str, Any]:
    tick = time.perf_counter()
    row = evaluate(scorer, final=final)
    row["eval_seconds"] = round(time.perf_counter() - tick, 4)
    return row


def _initial(state: TrainState, trial_dir: Path, z: torch.Tensor, scorer: EvalContext):
    """The record of iteration 0: the untrained networks scored like a checkpoint (no loss
    columns: nothing was trained; no checkpoint file: a fresh build gives the same state)."""
    row: dict[str, Any] = {
        "iteration": 0,
        "images_seen": 0,
        "wall_time": 0.0,
        "status": "running",
        "at_checkpoint": True,
        **state.lipschitz.stats(state.critic),
        **_grid(state, trial_dir, z),
    }
    row.update(_scores(scorer, final=False))
    return row


def run_trial(
    config: TrialConfig,
    trial_dir: str | Path,
    *,
    should_stop: Callable[[], bool] | None = None,
    device: torch.device | None = None,
) -> Iterator[dict[str, Any]]:
    """Train (or resume) one trial, yielding a record every ``log_every`` generator iterations.

    Every checkpoint iteration is also logged; its record names the checkpoint file
    and the sample grid and holds the scores of the config's ``metrics``. The last
    record has status ``finished``, ``diverged`` (a non-finite value, with the keys in
    ``reason``) or ``stopped`` (``should_stop`` returned True).
    """
    trial_dir = Path(trial_dir)
    _prepare_dir(config, trial_dir)
    state = build_state(config, device)
    kept = _resume(state, trial_dir)
    z = fixed_noise(config, state.device)
    scorer = EvalContext(state)
    if state.iteration == 0 and not any(r["iteration"] == 0 for r in kept):
        row = _initial(state, trial_dir, z, scorer)
        io.append_jsonl(trial_dir / "records.jsonl", row)
        yield row
    start = time.perf_counter() - state.wall_time
    while state.iteration < config.iterations:
        it = state.iteration + 1
        at_ckpt = it % config.checkpoint_every == 0 or it == config.iterations
        log_now = at_ckpt or it % config.log_every == 0
        terms = train_step(state, diagnostics=log_now)
        if not log_now:
            continue
        state.wall_time = time.perf_counter() - start
        row = _record(state, terms, state.wall_time)
        bad = _nonfinite(row)
        if bad:
            row.update(status="diverged", reason="non-finite " + ", ".join(bad))
        elif at_ckpt:
            row.update(_checkpoint(state, trial_dir, z), at_checkpoint=True)
            row.update(_scores(scorer, final=it == config.iterations))
            if it == config.iterations:
                row["status"] = "finished"
        stop = row["status"] == "running" and should_stop is not None and should_stop()
        if stop:
            row["status"] = "stopped"
        io.append_jsonl(trial_dir / "records.jsonl", row)
        yield row
        if row["status"] != "running":
            return
