"""Shape primitives: reshape, permute, broadcast, indexing and its adjoint, pad, concatenation."""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import forward_ad as fw
from ..autograd.engine import Primitive


class Reshape(Primitive):
    """A new shape for the same elements; the gradient is reshaped back."""

    saves_inputs = False
    is_view = True

    def forward(self, a, shape):
        self.in_shape = a.shape
        out = a.reshape(shape)
        owner = a if a.base is None else a.base
        if out.base is not owner:  # NumPy had to copy: not a view (Tensor views track it)
            self.copied = True
        return out

    def jvp(self, ta, *rest):
        return fw.linear_jvp(self, ta)

    def backward(self, g):
        return g.reshape(self.in_shape)


class Permute(Primitive):
    """Reordered dimensions; the gradient is permuted by the inverse order."""

    saves_inputs = False
    is_view = True

    def forward(self, a, axes):
        self.axes = axes
        return a.transpose(axes)

    def jvp(self, ta, *rest):
        return fw.linear_jvp(self, ta)

    def backward(self, g):
        inverse = [0] * len(self.axes)
        for i, ax in enumerate(self.axes):
            inverse[ax] = i
        return g.permute(*inverse)


class BroadcastTo(Primitive):
    """A broadcast to a larger shape; the gradient is summed back (sum_to)."""

    saves_inputs = False
    is_view = True

    def forward(self, a, shape):
        self.in_shape = a.shape
        xp = backend.xp_of(a)
        if type(a) is np.ndarray and a.flags.c_contiguous and len(shape) >= a.ndim:
            # np.broadcast_to spends microseconds in Python; the strided view made directly is
            # cheaper (and a view, as torch's expand: it follows later writes to ``a``). Only
            # for a plain array: tg.jit's traced arrays must go through the recorded call
            lead = len(shape) - a.ndim
            strides = (0,) * lead + tuple(0 if n == 1 and m != 1 else st for n, m, st in
                                          zip(a.shape, shape[lead:], a.strides))
            if all(n == m or n == 1 for n, m in zip(a.shape, shape[lead:])):
                out = np.ndarray(shape, a.dtype, a, 0, strides)
                out.flags.writeable = False
                return out
        return xp.broadcast_to(a, shape)

    def jvp(self, ta, *rest):
        return fw.linear_jvp(self, ta)

    def backward(self, g):
        return g.sum_to(self.in_shape)


def is_basic(index: tuple) -> bool:
    """True for an index of ints, slices, None and Ellipsis only (NumPy returns a view)."""
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in index)


def diagonal_view(a, offset: int):
    """The ``offset`` diagonal of the last two dimensions of array ``a`` as a strided view of its
    memory, appended as the last dimension (``numpy.diagonal`` gives a read-only view; torch's
    ``diagonal`` is writable, so ``x.diagonal().add_(1)`` changes ``x``)."""
    a = a[..., :, offset:] if offset >= 0 else a[..., -offset:, :]
    length = max(0, min(a.shape[-2], a.shape[-1]))
    strides = a.strides[:-2] + (a.strides[-2] + a.strides[-1],)
    xp = backend.xp_of(a)
    return xp.lib.stride_tricks.as_strided(a, a.shape[:-2] + (length,), strides)


class Diagonal(Primitive):
    """The ``offset`` diagonal of the last two dimensions, a view appended as the last dimension;
    the gradient is put back on that diagonal of zeros (``DiagonalScatter``, its adjoint)."""

    saves_inputs = False
    is_view = True

    def forward(self, a, offset):
        self.in_shape, self.offset = a.shape, offset
        return diagonal_view(a, offset)

    def jvp(self, ta, *rest):
        return None if ta is None else Diagonal.apply(ta, offset=self.offset)

    def backward(self, g):
        return DiagonalScatter.apply(g, shape=self.in_shape, offset=self.offset)


class DiagonalScatter(Primitive):
    """Zeros of ``shape`` with the last dimension of the input on their ``offset`` diagonal (the
    adjoint of ``Diagonal``); the gradient is that diagonal of the output's gradient."""

    saves_inputs = False

    def forward(self, g, shape, offset):
        self.offset, self.shape = offset, shape
        out = backend.xp_of(g).zeros(shape, dtype=g.dtype)
        diagonal_view(out, offset)[...] = g
        return out

    def jvp(self, tg, *rest):
        return None if tg is None else DiagonalScatter.apply(tg, shape=self.shape,
                                                             offset=self.offset)

    def backward(self, g):
        return Diagonal.apply(g, offset=self.offset)


class GetItem(Primitive):
    """Indexing (basic or advanced); the gradient is scattered back by IndexAdd."""

    saves_inputs = False

    def forward(self, a, index):
        self.in_shape, self.index = a.shape, index
        self.basic = is_basic(index)
        return a[index]

    def jvp(self, ta, *rest):
        return fw.linear_jvp(self, ta)

    def backward(self, g):
        return IndexAdd.apply(g, shape=self.in_shape, index=self.index, basic=self.basic)


class IndexAdd(Primitive):
    """Scatter ``g`` into zeros of ``shape`` at ``index``, adding at repeated indices: the adjoint
    of ``GetItem``, whose own gradient is ``GetItem`` again."""

    saves_inputs = False

    def forward(self, g, shape, index, basic):
        self.index, self.basic = index, basic
        out = backend.xp_of(g).zeros(shape, dtype=g.dtype)
        if basic:  # slices and ints cannot repeat an element: plain assignment suffices
            out[index] = g
        else:
            backend.scatter_add(out, index, g)
        return out

    def jvp(self, ta, *rest):
        return fw.linear_jvp(self, ta)

    def backward(self, g):
        return GetItem.apply(g, index=self.index)


class Pad(Primitive):
    """Constant padding; the gradient is the unpadded slice."""

    saves_inputs = False

    def forward(self, a, widths, value):
        self.slices = tuple(slice(lo, lo + s) for (lo, _), s in zip(widths, a.shape))
        return backend.xp_of(a).pad(a, widths, mode="constant", constant_values=value)

    def jvp(self, ta, *rest):
        return fw.linear_jvp(self, ta, value=0.0)

    def backward(self, g):
        return GetItem.apply(g, index=self.slices)


class Cat(Primitive):
    """Concatenation along an axis; each input gets its slice of the gradient."""

    saves_inputs = False

    def forward(self, *arrays, axis):
        self.axis = axis
        self.sizes = [a.shape[axis] for a in arrays]
        return backend.xp_of(arrays[0]).concatenate(arrays, axis=axis)

    def jvp(self, *tangents):
        return Cat.apply(*[fw.zeros_for(x, t) for x, t in zip(self.inputs, tangents)],
                         **self.fw_kwargs)

    def backward(self, g):
        grads, start = [], 0
        lead = (slice(None),) * self.axis
        for i, size in enumerate(self.sizes):
            grads.append(g[lead + (slice(start, start + size),)] if self.needs_grad(i) else None)
            start += size
        return tuple(grads)


class SetItem(Primitive):
    """``out = a.copy(); out[index] = v``: the out-of-place form of ``a[index] = v``."""

    saves_inputs = False

    def forward(self, a, v, index):
        self.index = index
        out = a.copy()
        out[index] = v
        return out

    def jvp(self, ta, tb, *rest):
        a, v = self.inputs
        return SetItem.apply(fw.zeros_for(a, ta), fw.zeros_for(v, tb), **self.fw_kwargs)

    def backward(self, g):
        ga = gv = None
        if self.needs_grad(0):
            zero = g._const(backend.xp_of(g.data).zeros((), dtype=g.dtype))
            ga = SetItem.apply(g, zero, index=self.index)
        if self.needs_grad(1):
            gv = GetItem.apply(g, index=self.index)
        return ga, gv


class ViewScatter(Primitive):
    """``out = a.copy(); view(out)[...] = v``, the view given by ``steps`` (view primitives and
    their arguments, see ``autograd/views.py``): the node a base gets when one of its views is
    changed in place (torch's CopySlices). Its gradient: ``a`` gets ``g`` with the view's
    elements zeroed, ``v`` gets the view of ``g``."""

    saves_inputs = False

    def forward(self, a, v, steps):
        from ..autograd.views import region

        self.steps = steps
        xp = backend.xp_of(a)
        out = a.copy()  # C order, so its flat reshape is a view
        # the view's elements found by their logical positions in ``a`` (never by memory, which
        # differs between ``a`` and its copy)
        pos = region(xp.arange(a.size).reshape(a.shape), steps)
        out.reshape(-1)[pos] = v
        return out

    def backward(self, g):
        from ..autograd.views import region_of

        ga = gv = None
        if self.needs_grad(0):
            zero = g._const(backend.xp_of(g.data).zeros((), dtype=g.dtype))
            ga = ViewScatter.apply(g, zero, steps=self.steps)
        if self.needs_grad(1):
            gv = region_of(g, self.steps)
        return ga, gv
