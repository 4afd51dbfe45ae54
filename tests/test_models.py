"""Every architecture entry: shapes, and parameter counts equal to the authors' models."""

from __future__ import annotations

import pytest
import torch

from wgan_suite.core.options import resolve
from wgan_suite.trial.models import CRITICS, GENERATORS, build_critic, build_generator


def spec(registry, name, **options):
    return resolve(registry, {"name": name, **options})


# Small options per entry for the shape tests ("sampled" has no width: it draws one).
SMALL = {"sampled": {"arch": 0}}


def small(registry, name):
    return spec(registry, name, **SMALL.get(name, {"width": 8}))


def n_params(module):
    return sum(p.numel() for p in module.parameters())


# Authors' models at 64x64, 3 channels, nz 100, ngf = ndf = 64 (MLP width 512).
@pytest.mark.parametrize(
    ("registry", "name", "options", "expected"),
    [
        (GENERATORS, "dcgan", {}, 3_576_704),
        (CRITICS, "dcgan", {}, 2_765_568),
        (GENERATORS, "dcgan_nobn", {}, 3_574_784),
        (CRITICS, "dcgan_nobn", {}, 2_763_776),
        (GENERATORS, "dcgan", {"n_extra_layers": 1}, 3_613_696),
        (GENERATORS, "mlp", {"width": 512}, 6_880_768),
        (CRITICS, "mlp", {"width": 512}, 6_817_793),
        # Fig. 6: constant 64 filters, no BN ("a bit more than an order of magnitude" fewer).
        (GENERATORS, "dcgan_const", {}, 302_080),
    ],
)
def test_parameter_counts_match_authors(registry, name, options, expected):
    o = spec(registry, name, **options)
    net = (
        build_generator(o, (3, 64, 64), 100, seed=0)
        if registry is GENERATORS
        else build_critic(o, (3, 64, 64), seed=0)
    )
    assert n_params(net) == expected


@pytest.mark.parametrize(
    "name", [n for n in GENERATORS.names() if not n.startswith("fixed_") and n != "learned_line"]
)
@pytest.mark.parametrize("shape", [(1, 16, 16), (3, 32, 32)])
def test_generator_shapes(name, shape):
    g = build_generator(small(GENERATORS, name), shape, 10, seed=0)
    out = g(torch.randn(4, 10))
    assert out.shape == (4, *shape)
    if name != "mlp":  # authors' MLP_G has no Tanh
        assert out.abs().max() <= 1


@pytest.mark.parametrize("name", CRITICS.names())
@pytest.mark.parametrize("shape", [(1, 16, 16), (3, 32, 32)])
def test_critic_returns_one_unbounded_score_per_sample(name, shape):
    d = build_critic(small(CRITICS, name), shape, seed=0)
    assert d(torch.randn(5, *shape)).shape == (5,)


def test_fixed_line_draws_the_segment_theta_by_0_1_and_only_2d_points():
    g = build_generator(spec(GENERATORS, "fixed_line", theta=-0.7), (2,), 3, seed=0)
    with torch.no_grad():
        x = g(torch.randn(5000, 3, generator=torch.Generator().manual_seed(0)))
    assert torch.all(x[:, 0] == -0.7) and x[:, 1].min() >= 0 and x[:, 1].max() <= 1
    assert abs(float(x[:, 1].mean()) - 0.5) < 0.02 and abs(float(x[:, 1].var()) - 1 / 12) < 0.005
    with pytest.raises(ValueError, match="2-D points"):
        build_generator(spec(GENERATORS, "fixed_line"), (1, 16, 16), 3, seed=0)


def test_mlp_on_toy_points_and_tanh_switch():
    g = build_generator(spec(GENERATORS, "mlp", width=16, tanh_out=True), (2,), 2, seed=0)
    d = build_critic(spec(CRITICS, "mlp", width=16), (2,), seed=0)
    x = g(torch.randn(7, 2) * 100)
    assert x.shape == (7, 2) and x.abs().max() <= 1
    assert d(x).shape == (7,)
    assert isinstance(g.main[-1], torch.nn.Tanh)


def test_dcgan_init_statistics():
    g = build_generator(spec(GENERATORS, "dcgan"), (3, 64, 64), 100, seed=0)
    conv = torch.cat(
        [m.weight.flatten() for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    )
    bn = torch.cat([m.weight.flatten() for m in g.modules() if isinstance(m, torch.nn.BatchNorm2d)])
    assert abs(conv.mean()) < 1e-3 and abs(conv.std() - 0.02) < 1e-3
    assert abs(bn.mean() - 1) < 5e-3 and abs(bn.std() - 0.02) < 5e-3


def test_same_seed_same_weights():
    o = spec(CRITICS, "dcgan", width=8)
    a, b, c = (build_critic(o, (1, 16, 16), seed=s) for s in (1, 1, 2))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(next(a.parameters()), next(c.parameters()))


@pytest.mark.parametrize("size", [8, 24, 48])
def test_dcgan_rejects_sizes_the_pyramid_cannot_build(size):
    with pytest.raises(ValueError, match="16 \\* 2\\*\\*k"):
        build_critic(spec(CRITICS, "dcgan"), (3, size, size), seed=0)


def test_fixed_gaussian_generator_is_inert_and_draws_its_distribution():
    g = build_generator(spec(GENERATORS, "fixed_gaussian", mean=4, std=0.5), (1,), 1, seed=0)
    z = torch.randn(20000, 1, generator=torch.Generator().manual_seed(0))
    x = g(z)
    assert x.shape == (20000, 1)
    m, s = float(x.detach().mean()), float(x.detach().std())
    assert abs(m - 4) < 0.02 and abs(s - 0.5) < 0.01
    (-x.mean()).backward()
    assert float(g.inert.grad) == 0.0  # the generator step cannot move it
    with pytest.raises(ValueError, match="flat"):
        GENERATORS.get("fixed_gaussian").check_shape((1, 16, 16))


def test_layer_norm_critic_normalises_each_sample_without_batch_statistics():
    """WGAN-GP replaces the critic's BatchNorm by layer norm: one sample's score must not
    depend on the rest of the batch (the gradient penalty is per sample)."""
    import torch

    from wgan_suite.core.options import resolve
    from wgan_suite.trial.models import build_critic

    opts = resolve(CRITICS, {"name": "dcgan_ln", "width": 8})
    critic = build_critic(opts, (1, 16, 16), seed=0)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in critic.modules())
    assert any(isinstance(m, torch.nn.GroupNorm) and m.num_groups == 1 for m in critic.modules())
    x = torch.randn(6, 1, 16, 16)
    alone = critic(x[:1])
    together = critic(x)[:1]
    assert torch.allclose(alone, together, atol=1e-6)


def test_the_successors_grid_gives_wgan_gp_the_layer_norm_critic():
    from pathlib import Path

    from wgan_suite.harness.ablation import load_ablation

    root = Path(__file__).resolve().parents[1] / "ablations"
    for t in load_ablation(root / "successors.yaml").trials("paper"):
        expected = "dcgan_ln" if t.config.loss.name == "wgan_gp" else "dcgan_nobn"
        assert t.config.critic.name == expected
