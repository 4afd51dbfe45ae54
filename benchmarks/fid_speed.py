"""Speed of the suite's Inception scoring on the machine it runs on (not a test).

Prints (1) images/s of torch-fidelity's InceptionV3 feature extraction at the given
batch size and (2) the seconds a 10k-sample FID takes, generation included, against
real statistics that are already cached (as at every checkpoint after the first),
each the median of several runs, with the machine and versions.

    python benchmarks/fid_speed.py                 # CPU: few samples, extrapolated
    python benchmarks/fid_speed.py --samples 10000 --repeats 5   # on a GPU
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch
import torch_fidelity

from wgan_suite.trial.config import load_trial_config
from wgan_suite.trial.metrics.context import EvalContext
from wgan_suite.trial.metrics.inception import FID
from wgan_suite.trial.metrics.inception_weights import resolve
from wgan_suite.trial.train.state import build_state


def machine(device: torch.device) -> str:
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else "no GPU"
    return (
        f"{platform.node()} | {platform.processor() or platform.machine()} | "
        f"{torch.get_num_threads()} threads | {gpu} | torch {torch.__version__} | "
        f"torch-fidelity {torch_fidelity.__version__}"
    )


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def feature_rate(weights, device, batch: int, repeats: int) -> float:
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    fe = FeatureExtractorInceptionV3(
        "inception-v3-compat", ["2048"], feature_extractor_weights_path=str(weights.path)
    ).to(device)
    x = torch.randint(0, 256, (batch, 3, 64, 64), dtype=torch.uint8, device=device)
    with torch.no_grad():
        fe(x)  # warm-up
        times = []
        for _ in range(repeats):
            sync(device)
            t = time.perf_counter()
            fe(x)
            sync(device)
            times.append(time.perf_counter() - t)
    return batch / statistics.median(times)


def fid_seconds(device, samples: int, repeats: int, batch: int) -> list[float]:
    cfg = load_trial_config(
        {
            "data": {"name": "fashion_mnist", "image_size": 32},
            "generator": {"name": "dcgan", "width": 64},
            "critic": {"name": "dcgan", "width": 64},
            "iterations": 1,
            "metrics": [{"name": "fid", "samples": samples, "batch_size": batch}],
        }
    )
    ctx = EvalContext(build_state(cfg, device))
    spec = cfg.metrics[0]
    FID.compute(ctx, spec)  # computes and caches the real statistics once
    times = []
    for _ in range(repeats):
        ctx.new_checkpoint()
        sync(device)
        t = time.perf_counter()
        FID.compute(ctx, spec)
        sync(device)
        times.append(time.perf_counter() - t)
    return times


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=None, help="default: 10000 GPU, 200 CPU")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--batch", type=int, default=None, help="default: 500 GPU, 50 CPU")
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    gpu = device.type == "cuda"
    samples = args.samples or (10000 if gpu else 200)
    batch = args.batch or (500 if gpu else 50)
    weights = resolve()
    print(machine(device))
    print(f"weights: {weights.origin} sha256 {weights.sha256}")
    rate = feature_rate(weights, device, batch, args.repeats)
    print(f"Inception features: {rate:.1f} images/s (batch {batch}, median of {args.repeats})")
    times = fid_seconds(device, samples, args.repeats, batch)
    med = statistics.median(times)
    print(
        f"FID on {samples} generated samples (generation included, real stats cached): "
        f"{med:.2f} s median of {len(times)} ({', '.join(f'{t:.2f}' for t in times)})"
    )
    if samples != 10000:
        print(f"  -> 10k samples extrapolated: {med * 10000 / samples:.0f} s")


if __name__ == "__main__":
    main()
