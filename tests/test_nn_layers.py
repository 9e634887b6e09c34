"""The nn layers against torch: parameter shapes and state_dict keys, outputs and gradients with
torch's weights copied in, running statistics, eval mode, ``repr``, default initialisation, and
the non-differentiable parts of the functional layers (indices, masks, errors, dtypes)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F

torch = pytest.importorskip("torch")
tnn, TF = torch.nn, torch.nn.functional

# (constructor taking the nn namespace, input shape) pairs: each is built in both libraries
LAYERS = [
    (lambda m: m.Conv2d(2, 4, 3), (2, 2, 5, 5)),
    (lambda m: m.Conv2d(4, 6, (3, 2), stride=2, padding=1, dilation=2, groups=2, bias=False),
     (2, 4, 7, 6)),
    (lambda m: m.Conv2d(2, 3, 4, padding="same", padding_mode="reflect"), (2, 2, 5, 6)),
    (lambda m: m.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="circular"), (2, 2, 4, 5)),
    (lambda m: m.Conv2d(2, 3, 3, padding=1, padding_mode="replicate"), (2, 4, 5)),
    (lambda m: m.Conv1d(3, 4, 3, stride=2, padding=1, dilation=2), (2, 3, 9)),
    (lambda m: m.Conv1d(4, 4, 3, groups=4, padding="same", padding_mode="reflect"), (4, 7)),
    (lambda m: m.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
     (2, 4, 3, 4)),
    (lambda m: m.ConvTranspose2d(2, 3, (2, 3), dilation=2, bias=False), (1, 2, 3, 3)),
    (lambda m: m.ConvTranspose1d(2, 3, 3, stride=3, padding=1), (2, 2, 4)),
    (lambda m: m.MaxPool2d(3, 2, 1, ceil_mode=True), (2, 3, 6, 7)),
    (lambda m: m.MaxPool2d(2, dilation=2, padding=1), (2, 6, 5)),
    (lambda m: m.MaxPool1d(3, 2, ceil_mode=True), (2, 3, 8)),
    (lambda m: m.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 3, 6, 7)),
    (lambda m: m.AvgPool2d(2, 1, divisor_override=3), (3, 4, 4)),
    (lambda m: m.AvgPool1d(3, 2, 1), (2, 3, 8)),
    (lambda m: m.AdaptiveAvgPool2d((3, None)), (2, 3, 7, 5)),
    (lambda m: m.AdaptiveAvgPool2d(1), (2, 3, 7, 5)),
    (lambda m: m.AdaptiveAvgPool1d(4), (2, 3, 7)),
    (lambda m: m.AdaptiveMaxPool2d((2, 3)), (2, 3, 7, 5)),
    (lambda m: m.AdaptiveMaxPool1d(3), (3, 7)),
    (lambda m: m.LayerNorm(5), (2, 3, 5)),
    (lambda m: m.LayerNorm((3, 5), elementwise_affine=False), (2, 3, 5)),
    (lambda m: m.LayerNorm(5, bias=False), (2, 5)),
    (lambda m: m.GroupNorm(2, 4), (2, 4, 3, 3)),
    (lambda m: m.GroupNorm(4, 4, affine=False), (2, 4, 5)),
    (lambda m: m.BatchNorm1d(3), (4, 3)),
    (lambda m: m.BatchNorm1d(3, momentum=None, bias=False), (4, 3, 2)),
    (lambda m: m.BatchNorm2d(3, affine=False), (2, 3, 4, 4)),
    (lambda m: m.BatchNorm2d(3, track_running_stats=False), (2, 3, 2, 2)),
    (lambda m: m.InstanceNorm2d(3), (2, 3, 4, 4)),
    (lambda m: m.InstanceNorm1d(3, affine=True, track_running_stats=True), (2, 3, 5)),
    (lambda m: m.Upsample(scale_factor=2), (2, 3, 3, 4)),
    (lambda m: m.Upsample(size=(5, 7), mode="bilinear", align_corners=True), (2, 3, 3, 4)),
    (lambda m: m.Upsample(scale_factor=1.5, mode="linear"), (2, 3, 4)),
    (lambda m: m.UpsamplingNearest2d(size=5), (1, 2, 3, 3)),
    (lambda m: m.UpsamplingBilinear2d(scale_factor=2), (1, 2, 3, 3)),
    (lambda m: m.PixelShuffle(2), (2, 8, 2, 3)),
    (lambda m: m.PixelUnshuffle(2), (2, 2, 4, 6)),
    (lambda m: m.Unflatten(1, (2, 3)), (4, 6, 2)),
    (lambda m: m.Flatten(0, 1), (4, 6, 2)),
    (lambda m: m.Identity(), (2, 3)),
    (lambda m: m.Unfold((2, 3), padding=1, stride=(1, 2)), (2, 3, 4, 5)),
    (lambda m: m.Fold((4, 5), 2), (2, 8, 12)),
    (lambda m: m.ZeroPad2d((1, 2, 0, 1)), (2, 3, 3)),
    (lambda m: m.ConstantPad1d(2, 3.5), (2, 3)),
    (lambda m: m.ReflectionPad2d(2), (1, 2, 3, 4)),
    (lambda m: m.ReplicationPad1d((1, 3)), (2, 3, 4)),
    (lambda m: m.CircularPad2d((1, 0, 2, 1)), (1, 2, 3, 4)),
]


def _ids(case):
    return repr(case[0](tnn)).replace("\n", "")


def _copy_from_torch(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


@pytest.mark.parametrize("case", LAYERS, ids=[_ids(c) for c in LAYERS])
def test_layer_matches_torch(case):
    """Parameter shapes, state_dict keys, repr, train and eval outputs, input and parameter
    gradients, and running statistics after a few steps."""
    make, shape = case
    torch.manual_seed(0)
    theirs = make(tnn).double()
    ours = make(nn).double()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [(k, tuple(p.shape)) for k, p in ours.named_parameters()] == \
        [(k, tuple(p.shape)) for k, p in theirs.named_parameters()]
    _copy_from_torch(ours, theirs)
    rng = np.random.default_rng(1)
    for mode in ("train", "train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        a = rng.standard_normal(shape)
        x = tg.tensor(a, requires_grad=True)
        t = torch.tensor(a, requires_grad=True)
        out, tout = ours(x), theirs(t)
        assert out.shape == tuple(tout.shape)
        np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-9, atol=1e-10)
        cot = rng.standard_normal(out.shape)
        (out * tg.tensor(cot)).sum().backward()
        (tout * torch.tensor(cot)).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-10)
        for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-9, atol=1e-10,
                                       err_msg=name)
        for (name, b), (_, tb) in zip(ours.named_buffers(), theirs.named_buffers()):
            np.testing.assert_allclose(b.numpy(), tb.numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=name)


def test_float32_layers_stay_float32_and_match_torch():
    torch.manual_seed(0)
    theirs = tnn.Sequential(tnn.Conv2d(3, 4, 3, padding=1, groups=1), tnn.BatchNorm2d(4),
                            tnn.ReLU(), tnn.MaxPool2d(2), tnn.GroupNorm(2, 4),
                            tnn.Upsample(scale_factor=2, mode="bilinear"),
                            tnn.AdaptiveAvgPool2d(3), tnn.Flatten(), tnn.LayerNorm(36))
    ours = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, groups=1), nn.BatchNorm2d(4),
                         nn.ReLU(), nn.MaxPool2d(2), nn.GroupNorm(2, 4),
                         nn.Upsample(scale_factor=2, mode="bilinear"),
                         nn.AdaptiveAvgPool2d(3), nn.Flatten(), nn.LayerNorm(36))
    _copy_from_torch(ours, theirs)
    a = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32)
    out = ours(tg.tensor(a))
    assert out.dtype == tg.float32
    np.testing.assert_allclose(out.numpy(), theirs(torch.tensor(a)).detach().numpy(),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("make", [
    lambda m: m.Conv2d(6, 4, (3, 2), groups=2), lambda m: m.Conv1d(3, 5, 4),
    lambda m: m.ConvTranspose2d(4, 6, 3, groups=2), lambda m: m.Linear(30, 4),
    lambda m: m.Bilinear(8, 3, 4)])
def test_default_init_has_torch_bounds(make):
    """kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in)) for the weight, the same for the bias;
    fan_in is computed from the stored weight shape, as torch (drawn large enough that the
    extremes come close to the bound)."""
    tg.manual_seed(0)
    theirs = make(tnn)
    ours = make(nn)
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        fan_in = tp.shape[1] * int(np.prod(tp.shape[2:])) if tp.ndim > 1 else None
        if isinstance(theirs, tnn.Bilinear):
            bound = 1 / np.sqrt(tp.shape[1] if tp.ndim > 1 else theirs.in1_features)
        else:
            w = dict(theirs.named_parameters())["weight"]
            fan_in = w.shape[1] * int(np.prod(w.shape[2:]))
            bound = 1 / np.sqrt(fan_in)
        values = p.numpy()
        assert np.abs(values).max() <= bound + 1e-7, name
        assert np.abs(values).max() > 0.5 * bound, name


def test_layer_state_dict_round_trips_through_torch():
    torch.manual_seed(0)
    theirs = tnn.Sequential(tnn.Conv2d(2, 4, 3), tnn.BatchNorm2d(4), tnn.Embedding(5, 3),
                            tnn.LayerNorm(3))
    ours = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.Embedding(5, 3),
                         nn.LayerNorm(3))
    _copy_from_torch(ours, theirs)
    for k, v in ours.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), theirs.state_dict()[k].numpy())
    assert ours.state_dict()["1.num_batches_tracked"].dtype == tg.int64


def test_batchnorm_cumulative_average_and_eval():
    theirs, ours = tnn.BatchNorm1d(3, momentum=None).double(), nn.BatchNorm1d(3,
                                                                              momentum=None)
    ours = ours.double()
    rng = np.random.default_rng(0)
    for i in range(4):
        a = rng.standard_normal((5, 3)) + i
        ours(tg.tensor(a))
        theirs(torch.tensor(a))
    np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy())
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy())
    assert int(ours.num_batches_tracked.item()) == 4
    ours.eval()
    theirs.eval()
    a = rng.standard_normal((2, 3))
    np.testing.assert_allclose(ours(tg.tensor(a)).detach().numpy(),
                               theirs(torch.tensor(a)).detach().numpy())
    ours.reset_running_stats()
    assert int(ours.num_batches_tracked.item()) == 0
    np.testing.assert_array_equal(ours.running_var.numpy(), np.ones(3))


# ------------------------------------------------------------------------ pooling indices


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=2, stride=1, dilation=2, ceil_mode=True),
                                dict(kernel_size=(2, 3), stride=(2, 1), ceil_mode=True)])
def test_max_pool2d_indices_and_unpool_match_torch(kw):
    a = np.random.default_rng(0).permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) * 1.0
    out, idx = F.max_pool2d(tg.tensor(a), return_indices=True, **kw)
    tout, tidx = TF.max_pool2d(torch.tensor(a), return_indices=True, **kw)
    np.testing.assert_array_equal(out.numpy(), tout.numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    assert idx.dtype == tg.int64
    if "dilation" not in kw:
        size = (7, 6)
        un = F.max_unpool2d(out, idx, kw["kernel_size"], kw.get("stride"), kw.get("padding", 0),
                            output_size=size)
        tun = TF.max_unpool2d(tout, tidx, kw["kernel_size"], kw.get("stride"),
                              kw.get("padding", 0), output_size=size)
        np.testing.assert_array_equal(un.numpy(), tun.numpy())


def test_pool_modules_return_indices_and_unpool_module():
    a = np.random.default_rng(0).standard_normal((2, 3, 8))
    out, idx = nn.MaxPool1d(2, return_indices=True)(tg.tensor(a))
    tout, tidx = tnn.MaxPool1d(2, return_indices=True)(torch.tensor(a))
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    np.testing.assert_array_equal(nn.MaxUnpool1d(2)(out, idx).numpy(),
                                  tnn.MaxUnpool1d(2)(tout, tidx).numpy())
    a = np.random.default_rng(1).standard_normal((3, 7, 5))
    out, idx = nn.AdaptiveMaxPool2d((3, 2), return_indices=True)(tg.tensor(a))
    tout, tidx = tnn.AdaptiveMaxPool2d((3, 2), return_indices=True)(torch.tensor(a))
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    np.testing.assert_array_equal(out.numpy(), tout.numpy())


def test_max_pool_gradient_goes_to_one_element_of_a_tie():
    x = tg.ones(1, 1, 4, 4, requires_grad=True)
    t = torch.ones(1, 1, 4, 4, requires_grad=True)
    F.max_pool2d(x, 3, 1, 1).sum().backward()
    TF.max_pool2d(t, 3, 1, 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


# ------------------------------------------------------------------------------ embedding


def test_embedding_gradient_accumulates_and_skips_padding():
    emb = nn.Embedding(5, 2, padding_idx=1)
    np.testing.assert_array_equal(emb.weight[1].numpy(), [0.0, 0.0])
    with tg.no_grad():
        emb.weight[1] = 7.0
    idx = tg.tensor([[0, 1, 0], [3, 1, 0]])
    out = emb(idx)
    np.testing.assert_array_equal(out[0, 1].numpy(), [7.0, 7.0])  # the value, not zero
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[:, 0], [3.0, 0.0, 0.0, 1.0, 0.0])
    assert repr(emb) == "Embedding(5, 2, padding_idx=1)"


def test_embedding_from_pretrained_and_max_norm_match_torch():
    w = np.arange(12.0).reshape(4, 3)
    ours = nn.Embedding.from_pretrained(tg.tensor(w), max_norm=5.0)
    theirs = tnn.Embedding.from_pretrained(torch.tensor(w), max_norm=5.0)
    assert not ours.weight.requires_grad
    assert nn.Embedding.from_pretrained(tg.tensor(w), freeze=False).weight.requires_grad
    idx = np.array([0, 2, 2])
    np.testing.assert_allclose(ours(tg.tensor(idx)).numpy(),
                               theirs(torch.tensor(idx)).numpy(), rtol=1e-7)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.numpy(), rtol=1e-7)
    with pytest.raises(IndexError, match="out of range"):
        ours(tg.tensor([4]))
    with pytest.raises(TypeError, match="integer"):
        F.embedding(tg.tensor([0.0]), ours.weight)


def test_one_hot_matches_torch():
    idx = np.array([[0, 3], [2, 1]])
    out = F.one_hot(tg.tensor(idx))
    assert out.dtype == tg.int64
    np.testing.assert_array_equal(out.numpy(), TF.one_hot(torch.tensor(idx)).numpy())
    np.testing.assert_array_equal(F.one_hot(tg.tensor(idx), 6).numpy(),
                                  TF.one_hot(torch.tensor(idx), 6).numpy())
    with pytest.raises(ValueError, match="smaller than num_classes"):
        F.one_hot(tg.tensor(idx), 3)
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(tg.tensor([-1, 0]))
    with pytest.raises(TypeError, match="int64"):
        F.one_hot(tg.tensor([0.0]))


# --------------------------------------------------------------------------------- dropout


def test_channel_dropout_zeroes_whole_channels_and_is_seeded():
    x = tg.ones(8, 16, 3, 3)
    tg.manual_seed(3)
    a = F.dropout2d(x, 0.5).numpy()
    tg.manual_seed(3)
    np.testing.assert_array_equal(nn.Dropout2d(0.5)(x).numpy(), a)
    per_channel = a.reshape(8, 16, 9)
    assert ((per_channel == 0).all(axis=2) | (per_channel == 2.0).all(axis=2)).all()
    assert 0.2 < (per_channel[:, :, 0] == 0).mean() < 0.8
    b = F.dropout1d(tg.ones(4, 10, 5), 0.3).numpy()
    assert ((b == 0).all(axis=2) | np.isclose(b, 1 / 0.7).all(axis=2)).all()
    assert nn.Dropout2d(0.3).eval()(x) is x


def test_alpha_dropout_keeps_mean_and_variance():
    tg.manual_seed(0)
    x = tg.randn(200000)
    out = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1.0) < 0.02
    assert F.alpha_dropout(x, 0.2) is x  # training=False by default, as torch
    assert nn.AlphaDropout(0.2).eval()(x) is x


def test_dropout_inplace_changes_the_input():
    x = tg.ones(100)
    tg.manual_seed(1)
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x and (x.numpy() == 0).any()
    assert repr(nn.Dropout(0.2, inplace=True)) == "Dropout(p=0.2, inplace=True)"


# ----------------------------------------------------------------------- distances, pad, misc


def test_distances_and_bilinear_modules_match_torch():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    np.testing.assert_allclose(nn.CosineSimilarity()(tg.tensor(a), tg.tensor(b)).numpy(),
                               tnn.CosineSimilarity()(torch.tensor(a), torch.tensor(b)).numpy())
    np.testing.assert_allclose(
        nn.PairwiseDistance(p=1.0, keepdim=True)(tg.tensor(a), tg.tensor(b)).numpy(),
        tnn.PairwiseDistance(p=1.0, keepdim=True)(torch.tensor(a), torch.tensor(b)).numpy())
    theirs = tnn.Bilinear(5, 5, 3).double()
    ours = nn.Bilinear(5, 5, 3).double()
    _copy_from_torch(ours, theirs)
    assert repr(ours) == repr(theirs)
    np.testing.assert_allclose(ours(tg.tensor(a), tg.tensor(b)).detach().numpy(),
                               theirs(torch.tensor(a), torch.tensor(b)).detach().numpy())


@pytest.mark.parametrize("fn, error, message", [
    (lambda: F.pad(tg.ones(1, 3), (3, 0), mode="reflect"), ValueError, "smaller than"),
    (lambda: F.pad(tg.ones(1, 3), (4, 0), mode="circular"), ValueError, "more than once"),
    (lambda: F.pad(tg.ones(3, 3), (1, 1, 1, 1), mode="replicate"), NotImplementedError,
     "length 4"),
    (lambda: F.pad(tg.ones(3, 3), (1,)), ValueError, "even length"),
    (lambda: F.conv2d(tg.ones(1, 4, 5, 5), tg.ones(4, 3, 3, 3), groups=2), ValueError,
     "groups=2 expects 6"),
    (lambda: F.conv2d(tg.ones(1, 4, 5, 5), tg.ones(3, 2, 3, 3), groups=2), ValueError,
     "dividing the 3 output"),
    (lambda: F.conv_transpose2d(tg.ones(1, 2, 3, 3), tg.ones(2, 1, 3, 3), stride=2,
                                output_padding=2), ValueError, "smaller than either"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "divisible by groups"),
    (lambda: nn.Conv2d(2, 4, 3, padding_mode="mirror"), ValueError, "padding_mode"),
    (lambda: nn.Conv2d(2, 4, 3, stride=2, padding="same"), ValueError, "strided"),
    (lambda: F.max_pool2d(tg.ones(1, 1, 4, 4), 2, padding=2), ValueError, "at most half"),
    (lambda: F.avg_pool2d(tg.ones(4, 4), 2), ValueError, r"\(4, 4\)"),
    (lambda: F.layer_norm(tg.ones(2, 3), (2,)), ValueError, "trailing"),
    (lambda: F.group_norm(tg.ones(2, 3, 4), 2), ValueError, "divisible"),
    (lambda: nn.GroupNorm(2, 3), ValueError, "divisible"),
    (lambda: F.interpolate(tg.ones(1, 1, 2, 2), scale_factor=2, mode="bicubic"),
     NotImplementedError, "bicubic"),
    (lambda: F.interpolate(tg.ones(1, 1, 2, 2), scale_factor=2, align_corners=True),
     ValueError, "align_corners"),
    (lambda: F.interpolate(tg.ones(1, 1, 2), scale_factor=2, mode="bilinear"), ValueError,
     "4-D"),
    (lambda: F.fold(tg.ones(1, 8, 5), (4, 5), 2), ValueError, "window positions"),
    (lambda: F.dropout2d(tg.ones(2, 3), 0.5), ValueError, "3-D"),
])
def test_bad_arguments_raise_clear_errors(fn, error, message):
    with pytest.raises(error, match=message):
        fn()


def test_conv_transpose_output_size_argument_matches_torch():
    torch.manual_seed(0)
    theirs = tnn.ConvTranspose2d(2, 3, 3, stride=2, padding=1).double()
    ours = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1).double()
    _copy_from_torch(ours, theirs)
    a = np.random.default_rng(0).standard_normal((1, 2, 4, 4))
    out = ours(tg.tensor(a), output_size=(8, 8))
    tout = theirs(torch.tensor(a), output_size=(8, 8))
    assert out.shape == (1, 3, 8, 8)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="not reachable"):
        ours(tg.tensor(a), output_size=(10, 10))


def test_convolutions_have_second_derivatives():
    """A Hessian-vector product through conv, pooling and normalisation layers (the backward
    passes are themselves differentiable)."""
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((1, 2, 5, 5)))
    w = tg.tensor(rng.standard_normal((2, 1, 3, 3)), requires_grad=True)

    def f(w):
        h = F.conv2d(x, w, padding=1, dilation=1, groups=2)
        h = F.group_norm(F.conv_transpose2d(h, w, stride=2, groups=2), 1)
        return (F.adaptive_avg_pool2d(h, 2) ** 2).sum()

    assert tg.gradgradcheck(f, (w,))


@pytest.mark.parametrize("name, args", [
    ("trunc_normal_", dict(mean=0.5, std=2.0, a=-1.0, b=1.0)),
    ("orthogonal_", dict(gain=2.0)), ("eye_", {}), ("dirac_", dict(groups=2)),
    ("sparse_", dict(sparsity=0.5))])
def test_init_functions_match_torch_properties(name, args):
    shape = {"eye_": (3, 5), "dirac_": (4, 2, 3, 3), "sparse_": (6, 4)}.get(name, (300, 20))
    ours = nn.Parameter(tg.zeros(*shape, dtype="float64"))
    theirs = torch.zeros(*shape, dtype=torch.float64)
    getattr(nn.init, name)(ours, **args)
    getattr(tnn.init, name)(theirs, **args)
    o, t = ours.numpy(), theirs.numpy()
    if name in ("eye_", "dirac_"):
        np.testing.assert_array_equal(o, t)
    elif name == "orthogonal_":
        np.testing.assert_allclose(o.T @ o, t.T @ t, atol=1e-8)
    elif name == "sparse_":
        np.testing.assert_array_equal((o == 0).sum(axis=0), (t == 0).sum(axis=0))
    else:
        assert o.min() >= -1.0 and o.max() <= 1.0
        assert abs(o.mean() - t.mean()) < 0.05


def test_fan_helpers_match_torch():
    for shape in [(4, 3), (6, 2, 3, 3), (5, 4, 7)]:
        assert nn.init._calculate_fan_in_and_fan_out(tg.zeros(*shape)) == \
            tnn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))
    with pytest.raises(ValueError, match="fewer than 2|at least 2"):
        nn.init._calculate_fan_in_and_fan_out(tg.zeros(3))
