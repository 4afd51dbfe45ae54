"""A small CNN classifier per dataset, trained once and cached: the CPU quality proxy.

Inception features cost ~6 images/s on two CPU cores, too slow for curves on the CPU
budgets. As is common for MNIST-like data, the suite instead trains a small classifier
on the dataset itself and measures Fréchet distances in its penultimate features
(reported as ``fd_classifier``, never as FID). Stacked MNIST uses a digit classifier
applied to each channel. The cache key covers the data options and this recipe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wgan_suite.core import files
from wgan_suite.core.options import resolve
from wgan_suite.trial.data import DATASETS, build_source
from wgan_suite.trial.data.base import to_float
from wgan_suite.trial.metrics.cache import build_once, cache_dir, key_of, sha256_file

RECIPE = {"version": 1, "epochs": 3, "max_train": 30000, "holdout": 2000, "lr": 1e-3, "batch": 128}
FEATURES = 128


class SmallCNN(nn.Module):
    def __init__(self, channels: int, classes: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
            nn.Linear(64 * 16, FEATURES),
            nn.ReLU(),
        )
        self.head = nn.Linear(FEATURES, classes)

    def features(self, x: Tensor) -> Tensor:
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x))


@dataclass
class Classifier:
    net: SmallCNN
    accuracy: float  # on held-out images of the dataset
    sha256: str
    per_channel: bool  # stacked MNIST: one digit per channel

    @torch.no_grad()
    def features(self, x: Tensor, batch: int = 500) -> Tensor:
        """Penultimate features of images in [-1, 1]; per channel, concatenated, if stacked."""
        net = self.net.to(x.device)
        planes = [x[:, c : c + 1] for c in range(x.shape[1])] if self.per_channel else [x]
        return torch.cat([torch.cat([net.features(b) for b in p.split(batch)]) for p in planes], 1)

    @torch.no_grad()
    def predict(self, x: Tensor, batch: int = 500) -> Tensor:
        """Class per image; for stacked MNIST the 1,000-way mode 100 d_R + 10 d_G + d_B."""
        net = self.net.to(x.device)

        def classes(images: Tensor) -> Tensor:
            return torch.cat([net(b).argmax(1) for b in images.split(batch)])

        if self.per_channel:
            digits = [classes(x[:, c : c + 1]) for c in range(x.shape[1])]
            return digits[0] * 100 + digits[1] * 10 + digits[2]
        return classes(x)


def training_set(data: Any) -> tuple[Any, bool]:
    """The labelled data options the classifier learns from, and whether it is per channel."""
    if data.name == "stacked_mnist":
        digits = {"name": "mnist", "root": data.root, "image_size": data.image_size}
        opts = resolve(
            DATASETS, {**digits, "channels": 1, "limit": data.limit, "start": data.start}
        )
        return opts, True
    return data, False


def has_labels(data: Any) -> bool:
    return data.name in ("mnist", "fashion_mnist", "cifar10", "stacked_mnist")


def _train(opts: Any, path) -> None:
    src = build_source(opts, device="cpu", seed=0, batch_size=0)
    images, labels = src.data, src.labels
    g = torch.Generator().manual_seed(0)
    order = torch.randperm(len(images), generator=g)
    hold = min(RECIPE["holdout"], len(images) // 5)
    test, train = order[:hold], order[hold:][: RECIPE["max_train"]]
    classes = int(labels.max()) + 1
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = SmallCNN(images.shape[1], classes)
        opt = torch.optim.Adam(net.parameters(), lr=RECIPE["lr"])
        for _ in range(RECIPE["epochs"]):
            for idx in train[torch.randperm(len(train), generator=g)].split(RECIPE["batch"]):
                loss = F.cross_entropy(net(to_float(images[idx])), labels[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
    net.eval()
    with torch.no_grad():
        pred = net(to_float(images[test])).argmax(1)
    accuracy = float((pred == labels[test]).float().mean()) if hold else float("nan")
    meta = {"accuracy": accuracy, "recipe": RECIPE, "train_images": len(train)}
    files.write_json(path.with_suffix(".json"), {**meta, "data": opts.model_dump(mode="json")})
    state = {"net": net.state_dict(), "channels": images.shape[1], "classes": classes}
    files.torch_save(state, path)  # last: its existence marks the entry complete


_LOADED: dict[str, Classifier] = {}


def classifier_path(data: Any):
    """Where the classifier for a dataset config is cached (present once trained)."""
    opts, _ = training_set(data)
    key = key_of(opts.model_dump(mode="json"), RECIPE)
    return cache_dir() / "classifiers" / f"{opts.name}-{key}.pt"


def cached_sha256(data: Any) -> str | None:
    """The SHA-256 of this machine's classifier for a dataset config, without training
    one: None when it was never trained here (the value every score it makes carries)."""
    path = classifier_path(data)
    return sha256_file(path) if path.is_file() else None


def classifier_for(data: Any) -> Classifier:
    """The cached classifier for a dataset config, training it on first use."""
    opts, per_channel = training_set(data)
    path = classifier_path(data)
    if str(path) not in _LOADED:
        build_once(path, lambda p: _train(opts, p))
        state = files.torch_load(path)
        net = SmallCNN(state["channels"], state["classes"])
        net.load_state_dict(state["net"])
        net.eval()
        meta = files.read_json(path.with_suffix(".json"))
        _LOADED[str(path)] = Classifier(net, meta["accuracy"], sha256_file(path), per_channel)
    return _LOADED[str(path)]
