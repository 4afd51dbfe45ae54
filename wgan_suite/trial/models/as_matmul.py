"""The DCGAN nets' two degenerate convolutions, computed as the matmuls they are.

The generator's first layer is a 4x4 transposed convolution of a 1x1 input, and the
critic's last a 4x4 convolution whose kernel covers its whole 4x4 input. Each is a
matrix product in a convolution's shape: DCGAN's first layer "could be called fully
connected as it is just a matrix multiplication" (Radford et al. 2016, section 3.3). On
CPU, oneDNN spends most of such a call on per-call overhead (0.4 GFLOP/s for the critic's
last layer on an AVX2 core, ``benchmarks/conv_paths.py``), so these modules compute the
product with ``torch.matmul`` / ``F.linear`` instead, on CPU. On a GPU the convolution
stays: cuDNN's convolutions may run in TF32 by default where matmuls do not, so the
matmul form would change a GPU run's numbers by more than rounding.

They stay ``nn.ConvTranspose2d`` and ``nn.Conv2d``: the same parameters under the same
names and shapes, so initialisation, weight clipping, spectral norm, parameter counts and
checkpoints are unchanged, and any other input shape takes the convolution's own path.
The result is the same sum of the same products in another order: equal to the
convolution's within float32 rounding (``tests/test_models_matmul.py`` states the bound,
and shows it is rounding: in float64 the two agree to 1e-12).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class ProjectionConvTranspose2d(nn.ConvTranspose2d):
    """A transposed convolution of a 1x1 input: ``x @ W`` reshaped to (C_out, k, k)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        super().__init__(in_channels, out_channels, kernel_size, 1, 0, bias=False)

    def forward(self, x: Tensor, output_size: list[int] | None = None) -> Tensor:
        if x.device.type != "cpu" or x.dim() != 4 or x.shape[-2:] != (1, 1) or output_size:
            return super().forward(x, output_size)
        w = self.weight  # (C_in, C_out, k, k)
        return (x.flatten(1) @ w.flatten(1)).view(x.shape[0], *w.shape[1:])


class HeadConv2d(nn.Conv2d):
    """A convolution whose kernel covers its whole input: one output pixel, ``F.linear``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        super().__init__(in_channels, out_channels, kernel_size, 1, 0, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        if x.device.type != "cpu" or x.dim() != 4 or x.shape[-2:] != self.kernel_size:
            return super().forward(x)
        w = self.weight  # (C_out, C_in, k, k)
        return F.linear(x.flatten(1), w.flatten(1)).view(x.shape[0], w.shape[0], 1, 1)
