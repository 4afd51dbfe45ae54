"""The paper's own signals, measured on the critic at a checkpoint.

* ``w_estimate``: -critic loss (Fig. 3) or the JS estimate (Fig. 4) averaged over
  fresh batches, less noisy than the per-iteration record, and the generator's loss
  on the same batches (Fig. 8 / App. E: the -log D loss of the standard GAN).
* ``critic_gap``: the critic's value on its training images vs held-out images of the
  same data set (WGAN-GP Sec. 5.6, Fig. 5b: critic overfitting on 1,000 digits).
* ``critic_profile``: the 1-D picture of paper Fig. 2: the gradient of the trained
  critic / discriminator over the fake data's support.
(``critic_grads``, WGAN-GP Fig. 1b, is in ``wgan_suite.trial.metrics.gradients``.)
"""

from __future__ import annotations

from typing import Any

import torch
from pydantic import Field

from wgan_suite.core.columns import Column
from wgan_suite.core.seeding import stream_seed, torch_generator
from wgan_suite.trial.data import build_source
from wgan_suite.trial.losses import LOSSES
from wgan_suite.trial.metrics.registry import METRICS, Metric, MetricOptions


class BatchesOptions(MetricOptions):
    batches: int = Field(10, ge=1, description="fresh batches the value is averaged over")


def estimate_names(loss: Any) -> list[str]:
    """The distance estimates a loss entry declares among its critic terms."""
    return [k for k, c in loss.columns.items() if c.role == "estimate"]


def _eval_columns() -> dict[str, Column]:
    """``<estimate>_eval`` for every estimate a loss entry declares (wgan_suite.trial.losses)."""
    out = {}
    for name in LOSSES:
        for key, c in LOSSES.get(name).columns.items():
            if c.role == "estimate":
                text = f"{c.description}; mean over fresh batches at a checkpoint"
                out[f"{key}_eval"] = Column(text, c.better, c.role, c.rank)
    return out


@METRICS.register("w_estimate")
class WEstimate(Metric):
    Options = BatchesOptions
    columns = {
        **_eval_columns(),
        "loss_generator_eval": Column(
            "the generator's loss on the same fresh batches (gan_ns: -log D, paper Fig. 8)",
        ),
    }

    @staticmethod
    @torch.no_grad()
    def compute(ctx, options) -> dict[str, Any]:
        loss, critic, n = ctx.state.loss, ctx.state.critic, ctx.config.batch_size
        keys = estimate_names(loss)
        stream = torch_generator(ctx.config.seed, "eval_critic_noise", ctx.device)
        sums = dict.fromkeys([*keys, "generator"], 0.0)
        for _ in range(options.batches):
            d_real, d_fake = critic(ctx.real_batch(n)), critic(ctx.fake_batch(n, stream))
            terms = {**loss.critic(d_real, d_fake), **loss.generator(d_fake)}
            for key in sums:
                sums[key] += float(terms[key])
        row = {f"{k}_eval": sums[k] / options.batches for k in keys}
        row["loss_generator_eval"] = sums["generator"] / options.batches
        return row


class GapOptions(BatchesOptions):
    heldout: dict[str, Any] = Field(
        default_factory=dict,
        description="data options overriding the trial's to name the held-out images, "
        "e.g. {start: 4000, limit: 1000}",
    )


def heldout_data(config: Any, options: GapOptions) -> Any:
    """The trial's data options with the held-out overrides, validated by the dataset."""
    return type(config.data).model_validate({**config.data.model_dump(), **options.heldout})


def _overlap(train: Any, held: Any) -> bool:
    """Whether two image ranges of one split can share images (start/limit ranges)."""
    if getattr(train, "split", None) != getattr(held, "split", None):
        return False
    if not hasattr(train, "start"):
        return True

    def span(o: Any) -> tuple[float, float]:
        return o.start, o.start + o.limit if o.limit is not None else float("inf")

    (a, b), (c, d) = span(train), span(held)
    return a < d and c < b


def _gap_sources(ctx, options: GapOptions) -> tuple[Any, Any]:
    """Copies of the training data (built with the trial's data seed, so a data set made
    from its seed is the one trained on) and of the held-out data, both drawing from
    streams of this checkpoint."""
    key = ("critic_gap_sources", str(sorted(options.heldout.items())))
    if key not in ctx.memo:
        cfg, size = ctx.config, ctx.config.batch_size
        seed = stream_seed(cfg.seed, "data")
        ctx.memo[key] = (
            build_source(cfg.data, ctx.device, seed=seed, batch_size=size),
            build_source(heldout_data(cfg, options), ctx.device, seed=seed, batch_size=size),
        )
    sources = ctx.memo[key]
    for name, src in zip(("eval_gap_train", "eval_gap_heldout"), sources, strict=True):
        src.reseed(ctx.checkpoint_seed(name))
    return sources


@METRICS.register("critic_gap")
class CriticGap(Metric):
    """WGAN-GP Sec. 5.6 / Fig. 5b: trained on 1,000 MNIST digits, the critic's negative
    loss on its training images pulls away from its value on held-out digits (the
    critic overfits). Both use the same fake batches, so the gap is the real images'."""

    Options = GapOptions
    columns = {
        "w_estimate_train": Column(
            "negative critic loss on the trial's training images, mean over fresh batches",
            role="estimate",
        ),
        "w_estimate_heldout": Column(
            "negative critic loss on held-out images of the same data set, same fake batches",
            role="estimate",
        ),
        "critic_gap": Column(
            "w_estimate_train - w_estimate_heldout (> 0: the critic overfits, WGAN-GP Fig. 5b)",
        ),
    }

    @staticmethod
    def check(config, options) -> None:
        if not options.heldout:
            raise ValueError(
                "needs heldout: data options naming images the critic never trains on, "
                "e.g. {start: 4000, limit: 1000}"
            )
        if options.heldout.get("name", config.data.name) != config.data.name:
            raise ValueError("heldout images come from the trial's own data set: drop 'name'")
        try:
            held = heldout_data(config, options)
        except ValueError as exc:
            raise ValueError(f"heldout {options.heldout}: {exc}") from None
        if _overlap(config.data, held):
            raise ValueError(
                f"heldout {options.heldout} can share images with the training "
                "data: give disjoint start/limit ranges or another split"
            )

    @staticmethod
    @torch.no_grad()
    def compute(ctx, options) -> dict[str, Any]:
        train_src, held_src = _gap_sources(ctx, options)
        loss, critic, n = ctx.state.loss, ctx.state.critic, ctx.config.batch_size
        stream = torch_generator(ctx.config.seed, "eval_critic_noise", ctx.device)
        train = heldout = 0.0
        for _ in range(options.batches):
            d_fake = critic(ctx.fake_batch(n, stream))
            train -= float(loss.critic(critic(train_src.sample(n)), d_fake)["critic"])
            heldout -= float(loss.critic(critic(held_src.sample(n)), d_fake)["critic"])
        train, heldout = train / options.batches, heldout / options.batches
        return {
            "w_estimate_train": train,
            "w_estimate_heldout": heldout,
            "critic_gap": train - heldout,
        }


class ProfileOptions(MetricOptions):
    points: int = Field(2000, ge=10, description="fake samples the gradient is measured on")


@METRICS.register("critic_profile")
class CriticProfile(Metric):
    """Paper Fig. 2: the optimal discriminator saturates (its gradient vanishes on the
    fake data); the clipped WGAN critic is near-linear with clean gradients everywhere.
    For GAN losses D is the probability sigmoid(score), as plotted in the figure."""

    Options = ProfileOptions
    columns = {
        "grad_fake_rel": Column(
            "mean |dD/dx| on the fake samples / max |dD/dx| between the two modes "
            "(near 0: the discriminator saturated, paper Fig. 2)"
        ),
        "grad_fake_cv": Column("coefficient of variation of |dD/dx| on the fake samples"),
    }

    @staticmethod
    def check(config, options) -> None:
        if config.data.name != "gaussians1d":
            raise ValueError(f"needs 1-D data 'gaussians1d', got '{config.data.name}'")

    @staticmethod
    def compute(ctx, options) -> dict[str, Any]:
        o, net = ctx.config.data, ctx.state.critic
        output = ctx.state.loss.output  # GAN: D = sigmoid(score); None: the score itself

        def D(x: torch.Tensor) -> torch.Tensor:
            return output(net(x)) if output is not None else net(x)

        g = torch_generator(ctx.config.seed, "eval_profile", "cpu")
        fake = o.fake_mean + o.std * torch.randn(options.points, 1, generator=g)
        lo, hi = sorted((o.real_mean, o.fake_mean))
        grid = torch.linspace(lo - 3 * o.std, hi + 3 * o.std, 1000).unsqueeze(1)

        def slope(x: torch.Tensor) -> torch.Tensor:
            x = x.to(ctx.device).requires_grad_(True)
            (grad,) = torch.autograd.grad(D(x).sum(), x)
            return grad.abs().flatten().detach().cpu()

        on_fake, on_grid = slope(fake), slope(grid)
        peak = float(on_grid.max())
        mean = float(on_fake.mean())
        return {
            "grad_fake_rel": mean / peak if peak > 0 else float("nan"),
            "grad_fake_cv": float(on_fake.std() / on_fake.mean()) if mean > 0 else float("nan"),
        }
