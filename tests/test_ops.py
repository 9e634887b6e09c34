"""One table, a row for every differentiable operation.

Each row is checked, over Hypothesis-drawn shapes (broadcasting, 0-d tensors and size-1
dimensions included), on every device:
- forward against NumPy,
- first derivatives against central differences (``tg.gradcheck``, float64),
- second derivatives likewise (``tg.gradgradcheck``),
- and, where PyTorch is importable, forward and backward against torch.

A row's function takes a namespace (``TG`` or ``TORCH``) first, so one definition runs on both
libraries; its NumPy reference is written separately. Values come from a seeded generator in a
per-input domain that keeps finite differences away from kinks (relu and abs at 0, ties of max).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import rows_indexing
import rows_linalg
import rows_loss
import rows_nn
import rows_pointwise
import rows_reduction
import rows_shaping
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from op_cases import (
    Row,
    cat_case,
    distinct,
    even_grid,
    expand_case,
    flatten_case,
    getitem_case,
    matmul_case,
    nonzero,
    np_axis,
    odd_grid,
    off_tenths,
    one,
    pad_case,
    permute_case,
    positive,
    real,
    red,
    reduction,
    reshape_case,
    setitem_case,
    split_case,
    squeeze_case,
    stack_case,
    transpose_case,
    two,
    unsqueeze_case,
    where_case,
)

import tinygrad_gd as tg
from tinygrad_gd.testing import shapes

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])
GRADGRAD_SETTINGS = settings(SETTINGS, max_examples=10)

# ------------------------------------------------------------------------ the two namespaces


def _tg_const(array, like):
    dtype = like.dtype if np.asarray(array).dtype.kind == "f" else None
    return tg.tensor(array, dtype=dtype, device=like.device)


def _tg_index(index, like):
    return tuple(tg.tensor(i, device=like.device) if isinstance(i, np.ndarray) else i
                 for i in index)


TG = SimpleNamespace(
    name="tg", const=_tg_const, index=_tg_index, cat=tg.cat, stack=tg.stack, where=tg.where,
    gelu=lambda x, approximate: x.gelu(approximate=approximate),
    leaky_relu=lambda x, s: x.leaky_relu(s), softplus=lambda x, beta: x.softplus(beta=beta),
    pad=lambda x, pad, value: x.pad(pad, value=value), erf=lambda x: x.erf(),
    T=lambda x: x.T, float32=tg.float32, float64=tg.float64, lib=tg, F=tg.nn.functional)


def _torch_namespace():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional

    def const(array, like):
        array = np.asarray(array)
        return torch.tensor(array, dtype=like.dtype if array.dtype.kind == "f" else None)

    def index(idx, like):
        return tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in idx)

    return SimpleNamespace(
        name="torch", const=const, index=index, cat=torch.cat, stack=torch.stack,
        where=torch.where, gelu=lambda x, approximate: F.gelu(x, approximate=approximate),
        leaky_relu=F.leaky_relu, softplus=lambda x, beta: F.softplus(x, beta=beta),
        pad=lambda x, pad, value: F.pad(x, pad, value=value), erf=torch.erf,
        T=lambda x: x.permute(tuple(reversed(range(x.ndim)))), float32=torch.float32,
        float64=torch.float64, lib=torch, F=F), torch


# ---------------------------------------------------------------------------- numpy helpers


def np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_logsumexp(x, axis, keepdims):
    m = x.max(axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis if axis is not None else None)


def np_norm(x, p, axis, keepdims):
    a = np.abs(x)
    if p == math.inf:
        return a.max(axis=axis, keepdims=keepdims)
    return (a ** p).sum(axis=axis, keepdims=keepdims) ** (1.0 / p)


_erf = np.vectorize(math.erf)


def np_gelu(x, approximate):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def np_setitem(x, v, index):
    y = x.copy()
    y[index] = v * 2.0
    return y


def np_split(x, size, dim):
    n = x.shape[dim]
    sizes = [min(size, n - i) for i in range(0, n, size)] if isinstance(size, int) else size
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=dim))


def np_chunk(x, chunks, dim):
    return np_split(x, max(1, -(-x.shape[dim] // chunks)), dim)


def np_expand(x, target):
    lead = len(target) - x.ndim
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(target))
    return np.broadcast_to(x, shape)


def np_pad(x, pad, value):
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return np.pad(x, widths, constant_values=value)


def np_squeeze(x, dim):
    if dim is None:
        return np.squeeze(x)
    return np.squeeze(x, axis=dim) if x.shape[dim] == 1 else x


# --------------------------------------------------------------------------------- the table


def _var_ref(x, axis, keepdims, correction):
    return np.var(x, axis=axis, keepdims=keepdims, ddof=correction)


def _std_ref(x, axis, keepdims, correction):
    return np.std(x, axis=axis, keepdims=keepdims, ddof=correction)


def _norm_row(p):
    def fn(ns, x, axis, keepdim):
        return x.norm(p=p, dim=axis, keepdim=keepdim)
    return Row(f"norm_p{p}", fn, lambda x, axis, keepdim: np_norm(x, p, np_axis(x, axis), keepdim),
               reduction(), (distinct,))


ROWS = [
    # arithmetic, with broadcasting
    Row("add", lambda ns, a, b: a + b, np.add, two()),
    Row("sub", lambda ns, a, b: a - b, np.subtract, two()),
    Row("mul", lambda ns, a, b: a * b, np.multiply, two()),
    Row("div", lambda ns, a, b: a / b, np.divide, two(), (real, nonzero)),
    Row("pow_tensor_exponent", lambda ns, a, b: a ** b, np.power, two(), (positive, real)),
    Row("pow_int", lambda ns, x: x ** 3, lambda x: x ** 3, one()),
    Row("pow_frac", lambda ns, x: x ** 2.5, lambda x: x ** 2.5, one(), (positive,)),
    Row("pow_negative", lambda ns, x: x ** -1.5, lambda x: x ** -1.5, one(), (positive,)),
    Row("neg", lambda ns, x: -x, np.negative, one()),
    Row("radd", lambda ns, x: 2.5 + x, lambda x: 2.5 + x, one()),
    Row("rsub", lambda ns, x: 2.5 - x, lambda x: 2.5 - x, one()),
    Row("rmul", lambda ns, x: 2.5 * x, lambda x: 2.5 * x, one()),
    Row("rdiv", lambda ns, x: 2.5 / x, lambda x: 2.5 / x, one(), (nonzero,)),
    Row("rpow", lambda ns, x: 2.5 ** x, lambda x: 2.5 ** x, one()),
    Row("const_tensor_minus_x", lambda ns, x: ns.const(np.array([1.0, -2.0]), x) - x,
        lambda x: np.array([1.0, -2.0]) - x,
        st.tuples(shapes(max_dims=2, max_side=3), st.sampled_from([1, 2])).map(
            lambda t: ((t[0] + (t[1],),), {}))),
    # elementwise math
    Row("abs", lambda ns, x: x.abs(), np.abs, one(), (nonzero,)),
    Row("exp", lambda ns, x: x.exp(), np.exp, one()),
    Row("log", lambda ns, x: x.log(), np.log, one(), (positive,)),
    Row("sqrt", lambda ns, x: x.sqrt(), np.sqrt, one(), (positive,)),
    Row("sin", lambda ns, x: x.sin(), np.sin, one()),
    Row("cos", lambda ns, x: x.cos(), np.cos, one()),
    Row("tanh", lambda ns, x: x.tanh(), np.tanh, one()),
    Row("sigmoid", lambda ns, x: x.sigmoid(), lambda x: 1 / (1 + np.exp(-x)), one()),
    Row("relu", lambda ns, x: x.relu(), lambda x: np.maximum(x, 0), one(), (nonzero,)),
    Row("leaky_relu", lambda ns, x: ns.leaky_relu(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x),
        one(), (nonzero,)),
    Row("gelu", lambda ns, x: ns.gelu(x, "none"), lambda x: np_gelu(x, "none"), one()),
    Row("gelu_tanh", lambda ns, x: ns.gelu(x, "tanh"), lambda x: np_gelu(x, "tanh"), one()),
    Row("softplus", lambda ns, x: ns.softplus(x, 1.0), lambda x: np.log1p(np.exp(x)), one()),
    Row("softplus_beta2", lambda ns, x: ns.softplus(x, 2.0),
        lambda x: np.log1p(np.exp(2 * x)) / 2, one()),
    Row("erf", lambda ns, x: ns.erf(x), _erf, one(), fwd_tol=1e-7),
    Row("clamp", lambda ns, x: x.clamp(-0.6, 0.9), lambda x: np.clip(x, -0.6, 0.9), one(),
        (off_tenths,)),
    Row("clamp_min", lambda ns, x: x.clamp(min=-0.6), lambda x: np.maximum(x, -0.6), one(),
        (off_tenths,)),
    Row("clamp_max", lambda ns, x: x.clamp(max=0.3), lambda x: np.minimum(x, 0.3), one(),
        (off_tenths,)),
    Row("maximum", lambda ns, a, b: a.maximum(b), np.maximum, two(), (even_grid, odd_grid)),
    Row("minimum", lambda ns, a, b: a.minimum(b), np.minimum, two(), (even_grid, odd_grid)),
    Row("where", lambda ns, a, b, cond: ns.where(ns.const(cond, a), a, b),
        lambda a, b, cond: np.where(cond, a, b), where_case()),
    # reductions
    Row("sum", *red("sum", np.sum), reduction()),
    Row("mean", *red("mean", np.mean), reduction()),
    Row("var", *red("var", _var_ref, correction=1), reduction(min_count=2)),
    Row("var_correction0", *red("var", _var_ref, correction=0), reduction()),
    Row("std", *red("std", _std_ref, correction=1), reduction(min_count=2), (distinct,)),
    Row("amax", *red("amax", np.max), reduction(), (distinct,)),
    Row("amin", *red("amin", np.min), reduction(), (distinct,)),
    Row("logsumexp", lambda ns, x, axis, keepdim: x.logsumexp(dim=axis, keepdim=keepdim),
        lambda x, axis, keepdim: np_logsumexp(x, np_axis(x, axis), keepdim),
        reduction(single_axis=True)),
    Row("softmax", lambda ns, x, axis, keepdim: x.softmax(dim=axis),
        lambda x, axis, keepdim: np_softmax(x, np_axis(x, axis)), reduction(single_axis=True)),
    Row("log_softmax", lambda ns, x, axis, keepdim: x.log_softmax(dim=axis),
        lambda x, axis, keepdim: np.log(np_softmax(x, np_axis(x, axis))),
        reduction(single_axis=True),
        fwd_tol=1e-10),
    _norm_row(1), _norm_row(2), _norm_row(3), _norm_row(math.inf),
    # linear algebra
    Row("matmul", lambda ns, a, b: a @ b, np.matmul, matmul_case()),
    Row("dot", lambda ns, a, b: a.dot(b), np.dot,
        st.integers(1, 4).map(lambda k: (((k,), (k,)), {}))),
    Row("outer", lambda ns, a, b: a.outer(b), np.outer,
        st.tuples(st.integers(1, 3), st.integers(1, 3)).map(lambda t: (((t[0],), (t[1],)), {}))),
    Row("T", lambda ns, x: ns.T(x), lambda x: x.T, one()),
    Row("transpose", lambda ns, x, d0, d1: x.transpose(d0, d1),
        lambda x, d0, d1: np.swapaxes(x, d0, d1), transpose_case()),
    Row("permute", lambda ns, x, dims: x.permute(dims), lambda x, dims: np.transpose(x, dims),
        permute_case()),
    # shapes
    Row("reshape", lambda ns, x, target: x.reshape(target),
        lambda x, target: np.reshape(x, target), reshape_case()),
    Row("view", lambda ns, x, target: x.view(target), lambda x, target: np.reshape(x, target),
        reshape_case()),
    Row("flatten", lambda ns, x, start, end: x.flatten(start, end),
        lambda x, start, end: x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1:]),
        flatten_case()),
    Row("squeeze", lambda ns, x, dim: x.squeeze() if dim is None else x.squeeze(dim),
        np_squeeze, squeeze_case()),
    Row("unsqueeze", lambda ns, x, dim: x.unsqueeze(dim),
        lambda x, dim: np.expand_dims(x, dim), unsqueeze_case()),
    Row("expand", lambda ns, x, target: x.expand(target), np_expand, expand_case()),
    Row("broadcast_to", lambda ns, x, target: x.broadcast_to(target),
        lambda x, target: np.broadcast_to(x, target), expand_case(allow_minus_one=False)),
    Row("pad", lambda ns, x, pad, value: ns.pad(x, pad, value), np_pad, pad_case()),
    Row("getitem", lambda ns, x, index: x[ns.index(index, x)], lambda x, index: x[index],
        getitem_case()),
    Row("getitem_0d", lambda ns, x: x[()] * x[None], lambda x: x[()] * x[None],
        one(max_dims=0)),
    Row("setitem_in_graph",
        lambda ns, x, v, index: _setitem(ns, x, v, index), np_setitem, setitem_case()),
    Row("cat", lambda ns, *xs, dim: ns.cat(list(xs), dim),
        lambda *xs, dim: np.concatenate(xs, axis=dim), cat_case()),
    Row("stack", lambda ns, *xs, dim: ns.stack(list(xs), dim),
        lambda *xs, dim: np.stack(xs, axis=dim), stack_case()),
    Row("split", lambda ns, x, size, dim: x.split(size, dim), np_split, split_case()),
    Row("chunk", lambda ns, x, chunks, dim: x.chunk(chunks, dim), np_chunk,
        split_case(chunk=True)),
    # dtype and copies
    Row("cast_float32", lambda ns, x: (x.to(ns.float32) * 2.0).to(ns.float64),
        lambda x: (x.astype(np.float32) * 2).astype(np.float64), one(),
        check={"eps": 1e-2}, fwd_tol=1e-6),
    Row("float_double", lambda ns, x: x.float().double() + x,
        lambda x: x.astype(np.float32).astype(np.float64) + x, one(),
        check={"eps": 1e-2}, fwd_tol=1e-6),
    Row("clone", lambda ns, x: x.clone() * x, lambda x: x * x, one()),
]


# Each family's rows live in a file of their own (rows_*.py); ``ns.lib`` is ``tg`` or ``torch``
# and ``ns.F`` their ``nn.functional``, so one definition runs on both.
ROWS += (rows_pointwise.ROWS + rows_reduction.ROWS + rows_indexing.ROWS + rows_shaping.ROWS
         + rows_linalg.ROWS + rows_nn.ROWS + rows_loss.ROWS)


def _setitem(ns, x, v, index):
    y = x * 1.0  # a non-leaf, so the in-place write is recorded in the graph
    y[ns.index(index, x)] = v * 2.0
    return y


# --------------------------------------------------------------------------------- the checks


def _draw(row, data):
    shapes_, params = data.draw(row.cases, label="case")
    seed = data.draw(st.integers(0, 2**31 - 1), label="seed")
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(row.domain(i)(rng, s), dtype=np.float64) for i, s in enumerate(shapes_)]
    return arrays, params


def _negative_step(index):
    return any(isinstance(i, slice) and i.step is not None and i.step < 0 for i in index)


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _bind(row, ns, params):
    return lambda *xs: row.fn(ns, *xs, **params)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
@SETTINGS
@given(data=st.data())
def test_forward_and_gradcheck(row, device, data):
    arrays, params = _draw(row, data)
    xs = [tg.tensor(a, dtype="float64", device=device, requires_grad=True) for a in arrays]
    outs = _as_tuple(row.fn(TG, *xs, **params))
    refs = _as_tuple(row.ref(*arrays, **params))
    assert len(outs) == len(refs)
    for out, ref in zip(outs, refs):
        ref = np.asarray(ref)
        assert out.shape == ref.shape, f"{row.name}: shape {out.shape}, NumPy {ref.shape}"
        assert out.device == tg.tensor(0.0, device=device).device
        np.testing.assert_allclose(out.numpy(), ref, rtol=row.fwd_tol, atol=row.fwd_tol)
    assert tg.gradcheck(_bind(row, TG, params), tuple(xs), **row.check)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
@GRADGRAD_SETTINGS
@given(data=st.data())
def test_gradgradcheck(row, device, data):
    arrays, params = _draw(row, data)
    xs = tuple(tg.tensor(a, dtype="float64", device=device, requires_grad=True) for a in arrays)
    assert tg.gradgradcheck(_bind(row, TG, params), xs, **row.check)


@pytest.mark.parametrize("row", [r for r in ROWS if r.torch], ids=lambda r: r.name)
@SETTINGS
@given(data=st.data())
def test_matches_torch(row, data):
    ns, torch = _torch_namespace()
    arrays, params = _draw(row, data)
    assume(not _negative_step(params.get("index", ())))  # torch has no negative slice steps
    xs = [tg.tensor(a, dtype="float64", requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    outs = _as_tuple(row.fn(TG, *xs, **params))
    touts = _as_tuple(row.fn(ns, *ts, **params))
    rng = np.random.default_rng(1)
    cots = [rng.standard_normal(o.shape) for o in outs]
    for out, tout in zip(outs, touts):
        assert out.shape == tuple(tout.shape)
        np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-10)
    grads = tg.grad(list(outs), xs, grad_outputs=[tg.tensor(c, dtype="float64") for c in cots],
                    allow_unused=True)
    tgrads = torch.autograd.grad(list(touts), ts, grad_outputs=[torch.tensor(c) for c in cots],
                                 allow_unused=True)
    for i, (g, tgr) in enumerate(zip(grads, tgrads)):
        expected = np.zeros(arrays[i].shape) if tgr is None else tgr.numpy()
        got = np.zeros(arrays[i].shape) if g is None else g.numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-10,
                                   err_msg=f"{row.name}: gradient of input {i}")


def test_every_api_operation_has_a_row():
    """The table covers API.md's differentiable operations (a new op needs a new row)."""
    names = {r.name for r in ROWS}
    required = {"add", "sub", "mul", "div", "pow_tensor_exponent", "neg", "radd", "rsub", "rmul",
                "rdiv", "rpow", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid",
                "relu", "leaky_relu", "gelu", "gelu_tanh", "softplus", "clamp", "maximum",
                "minimum", "where", "sum", "mean", "var", "std", "amax", "amin", "logsumexp",
                "softmax", "log_softmax", "norm_p1", "norm_p2", "norm_pinf", "norm_p3",
                "matmul", "dot", "T", "transpose", "permute", "outer", "reshape", "view",
                "flatten", "squeeze", "unsqueeze", "expand", "broadcast_to", "pad", "getitem",
                "setitem_in_graph", "cat", "stack", "split", "chunk", "erf", "cast_float32",
                "clone"}
    assert required <= names, sorted(required - names)


@pytest.mark.parametrize("row", [r for r in ROWS if "cast" not in r.name and
                                 r.name != "float_double"], ids=lambda r: r.name)
@settings(SETTINGS, max_examples=5)
@given(data=st.data())
def test_float32_stays_float32(row, device, data):
    """Every op keeps float32 in float32 (no silent upcast), forward and backward."""
    arrays, params = _draw(row, data)
    xs = [tg.tensor(a.astype(np.float32), device=device, requires_grad=True) for a in arrays]
    outs = _as_tuple(row.fn(TG, *xs, **params))
    assert all(o.dtype == tg.float32 for o in outs), [o.dtype for o in outs]
    grads = tg.grad(list(outs), xs, grad_outputs=[tg.ones_like(o) for o in outs],
                    allow_unused=True)
    assert all(g is None or g.dtype == tg.float32 for g in grads)
    x64 = [tg.tensor(a, dtype="float64", device=device, requires_grad=True) for a in arrays]
    outs64 = _as_tuple(row.fn(TG, *x64, **params))
    for o, o64 in zip(outs, outs64):
        np.testing.assert_allclose(o.numpy(), o64.numpy(), rtol=1e-4, atol=1e-5)
