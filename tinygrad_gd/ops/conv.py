"""Primitives for convolution and pooling: ``Im2Col`` and its adjoint ``Col2Im``, a gather /
scatter pair along one axis (``TakeAlong`` / ``PutAlong``) for max pooling over overlapping
windows, and a gather / scatter pair over window taps (``PoolGather`` / ``PoolScatter``) for the
common non-overlapping case.

A convolution is ``weight (O, C*kh*kw) @ Im2Col(x) (C*kh*kw, Ho*Wo*N)``: one matrix product, then
a free reshape and permute to ``(N, O, Ho, Wo)``. Images are *stored* batch-last, ``(C, H, W, N)``
(the tensors' logical shape stays ``(N, C, H, W)``; only the strides differ), and the columns
``(C, kh, kw, Ho, Wo, N)``, because then

* the columns are built with one slice copy per kernel tap (kh*kw copies -- no loop over pixels)
  whose contiguous runs are ``Wo * N`` long. With the batch first the runs are ``Wo`` long and
  per-run overhead dominates: for a 16-channel 13x13 batch of 128 the copy takes 0.2 ms instead
  of 1.9 ms, and ``Col2Im`` 1.2 ms instead of 2.9 ms on this machine;
* the product's output ``(O, Ho*Wo*N)`` is already the next layer's storage order, elementwise
  layers keep it (NumPy's ``order="K"``), and the gradient comes back in it, so the backward
  pass reshapes for free;
* pooling sees each channel's windows as ``(C, kh*kw, Ho, Wo, N)``, reduced over axis 1.

An input stored another way (a user's ``(N, C, H, W)`` batch) is copied to batch-last once.
``Col2Im`` (sum the columns back onto the overlapping input positions) is the adjoint of
``Im2Col``, and each one's backward is the other, so convolutions differentiate to any order.
"""

from __future__ import annotations

from .. import backend
from ..autograd import forward_ad as fw
from ..autograd.engine import Primitive
from . import pool
from .movement import GetItem

Pair = tuple[int, int]


ONE: Pair = (1, 1)


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """Number of window positions along one axis (floor mode, as torch)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _windows(xt, kernel: Pair, stride: Pair, out_hw: Pair, dilation: Pair = ONE):
    """Per-tap strided slices of a padded ``(C, Hp, Wp, N)`` array: ``(i, j, view)``."""
    (kh, kw), (sh, sw), (ho, wo), (dh, dw) = kernel, stride, out_hw, dilation
    for i in range(kh):
        a = i * dh
        for j in range(kw):
            b = j * dw
            yield i, j, xt[:, a:a + sh * (ho - 1) + 1:sh, b:b + sw * (wo - 1) + 1:sw]


def batch_last(x):
    """``x (N, C, H, W)`` as a ``(C, H, W, N)`` array, a free view when stored that way."""
    xt = x.transpose(1, 2, 3, 0)
    return xt if xt.flags.c_contiguous else backend.xp_of(x).ascontiguousarray(xt)


def im2col_array(x, kernel: Pair, stride: Pair, padding: Pair, pad_value: float = 0.0,
                 dilation: Pair = ONE):
    """``x (N, C, H, W)`` -> columns ``(C, kh, kw, Ho, Wo, N)``, a new contiguous array."""
    xp = backend.xp_of(x)
    n, c, h, w = x.shape
    (kh, kw), (ph, pw) = kernel, padding
    ho = output_size(h, kh, stride[0], ph, dilation[0])
    wo = output_size(w, kw, stride[1], pw, dilation[1])
    if ph or pw:  # the padded copy is batch-last whatever x's storage
        xt = xp.pad(x.transpose(1, 2, 3, 0), ((0, 0), (ph, ph), (pw, pw), (0, 0)),
                    mode="constant", constant_values=pad_value)
    else:
        xt = batch_last(x)
    cols = pool.empty((c, kh, kw, ho, wo, n), x.dtype, x)  # reused from step to step
    for i, j, view in _windows(xt, kernel, stride, (ho, wo), dilation):
        cols[:, i, j] = view
    return cols


def col2im_array(cols, in_shape: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair,
                 dilation: Pair = ONE):
    """The adjoint of ``im2col_array``: add each column entry back onto its input position.
    Returns an ``(N, C, H, W)`` view of a batch-last array."""
    n, c, h, w = in_shape
    (ph, pw) = padding
    ho, wo = cols.shape[3], cols.shape[4]
    out = pool.zeros((c, h + 2 * ph, w + 2 * pw, n), cols.dtype, cols)
    # the span of a dilated window, (k - 1) * d + 1, within the stride: no position repeats
    non_overlapping = ((kernel[0] - 1) * dilation[0] < stride[0]
                       and (kernel[1] - 1) * dilation[1] < stride[1])
    for i, j, view in _windows(out, kernel, stride, (ho, wo), dilation):
        if non_overlapping:  # each position is written at most once: plain assignment
            view[...] = cols[:, i, j]
        else:
            view += cols[:, i, j]
    return out[:, ph:ph + h, pw:pw + w].transpose(3, 0, 1, 2)


class Im2Col(Primitive):
    """Sliding windows of ``x (N, C, H, W)`` as columns ``(C, kh, kw, Ho, Wo, N)``.

    ``pad_value`` fills the padding (``-inf`` for max pooling); padded entries get no gradient.
    ``dilation`` spaces the taps of a window apart.
    """

    saves_inputs = False

    def forward(self, x, kernel, stride, padding, pad_value=0.0, dilation=ONE):
        self.in_shape, self.kernel, self.stride, self.padding = x.shape, kernel, stride, padding
        self.dilation = dilation
        return im2col_array(x, kernel, stride, padding, pad_value, dilation)

    def jvp(self, ta, *rest):
        return fw.linear_jvp(self, ta, pad_value=0.0)  # padding is constant

    def backward(self, g):
        return Col2Im.apply(g, in_shape=self.in_shape, kernel=self.kernel, stride=self.stride,
                            padding=self.padding, dilation=self.dilation)


class Col2Im(Primitive):
    """Columns ``(C, kh, kw, Ho, Wo, N)`` summed back into an ``(N, C, H, W)`` image.

    The image may be larger than the windows cover (a transposed convolution's
    ``output_padding``); the backward pass then keeps only the ``Ho x Wo`` windows given."""

    saves_inputs = False

    def forward(self, cols, in_shape, kernel, stride, padding, dilation=ONE):
        self.kernel, self.stride, self.padding = kernel, stride, padding
        self.dilation, self.out_hw = dilation, cols.shape[3:5]
        return col2im_array(cols, in_shape, kernel, stride, padding, dilation)

    def jvp(self, ta, *rest):
        return fw.linear_jvp(self, ta)

    def backward(self, g):
        cols = Im2Col.apply(g, kernel=self.kernel, stride=self.stride, padding=self.padding,
                            dilation=self.dilation)
        if tuple(cols.shape[3:5]) != tuple(self.out_hw):
            cols = cols[:, :, :, :self.out_hw[0], :self.out_hw[1]]
        return cols


class TakeAlong(Primitive):
    """``out = take_along_axis(x, index, axis)`` with a constant integer ``index`` that has size 1
    along ``axis`` (one element picked per slice, as max pooling picks one per window); the
    axis is dropped from the result."""

    saves_inputs = False

    def forward(self, x, index, axis):
        self.index, self.axis, self.size = index, axis, x.shape[axis]
        xp = backend.xp_of(x)
        return xp.take_along_axis(x, index, axis=axis).squeeze(axis)

    def jvp(self, ta, *rest):
        return fw.linear_jvp(self, ta)

    def backward(self, g):
        return PutAlong.apply(g, index=self.index, axis=self.axis, size=self.size)


class PutAlong(Primitive):
    """The adjoint of ``TakeAlong``: zeros of size ``size`` along ``axis`` with ``g`` put at
    ``index`` (no index repeats within a slice, so no accumulation is needed)."""

    saves_inputs = False

    def forward(self, g, index, axis, size):
        self.index, self.axis = index, axis
        xp = backend.xp_of(g)
        shape = [1] * g.ndim
        shape.insert(axis, size)
        taps = xp.arange(size).reshape(shape)
        # one broadcast comparison builds the one-hot mask; multiplying places g
        return (index == taps) * xp.expand_dims(g, axis)

    def jvp(self, ta, *rest):
        return fw.linear_jvp(self, ta)

    def backward(self, g):
        return TakeAlong.apply(g, index=self.index, axis=self.axis)


def first_argmax(cols, axis: int):
    """Index of the first maximum along ``axis`` (kept as a size-1 axis), as torch's max pooling
    routes a tied window's gradient to one element. Counted as "how many leading taps miss the
    maximum" with one comparison per tap: ``argmax`` over a middle axis would copy the array."""
    xp = backend.xp_of(cols)
    best = cols.max(axis=axis, keepdims=True)
    index = xp.zeros(best.shape, dtype=xp.intp)
    # a NaN is the maximum of its window (as torch) but never equals it: match it by NaN-ness
    # too, checked only when a NaN is there (one pass over the small output; on a GPU NaNs are
    # assumed rather than looked for, which would be a sync)
    has_nan = backend.is_floating(best.dtype) and (not backend.is_host(best)
                                                   or bool(xp.isnan(best).any()))
    still_missing = None
    lead = (slice(None),) * axis
    for t in range(cols.shape[axis] - 1):
        tap = cols[lead + (slice(t, t + 1),)]  # a view (take with [t] copies the list in)
        miss = tap != best
        if has_nan:
            miss &= tap == tap
        still_missing = miss if still_missing is None else still_missing & miss
        index += still_missing
    return index


# --------------------------------------------------------------------------------------------
# Max pooling over non-overlapping windows (stride == kernel, no padding): the common case,
# done on strided views of the input with one operation per window tap -- no column copy.
def _tap(a, i: int, j: int, kernel: Pair, out_hw: Pair):
    """The view of ``a (N, C, H, W)`` holding tap ``(i, j)`` of every window: ``(N, C, Ho, Wo)``."""
    (kh, kw), (ho, wo) = kernel, out_hw
    return a[:, :, i:ho * kh:kh, j:wo * kw:kw]


def _taps(kernel: Pair):
    return [(t, divmod(t, kernel[1])) for t in range(kernel[0] * kernel[1])]


def window_max(x, kernel: Pair):
    """Max of each non-overlapping window of ``x (N, C, H, W)`` and the tap index (row-major in
    the window) of its first maximum, as torch routes a tied window's gradient to one element."""
    xp = backend.xp_of(x)
    out_hw = (x.shape[2] // kernel[0], x.shape[3] // kernel[1])
    taps = _taps(kernel)
    # np.copy keeps the storage order of the view (batch-last after a convolution)
    best = xp.copy(_tap(x, 0, 0, kernel, out_hw))
    for _, (i, j) in taps[1:]:
        xp.maximum(best, _tap(x, i, j, kernel, out_hw), out=best)
    # index of the first maximum = how many leading taps miss it; counted with boolean
    # arithmetic (masked writes such as copyto(where=) are ~10x slower here)
    index = xp.zeros_like(best, dtype=xp.int8 if len(taps) < 128 else xp.int64)  # same order
    # see first_argmax; on a GPU NaNs are assumed rather than looked for (that would be a sync)
    has_nan = backend.is_floating(best.dtype) and (not backend.is_host(best)
                                                   or bool(xp.isnan(best).any()))
    still_missing = None
    for _, (i, j) in taps[:-1]:
        tap = _tap(x, i, j, kernel, out_hw)
        miss = tap != best
        if has_nan:
            miss &= tap == tap
        still_missing = miss if still_missing is None else still_missing & miss
        index += still_missing
    return best, index


def storage_order(a) -> tuple[int, ...]:
    """The axes of ``a`` from the largest stride to the smallest: its order in memory."""
    return tuple(sorted(range(a.ndim), key=lambda ax: -a.strides[ax]))


def zeros_in_order(shape: tuple[int, ...], order: tuple[int, ...], dtype, xp):
    """Zeros of logical ``shape`` stored in axis ``order``, so that a gradient keeps the storage
    of the forward input and reaches the convolution's backward pass without a copy."""
    inverse = [0] * len(order)
    for pos, ax in enumerate(order):
        inverse[ax] = pos
    return xp.zeros(tuple(shape[ax] for ax in order), dtype=dtype).transpose(inverse)


def _copy_in_order(a, order: tuple[int, ...], xp):
    """``a``'s values stored in axis ``order`` (as ``zeros_in_order``)."""
    out = zeros_in_order(a.shape, order, a.dtype, xp)
    out[...] = a
    return out


class PoolGather(Primitive):
    """Pick, in each non-overlapping window of ``x (N, C, H, W)``, the tap named by ``index``
    (``(N, C, Ho, Wo)``, constant). ``values`` hands in the result when it is already known
    (the window maxima). The adjoint is ``PoolScatter``."""

    saves_inputs = False

    def forward(self, x, index, kernel, values=None):
        self.index, self.kernel, self.in_shape = index, kernel, x.shape
        self.order = storage_order(x)
        if values is not None:
            return values
        xp = backend.xp_of(x)
        out_hw = index.shape[2:]
        out = xp.zeros_like(index, dtype=x.dtype)
        for t, (i, j) in _taps(kernel):
            xp.copyto(out, _tap(x, i, j, kernel, out_hw), where=index == t)
        return out

    def jvp(self, ta, *rest):
        return fw.linear_jvp(self, ta, values=None)

    def backward(self, g):
        return PoolScatter.apply(g, index=self.index, kernel=self.kernel, in_shape=self.in_shape,
                                 order=self.order)


class PoolScatter(Primitive):
    """Put ``g (N, C, Ho, Wo)`` at the tap named by ``index`` of each window of a zero
    ``(N, C, H, W)`` image (rows and columns beyond the last whole window stay zero). The
    adjoint is ``PoolGather``."""

    saves_inputs = False

    def forward(self, g, index, kernel, in_shape, order):
        self.index, self.kernel = index, kernel
        xp = backend.xp_of(g)
        out = zeros_in_order(in_shape, order, g.dtype, xp)
        if g.ndim == len(order) and storage_order(g) != order:
            # (a flattened layer's C-ordered gradient, say): one copy into the windows' order,
            # not four writes that stride across it, each several times slower than the copy
            g = _copy_in_order(g, order, xp)
        out_hw = index.shape[2:]
        for t, (i, j) in _taps(kernel):
            xp.multiply(g, index == t, out=_tap(out, i, j, kernel, out_hw))
        return out

    def jvp(self, ta, *rest):
        return fw.linear_jvp(self, ta)

    def backward(self, g):
        return PoolGather.apply(g, index=self.index, kernel=self.kernel)


class Unpool(Primitive):
    """Zeros of ``shape`` with ``x`` written at ``index`` (max unpooling). A position named twice
    (overlapping pooling windows name the same maximum) is written, not summed, as torch; the
    gradient of every input element is the output gradient at its index, as torch's."""

    saves_inputs = False

    def forward(self, x, shape, index):
        self.index = index
        out = backend.xp_of(x).zeros(shape, dtype=x.dtype)
        out[index] = x
        return out

    def jvp(self, ta, *rest):
        return fw.linear_jvp(self, ta)

    def backward(self, g):
        return GetItem.apply(g, index=self.index)
