"""Gathering and scattering, masks, matrix parts and rearranging: the methods of ``Tensor`` and
their ``tg.X`` function forms, with torch's names, signatures and semantics.

The work is done in ``indexing_gather.py`` (gather/scatter, index_*, masks, take/put, nonzero)
and ``indexing_layout.py`` (tril/triu/diagonal..., flip/roll/repeat...); every differentiable
one is a composition of existing primitives, so derivatives of any order work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import indexing_gather as G
from . import indexing_layout as L

if TYPE_CHECKING:
    from ..tensor import Tensor


class IndexingMethods:
    """Mixin of ``Tensor``: gathering and scattering, masks, matrix parts and rearranging."""

    __slots__ = ()

    # ------------------------------------------------------------------- gather and scatter
    def gather(self, dim: int, index: Any, *, sparse_grad: bool = False) -> Tensor:
        """``out[i][j] = self[index[i][j]][j]`` for ``dim=0`` (``self[i][index[i][j]]`` for 1).

        >>> import tinygrad_gd as tg
        >>> tg.tensor([[1.0, 2.0], [3.0, 4.0]]).gather(1, tg.tensor([[1], [0]])).tolist()
        [[2.0], [3.0]]
        """
        return G.gather(self, dim, index)

    def scatter(self, dim: int, index: Any, src: Any = None, value: Any = None, *,
                reduce: str | None = None) -> Tensor:
        """``self`` with ``out[index[i][j]][j] = src[i][j]`` (dim 0); ``src`` may be a scalar.
        ``self`` gets a zero gradient where overwritten, ``src`` the gathered one."""
        return G.scatter(self, dim, index, src, value, reduce=reduce)

    def scatter_(self, dim: int, index: Any, src: Any = None, value: Any = None, *,
                 reduce: str | None = None) -> Tensor:
        """In-place ``scatter``."""
        return G.inplace(self, "scatter_", lambda x: G.scatter(x, dim, index, src, value,
                                                               reduce=reduce), src, value)

    def scatter_add(self, dim: int, index: Any, src: Tensor) -> Tensor:
        """``self`` with ``src[i][j]`` added at ``out[index[i][j]][j]`` (dim 0); repeats add up."""
        return G.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim: int, index: Any, src: Tensor) -> Tensor:
        """In-place ``scatter_add``."""
        return G.inplace(self, "scatter_add_", lambda x: G.scatter_add(x, dim, index, src), src)

    def scatter_reduce(self, dim: int, index: Any, src: Tensor, reduce: str, *,
                       include_self: bool = True) -> Tensor:
        """Reduce ``src`` into ``self`` at ``index`` with sum, prod, mean, amax or amin."""
        return G.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def scatter_reduce_(self, dim: int, index: Any, src: Tensor, reduce: str, *,
                        include_self: bool = True) -> Tensor:
        """In-place ``scatter_reduce``."""
        return G.inplace(self, "scatter_reduce_", lambda x: G.scatter_reduce(
            x, dim, index, src, reduce, include_self=include_self), src)

    def index_select(self, dim: int, index: Any) -> Tensor:
        """The slices ``index`` (1-D) of dimension ``dim``, in that order."""
        return G.index_select(self, dim, index)

    def index_add(self, dim: int, index: Any, source: Tensor, *, alpha: Any = 1) -> Tensor:
        """``self`` with ``alpha * source`` added into the slices ``index`` along ``dim``."""
        return G.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim: int, index: Any, source: Tensor, *, alpha: Any = 1) -> Tensor:
        """In-place ``index_add``."""
        return G.inplace(self, "index_add_", lambda x: G.index_add(x, dim, index, source,
                                                                   alpha=alpha), source)

    def index_copy(self, dim: int, index: Any, source: Tensor) -> Tensor:
        """``self`` with the slices ``index`` along ``dim`` replaced by ``source``'s."""
        return G.index_copy(self, dim, index, source)

    def index_copy_(self, dim: int, index: Any, source: Tensor) -> Tensor:
        """In-place ``index_copy``."""
        return G.inplace(self, "index_copy_", lambda x: G.index_copy(x, dim, index, source),
                         source)

    def index_fill(self, dim: int, index: Any, value: Any) -> Tensor:
        """``self`` with the slices ``index`` along ``dim`` set to ``value``."""
        return G.index_fill(self, dim, index, value)

    def index_fill_(self, dim: int, index: Any, value: Any) -> Tensor:
        """In-place ``index_fill``."""
        return G.inplace(self, "index_fill_", lambda x: G.index_fill(x, dim, index, value),
                         value)

    def index_put(self, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
        """``self`` with ``self[indices] = values`` (``+=`` with ``accumulate``)."""
        return G.index_put(self, indices, values, accumulate)

    def index_put_(self, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
        """In-place ``index_put``."""
        return G.inplace(self, "index_put_", lambda x: G.index_put(x, indices, values,
                                                                   accumulate), values)

    # ----------------------------------------------------------------------------- masks
    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """``value`` where the bool ``mask`` is true (broadcasting), else ``self``."""
        return G.masked_fill(self, mask, value)

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """In-place ``masked_fill`` (the mask must broadcast to self's shape)."""
        return G.inplace(self, "masked_fill_", lambda x: G.masked_fill(x, mask, value), value)

    def masked_select(self, mask: Any) -> Tensor:
        """The elements where ``mask`` is true (broadcasting), as a 1-D tensor."""
        return G.masked_select(self, mask)

    def masked_scatter(self, mask: Any, source: Tensor) -> Tensor:
        """``self`` with the true positions of ``mask`` filled by ``source``'s elements in order."""
        return G.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask: Any, source: Tensor) -> Tensor:
        """In-place ``masked_scatter``."""
        return G.inplace(self, "masked_scatter_", lambda x: G.masked_scatter(x, mask, source),
                         source)

    # -------------------------------------------------------------------- flat take and put
    def take(self, index: Any) -> Tensor:
        """The elements of the flattened tensor at ``index``, in ``index``'s shape."""
        return G.take(self, index)

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Tensor:
        """``gather`` along ``dim`` with broadcasting (the flattened tensor when None)."""
        return G.take_along_dim(self, indices, dim)

    def put(self, index: Any, source: Tensor, accumulate: bool = False) -> Tensor:
        """``self`` with the flat positions ``index`` set to (or increased by) ``source``."""
        return G.put(self, index, source, accumulate)

    def put_(self, index: Any, source: Tensor, accumulate: bool = False) -> Tensor:
        """In-place ``put``."""
        return G.inplace(self, "put_", lambda x: G.put(x, index, source, accumulate), source)

    # -------------------------------------------------------------------- nonzero and where
    def nonzero(self, *, as_tuple: bool = False) -> Any:
        """The ``(n, ndim)`` int64 indices of the nonzero elements (a tuple of 1-D tensors,
        one per dimension, with ``as_tuple=True``)."""
        return G.nonzero(self, as_tuple=as_tuple)

    def argwhere(self) -> Tensor:
        """The ``(n, ndim)`` int64 indices of the nonzero elements."""
        return G.argwhere(self)

    # ---------------------------------------------------------------------- matrix parts
    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two dimensions, zeros above."""
        return L.tril(self, diagonal)

    def tril_(self, diagonal: int = 0) -> Tensor:
        """In-place ``tril``."""
        return G.inplace(self, "tril_", lambda x: L.tril(x, diagonal))

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two dimensions, zeros below."""
        return L.triu(self, diagonal)

    def triu_(self, diagonal: int = 0) -> Tensor:
        """In-place ``triu``."""
        return G.inplace(self, "triu_", lambda x: L.triu(x, diagonal))

    def diag(self, diagonal: int = 0) -> Tensor:
        """1-D: the matrix with it on the ``diagonal``; 2-D: that diagonal."""
        return L.diag(self, diagonal)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        """The ``offset`` diagonal of the planes ``(dim1, dim2)``, as the last dimension."""
        return L.diagonal(self, offset, dim1, dim2)

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
        """Matrices with the last dimension on their ``offset`` diagonal."""
        return L.diag_embed(self, offset, dim1, dim2)

    def diagflat(self, offset: int = 0) -> Tensor:
        """The matrix with the flattened tensor on its ``offset`` diagonal."""
        return L.diagflat(self, offset)

    def trace(self) -> Tensor:
        """The sum of a matrix's main diagonal."""
        return L.trace(self)

    def fill_diagonal_(self, fill_value: Any, wrap: bool = False) -> Tensor:
        """Set the main diagonal to ``fill_value``, in place."""
        return L.fill_diagonal_(self, fill_value, wrap)

    # ----------------------------------------------------------------------- rearranging
    def flip(self, *dims: Any) -> Tensor:
        """Reverse the order of the elements along ``dims``."""
        return L.flip(self, *dims)

    def fliplr(self) -> Tensor:
        """Reverse the columns (dim 1)."""
        return L.fliplr(self)

    def flipud(self) -> Tensor:
        """Reverse the rows (dim 0)."""
        return L.flipud(self)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        """Shift the elements cyclically along ``dims`` (flattened when None)."""
        return L.roll(self, shifts, dims)

    def rot90(self, k: int = 1, dims: Any = (0, 1)) -> Tensor:
        """Rotate by ``k`` quarter turns in the plane ``dims``."""
        return L.rot90(self, k, dims)

    def repeat(self, *sizes: Any) -> Tensor:
        """Tile the tensor ``sizes[i]`` times along each dimension (torch's ``repeat``)."""
        return L.repeat(self, *sizes)

    def tile(self, *dims: Any) -> Tensor:
        """``repeat`` with missing leading sizes taken as 1."""
        return L.tile(self, *dims)

    def repeat_interleave(self, repeats: Any, dim: int | None = None, *,
                          output_size: int | None = None) -> Tensor:
        """Repeat each element (slice along ``dim``) ``repeats`` times."""
        return L.repeat_interleave(self, repeats, dim, output_size=output_size)


# ---------------------------------------------------------------------- the tg.X functions


def _tensor(x: Any) -> Tensor:
    from ..tensor import Tensor

    return x if isinstance(x, Tensor) else Tensor(x)


def gather(input: Any, dim: int, index: Any, *, sparse_grad: bool = False) -> Tensor:  # noqa: A002
    """``input.gather(dim, index)``."""
    return G.gather(_tensor(input), dim, index)


def scatter(input: Any, dim: int, index: Any, src: Any = None, value: Any = None, *,  # noqa: A002
            reduce: str | None = None) -> Tensor:
    """``input.scatter(dim, index, src)``."""
    return G.scatter(_tensor(input), dim, index, src, value, reduce=reduce)


def scatter_add(input: Any, dim: int, index: Any, src: Tensor) -> Tensor:  # noqa: A002
    """``input.scatter_add(dim, index, src)``."""
    return G.scatter_add(_tensor(input), dim, index, src)


def scatter_reduce(input: Any, dim: int, index: Any, src: Tensor, reduce: str, *,  # noqa: A002
                   include_self: bool = True) -> Tensor:
    """``input.scatter_reduce(dim, index, src, reduce, include_self=...)``."""
    return G.scatter_reduce(_tensor(input), dim, index, src, reduce, include_self=include_self)


def index_select(input: Any, dim: int, index: Any) -> Tensor:  # noqa: A002
    """``input.index_select(dim, index)``."""
    return G.index_select(_tensor(input), dim, index)


def index_add(input: Any, dim: int, index: Any, source: Tensor, *,  # noqa: A002
              alpha: Any = 1) -> Tensor:
    """``input.index_add(dim, index, source, alpha=...)``."""
    return G.index_add(_tensor(input), dim, index, source, alpha=alpha)


def index_copy(input: Any, dim: int, index: Any, source: Tensor) -> Tensor:  # noqa: A002
    """``input.index_copy(dim, index, source)``."""
    return G.index_copy(_tensor(input), dim, index, source)


def index_fill(input: Any, dim: int, index: Any, value: Any) -> Tensor:  # noqa: A002
    """``input.index_fill(dim, index, value)``."""
    return G.index_fill(_tensor(input), dim, index, value)


def index_put(input: Any, indices: Any, values: Any, accumulate: bool = False  # noqa: A002
              ) -> Tensor:
    """``input.index_put(indices, values, accumulate)``."""
    return G.index_put(_tensor(input), indices, values, accumulate)


def masked_fill(input: Any, mask: Any, value: Any) -> Tensor:  # noqa: A002
    """``input.masked_fill(mask, value)``."""
    return G.masked_fill(_tensor(input), mask, value)


def masked_select(input: Any, mask: Any) -> Tensor:  # noqa: A002
    """``input.masked_select(mask)``: a 1-D tensor of the selected elements."""
    return G.masked_select(_tensor(input), mask)


def masked_scatter(input: Any, mask: Any, source: Tensor) -> Tensor:  # noqa: A002
    """``input.masked_scatter(mask, source)``."""
    return G.masked_scatter(_tensor(input), mask, source)


def take(input: Any, index: Any) -> Tensor:  # noqa: A002
    """``input.take(index)``: elements of the flattened tensor."""
    return G.take(_tensor(input), index)


def take_along_dim(input: Any, indices: Any, dim: int | None = None) -> Tensor:  # noqa: A002
    """``input.take_along_dim(indices, dim)``."""
    return G.take_along_dim(_tensor(input), indices, dim)


def put(input: Any, index: Any, source: Tensor, accumulate: bool = False) -> Tensor:  # noqa: A002
    """``input.put(index, source, accumulate)``."""
    return G.put(_tensor(input), index, source, accumulate)


def nonzero(input: Any, *, as_tuple: bool = False) -> Any:  # noqa: A002
    """The indices of the nonzero elements: ``(n, ndim)`` int64, or a tuple with ``as_tuple``.

    >>> import tinygrad_gd as tg
    >>> tg.nonzero(tg.tensor([[0, 1], [2, 0]])).tolist()
    [[0, 1], [1, 0]]
    """
    return G.nonzero(_tensor(input), as_tuple=as_tuple)


def argwhere(input: Any) -> Tensor:  # noqa: A002
    """``nonzero(input)``: the ``(n, ndim)`` indices of the nonzero elements."""
    return G.argwhere(_tensor(input))


def where(condition: Any, input: Any = None, other: Any = None) -> Any:  # noqa: A002
    """``input`` where ``condition`` is true, else ``other`` (broadcasting; scalars allowed;
    differentiable in both); with the condition alone, ``nonzero(condition, as_tuple=True)``.

    >>> import tinygrad_gd as tg
    >>> tg.where(tg.tensor([True, False]), tg.tensor([1.0, 2.0]), 0.0).tolist()
    [1.0, 0.0]
    >>> tg.where(tg.tensor([0, 3, 5]))[0].tolist()
    [1, 2]
    """
    from ..tensor_ops import where as where3

    if input is None and other is None:
        return G.nonzero(_tensor(condition), as_tuple=True)
    if input is None or other is None:
        raise TypeError("where: give both input and other, or the condition alone")
    return where3(condition, input, other)


def tril(input: Any, diagonal: int = 0) -> Tensor:  # noqa: A002
    """``input.tril(diagonal)``: the lower triangle."""
    return L.tril(_tensor(input), diagonal)


def triu(input: Any, diagonal: int = 0) -> Tensor:  # noqa: A002
    """``input.triu(diagonal)``: the upper triangle."""
    return L.triu(_tensor(input), diagonal)


def diag(input: Any, diagonal: int = 0) -> Tensor:  # noqa: A002
    """``input.diag(diagonal)``: vector to matrix, or a matrix's diagonal."""
    return L.diag(_tensor(input), diagonal)


def diagonal(input: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    """``input.diagonal(offset, dim1, dim2)``."""
    return L.diagonal(_tensor(input), offset, dim1, dim2)


def diag_embed(input: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: A002
    """``input.diag_embed(offset, dim1, dim2)``."""
    return L.diag_embed(_tensor(input), offset, dim1, dim2)


def diagflat(input: Any, offset: int = 0) -> Tensor:  # noqa: A002
    """``input.diagflat(offset)``."""
    return L.diagflat(_tensor(input), offset)


def trace(input: Any) -> Tensor:  # noqa: A002
    """``input.trace()``: the sum of a matrix's diagonal."""
    return L.trace(_tensor(input))


def flip(input: Any, dims: Any) -> Tensor:  # noqa: A002
    """``input.flip(dims)``."""
    return L.flip(_tensor(input), dims)


def fliplr(input: Any) -> Tensor:  # noqa: A002
    """``input.fliplr()``."""
    return L.fliplr(_tensor(input))


def flipud(input: Any) -> Tensor:  # noqa: A002
    """``input.flipud()``."""
    return L.flipud(_tensor(input))


def roll(input: Any, shifts: Any, dims: Any = None) -> Tensor:  # noqa: A002
    """``input.roll(shifts, dims)``."""
    return L.roll(_tensor(input), shifts, dims)


def rot90(input: Any, k: int = 1, dims: Any = (0, 1)) -> Tensor:  # noqa: A002
    """``input.rot90(k, dims)``."""
    return L.rot90(_tensor(input), k, dims)


def tile(input: Any, dims: Any) -> Tensor:  # noqa: A002
    """``input.tile(dims)``."""
    return L.tile(_tensor(input), dims)


def repeat_interleave(input: Any, repeats: Any = None, dim: int | None = None, *,  # noqa: A002
                      output_size: int | None = None) -> Tensor:
    """``input.repeat_interleave(repeats, dim)``; with one tensor of counts,
    ``arange(len(counts))`` repeated by them."""
    x = _tensor(input)
    if repeats is None:
        from ..tensor import Tensor

        n = x.shape[0] if x.ndim else 1
        ar = Tensor._make(x.xp.arange(n), x.device)
        return L.repeat_interleave(ar, x, 0, output_size=output_size)
    return L.repeat_interleave(x, repeats, dim, output_size=output_size)


__all__ = [
    "gather", "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add",
    "index_copy", "index_fill", "index_put", "masked_fill", "masked_select", "masked_scatter",
    "take", "take_along_dim", "put", "nonzero", "argwhere", "where", "tril", "triu", "diag",
    "diagonal", "diag_embed", "diagflat", "trace", "flip", "fliplr", "flipud", "roll", "rot90",
    "tile", "repeat_interleave",
]
