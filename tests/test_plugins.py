"""Extending the suite from one file per entry: a generator, a loss with an estimate of
its own, a metric and a claim, in a folder the suite is told about ($WGAN_SUITE_PLUGINS),
run through validate, a smoke run through Ray Tune and the report, no other file touched."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

from wgan_suite.core.env import PLUGINS, RAY_ENV

GENERATOR = '''
"""A generator that only learns a shift: noise + b."""
import torch
from torch import nn

from wgan_suite.trial.models.registry import GENERATORS, Generator


@GENERATORS.register("shift")
class Shift(Generator):
    def __init__(self, options, data_shape, nz):
        super().__init__()
        self.dim = data_shape[0]
        self.b = nn.Parameter(torch.zeros(self.dim))

    def forward(self, z):
        return z[:, : self.dim] + self.b
'''

LOSS = '''
"""Least-squares GAN with an estimate column of its own."""
from wgan_suite.core.columns import Column
from wgan_suite.trial.losses import LOSSES, Loss


@LOSSES.register("lsgan_plugin")
class LSGAN(Loss):
    columns = {"ls_gap": Column("E D(x) - E D(G z) of the least-squares critic", role="estimate")}

    @staticmethod
    def critic(d_real, d_fake):
        loss = ((d_real - 1) ** 2).mean() + (d_fake**2).mean()
        return {"critic": loss, "ls_gap": (d_real.mean() - d_fake.mean()).detach()}

    @staticmethod
    def generator(d_fake):
        return {"generator": ((d_fake - 1) ** 2).mean()}
'''

METRIC = '''
"""Distance between the generated and the real mean."""
from wgan_suite.core.columns import Column
from wgan_suite.trial.metrics.registry import METRICS, Metric


@METRICS.register("mean_gap")
class MeanGap(Metric):
    columns = {"mean_gap": Column("|mean(G z) - mean(x)|", better="lower", role="quality", rank=9)}

    @staticmethod
    def compute(ctx, options):
        fake, real = ctx.fake(500), ctx.real(500)
        return {"mean_gap": float((fake.mean(0) - real.mean(0)).norm())}
'''

CLAIM = {
    "claims": [
        {
            "id": "P-01",
            "paper": "WGAN",
            "family": "wgan-cpu",
            "location": "a plugin's claim",
            "citation": "none: a test of the extension point",
            "statement": "The shift generator's mean gap falls below 10.",
            "published": "no number",
            "testable_as": "final mean_gap < 10",
            "setting": "8 Gaussians, shift generator, least-squares loss",
            "ablation": "plugin_demo",
            "scale": {"made_at": {"source": "a test claim: no paper setting"}},
            "budgets": {"quick": "a toy problem"},
            "check": {
                "kind": "threshold",
                "where": {"generator": "shift", "loss": "lsgan_plugin"},
                "value": {"reduce": "final", "metric": "mean_gap"},
                "op": "<",
                "threshold": 10,
            },
        }
    ]
}

ABLATION = {
    "name": "plugin_demo",
    "version": 1,
    "description": "entries from a plugin folder",
    "paper": "none",
    "base": {
        "data": "8gaussians",
        "generator": "shift",
        "critic": {"name": "mlp", "width": 16},
        "loss": "lsgan_plugin",
        "nz": 2,
        "batch_size": 32,
        "metrics": ["w_estimate", "mean_gap"],
    },
    "grid": {"c_optimizer.lr": [1.0e-3, 2.0e-3]},
    "seeds": [0, 1],
    "budgets": {
        "smoke": {"iterations": 4, "log_every": 2, "checkpoint_every": 2},
        "quick": {"iterations": 100, "seeds": 5},
        "paper": {"iterations": 1000},
    },
}


@pytest.mark.slow
def test_a_generator_loss_metric_and_claim_each_in_one_new_file(tmp_path):
    plugin = tmp_path / "plugin"
    (plugin / "claims").mkdir(parents=True)
    for name, text in (("generator", GENERATOR), ("loss", LOSS), ("metric", METRIC)):
        (plugin / f"{name}.py").write_text(textwrap.dedent(text))
    (plugin / "claims" / "plugin.yaml").write_text(yaml.safe_dump(CLAIM))
    ablation = tmp_path / "plugin_demo.yaml"
    ablation.write_text(yaml.safe_dump(ABLATION))
    env = {**os.environ, **RAY_ENV, PLUGINS: str(plugin)}

    def suite(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "wgan_suite", *args]
        return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)

    valid = suite("validate", str(ablation))
    assert valid.returncode == 0, valid.stderr[-2000:]
    assert "1 claim(s)" in valid.stdout  # the plugin's claim is read and decidable
    run = suite("run", str(ablation), "--budget", "smoke", "--runs", "runs")
    assert run.returncode == 0, run.stderr[-3000:]
    results = pd.read_parquet(tmp_path / "runs" / "results.parquet")
    assert results["mean_gap"].notna().any()  # the plugin metric scored the checkpoints
    assert results["ls_gap"].notna().any()  # the plugin loss's estimate was logged ...
    assert results["ls_gap_smooth"].notna().any()  # ... and smoothed like the W estimate
    assert results["ls_gap_eval"].notna().any()  # ... and averaged by the w_estimate metric
    report = suite("report", "--runs", "runs", "--out", "reports")
    assert report.returncode == 0, report.stderr[-2000:]
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert "P-01" in index and "plugin_demo.html" in index
    page = (tmp_path / "reports" / "plugin_demo.html").read_text(encoding="utf-8")
    assert "mean_gap" in page  # the plugin's quality score is the page's quality column
    assert list((tmp_path / "reports" / "data").rglob("*.png"))  # the evidence kept its grids
    # a runs directory can move: its table names trial directories relative to itself
    (tmp_path / "runs").rename(tmp_path / "moved")
    again = suite("report", "moved", "--out", "again")
    assert again.returncode == 0, again.stderr[-2000:]
    moved = (tmp_path / "again" / "plugin_demo.html").read_text(encoding="utf-8")
    assert moved.count("data:image/png") == page.count("data:image/png") > 0
    assert "not on this machine" not in moved


def test_a_broken_plugin_names_itself(tmp_path, monkeypatch):
    bad = tmp_path / "bad.py"
    bad.write_text("raise RuntimeError('boom')\n")
    cmd = [sys.executable, "-c", "import wgan_suite.trial.config"]
    done = subprocess.run(
        cmd, env={**os.environ, PLUGINS: str(bad)}, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "WGAN_SUITE_PLUGINS" in done.stderr and "bad.py" in done.stderr and "boom" in done.stderr
    assert Path(bad).is_file()
