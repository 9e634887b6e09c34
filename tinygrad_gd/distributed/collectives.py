"""Collectives with torch's names, in place on a Tensor's data (as ``torch.distributed``).

They work on ``tensor.data`` directly, outside autograd (as torch's c10d collectives), and bump
the tensor's version counter, as any in-place change does. ``async_op=True`` returns a ``Work``
whose ``wait()`` completes the operation (non-blocking MPI underneath).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

import numpy as np

from . import _mpi
from .process_group import _world


class ReduceOp(Enum):
    """How ``all_reduce``/``reduce`` combine the ranks' values; the strings work too."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"


def _op(op: Any, dtype: np.dtype, what: str) -> tuple[Any, bool]:
    """The MPI operation for ``op`` on ``dtype``, and whether to divide by the world size."""
    if isinstance(op, str):
        try:
            op = ReduceOp(op.lower())
        except ValueError:
            raise ValueError(f"{what}: unknown op {op!r}; expected one of "
                             f"{[o.value for o in ReduceOp]}") from None
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{what}: op must be a ReduceOp or its name, got {type(op).__name__}")
    MPI = _mpi.mpi()  # noqa: N806
    if op is ReduceOp.AVG and dtype.kind != "f":
        raise TypeError(f"{what}: ReduceOp.AVG needs a floating tensor, got {dtype}")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and dtype.kind not in "iub":
        raise TypeError(f"{what}: bitwise {op.name} needs an integer or bool tensor, got {dtype}")
    if dtype.kind == "b":  # MPI's logical ops: sum/max of bools is "any", product/min "all"
        logical = {ReduceOp.SUM: MPI.LOR, ReduceOp.MAX: MPI.LOR, ReduceOp.BOR: MPI.LOR,
                   ReduceOp.PRODUCT: MPI.LAND, ReduceOp.MIN: MPI.LAND, ReduceOp.BAND: MPI.LAND,
                   ReduceOp.BXOR: MPI.LXOR}
        return logical[op], False
    table = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
             ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND,
             ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}
    return table[op], op is ReduceOp.AVG


class Work:
    """A collective in flight (``async_op=True``): ``wait()`` finishes it and writes the result
    into the tensor; ``is_completed()`` polls."""

    def __init__(self, request: Any, finish: Callable[[], None] | None) -> None:
        self._request, self._finish, self._done = request, finish, False

    def is_completed(self) -> bool:
        """Whether the communication has finished (finishing it if so)."""
        if not self._done and self._request.Test():
            self.wait()
        return self._done

    def wait(self, timeout: Any = None) -> bool:
        """Block until the collective is complete and its result is in the tensor."""
        if not self._done:
            self._request.Wait()
            if self._finish is not None:
                self._finish()
            self._done = True
        return True


def _check(tensor: Any, what: str) -> None:
    from ..tensor import Tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what}: expected a Tensor, got {type(tensor).__name__}")


def _run(tensor: Any, start: Callable[[Any], Any], after: Callable[[Any], None] | None,
         async_op: bool) -> Work | None:
    """Start a non-blocking collective on ``tensor``'s buffer; finish now or in ``Work.wait``."""
    buf, write_back = _mpi.as_buffer(tensor.data)
    request = start(buf)

    def finish() -> None:
        if after is not None:
            after(buf)
        if write_back is not None:
            write_back(buf)
        tensor._version[0] += 1  # an in-place change: autograd must see it

    work = Work(request, finish)
    if async_op:
        return work
    work.wait()
    return None


def all_reduce(tensor: Any, op: Any = ReduceOp.SUM, group: Any = None,
               async_op: bool = False) -> Work | None:
    """Combine ``tensor`` over all ranks with ``op``; every rank ends with the result, in place.

    ``ReduceOp.AVG`` sums, then divides by the world size (floating tensors only).
    """
    _check(tensor, "all_reduce")
    pg = _world(group, "all_reduce")
    mpi_op, divide = _op(op, tensor.data.dtype, "all_reduce")
    MPI = _mpi.mpi()  # noqa: N806
    n = pg.size()

    def after(buf: Any) -> None:
        if divide:
            buf /= n
    return _run(tensor, lambda buf: pg.comm.Iallreduce(MPI.IN_PLACE, buf, op=mpi_op),
                after, async_op)


def broadcast(tensor: Any, src: int = 0, group: Any = None, async_op: bool = False,
              group_src: int | None = None) -> Work | None:
    """Copy ``tensor`` of rank ``src`` into ``tensor`` on every rank, in place."""
    _check(tensor, "broadcast")
    pg = _world(group, "broadcast")
    src = src if group_src is None else group_src
    _check_rank(src, pg.size(), "broadcast", "src")
    return _run(tensor, lambda buf: pg.comm.Ibcast(buf, root=src), None, async_op)


def reduce(tensor: Any, dst: int = 0, op: Any = ReduceOp.SUM, group: Any = None,
           async_op: bool = False, group_dst: int | None = None) -> Work | None:
    """Combine ``tensor`` over all ranks into rank ``dst``'s tensor (the others keep theirs)."""
    _check(tensor, "reduce")
    pg = _world(group, "reduce")
    dst = dst if group_dst is None else group_dst
    _check_rank(dst, pg.size(), "reduce", "dst")
    mpi_op, divide = _op(op, tensor.data.dtype, "reduce")
    MPI = _mpi.mpi()  # noqa: N806
    root = pg.rank() == dst
    n = pg.size()
    if not root:  # send a copy: this rank's tensor must stay as it is
        buf, _ = _mpi.as_buffer(tensor.data)
        request = pg.comm.Ireduce(np.ascontiguousarray(buf), None, op=mpi_op, root=dst)
        work = Work(request, None)
        if async_op:
            return work
        work.wait()
        return None

    def after(buf: Any) -> None:
        if divide:
            buf /= n
    return _run(tensor, lambda buf: pg.comm.Ireduce(MPI.IN_PLACE, buf, op=mpi_op, root=dst),
                after, async_op)


def all_gather(tensor_list: list, tensor: Any, group: Any = None,
               async_op: bool = False) -> Work | None:
    """Fill ``tensor_list[r]`` (one tensor per rank, shaped like ``tensor``) with rank ``r``'s
    ``tensor``, in place."""
    _check(tensor, "all_gather")
    pg = _world(group, "all_gather")
    n = pg.size()
    if not isinstance(tensor_list, (list, tuple)) or len(tensor_list) != n:
        raise ValueError(f"all_gather: tensor_list must hold one tensor per rank ({n}), got "
                         f"{len(tensor_list) if isinstance(tensor_list, (list, tuple)) else 0}")
    for t in tensor_list:
        _check(t, "all_gather")
        if t.shape != tensor.shape or t.dtype != tensor.dtype:
            raise ValueError(f"all_gather: every output tensor must have the input's shape "
                             f"{tuple(tensor.shape)} and dtype {tensor.dtype}, got "
                             f"{tuple(t.shape)} {t.dtype}")
    send, _ = _mpi.as_buffer(tensor.data)
    gathered = np.empty((n,) + send.shape, dtype=send.dtype) if _mpi.is_host(send) else \
        _like(send, (n,) + send.shape)
    request = pg.comm.Iallgather(send, gathered)

    def finish() -> None:
        for r, t in enumerate(tensor_list):
            _, write_back = _mpi.as_buffer(t.data)
            if write_back is None:
                t.data[...] = gathered[r]
            else:
                write_back(gathered[r])
            t._version[0] += 1
    work = Work(request, finish)
    if async_op:
        return work
    work.wait()
    return None


def all_gather_object(object_list: list, obj: Any, group: Any = None) -> None:
    """Fill ``object_list[r]`` with rank ``r``'s picklable ``obj``."""
    pg = _world(group, "all_gather_object")
    object_list[:] = pg.comm.allgather(obj)


def broadcast_object_list(object_list: list, src: int = 0, group: Any = None,
                          device: Any = None) -> None:
    """Replace ``object_list``'s items on every rank with those of rank ``src`` (pickled)."""
    pg = _world(group, "broadcast_object_list")
    object_list[:] = pg.comm.bcast(list(object_list), root=src)


def _like(buf: Any, shape: tuple) -> Any:
    from .. import backend

    return backend.xp_of(buf).empty(shape, dtype=buf.dtype)


def _check_rank(r: Any, n: int, what: str, name: str) -> None:
    if not isinstance(r, (int, np.integer)) or not 0 <= r < n:
        raise ValueError(f"{what}: {name}={r!r} is not a rank of the group (0..{n - 1})")
