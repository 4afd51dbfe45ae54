"""One trial, from a resolved config to a stream of records, checkpoints and sample grids.

Files in ``trial_dir`` (each written atomically or append-only):
  config.json          the resolved config and the code that runs it, written first
  records.jsonl        one line per logged generator iteration
  checkpoint/state.pt  the latest full training state (weights_only loadable, checksummed)
  checkpoint-previous/state.pt  the one before it: the fallback when the latest is damaged
  samples/iter_NNNNNNN.png  the fixed-noise grid at iteration 0 and each checkpoint
  corrupt/             damaged files moved aside on resume, named in a warning
A rerun with the same config resumes from the newest checkpoint that is intact and
has its record, and produces the same records as an uninterrupted run (on CPU, bit
for bit, wall time aside). A trial whose records already end it is not retrained.

Iteration 0 is scored too, before any training step (metrics, the Lipschitz stats of
the initial critic, a sample grid): a claim about what training does compares with
it, never with a value that initialisation alone produces (e.g. one clip of a He- or
DCGAN-initialised critic already puts most weights at the bound).
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

from wgan_suite.core import files
from wgan_suite.core.columns import Column
from wgan_suite.core.layout import TrialDir
from wgan_suite.core.provenance import code_identity
from wgan_suite.core.statuses import DONE, TrialStatus
from wgan_suite.trial.config import TrialConfig
from wgan_suite.trial.metrics import EvalContext, evaluate
from wgan_suite.trial.train.samples import save_samples
from wgan_suite.trial.train.state import TrainState, build_state, fixed_noise, generate
from wgan_suite.trial.train.step import train_step
from wgan_suite.trial.trial_status import read_records

CHECKPOINT = TrialDir.checkpoint_rel()  # relative to the trial directory
PREVIOUS = TrialDir.previous_rel()
Warn = Callable[[str], None]


class TrialWarning(UserWarning):
    """Something was repaired on resume (a damaged file moved aside, work redone)."""


def _warn(message: str) -> None:
    warnings.warn(message, TrialWarning, stacklevel=3)


def move_aside(path: Path, trial_dir: Path) -> Path:
    """Keep a damaged file for inspection under ``corrupt/``, out of the resume's way."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = path.relative_to(trial_dir).as_posix().replace("/", "--")
    target = TrialDir(trial_dir).corrupt / f"{name}.{stamp}"
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    return target


def _prepare_dir(config: TrialConfig, trial_dir: Path, warn: Warn) -> None:
    """Write the config file, or check that the directory holds this config and this code."""
    trial_dir.mkdir(parents=True, exist_ok=True)
    path = TrialDir(trial_dir).config
    resolved = {"config": config.to_dict(), "config_hash": config.hash(), "code": code_identity()}
    try:
        old = files.read_json(path) if path.exists() else None
    except ValueError:  # garbled: the checkpoint's own config hash still guards the resume
        warn(f"{path} was unreadable; moved to {move_aside(path, trial_dir)} and rewritten")
        old = None
    if old is None:
        files.write_json(path, resolved)
        return
    if old.get("config_hash") != resolved["config_hash"]:
        raise ValueError(
            f"{trial_dir} holds a trial with another config (hash {old.get('config_hash')}); "
            "use a new directory"
        )
    ran = (old.get("code") or {}).get("code_hash")
    if ran != resolved["code"]["code_hash"]:
        raise ValueError(
            f"{trial_dir} holds a trial of other code (code hash {ran}); results of two "
            "versions of the code cannot be continued in one trial: use a new directory"
        )


def _usable_checkpoint(
    state: TrainState, trial_dir: Path, logged: set[int], warn: Warn
) -> dict[str, Any] | None:
    """The newest checkpoint that is intact and whose iteration has its record."""
    for rel in (CHECKPOINT, PREVIOUS):
        path = trial_dir / rel
        if not path.exists():
            continue
        try:
            saved = files.load_checkpoint(path, map_location=state.device)
        except files.CorruptFile as err:
            warn(f"{err}; moved to {move_aside(path, trial_dir)}")
            continue
        if saved["iteration"] not in logged:  # written, then the crash came before its record
            warn(f"{path}: iteration {saved['iteration']} has no record; not resumed from")
            continue
        return saved
    return None


def _resume(
    state: TrainState, trial_dir: Path, warn: Warn
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Load the newest usable checkpoint and drop records logged after it (they are redone).

    Returns (the final record when the records already end the trial, else None; the
    records kept).
    Records that are damaged (not merely torn at the end) are moved aside and the
    trial restarts from scratch: the records are the results and cannot be patched.
    """
    records = TrialDir(trial_dir).records
    try:
        rows, torn = read_records(trial_dir)
    except files.CorruptFile as err:
        warn(f"{err}; moved to {move_aside(records, trial_dir)}; restarting from scratch")
        rows, torn = [], None
        for rel in (CHECKPOINT, PREVIOUS):  # states whose records are gone
            if (trial_dir / rel).exists():
                move_aside(trial_dir / rel, trial_dir)
    if torn:
        warn(torn)
    if rows and rows[-1]["status"] in DONE:
        if torn:
            files.write_jsonl(records, rows)
        return rows[-1], rows
    saved = _usable_checkpoint(state, trial_dir, {0} | {r["iteration"] for r in rows}, warn)
    if saved is not None:
        state.load_state_dict(saved)
    goes_on = {"status": TrialStatus.RUNNING}  # a stopped trial runs again now
    kept = [
        {**r, **goes_on} if r["status"] == TrialStatus.STOPPED else r
        for r in rows
        if r["iteration"] <= state.iteration
    ]
    if records.exists() or kept:
        files.write_jsonl(records, kept)
    return None, kept


# The record's own columns: the loop's clocks and the step's terms (wgan_suite.trial.train.step).
# A loss declares its estimate terms and a Lipschitz method its stats on its entry; the
# metrics declare the checkpoint scores. Claims may name only declared columns.
RECORD_COLUMNS: dict[str, Column] = {
    "iteration": Column("generator iterations so far"),
    "images_seen": Column("real images the critic has seen so far"),
    "wall_time": Column("seconds of training so far (evaluation included)"),
    "eval_seconds": Column("seconds this checkpoint's metrics took"),
    "n_critic": Column("critic updates in this generator iteration (the schedule's n_critic)"),
    "loss_critic": Column("the critic's loss at its last update, penalty included"),
    "loss_generator": Column("the generator's loss at its update"),
    "penalty": Column("the Lipschitz penalty term of the critic's last update"),
    "grad_norm_critic": Column("norm of the critic's gradient at its last update"),
    "step_cos_critic": Column(
        "cosine between the critic optimizer's step and the descent direction -grad "
        "(WGAN Sec. 3: negative where Adam-trained WGANs blew up)"
    ),
}


def _record(state: TrainState, terms: dict[str, torch.Tensor], wall: float) -> dict[str, Any]:
    row: dict[str, Any] = {
        "iteration": state.iteration,
        "images_seen": state.images_seen,
        "wall_time": round(wall, 4),
        "status": TrialStatus.RUNNING,
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
    grid = TrialDir.grid_rel(state.iteration)
    save_samples(samples, trial_dir / grid, title)
    return {"sample_grid": str(grid)}


def _checkpoint(state: TrainState, trial_dir: Path, z: torch.Tensor) -> dict[str, Any]:
    """The new state, keeping the last one as the fallback (a rename: no copy)."""
    if (trial_dir / CHECKPOINT).exists():
        (trial_dir / PREVIOUS).parent.mkdir(exist_ok=True)
        os.replace(trial_dir / CHECKPOINT, trial_dir / PREVIOUS)
    files.save_checkpoint(state.state_dict(), trial_dir / CHECKPOINT)
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
        "status": TrialStatus.RUNNING,
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
    on_warning: Warn | None = None,
    on_start: Callable[[int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Train (or resume) one trial, yielding a record every ``log_every`` generator iterations.

    Every checkpoint iteration is also logged; its record names the checkpoint file
    and the sample grid and holds the scores of the config's ``metrics``. The last
    record has status ``finished``, ``diverged`` (a non-finite value, with the keys in
    ``reason``) or ``stopped`` (``should_stop`` returned True). A trial whose records
    already end it yields that final record again and trains nothing. What resuming
    had to repair is passed to ``on_warning`` (default: ``warnings.warn``). Before it
    trains, ``on_start`` hears the iteration training goes on from (0: from scratch,
    whatever checkpoints the directory held).
    """
    trial_dir = Path(trial_dir)
    warn = on_warning or _warn
    _prepare_dir(config, trial_dir, warn)
    state = build_state(config, device)
    final, kept = _resume(state, trial_dir, warn)
    if final is not None:
        yield final
        return
    if on_start is not None:
        on_start(state.iteration)
    z = fixed_noise(config, state.device)
    scorer = EvalContext(state)
    if state.iteration == 0 and not any(r["iteration"] == 0 for r in kept):
        row = _initial(state, trial_dir, z, scorer)
        files.append_jsonl(TrialDir(trial_dir).records, row)
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
            row.update(status=TrialStatus.DIVERGED, reason="non-finite " + ", ".join(bad))
        elif at_ckpt:
            row.update(_checkpoint(state, trial_dir, z), at_checkpoint=True)
            row.update(_scores(scorer, final=it == config.iterations))
            if it == config.iterations:
                row["status"] = TrialStatus.FINISHED
        stop = row["status"] == TrialStatus.RUNNING and should_stop is not None and should_stop()
        if stop:
            row["status"] = TrialStatus.STOPPED
        files.append_jsonl(TrialDir(trial_dir).records, row)
        yield row
        if row["status"] != TrialStatus.RUNNING:
            return
