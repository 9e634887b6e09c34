"""Integer inputs to float-only ops and to every loss (issue 11, item 5), against torch.

Integer tensors used to be truncated silently (``F.cross_entropy`` on int64 logits returned
5.0 instead of 5.1328). The rule checked here, for every loss in ``nn/functional/loss*.py`` and
every float-only Tensor method, top-level function, ``F`` function and ``tg.linalg`` function:

* where torch raises, we raise too -- or compute in float: then the result is floating and
  equals torch's on the same inputs cast to float;
* where torch computes, we compute the same values with the same dtype.

Never an integer result where torch gives a float one, never a truncated value.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")

# ------------------------------------------------------------------ the call specs
# Each spec builds its inputs with ``lib`` (tinygrad_gd or torch), from integer data, and calls
# one function; ``floats=True`` rebuilds the same inputs as float32 (the reference for "computes
# in float").


def _t(lib, data, floats):
    return lib.tensor(data, dtype=lib.float32) if floats else lib.tensor(data)


X = [[1, 2, 3], [4, 5, 7]]           # logits / predictions, (2, 3)
Y = [[0, 1, 1], [1, 0, 2]]           # targets of the same shape
LABELS = [2, 0]                      # class labels (always int64)
P01 = [[0, 1, 1], [1, 0, 1]]         # probabilities that are integers: 0 and 1
SIGNS = [1, -1]                      # +-1 targets of the pair losses

LOSSES = {
    "cross_entropy": lambda nf, lb, f: nf.cross_entropy(_t(lb, X, f), lb.tensor(LABELS)),
    "cross_entropy_probs": lambda nf, lb, f: nf.cross_entropy(_t(lb, X, f), _t(lb, P01, f)),
    "nll_loss": lambda nf, lb, f: nf.nll_loss(_t(lb, X, f), lb.tensor(LABELS)),
    "binary_cross_entropy": lambda nf, lb, f: nf.binary_cross_entropy(_t(lb, P01, f),
                                                                   _t(lb, P01, f)),
    "binary_cross_entropy_with_logits": lambda nf, lb, f: nf.binary_cross_entropy_with_logits(
        _t(lb, X, f), _t(lb, P01, f)),
    "multi_margin_loss": lambda nf, lb, f: nf.multi_margin_loss(_t(lb, X, f), lb.tensor(LABELS)),
    "multilabel_soft_margin_loss": lambda nf, lb, f: nf.multilabel_soft_margin_loss(
        _t(lb, X, f), _t(lb, P01, f)),
    "mse_loss": lambda nf, lb, f: nf.mse_loss(_t(lb, X, f), _t(lb, Y, f)),
    "l1_loss": lambda nf, lb, f: nf.l1_loss(_t(lb, X, f), _t(lb, Y, f)),
    "smooth_l1_loss": lambda nf, lb, f: nf.smooth_l1_loss(_t(lb, X, f), _t(lb, Y, f)),
    "huber_loss": lambda nf, lb, f: nf.huber_loss(_t(lb, X, f), _t(lb, Y, f)),
    "kl_div": lambda nf, lb, f: nf.kl_div(_t(lb, X, f), _t(lb, Y, f), reduction="batchmean"),
    "poisson_nll_loss": lambda nf, lb, f: nf.poisson_nll_loss(_t(lb, X, f), _t(lb, Y, f)),
    "gaussian_nll_loss": lambda nf, lb, f: nf.gaussian_nll_loss(_t(lb, X, f), _t(lb, Y, f),
                                                             _t(lb, X, f)),
    "cosine_embedding_loss": lambda nf, lb, f: nf.cosine_embedding_loss(
        _t(lb, X, f), _t(lb, Y, f), lb.tensor(SIGNS)),
    "margin_ranking_loss": lambda nf, lb, f: nf.margin_ranking_loss(
        _t(lb, X[0], f), _t(lb, Y[0], f), _t(lb, [1, -1, 1], f)),
    "hinge_embedding_loss": lambda nf, lb, f: nf.hinge_embedding_loss(
        _t(lb, X, f), _t(lb, [[1, -1, 1], [-1, 1, 1]], f)),
    "soft_margin_loss": lambda nf, lb, f: nf.soft_margin_loss(
        _t(lb, X, f), _t(lb, [[1, -1, 1], [-1, 1, 1]], f)),
    "triplet_margin_loss": lambda nf, lb, f: nf.triplet_margin_loss(
        _t(lb, X, f), _t(lb, Y, f), _t(lb, P01, f)),
    # a float input with an integer target: torch promotes the target
    "mse_loss_int_target": lambda nf, lb, f: nf.mse_loss(_t(lb, X, True), _t(lb, Y, f)),
    "l1_loss_int_target": lambda nf, lb, f: nf.l1_loss(_t(lb, X, True), _t(lb, Y, f)),
    "bce_int_target": lambda nf, lb, f: nf.binary_cross_entropy(
        _t(lb, [[0.2, 0.5, 0.9], [0.1, 0.3, 0.7]], True), _t(lb, P01, f)),
    "bce_logits_int_target": lambda nf, lb, f: nf.binary_cross_entropy_with_logits(
        _t(lb, X, True), _t(lb, P01, f)),
}


def test_every_loss_is_covered():
    from tinygrad_gd.nn.functional import loss
    covered = {name for name in LOSSES if name in loss.__all__}
    assert covered == set(loss.__all__)


class _Reducing:
    """``lib.nn.functional`` whose losses default to ``reduction`` (a spec's own wins)."""

    def __init__(self, functional, reduction):
        self.functional, self.reduction = functional, reduction

    def __getattr__(self, name):
        fn = getattr(self.functional, name)
        return lambda *args, **kw: fn(*args, **{"reduction": self.reduction, **kw})


def _run(fn, lib, floats=False, reduction=None):
    functional = lib.nn.functional
    if reduction is not None:
        functional = _Reducing(functional, reduction)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(functional, lib, floats), None
        except Exception as exc:  # noqa: BLE001 - any refusal counts as a refusal
            return None, exc


def _check_like_torch(fn, label, reduction=None):
    ours, our_err = _run(fn, tg, reduction=reduction)
    theirs, their_err = _run(fn, torch, reduction=reduction)
    if their_err is None:
        assert our_err is None, f"{label}: torch computes, we raise {our_err!r}"
        if isinstance(theirs, torch.Tensor):
            same = str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
            # an integer result of torch's may come back as floats holding the same values
            # (computed in float); never the other way round
            assert same or (tg.is_floating_point(ours) and not theirs.is_floating_point()), \
                f"{label}: dtype {ours.dtype}, torch {theirs.dtype}"
            np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-5,
                                       atol=1e-6, err_msg=label)
        return
    if our_err is not None:
        # a refusal in the library's words: no NumPy casting traceback
        assert "ufunc" not in str(our_err) and "same_kind" not in str(our_err), our_err
        return
    # we compute where torch refuses: in float, with torch's values on the float inputs
    assert isinstance(ours, tg.Tensor) and tg.is_floating_point(ours), \
        f"{label}: integer result {ours.dtype}"
    reference, ref_err = _run(fn, torch, floats=True, reduction=reduction)
    if ref_err is None:
        np.testing.assert_allclose(ours.numpy(), reference.detach().numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=label)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_on_integer_inputs_refuses_or_computes_in_float_as_torch(name, reduction):
    # "sum" and "none" matter most: "mean" alone already refused integers (via mean())
    _check_like_torch(LOSSES[name], f"{name} ({reduction})", reduction)


def test_cross_entropy_on_integer_logits_is_not_truncated():
    # the example: 5.1328..., not 5.0
    logits, labels = tg.tensor([[0, 0, 5, 0]]), tg.tensor([0])
    try:
        value = tg.nn.functional.cross_entropy(logits, labels).item()
    except (TypeError, RuntimeError):
        return  # refused, as torch does: also fine
    assert value == pytest.approx(5.0201, abs=1e-3)


# ---------------------------------------------- float-only ops of methods, F and linalg
INT2 = [[1, 2, 3], [4, 5, 7]]
SQUARE = [[2, 1], [1, 3]]
SKIP_METHODS = {  # no data in, or side effects / printing / a device
    "backward", "requires_grad_", "retain_grad", "register_hook", "share_memory_",
    "pin_memory", "cuda", "cpu", "numpy", "tolist", "item", "data_ptr", "storage",
    "untyped_storage", "register_post_accumulate_grad_hook", "detach_", "zero_", "apply_",
    "map_", "record_stream", "element_size", "dim", "ndimension", "nelement", "numel",
    "size", "stride", "is_contiguous", "storage_offset", "get_device", "type", "to",
}
RANDOM = {"bernoulli", "bernoulli_", "multinomial", "random_", "uniform_", "normal_",
          "exponential_", "geometric_", "cauchy_", "log_normal_", "new_empty", "dropout"}


def _names(torch_ns, our_ns, skip=()):
    return sorted(n for n in dir(torch_ns) if not n.startswith("_") and n not in skip
                  and callable(getattr(torch_ns, n, None))
                  and callable(getattr(our_ns, n, None))
                  and not isinstance(getattr(torch_ns, n), type))


METHODS = _names(torch.Tensor, tg.Tensor, SKIP_METHODS)
F_NAMES = _names(torch.nn.functional, tg.nn.functional)
LINALG = _names(torch.linalg, tg.linalg, {"multi_dot"})


def _unary(call, data):
    def fn(nf, lib, floats):
        return call(lib, _t(lib, data, floats))
    return fn


def _usage_error(exc):
    """torch's refusal because the call itself needs arguments: not about dtypes."""
    text = str(exc)
    return exc is not None and ("missing" in text or "argument" in text and "must be" not in
                                text or "incompatible" in text or "tuple of" in text)


def _check_unary(label, call, data):
    fn = _unary(call, data)
    if _usage_error(_run(fn, torch)[1]):
        pytest.skip(f"{label} needs more arguments")
    theirs = _run(fn, torch)[0]
    if label.split(".")[-1] in RANDOM and isinstance(theirs, torch.Tensor):
        ours, err = _run(fn, tg)
        assert err is None and str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        return
    _check_like_torch(fn, label)


@pytest.mark.parametrize("name", METHODS)
def test_tensor_method_on_integers_as_torch(name):
    _check_unary(name, lambda lib, x: getattr(x, name)(), INT2)


@pytest.mark.parametrize("name", F_NAMES)
def test_functional_on_integers_as_torch(name):
    _check_unary(f"F.{name}", lambda lib, x: getattr(lib.nn.functional, name)(x), INT2)


@pytest.mark.parametrize("name", LINALG)
def test_linalg_on_integers_as_torch(name):
    _check_unary(f"linalg.{name}", lambda lib, x: getattr(lib.linalg, name)(x), SQUARE)


def test_the_sweeps_cover_the_float_only_ops():
    for name in ("sin", "exp", "log", "sqrt", "sigmoid", "tanh", "mean", "std", "var",
                 "logsumexp", "softmax", "log_softmax", "norm", "reciprocal", "erf"):
        assert name in METHODS, name
    for name in ("softmax", "log_softmax", "gelu", "silu", "normalize", "layer_norm"):
        assert name in F_NAMES, name
    for name in ("inv", "det", "norm", "svd", "eigh", "cholesky", "solve"):
        assert name in LINALG, name
