"""Each convolution of the image cells, timed on oneDNN and on PyTorch's own path.

    python benchmarks/conv_paths.py                   # dcgan, const and mlp_g cells
    python benchmarks/conv_paths.py --cells dcgan --repeats 5

The image cells' convolutions run through oneDNN on x86 (``aten::mkldnn_convolution``);
with ``torch.backends.mkldnn.enabled = False`` PyTorch takes its own path instead (NNPACK
or im2col with MKL's sgemm for convolutions, im2col for transposed ones). On the VM kind
without AVX-512 the DCGAN cells lost more than the MLP cells (whose matmuls are MKL's):
this script says, layer by layer, which kernels are slow on a machine and whether the
other path would be faster there.

Each convolution and transposed convolution of the cell's real generator and critic
(``build_state`` of the ``cpu`` config, ``benchmarks/profile_cells.py``'s cells) is
recorded with its input shape during one training step past the warm-up, with how often
that step calls it and what each call asks for: a forward alone (the generator inside the
critic step), a forward and the weight's gradient, or a forward and both gradients. Each
kind of call is then timed alone on both paths, one thread, interleaved over
``--repeats`` rounds (medians), forward and backward together. FLOPs are those
``torch.utils.flop_counter`` counts for one such call (the forward, and each gradient it
asks for), as ``profile_cells.py`` counts a step's. The ``ms per generator iteration``
columns add up to the step's convolution time on each path; the last line also gives
what taking the faster path for each layer and kind of call would cost. The machine
comes first.

The columns time the convolution itself (``F.conv2d`` / ``F.conv_transpose2d``) on each
path, which is not always what the package runs now: layers marked ``*`` run as matmuls
(``wgan_suite.trial.models.as_matmul``), and the layer marked ``+`` takes PyTorch's path
for its forward on AVX2 CPUs (``wgan_suite.trial.models.cpu_paths``); the table is what
those choices were made from, and what a new machine would decide them from.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe
from profile_cells import PAST_WARMUP, cell_config, per_call, step_module

from wgan_suite.trial.models.as_matmul import HeadConv2d, ProjectionConvTranspose2d
from wgan_suite.trial.models.cpu_paths import OutputConvTranspose2d
from wgan_suite.trial.train.state import build_state

DEFAULT_CELLS = ("dcgan", "const", "mlp_g")
PATHS = {"oneDNN": True, "native": False}


class Layer:
    """One convolution as the step calls it: its module, input shape and calls by kind.

    A call is one of three kinds: ``forward`` (no graph: the generator inside the critic
    step), ``weight`` (a backward follows that wants the weight's gradient only: the
    critic's first layer on real or detached fake images) and ``both`` (the weight's and
    the input's gradients).
    """

    KINDS = ("forward", "weight", "both")

    def __init__(self, name: str, module: nn.Module, shape: tuple[int, ...]) -> None:
        self.name, self.module, self.shape = name, module, shape
        self.calls = dict.fromkeys(self.KINDS, 0)

    @property
    def transposed(self) -> bool:
        return isinstance(self.module, nn.ConvTranspose2d)

    def describe(self) -> str:
        m, (_, c, h, w) = self.module, self.shape
        kind = "deconv" if self.transposed else "conv"
        mark = ""
        if isinstance(m, (HeadConv2d, ProjectionConvTranspose2d)):
            mark = " *"  # the package runs it as a matmul
        elif isinstance(m, OutputConvTranspose2d):
            mark = " +"  # its forward on PyTorch's path on AVX2 CPUs
        size = f"{h}x{w} k{m.kernel_size[0]} s{m.stride[0]}"
        return f"{self.name} {kind} {c}->{m.out_channels} {size}{mark}"

    def timers(self) -> dict[str, Callable[[], Any]]:
        """A timer per kind of call; a backward timer runs its forward too."""
        m = self.module
        x = torch.randn(self.shape, requires_grad=True)
        w = m.weight.detach().clone().requires_grad_(True)
        args = (m.stride, m.padding, m.output_padding) if self.transposed else (m.stride, m.padding)
        conv = F.conv_transpose2d if self.transposed else F.conv2d

        def forward() -> Any:
            with torch.no_grad():
                return conv(x, w, None, *args)

        grad = torch.randn_like(forward())
        return {
            "forward": forward,
            "weight": lambda: torch.autograd.grad(conv(x.detach(), w, None, *args), (w,), grad),
            "both": lambda: torch.autograd.grad(conv(x, w, None, *args), (x, w), grad),
        }


def record_layers(config: Any) -> list[Layer]:
    """The cell's convolutions, their input shapes and calls in one generator iteration."""
    state = build_state(config)
    layers: dict[nn.Module, Layer] = {}
    hooks = []
    for net_name, net in (("G", state.generator), ("D", state.critic)):
        convs = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
        for i, m in enumerate(convs):

            def hook(mod, inputs, _out, name=f"{net_name}{i + 1}"):
                layer = layers.setdefault(mod, Layer(name, mod, tuple(inputs[0].shape)))
                if not torch.is_grad_enabled():
                    layer.calls["forward"] += 1
                else:
                    layer.calls["both" if inputs[0].requires_grad else "weight"] += 1

            hooks.append(m.register_forward_hook(hook))
    state.iteration = PAST_WARMUP
    step_module.train_step(state)
    for h in hooks:
        h.remove()
    return sorted(layers.values(), key=lambda layer: layer.name)


def flops(fn: Callable[[], Any]) -> int:
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return counter.get_total_flops()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cells", default=",".join(DEFAULT_CELLS))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--calls", type=int, default=40, help="calls per timing")
    a = p.parse_args()
    torch.set_num_threads(1)
    print(describe())
    print("threads for the benchmark: 1\n")
    for kind in a.cells.split(","):
        cfg = cell_config(kind)
        layers = record_layers(cfg)
        fns = {layer.name: layer.timers() for layer in layers}
        work = {(name, call): flops(fn) for name, t in fns.items() for call, fn in t.items()}
        times: dict[tuple[str, str, str], list[float]] = {}
        for enabled in PATHS.values():  # warm both paths' kernels and caches
            torch.backends.mkldnn.enabled = enabled
            for timers in fns.values():
                for fn in timers.values():
                    per_call(fn, 3)
        for _ in range(a.repeats):
            for path, enabled in PATHS.items():  # interleaved
                torch.backends.mkldnn.enabled = enabled
                for layer in layers:
                    for call, fn in fns[layer.name].items():
                        times.setdefault((layer.name, call, path), []).append(per_call(fn, a.calls))
        torch.backends.mkldnn.enabled = True
        med = {key: statistics.median(v) for key, v in times.items()}
        print(f"== {kind}: G {cfg.generator.name}, D {cfg.critic.name}, batch {cfg.batch_size}")
        print(
            f"   {'layer':34s} {'call':8s} {'calls':>5s}  "
            + "  ".join(f"{p:>7s} ms GFLOP/s" for p in PATHS)
            + "   ms per generator iteration"
        )
        totals = dict.fromkeys(PATHS, 0.0)
        for layer in layers:
            for call in Layer.KINDS:
                n = layer.calls[call]
                if not n:
                    continue
                cells, per_iter = [], []
                for path in PATHS:
                    t = med[(layer.name, call, path)]
                    cells.append(f"{t * 1e3:10.3f} {work[(layer.name, call)] / t / 1e9:8.1f}")
                    per_iter.append(f"{t * n * 1e3:6.2f}")
                    totals[path] += t * n
                print(
                    f"   {layer.describe():34s} {call:8s} {n:5d}  "
                    + "  ".join(cells)
                    + "   "
                    + " / ".join(per_iter)
                )
        summary = ", ".join(f"{p} {t * 1e3:.1f} ms" for p, t in totals.items())
        best = sum(
            min(med[(ly.name, c, p)] * ly.calls[c] for p in PATHS)
            for ly in layers
            for c in Layer.KINDS
        )
        print(
            f"   convolutions per generator iteration: {summary}; "
            f"the faster path per layer and call: {best * 1e3:.1f} ms\n"
        )


if __name__ == "__main__":
    main()
