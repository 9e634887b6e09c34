"""Op-table rows for the nn.functional layers (collected by ``test_ops.py``): convolutions,
pooling, normalisation, padding modes, resampling, im2col, embedding and distances.

Shapes stay tiny (N <= 2, C <= 4, H, W <= 5) so that gradgradcheck is quick; the NumPy
references are plain loops over the definitions.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from hypothesis import strategies as st
from op_cases import Row, distinct, positive, real

# ------------------------------------------------------------------------- NumPy references


def _pad_hw(x, ph, pw, value=0.0):
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def np_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    (sh, sw), (ph, pw), (dh, dw) = (_two(stride), _two(padding), _two(dilation))
    xp = _pad_hw(x, ph, pw)
    n, c, h, wd = xp.shape
    o, cg, kh, kw = w.shape
    ho = (h - dh * (kh - 1) - 1) // sh + 1
    wo = (wd - dw * (kw - 1) - 1) // sw + 1
    og = o // groups
    out = np.zeros((n, o, ho, wo))
    for oc in range(o):
        g = oc // og
        for i in range(ho):
            for j in range(wo):
                patch = xp[:, g * cg:(g + 1) * cg, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                           j * sw:j * sw + dw * (kw - 1) + 1:dw]
                out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def np_conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                        dilation=1):
    (sh, sw), (ph, pw), (dh, dw) = (_two(stride), _two(padding), _two(dilation))
    oph, opw = _two(output_padding)
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = c // groups
    hf = (h - 1) * sh + dh * (kh - 1) + 1 + oph
    wf = (wd - 1) * sw + dw * (kw - 1) + 1 + opw
    full = np.zeros((n, og * groups, hf, wf))
    for ic in range(c):
        g = ic // cg
        for i in range(h):
            for j in range(wd):
                for a in range(kh):
                    for bb in range(kw):
                        full[:, g * og:(g + 1) * og, i * sh + a * dh, j * sw + bb * dw] += (
                            x[:, ic, i, j][:, None] * w[ic, :, a, bb][None, :])
    out = full[:, :, ph:hf - ph, pw:wf - pw]
    if b is not None:
        out = out + b.reshape(1, -1, 1, 1)
    return out


def _two(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _pool_size(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def np_max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    (kh, kw) = _two(kernel_size)
    (sh, sw) = _two(stride if stride is not None else kernel_size)
    (ph, pw), (dh, dw) = _two(padding), _two(dilation)
    n, c, h, w = x.shape
    ho, wo = _pool_size(h, kh, sh, ph, dh, ceil_mode), _pool_size(w, kw, sw, pw, dw, ceil_mode)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph + kh * dh + sh), (pw, pw + kw * dw + sw)),
                constant_values=-np.inf)
    out = np.empty((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            out[:, :, i, j] = xp[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                                 j * sw:j * sw + dw * (kw - 1) + 1:dw].max(axis=(2, 3))
    return out


def np_avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                  count_include_pad=True, divisor_override=None):
    (kh, kw) = _two(kernel_size)
    (sh, sw) = _two(stride if stride is not None else kernel_size)
    (ph, pw) = _two(padding)
    n, c, h, w = x.shape
    ho, wo = _pool_size(h, kh, sh, ph, 1, ceil_mode), _pool_size(w, kw, sw, pw, 1, ceil_mode)
    out = np.empty((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            h0, w0 = i * sh - ph, j * sw - pw
            h1, w1 = min(h0 + kh, h + ph), min(w0 + kw, w + pw)
            size = (h1 - h0) * (w1 - w0)
            a0, b0, a1, b1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            total = x[:, :, a0:a1, b0:b1].sum(axis=(2, 3))
            div = divisor_override or (size if count_include_pad else (a1 - a0) * (b1 - b0))
            out[:, :, i, j] = total / div
    return out


def _adaptive(x, out_hw, reduce):
    n, c, h, w = x.shape
    ho, wo = out_hw
    out = np.empty((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            a0, a1 = (i * h) // ho, -((-(i + 1) * h) // ho)
            b0, b1 = (j * w) // wo, -((-(j + 1) * w) // wo)
            out[:, :, i, j] = reduce(x[:, :, a0:a1, b0:b1], axis=(2, 3))
    return out


def np_layer_norm(x, shape, w=None, b=None, eps=1e-5):
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    out = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return out * (1 if w is None else w) + (0 if b is None else b)


def np_group_norm(x, groups, w, b, eps=1e-5):
    n, c = x.shape[:2]
    g = x.reshape(n, groups, -1)
    out = ((g - g.mean(axis=2, keepdims=True)) / np.sqrt(g.var(axis=2, keepdims=True) + eps))
    shape = (1, c) + (1,) * (x.ndim - 2)
    return out.reshape(x.shape) * w.reshape(shape) + b.reshape(shape)


def np_batch_norm(x, w, b, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    out = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return out * w.reshape(shape) + b.reshape(shape)


def np_instance_norm(x, w, b, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    out = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return out * w.reshape(shape) + b.reshape(shape)


_NP_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def np_pad_mode(x, pad, mode):
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return np.pad(x, widths, mode=_NP_MODES[mode])


def np_unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(_two, (kernel_size, dilation, padding, stride))
    xp = _pad_hw(x, ph, pw)
    n, c, h, w = xp.shape
    ho, wo = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    cols = np.empty((n, c, kh, kw, ho, wo))
    for a in range(kh):
        for b in range(kw):
            cols[:, :, a, b] = xp[:, :, a * dh:a * dh + sh * (ho - 1) + 1:sh,
                                  b * dw:b * dw + sw * (wo - 1) + 1:sw]
    return cols.reshape(n, c * kh * kw, ho * wo)


def np_fold(cols, output_size, kernel_size, dilation=1, padding=0, stride=1):
    (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(
        _two, (output_size, kernel_size, dilation, padding, stride))
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    cols = cols.reshape(n, c, kh, kw, ho, wo)
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    for a in range(kh):
        for b in range(kw):
            for i in range(ho):
                for j in range(wo):
                    out[:, :, a * dh + i * sh, b * dw + j * sw] += cols[:, :, a, b, i, j]
    return out[:, :, ph:ph + h, pw:pw + w]


def _linear_weights(n_in, n_out, align_corners, scale=None):
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        if align_corners:
            src = o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            src = max((o + 0.5) * (n_in / n_out if scale is None else 1 / scale) - 0.5, 0.0)
        i0 = min(int(math.floor(src)), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        m[o, i0] += 1 - (src - i0)
        m[o, i1] += src - i0
    return m


def np_interpolate(x, size, mode, align_corners):
    out = x
    for axis, n_out in enumerate(size):
        dim = 2 + axis
        n_in = x.shape[dim]
        if mode == "nearest":
            idx = np.minimum(np.floor(np.arange(n_out) * np.float32(n_in / n_out)).astype(int),
                             n_in - 1)
            out = np.take(out, idx, axis=dim)
        else:
            m = _linear_weights(n_in, n_out, align_corners)
            out = np.moveaxis(np.tensordot(m, np.moveaxis(out, dim, 0), axes=(1, 0)), 0, dim)
    return out


# ---------------------------------------------------------------------------- case strategies
ints = st.integers


@st.composite
def conv_case(draw, transposed=False, one_d=False):
    groups = draw(st.sampled_from([1, 1, 2]))
    cin, cout = groups * draw(ints(1, 2)), groups * draw(ints(1, 2))
    kh, kw = (1 if one_d else draw(ints(1, 3))), draw(ints(1, 3))
    stride = (1 if one_d else draw(ints(1, 2)), draw(ints(1, 2)))
    dilation = (1 if one_d else draw(ints(1, 2)), draw(ints(1, 2)))
    padding = (0 if one_d else draw(ints(0, 1)), draw(ints(0, 1)))
    n = draw(ints(1, 2))
    params = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    if transposed:
        h, w = (1 if one_d else draw(ints(1, 3))), draw(ints(1, 3))
        op = tuple(draw(ints(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
        wshape = (cin, cout // groups, kh, kw)
        out_h = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + op[0] + 1
        out_w = (w - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + op[1] + 1
        if out_h < 1 or out_w < 1:
            params["padding"], padding = (0, 0), (0, 0)
        params["output_padding"] = op
    else:
        h = (1 if one_d else draw(ints(dilation[0] * (kh - 1) + 1, 5)))
        w = draw(ints(dilation[1] * (kw - 1) + 1, 5))
        wshape = (cout, cin // groups, kh, kw)
    xshape = (n, cin, h, w)
    shapes = [xshape, wshape]
    if draw(st.booleans()):
        shapes.append((cout,))
    if one_d:
        shapes[0] = (n, cin, w)
        shapes[1] = wshape[:2] + (kw,)
        params = {k: v[1] if isinstance(v, tuple) else v for k, v in params.items()}
    return tuple(shapes), params


@st.composite
def pool_case(draw, avg=False):
    k = (draw(ints(1, 3)), draw(ints(1, 3)))
    s = (draw(ints(1, 3)), draw(ints(1, 3)))
    d = (1, 1) if avg else (draw(ints(1, 2)), draw(ints(1, 2)))
    p = tuple(draw(ints(0, ki // 2)) for ki in k)
    h = draw(ints(max(1, (k[0] - 1) * d[0] + 1 - 2 * p[0]), 5))
    w = draw(ints(max(1, (k[1] - 1) * d[1] + 1 - 2 * p[1]), 5))
    params = dict(kernel_size=k, stride=s, padding=p, ceil_mode=draw(st.booleans()))
    if avg:
        params["count_include_pad"] = draw(st.booleans())
        params["divisor_override"] = draw(st.sampled_from([None, None, 3]))
    else:
        params["dilation"] = d
        if np.isinf(np_max_pool2d(np.zeros((1, 1, h, w)), **params)).any():
            params["dilation"] = (1, 1)  # a dilated window of padding only: torch gives -inf
    return ((draw(ints(1, 2)), draw(ints(1, 2)), h, w),), params


@st.composite
def adaptive_case(draw):
    shape = (draw(ints(1, 2)), draw(ints(1, 2)), draw(ints(1, 5)), draw(ints(1, 5)))
    return (shape,), {"output_size": (draw(ints(1, 4)), draw(ints(1, 4)))}


@st.composite
def norm_case(draw, kind):
    n, c = draw(ints(1, 3)), draw(ints(1, 4))
    spatial = tuple(draw(st.lists(ints(1, 3), min_size=0 if kind == "batch" else 1,
                                  max_size=2)))
    if kind == "group":
        c = draw(st.sampled_from([2, 4]))
        return ((n, c) + spatial, (c,), (c,)), {"num_groups": draw(st.sampled_from([1, 2]))}
    if kind == "batch" and n * int(np.prod(spatial, dtype=int)) < 2:
        n = 2
    if kind == "instance" and int(np.prod(spatial, dtype=int)) < 2:
        spatial = spatial[:-1] + (2,)
    return ((n, c) + spatial, (c,), (c,)), {}


@st.composite
def layer_norm_case(draw):
    shape = tuple(draw(st.lists(ints(1, 3), min_size=1, max_size=3)))
    k = draw(ints(1, len(shape)))
    return (shape, shape[len(shape) - k:], shape[len(shape) - k:]), {"k": k}


@st.composite
def pad_mode_case(draw):
    mode = draw(st.sampled_from(["reflect", "replicate", "circular"]))
    k = draw(ints(1, 2))
    nd = k + draw(ints(1, 2))
    shape = tuple(draw(ints(2, 4)) for _ in range(nd))
    pad = []
    for i in range(k):
        n = shape[nd - 1 - i]
        top = n - 1 if mode == "reflect" else n
        pad += [draw(ints(0, min(top, 2))), draw(ints(0, min(top, 2)))]
    return (shape,), {"pad": tuple(pad), "mode": mode}


@st.composite
def unfold_case(draw, fold=False):
    k = (draw(ints(1, 2)), draw(ints(1, 2)))
    d = (draw(ints(1, 2)), draw(ints(1, 2)))
    p = (draw(ints(0, 1)), draw(ints(0, 1)))
    s = (draw(ints(1, 2)), draw(ints(1, 2)))
    n, c = draw(ints(1, 2)), draw(ints(1, 2))
    h = draw(ints(max(1, d[0] * (k[0] - 1) + 1 - 2 * p[0]), 4))
    w = draw(ints(max(1, d[1] * (k[1] - 1) + 1 - 2 * p[1]), 4))
    params = dict(kernel_size=k, dilation=d, padding=p, stride=s)
    if not fold:
        return ((n, c, h, w),), params
    ho = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    wo = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    return ((n, c * k[0] * k[1], ho * wo),), dict(params, output_size=(h, w))


@st.composite
def interp_case(draw):
    mode = draw(st.sampled_from(["nearest", "linear"]))
    nd = draw(ints(1, 2))
    shape = (draw(ints(1, 2)), draw(ints(1, 2))) + tuple(draw(ints(1, 4)) for _ in range(nd))
    size = tuple(draw(ints(1, 6)) for _ in range(nd))
    if mode == "linear" and nd == 2:
        mode = "bilinear"
    align = None if mode == "nearest" else draw(st.booleans())
    return (shape,), {"size": size, "mode": mode, "align_corners": align}


@st.composite
def embedding_case(draw):
    num, dim = draw(ints(2, 5)), draw(ints(1, 3))
    idx_shape = tuple(draw(st.lists(ints(1, 3), min_size=1, max_size=2)))
    idx = np.asarray(draw(st.lists(ints(0, num - 1), min_size=int(np.prod(idx_shape)),
                                   max_size=int(np.prod(idx_shape))))).reshape(idx_shape)
    padding_idx = draw(st.sampled_from([None, 0, -1]))
    return ((num, dim),), {"idx": idx, "padding_idx": padding_idx}


@st.composite
def vec_pair_case(draw):
    shape = tuple(draw(st.lists(ints(1, 3), min_size=1, max_size=3)))
    other = shape if draw(st.booleans()) else (1,) * (len(shape) - 1) + shape[-1:]
    return (shape, other), {}


@st.composite
def bilinear_case(draw):
    lead = tuple(draw(st.lists(ints(1, 3), min_size=1, max_size=2)))
    i1, i2, o = draw(ints(1, 3)), draw(ints(1, 3)), draw(ints(1, 3))
    shapes = (lead + (i1,), lead + (i2,), (o, i1, i2))
    return (shapes + ((o,),) if draw(st.booleans()) else shapes), {}


# -------------------------------------------------------------------------------- row functions


def _conv(ns, x, w, b=None, **kw):
    return ns.F.conv2d(x, w, b, **kw)


def _conv1d(ns, x, w, b=None, **kw):
    return ns.F.conv1d(x, w, b, **kw)


def _convt(ns, x, w, b=None, **kw):
    return ns.F.conv_transpose2d(x, w, b, **kw)


def _convt1d(ns, x, w, b=None, **kw):
    return ns.F.conv_transpose1d(x, w, b, **kw)


def _as_2d(kw):
    """1-D arguments as 2-D ones over a height of 1 (no padding there)."""
    lead = {"stride": 1, "dilation": 1, "padding": 0, "output_padding": 0}
    return {k: (lead[k], v) if k in lead else v for k, v in kw.items()}


def _np_conv1d(x, w, b=None, **kw):
    return np_conv2d(x[:, :, None], w[:, :, None], b, **_as_2d(kw))[:, :, 0]


def _np_convt1d(x, w, b=None, **kw):
    return np_conv_transpose2d(x[:, :, None], w[:, :, None], b, **_as_2d(kw))[:, :, 0]


def _interp(ns, x, size, mode, align_corners):
    return ns.F.interpolate(x, size=size, mode=mode, align_corners=align_corners)


def _unpool(ns, x):
    values, idx = ns.F.max_pool2d(x, 2, return_indices=True)
    return ns.F.max_unpool2d(values * 2.0, idx, 2, output_size=x.shape[2:])


def _np_unpool(x):
    n, c, h, w = x.shape
    out = np.zeros_like(x)
    for i in range(h // 2):
        for j in range(w // 2):
            win = x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].reshape(n, c, 4)
            a, b = np.divmod(win.argmax(axis=2), 2)
            nn_, cc = np.meshgrid(range(n), range(c), indexing="ij")
            out[nn_, cc, 2 * i + a, 2 * j + b] = 2 * win.max(axis=2)
    return out


def _not_padding(idx, padding_idx, n):
    """1 where an index is not the padding row: its lookups carry no gradient (by design), so
    the row masks them out for the finite differences to agree."""
    hit = np.zeros(idx.shape, bool) if padding_idx is None else idx == padding_idx % n
    return (~hit)[..., None].astype(np.float64)


def _embedding(ns, w, idx, padding_idx):
    out = ns.F.embedding(ns.const(idx, w), w, padding_idx=padding_idx)
    return out * ns.const(_not_padding(idx, padding_idx, w.shape[0]), w)


def _np_embedding(w, idx, padding_idx):
    return w[idx] * _not_padding(idx, padding_idx, w.shape[0])


ROWS: list[Row] = [
    Row("F.conv2d", _conv, np_conv2d, conv_case(), fwd_tol=1e-10),
    Row("F.conv1d", _conv1d, _np_conv1d, conv_case(one_d=True), fwd_tol=1e-10),
    Row("F.conv_transpose2d", _convt, np_conv_transpose2d, conv_case(transposed=True),
        fwd_tol=1e-10),
    Row("F.conv_transpose1d", _convt1d, _np_convt1d, conv_case(transposed=True, one_d=True),
        fwd_tol=1e-10),
    Row("F.max_pool2d", lambda ns, x, **kw: ns.F.max_pool2d(x, **kw), np_max_pool2d,
        pool_case(), (distinct,)),
    Row("F.max_unpool2d", _unpool, _np_unpool,
        st.tuples(ints(1, 2), ints(1, 2), ints(2, 5), ints(2, 5)).map(lambda s: ((s,), {})),
        (distinct,)),
    Row("F.avg_pool2d", lambda ns, x, **kw: ns.F.avg_pool2d(x, **kw), np_avg_pool2d,
        pool_case(avg=True), fwd_tol=1e-10),
    Row("F.adaptive_avg_pool2d", lambda ns, x, output_size: ns.F.adaptive_avg_pool2d(
        x, output_size), lambda x, output_size: _adaptive(x, output_size, np.mean),
        adaptive_case(), fwd_tol=1e-10),
    Row("F.adaptive_max_pool2d", lambda ns, x, output_size: ns.F.adaptive_max_pool2d(
        x, output_size), lambda x, output_size: _adaptive(x, output_size, np.max),
        adaptive_case(), (distinct,)),
    Row("F.layer_norm", lambda ns, x, w, b, k: ns.F.layer_norm(x, x.shape[x.ndim - k:], w, b),
        lambda x, w, b, k: np_layer_norm(x, x.shape[x.ndim - k:], w, b), layer_norm_case(),
        fwd_tol=1e-10),
    Row("F.group_norm", lambda ns, x, w, b, num_groups: ns.F.group_norm(x, num_groups, w, b),
        lambda x, w, b, num_groups: np_group_norm(x, num_groups, w, b), norm_case("group"),
        fwd_tol=1e-10),
    Row("F.batch_norm", lambda ns, x, w, b: ns.F.batch_norm(x, None, None, w, b, training=True),
        np_batch_norm, norm_case("batch"), fwd_tol=1e-10),
    Row("F.instance_norm", lambda ns, x, w, b: ns.F.instance_norm(x, weight=w, bias=b),
        np_instance_norm, norm_case("instance"), fwd_tol=1e-10),
    Row("F.pad_modes", lambda ns, x, pad, mode: ns.F.pad(x, pad, mode=mode), np_pad_mode,
        pad_mode_case()),
    Row("F.unfold", lambda ns, x, **kw: ns.F.unfold(x, **kw), np_unfold, unfold_case()),
    Row("F.fold", lambda ns, x, **kw: ns.F.fold(x, **kw), np_fold, unfold_case(fold=True)),
    Row("F.interpolate", _interp, lambda x, size, mode, align_corners: np_interpolate(
        x, size, mode, align_corners), interp_case(), fwd_tol=1e-10),
    Row("F.embedding", _embedding, _np_embedding, embedding_case()),
    Row("F.normalize", lambda ns, x: ns.F.normalize(x, p=2.0, dim=-1),
        lambda x: x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12),
        vec_pair_case().map(lambda c: (c[0][:1], {})), (positive,), fwd_tol=1e-10),
    Row("F.cosine_similarity", lambda ns, a, b: ns.F.cosine_similarity(a, b, dim=-1),
        lambda a, b: (a * b).sum(-1) / (np.linalg.norm(a, axis=-1)
                                        * np.linalg.norm(b, axis=-1)),
        vec_pair_case(), (positive,), fwd_tol=1e-10),
    Row("F.pairwise_distance", lambda ns, a, b: ns.F.pairwise_distance(a, b),
        lambda a, b: np.linalg.norm(a - b + 1e-6, axis=-1), vec_pair_case(),
        (real, lambda rng, s: rng.uniform(3.0, 4.0, s)), fwd_tol=1e-10),
    Row("F.bilinear", lambda ns, a, b, w, bias=None: ns.F.bilinear(a, b, w, bias),
        lambda a, b, w, bias=None: np.einsum("...i,oij,...j->...o", a, w, b)
        + (0 if bias is None else bias), bilinear_case(), fwd_tol=1e-10),
    Row("F.pixel_shuffle", lambda ns, x: ns.F.pixel_shuffle(x, 2),
        lambda x: x.reshape(x.shape[0], -1, 2, 2, *x.shape[2:]).transpose(0, 1, 4, 2, 5, 3)
        .reshape(x.shape[0], -1, x.shape[2] * 2, x.shape[3] * 2),
        st.tuples(ints(1, 2), ints(1, 2), ints(1, 3), ints(1, 3)).map(
            lambda s: (((s[0], 4 * s[1], s[2], s[3]),), {}))),
    Row("F.linear", lambda ns, x, w, b: ns.F.linear(x, w, b),
        lambda x, w, b: x @ w.T + b,
        st.tuples(ints(1, 3), ints(1, 3), ints(1, 3)).map(
            lambda s: (((s[0], s[1]), (s[2], s[1]), (s[2],)), {})), fwd_tol=1e-10),
]


# ------------------------------------------------------- scaled_dot_product_attention
@functools.lru_cache(maxsize=64)
def _sdpa_mask(kind, seed, n_q, n_k):
    """The row's mask, rebuilt from ``(kind, seed)`` so fn and ref see the same one (cached: a
    jitted call then finds it made, not drawn from NumPy's generator while tracing)."""
    r = np.random.default_rng(seed)
    if kind == "bool":
        return r.random((n_q, n_k)) > 0.4  # rows may be all False: they give 0 (safe softmax)
    if kind == "float":
        return r.standard_normal((n_q, n_k))
    return None


def _sdpa(ns, q, k, v, kind, seed, scale):
    mask = _sdpa_mask(kind, seed, q.shape[-2], k.shape[-2])
    mask = None if mask is None else ns.const(mask, q)
    return ns.F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale,
                                             is_causal=kind == "causal")


def _np_sdpa(q, k, v, kind, seed, scale):
    n_q, n_k = q.shape[-2], k.shape[-2]
    s = q @ np.swapaxes(k, -1, -2) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    mask = _sdpa_mask(kind, seed, n_q, n_k)
    if kind == "causal":
        mask = np.tril(np.ones((n_q, n_k), bool))
    if mask is not None and mask.dtype == bool:
        s = np.where(mask, s, -np.inf)
    elif mask is not None:
        s = s + mask
    live = np.isfinite(s).any(-1, keepdims=True)
    e = np.exp(np.where(live, s, 0.0) - np.where(live, s, 0.0).max(-1, keepdims=True))
    return (np.where(live, e / e.sum(-1, keepdims=True), 0.0)) @ v


@st.composite
def sdpa_case(draw):
    lead = draw(st.sampled_from([(), (2,), (1, 2)]))
    n_q, n_k, e, ev = (draw(ints(1, 3)) for _ in range(4))
    params = {"kind": draw(st.sampled_from(["none", "bool", "float", "causal"])),
              "seed": draw(ints(0, 2**16)), "scale": draw(st.sampled_from([None, 0.5]))}
    return (lead + (n_q, e), lead + (n_k, e), lead + (n_k, ev)), params


ROWS.append(Row("F.scaled_dot_product_attention", _sdpa, _np_sdpa, sdpa_case(), fwd_tol=1e-10))


# the 3-D layers' rows live in rows_nn3d.py (this file stays under its size limit)
from rows_nn3d import ROWS_3D  # noqa: E402

ROWS += ROWS_3D

from rows_parity import ROWS_PARITY  # noqa: E402

ROWS += ROWS_PARITY
