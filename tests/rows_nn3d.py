"""Op-table rows for the 3-D layers (appended to ``rows_nn.ROWS``): ``conv3d``,
``conv_transpose3d``, ``max_pool3d``, ``avg_pool3d``, ``adaptive_avg_pool3d``,
``adaptive_max_pool3d`` and ``interpolate`` on 5-D inputs. Volumes stay tiny (N, C <= 2,
D, H, W <= 3 or 4) so that gradgradcheck is quick; the references are loops over definitions.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import strategies as st
from op_cases import Row, distinct

ints = st.integers


def _three(v):
    return (v,) * 3 if isinstance(v, int) else tuple(v)


def np_conv3d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    s, p, d = _three(stride), _three(padding), _three(dilation)
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((q, q) for q in p))
    o, cg, *k = w.shape
    out_sz = [(xp.shape[2 + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(3)]
    og = o // groups
    out = np.zeros((x.shape[0], o, *out_sz))
    for oc in range(o):
        g = oc // og
        for pos in itertools.product(*map(range, out_sz)):
            sl = tuple(slice(pos[i] * s[i], pos[i] * s[i] + d[i] * (k[i] - 1) + 1, d[i])
                       for i in range(3))
            patch = xp[(slice(None), slice(g * cg, (g + 1) * cg)) + sl]
            out[(slice(None), oc) + pos] = (patch * w[oc]).sum(axis=(1, 2, 3, 4))
    return out if b is None else out + b.reshape(1, -1, 1, 1, 1)


def np_conv_transpose3d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                        dilation=1):
    s, p, d, op = _three(stride), _three(padding), _three(dilation), _three(output_padding)
    n, c = x.shape[:2]
    _, og, *k = w.shape
    cg = c // groups
    full_sz = [(x.shape[2 + i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 + op[i] for i in range(3)]
    full = np.zeros((n, og * groups, *full_sz))
    for ic in range(c):
        g = ic // cg
        for pos in itertools.product(*(range(m) for m in x.shape[2:])):
            for tap in itertools.product(*map(range, k)):
                at = tuple(pos[i] * s[i] + tap[i] * d[i] for i in range(3))
                full[(slice(None), slice(g * og, (g + 1) * og)) + at] += (
                    x[(slice(None), ic) + pos][:, None] * w[(ic, slice(None)) + tap][None, :])
    out = full[(slice(None), slice(None)) + tuple(slice(p[i], full_sz[i] - p[i])
                                                  for i in range(3))]
    return out if b is None else out + b.reshape(1, -1, 1, 1, 1)


def _pool_size(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def np_max_pool3d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    k, p, d = _three(kernel_size), _three(padding), _three(dilation)
    s = _three(stride if stride is not None else kernel_size)
    out_sz = [_pool_size(x.shape[2 + i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(3)]
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((p[i], p[i] + k[i] * d[i] + s[i])
                                            for i in range(3)), constant_values=-np.inf)
    out = np.empty(x.shape[:2] + tuple(out_sz))
    for pos in itertools.product(*map(range, out_sz)):
        sl = tuple(slice(pos[i] * s[i], pos[i] * s[i] + d[i] * (k[i] - 1) + 1, d[i])
                   for i in range(3))
        out[(slice(None), slice(None)) + pos] = xp[(slice(None), slice(None)) + sl].max(
            axis=(2, 3, 4))
    return out


def np_avg_pool3d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                  count_include_pad=True, divisor_override=None):
    k, p = _three(kernel_size), _three(padding)
    s = _three(stride if stride is not None else kernel_size)
    size = x.shape[2:]
    out_sz = [_pool_size(size[i], k[i], s[i], p[i], 1, ceil_mode) for i in range(3)]
    out = np.empty(x.shape[:2] + tuple(out_sz))
    for pos in itertools.product(*map(range, out_sz)):
        lo = [pos[i] * s[i] - p[i] for i in range(3)]
        hi = [min(lo[i] + k[i], size[i] + p[i]) for i in range(3)]
        a = [max(v, 0) for v in lo]
        z = [min(hi[i], size[i]) for i in range(3)]
        total = x[(slice(None), slice(None)) + tuple(slice(a[i], z[i]) for i in range(3))].sum(
            axis=(2, 3, 4))
        div = divisor_override or (math.prod(hi[i] - lo[i] for i in range(3)) if
                                   count_include_pad else math.prod(z[i] - a[i]
                                                                    for i in range(3)))
        out[(slice(None), slice(None)) + pos] = total / div
    return out


def np_adaptive3d(x, output_size, reduce):
    size = x.shape[2:]
    out = np.empty(x.shape[:2] + tuple(output_size))
    for pos in itertools.product(*map(range, output_size)):
        sl = tuple(slice((pos[i] * size[i]) // output_size[i],
                         -((-(pos[i] + 1) * size[i]) // output_size[i])) for i in range(3))
        out[(slice(None), slice(None)) + pos] = reduce(x[(slice(None), slice(None)) + sl],
                                                       axis=(2, 3, 4))
    return out


def _linear_weights(n_in, n_out, align_corners):
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        if align_corners:
            src = o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            src = max((o + 0.5) * n_in / n_out - 0.5, 0.0)
        i0 = min(int(math.floor(src)), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        m[o, i0] += 1 - (src - i0)
        m[o, i1] += src - i0
    return m


def np_interpolate3d(x, size, mode, align_corners):
    out = x
    for axis, n_out in enumerate(size):
        dim, n_in = 2 + axis, x.shape[2 + axis]
        if mode == "nearest":
            idx = np.minimum(np.floor(np.arange(n_out) * np.float32(n_in / n_out)).astype(int),
                             n_in - 1)
            out = np.take(out, idx, axis=dim)
        else:
            m = _linear_weights(n_in, n_out, align_corners)
            out = np.moveaxis(np.tensordot(m, np.moveaxis(out, dim, 0), axes=(1, 0)), 0, dim)
    return out


# ---------------------------------------------------------------------------- case strategies
@st.composite
def conv3d_case(draw, transposed=False):
    groups = draw(st.sampled_from([1, 1, 2]))
    cin, cout = groups * draw(ints(1, 2)), groups * draw(ints(1, 2))
    k = tuple(draw(ints(1, 2)) for _ in range(3))
    stride = tuple(draw(ints(1, 2)) for _ in range(3))
    dilation = tuple(draw(ints(1, 2)) for _ in range(3))
    padding = tuple(draw(ints(0, 1)) for _ in range(3))
    params = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    if transposed:
        sz = tuple(draw(ints(1, 2)) for _ in range(3))
        op = tuple(draw(ints(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
        outs = [(n - 1) * s - 2 * p + d * (kk - 1) + o + 1
                for n, s, p, d, kk, o in zip(sz, stride, padding, dilation, k, op)]
        if min(outs) < 1:
            params["padding"] = (0, 0, 0)
        params["output_padding"] = op
        wshape = (cin, cout // groups) + k
    else:
        sz = tuple(draw(ints(d * (kk - 1) + 1, 3)) for kk, d in zip(k, dilation))
        wshape = (cout, cin // groups) + k
    shapes = [(draw(ints(1, 2)), cin) + sz, wshape]
    if draw(st.booleans()):
        shapes.append((cout,))
    return tuple(shapes), params


@st.composite
def pool3d_case(draw, avg=False):
    k = tuple(draw(ints(1, 2)) for _ in range(3))
    s = tuple(draw(ints(1, 2)) for _ in range(3))
    d = (1, 1, 1) if avg else tuple(draw(ints(1, 2)) for _ in range(3))
    p = tuple(draw(ints(0, ki // 2)) for ki in k)
    # avg_pool3d refuses an input smaller than the kernel, padded or not (torch's rule)
    sz = tuple(draw(ints(ki if avg else max(1, (ki - 1) * di + 1 - 2 * pi), 3))
               for ki, di, pi in zip(k, d, p))
    params = dict(kernel_size=k, stride=s, padding=p, ceil_mode=draw(st.booleans()))
    if avg:
        params["count_include_pad"] = draw(st.booleans())
        params["divisor_override"] = draw(st.sampled_from([None, None, 3]))
    else:
        params["dilation"] = d
        if np.isinf(np_max_pool3d(np.zeros((1, 1) + sz), **params)).any():
            params["dilation"] = (1, 1, 1)  # a window of padding only: torch gives -inf
    return ((draw(ints(1, 2)), draw(ints(1, 2))) + sz,), params


@st.composite
def adaptive3d_case(draw):
    shape = (draw(ints(1, 2)), draw(ints(1, 2))) + tuple(draw(ints(1, 4)) for _ in range(3))
    return (shape,), {"output_size": tuple(draw(ints(1, 3)) for _ in range(3))}


@st.composite
def interp3d_case(draw):
    mode = draw(st.sampled_from(["nearest", "trilinear"]))
    shape = (draw(ints(1, 2)), draw(ints(1, 2))) + tuple(draw(ints(1, 3)) for _ in range(3))
    size = tuple(draw(ints(1, 4)) for _ in range(3))
    align = None if mode == "nearest" else draw(st.booleans())
    return (shape,), {"size": size, "mode": mode, "align_corners": align}


ROWS_3D: list[Row] = [
    Row("F.conv3d", lambda ns, x, w, b=None, **kw: ns.F.conv3d(x, w, b, **kw), np_conv3d,
        conv3d_case(), fwd_tol=1e-10),
    Row("F.conv_transpose3d", lambda ns, x, w, b=None, **kw: ns.F.conv_transpose3d(x, w, b, **kw),
        np_conv_transpose3d, conv3d_case(transposed=True), fwd_tol=1e-10),
    Row("F.max_pool3d", lambda ns, x, **kw: ns.F.max_pool3d(x, **kw), np_max_pool3d,
        pool3d_case(), (distinct,)),
    Row("F.avg_pool3d", lambda ns, x, **kw: ns.F.avg_pool3d(x, **kw), np_avg_pool3d,
        pool3d_case(avg=True), fwd_tol=1e-10),
    Row("F.adaptive_avg_pool3d", lambda ns, x, output_size: ns.F.adaptive_avg_pool3d(
        x, output_size), lambda x, output_size: np_adaptive3d(x, output_size, np.mean),
        adaptive3d_case(), fwd_tol=1e-10),
    Row("F.adaptive_max_pool3d", lambda ns, x, output_size: ns.F.adaptive_max_pool3d(
        x, output_size), lambda x, output_size: np_adaptive3d(x, output_size, np.max),
        adaptive3d_case(), (distinct,)),
    Row("F.interpolate_3d", lambda ns, x, size, mode, align_corners: ns.F.interpolate(
        x, size=size, mode=mode, align_corners=align_corners), np_interpolate3d,
        interp3d_case(), fwd_tol=1e-10),
]
