"""Forward-mode AD: every row of the op table (``tests/test_ops.py``) checked in float64 under
Hypothesis, its tangent (the primitives' ``jvp`` rules) against central differences and against
reverse mode through ``<u, J v> = <J^T u, v>``; tangents through a backward pass
(forward-over-reverse) against reverse-over-reverse; the dual-tensor API's rules and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_ops import ROWS, SETTINGS, TG, _as_tuple, _draw

import tinygrad_gd as tg
import tinygrad_gd.autograd.forward_ad as fwAD

FW_SETTINGS = settings(SETTINGS, max_examples=8)


def _tensors(arrays):
    return [tg.tensor(a, dtype="float64") for a in arrays]


def _forward_tangents(row, arrays, vs, params):
    """The outputs and their tangents, computed in forward mode (zeros where there is none)."""
    with fwAD.dual_level():
        duals = [fwAD.make_dual(x, v) for x, v in zip(_tensors(arrays), _tensors(vs))]
        outs = _as_tuple(row.fn(TG, *duals, **params))
        pairs = [fwAD.unpack_dual(o) for o in outs]
    return [(p.primal.numpy(), np.zeros(p.primal.shape) if p.tangent is None
             else p.tangent.numpy()) for p in pairs]


def _directions(arrays, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(a.shape) for a in arrays]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
@FW_SETTINGS
@given(data=st.data())
def test_jvp_matches_central_differences(row, data):
    arrays, params = _draw(row, data)
    vs = _directions(arrays, 0)
    got = _forward_tangents(row, arrays, vs, params)
    eps = row.check.get("eps", 1e-6)

    def at(step):
        xs = _tensors([a + step * v for a, v in zip(arrays, vs)])
        with tg.no_grad():
            return [o.numpy() for o in _as_tuple(row.fn(TG, *xs, **params))]

    plus, minus = at(eps), at(-eps)
    atol = row.check.get("atol", 1e-5)
    for k, ((_, tangent), p, m) in enumerate(zip(got, plus, minus)):
        if not np.issubdtype(p.dtype, np.floating):
            continue
        fd = (p - m) / (2 * eps)
        np.testing.assert_allclose(tangent, fd, rtol=1e-4, atol=atol,
                                   err_msg=f"{row.name}: tangent of output {k}")


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
@FW_SETTINGS
@given(data=st.data())
def test_jvp_is_the_transpose_of_the_vjp(row, data):
    """<u, J v> (forward mode) equals <J^T u, v> (reverse mode) for random u, v."""
    arrays, params = _draw(row, data)
    vs = _directions(arrays, 1)
    got = _forward_tangents(row, arrays, vs, params)
    xs = [tg.tensor(a, dtype="float64", requires_grad=True) for a in arrays]
    outs = _as_tuple(row.fn(TG, *xs, **params))
    rng = np.random.default_rng(2)
    us = [rng.standard_normal(o.shape) for o in outs]
    floating = [i for i, o in enumerate(outs) if o.requires_grad]
    forward = sum(float((us[i] * got[i][1]).sum()) for i in floating)
    if not floating:
        assert all(not np.any(t) for _, t in got)
        return
    grads = tg.grad([outs[i] for i in floating], xs,
                    grad_outputs=[tg.tensor(us[i], dtype="float64") for i in floating],
                    allow_unused=True)
    reverse = sum(float((g.numpy() * v).sum()) for g, v in zip(grads, vs) if g is not None)
    tol = max(1e-8, 10 * row.fwd_tol)  # rows through float32 round at 1e-7
    assert np.isclose(forward, reverse, rtol=tol, atol=tol), (row.name, forward, reverse)
    for (primal, _), o in zip(got, outs):  # the primal values are untouched by forward mode
        np.testing.assert_array_equal(primal, o.detach().numpy())


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
@settings(SETTINGS, max_examples=4)
@given(data=st.data())
def test_forward_over_reverse_matches_reverse_over_reverse(row, data):
    """Tangents through a recorded backward pass: d/dt J(x + t v)^T u, against the gradient of
    <J^T u, w> (reverse over reverse), paired with v and w."""
    arrays, params = _draw(row, data)
    vs, ws = _directions(arrays, 3), _directions(arrays, 4)
    rng = np.random.default_rng(5)
    with fwAD.dual_level():
        xs = [fwAD.make_dual(tg.tensor(a, dtype="float64", requires_grad=True), tg.tensor(v))
              for a, v in zip(arrays, vs)]
        outs = [o for o in _as_tuple(row.fn(TG, *xs, **params)) if o.requires_grad]
        if not outs:
            return
        us = [tg.tensor(rng.standard_normal(o.shape)) for o in outs]
        grads = tg.grad(outs, xs, grad_outputs=us, allow_unused=True, create_graph=True)
        hv = [None if g is None else fwAD.unpack_dual(g).tangent for g in grads]
    forward = sum(float((h.numpy() * w).sum()) for h, w in zip(hv, ws) if h is not None)
    x2 = [tg.tensor(a, dtype="float64", requires_grad=True) for a in arrays]
    outs2 = [o for o in _as_tuple(row.fn(TG, *x2, **params)) if o.requires_grad]
    us2 = [tg.tensor(u.numpy()) for u in us]
    g2 = tg.grad(outs2, x2, grad_outputs=us2, allow_unused=True, create_graph=True)
    pair = sum(((g * tg.tensor(w)).sum() for g, w in zip(g2, ws) if g is not None
                and g.requires_grad), tg.tensor(0.0, dtype="float64"))
    reverse = 0.0
    if pair.requires_grad:
        hh = tg.grad(pair, x2, allow_unused=True)
        reverse = sum(float((h.numpy() * v).sum()) for h, v in zip(hh, vs) if h is not None)
    tol = max(1e-7, 10 * row.fwd_tol)
    assert np.isclose(forward, reverse, rtol=tol, atol=tol), (row.name, forward, reverse)
