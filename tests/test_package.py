"""A package, not a checkout: the wheel installs into a fresh environment, and from an
unrelated directory it finds its shipped ablations and claims, trains a smoke grid and
writes the report."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from wgan_suite.core.env import RAY_ENV

ROOT = Path(__file__).resolve().parents[1]


def _venv_with_our_dependencies(where: Path) -> Path:
    """A fresh venv that sees this environment's third-party packages (torch, ray, ...)
    through a .pth path entry, but not the editable install of this checkout (its own
    .pth finder is not processed for a plain path entry)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python


@pytest.mark.slow
def test_the_wheel_runs_from_another_directory(tmp_path):
    wheels = tmp_path / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps"]
    if importlib.util.find_spec("setuptools"):  # else pip fetches it into an isolated build
        build.append("--no-build-isolation")
    subprocess.run([*build, str(ROOT), "-w", str(wheels)], check=True, cwd=tmp_path)
    python = _venv_with_our_dependencies(tmp_path / "venv")
    wheel = next(wheels.glob("wgan_suite-*.whl"))
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
    subprocess.run([*pip, str(wheel)], check=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, **RAY_ENV, "PYTHONPATH": ""}

    def suite(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(python), "-m", "wgan_suite", *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
        )

    where = suite("list", "fig2_gradients", "--budget", "smoke")
    assert where.returncode == 0, where.stderr[-2000:]
    probe = [str(python), "-c", "import wgan_suite; print(wgan_suite.__file__)"]
    installed = subprocess.run(probe, cwd=work, env=env, capture_output=True, text=True)
    assert str(tmp_path / "venv") in installed.stdout  # the wheel, not this checkout
    valid = suite("validate", "fig2_gradients", "paper_stability")
    assert valid.returncode == 0, valid.stderr[-2000:]
    assert "claim(s)" in valid.stdout and "ok " in valid.stdout
    run = suite("run", "fig2_gradients", "--budget", "smoke", "--runs", "runs")
    assert run.returncode == 0, run.stderr[-3000:]
    report = suite("report", "--runs", "runs", "--out", "reports")
    assert report.returncode == 0, report.stderr[-2000:]
    index = (work / "reports" / "index.html").read_text(encoding="utf-8")
    assert "W-02" in index and "fig2_gradients.html" in index
    assert not (work / "ablations").exists()  # nothing was read from the current directory
