"""Op-table rows for gathering, scattering, masks, matrix parts (collected by test_ops.py).

Index tensors are parameters of a case (NumPy int64 arrays drawn here), passed through
``ns.const`` so that both libraries get int64 tensors. Overwriting scatters draw indices without
repeats along the scattered dimension (with repeats the result depends on the write order).
The parameter is called ``idx``: test_ops reads ``index`` as a ``__getitem__`` index.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_cases import Row, distinct, real

from tinygrad_gd.testing import shapes

SMALL = dict(max_dims=3, max_side=3)


# --------------------------------------------------------------------------- numpy references


def np_along(idx, dim):
    return tuple(idx if d == dim else np.arange(s).reshape([s if k == d else 1
                                                             for k in range(idx.ndim)])
                 for d, s in enumerate(idx.shape))


def np_gather(x, dim, idx):
    if x.ndim == 0:
        return x.reshape(1)[idx.reshape(-1)].reshape(idx.shape)
    return x[np_along(idx, dim % x.ndim)]


def np_scatter(x, src, dim, idx):
    if x.ndim == 0:
        return np_scatter(x.reshape(1), np.reshape(src, -1), 0, idx.reshape(-1)).reshape(())
    out = x.copy()
    src = src if np.ndim(src) == 0 else src[tuple(slice(0, s) for s in idx.shape)]
    out[np_along(idx, dim % x.ndim)] = src
    return out


def np_scatter_reduce(x, src, dim, idx, reduce, include_self):
    if x.ndim == 0:
        return np_scatter_reduce(x.reshape(1), src.reshape(-1), 0, idx.reshape(-1), reduce,
                                 include_self).reshape(())
    dim %= x.ndim
    out = x.copy()
    src = src[tuple(slice(0, s) for s in idx.shape)]
    full = np_along(idx, dim)
    groups: dict = {}
    for pos, v in zip(zip(*[a.ravel() for a in np.broadcast_arrays(*full)]), src.ravel()):
        groups.setdefault(pos, []).append(v)
    for pos, vals in groups.items():
        vals = ([x[pos]] if include_self else []) + vals
        out[pos] = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max,
                    "amin": np.min}[reduce](vals)
    return out


def np_index(x, dim, idx):
    return (slice(None),) * dim + (idx,)


# ----------------------------------------------------------------------------- strategies


@st.composite
def gather_case(draw, unique=False, src=False, min_dims=1, larger_src=False):
    """A shape, a dim, an index of the same number of dimensions no larger than the shape
    outside ``dim`` (without repeats along ``dim`` when ``unique``), and a src shape at least as
    large as the index when ``src`` (the same shape unless ``larger_src``: torch's scatter
    backward fails on a larger src)."""
    shape = draw(shapes(min_dims=min_dims, **SMALL))
    nd = len(shape)
    if nd == 0:
        ishape = draw(st.sampled_from([(), (1,)]))
        idx = np.zeros(ishape, dtype=np.int64)
        sshape = ishape
        return ((shape, sshape) if src else (shape,)), {"dim": 0, "idx": idx}
    dim = draw(st.integers(-nd, nd - 1))
    d = dim % nd
    ishape = tuple(draw(st.integers(1, shape[d] if unique else 4)) if k == d else
                   draw(st.integers(1, s)) for k, s in enumerate(shape))
    if unique:
        rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
        keys = rng.random(ishape[:d] + (shape[d],) + ishape[d + 1:])
        idx = np.take(np.argsort(keys, axis=d), np.arange(ishape[d]), axis=d)
    else:
        idx = draw(hnp.arrays(np.int64, ishape, elements=st.integers(0, shape[d] - 1)))
    sshape = tuple(s + draw(st.integers(0, int(larger_src))) for s in ishape)
    return ((shape, sshape) if src else (shape,)), {"dim": dim, "idx": idx.astype(np.int64)}


@st.composite
def index_case(draw, unique=False, negative=False, source=False, dim0=False):
    """A shape of at least 1 dimension, a dim and a 1-D index along it (repeats allowed unless
    ``unique``), with the source shape of the ``index_*`` ops when ``source`` (or ``dim0``: dim
    0 and a source, for index_put)."""
    shape = draw(shapes(min_dims=1, **SMALL))
    nd = len(shape)
    dim = 0 if dim0 else draw(st.integers(-nd, nd - 1))
    source = source or dim0
    n = shape[dim]
    low = -n if negative else 0
    if unique:
        idx = np.asarray(draw(st.permutations(range(n)))[:draw(st.integers(1, n))])
    else:
        idx = draw(hnp.arrays(np.int64, st.integers(1, 4), elements=st.integers(low, n - 1)))
    sshape = shape[:dim % nd] + (len(idx),) + shape[dim % nd + 1:]
    return ((shape, sshape) if source else (shape,)), {"dim": dim, "idx": idx.astype(np.int64)}


@st.composite
def mask_case(draw, source=False, value=False):
    """A shape and a bool mask broadcastable to it (with a 0-d value or a source tensor)."""
    shape = draw(shapes(**SMALL))
    nd = len(shape)
    lead = draw(st.integers(0, nd))
    mshape = tuple(draw(st.sampled_from([1, s])) for s in shape[lead:])
    mask = draw(hnp.arrays(np.bool_, mshape))
    extra = ()
    if source:
        total = int(np.broadcast_to(mask, shape).sum())
        extra = ((total + draw(st.integers(0, 2)),),)
    elif value:
        extra = ((),)
    return (shape,) + extra, {"mask": mask}


@st.composite
def take_case(draw, unique=False, source=False):
    shape = draw(shapes(**SMALL))
    n = int(np.prod(shape, dtype=np.int64))
    if unique:
        idx = np.asarray(draw(st.permutations(range(n)))[:draw(st.integers(1, n))])
    else:
        idx = draw(hnp.arrays(np.int64, shapes(max_dims=2, max_side=3),
                              elements=st.integers(-n, n - 1)))
    return ((shape, (idx.size,)) if source else (shape,)), {"idx": idx.astype(np.int64)}


@st.composite
def take_along_case(draw):
    shape = draw(shapes(min_dims=1, **SMALL))
    nd = len(shape)
    if draw(st.booleans()):
        n = int(np.prod(shape))
        idx = draw(hnp.arrays(np.int64, st.integers(1, 4), elements=st.integers(0, n - 1)))
        return (shape,), {"dim": None, "idx": idx}
    dim = draw(st.integers(-nd, nd - 1))
    ishape = tuple(draw(st.integers(1, 3)) if k == dim % nd else draw(st.sampled_from([1, s]))
                   for k, s in enumerate(shape))
    idx = draw(hnp.arrays(np.int64, ishape, elements=st.integers(-shape[dim], shape[dim] - 1)))
    return (shape,), {"dim": dim, "idx": idx}


def np_take_along(x, dim, idx):
    if dim is None:
        return x.reshape(-1)[idx]
    return np.take_along_axis(x, np.where(idx < 0, idx + x.shape[dim], idx), axis=dim)


def matrix_case(min_dims=2, max_dims=3, offsets=(-1, 0, 1)):
    return st.tuples(shapes(min_dims=min_dims, max_dims=max_dims, max_side=3),
                     st.sampled_from(offsets)).map(lambda t: ((t[0],), {"k": t[1]}))


@st.composite
def diagonal_case(draw):
    shape = draw(shapes(min_dims=2, **SMALL))
    nd = len(shape)
    d1, d2 = draw(st.permutations(range(nd)))[:2]
    d1 -= draw(st.sampled_from([0, nd]))  # negative dims too
    return (shape,), {"k": draw(st.integers(-2, 2)), "d1": d1, "d2": d2}


@st.composite
def diag_embed_case(draw):
    shape = draw(shapes(min_dims=1, max_dims=2, max_side=3))
    nd = len(shape) + 1
    d1, d2 = draw(st.permutations(range(nd)))[:2]
    return (shape,), {"k": draw(st.integers(-1, 1)), "d1": d1, "d2": d2 - nd}


def np_diag_embed(x, k, d1, d2):
    n = x.shape[-1] + abs(k)
    out = np.zeros(x.shape[:-1] + (n, n))
    r = np.arange(x.shape[-1])
    out[..., r + max(-k, 0), r + max(k, 0)] = x
    return np.moveaxis(out, (-2, -1), (d1, d2))


@st.composite
def roll_case(draw):
    shape = draw(shapes(**SMALL))
    nd = len(shape)
    if nd == 0 or draw(st.booleans()):
        return (shape,), {"shifts": draw(st.integers(-4, 4)), "dims": None}
    dims = tuple(draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=2)))
    shifts = tuple(draw(st.integers(-4, 4)) for _ in dims)
    return (shape,), {"shifts": shifts, "dims": dims}


def np_roll(x, shifts, dims):
    if dims is None:
        return np.roll(x.reshape(-1), shifts).reshape(x.shape)
    return np.roll(x, shifts, dims)


@st.composite
def flip_case(draw):
    shape = draw(shapes(**SMALL))
    nd = len(shape)
    dims = tuple(draw(st.permutations(range(nd)))[:draw(st.integers(0, nd))])
    return (shape,), {"dims": tuple(d - nd if draw(st.booleans()) else d for d in dims)}


@st.composite
def rot90_case(draw):
    shape = draw(shapes(min_dims=2, **SMALL))
    d0, d1 = draw(st.permutations(range(len(shape))))[:2]
    return (shape,), {"k": draw(st.integers(-2, 5)), "dims": (d0, d1)}


@st.composite
def repeat_case(draw, tile=False):
    shape = draw(shapes(**SMALL))
    nd = len(shape)
    n = draw(st.integers(0 if tile else nd, nd + 1))
    return (shape,), {"reps": tuple(draw(st.integers(1, 3)) for _ in range(n))}


def np_tile(x, reps):
    return np.tile(x, reps) if reps else x.copy()


@st.composite
def repeat_interleave_case(draw, tensor=False):
    shape = draw(shapes(**SMALL))
    nd = len(shape)
    dim = draw(st.sampled_from([None] + list(range(-nd, nd))))
    n = int(np.prod(shape)) if dim is None else shape[dim]
    reps = (np.asarray(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)),
                       dtype=np.int64) if tensor else draw(st.integers(1, 3)))
    return (shape,), {"reps": reps, "dim": dim}


def np_repeat_interleave(x, reps, dim):
    return np.repeat(x.reshape(-1) if dim is None else x, reps, axis=0 if dim is None else dim)


# ---------------------------------------------------------------------------------- the rows


def _c(ns, a, like):
    return ns.const(a, like)


def _reduce_row(reduce, include_self, domains=(real,)):
    def fn(ns, x, src, dim, idx):
        return x.scatter_reduce(dim, _c(ns, idx, x), src, reduce, include_self=include_self)

    def ref(x, src, dim, idx):
        return np_scatter_reduce(x, src, dim, idx, reduce, include_self)

    tag = "" if include_self else "_noself"
    return Row(f"scatter_reduce_{reduce}{tag}", fn, ref, gather_case(src=True, min_dims=0),
               domains)


def _np_index_add(x, s, dim, idx, alpha):
    out = x.copy()
    np.add.at(out, np_index(x, dim % x.ndim, idx), alpha * s)
    return out


def _np_index_copy(x, s, dim, idx):
    out = x.copy()
    out[np_index(x, dim % x.ndim, idx)] = s
    return out


def _np_index_fill(x, dim, idx, v=2.0):
    out = x.copy()
    out[np_index(x, dim % x.ndim, idx)] = v
    return out


def _np_masked_scatter(x, s, mask):
    out = np.broadcast_to(x, np.broadcast_shapes(x.shape, mask.shape)).copy()
    m = np.broadcast_to(mask, out.shape)
    out[m] = s[:int(m.sum())]
    return out


def _np_put(x, s, idx, accumulate):
    out = x.copy().reshape(-1)
    if accumulate:
        np.add.at(out, idx.reshape(-1), s)
    else:
        out[idx.reshape(-1)] = s
    return out.reshape(x.shape)


ROWS: list[Row] = [
    Row("gather", lambda ns, x, dim, idx: x.gather(dim, _c(ns, idx, x)), np_gather,
        gather_case(min_dims=0)),
    Row("gather_fn", lambda ns, x, dim, idx: ns.lib.gather(x, dim, _c(ns, idx, x)) * x.sum(),
        lambda x, dim, idx: np_gather(x, dim, idx) * x.sum(), gather_case()),
    Row("scatter", lambda ns, x, s, dim, idx: x.scatter(dim, _c(ns, idx, x), s),
        np_scatter, gather_case(unique=True, src=True, min_dims=0)),
    Row("scatter_larger_src", lambda ns, x, s, dim, idx: x.scatter(dim, _c(ns, idx, x), s),
        np_scatter, gather_case(unique=True, src=True, larger_src=True), torch=False),
    Row("scatter_value", lambda ns, x, dim, idx: x.scatter(dim, _c(ns, idx, x), 1.5),
        lambda x, dim, idx: np_scatter(x, 1.5, dim, idx), gather_case(unique=True)),
    Row("scatter_add", lambda ns, x, s, dim, idx: x.scatter_add(dim, _c(ns, idx, x), s),
        lambda x, s, dim, idx: np_scatter_reduce(x, s, dim, idx, "sum", True),
        gather_case(src=True, min_dims=0)),
    Row("scatter_add_larger_src",
        lambda ns, x, s, dim, idx: x.scatter_add(dim, _c(ns, idx, x), s),
        lambda x, s, dim, idx: np_scatter_reduce(x, s, dim, idx, "sum", True),
        gather_case(src=True, larger_src=True), torch=False),
    Row("scatter_add_twice", lambda ns, x, s, dim, idx: (
        x * x).scatter_add(dim, _c(ns, idx, x), s * s),
        lambda x, s, dim, idx: np_scatter_reduce(x * x, s * s, dim, idx, "sum", True),
        gather_case(src=True)),
    *[_reduce_row(r, inc, (distinct,) if r in ("amax", "amin") else (real,))
      for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)],
    Row("index_select", lambda ns, x, dim, idx: x.index_select(dim, _c(ns, idx, x)),
        lambda x, dim, idx: x[np_index(x, dim % x.ndim, idx)], index_case()),
    Row("index_add", lambda ns, x, s, dim, idx: x.index_add(dim, _c(ns, idx, x), s, alpha=-2.0),
        lambda x, s, dim, idx: _np_index_add(x, s, dim, idx, -2.0), index_case(source=True)),
    Row("index_copy", lambda ns, x, s, dim, idx: x.index_copy(dim, _c(ns, idx, x), s),
        _np_index_copy, index_case(unique=True, source=True)),
    Row("index_fill", lambda ns, x, dim, idx: x.index_fill(dim, _c(ns, idx, x), 2.0),
        _np_index_fill, index_case(negative=True)),
    Row("index_fill_tensor_value",
        lambda ns, x, dim, idx: x.index_fill(dim, _c(ns, idx, x), x.sum() * 2.0),
        lambda x, dim, idx: _np_index_fill(x, dim, idx, x.sum() * 2.0), index_case()),
    Row("index_put", lambda ns, x, s, dim, idx: x.index_put((_c(ns, idx, x),), s),
        lambda x, s, dim, idx: _np_index_copy(x, s, 0, idx), index_case(True, dim0=True)),
    Row("index_put_accumulate",
        lambda ns, x, s, dim, idx: x.index_put((_c(ns, idx, x),), s, accumulate=True),
        lambda x, s, dim, idx: _np_index_add(x, s, 0, idx, 1.0), index_case(dim0=True)),
    Row("masked_fill", lambda ns, x, mask: x.masked_fill(_c(ns, mask, x), -1.0),
        lambda x, mask: np.where(mask, -1.0, x), mask_case()),
    Row("masked_fill_tensor_value", lambda ns, x, v, mask: x.masked_fill(_c(ns, mask, x), v),
        lambda x, v, mask: np.where(mask, v, x), mask_case(value=True)),
    Row("masked_select", lambda ns, x, mask: x.masked_select(_c(ns, mask, x)),
        lambda x, mask: np.broadcast_to(x, np.broadcast_shapes(x.shape, mask.shape))[
            np.broadcast_to(mask, np.broadcast_shapes(x.shape, mask.shape))], mask_case()),
    Row("masked_scatter", lambda ns, x, s, mask: x.masked_scatter(_c(ns, mask, x), s),
        _np_masked_scatter, mask_case(source=True)),
    Row("take", lambda ns, x, idx: x.take(_c(ns, idx, x)),
        lambda x, idx: x.reshape(-1)[idx], take_case()),
    Row("take_along_dim", lambda ns, x, dim, idx: x.take_along_dim(_c(ns, idx, x), dim),
        np_take_along, take_along_case()),
    Row("put", lambda ns, x, s, idx: x.put(_c(ns, idx, x), s),
        lambda x, s, idx: _np_put(x, s, idx, False), take_case(unique=True, source=True)),
    Row("put_accumulate", lambda ns, x, s, idx: x.put(_c(ns, idx, x), s, accumulate=True),
        lambda x, s, idx: _np_put(x, s, idx, True), take_case(source=True)),
    # matrix parts
    Row("tril", lambda ns, x, k: x.tril(k), lambda x, k: np.tril(x, k), matrix_case()),
    Row("triu", lambda ns, x, k: ns.lib.triu(x, k), lambda x, k: np.triu(x, k), matrix_case()),
    Row("diag_vector", lambda ns, x, k: ns.lib.diag(x, k), lambda x, k: np.diag(x, k),
        matrix_case(1, 1, (-2, -1, 0, 1, 2))),
    Row("diag_matrix", lambda ns, x, k: x.diag(k), lambda x, k: np.diag(x, k),
        matrix_case(2, 2, (-2, -1, 0, 1, 2))),
    Row("diagonal", lambda ns, x, k, d1, d2: x.diagonal(k, d1, d2),
        lambda x, k, d1, d2: np.diagonal(x, k, d1, d2), diagonal_case()),
    Row("diag_embed", lambda ns, x, k, d1, d2: x.diag_embed(k, d1, d2), np_diag_embed,
        diag_embed_case()),
    Row("diagflat", lambda ns, x, k: ns.lib.diagflat(x, k), lambda x, k: np.diagflat(x, k),
        matrix_case(0, 2)),
    Row("trace", lambda ns, x, k: x.trace() * x.trace(), lambda x, k: np.trace(x) ** 2,
        matrix_case(2, 2, (0,))),
    # rearranging
    Row("roll", lambda ns, x, shifts, dims: x.roll(shifts, dims), np_roll, roll_case()),
    Row("flip", lambda ns, x, dims: x.flip(dims), lambda x, dims: np.flip(x, dims),
        flip_case()),
    Row("fliplr", lambda ns, x, k: ns.lib.fliplr(x), lambda x, k: np.flip(x, 1), matrix_case()),
    Row("flipud", lambda ns, x, k: x.flipud(), lambda x, k: np.flip(x, 0),
        matrix_case(1, 3)),
    Row("rot90", lambda ns, x, k, dims: x.rot90(k, dims),
        lambda x, k, dims: np.rot90(x, k, dims), rot90_case()),
    Row("repeat", lambda ns, x, reps: x.repeat(*reps) if reps else x.repeat(reps), np_tile,
        repeat_case()),
    Row("tile", lambda ns, x, reps: ns.lib.tile(x, reps), np_tile, repeat_case(tile=True)),
    Row("repeat_interleave", lambda ns, x, reps, dim: x.repeat_interleave(reps, dim),
        np_repeat_interleave, repeat_interleave_case()),
    Row("repeat_interleave_tensor",
        lambda ns, x, reps, dim: ns.lib.repeat_interleave(x, _c(ns, reps, x), dim),
        np_repeat_interleave, repeat_interleave_case(tensor=True)),
]
