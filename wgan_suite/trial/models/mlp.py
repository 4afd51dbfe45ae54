"""MLP generator and critic (authors' ``models/mlp.py``; also the WGAN-GP toy nets).

Paper: "4-layer ReLU-MLP with 512 hidden units". The authors' code has 4 linear
layers (3 hidden ReLU layers of ``width``) and no Tanh on the generator output;
``tanh_out`` and ``hidden_layers`` make the paper-faithful readings available.
The same nets with 2-D data are gan_toy.py's (3 hidden ReLU layers of 512, He init).
"""

from __future__ import annotations

import math

from pydantic import Field
from torch import Tensor, nn

from wgan_suite.core.options import Options
from wgan_suite.trial.models.init import InitName, apply_init
from wgan_suite.trial.models.registry import CRITICS, GENERATORS, Critic, Generator


class MLPOptions(Options):
    width: int = Field(512, gt=0, description="units per hidden layer")
    hidden_layers: int = Field(3, ge=1, description="ReLU hidden layers (authors: 3)")
    init: InitName = "default"


class MLPGeneratorOptions(MLPOptions):
    tanh_out: bool = Field(False, description="Tanh on the output (authors' code: no)")


def _mlp(n_in: int, width: int, hidden: int, n_out: int) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for i in range(hidden):
        layers += [nn.Linear(n_in if i == 0 else width, width), nn.ReLU(True)]
    return [*layers, nn.Linear(width, n_out)]


@GENERATORS.register("mlp")
class MLPGenerator(Generator):
    """Authors' MLP_G: noise -> hidden ReLU layers -> data, reshaped to the data shape."""

    Options = MLPGeneratorOptions

    def __init__(self, options: MLPGeneratorOptions, data_shape: tuple[int, ...], nz: int) -> None:
        super().__init__()
        self.data_shape = tuple(data_shape)
        layers = _mlp(nz, options.width, options.hidden_layers, math.prod(data_shape))
        self.main = nn.Sequential(*layers, *([nn.Tanh()] if options.tanh_out else []))
        apply_init(self, options.init)

    def forward(self, z: Tensor) -> Tensor:
        return self.main(z.reshape(z.shape[0], -1)).view(z.shape[0], *self.data_shape)


@CRITICS.register("mlp")
class MLPCritic(Critic):
    """Authors' MLP_D: flattened input -> hidden ReLU layers -> one unbounded score."""

    Options = MLPOptions

    def __init__(self, options: MLPOptions, data_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.main = nn.Sequential(
            *_mlp(math.prod(data_shape), options.width, options.hidden_layers, 1)
        )
        apply_init(self, options.init)

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x.reshape(x.shape[0], -1)).view(x.shape[0])
