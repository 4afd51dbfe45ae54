"""A wheel, not a checkout: the ablations and claims travel as package data
(``wgan_suite/shipped/``, read with importlib.resources), so a wheel installed anywhere, a
venv or ``pip install --target DIR``, finds them from any directory; ``$WGAN_SUITE_ABLATIONS``
and ``--ablations-dir`` name a user's own ablation folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from wgan_suite.cli import main
from wgan_suite.core import env
from wgan_suite.core.env import RAY_ENV
from wgan_suite.core.locations import checkout, shipped_ablations
from wgan_suite.core.provenance import code_hash

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "wgan_suite"
SHIPPED = {"ablations": "wgan_suite.shipped.ablations", "claims": "wgan_suite.shipped.claims"}
TOY = "transport_2d"  # the smallest shipped smoke grid: 2 trials of 2 iterations


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]


def test_every_package_folder_is_listed_and_the_yaml_is_mapped():
    """The packages are listed (two of them are mapped folders), so a new subpackage must be."""
    setuptools = _pyproject()
    folders = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in PACKAGE.rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert set(setuptools["packages"]) == folders | set(SHIPPED.values())
    assert setuptools["package-dir"] == {pkg: top for top, pkg in SHIPPED.items()}
    assert "data-files" not in setuptools  # never under <prefix>/share again
    for top, pkg in SHIPPED.items():
        patterns = setuptools["package-data"][pkg]
        subfolders = {p.parent for p in (ROOT / top).rglob("*.yaml")}
        for folder in subfolders:
            rel = folder.relative_to(ROOT / top).as_posix()
            assert ("*.yaml" if rel == "." else f"{rel}/*.yaml") in patterns, rel


def test_a_checkout_reads_its_own_folders():
    assert checkout() == ROOT and shipped_ablations() == ROOT / "ablations"


def _own_folder(tmp_path: Path) -> Path:
    """A user's ablation folder: one file of their own, a shipped one changed (seeds)."""
    mine = tmp_path / "mine"
    shutil.copytree(ROOT / "ablations" / "_base", mine / "_base")
    text = (ROOT / "ablations" / f"{TOY}.yaml").read_text(encoding="utf-8")
    (mine / "my_transport.yaml").write_text(text, encoding="utf-8")
    return mine


def test_own_ablation_folder_by_variable_flag_and_shipped_fallback(tmp_path, monkeypatch, capsys):
    mine = _own_folder(tmp_path)
    runs = ["--runs", str(tmp_path / "runs"), "--budget", "smoke"]
    monkeypatch.delenv(env.ABLATIONS, raising=False)
    assert main(["list", "my_transport", *runs]) == 2  # not a shipped name
    assert "Unknown ablation 'my_transport'" in capsys.readouterr().err
    monkeypatch.setenv(env.ABLATIONS, str(mine))
    assert env.ablations() == mine
    assert main(["list", "my_transport", *runs]) == 0
    assert main(["list", "fig2_gradients", *runs]) == 0  # a shipped name still works
    capsys.readouterr()
    (tmp_path / "none").mkdir()  # an empty folder of one's own (a missing one is refused)
    assert main(["list", "my_transport", "--ablations-dir", str(tmp_path / "none"), *runs]) == 2
    err = capsys.readouterr().err  # the flag wins over the variable
    assert f"in {tmp_path / 'none'}/: ;" in err and "fig2_gradients" in err


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built once from a copy of the checkout's sources (no build/ left here)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("wgan_suite", "ablations", "claims"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    subprocess.run([*build, "-w", str(tmp / "dist"), "."], check=True, cwd=src, env=_env(""))
    return next((tmp / "dist").glob("wgan_suite-*.whl"))


def _env(pythonpath: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k != env.ABLATIONS}
    return {**out, **RAY_ENV, "PYTHONPATH": pythonpath}


PROBE = (
    "import wgan_suite; from wgan_suite.core.provenance import code_hash; "
    "from wgan_suite.core.locations import claims_dir, shipped_ablations; "
    "print(wgan_suite.__file__, code_hash(), shipped_ablations(), claims_dir())"
)


@pytest.mark.slow
def test_the_wheel_holds_every_shipped_yaml(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for top in SHIPPED:
        for path in (ROOT / top).rglob("*.yaml"):
            rel = path.relative_to(ROOT).as_posix()
            assert f"wgan_suite/shipped/{rel}" in names, rel
    assert not any(".data/" in n for n in names)  # nothing under <prefix>/share
    assert {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*.py")} <= names


@pytest.mark.slow
def test_a_target_install_finds_its_claims_from_another_directory(wheel, tmp_path):
    """``pip install --target DIR``: no prefix, no share/; the package data is found."""
    target = tmp_path / "target"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target)]
    subprocess.run([*pip, str(wheel)], check=True, env=_env(""))  # no checkout on the path
    work = tmp_path / "elsewhere"
    work.mkdir()
    # this environment's python: its dependencies; the target first on the path, before the
    # editable install of a checkout (whose finder comes after the path entries)
    run = {"cwd": work, "env": _env(str(target)), "capture_output": True, "text": True}
    probe = subprocess.run([sys.executable, "-c", PROBE], **run)
    assert probe.returncode == 0, probe.stderr[-2000:]
    where, digest, ablations, claims = probe.stdout.split()
    assert where.startswith(str(target))  # the wheel, not this checkout
    assert Path(ablations) == target / "wgan_suite" / "shipped" / "ablations"
    assert Path(claims) == target / "wgan_suite" / "shipped" / "claims"
    assert digest == code_hash()  # the code identity is the same installed as checked out
    suite = [sys.executable, "-m", "wgan_suite"]
    valid = subprocess.run([*suite, "validate", TOY, "fig2_gradients"], **run)
    assert valid.returncode == 0, valid.stderr[-2000:]
    assert valid.stdout.count("ok ") == 2 and "claim(s)" in valid.stdout
    assert str(target) in valid.stdout
    listed = subprocess.run([*suite, "list", TOY, "--budget", "smoke"], **run)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert f"# {TOY} " in listed.stdout
    assert not (work / "ablations").exists() and not (work / "runs").exists()
    # and it trains: Ray's workers import the suite from the target too
    smoke = subprocess.run([*suite, "run", TOY, "--budget", "smoke", "--runs", "runs"], **run)
    assert smoke.returncode == 0, smoke.stderr[-3000:]
    assert "finished" in smoke.stdout, smoke.stdout[-2000:]
    assert (work / "runs" / "results.parquet").is_file()


def _venv_with(wheel: Path, where: Path) -> Path:
    """A fresh venv holding the wheel that sees this environment's third-party packages
    (torch, ray, ...) through a .pth path entry after its own site-packages, but not the
    editable install of this checkout (its own .pth finder is not processed for a plain path
    entry). The wheel goes in first: pip must not see this environment's wgan_suite as
    already installed (nor ever uninstall it)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
    subprocess.run([*pip, str(wheel)], check=True, env=_env(""))  # no checkout on the path
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python


@pytest.mark.slow
def test_a_venv_install_runs_a_smoke_grid_and_reports_from_another_directory(wheel, tmp_path):
    python = _venv_with(wheel, tmp_path / "venv")
    work = tmp_path / "elsewhere"
    work.mkdir()
    run = {"cwd": work, "env": _env(""), "capture_output": True, "text": True}
    probe = subprocess.run([str(python), "-c", PROBE], **run)
    assert probe.returncode == 0, probe.stderr[-2000:]
    assert probe.stdout.split()[0].startswith(str(tmp_path / "venv"))  # not this checkout
    assert probe.stdout.split()[1] == code_hash()
    suite = [str(python), "-m", "wgan_suite"]
    smoke = subprocess.run([*suite, "run", TOY, "--budget", "smoke", "--runs", "runs"], **run)
    assert smoke.returncode == 0, smoke.stderr[-3000:]
    assert "finished" in smoke.stdout, smoke.stdout[-2000:]
    report = subprocess.run([*suite, "report", "--runs", "runs", "--out", "reports"], **run)
    assert report.returncode == 0, report.stderr[-2000:]
    index = (work / "reports" / "index.html").read_text(encoding="utf-8")
    assert f"{TOY}.html" in index
    assert not (work / "ablations").exists()  # nothing was read from the current directory
