"""Hostile probe of a checkout's ``./wgan-suite`` (issues 27 and 37): not a test.

Runs each case as a new user would, against a checkout set up the README's way
(``nox -s setup`` made ``.venv/``), and writes one Markdown table row per case: the
command, what should happen, the exit code, the seconds, and whether it was clean
(exit code as expected, one-line message, nothing written on a refusal, no secret
echoed, no process of ours left running).

    CLONE=/work/probe-clone
    $CLONE/.venv/bin/python benchmarks/hostile_probe.py --clone $CLONE            # all cases
    $CLONE/.venv/bin/python benchmarks/hostile_probe.py --clone $CLONE secret_file kill9

No network. Everything it writes goes under one temporary folder (removed at the end) and
the clone's ``runs/`` is checked, never trusted: cases that must write nothing compare a
listing of the folders they could touch before and after. Every process it starts runs in
its own session with the marker ``HOSTILE_PROBE=<id>`` in its environment (inherited by
Ray's processes); at the end of each case the processes that carry the marker are
listed as leftovers and then killed by pid (SIGKILL), so nothing outlives the probe.
Needs root for the tmpfs cases (they are skipped otherwise).
"""

# ruff: noqa: E501
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

TAG = uuid.uuid4().hex[:12]
MARK = "HOSTILE_PROBE"
SECRET = "hunter2-SECRET-a9f3c0"
NET = {"name": "mlp", "width": 16, "init": "he"}


def toy(name: str, iterations: int = 2, losses=("wgan", "gan_ns"), **extra) -> dict:
    """A 2-D toy grid: 2 losses x 1 seed, ``iterations`` generator steps at smoke."""
    doc = {
        "name": name,
        "version": 1,
        "description": "hostile probe grid",
        "paper": "none",
        "base": {"data": "8gaussians", "generator": NET, "critic": NET, "nz": 2,
                 "batch_size": 32, "metrics": [{"name": "w_estimate", "batches": 1}]},
        "grid": {"loss": list(losses)},
        "seeds": [0],
        "budgets": {
            "smoke": {"iterations": iterations, "log_every": max(1, iterations // 10),
                      "checkpoint_every": max(2, iterations // 4), "grid_size": 16},
            "quick": {"iterations": 3000},
            "paper": {"iterations": 30000},
        },
        "resources": {"cpu": 1},
    }  # fmt: skip
    doc.update(extra)
    return doc


@dataclass
class Result:
    case: str
    command: str
    expected: str
    rc: int | None = None
    seconds: float = 0.0
    clean: bool = False
    why: str = ""
    rows: str = ""
    out: str = field(default="", repr=False)


class Probe:
    def __init__(self, clone: Path, work: Path, timeout: float):
        self.clone = clone.resolve()
        self.work = work
        self.timeout = timeout
        self.suite = str(self.clone / "wgan-suite")
        self.python = str(self.clone / ".venv" / "bin" / "python")
        self.env = {**os.environ, MARK: TAG, "PYTHONUNBUFFERED": "1"}
        self.results: list[Result] = []

    # ------------------------------------------------------------------ helpers

    def write(self, name: str, text: str | dict) -> Path:
        import yaml

        path = self.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text if isinstance(text, str) else yaml.safe_dump(text, sort_keys=False))
        return path

    def start(
        self,
        args: list[str],
        cwd: Path | None = None,
        env: dict | None = None,
        log: Path | None = None,
    ) -> subprocess.Popen:
        log = log or self.work / f"log-{time.monotonic_ns()}.txt"
        return subprocess.Popen(args, cwd=cwd or self.clone, env=env or self.env,
                                stdout=open(log, "w"), stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip

    def call(
        self,
        args: list[str],
        cwd: Path | None = None,
        env: dict | None = None,
        timeout: float | None = None,
    ) -> tuple[int | None, float, str]:
        log = self.work / f"log-{time.monotonic_ns()}.txt"
        t0 = time.monotonic()
        p = self.start(args, cwd, env, log)
        try:
            rc = p.wait(timeout=timeout or self.timeout)
        except subprocess.TimeoutExpired:
            self.kill_ours()
            p.wait()
            rc = None
        return rc, time.monotonic() - t0, log.read_text(errors="replace")

    def ours(self) -> list[tuple[int, str]]:
        """Processes carrying this probe's marker (the probe itself excluded)."""
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit() or int(proc.name) == os.getpid():
                continue
            try:
                if f"{MARK}={TAG}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                    cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:90]
                    found.append((int(proc.name), cmd))
            except OSError:
                continue
        return found

    def kill_ours(self) -> None:
        for pid, _ in self.ours():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)

    def leftovers(self, grace: float = 8.0) -> list[tuple[int, str]]:
        """Our processes still alive ``grace`` seconds after a command ended (then killed)."""
        deadline = time.monotonic() + grace
        while (left := self.ours()) and time.monotonic() < deadline:
            time.sleep(0.5)
        self.kill_ours()
        return left

    def listing(self, *roots: Path) -> dict[str, tuple[int, int]]:
        seen = {}
        for root in roots:
            if not root.exists():
                continue
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = [d for d in dirnames if d not in (".venv", ".git", "__pycache__")]
                filenames = [f for f in filenames if not f.startswith("log-")]  # the probe's own
                for name in dirnames + filenames:
                    p = Path(dirpath) / name
                    with contextlib.suppress(OSError):
                        st = p.lstat()
                        seen[str(p)] = (st.st_size, st.st_mtime_ns)
        return seen

    def diff(self, before: dict, after: dict) -> list[str]:
        changed = [f"+{k}" for k in after.keys() - before.keys()]
        changed += [f"-{k}" for k in before.keys() - after.keys()]
        changed += [f"~{k}" for k in before.keys() & after.keys() if before[k] != after[k]
                    and not Path(k).is_dir()]  # fmt: skip
        return sorted(changed)

    def rows(self, runs: Path) -> str:
        code = (
            "import sys, pyarrow.parquet as pq\n"
            "out = []\n"
            "for n in ('results', 'trials'):\n"
            "    try: out.append(f'{n} {pq.read_metadata(sys.argv[1] + f\"/{n}.parquet\").num_rows}')\n"
            "    except Exception as e: out.append(f'{n} -')\n"
            "print(', '.join(out))\n"
        )
        return subprocess.run([self.python, "-c", code, str(runs)], capture_output=True,
                              text=True).stdout.strip()  # fmt: skip

    def record(self, r: Result, problems: list[str]) -> Result:
        r.clean = not problems
        r.why = "; ".join(problems) if problems else r.why or "as expected"
        self.results.append(r)
        print(f"{r.case:24s} rc={r.rc} {r.seconds:6.1f}s clean={r.clean} {r.why}"
              + (f" [{r.rows}]" if r.rows else ""), flush=True)  # fmt: skip
        return r

    def refusal(
        self,
        case: str,
        args: list[str],
        expected_rc: int = 2,
        *,
        watch=(),
        env=None,
        cwd=None,
        max_lines: int = 3,
        forbid=(),
        under: float | None = None,
        need=(),
        check_left: bool = True,
    ) -> Result:
        """A command that must refuse: exit ``expected_rc``, short message, nothing written."""
        roots = [self.clone, *watch]
        before = self.listing(*roots)
        rc, secs, out = self.call(args, cwd=cwd, env=env)
        changed = self.diff(before, self.listing(*roots))
        lines = [x for x in out.splitlines() if x.strip()]
        problems = []
        if rc != expected_rc:
            problems.append(f"exit {rc}, expected {expected_rc}")
        if len(lines) > max_lines:
            problems.append(f"{len(lines)} lines of output")
        if "Traceback" in out:
            problems.append("traceback")
        if changed:
            problems.append(f"wrote {len(changed)} paths: {', '.join(changed[:3])}")
        for word in forbid:
            if word in out:
                problems.append(f"echoed {word!r}")
        for word in need:
            if word.lower() not in out.lower():
                problems.append(f"message lacks {word!r}")
        if under is not None and secs > under:
            problems.append(f"took {secs:.1f}s > {under}s")
        if check_left and (left := self.leftovers()):
            problems.append(f"{len(left)} processes left")
        first = lines[-1][:120] if lines else ""
        r = Result(
            case,
            " ".join(Path(a).name if "/" in a else a for a in args[1:])[:80],
            f"exit {expected_rc}, one line, nothing written",
            rc,
            secs,
            why=first,
        )
        r.out = out
        if not problems:
            r.why = f"one line: {first}"
        return self.record(r, problems)

    # ------------------------------------------------------------------ cases

    def case_help_time(self):
        for case, args in (("help_time", ["--help"]), ("validate_time", ["validate", "parallel_lines"]),
                           ("list_time", ["list", "parallel_lines", "--budget", "smoke",
                                          "--runs", str(self.work / "list-runs")]),
                           ("argparse_error", ["run", "--bogus-flag"])):  # fmt: skip
            rc, secs, _out = self.call([self.suite, *args])
            want = 2 if case == "argparse_error" else 0
            problems = [f"exit {rc}"] if rc != want else []
            if secs > 3:
                problems.append(f"took {secs:.1f}s > 3 s")
            self.record(Result(case, " ".join(args)[:60], f"exit {want} in < 3 s", rc, secs),
                        problems)  # fmt: skip

    def case_bad_yaml(self):
        cases = {
            "malformed_yaml": "name: bad\nversion: 1\ngrid: {loss: [wgan, \n  - :\n\t",
            "yaml_bomb": "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
            "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
            "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
            "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
            "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\nname: bomb\n",
            "python_tag": "name: !!python/object/apply:os.system ['touch /tmp/pwned-probe']\n",
            "include_traversal": "name: trav\nversion: 1\ndescription: x\npaper: x\n"
            "include: [../../../../../../etc/passwd]\nseeds: [0]\n",
            "secret_file": f"aws_access_key_id = AKIA0000\naws_secret_access_key = {SECRET}\n"
            f"[default]\npassword={SECRET}\ntoken: {SECRET}\n",
            "width_100M": None,
            "grid_too_big": None,
        }
        for case, text in cases.items():
            if case == "width_100M":
                doc = toy("wide")
                doc["base"]["critic"] = {"name": "mlp", "width": 100_000_000, "init": "he"}
                path = self.write(f"{case}.yaml", doc)
            elif case == "grid_too_big":
                doc = toy("big")
                doc["base"]["c_optimizer"] = {"name": "rmsprop", "lr": 1e-3}
                doc["grid"] = {"c_optimizer.lr": [1e-5 * i for i in range(1, 2000)]}
                path = self.write(f"{case}.yaml", doc)
            else:
                path = self.write(f"{case}.yaml", text)
            self.refusal(case, [self.suite, "validate", str(path)], forbid=(SECRET,))
        self.refusal(
            "etc_passwd", [self.suite, "validate", "/etc/passwd"], forbid=("root:x:", "/bin/bash")
        )
        if Path("/tmp/pwned-probe").exists():
            tagged = next(r for r in self.results if r.case == "python_tag")
            tagged.clean, tagged.why = False, "!!python/object tag executed"
        loop = self.work / "loop.yaml"
        with contextlib.suppress(FileExistsError):
            os.symlink(loop, loop)
        self.refusal("symlink_loop", [self.suite, "validate", str(loop)])
        self.refusal("symlink_loop_run", [self.suite, "run", str(loop), "--budget", "smoke",
                                          "--runs", str(self.work / "loop-runs"), "--new-runs"],
                     watch=[self.work / "loop-runs"])  # fmt: skip
        self.refusal(
            "max_trials_negative",
            [self.suite, "validate", "parallel_lines", "--max-trials", "-5"],
            max_lines=6,
        )  # argparse: usage lines + one error line
        self.refusal("unknown_budget", [self.suite, "run", "parallel_lines", "--budget", "smoek"])
        self.refusal(
            "unknown_ablation", [self.suite, "run", "no_such_ablation", "--budget", "smoke"]
        )
        self.refusal("missing_runs_report", [self.suite, "report", str(self.work / "nope-runs")],
                     watch=[self.work])  # fmt: skip

    def case_width_run(self):
        doc = toy("wide_run")
        doc["base"]["critic"] = {"name": "mlp", "width": 100_000_000, "init": "he"}
        path = self.write("wide_run.yaml", doc)
        runs = self.work / "wide-runs"
        self.refusal("width_100M_run", [self.suite, "run", str(path), "--budget", "smoke",
                                        "--runs", str(runs), "--new-runs"], watch=[self.work])  # fmt: skip

    def case_mistyped_runs(self):
        """A typo of an existing runs directory (one with trials) must be refused."""
        real = self.work / "myruns"
        (real / "trials").mkdir(parents=True, exist_ok=True)
        self.refusal("mistyped_runs", [self.suite, "run", "parallel_lines", "--budget", "smoke",
                                       "--runs", str(self.work / "myrnus")], watch=[self.work])  # fmt: skip

    def case_missing_data(self):
        empty = self.work / "no-data"
        empty.mkdir(exist_ok=True)
        env = {**self.env, "WGAN_SUITE_FASHION_MNIST": str(empty)}
        runs = self.work / "nodata-runs"
        r = self.refusal("missing_data", [self.suite, "run", "fig3_control", "--budget", "smoke",
                                          "--runs", str(runs), "--new-runs"],
                         env=env, watch=[self.work / "nodata-runs", empty])  # fmt: skip
        first = [x for x in r.out.splitlines() if x.strip()]
        if len(first) != len(set(first)):
            r.clean, r.why = False, r.why + "; a line printed twice"

    # ---- run-table cases

    def run_args(self, ablation: Path, runs: Path, *extra: str) -> list[str]:
        return [self.suite, "run", str(ablation), "--budget", "smoke", "--runs", str(runs), *extra]

    def fresh_runs(self, name: str, iterations: int = 2) -> tuple[Path, Path, Result]:
        """A finished smoke run of a 2-trial toy grid (the base of several cases)."""
        abl = self.write(f"{name}.yaml", toy(name, iterations))
        runs = self.work / f"{name}-runs"
        rc, secs, out = self.call(self.run_args(abl, runs, "--new-runs"))
        left = self.leftovers()
        r = Result(f"{name}_baseline", f"run {name}.yaml --budget smoke", "exit 0, 2 trials", rc,
                   secs, rows=self.rows(runs))  # fmt: skip
        r.out = out
        problems = [f"exit {rc}"] if rc != 0 else []
        if left:
            problems.append(f"{len(left)} processes left: {left[0][1][:50]}")
        return abl, runs, self.record(r, problems)

    def case_gpu_refusal(self):
        abl, runs, base = self.fresh_runs("gpu")
        doc = toy("gpu")
        doc["resources"] = {"cpu": 1, "gpu": 1}
        self.write("gpu.yaml", doc)
        r = self.refusal("gpu_on_cpu", self.run_args(abl, runs), watch=[runs])
        r.rows = f"{base.rows} -> {self.rows(runs)}"
        if base.rows != self.rows(runs):
            r.clean = False

    def case_concurrent(self):
        abl = self.write("conc.yaml", toy("conc", 400))
        runs = self.work / "conc-runs"
        first = self.start(self.run_args(abl, runs, "--new-runs"))
        lock = runs / ".lock"
        t0 = time.monotonic()
        while not lock.exists() and time.monotonic() - t0 < 60:
            time.sleep(0.2)
        r = self.refusal(
            "second_run_exit3",
            self.run_args(abl, runs),
            expected_rc=3,
            watch=[],
            max_lines=3,
            check_left=False,
        )  # the first run is still going
        self.kill_ours()
        first.wait()
        r.why += " (first run killed by the probe after)"

    def case_kill9(self):
        abl = self.write("k9.yaml", toy("k9", 400))
        runs = self.work / "k9-runs"
        p = self.start(self.run_args(abl, runs, "--new-runs"))
        t0 = time.monotonic()
        # wait until a trial has a checkpoint, then kill -9 the driver only
        while time.monotonic() - t0 < 150 and not list(runs.glob("**/checkpoint*")):
            time.sleep(0.5)
        time.sleep(1)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        killed_at = time.monotonic() - t0
        time.sleep(5)
        orphans = self.ours()
        rc, secs, _out = self.call(self.run_args(abl, runs))
        left = self.leftovers()
        rows = self.rows(runs)
        problems = [f"exit {rc}"] if rc != 0 else []
        if orphans:
            problems.append(f"{len(orphans)} orphans 5 s after kill -9 (e.g. {orphans[0][1][:40]})")
        if left:
            problems.append(f"{len(left)} left after the rerun")
        dup = self.duplicates(runs)
        if dup:
            problems.append(dup)
        self.record(Result("kill9_resume", "run; kill -9 driver; run again",
                           "resumes, no dup rows, no orphans", rc, secs,
                           why=f"killed at {killed_at:.0f}s", rows=rows), problems)  # fmt: skip

    def duplicates(self, runs: Path) -> str:
        code = (
            "import sys, pandas as pd\n"
            "r = pd.read_parquet(sys.argv[1] + '/results.parquet')\n"
            "keys = [c for c in ('trial_id', 'iteration') if c in r.columns]\n"
            "print(int(r.duplicated(keys).sum()) if keys else 'nokeys')\n"
        )
        out = subprocess.run([self.python, "-c", code, str(runs)], capture_output=True, text=True)
        val = out.stdout.strip()
        return "" if val == "0" else f"duplicates: {val or out.stderr[-80:]}"

    def case_signals(self):
        for sig, name in ((signal.SIGINT, "sigint_run"), (signal.SIGTERM, "sigterm_run")):
            abl = self.write(f"{name}.yaml", toy(name, 4000))  # still running when signalled
            runs = self.work / f"{name}-runs"
            log = self.work / f"{name}.log"
            p = self.start(self.run_args(abl, runs, "--new-runs"), log=log)
            t0 = time.monotonic()
            while (
                time.monotonic() - t0 < 150
                and "started" not in log.read_text(errors="replace").lower()
            ):
                time.sleep(0.5)
            time.sleep(3)
            os.killpg(p.pid, sig) if sig == signal.SIGINT else os.kill(p.pid, sig)
            t1 = time.monotonic()
            try:
                rc = p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                rc = None
            secs = time.monotonic() - t1
            left = self.leftovers(grace=5)
            out = log.read_text(errors="replace")
            problems = [f"exit {rc}"] if rc is None or rc <= 0 else []
            if "SIGTERM received" in out:
                problems.append("Ray stack dump")
            if left:
                problems.append(f"{len(left)} processes left (e.g. {left[0][1][:40]})")
            if "Traceback" in out:
                problems.append("traceback")
            if secs > 20:
                problems.append(f"took {secs:.0f}s to stop")
            tail = [x for x in out.splitlines() if x.strip()][-1:] or [""]
            self.record(Result(name, f"run; {sig.name} ", "stops with a summary, nothing left",
                               rc, secs, why=tail[0][:100], rows=self.rows(runs)), problems)  # fmt: skip
            rc2, secs2, _out2 = self.call(self.run_args(abl, runs))
            left2 = self.leftovers()
            self.record(Result(f"{name}_resume", "run again", "exit 0, all finished", rc2, secs2,
                               rows=self.rows(runs)),
                        ([f"exit {rc2}"] if rc2 else []) + ([f"{len(left2)} left"] if left2 else [])
                        + ([d] if (d := self.duplicates(runs)) else []))  # fmt: skip

    def case_nox_sigint(self):
        log = self.work / "nox.log"
        nox = shutil.which("nox") or "nox"
        runs = self.clone / "runs"
        abl = self.write("noxint.yaml", toy("noxint", 4000))  # still running when signalled
        p = self.start([nox, "-s", "reproduce", "--", str(abl), "--budget", "smoke",
                        "--runs", str(self.work / "nox-runs"), "--new-runs"], log=log)  # fmt: skip
        t0 = time.monotonic()
        while (
            time.monotonic() - t0 < 200 and "started" not in log.read_text(errors="replace").lower()
        ):
            time.sleep(0.5)
        time.sleep(3)
        os.killpg(p.pid, signal.SIGINT)  # Ctrl-C: the terminal's process group
        t1 = time.monotonic()
        try:
            rc = p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            rc = None
        secs = time.monotonic() - t1
        left = self.leftovers(grace=5)
        out = log.read_text(errors="replace")
        problems = [f"exit {rc}"] if rc in (None, 0) else []
        if left:
            problems.append(f"{len(left)} processes left (e.g. {left[0][1][:40]})")
        if "Traceback" in out or "Stack (most recent" in out:
            problems.append("traceback / stack dump")
        if "trial(s):" not in out:  # the suite's summary (commands._summary)
            problems.append("no summary of the trials")
        tail = [x for x in out.splitlines() if x.strip()][-3:]
        del runs
        self.record(Result("sigint_nox_reproduce", "nox -s reproduce -- toy; Ctrl-C",
                           "stops with a summary, nothing left", rc, secs,
                           why=" | ".join(t[:80] for t in tail)), problems)  # fmt: skip

    def case_corrupt(self):
        abl, runs, base = self.fresh_runs("corrupt", 20)
        ckpts = sorted(p for p in runs.rglob("*") if p.is_file() and p.parent.name == "checkpoint")
        recs = sorted(p for p in runs.rglob("*") if p.is_file() and p.suffix in (".jsonl", ".csv")
                      and "trials" in str(p.relative_to(runs)))  # fmt: skip
        if ckpts:
            ckpts[0].write_bytes(b"\x00garbage" * 10)
        if recs:
            data = recs[0].read_bytes()
            recs[0].write_bytes(data[: len(data) // 2])
        rc, secs, out = self.call(self.run_args(abl, runs))
        left = self.leftovers()
        rows = self.rows(runs)
        problems = [f"exit {rc}"] if rc != 0 else []
        if rows != base.rows:
            problems.append(f"rows {base.rows} -> {rows}")
        if left:
            problems.append(f"{len(left)} left")
        if "Traceback" in out:
            problems.append("traceback")
        what = f"corrupted {ckpts[0].name if ckpts else 'no checkpoint'}, tore {recs[0].name if recs else 'no record'}"
        self.record(Result("corrupt_ckpt_torn_record", "garble checkpoint + halve record; run",
                           "aside + retrained, same rows", rc, secs, why=what,
                           rows=f"{base.rows} -> {rows}"), problems)  # fmt: skip
        # the tables themselves, read by report
        for case, how in (
            ("report_truncated_results", "results"),
            ("report_garbled_trials", "trials"),
        ):
            table = runs / f"{how}.parquet"
            saved = table.read_bytes()
            table.write_bytes(saved[: len(saved) // 3] if how == "results" else b"PAR1garbage" * 50)
            self.refusal(case, [self.suite, "report", str(runs)], watch=[runs], need=("collect",))
            table.write_bytes(saved)
        out_file = self.work / "a-file"
        out_file.write_text("x")
        self.refusal("report_out_is_file", [self.suite, "report", str(runs), "--out", str(out_file)],
                     watch=[runs, out_file])  # fmt: skip
        ro = self.work / "ro"
        ro.mkdir(exist_ok=True)
        ro.chmod(0o555)
        r = self.refusal("report_out_readonly", [self.suite, "report", str(runs), "--out", str(ro / "r")],
                         watch=[runs, ro])  # fmt: skip
        if os.geteuid() == 0:  # mode bits do not stop root: not a case here
            r.clean = None
            r.why += " (root: a 0555 dir is writable to root; see the report_out_ro_fs case)"
        ro.chmod(0o755)
        # report DIR from another directory: DIR/report, nothing in cwd
        elsewhere = self.work / "elsewhere"
        elsewhere.mkdir(exist_ok=True)
        before = self.listing(elsewhere, self.clone)
        rc, secs, out = self.call([self.suite, "report", str(runs)], cwd=elsewhere)
        changed = [c for c in self.diff(before, self.listing(elsewhere, self.clone))]
        problems = [f"exit {rc}"] if rc != 0 else []
        if changed:
            problems.append(f"wrote outside DIR: {changed[:2]}")
        if not (runs / "report" / "index.html").exists():
            problems.append("no DIR/report/index.html")
        self.leftovers()
        self.record(Result("report_dir_location", "cd elsewhere; report DIR", "DIR/report, nothing in cwd",
                           rc, secs), problems)  # fmt: skip
        self.corrupt_runs = (abl, runs, base)

    def case_readonly_mount(self):
        if os.geteuid() != 0:
            return
        _abl, runs, _ = getattr(self, "corrupt_runs", (None, None, None))
        if runs is None:
            return
        mnt = self.work / "ro-mnt"
        mnt.mkdir(exist_ok=True)
        if subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", str(mnt)]
        ).returncode:
            return
        try:
            self.refusal("report_out_ro_fs", [self.suite, "report", str(runs), "--out", str(mnt / "r")],
                         watch=[runs], need=("writ",))  # fmt: skip
        finally:
            subprocess.run(["umount", str(mnt)])

    def case_full_disk(self):
        if os.geteuid() != 0:
            return
        abl = self.write("full.yaml", toy("full", 400))
        for case, size, fill in (
            ("disk_2MB_preflight", "2m", False),
            # big enough for the pre-flight estimate (about 58 MB a toy trial), so the
            # run starts and the disk fills under it (dd writes until the disk is full)
            ("disk_fills_midrun", "200m", True),
        ):
            mnt = self.work / f"mnt-{case}"
            mnt.mkdir(exist_ok=True)
            if subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)]
            ).returncode:
                return
            try:
                runs = mnt / "runs"
                log = self.work / f"{case}.log"
                t0 = time.monotonic()
                p = self.start(self.run_args(abl, runs, "--new-runs"), log=log)
                if fill:
                    while time.monotonic() - t0 < 150 and not list(runs.glob("**/checkpoint*")):
                        if p.poll() is not None:
                            break
                        time.sleep(0.3)
                    subprocess.run(["dd", "if=/dev/zero", f"of={mnt}/filler", "bs=1M", "count=400"],
                                   capture_output=True)  # fmt: skip
                try:
                    rc = p.wait(timeout=180)
                except subprocess.TimeoutExpired:
                    rc = None
                secs = time.monotonic() - t0
                left = self.leftovers()
                out = log.read_text(errors="replace")
                lines = [x for x in out.splitlines() if x.strip()]
                problems = [f"exit {rc}"] if rc != 2 else []
                if "space" not in out.lower() and "disk" not in out.lower():
                    problems.append("no disk message")
                if left:
                    problems.append(f"{len(left)} left")
                if out.count("Traceback"):
                    problems.append(f"{out.count('Traceback')} tracebacks")
                self.record(Result(case, f"run toy --runs <{size} tmpfs>", "exit 2, disk message, bounded",
                                   rc, secs, why=(lines[-1][:110] if lines else ""),
                                   rows=f"{len(lines)} lines"), problems)  # fmt: skip
            finally:
                self.kill_ours()
                subprocess.run(["umount", "-l", str(mnt)])

    def case_partial_quick_report(self):
        abl = self.write("pq.yaml", toy("pq", 2))
        runs = self.work / "pq-runs"
        rc, _, _ = self.call(self.run_args(abl, runs, "--new-runs"))
        doc = toy("pq", 2)
        doc["budgets"]["quick"] = {"iterations": 3000, "log_every": 10, "checkpoint_every": 500}
        self.write("pq.yaml", doc)
        log = self.work / "pq-quick.log"
        p = self.start(
            [self.suite, "run", str(abl), "--budget", "quick", "--runs", str(runs)], log=log
        )
        t0 = time.monotonic()
        while (
            time.monotonic() - t0 < 120 and "started" not in log.read_text(errors="replace").lower()
        ):
            time.sleep(0.5)
        time.sleep(2)
        os.killpg(p.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=60)
        self.leftovers()
        rc, secs, _out = self.call([self.suite, "report", str(runs)])
        self.leftovers()
        problems = [f"exit {rc}"] if rc != 0 else []
        index = runs / "report" / "index.html"
        html = index.read_text(errors="replace") if index.exists() else ""
        if "budgets run: smoke, quick" in html:
            problems.append("'budgets run: smoke, quick' after an interrupted quick run")
        if ">nan<" in html or " nan " in html:
            problems.append("nan in report")
        self.record(Result("partial_quick_report", "smoke run; quick run ^C; report",
                           "quick shown as pending, no nan", rc, secs, rows=self.rows(runs)), problems)  # fmt: skip

    def case_reproduce_tracked(self):
        runs = self.work / "repro-runs"
        rc, secs, _out = self.call([self.suite, "reproduce", "parallel_lines", "--budget", "smoke",
                                   "--runs", str(runs), "--new-runs"], timeout=400)  # fmt: skip
        left = self.leftovers()
        status = subprocess.run(["git", "status", "--porcelain", "--", "reports"], cwd=self.clone,
                                capture_output=True, text=True).stdout  # fmt: skip
        problems = [f"exit {rc}"] if rc != 0 else []
        if status.strip():
            problems.append(f"reports/ changed: {status.splitlines()[:2]}")
        if left:
            problems.append(f"{len(left)} left")
        if not (runs / "report" / "index.html").exists():
            problems.append("no RUNS/report/index.html")
        self.record(Result("reproduce_reports_intact", "reproduce parallel_lines --budget smoke",
                           "exit 0, tracked reports/ byte-identical", rc, secs, rows=self.rows(runs)),
                    problems)  # fmt: skip

    def case_readme_numbers(self):
        readme = (self.clone / "README.md").read_text()
        rc, secs, out = self.call([self.suite, "list", "--budget", "quick", "--runs",
                                   str(self.work / "count-runs"),
                                   *self.reproduce_ablations()])  # fmt: skip
        self.leftovers()
        problems = []
        toy_line = [x for x in readme.splitlines() if "`quick`" in x]
        self.record(Result("readme_quick_count", "list --budget quick <reproduce ablations>",
                           "README's trial count matches", rc, secs,
                           why=(toy_line[0][:100] if toy_line else "") + " | " + out.strip().splitlines()[-1][:80]
                           if out.strip() else ""), problems)  # fmt: skip
        self.results[-1].clean = None  # judged by hand

    def reproduce_ablations(self) -> list[str]:
        import yaml

        names = []
        for f in sorted((self.clone / "ablations").glob("*.yaml")):
            with contextlib.suppress(Exception):
                marked = yaml.safe_load(f.read_text()).get("reproduce")
                if marked is True or (isinstance(marked, list) and "quick" in marked):
                    names.append(f.stem)
        return names

    def case_sudo(self):
        readme = (self.clone / "README.md").read_text()
        has = "sudo apt-get" in readme
        problems = (
            ["README's first line uses sudo, absent here (root)"]
            if has and not shutil.which("sudo")
            else []
        )
        self.record(Result("readme_sudo_line", "README set-up as root", "works without sudo", None, 0.0),
                    problems)  # fmt: skip


CASES = ["help_time", "bad_yaml", "width_run", "mistyped_runs", "missing_data", "gpu_refusal",
         "concurrent", "kill9", "signals", "nox_sigint", "corrupt", "readonly_mount", "full_disk",
         "partial_quick_report", "reproduce_tracked", "readme_numbers", "sudo"]  # fmt: skip


def table(results: list[Result]) -> str:
    lines = ["| case | command (short) | expected | exit | s | clean? | why / rows |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in results:
        clean = {True: "yes", False: "**no**", None: "n/a"}[r.clean]
        why = r.why.replace("|", "/") + (f" [{r.rows}]" if r.rows else "")
        lines.append(f"| {r.case} | `{r.command.replace('|', '/')}` | {r.expected} | {r.rc} | "
                     f"{r.seconds:.1f} | {clean} | {why} |")  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="*", help=f"default: all of {', '.join(CASES)}")
    ap.add_argument(
        "--clone", type=Path, required=True, help="a checkout with .venv/ (nox -s setup)"
    )
    ap.add_argument("--timeout", type=float, default=240, help="seconds per command")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hostile-probe-"))
    probe = Probe(args.clone, work, args.timeout)
    try:
        for name in args.cases or CASES:
            t0 = time.monotonic()
            try:
                getattr(probe, f"case_{name}")()
            except Exception as exc:
                probe.record(Result(name, "-", "-", None, time.monotonic() - t0),
                             [f"probe error: {type(exc).__name__}: {exc}"])  # fmt: skip
            finally:
                probe.kill_ours()
    finally:
        probe.kill_ours()
        for mnt in work.glob("*mnt*"):
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    print(table(probe.results))
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in probe.results], indent=1))
    n = sum(r.clean is True for r in probe.results)
    print(f"\n{n} of {sum(r.clean is not None for r in probe.results)} clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
