"""Fake-but-real-format runs for the report tests: trial directories with real PNGs and
``config.json``, and the two tables as ``suite.results.collect`` writes them
(the columns README.md and suite/results.py document)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

from suite.claims import Verdict

ITERATIONS = 300
LOG_EVERY = 10
CHECKPOINT_EVERY = 100
HW = {
    "hw.device": "cpu",
    "hw.gpu_name": None,
    "hw.cpu": "x86_64",
    "hw.cpu_threads": 1,
    "hw.hostname": "testhost",
    "hw.python": "3.11.9",
    "hw.torch": "2.14.1",
    "hw.ray": "2.60.0",
    "hw.suite": "0.1.0",
}
WGAN = {"loss": "wgan", "lipschitz": "clip(c=0.01)", "c_optimizer": "rmsprop(lr=5e-05)"}
GAN = {"loss": "gan_ns", "lipschitz": "none", "c_optimizer": "adam(lr=0.0002,beta1=0.5)"}


def _grid_png(path: Path, rng: np.random.Generator) -> None:
    """An 8x8 grid of 16x16 grey 'samples', as the image trials write."""
    pixels = (rng.random((128, 128)) * 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, mode="L").save(path)


def _points_png(path: Path, rng: np.random.Generator) -> None:
    """A scatter of 2-D points, as the toy trials write."""
    img = Image.new("RGB", (200, 200), "white")
    draw = ImageDraw.Draw(img)
    for x, y in rng.normal(100, 40, size=(300, 2)):
        draw.ellipse((x - 1, y - 1, x + 1, y + 1), fill=(31, 119, 180))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


@dataclass
class Spec:
    ablation: str
    cell: dict[str, str]  # axis -> label
    seed: int
    status: str = "finished"
    quality: float = 20.0  # final fd_classifier (image) or w1 (toy)
    diversity: float = 0.9
    diverge_at: int | None = None  # last logged iteration of a diverged trial
    toy: bool = False
    layers: int = 0  # critic_grad_norm.Lxx columns
    c: float | None = None  # config.lipschitz.c

    @property
    def trial_id(self) -> str:
        key = json.dumps([self.ablation, self.cell, self.seed], sort_keys=True)
        return hashlib.sha256(key.encode()).hexdigest()[:12]


def _checkpoint(spec: Spec, it: int, rng: np.random.Generator) -> dict[str, Any]:
    frac = it / ITERATIONS
    if spec.toy:
        row = {"modes_covered": 8 - int(2 * (1 - frac)), "modes_total": 8}
        row |= {"high_quality_frac": 0.5 + 0.4 * frac, "w1": spec.quality * (2 - frac)}
    else:
        fd = spec.quality * (2 - frac) + rng.normal(0, 0.5)
        row = {"fd_classifier": fd, "fd_classifier_samples": 1000}
        row |= {"diversity_ratio": spec.diversity, "is_unavailable": "no Inception on CPU"}
        row[("w" if spec.cell.get("loss", "wgan") != "gan_ns" else "js") + "_estimate_eval"] = (
            fd / 10 + rng.normal(0, 0.05)
        )
    for layer in range(spec.layers):
        scale = 10 ** ((layer - spec.layers / 2) * np.log10(spec.c or 1.0) / 2)
        row[f"critic_grad_norm.L{layer:02d}"] = float(scale) if spec.c else 1.0
    return row | {"sample_grid": f"samples/iter_{it:07d}.png"}


def _records(spec: Spec, trial_dir: Path, rng: np.random.Generator) -> list[dict[str, Any]]:
    last = spec.diverge_at if spec.diverge_at is not None else ITERATIONS
    if spec.status == "failed":
        return []
    rows = []
    gan = spec.cell.get("loss") == "gan_ns"
    for it in range(0, last + 1, LOG_EVERY):
        estimate = 2.0 * np.exp(-it / 150) + rng.normal(0, 0.05)
        row: dict[str, Any] = {
            "iteration": it,
            "images_seen": it * 64 * 5,
            "wall_time": 0.05 * it,
            "record_status": "running",
            "loss_critic": -estimate,
            "step_cos_critic": rng.uniform(-0.3 if "adam" in str(spec.cell) else 0.2, 1.0),
            "at_checkpoint": it > 0 and it % CHECKPOINT_EVERY == 0,
        }
        row["js_estimate" if gan else "w_estimate"] = (
            0.69 + rng.normal(0, 0.02) if gan else estimate
        )
        if row["at_checkpoint"]:
            row.update(_checkpoint(spec, it, rng))
            draw = _points_png if spec.toy else _grid_png
            draw(trial_dir / row["sample_grid"], rng)
        rows.append(row)
    rows[-1]["record_status"] = "diverged" if spec.diverge_at is not None else "finished"
    return rows


def _trial(spec: Spec, root: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rng = np.random.default_rng(int(spec.trial_id, 16))
    trial_dir = root / "trials" / f"{spec.ablation}-{spec.trial_id}"
    trial_dir.mkdir(parents=True, exist_ok=True)
    config = {"loss": {"name": spec.cell.get("loss", "wgan")}, "seed": spec.seed}
    config["lipschitz"] = {"name": "clip", "c": spec.c} if spec.c else {"name": "none"}
    (trial_dir / "config.json").write_text(json.dumps({"config": config}))
    records = _records(spec, trial_dir, rng)
    ident = {
        "ablation": spec.ablation,
        "ablation_version": 1,
        "budget": "quick",
        "trial_id": spec.trial_id,
        "seed": spec.seed,
        **{f"axis.{k}": v for k, v in spec.cell.items()},
    }
    trial = {
        **ident,
        "status": spec.status,
        "reason": "loss_critic is nan" if spec.status == "diverged" else None,
        "traceback": "Traceback: boom" if spec.status == "failed" else None,
        "iterations_done": records[-1]["iteration"] if records else 0,
        "wall_time": records[-1]["wall_time"] if records else None,
        "config_hash": hashlib.sha1(spec.trial_id.encode()).hexdigest()[:16],
        "trial_dir": str(trial_dir),
        **HW,
    }
    flat = {
        "config.loss.name": config["loss"]["name"],
        "config.lipschitz.name": config["lipschitz"]["name"],
        "config.lipschitz.c": spec.c,
        "config.iterations": ITERATIONS,
    }
    rows = [{**ident, "status": spec.status, **flat, **r} for r in records]
    return trial, rows


def _specs() -> list[Spec]:
    specs = []
    for gen in ("dcgan", "mlp(width=512)"):
        for method in (WGAN, GAN):
            for seed in range(3):
                s = Spec("paper_stability", {"generator": gen, **method}, seed)
                if gen.startswith("mlp") and method is GAN:  # the paper's failure
                    s.quality, s.diversity = 150.0, 0.2
                    if seed == 1:
                        s.status, s.diverge_at = "diverged", 150
                specs.append(s)
    for data in ("8gaussians", "25gaussians"):
        for loss, lip in (("wgan", "clip(c=0.05)"), ("wgan_gp", "gradient_penalty(lam=0.1)")):
            for seed in range(2):
                cell = {"data": data, "loss": loss, "lipschitz": lip}
                specs.append(Spec("toy_modes", cell, seed, quality=0.1, toy=True))
    for c in (0.1, 0.01, 0.001, None):
        lip = f"clip(c={c})" if c else "gradient_penalty(lam=10)"
        cell = {"loss": "wgan" if c else "wgan_gp", "lipschitz": lip}
        specs.append(Spec("clipping_c", cell, 0, quality=0.2, toy=True, layers=4, c=c))
    for opt in ("rmsprop(lr=5e-05)", "adam(lr=5e-05,beta1=0.5)"):
        for seed in range(2):
            specs.append(Spec("optimizers", {"generator": "dcgan", "c_optimizer": opt}, seed))
    specs.append(
        Spec("optimizers", {"generator": "dcgan", "c_optimizer": "adam(lr=5e-05,beta1=0.5)"}, 2)
    )
    specs[-1].status = "failed"  # no records, no samples: the page must still build
    return specs


def build_runs(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write trial directories under ``root/trials`` and return (results, trials)."""
    trials, rows = [], []
    for spec in _specs():
        trial, records = _trial(spec, root)
        trials.append(trial)
        rows.extend(records)
    results = pd.DataFrame(rows)
    smooth = results.groupby("trial_id")["w_estimate"].transform(
        lambda s: s.rolling(5, min_periods=1, center=True).median()
    )
    results["w_estimate_smooth"] = smooth
    return results, pd.DataFrame(trials)


def verdicts(trials: pd.DataFrame) -> list[Verdict]:
    """One verdict of each kind, one with nothing measured, one on an ablation not run."""
    ids = tuple(trials.loc[trials["ablation"] == "paper_stability", "trial_id"][:3])
    common = {"paper": "WGAN", "published": "trains", "setting": "", "budget": "quick"}
    return [
        Verdict(
            claim_id="wgan.stability.dcgan_nobn",
            location="Sec. 4.3, Fig. 6",
            statement="WGAN trains a generator without BatchNorm; <GAN> does not",
            ablation="paper_stability",
            check="final fd_classifier(WGAN) < 0.5 x GAN",
            verdict="reproduced",
            measured=0.2,
            ci_low=0.1,
            ci_high=0.3,
            threshold=0.5,
            n_seeds=3,
            reason="upper CI below threshold",
            trial_ids=ids,
            **common,
        ),
        Verdict(
            claim_id="wgan.loss_curves.correlation",
            location="Sec. 4.2, Fig. 3",
            statement="The W estimate correlates with sample quality",
            ablation="paper_stability",
            check="mean Spearman > 0.8",
            verdict="not_reproduced",
            measured=0.1,
            ci_low=-0.2,
            ci_high=0.4,
            threshold=0.8,
            n_seeds=3,
            reason="upper CI below threshold",
            trial_ids=ids[:1],
            **common,
        ),
        Verdict(
            claim_id="wgan.toy.modes",
            location="Sec. 4.3",
            statement="No mode collapse on 8 Gaussians",
            ablation="toy_modes",
            check="modes covered = 8",
            verdict="inconclusive",
            measured=None,
            ci_low=None,
            ci_high=None,
            threshold=8.0,
            n_seeds=0,
            reason="not measured at this budget",
            trial_ids=(),
            **common,
        ),
        Verdict(
            claim_id="wgan.js.flat",
            location="Sec. 4.2, Fig. 4",
            statement="The JS estimate does not track quality",
            ablation="loss_curves",
            check="|Spearman| < 0.3",
            verdict="inconclusive",
            measured=None,
            ci_low=None,
            ci_high=None,
            threshold=0.3,
            n_seeds=0,
            reason="ablation not run",
            trial_ids=(),
            **common,
        ),
    ]
