"""Which code path MKL, oneDNN and ATen take on this CPU, and what each costs a cell.

The cpu image grid ran 3.5-5x slower on an AMD EPYC VM kind without AVX-512 than on an
Intel VM kind with it, and its MLP cells (MKL's sgemm) lost more than its DCGAN cells
(oneDNN's convolutions). Two explanations predict different things:

* the **hardware** (no AVX-512: half the vector width): capping every library at AVX2
  on an AVX-512 machine should cost the same on MLP and DCGAN cells;
* **MKL's vendor dispatch** (MKL picks its generic code path on a non-Intel CPU):
  capping MKL alone at a generic ISA should hurt the MLP cells and leave the DCGAN
  cells, whose convolutions are oneDNN's, nearly alone.

Each setting runs in a fresh process (the libraries read their variables once), times
the steady step of the ``dcgan`` and ``mlp_gd`` cells (``benchmarks/profile_cells.py``)
and the MLP's matmul shape, and reports the ISA that MKL (``MKL_VERBOSE``) and oneDNN
(``ONEDNN_VERBOSE``) say they dispatched to. Settings are interleaved over ``--repeats``
rounds; figures are medians. On the slow VM kind, the "as found" row alone names the
path MKL took there.

    python benchmarks/isa_paths.py --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SETTINGS = {
    "as found": {},
    "all at AVX2 (no AVX-512)": {
        "ATEN_CPU_CAPABILITY": "avx2",
        "DNNL_MAX_CPU_ISA": "AVX2",
        "MKL_ENABLE_INSTRUCTIONS": "AVX2",
    },
    "MKL at AVX2": {"MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "MKL generic (SSE4.2)": {"MKL_ENABLE_INSTRUCTIONS": "SSE4_2"},
    "oneDNN at AVX2": {"DNNL_MAX_CPU_ISA": "AVX2"},
}
CELLS = ("dcgan", "mlp_gd")


def child(iterations: int) -> dict[str, object]:
    """Runs in the subprocess: one thread, as a trial under Ray."""
    import torch
    from profile_cells import PAST_WARMUP, cell_config, per_call, step_module

    from wgan_suite.trial.train.state import build_state

    torch.set_num_threads(1)
    out: dict[str, object] = {"capability": torch.backends.cpu.get_cpu_capability()}
    a, b = torch.randn(64, 512), torch.randn(512, 512)
    a @ b
    out["mlp matmul GFLOP/s"] = 2 * 64 * 512 * 512 / per_call(lambda: a @ b, 2000) / 1e9
    for kind in CELLS:
        state = build_state(cell_config(kind))

        def step(state=state):
            state.iteration = PAST_WARMUP
            step_module.train_step(state)

        per_call(step, 3)
        out[f"{kind} ms"] = per_call(step, iterations) * 1e3
    return out


def verbose_isa(env: dict[str, str]) -> dict[str, str]:
    """The ISA lines MKL and oneDNN print for one sgemm and one convolution."""
    code = (
        "import torch; torch.set_num_threads(1);"
        "torch.randn(64, 512) @ torch.randn(512, 512);"
        "torch.nn.functional.conv2d(torch.randn(2, 3, 16, 16), torch.randn(8, 3, 4, 4))"
    )
    extra = {"MKL_VERBOSE": "1", "ONEDNN_VERBOSE": "1"}
    run = subprocess.run(
        [sys.executable, "-c", code], env={**env, **extra}, capture_output=True, text=True
    )
    text = run.stdout + run.stderr
    mkl = re.search(r"MKL_VERBOSE [^\n]*? architecture (.*?),? Lnx", text)
    dnnl = re.search(r"onednn_verbose,[^\n]*,info,cpu,isa:([^\n]*)", text)
    return {
        "MKL path": mkl[1].strip() if mkl else "no MKL call seen",
        "oneDNN isa": dnnl[1].strip() if dnnl else "no oneDNN call seen",
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--iterations", type=int, default=10, help="generator iterations per timing")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        print(json.dumps(child(a.iterations)))
        return
    from machine import describe

    print(describe())
    base = {k: v for k, v in os.environ.items() if not k.startswith(("MKL_", "DNNL_", "ATEN_"))}
    rows: dict[str, list[dict]] = {name: [] for name in SETTINGS}
    start = time.perf_counter()
    for _ in range(a.repeats):
        for name, env in SETTINGS.items():  # interleaved
            cmd = [sys.executable, __file__, "--child", "--iterations", str(a.iterations)]
            run = subprocess.run(cmd, env={**base, **env}, capture_output=True, text=True)
            if run.returncode:
                raise SystemExit(f"{name}: {run.stderr[-2000:]}")
            rows[name].append(json.loads(run.stdout.splitlines()[-1]))
    print(f"\n{a.repeats} rounds in {time.perf_counter() - start:.0f} s; medians, one thread\n")
    ref = {k: statistics.median(r[k] for r in rows["as found"]) for k in rows["as found"][0]}
    for name, env in SETTINGS.items():
        isa = verbose_isa({**base, **env})
        med = {k: statistics.median(r[k] for r in rows[name]) for k in ref if k != "capability"}
        print(f"== {name}: {', '.join(f'{k}={v}' for k, v in env.items()) or 'no variable set'}")
        print(f"   ATen {rows[name][0]['capability']}; MKL {isa['MKL path']}")
        print(f"   oneDNN {isa['oneDNN isa']}")
        for key, value in med.items():
            slower = ref[key] / value if "GFLOP" in key else value / ref[key]
            print(f"   {key:22s} {value:8.1f}   {slower:4.2f}x the time as found")


if __name__ == "__main__":
    main()
