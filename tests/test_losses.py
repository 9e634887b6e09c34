"""Loss modules and the non-differentiable behaviour of the losses (errors, dtypes, legacy
arguments, buffers), against torch. The values and gradients are in ``rows_loss.py``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3))
Y = RNG.standard_normal((4, 3))
Z = RNG.standard_normal((4, 3))
P = RNG.uniform(0.05, 0.95, (4, 3))
T01 = RNG.uniform(0.0, 1.0, (4, 3))
LABELS = np.array([0, 2, 1, 2])
SIGNS = np.array([1, -1, -1, 1])
W3 = np.array([0.5, 2.0, 1.0])


def _tg(a):
    return tg.tensor(a, dtype="float64" if a.dtype.kind == "f" else None)


def _torch(a):
    return torch.tensor(a)


# (name, constructor kwargs (as NumPy for tensors), the inputs)
MODULES = [
    ("MSELoss", {}, (X, Y)),
    ("L1Loss", {"reduction": "sum"}, (X, Y)),
    ("CrossEntropyLoss", {"weight": W3, "ignore_index": 2, "label_smoothing": 0.1}, (X, LABELS)),
    ("CrossEntropyLoss", {"reduction": "none"}, (X, T01)),
    ("NLLLoss", {"weight": W3}, (X, LABELS)),
    ("BCELoss", {"weight": W3}, (P, T01)),
    ("BCEWithLogitsLoss", {"pos_weight": W3, "weight": W3}, (X, T01)),
    ("SmoothL1Loss", {"beta": 0.5}, (X, Y)),
    ("HuberLoss", {"delta": 0.5, "reduction": "sum"}, (X, Y)),
    ("KLDivLoss", {"reduction": "batchmean"}, (X, T01)),
    ("KLDivLoss", {"reduction": "sum", "log_target": True}, (X, Y)),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5, "weight": W3}, (X, LABELS)),
    ("MultiLabelSoftMarginLoss", {"weight": W3}, (X, T01.round())),
    ("CosineEmbeddingLoss", {"margin": 0.2}, (X, Y, SIGNS)),
    ("MarginRankingLoss", {"margin": 0.1}, (X[:, 0], Y[:, 0], SIGNS.astype(float))),
    ("HingeEmbeddingLoss", {"margin": 0.5}, (X, np.sign(Y))),
    ("SoftMarginLoss", {}, (X, np.sign(Y))),
    ("TripletMarginLoss", {"margin": 2.0, "p": 1.0, "swap": True}, (X, Y, Z)),
    ("PoissonNLLLoss", {"full": True}, (X, T01 * 4)),
    ("PoissonNLLLoss", {"log_input": False}, (P, T01 * 4)),
    ("GaussianNLLLoss", {"full": True}, (X, Y, P[:, 0])),
]


@pytest.mark.parametrize("name, kwargs, inputs", MODULES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)])
def test_loss_modules_match_torch(name, kwargs, inputs):
    ours = getattr(nn, name)(**{k: _tg(v) if isinstance(v, np.ndarray) else v
                                for k, v in kwargs.items()})
    theirs = getattr(torch.nn, name)(**{k: _torch(v) if isinstance(v, np.ndarray) else v
                                        for k, v in kwargs.items()})
    xs = [_tg(a) for a in inputs]
    ts = [_torch(a) for a in inputs]
    xs[0].requires_grad_()
    ts[0].requires_grad_()
    out, tout = ours(*xs), theirs(*ts)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(xs[0].grad.numpy(), ts[0].grad.numpy(), rtol=1e-9, atol=1e-12)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_weight_buffers_move_with_the_module():
    loss = nn.BCEWithLogitsLoss(weight=tg.ones(3), pos_weight=tg.tensor([1.0, 2.0, 3.0]))
    assert [n for n, _ in loss.named_buffers()] == ["weight", "pos_weight"]
    loss.double()
    assert loss.weight.dtype == tg.float64 and loss.pos_weight.dtype == tg.float64
    ce = nn.CrossEntropyLoss()
    assert ce.weight is None and list(ce.state_dict()) == []


def test_legacy_size_average_and_reduce_override_reduction():
    x, y = _tg(X), _tg(Y)
    for size_average, reduce in [(False, None), (None, False), (True, True)]:
        with pytest.warns(UserWarning, match="size_average and reduce args"):
            ours = F.mse_loss(x, y, size_average=size_average, reduce=reduce)
        with pytest.warns(UserWarning):
            theirs = torch.nn.functional.mse_loss(_torch(X), _torch(Y), size_average=size_average,
                                              reduce=reduce)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    with pytest.warns(UserWarning):
        assert nn.L1Loss(size_average=False).reduction == "sum"
        assert nn.CrossEntropyLoss(reduce=False).reduction == "none"


def test_float_class_index_target_gets_a_dtype_message():
    with pytest.raises(TypeError, match=r"integer class labels.*float32.*target.long\(\)"):
        F.cross_entropy(tg.ones(2, 3), tg.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="integer class labels"):
        nn.NLLLoss()(tg.ones(2, 3), tg.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError):  # torch refuses them too
        torch.nn.functional.cross_entropy(torch.ones(2, 3), torch.tensor([0.0, 1.0]))


def test_mismatched_shapes_broadcast_with_torchs_warning():
    x, t = tg.tensor(X[:, :1]), tg.tensor(X[:, 0])
    with pytest.warns(UserWarning, match="different to the input size"):
        ours = F.mse_loss(x, t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.functional.mse_loss(torch.tensor(X[:, :1]), torch.tensor(X[:, 0]))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match=r"mse_loss: .*\(2, 3\).*\(3, 2\)"):
        F.mse_loss(tg.ones(2, 3), tg.ones(3, 2))


def test_kl_div_mean_warns_and_batchmean_divides_by_the_batch():
    x, t = _tg(X), _tg(T01)
    with pytest.warns(UserWarning, match="batchmean"):
        mean = F.kl_div(x, t)
    total = F.kl_div(x, t, reduction="sum").item()
    assert mean.item() == pytest.approx(total / X.size)
    assert F.kl_div(x, t, reduction="batchmean").item() == pytest.approx(total / 4)


def test_binary_cross_entropy_is_finite_at_0_and_1_as_torch():
    p = np.array([0.0, 1.0, 0.0, 1.0])
    t = np.array([1.0, 0.0, 0.0, 1.0])
    x = tg.tensor(p, dtype="float64", requires_grad=True)
    xt = torch.tensor(p, requires_grad=True)
    loss = F.binary_cross_entropy(x, tg.tensor(t, dtype="float64"), reduction="sum")
    tloss = torch.nn.functional.binary_cross_entropy(xt, torch.tensor(t), reduction="sum")
    assert loss.item() == tloss.item() == 200.0
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    assert np.isfinite(x.grad.numpy()).all()


def test_binary_cross_entropy_refuses_logits():
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\].*with_logits"):
        F.binary_cross_entropy(tg.tensor([1.5, 0.5]), tg.tensor([1.0, 0.0]))


@pytest.mark.parametrize("fn, message", [
    (lambda: F.mse_loss(tg.ones(2), tg.ones(2), reduction="avg"), "reduction must be one of"),
    (lambda: F.kl_div(tg.ones(2), tg.ones(2), reduction="avg"), "batchmean"),
    (lambda: F.smooth_l1_loss(tg.ones(2), tg.ones(2), beta=-1.0), "beta must be >= 0"),
    (lambda: F.huber_loss(tg.ones(2), tg.ones(2), delta=0.0), "delta must be > 0"),
    (lambda: F.triplet_margin_loss(tg.ones(2, 3), tg.ones(3), tg.ones(2, 3)), "must all be 1-D"),
    (lambda: F.cosine_embedding_loss(tg.ones(2, 3), tg.ones(2, 3), tg.ones(3)),
     r"target of shape \(2,\)"),
    (lambda: F.gaussian_nll_loss(tg.ones(2, 3), tg.ones(2, 3), tg.ones(3, 2)), "does not fit"),
    (lambda: F.gaussian_nll_loss(tg.ones(2), tg.ones(2), -1.0), "negative"),
    (lambda: F.multi_margin_loss(tg.ones(2, 3), tg.tensor([0, 1]), p=3), "p must be 1 or 2"),
    (lambda: F.multi_margin_loss(tg.ones(2, 3), tg.tensor([0, 1]), weight=tg.ones(2)),
     "one entry per class"),
    (lambda: F.margin_ranking_loss(tg.ones(2), tg.ones(2), tg.ones(2, 1)), "same dimension"),
    (lambda: nn.MultiMarginLoss(p=3), "p == 1 and p == 2"),
])
def test_bad_arguments_name_the_problem(fn, message):
    with pytest.raises((ValueError, TypeError), match=message):
        fn()


def test_gaussian_nll_variance_clamp_passes_the_gradient_as_torch():
    var = np.array([1e-9, 0.5, 2.0])
    v = tg.tensor(var, dtype="float64", requires_grad=True)
    vt = torch.tensor(var, requires_grad=True)
    x = np.array([0.1, -0.2, 0.3])
    F.gaussian_nll_loss(_tg(x), tg.zeros(3, dtype="float64"), v).backward()
    torch.nn.functional.gaussian_nll_loss(torch.tensor(x), torch.zeros(3, dtype=torch.float64),
                                          vt).backward()
    np.testing.assert_allclose(v.grad.numpy(), vt.grad.numpy(), rtol=1e-10)


def test_float32_losses_stay_float32():
    x = tg.tensor(X.astype(np.float32), requires_grad=True)
    for loss in (nn.CrossEntropyLoss()(x, tg.tensor(LABELS)), nn.MSELoss()(x, tg.zeros(4, 3)),
                 nn.BCEWithLogitsLoss(pos_weight=tg.ones(3))(x, tg.ones(4, 3)),
                 nn.KLDivLoss(reduction="batchmean")(x, tg.full((4, 3), 0.25))):
        assert loss.dtype == tg.float32


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_at_extreme_and_nan_logits_matches_torch(dtype):
    # the row maxima come from argmax (ops/fused.py): a NaN must still reach its row's loss
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((64, 7)) * 5
    logits[0] = [1e4, -1e4, 0, 0, 0, 0, 0]
    logits[1, 3] = np.nan
    logits[2] = -1e30
    logits[3, :2] = np.inf
    target = rng.integers(0, 7, 64)
    x = tg.tensor(logits, dtype=dtype, requires_grad=True)
    t = torch.tensor(logits, dtype=getattr(torch, dtype), requires_grad=True)
    with np.errstate(invalid="ignore"):
        ours = F.cross_entropy(x, tg.tensor(target), reduction="none")
        ours.sum().backward()
    theirs = torch.nn.functional.cross_entropy(t, torch.tensor(target), reduction="none")
    theirs.sum().backward()
    rtol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=1e-6)


def test_cross_entropy_of_no_rows_matches_torch():
    for shape in ((0, 0), (0, 4)):
        ours = F.cross_entropy(tg.zeros(*shape), tg.tensor([], dtype="int64"))
        theirs = torch.nn.functional.cross_entropy(torch.zeros(*shape),
                                                   torch.tensor([], dtype=torch.long))
        assert np.isnan(ours.item()) and np.isnan(theirs.item())
