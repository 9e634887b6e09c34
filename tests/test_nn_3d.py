"""3-D layers as modules against torch: Conv3d (padding modes, 'same', groups), ConvTranspose3d
(output_size), MaxPool3d (indices), AvgPool3d, AdaptiveAvgPool3d/AdaptiveMaxPool3d, Upsample
(trilinear, nearest), BatchNorm3d, unbatched inputs, reprs, errors, and a small 3-D CNN's
loss and gradients."""

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F

torch = pytest.importorskip("torch")
tnn = torch.nn

RNG = np.random.default_rng(3)


def _pair(make):
    m, t = make(nn).double(), make(tnn).double()
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
    return m, t


def _close(a, b, tol=1e-10):
    np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=tol, atol=tol)


LAYERS = [
    lambda lib: lib.Conv3d(2, 4, 3, padding=1),
    lambda lib: lib.Conv3d(2, 4, (2, 3, 1), stride=(1, 2, 1), padding=0,
                           dilation=(2, 1, 1), groups=2, bias=False),
    lambda lib: lib.Conv3d(2, 2, 2, padding="same"),
    lambda lib: lib.Conv3d(2, 3, 3, padding=1, padding_mode="reflect"),
    lambda lib: lib.Conv3d(2, 3, (1, 3, 3), padding=(0, 1, 2), padding_mode="circular"),
    lambda lib: lib.Conv3d(2, 3, 3, padding=1, padding_mode="replicate"),
    lambda lib: lib.ConvTranspose3d(2, 4, 3, stride=2, padding=1, output_padding=1),
    lambda lib: lib.ConvTranspose3d(2, 4, (2, 1, 3), stride=(2, 1, 1), groups=2,
                                    dilation=(1, 1, 2)),
    lambda lib: lib.MaxPool3d(2),
    lambda lib: lib.MaxPool3d(3, stride=2, padding=1, ceil_mode=True),
    lambda lib: lib.AvgPool3d(2, stride=1, padding=1, count_include_pad=False),
    lambda lib: lib.AvgPool3d((2, 3, 2), ceil_mode=True),
    lambda lib: lib.AdaptiveAvgPool3d((2, None, 3)),
    lambda lib: lib.AdaptiveAvgPool3d(1),
    lambda lib: lib.AdaptiveMaxPool3d((3, 2, 2)),
    lambda lib: lib.Upsample(scale_factor=2, mode="trilinear"),
    lambda lib: lib.Upsample(size=(3, 7, 5), mode="trilinear", align_corners=True),
    lambda lib: lib.Upsample(scale_factor=(2, 1, 3), mode="nearest"),
    lambda lib: lib.BatchNorm3d(2),
]


@pytest.mark.parametrize("i", range(len(LAYERS)))
@pytest.mark.parametrize("batched", [True, False])
def test_layer_matches_torch(i, batched):
    m, t = _pair(LAYERS[i])
    shape = (2, 2, 4, 5, 6) if batched else (2, 4, 5, 6)
    if isinstance(m, (nn.BatchNorm3d, nn.Upsample)) and not batched:
        pytest.skip("batched input only (as torch)")
    x = RNG.normal(size=shape)
    xt, tx = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = m(xt), t(tx)
    _close(y, ty)
    assert repr(m) == repr(t)
    seed = RNG.normal(size=ty.shape)
    (y * tg.tensor(seed)).sum().backward()
    (ty * torch.tensor(seed)).sum().backward()
    _close(xt.grad, tx.grad)
    for p, tp in zip(m.parameters(), t.parameters()):
        _close(p.grad, tp.grad)
    for (n, b), (_, tb) in zip(m.named_buffers(), t.named_buffers()):
        np.testing.assert_allclose(b.numpy(), tb.numpy(), rtol=1e-10, err_msg=n)


def test_max_pool3d_indices_and_ties_match_torch():
    x = np.round(RNG.normal(size=(2, 3, 5, 4, 6)))  # many ties: the first maximum wins
    for kw in [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
               dict(kernel_size=(2, 3, 2), stride=1, dilation=(2, 1, 2))]:
        xt, tx = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        (y, i), (ty, ti) = (nn.MaxPool3d(return_indices=True, **kw)(xt),
                            tnn.MaxPool3d(return_indices=True, **kw)(tx))
        _close(y, ty)
        assert i.dtype == tg.int64 and (i.numpy() == ti.numpy()).all()
        y.sum().backward()
        ty.sum().backward()
        _close(xt.grad, tx.grad)
    (y, i), (ty, ti) = (F.adaptive_max_pool3d(tg.tensor(x), (2, 3, 4), True),
                        torch.nn.functional.adaptive_max_pool3d(torch.tensor(x), (2, 3, 4), True))
    assert (i.numpy() == ti.numpy()).all()


def test_conv_transpose3d_output_size_matches_torch():
    m, t = _pair(lambda lib: lib.ConvTranspose3d(2, 3, 3, stride=2, padding=1))
    x = RNG.normal(size=(1, 2, 3, 3, 3))
    for size in [(5, 5, 5), (6, 5, 6)]:
        _close(m(tg.tensor(x), output_size=size), t(torch.tensor(x), output_size=size))
    with pytest.raises(ValueError, match="not reachable"):
        m(tg.tensor(x), output_size=(9, 9, 9))


def test_float32_stays_float32_and_errors():
    x = tg.randn(1, 2, 3, 4, 4)
    assert nn.Conv3d(2, 2, 3, padding=1)(x).dtype == tg.float32
    assert F.max_pool3d(x, 2).dtype == tg.float32
    assert F.avg_pool3d(x, 2).dtype == tg.float32
    assert F.interpolate(x, scale_factor=2, mode="trilinear").dtype == tg.float32
    with pytest.raises(ValueError, match="expects input"):
        nn.Conv3d(3, 2, 3)(x)
    with pytest.raises(ValueError, match=r"\(N, C, D, H, W\)"):
        F.conv3d(tg.randn(2, 3, 4), tg.randn(1, 2, 1, 1, 1))
    with pytest.raises(ValueError, match="groups"):
        F.conv3d(x, tg.randn(3, 1, 1, 1, 1), groups=2)
    with pytest.raises(ValueError, match="smaller than the kernel"):
        F.avg_pool3d(tg.randn(1, 1, 1, 1, 1), (1, 1, 2), 1, (0, 0, 1))
    with pytest.raises(ValueError, match="trilinear"):
        F.interpolate(tg.randn(1, 1, 2, 2), scale_factor=2, mode="trilinear")
    with pytest.raises(ValueError, match="padding"):
        F.max_pool3d(x, 2, padding=2)


def test_small_3d_cnn_step_matches_torch():
    def make(lib):
        return lib.Sequential(lib.Conv3d(1, 4, 3, padding=1), lib.BatchNorm3d(4), lib.ReLU(),
                              lib.MaxPool3d(2), lib.Conv3d(4, 4, 3, padding=1), lib.ReLU(),
                              lib.AdaptiveAvgPool3d(1), lib.Flatten(), lib.Linear(4, 3))
    m, t = _pair(make)
    x, y = RNG.normal(size=(3, 1, 4, 6, 6)), np.array([0, 2, 1])
    loss = F.cross_entropy(m(tg.tensor(x)), tg.tensor(y))
    tloss = torch.nn.functional.cross_entropy(t(torch.tensor(x)), torch.tensor(y))
    loss.backward()
    tloss.backward()
    assert abs(loss.item() - tloss.item()) < 1e-10
    for (n, p), (_, tp) in zip(m.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-8, atol=1e-10,
                                   err_msg=n)
