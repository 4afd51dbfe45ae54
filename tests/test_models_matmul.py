"""The DCGAN nets' faster CPU forms (issue 25): the degenerate convolutions computed as
matmuls, and the generator's output layer on PyTorch's own path on AVX2 CPUs. Each is the
same function as the convolution, with the same parameters, and a training run whose
records differ from the convolution's by rounding alone."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.profiler import ProfilerActivity, profile

from wgan_suite.core.options import resolve
from wgan_suite.trial.config import load_trial_config
from wgan_suite.trial.models import (
    CRITICS,
    GENERATORS,
    as_matmul,
    build_critic,
    build_generator,
    cpu_paths,
)
from wgan_suite.trial.train import step as step_module
from wgan_suite.trial.train.state import build_state

HEAD, PROJECTION = as_matmul.HeadConv2d, as_matmul.ProjectionConvTranspose2d
OUTPUT = cpu_paths.OutputConvTranspose2d


def cases(dtype):
    """(module, input, the convolution it stands for) with random weights and inputs."""
    g = torch.Generator().manual_seed(0)
    head = HEAD(32, 1, 4).to(dtype)
    proj = PROJECTION(100, 32, 4).to(dtype)
    for m in (head, proj):
        with torch.no_grad():
            m.weight.copy_(torch.randn(m.weight.shape, generator=g, dtype=dtype) * 0.02)
    x_head = torch.randn(64, 32, 4, 4, generator=g, dtype=dtype, requires_grad=True)
    x_proj = torch.randn(64, 100, 1, 1, generator=g, dtype=dtype, requires_grad=True)
    return [
        (head, x_head, lambda x, w: F.conv2d(x, w)),
        (proj, x_proj, lambda x, w: F.conv_transpose2d(x, w)),
    ]


def outputs_and_grads(fn, x, w):
    y = fn(x, w)
    gy = torch.linspace(-1, 1, y.numel(), dtype=y.dtype).view_as(y)
    gx, gw = torch.autograd.grad(y, (x, w), gy)
    return y, gx, gw


def test_in_float64_the_matmul_forms_are_the_convolutions():
    for module, x, conv in cases(torch.float64):
        ours = outputs_and_grads(lambda x, w, m=module: m(x), x, module.weight)
        ref = outputs_and_grads(conv, x, module.weight)
        for a, b in zip(ours, ref, strict=True):
            assert a.shape == b.shape
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-15)


def test_in_float32_they_differ_by_the_rounding_of_a_reordered_sum():
    """Bound: a sum of n products computed in another order differs by at most
    2 (n - 1) u sum |a_i b_i| (u = 2**-24: each order is within (n - 1) u of the exact
    sum). The forward's n is the layer's fan-in (512 for the critic's last layer)."""
    u = 2.0**-24
    for module, x, conv in cases(torch.float32):
        w = module.weight
        ours, ref = module(x), conv(x, w)
        n = x[0].numel()
        bound = 2 * (n - 1) * u * conv(x.abs(), w.abs())
        assert bool(((ours - ref).abs() <= bound).all())


def test_other_input_sizes_take_the_convolution_itself():
    head, proj = HEAD(8, 3, 4), PROJECTION(8, 3, 4)
    x = torch.randn(2, 8, 6, 6)
    assert torch.equal(head(x), F.conv2d(x, head.weight))
    assert torch.equal(proj(x), F.conv_transpose2d(x, proj.weight))


def penalty_gradient(fn, x, w):
    (gx,) = torch.autograd.grad(fn(x, w).sum(), x, create_graph=True)
    return torch.autograd.grad((gx.norm() - 1) ** 2, w)[0]


def test_a_gradient_penalty_differentiates_through_them_twice():
    """WGAN-GP takes the critic's input gradient with create_graph=True."""
    for module, x, conv in cases(torch.float64):
        ours = penalty_gradient(lambda x, w, m=module: m(x), x, module.weight)
        torch.testing.assert_close(ours, penalty_gradient(conv, x, module.weight))


@pytest.mark.parametrize("name", ["dcgan", "dcgan_nobn", "dcgan_const"])
def test_the_nets_use_them_with_the_convolutions_parameters(name, monkeypatch):
    """Same modules in the same places, so the same initial weights under the same names:
    checkpoints, clipping (it walks nn.Conv2d) and parameter counts are unchanged."""
    g = build_generator(resolve(GENERATORS, {"name": name, "width": 8}), (1, 16, 16), 16, seed=1)
    critic = "dcgan" if name == "dcgan_const" else name
    d = build_critic(resolve(CRITICS, {"name": critic, "width": 8}), (1, 16, 16), seed=1)
    assert type(g.main[0]) is PROJECTION and type(d.main[-1]) is HEAD and type(g.main[-2]) is OUTPUT
    assert isinstance(g.main[0], nn.ConvTranspose2d) and isinstance(d.main[-1], nn.Conv2d)

    from wgan_suite.trial.models import dcgan

    monkeypatch.setattr(
        dcgan, "ProjectionConvTranspose2d", lambda i, o, k: nn.ConvTranspose2d(i, o, k, bias=False)
    )
    monkeypatch.setattr(dcgan, "HeadConv2d", lambda i, o, k: nn.Conv2d(i, o, k, bias=False))
    monkeypatch.setattr(
        dcgan, "OutputConvTranspose2d", lambda i, o: nn.ConvTranspose2d(i, o, 4, 2, 1, bias=False)
    )
    g0 = build_generator(resolve(GENERATORS, {"name": name, "width": 8}), (1, 16, 16), 16, seed=1)
    d0 = build_critic(resolve(CRITICS, {"name": critic, "width": 8}), (1, 16, 16), seed=1)
    assert type(g0.main[0]) is nn.ConvTranspose2d and type(g0.main[-2]) is nn.ConvTranspose2d
    for new, old in ((g, g0), (d, d0)):
        a, b = new.state_dict(), old.state_dict()
        assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)


def test_sampled_architectures_use_them_too():
    g = build_generator(
        resolve(GENERATORS, {"name": "sampled", "arch": 0}), (1, 16, 16), 16, seed=0
    )
    d = build_critic(resolve(CRITICS, {"name": "sampled", "arch": 0}), (1, 16, 16), seed=0)
    assert type(g.main[0]) is PROJECTION and type(d.main[-1]) is HEAD and type(g.main[-2]) is OUTPUT


def train(matmul: bool, iterations: int, native_output: bool | None = None):
    """A 16 px DCGAN WGAN cell past the authors' warm-up: each step's record and the
    final weights, with the matmul forms or with the convolutions they replace, and the
    output layer's forward on PyTorch's path, on oneDNN's, or as this CPU decides."""
    with pytest.MonkeyPatch.context() as m:
        if not matmul:
            m.setattr(HEAD, "forward", nn.Conv2d.forward)
            m.setattr(PROJECTION, "forward", nn.ConvTranspose2d.forward)
        if native_output is not None:
            m.setattr(cpu_paths, "native_output_path", lambda: native_output)
        return _train(iterations)


def _train(iterations: int):
    cfg = load_trial_config(
        {
            "seed": 3,
            "data": {"name": "fashion_mnist", "image_size": 16, "channels": 1, "limit": 256},
            "generator": {"name": "dcgan", "width": 16},
            "critic": {"name": "dcgan", "width": 16},
            "nz": 16,
            "batch_size": 16,
            "iterations": iterations,
            "device": "cpu",
        }
    )
    state = build_state(cfg)
    records = []
    for _ in range(iterations):
        state.iteration = 30  # past the warm-up: 5 critic steps per generator step
        records.append({k: float(v) for k, v in step_module.train_step(state).items()})
    nets = (state.generator, state.critic)
    return records, torch.cat([p.detach().flatten() for n in nets for p in n.parameters()])


def assert_runs_close(ours, ref, rel, atol, weights):
    """Two runs of ``train``: every record within ``rel`` / ``atol`` of the other's, with
    the same keys, and every weight closer than ``weights``."""
    (records, p_ours), (ref_records, p_ref) = ours, ref
    for a, b in zip(records, ref_records, strict=True):
        assert a.keys() == b.keys()
        for k in a:
            assert a[k] == pytest.approx(b[k], rel=rel, abs=atol), k
    assert float((p_ours - p_ref).abs().max()) < weights


@pytest.fixture
def float64(monkeypatch):
    """Every tensor of a trial in float64: nets, noise, data (which calls .float())."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    monkeypatch.setattr(torch.Tensor, "float", torch.Tensor.double)
    yield
    torch.set_default_dtype(old)


def test_in_float64_a_training_run_keeps_its_records(float64):
    """The control: with rounding shrunk by nine orders of magnitude, 5 generator
    iterations (25 critic steps) give the same records and weights to 1e-12."""
    ours, ref = train(True, 5), train(False, 5)
    assert ours[1].dtype == torch.float64
    assert_runs_close(ours, ref, rel=1e-12, atol=1e-15, weights=1e-12)


def test_in_float32_the_records_differ_in_their_last_bits():
    """What a trial records in float32: each step's losses within 1e-5 of the
    convolution's, relative (the critic's last sum over 512 terms rounds in another
    order: a few units of float32's 6e-8; 25 critic steps of RMSProp at lr 5e-5 and
    clipping at 0.01 do not amplify that past 1e-5), the weights within 1e-6."""
    assert_runs_close(train(True, 5), train(False, 5), rel=1e-5, atol=1e-9, weights=1e-6)


def ops_run(layer, x):
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        layer(x)
    return {e.key for e in prof.key_averages()}


@pytest.mark.parametrize("native", [True, False])
def test_the_output_layer_takes_the_path_its_cpu_is_given(native, monkeypatch):
    monkeypatch.setattr(cpu_paths, "native_output_path", lambda: native)
    layer, x = OUTPUT(16, 1), torch.randn(8, 16, 8, 8)
    assert ("aten::slow_conv_transpose2d" in ops_run(layer, x)) is native
    assert torch.backends.mkldnn.enabled  # the switch is back
    torch.backends.mkldnn.enabled = not native
    try:  # the same path by hand: the same bits
        expected = F.conv_transpose2d(x, layer.weight, stride=2, padding=1)
    finally:
        torch.backends.mkldnn.enabled = True
    assert torch.equal(layer(x), expected)


def test_the_output_layer_restores_onednn_when_its_forward_fails(monkeypatch):
    monkeypatch.setattr(cpu_paths, "native_output_path", lambda: True)
    with pytest.raises(RuntimeError):
        OUTPUT(16, 1)(torch.randn(8, 3, 8, 8))  # 3 channels where it takes 16
    assert torch.backends.mkldnn.enabled


@pytest.mark.parametrize(
    ("capability", "native"), [("AVX2", True), ("AVX512", False), ("DEFAULT", False)]
)
def test_only_an_avx2_cpu_takes_pytorchs_path(capability, native, monkeypatch):
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: capability)
    cpu_paths.native_output_path.cache_clear()
    try:
        assert cpu_paths.native_output_path() is native
    finally:
        cpu_paths.native_output_path.cache_clear()


def test_the_output_layer_puts_the_switch_back_as_it_found_it(monkeypatch):
    monkeypatch.setattr(cpu_paths, "native_output_path", lambda: True)
    torch.backends.mkldnn.enabled = False  # someone turned oneDNN off before
    try:
        OUTPUT(16, 1)(torch.randn(2, 16, 8, 8))
        assert not torch.backends.mkldnn.enabled
    finally:
        torch.backends.mkldnn.enabled = True


def test_the_matmul_forms_run_as_matmuls_on_cpu_and_as_convolutions_elsewhere():
    """The guards: a 1x1 input (projection) and a kernel-sized input (head) take the
    matmul on CPU, and no convolution runs; on another device (meta here, as a GPU
    would be) the convolution runs, as cuDNN's TF32 default would compute it."""
    for layer, shape in ((PROJECTION(100, 32, 4), (8, 100, 1, 1)), (HEAD(32, 1, 4), (8, 32, 4, 4))):
        ops = ops_run(layer, torch.randn(shape))
        assert "aten::convolution" not in ops and ops & {"aten::mm", "aten::addmm"}, ops
        meta = ops_run(layer.to("meta"), torch.empty(shape, device="meta"))
        assert "aten::convolution" in meta, meta


def test_in_float32_the_output_layers_paths_differ_in_their_last_bits():
    """The output layer's sums (16 channels x 4 taps per pixel) rounded in another
    order. PyTorch sends no float64 convolution to oneDNN, so unlike the matmul forms
    there is no float64 control: the two paths' records agree to about 3e-7 relative
    here, inside the matmul forms' bound of 1e-5."""
    ours, ref = train(True, 5, native_output=True), train(True, 5, native_output=False)
    assert_runs_close(ours, ref, rel=1e-5, atol=1e-9, weights=1e-6)
