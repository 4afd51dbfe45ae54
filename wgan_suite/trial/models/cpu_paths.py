"""The generator's output layer on PyTorch's own CPU path where oneDNN is slow for it.

The DCGAN generator ends in a 4x4 transposed convolution onto the image's few channels
(16 -> 1 at the cpu budget's 16 px). On an AVX2 CPU without AVX-512 (AMD EPYC family 25
model 1, the only such CPU measured), oneDNN computes its forward at 1.9 GFLOP/s and
PyTorch's own path (im2col with MKL's sgemm) at 8.9 (``benchmarks/conv_paths.py``). The
layer runs five times per generator iteration without a gradient (the critic step's
fakes), so its forward takes PyTorch's path on such a CPU. Its backward costs about the
same on both paths there (0.62 against 0.54 ms: conv_paths' forward-and-backward time
less the forward), and stays oneDNN's: PyTorch picks the backward's path when the
backward runs. On CPUs with AVX-512 nothing changes (not measured there: run
``python benchmarks/conv_paths.py`` on one), nor on a GPU.

The switch is process-wide (``torch.backends.mkldnn.enabled``): a lock keeps two threads'
forwards from interleaving their save and restore, but a convolution another thread runs
during the forward takes PyTorch's path too. Trials run one per process, so none does.

Same module, parameters and function: the two paths differ by float32 rounding (PyTorch
sends no float64 convolution to oneDNN, so there is no float64 control here; in float32
a 5-iteration training run's records agree to 3.1e-7 relative, ``tests/test_models_matmul.py``).
"""

from __future__ import annotations

import functools
import threading

import torch
from torch import Tensor, nn

_SWITCH = threading.Lock()


@functools.cache
def native_output_path() -> bool:
    """Whether this CPU is the kind on which the output layer's forward pays off
    PyTorch's path (AVX2 without AVX-512: measured there and nowhere else)."""
    return torch.backends.cpu.get_cpu_capability() == "AVX2"


class OutputConvTranspose2d(nn.ConvTranspose2d):
    """The generator's last transposed convolution; on an AVX2 CPU, oneDNN off for its
    forward (the process-wide switch, put back as it was before it returns)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, 4, 2, 1, bias=False)

    def forward(self, x: Tensor, output_size: list[int] | None = None) -> Tensor:
        if x.device.type != "cpu" or not native_output_path():
            return super().forward(x, output_size)
        with _SWITCH:
            enabled = torch.backends.mkldnn.enabled
            torch.backends.mkldnn.enabled = False
            try:
                return super().forward(x, output_size)
            finally:
                torch.backends.mkldnn.enabled = enabled
