"""nn.functional: one table of layers and losses, each checked by gradcheck and gradgradcheck in
float64 on every device, and against torch (forward and backward) when torch is installed."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.nn import functional as F


def _normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def _uniform(lo, hi, *shape):
    return lambda rng: rng.uniform(lo, hi, shape)


def _labels(k, *shape):
    return lambda rng: rng.integers(0, k, shape)


def _probs(*shape):
    def make(rng):
        e = np.exp(rng.standard_normal(shape))
        return e / e.sum(axis=1, keepdims=True)
    return make


# name -> (tinygrad_gd function, torch function or None, input makers, indices that need grad)
CASES = {
    "linear": (F.linear, "linear", [_normal(3, 4), _normal(2, 4), _normal(2)], (0, 1, 2)),
    "linear_3d": (F.linear, "linear", [_normal(2, 2, 3), _normal(2, 3), _normal(2)], (0, 1, 2)),
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b), lambda tf, x, w, b: tf.conv2d(x, w, b),
               [_normal(2, 2, 4, 4), _normal(2, 2, 3, 3), _normal(2)], (0, 1, 2)),
    "conv2d_s2_p1": (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
                     lambda tf, x, w, b: tf.conv2d(x, w, b, stride=2, padding=1),
                     [_normal(1, 2, 5, 4), _normal(2, 2, 3, 3), _normal(2)], (0, 1, 2)),
    "conv2d_k2x3_s_1_2_p2": (lambda x, w: F.conv2d(x, w, stride=(1, 2), padding=(2, 0)),
                             lambda tf, x, w: tf.conv2d(x, w, stride=(1, 2), padding=(2, 0)),
                             [_normal(2, 1, 3, 5), _normal(2, 1, 2, 3)], (0, 1)),
    "max_pool2d_k2": (lambda x: F.max_pool2d(x, 2), lambda tf, x: tf.max_pool2d(x, 2),
                      [_normal(2, 2, 5, 4)], (0,)),
    "max_pool2d_k3_s2_p1": (lambda x: F.max_pool2d(x, 3, 2, 1),
                            lambda tf, x: tf.max_pool2d(x, 3, 2, 1), [_normal(1, 2, 5, 5)], (0,)),
    "max_pool2d_k2_s1_p1": (lambda x: F.max_pool2d(x, 2, 1, 1),
                            lambda tf, x: tf.max_pool2d(x, 2, 1, 1), [_normal(1, 1, 4, 3)], (0,)),
    "avg_pool2d_k2": (lambda x: F.avg_pool2d(x, 2), lambda tf, x: tf.avg_pool2d(x, 2),
                      [_normal(2, 2, 5, 4)], (0,)),
    "avg_pool2d_k3_s2_p1": (lambda x: F.avg_pool2d(x, 3, 2, 1),
                            lambda tf, x: tf.avg_pool2d(x, 3, 2, 1), [_normal(1, 2, 5, 5)], (0,)),
    "batch_norm_train": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                         lambda tf, x, w, b: tf.batch_norm(x, None, None, w, b, training=True),
                         [_normal(4, 3), _normal(3), _normal(3)], (0, 1, 2)),
    "batch_norm_2d_train": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                            lambda tf, x, w, b: tf.batch_norm(x, None, None, w, b, training=True),
                            [_normal(2, 2, 2, 3), _normal(2), _normal(2)], (0, 1, 2)),
    "relu": (F.relu, "relu", [_normal(3, 4)], (0,)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda tf, x: tf.leaky_relu(x, 0.1),
                   [_normal(3, 4)], (0,)),
    "tanh": (F.tanh, "tanh", [_normal(3, 4)], (0,)),
    "sigmoid": (F.sigmoid, "sigmoid", [_normal(3, 4)], (0,)),
    "gelu": (F.gelu, "gelu", [_normal(3, 4)], (0,)),
    "softmax": (lambda x: F.softmax(x, 1), lambda tf, x: tf.softmax(x, 1), [_normal(3, 4)], (0,)),
    "log_softmax": (lambda x: F.log_softmax(x, 0), lambda tf, x: tf.log_softmax(x, 0),
                    [_normal(3, 4)], (0,)),
    "dropout": (lambda x: (tg.manual_seed(3), F.dropout(x, 0.4))[1], None, [_normal(3, 4)], (0,)),
}
for red in ("mean", "sum", "none"):
    CASES[f"cross_entropy_{red}"] = (
        lambda x, t, r=red: F.cross_entropy(x, t, reduction=r),
        lambda tf, x, t, r=red: tf.cross_entropy(x, t, reduction=r),
        [_normal(4, 5), _labels(5, 4)], (0,))
    CASES[f"cross_entropy_probs_{red}"] = (
        lambda x, t, r=red: F.cross_entropy(x, t, reduction=r),
        lambda tf, x, t, r=red: tf.cross_entropy(x, t, reduction=r),
        [_normal(3, 4), _probs(3, 4)], (0,))
    CASES[f"nll_loss_{red}"] = (
        lambda x, t, r=red: F.nll_loss(x, t, reduction=r),
        lambda tf, x, t, r=red: tf.nll_loss(x, t, reduction=r),
        [_normal(4, 5), _labels(5, 4)], (0,))
    CASES[f"mse_loss_{red}"] = (
        lambda x, t, r=red: F.mse_loss(x, t, reduction=r),
        lambda tf, x, t, r=red: tf.mse_loss(x, t, reduction=r),
        [_normal(3, 4), _normal(3, 4)], (0, 1))
    CASES[f"l1_loss_{red}"] = (
        lambda x, t, r=red: F.l1_loss(x, t, reduction=r),
        lambda tf, x, t, r=red: tf.l1_loss(x, t, reduction=r),
        [_normal(3, 4), _normal(3, 4)], (0, 1))
    CASES[f"binary_cross_entropy_{red}"] = (
        lambda x, t, r=red: F.binary_cross_entropy(x, t, reduction=r),
        lambda tf, x, t, r=red: tf.binary_cross_entropy(x, t, reduction=r),
        [_uniform(0.05, 0.95, 3, 4), _uniform(0, 1, 3, 4)], (0,))
    CASES[f"bce_with_logits_{red}"] = (
        lambda x, t, r=red: F.binary_cross_entropy_with_logits(x, t, reduction=r),
        lambda tf, x, t, r=red: tf.binary_cross_entropy_with_logits(x, t, reduction=r),
        [_normal(3, 4), _uniform(0, 1, 3, 4)], (0, 1))
    CASES[f"multi_margin_loss_{red}"] = (
        lambda x, t, r=red: F.multi_margin_loss(x, t, reduction=r),
        lambda tf, x, t, r=red: tf.multi_margin_loss(x, t, reduction=r),
        [_normal(4, 5), _labels(5, 4)], (0,))
def _labels_some_ignored(k, n):
    def make(rng):
        labels = rng.integers(0, k, n)
        labels[::3] = -100
        return labels
    return make


for red in ("mean", "sum", "none"):
    CASES[f"cross_entropy_weight_ignore_{red}"] = (
        lambda x, t, w, r=red: F.cross_entropy(x, t, weight=w, reduction=r),
        lambda tf, x, t, w, r=red: tf.cross_entropy(x, t, weight=w, reduction=r),
        [_normal(5, 4), _labels_some_ignored(4, 5), _uniform(0.5, 2.0, 4)], (0,))
    CASES[f"cross_entropy_ignore_smoothing_{red}"] = (
        lambda x, t, r=red: F.cross_entropy(x, t, reduction=r, label_smoothing=0.3),
        lambda tf, x, t, r=red: tf.cross_entropy(x, t, reduction=r, label_smoothing=0.3),
        [_normal(5, 4), _labels_some_ignored(4, 5)], (0,))
    CASES[f"nll_loss_weight_ignore_{red}"] = (
        lambda x, t, w, r=red: F.nll_loss(x, t, weight=w, reduction=r),
        lambda tf, x, t, w, r=red: tf.nll_loss(x, t, weight=w, reduction=r),
        [_normal(5, 4), _labels_some_ignored(4, 5), _uniform(0.5, 2.0, 4)], (0,))
CASES["cross_entropy_weight_smoothing"] = (
    lambda x, t, w: F.cross_entropy(x, t, weight=w, label_smoothing=0.2),
    lambda tf, x, t, w: tf.cross_entropy(x, t, weight=w, label_smoothing=0.2),
    [_normal(5, 4), _labels_some_ignored(4, 5), _uniform(0.5, 2.0, 4)], (0,))
CASES["cross_entropy_probs_weight"] = (
    lambda x, t, w: F.cross_entropy(x, t, weight=w),
    lambda tf, x, t, w: tf.cross_entropy(x, t, weight=w),
    [_normal(3, 4), _probs(3, 4), _uniform(0.5, 2.0, 4)], (0,))
CASES["cross_entropy_spatial"] = (
    F.cross_entropy, "cross_entropy", [_normal(2, 3, 2, 2), _labels(3, 2, 2, 2)], (0,))
CASES["cross_entropy_smoothing"] = (
    lambda x, t: F.cross_entropy(x, t, label_smoothing=0.2),
    lambda tf, x, t: tf.cross_entropy(x, t, label_smoothing=0.2),
    [_normal(4, 5), _labels(5, 4)], (0,))
CASES["multi_margin_loss_p2"] = (
    lambda x, t: F.multi_margin_loss(x, t, p=2, margin=0.5),
    lambda tf, x, t: tf.multi_margin_loss(x, t, p=2, margin=0.5),
    [_normal(4, 5), _labels(5, 4)], (0,))


def _arrays(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    return [make(rng) for make in CASES[name][2]]


def _tensors(name, device, arrays=None):
    arrays = _arrays(name) if arrays is None else arrays
    grads = CASES[name][3]
    return tuple(tg.tensor(a, dtype=None if a.dtype.kind in "iu" else "float64", device=device,
                           requires_grad=i in grads) for i, a in enumerate(arrays))


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck_and_gradgradcheck(name, device):
    fn, _, _, grads = CASES[name]
    inputs = _tensors(name, device)

    def of_differentiable(*diff):  # labels and other constants are closed over
        full, it = list(inputs), iter(diff)
        for i in grads:
            full[i] = next(it)
        return fn(*full)

    diff = tuple(inputs[i] for i in grads)
    assert tg.gradcheck(of_differentiable, diff)
    assert tg.gradgradcheck(of_differentiable, diff)


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n][1] is not None))
def test_matches_torch_forward_and_backward(name):
    torch = pytest.importorskip("torch")
    fn, ref, _, grads = CASES[name]
    if isinstance(ref, str):
        ref_name = ref

        def ref(tf, *args):
            return getattr(tf, ref_name)(*args)
    arrays = _arrays(name)
    ours = _tensors(name, "cpu", arrays)
    theirs = [torch.tensor(a, requires_grad=i in grads) for i, a in enumerate(arrays)]
    out = fn(*ours)
    expected = ref(torch.nn.functional, *theirs)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(tg.tensor(seed))
    expected.backward(torch.tensor(seed))
    for i in grads:
        np.testing.assert_allclose(ours[i].grad.numpy(), theirs[i].grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=f"gradient of input {i}")


def test_float32_paths_stay_float32():
    x = tg.randn(2, 3, 6, 6, requires_grad=True)
    w = tg.randn(4, 3, 3, 3, requires_grad=True)
    out = F.max_pool2d(F.conv2d(x, w, padding=1).relu(), 2)
    loss = F.cross_entropy(out.flatten(1), tg.tensor([0, 1]))
    loss.backward()
    assert out.dtype == tg.float32 and loss.dtype == tg.float32
    assert x.grad.dtype == tg.float32 and w.grad.dtype == tg.float32


def test_cross_entropy_is_stable_for_huge_logits():
    logits = tg.tensor([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4], [-1e4, -1e4, 1e4]], requires_grad=True)
    target = tg.tensor([1, 2, 2])
    loss = F.cross_entropy(logits, target, reduction="none")
    loss.sum().backward()
    assert np.isfinite(loss.numpy()).all() and np.isfinite(logits.grad.numpy()).all()
    np.testing.assert_allclose(loss.numpy(), [1e4, np.log(2.0), 0.0], rtol=1e-6)
    np.testing.assert_allclose(logits.grad.numpy()[0], [1.0, -1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(logits.grad.numpy()[1], [0.0, 0.5, -0.5], atol=1e-6)


@pytest.mark.parametrize("loss", [
    lambda x, t: F.cross_entropy(x, t),
    lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1),
    lambda x, t: F.nll_loss(x.log_softmax(1), t),
])
def test_mean_loss_of_a_batch_whose_labels_are_all_ignored_is_nan_with_zero_gradient(loss):
    # torch's answer (0 / 0 kept rows), not a ZeroDivisionError: a fully padded batch happens
    x = tg.randn(3, 4, requires_grad=True)
    out = loss(x, tg.tensor([-100, -100, -100]))
    out.backward()
    assert np.isnan(out.item())
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((3, 4)))


def test_cross_entropy_third_derivative_through_the_fused_primitive():
    # reverse-over-reverse twice: d/dx of (v^T H(x) u), checked by finite differences
    x = tg.randn(2, 3, dtype="float64", requires_grad=True)
    t = tg.tensor([2, 0])
    u = tg.randn(2, 3, dtype="float64")

    def hvp_dot(x):
        if not x.requires_grad:  # the finite-difference evaluations pass plain tensors
            x = x.detach().requires_grad_()
        with tg.enable_grad():
            (g,) = tg.grad(F.cross_entropy(x, t), x, create_graph=True)
            (hu,) = tg.grad((g * u).sum(), x, create_graph=True)
        return hu

    assert tg.gradcheck(hvp_dot, x)


def test_mlp_hvp_matches_torch():
    torch = pytest.importorskip("torch")
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 5)), rng.integers(0, 3, 8)
    w1, b1, w2, b2 = (rng.standard_normal(s) * 0.5 for s in [(4, 5), (4,), (3, 4), (3,)])
    v = tuple(rng.standard_normal(a.shape) for a in (w1, b1, w2, b2))

    def loss(w1, b1, w2, b2):
        return F.cross_entropy(F.linear(F.linear(xt, w1, b1).tanh(), w2, b2), yt)

    def torch_loss(w1, b1, w2, b2):
        h = torch.tanh(torch.nn.functional.linear(torch.tensor(x), w1, b1))
        return torch.nn.functional.cross_entropy(torch.nn.functional.linear(h, w2, b2),
                                                 torch.tensor(y))

    xt, yt = tg.tensor(x, dtype="float64"), tg.tensor(y)
    params = tuple(tg.tensor(a, dtype="float64") for a in (w1, b1, w2, b2))
    _, ours = tg.hvp(loss, params, tuple(tg.tensor(a) for a in v))
    _, theirs = torch.autograd.functional.hvp(
        torch_loss, tuple(torch.tensor(a) for a in (w1, b1, w2, b2)),
        tuple(torch.tensor(a) for a in v))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("fn, message", [
    (lambda: F.conv2d(tg.ones(5, 5), tg.ones(2, 3, 3, 3)), r"\(5, 5\)"),
    (lambda: F.conv2d(tg.ones(1, 2, 5, 5), tg.ones(4, 3, 3, 3)), "2 channels"),
    (lambda: F.conv2d(tg.ones(1, 3, 2, 2), tg.ones(4, 3, 3, 3)), "larger than"),
    (lambda: F.linear(tg.ones(2, 5), tg.ones(3, 4)), r"\(2, 5\).*expects 4"),
    (lambda: F.cross_entropy(tg.ones(2, 3), tg.tensor([0, 3])), "label 3 is out of range"),
    (lambda: F.cross_entropy(tg.ones(2, 3), tg.tensor([-1, 0])), "label -1 is out of range"),
    (lambda: F.cross_entropy(tg.ones(2, 3), tg.tensor([0, 1, 2])), r"target of shape \(2,\)"),
    (lambda: F.nll_loss(tg.ones(2, 3), tg.tensor([0.0, 1.0])), "integer class labels"),
    (lambda: F.cross_entropy(tg.ones(2, 3), tg.tensor([0, 1]), weight=tg.ones(2)),
     r"one entry per class, shape \(3,\)"),
    (lambda: F.mse_loss(tg.ones(2, 3), tg.ones(3, 2)), r"\(2, 3\).*\(3, 2\)"),
    (lambda: F.binary_cross_entropy(tg.full((2,), 1.5), tg.ones(2)), "probabilities"),
    (lambda: F.mse_loss(tg.ones(2), tg.ones(2), reduction="avg"), "reduction"),
    (lambda: F.max_pool2d(tg.ones(1, 1, 4, 4), 2, padding=2), "at most half"),
    (lambda: F.conv2d(tg.ones(1, 1, 4, 4), tg.ones(1, 1, 3, 3), padding="same", stride=2),
     "strided"),
    (lambda: F.conv2d(tg.ones(1, 1, 4, 4), tg.ones(1, 1, 3, 3), padding="full"), "'same'"),
    (lambda: F.dropout(tg.ones(2), p=1.5), "between 0 and 1"),
])
def test_bad_input_errors_name_the_problem(fn, message):
    with pytest.raises((ValueError, TypeError), match=message):
        fn()


def test_same_padding_with_an_even_kernel_and_constant_pad_match_torch():
    torch = pytest.importorskip("torch")
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(
        F.conv2d(tg.tensor(x), tg.ones(1, 1, 2, 2, dtype="float64"), padding="same").numpy(),
        torch.nn.functional.conv2d(torch.tensor(x), torch.ones(1, 1, 2, 2, dtype=torch.float64),
                                   padding="same").numpy())
    x = np.arange(12.0).reshape(1, 3, 4)
    np.testing.assert_array_equal(F.pad(tg.tensor(x), (1, 2, 0, 1), value=-1.0).numpy(),
                                  torch.nn.functional.pad(torch.tensor(x), (1, 2, 0, 1),
                                                          value=-1.0).numpy())
    with pytest.raises(ValueError, match="mode must be"):
        F.pad(tg.tensor(x), (1, 1), mode="mirror")


def test_dropout_is_seeded_scaled_and_off_in_eval():
    x = tg.ones(200, 50)
    tg.manual_seed(7)
    a = F.dropout(x, 0.3)
    tg.manual_seed(7)
    b = F.dropout(x, 0.3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    values = np.unique(a.numpy())
    np.testing.assert_allclose(values, [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((a.numpy() == 0).mean() - 0.3) < 0.02
    assert F.dropout(x, 0.3, training=False) is x


@pytest.mark.parametrize("args", [(2,), (3, 1, 1), (2, 1, 0)])
def test_max_pool_propagates_nan_and_routes_its_gradient_to_it_as_torch(args):
    # a NaN never compares equal to the window's (NaN) maximum: the overlapping-window path
    # returned the last tap's value instead, hiding the NaN from the loss
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 4))
    x[0, 0, 1, 1] = np.nan
    xt, X = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = F.max_pool2d(xt, *args), torch.nn.functional.max_pool2d(X, *args)
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())  # NaNs compare equal
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(tg.tensor(g))
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(xt.grad.numpy(), X.grad.numpy())


@pytest.mark.parametrize("args", [(2,), (2, 2, 0), (3, 1, 1), (2, 1, 0)])
def test_max_pool_ties_route_the_gradient_to_the_first_maximum_as_torch(args):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).integers(0, 3, (2, 3, 6, 5)).astype(np.float64)
    xt, X = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = F.max_pool2d(xt, *args), torch.nn.functional.max_pool2d(X, *args)
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(tg.tensor(g))
    expected.backward(torch.tensor(g))
    # overlapping windows add in another order: rounding-level differences, not misrouting
    np.testing.assert_allclose(xt.grad.numpy(), X.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_conv_and_pooling_match_torch_on_random_configurations():
    torch = pytest.importorskip("torch")
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=40, deadline=None, derandomize=True)
    @hypothesis.given(n=st.integers(1, 3), c=st.integers(1, 3), o=st.integers(1, 3),
                      h=st.integers(1, 7), w=st.integers(1, 7), kh=st.integers(1, 4),
                      kw=st.integers(1, 4), sh=st.integers(1, 3), sw=st.integers(1, 3),
                      ph=st.integers(0, 2), pw=st.integers(0, 2))
    def check(n, c, o, h, w, kh, kw, sh, sw, ph, pw):
        hypothesis.assume(h + 2 * ph >= kh and w + 2 * pw >= kw)
        rng = np.random.default_rng(n * 1000 + h * 10 + w)
        x = rng.standard_normal((n, c, h, w))
        weight = rng.standard_normal((o, c, kh, kw))
        weights = {F: tg.tensor(weight), torch.nn.functional: torch.tensor(weight)}
        cases = [lambda a, m: m.conv2d(a, weights[m], stride=(sh, sw), padding=(ph, pw))]
        if 2 * ph <= kh and 2 * pw <= kw:  # torch's limit for pooling padding
            cases += [lambda a, m: m.max_pool2d(a, (kh, kw), (sh, sw), (ph, pw)),
                      lambda a, m: m.avg_pool2d(a, (kh, kw), (sh, sw), (ph, pw))]
        for fn in cases:
            xt, X = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            out, expected = fn(xt, F), fn(X, torch.nn.functional)
            np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10,
                                       atol=1e-12)
            g = rng.standard_normal(out.shape)
            out.backward(tg.tensor(g))
            expected.backward(torch.tensor(g))
            np.testing.assert_allclose(xt.grad.numpy(), X.grad.numpy(), rtol=1e-10, atol=1e-12)

    check()


def test_bce_with_logits_gradient_at_zero_logits_matches_torch():
    torch = pytest.importorskip("torch")
    x = tg.tensor([0.0, 0.0, 30.0, -30.0], dtype="float64", requires_grad=True)
    t = [1.0, 0.0, 0.0, 1.0]
    F.binary_cross_entropy_with_logits(x, tg.tensor(t, dtype="float64")).backward()
    xt = torch.tensor([0.0, 0.0, 30.0, -30.0], dtype=torch.float64, requires_grad=True)
    torch.nn.functional.binary_cross_entropy_with_logits(
        xt, torch.tensor(t, dtype=torch.float64)).backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-7, atol=1e-12)
