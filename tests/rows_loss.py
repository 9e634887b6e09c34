"""Op-table rows for the losses of nn.functional (collected by ``test_ops.py``).

Targets that are not differentiated (class indices, +-1 labels, weights) are case parameters,
passed through ``ns.lib.tensor`` (integers) or ``ns.const`` (floats, in the input's dtype), so one
``fn`` runs on both libraries. Differentiable targets (``mse_loss``'s, ``kl_div``'s, ...) are
inputs, drawn from a value domain that keeps finite differences away from the loss's kinks.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_cases import SMALL, Row, even_grid, odd_grid, positive, real

from tinygrad_gd.testing import shapes

REDUCTIONS = ("mean", "sum", "none")


def prob(rng, shape):
    """Probabilities away from 0 and 1 (the logs of binary cross-entropy)."""
    return rng.uniform(0.05, 0.95, shape)


def reduce_np(loss, reduction):
    loss = np.asarray(loss, dtype=np.float64)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _labels(shape, low=0.0, high=1.0):
    return hnp.arrays(np.float64, shape, elements=st.floats(low, high))


def _signs(shape, dtype=np.int64):
    return hnp.arrays(dtype, shape, elements=st.sampled_from([-1, 1]))


def _red(**extra):
    return {"reduction": st.sampled_from(REDUCTIONS), **extra}


@st.composite
def same_shape(draw, n=2, min_dims=0, **params):
    """``n`` inputs of one shape and the drawn ``params``."""
    shape = draw(shapes(min_dims=min_dims, **SMALL))
    return (shape,) * n, {k: draw(v) for k, v in _red(**params).items()}


@st.composite
def with_target(draw, target, min_dims=0, **params):
    """One input and a constant target (a strategy of the input's shape)."""
    shape = draw(shapes(min_dims=min_dims, **SMALL))
    drawn = {k: draw(v) for k, v in _red(**params).items()}
    return (shape,), {"t": draw(target(shape)), **drawn}


@st.composite
def class_case(draw, probs=False, weight=False, ignore=False, smoothing=False, spatial=True):
    """Logits ``(N, C)``, ``(C,)`` or ``(N, C, d)`` and class-index (or probability) targets."""
    c = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["nc", "c", "ncd"] if spatial else ["nc", "c"]))
    n, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    shape = {"nc": (n, c), "c": (c,), "ncd": (n, c, d)}[kind]
    tshape = {"nc": (n,), "c": (), "ncd": (n, d)}[kind]
    if probs:
        t = draw(_labels(shape, 0.0, 1.0))
    else:
        t = draw(hnp.arrays(np.int64, tshape, elements=st.integers(0, c - 1)))
        if ignore and t.size:
            t.flat[0] = -100  # ignored: keep at least one label when there are several
    params = {"t": t, "reduction": draw(st.sampled_from(REDUCTIONS))}
    if weight:
        params["w"] = draw(_labels((c,), 0.5, 2.0))
    if smoothing:
        params["ls"] = draw(st.sampled_from([0.0, 0.1, 0.4]))
    if ignore and not probs and (params["reduction"] == "mean" and t.size and (t == -100).all()):
        params["reduction"] = "sum"  # every label ignored: torch's 0 / 0 is NaN
    return (shape,), params


@st.composite
def pair_rows(draw, n=2, vector=True):
    """``n`` inputs of one shape ``(N, D)`` (or ``(D,)``) and +-1 labels ``(N,)`` (``()``)."""
    shape = draw(st.sampled_from([(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                                  (draw(st.integers(1, 3)),)]))
    tshape = shape[:-1] if vector else shape
    return (shape,) * n, {"t": draw(_signs(tshape)), "reduction": draw(st.sampled_from(
        REDUCTIONS))}


# ----------------------------------------------------------------------- NumPy references


def np_log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def np_cross_entropy(x, t, reduction, w=None, ls=0.0, ignore=-100, nll=False):
    axis = 0 if x.ndim == 1 else 1
    logp = x if nll else np_log_softmax(x, axis)
    c = x.shape[axis]
    w = np.ones(c) if w is None else w
    if t.dtype.kind == "f":  # class probabilities
        t = t * (1 - ls) + ls / c
        shape = [1] * x.ndim
        shape[axis] = c
        return reduce_np(-(t * w.reshape(shape) * logp).sum(axis=axis), reduction)
    lp = np.moveaxis(logp, axis, -1)
    keep = t != ignore
    safe = np.where(keep, t, 0)
    picked = np.take_along_axis(lp, safe[..., None], -1)[..., 0]
    wt = w[safe] * keep
    loss = -picked * wt * (1 - ls) - ls * (lp * w).sum(-1) / c * keep
    if reduction == "mean":
        return loss.sum() / wt.sum()
    return reduce_np(loss, reduction)


def np_softplus(z):
    return np.logaddexp(0.0, z)


def np_norm(v, p):
    return (np.abs(v) ** p).sum(-1) ** (1.0 / p)


def np_triplet(a, p_, n, margin, p, swap, reduction):
    eps = 1e-6
    dp, dn = np_norm(a - p_ + eps, p), np_norm(a - n + eps, p)
    if swap:
        dn = np.minimum(dn, np_norm(p_ - n + eps, p))
    return reduce_np(np.maximum(dp - dn + margin, 0.0), reduction)


def np_cosine_embedding(x1, x2, t, margin, reduction):
    cos = (x1 * x2).sum(-1) / np.sqrt(((x1 * x1).sum(-1) + 1e-12) * ((x2 * x2).sum(-1) + 1e-12))
    return reduce_np(np.where(t == 1, 1 - cos, np.maximum(cos - margin, 0.0)), reduction)


def np_kl(x, t, reduction, log_target=False):
    loss = np.exp(t) * (t - x) if log_target else t * (np.log(t) - x)
    if reduction == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    return reduce_np(loss, reduction)


def np_poisson(x, t, log_input, full, reduction):
    loss = np.exp(x) - t * x if log_input else x - t * np.log(x + 1e-8)
    if full:
        safe = np.where(t > 1, t, 1.0)
        loss = loss + np.where(t > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe),
                               0.0)
    return reduce_np(loss, reduction)


def np_smooth_l1(x, t, beta, reduction):
    a = np.abs(x - t)
    return reduce_np(np.where(a < beta, 0.5 * a * a / beta, a - 0.5 * beta), reduction)


def np_huber(x, t, delta, reduction):
    a = np.abs(x - t)
    return reduce_np(np.where(a < delta, 0.5 * a * a, delta * (a - 0.5 * delta)), reduction)


def np_multi_margin(x, t, p, margin, reduction):
    rows = x.reshape(-1, x.shape[-1])
    labels = np.asarray(t).reshape(-1)
    picked = rows[np.arange(len(labels)), labels][:, None]
    h = np.maximum(margin - picked + rows, 0.0) ** p
    h[np.arange(len(labels)), labels] = 0
    return reduce_np((h.sum(1) / x.shape[-1]).reshape(np.shape(t)), reduction)


def _bce(x, t, w, reduction):
    loss = -(t * np.log(x) + (1 - t) * np.log1p(-x))
    return reduce_np(loss * (1.0 if w is None else w), reduction)


def _bce_logits(x, t, w, pw, reduction):
    lw = 1.0 if pw is None else (pw - 1) * t + 1
    loss = (1 - t) * x + lw * np_softplus(-x)
    return reduce_np(loss * (1.0 if w is None else w), reduction)


def _c(ns, a, like):
    return None if a is None else ns.const(a, like)


def _opt(strategy):
    return st.one_of(st.none(), strategy)


@st.composite
def bce_case(draw, logits=False):
    shape = draw(shapes(min_dims=0, **SMALL))
    params = {"reduction": draw(st.sampled_from(REDUCTIONS)),
              "w": draw(_opt(_labels(shape, 0.5, 2.0)))}
    if logits:
        params["t"] = draw(_labels(shape))
        params["pw"] = draw(_opt(_labels(shape[-1:], 0.5, 3.0)))
    return (shape,) * (1 if logits else 2), params


@st.composite
def gaussian_case(draw):
    shape = draw(shapes(min_dims=1, **SMALL))
    vshape = draw(st.sampled_from([shape, shape[:-1], shape[:-1] + (1,)]))
    return (shape, shape, vshape), {"full": draw(st.booleans()),
                                    "reduction": draw(st.sampled_from(REDUCTIONS))}


def np_gaussian(x, t, v, full, reduction):
    if v.shape != x.shape and v.shape == x.shape[:-1]:
        v = v[..., None]
    loss = 0.5 * (np.log(v) + (x - t) ** 2 / v) + (0.5 * math.log(2 * math.pi) if full else 0)
    return reduce_np(loss, reduction)


ROWS: list[Row] = [
    Row("mse_loss", lambda ns, x, t, reduction: ns.F.mse_loss(x, t, reduction=reduction),
        lambda x, t, reduction: reduce_np((x - t) ** 2, reduction), same_shape()),
    Row("l1_loss", lambda ns, x, t, reduction: ns.F.l1_loss(x, t, reduction=reduction),
        lambda x, t, reduction: reduce_np(np.abs(x - t), reduction), same_shape(),
        (even_grid, odd_grid)),
    Row("smooth_l1_loss",
        lambda ns, x, t, reduction, beta: ns.F.smooth_l1_loss(x, t, reduction=reduction,
                                                              beta=beta),
        np_smooth_l1, same_shape(beta=st.sampled_from([0.5, 1.0, 2.0])), (even_grid, odd_grid)),
    Row("huber_loss",
        lambda ns, x, t, reduction, delta: ns.F.huber_loss(x, t, reduction=reduction,
                                                           delta=delta),
        np_huber, same_shape(delta=st.sampled_from([0.5, 1.0, 2.0])), (even_grid, odd_grid)),
    Row("kl_div",
        lambda ns, x, t, reduction: ns.F.kl_div(x, t, reduction=reduction),
        np_kl, same_shape(reduction=st.sampled_from(("batchmean", "sum", "none"))),
        (real, positive)),
    Row("kl_div_log_target",
        lambda ns, x, t, reduction: ns.F.kl_div(x, t, reduction=reduction, log_target=True),
        lambda x, t, reduction: np_kl(x, t, reduction, log_target=True),
        same_shape(reduction=st.sampled_from(("batchmean", "sum", "none")))),
    Row("binary_cross_entropy",
        lambda ns, x, t, reduction, w: ns.F.binary_cross_entropy(
            x, t, weight=_c(ns, w, x), reduction=reduction),
        _bce, bce_case(), (prob,)),
    Row("binary_cross_entropy_with_logits",
        lambda ns, x, t, reduction, w, pw: ns.F.binary_cross_entropy_with_logits(
            x, ns.const(t, x), weight=_c(ns, w, x), pos_weight=_c(ns, pw, x),
            reduction=reduction),
        _bce_logits, bce_case(logits=True)),
    Row("cross_entropy",
        lambda ns, x, t, reduction: ns.F.cross_entropy(x, ns.lib.tensor(t, device=x.device),
                                                       reduction=reduction),
        np_cross_entropy, class_case()),
    Row("cross_entropy_weight_ignore_smoothing",
        lambda ns, x, t, reduction, w, ls: ns.F.cross_entropy(
            x, ns.lib.tensor(t, device=x.device), weight=ns.const(w, x), reduction=reduction,
            label_smoothing=ls),
        lambda x, t, reduction, w, ls: np_cross_entropy(x, t, reduction, w, ls),
        class_case(weight=True, ignore=True, smoothing=True)),
    Row("cross_entropy_probs",
        lambda ns, x, t, reduction, w, ls: ns.F.cross_entropy(
            x, ns.const(t, x), weight=ns.const(w, x), reduction=reduction, label_smoothing=ls),
        lambda x, t, reduction, w, ls: np_cross_entropy(x, t, reduction, w, ls),
        class_case(probs=True, weight=True, smoothing=True)),
    Row("nll_loss",
        lambda ns, x, t, reduction, w: ns.F.nll_loss(
            x, ns.lib.tensor(t, device=x.device), weight=ns.const(w, x), reduction=reduction),
        lambda x, t, reduction, w: np_cross_entropy(x, t, reduction, w, nll=True),
        class_case(weight=True, ignore=True)),
    Row("multi_margin_loss",
        lambda ns, x, t, reduction, p, margin: ns.F.multi_margin_loss(
            x, ns.lib.tensor(t, device=x.device), p=p, margin=margin, reduction=reduction),
        np_multi_margin,
        class_case(spatial=False).map(lambda c: (c[0], {**c[1], "p": 1, "margin": 0.25}))
        | class_case(spatial=False).map(lambda c: (c[0], {**c[1], "p": 2, "margin": 0.75})),
        (even_grid,)),
    Row("multilabel_soft_margin_loss",
        lambda ns, x, t, reduction: ns.F.multilabel_soft_margin_loss(x, ns.const(t, x),
                                                                     reduction=reduction),
        lambda x, t, reduction: reduce_np(
            (t * np_softplus(-x) + (1 - t) * np_softplus(x)).mean(-1), reduction),
        with_target(lambda s: hnp.arrays(np.float64, s, elements=st.sampled_from([0.0, 1.0])),
                    min_dims=1)),
    Row("cosine_embedding_loss",
        lambda ns, a, b, t, reduction, margin: ns.F.cosine_embedding_loss(
            a, b, ns.lib.tensor(t, device=a.device), margin=margin, reduction=reduction),
        np_cosine_embedding,
        pair_rows().map(lambda c: (c[0], {**c[1], "margin": 0.2}))),
    Row("margin_ranking_loss",
        lambda ns, a, b, t, reduction: ns.F.margin_ranking_loss(
            a, b, ns.const(t.astype(np.float64), a), margin=0.25, reduction=reduction),
        lambda a, b, t, reduction: reduce_np(np.maximum(-t * (a - b) + 0.25, 0), reduction),
        pair_rows(vector=False), (even_grid,)),
    Row("hinge_embedding_loss",
        lambda ns, x, t, reduction: ns.F.hinge_embedding_loss(
            x, ns.const(t.astype(np.float64), x), margin=0.75, reduction=reduction),
        lambda x, t, reduction: reduce_np(np.where(t == 1, x, np.maximum(0.75 - x, 0)),
                                          reduction),
        with_target(lambda s: _signs(s)), (even_grid,)),
    Row("soft_margin_loss",
        lambda ns, x, t, reduction: ns.F.soft_margin_loss(x, ns.const(t.astype(np.float64), x),
                                                          reduction=reduction),
        lambda x, t, reduction: reduce_np(np_softplus(-t * x), reduction),
        with_target(lambda s: _signs(s))),
    Row("triplet_margin_loss",
        lambda ns, a, p_, n, reduction, margin, p, swap: ns.F.triplet_margin_loss(
            a, p_, n, margin=margin, p=p, swap=swap, reduction=reduction),
        lambda a, p_, n, reduction, margin, p, swap: np_triplet(a, p_, n, margin, p, swap,
                                                               reduction),
        pair_rows(n=3).map(lambda c: (c[0], {"reduction": c[1]["reduction"]})).flatmap(
            lambda c: st.fixed_dictionaries({"margin": st.sampled_from([0.5, 3.0]),
                                             "p": st.sampled_from([1, 2, 3]),
                                             "swap": st.booleans()}).map(
                lambda d: (c[0], {**c[1], **d})))),
    Row("poisson_nll_loss",
        lambda ns, x, t, reduction, full: ns.F.poisson_nll_loss(x, t, full=full,
                                                                reduction=reduction),
        lambda x, t, reduction, full: np_poisson(x, t, True, full, reduction),
        same_shape(full=st.booleans()), (real, lambda rng, s: rng.uniform(0.0, 3.0, s))),
    Row("poisson_nll_loss_rates",
        lambda ns, x, t, reduction, full: ns.F.poisson_nll_loss(x, t, log_input=False, full=full,
                                                                reduction=reduction),
        lambda x, t, reduction, full: np_poisson(x, t, False, full, reduction),
        same_shape(full=st.booleans()), (positive, lambda rng, s: rng.uniform(0.0, 3.0, s))),
    Row("gaussian_nll_loss",
        lambda ns, x, t, v, full, reduction: ns.F.gaussian_nll_loss(x, t, v, full=full,
                                                                    reduction=reduction),
        np_gaussian, gaussian_case(), (real, real, positive)),
]
