"""`--help` and argument errors never import the heavy libraries (issue 37 item 7): the
parser is built from argparse and light core modules; a command's implementation is
imported when it runs (``wgan_suite.cli.COMMANDS``). Nothing here is timed:
benchmarks/startup.py measures the seconds."""

from __future__ import annotations

import importlib
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from wgan_suite import cli

HEAVY = ("torch", "torchvision", "pandas", "ray", "ot", "scipy", "matplotlib", "seaborn")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return {m.split(".")[0] for m in done.stdout.split()}


def test_importing_the_cli_imports_nothing_heavy():
    assert not _loaded_after("import wgan_suite.cli") & set(HEAVY)


def test_help_and_argument_errors_import_nothing_heavy():
    code = (
        "from wgan_suite.cli import main\n"
        "for argv in (['--help'], ['list'], ['validate', '--max-trials', '0', 'x'], ['nope']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit as e:\n"
        "        assert e.code in (0, 2), e.code\n"
    )
    assert not _loaded_after(code) & set(HEAVY)


def test_python_m_help_works():
    done = subprocess.run(
        [sys.executable, "-m", "wgan_suite", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    for command in cli.COMMANDS:
        assert command in done.stdout
    error = subprocess.run(
        [sys.executable, "-m", "wgan_suite", "list", "--budget"], capture_output=True, text=True
    )
    assert error.returncode == 2 and "expected one argument" in error.stderr


def test_list_defers_what_it_does_not_use():
    """`list` needs the config models (torch), not torchvision, POT, Ray, pandas or plots."""
    loaded = _loaded_after("import wgan_suite.commands")
    assert "torch" in loaded
    assert not loaded & {
        "torchvision",
        "torch_fidelity",
        "pandas",
        "ray",
        "ot",
        "scipy",
        "matplotlib",
        "seaborn",
    }


def test_every_command_has_an_implementation():
    sub = next(a for a in cli.parser()._actions if a.dest == "command")
    assert set(sub.choices) == set(cli.COMMANDS)
    for command, target in cli.COMMANDS.items():
        module, _, name = target.partition(":")
        assert callable(getattr(importlib.import_module(module), name)), command
        assert cli.implementation(command).__name__ == name


@pytest.mark.slow  # seven processes, 9 s: the fast lane keeps under its 2 minutes
def test_only_a_read_only_command_in_its_own_process_freezes_the_collector(tmp_path):
    """``console`` (python -m wgan_suite, the wgan-suite script) runs ``validate`` and
    ``list`` with what their imports made frozen out of the garbage collector's walks
    (gc.freeze), which saves a full walk at exit; ``main`` called in-process (tests, a
    notebook) and the commands that write or start processes never freeze."""
    runs = str(tmp_path / "runs")
    code = (  # at exit: (frozen objects, objects the collector still tracks)
        "import atexit, gc, runpy, sys\n"
        "atexit.register(lambda: print('gc', gc.get_freeze_count(), len(gc.get_objects())))\n"
        "if sys.argv[1] == 'python -m':\n"
        "    sys.argv = ['wgan_suite', *sys.argv[2:]]\n"
        "    runpy.run_module('wgan_suite', run_name='__main__')\n"
        "from wgan_suite.cli import main\n"
        "sys.exit(main(sys.argv[2:]))\n"
    )
    cases = {  # argv -> (exit code, frozen at exit)
        ("python -m", "validate", "parallel_lines"): (0, True),  # imports pandas, scipy too
        ("python -m", "list", "parallel_lines", "--runs", runs): (0, True),
        ("in-process", "list", "parallel_lines", "--runs", runs): (0, False),
        ("python -m", "report", str(tmp_path / "none")): (2, False),  # no runs there
    }
    for argv, (want, frozen) in cases.items():
        done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True)
        assert done.returncode == want, done.stderr[-2000:]
        _, count, tracked = done.stdout.splitlines()[-1].split()
        assert (int(count) > 10_000) is frozen, (argv, count)
        if frozen:  # the last freeze, at the end of the command: nothing left to walk at exit
            assert int(tracked) < 1_000, (argv, tracked)
    assert {"validate", "list"} == cli.READ_ONLY
    script = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"][
        "scripts"
    ]
    assert script == {"wgan-suite": "wgan_suite.cli:console"}


@pytest.mark.parametrize(
    "after",
    [0.45, pytest.param(0.6, marks=pytest.mark.slow), pytest.param(1.0, marks=pytest.mark.slow)],
)
def test_ctrl_c_before_the_training_is_one_line_and_exit_130(after):
    """A real SIGINT while the command still imports or validates (Ray Tune's own handling,
    with the summary, covers the training: tests/test_tune.py). 0.4-0.45 s after the start
    lands in numpy's import under torch's on this project's VMs: a KeyboardInterrupt there
    used to leave numpy half loaded (ImportError or RecursionError, a 60-line traceback,
    exit 1); the command's imports now hold Ctrl-C until they end (cli.ctrl_c_held)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "wgan_suite", "validate", "random_architectures"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(after)  # before the ~2 s this command takes
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == cli.EXIT_INTERRUPTED == 130, err[-2000:]
    assert err == "error: interrupted (Ctrl-C); files are written whole or not at all\n"
    assert out == ""


def test_ctrl_c_is_held_while_the_command_loads_and_raised_after():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt), cli.ctrl_c_held():
            signal.raise_signal(signal.SIGINT)  # held: the block goes on
            went_on = True
        assert went_on and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        with cli.ctrl_c_held():
            pass  # none came: nothing raised
        with pytest.raises(KeyboardInterrupt), cli.ctrl_c_held():  # a second one: at once
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)
            raise AssertionError("a second Ctrl-C is not held")
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a background job: stays ignored
        with cli.ctrl_c_held():
            signal.raise_signal(signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
