"""The generator's output layer on PyTorch's own CPU path where oneDNN is slow for it.

The DCGAN generator ends in a 4x4 transposed convolution onto the image's few channels
(16 -> 1 at the cpu budget's 16 px). On an AVX2 CPU without AVX-512 (AMD EPYC family 25
model 1), oneDNN computes its forward at 1.9 GFLOP/s, and PyTorch's own path (im2col
with MKL's sgemm) at 8.9 (``benchmarks/conv_paths.py``). The layer runs five times per
generator iteration without a gradient (the critic step's fakes), so its forward takes
PyTorch's path on such a CPU. Its backward, where oneDNN is not slower, stays oneDNN's:
PyTorch picks the backward's path when the backward runs. On CPUs with AVX-512 nothing
changes (not measured there: ``python benchmarks/conv_paths.py`` says whether it would
pay), nor on a GPU.

Same module, parameters and function: the two paths differ by float rounding
(``tests/test_models_matmul.py``: in float64 a training run keeps its records to 1e-12).
"""

from __future__ import annotations

import functools

import torch
from torch import Tensor, nn


@functools.cache
def native_output_path() -> bool:
    """Whether this CPU is the kind on which the output layer's forward pays off
    PyTorch's path (AVX2 without AVX-512: measured there and nowhere else)."""
    return torch.backends.cpu.get_cpu_capability() == "AVX2"


class OutputConvTranspose2d(nn.ConvTranspose2d):
    """The generator's last transposed convolution; on an AVX2 CPU, oneDNN off for its
    forward (the process-wide switch, restored before it returns)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, 4, 2, 1, bias=False)

    def forward(self, x: Tensor, output_size: list[int] | None = None) -> Tensor:
        if x.device.type != "cpu" or not native_output_path():
            return super().forward(x, output_size)
        enabled = torch.backends.mkldnn.enabled
        torch.backends.mkldnn.enabled = False
        try:
            return super().forward(x, output_size)
        finally:
            torch.backends.mkldnn.enabled = enabled
