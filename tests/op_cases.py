"""Value domains and Hypothesis case strategies for the op table in ``test_ops.py``.

A case is ``(input shapes, params)``; a domain maps ``(rng, shape)`` to float64 values chosen so
that finite differences stay away from an op's kinks and ties.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_gd.testing import broadcastable_shapes, shapes

# ------------------------------------------------------------------------------ value domains


def real(rng, shape):
    return rng.uniform(-2.0, 2.0, shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def nonzero(rng, shape):
    """Away from 0 (the kink of relu, abs, leaky_relu and the 1- and inf-norms)."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)


def distinct(rng, shape):
    """Distinct magnitudes, away from 0, random signs: no ties for max/min or the inf-norm."""
    n = int(np.prod(shape, dtype=np.int64))
    mags = (rng.permutation(n) + 1) * 0.3 + rng.uniform(0.0, 0.05, n)
    return (rng.choice([-1.0, 1.0], n) * mags).reshape(shape)


def even_grid(rng, shape):
    """Multiples of 0.5; with ``odd_grid`` (0.25 off) no pair of elements ever ties."""
    return rng.integers(-4, 5, shape) * 0.5


def odd_grid(rng, shape):
    return rng.integers(-4, 4, shape) * 0.5 + 0.25


def off_tenths(rng, shape):
    """x.x5 values: at least 0.05 from any bound that is a multiple of 0.1 (clamp's kinks)."""
    return rng.integers(-20, 20, shape) * 0.1 + 0.05


# --------------------------------------------------------------------------- case strategies
SMALL = dict(max_dims=3, max_side=3)


def one(**kw):
    return shapes(**{**SMALL, **kw}).map(lambda s: ((s,), {}))


def two():
    return broadcastable_shapes(2, **SMALL).map(lambda s: (s, {}))


@st.composite
def reduction(draw, min_dims=0, single_axis=False, min_count=1):
    """A shape and the ``dim``/``keepdim`` to reduce it with (None: every axis)."""
    shape = draw(shapes(min_dims=min_dims, **SMALL))
    nd = len(shape)
    choices: list[Any] = [None] if not single_axis else []
    choices += list(range(-max(nd, 1), max(nd, 1)))
    if nd >= 2 and not single_axis:
        choices += [(0, nd - 1), tuple(range(nd))]
    axis = draw(st.sampled_from(choices))
    axes = range(nd) if axis is None else ((axis,) if isinstance(axis, int) else axis)
    count = int(np.prod([shape[a] for a in axes], dtype=np.int64)) if nd else 1
    if count < min_count:
        shape = tuple(max(s, 2) for s in shape) if nd else (2,)
        axis = 0 if axis is not None and nd == 0 else axis
    return (shape,), {"axis": axis, "keepdim": draw(st.booleans())}


def dim_kw(axis):
    """``dim=axis`` as keyword arguments, none for every axis (torch rejects dim=None there)."""
    return {} if axis is None else {"dim": axis}


@st.composite
def matmul_case(draw):
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    batch_a, batch_b = draw(broadcastable_shapes(2, max_dims=2, max_side=2))
    kind = draw(st.sampled_from(["mm", "batched", "vec@mat", "mat@vec", "vec@vec",
                                 "batched@vec", "vec@batched"]))
    a = {"mm": (n, k), "batched": batch_a + (n, k), "vec@mat": (k,), "mat@vec": (n, k),
         "vec@vec": (k,), "batched@vec": batch_a + (n, k), "vec@batched": (k,)}[kind]
    b = {"mm": (k, m), "batched": batch_b + (k, m), "vec@mat": (k, m), "mat@vec": (k,),
         "vec@vec": (k,), "batched@vec": (k,), "vec@batched": batch_b + (k, m)}[kind]
    return (a, b), {}


@st.composite
def permute_case(draw):
    shape = draw(shapes(**SMALL))
    return (shape,), {"dims": tuple(draw(st.permutations(range(len(shape)))))}


@st.composite
def transpose_case(draw):
    shape = draw(shapes(min_dims=1, **SMALL))
    nd = len(shape)
    return (shape,), {"d0": draw(st.integers(-nd, nd - 1)), "d1": draw(st.integers(-nd, nd - 1))}


@st.composite
def reshape_case(draw):
    shape = draw(shapes(**SMALL))
    size = int(np.prod(shape, dtype=np.int64))
    targets = [(size,), (-1,), tuple(reversed(shape)), (1, size), (size, 1, 1), (-1, 1)]
    if size == 1:
        targets.append(())
    return (shape,), {"target": draw(st.sampled_from(targets))}


@st.composite
def flatten_case(draw):
    shape = draw(shapes(min_dims=1, **SMALL))
    nd = len(shape)
    start = draw(st.integers(0, nd - 1))
    return (shape,), {"start": start, "end": draw(st.integers(start, nd - 1))}


@st.composite
def squeeze_case(draw):
    shape = draw(shapes(**SMALL))
    ones_ = [i for i, s in enumerate(shape) if s == 1]
    dim = draw(st.sampled_from([None] + ones_ + list(range(len(shape)))))
    return (shape,), {"dim": dim}


@st.composite
def unsqueeze_case(draw):
    shape = draw(shapes(**SMALL))
    nd = len(shape)
    return (shape,), {"dim": draw(st.integers(-nd - 1, nd))}


@st.composite
def expand_case(draw, allow_minus_one=True):
    shape = draw(shapes(max_dims=2, max_side=3))
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    target = lead + tuple(draw(st.integers(1, 3)) if s == 1 else
                          (-1 if allow_minus_one and draw(st.booleans()) else s) for s in shape)
    return (shape,), {"target": target}


@st.composite
def pad_case(draw):
    shape = draw(shapes(min_dims=1, **SMALL))
    k = draw(st.integers(1, len(shape)))
    pad = tuple(draw(st.lists(st.integers(0, 2), min_size=2 * k, max_size=2 * k)))
    return (shape,), {"pad": pad, "value": draw(st.sampled_from([0.0, -1.5]))}


@st.composite
def cat_case(draw):
    base = draw(shapes(min_dims=1, **SMALL))
    nd = len(base)
    dim = draw(st.integers(-nd, nd - 1))
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    shapes_ = tuple(tuple(s if i != dim % nd else size for i, s in enumerate(base))
                    for size in sizes)
    return shapes_, {"dim": dim}


@st.composite
def stack_case(draw):
    base = draw(shapes(**SMALL))
    n = draw(st.integers(1, 3))
    return (base,) * n, {"dim": draw(st.integers(-len(base) - 1, len(base)))}


@st.composite
def split_case(draw, chunk=False):
    shape = draw(shapes(min_dims=1, **SMALL))
    nd = len(shape)
    dim = draw(st.integers(-nd, nd - 1))
    n = shape[dim]
    if chunk:
        return (shape,), {"chunks": draw(st.integers(1, 3)), "dim": dim}
    if draw(st.booleans()):
        return (shape,), {"size": draw(st.integers(1, 3)), "dim": dim}
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=2)))
    edges = [0] + cuts + [n]
    sizes = [b - a for a, b in zip(edges, edges[1:]) if b > a]
    return (shape,), {"size": sizes, "dim": dim}


@st.composite
def where_case(draw):
    sc, sa, sb = draw(broadcastable_shapes(3, **SMALL))
    return (sa, sb), {"cond": draw(hnp.arrays(np.bool_, sc))}


def _index_strategies(shape):
    """Basic, advanced (repeated indices), boolean-mask and mixed indices into ``shape``."""
    nd = len(shape)
    ints = [st.integers(-s, s - 1) for s in shape]
    basic_items = [st.one_of(i, st.builds(slice, st.sampled_from([None, 0, 1]),
                                          st.sampled_from([None, -1, s]),
                                          st.sampled_from([None, 1, 2, -1])))
                   for i, s in zip(ints, shape)]
    basic = st.tuples(*basic_items).map(tuple)
    with_none = st.tuples(st.just(None), st.just(Ellipsis), *basic_items[nd - 1:]).map(tuple)
    adv = hnp.arrays(np.int64, st.integers(1, 5), elements=ints[0]).map(lambda a: (a,))
    adv2 = st.integers(1, 4).flatmap(
        lambda n: st.tuples(*[hnp.arrays(np.int64, n, elements=i) for i in ints[:2]]))
    mask = hnp.arrays(np.bool_, shape[:1]).filter(lambda m: m.any()).map(lambda m: (m,))
    full_mask = hnp.arrays(np.bool_, shape).filter(lambda m: m.any()).map(lambda m: (m,))
    mixed = st.tuples(st.just(slice(None)),
                      hnp.arrays(np.int64, st.integers(1, 4), elements=ints[1 % nd]))
    options = [basic, with_none, adv, mask, full_mask]
    if nd >= 2:
        options += [adv2, mixed]
    return st.one_of(*options)


@st.composite
def getitem_case(draw):
    shape = draw(shapes(min_dims=1, **SMALL))
    index = draw(_index_strategies(shape))
    if np.asarray(np.empty(shape)[index]).size == 0:
        index = (0,) * len(shape)
    return (shape,), {"index": index}


@st.composite
def setitem_case(draw):
    shape = draw(shapes(min_dims=1, **SMALL))
    index = draw(_index_strategies(shape).filter(lambda i: not _repeats(i)))
    target = np.empty(shape)[index]
    vshape = draw(st.sampled_from([np.shape(target), (), np.shape(target)[-1:]]))
    return (shape, vshape), {"index": index}


def _repeats(index):
    """Assignment through repeated indices is order-dependent; keep those out of setitem."""
    arrays = [i for i in index if isinstance(i, np.ndarray) and i.dtype != np.bool_]
    if not arrays:
        return False
    keys = list(zip(*[np.broadcast_arrays(*arrays)[k].ravel() for k in range(len(arrays))]))
    return len(set(keys)) != len(keys) or any((a < 0).any() for a in arrays)


# ---------------------------------------------------------------------------------- table rows


def np_axis(x, axis):
    """NumPy rejects axis 0 of a 0-d array, which torch (and tinygrad_gd) accept."""
    return None if x.ndim == 0 else axis


@dataclass
class Row:
    """One operation: ``fn(ns, *tensors, **params)``, its NumPy ``ref(*arrays, **params)``, the
    cases to draw, a value domain per input (the last one repeats), and gradcheck options."""

    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    cases: Any
    domains: tuple = (real,)
    torch: bool = True
    check: dict = field(default_factory=dict)
    fwd_tol: float = 1e-12

    def domain(self, i):
        return self.domains[min(i, len(self.domains) - 1)]


def red(method, ref, **kw):
    """A reduction row: ``x.method(dim=..., keepdim=...)``."""
    def fn(ns, x, axis, keepdim):
        return getattr(x, method)(dim=axis, keepdim=keepdim, **kw)
    return fn, lambda x, axis, keepdim: ref(x, axis=np_axis(x, axis), keepdims=keepdim, **kw)
