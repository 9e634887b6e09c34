"""``DistributedDataParallel``: one model replica per rank, gradients averaged during backward.

How the averaging overlaps the backward pass: the parameters are grouped into buckets, the
first one small (1 MB) so communication starts early. Each parameter carries a
post-accumulate-grad hook; when the last gradient of a bucket has been accumulated, the bucket's
gradients are packed into one flat buffer and handed to a non-blocking ``Iallreduce``, and the
engine goes on with the rest of the backward pass meanwhile, while a helper thread keeps MPI
progressing the exchange (``progress.py``: MPI moves only inside MPI calls). Buckets start
strictly in index order, so every rank issues the same collectives in the same order (MPI
requires it). A callback queued on the engine waits for the remaining buckets when the pass
ends, so every ``.grad`` holds the average over ranks before ``backward()`` returns.

Bucket order: at construction, reverse registration order (the last layers' gradients come
first). The first synced backward records the order in which gradients actually became ready
(one layer's weight before its bias, for instance, which reverse order gets the other way
round, so a bucket boundary could fall between them and hold the bucket back until the end);
after it the buckets are rebuilt in rank 0's recorded order, as torch's DDP does, so each bucket
is complete the moment its last gradient is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from .. import backend
from ..autograd import engine
from ..nn.module import Module
from ..tensor import Tensor
from . import _mpi, progress
from .collectives import broadcast
from .process_group import _world

#: torch's ``dist._DEFAULT_FIRST_BUCKET_BYTES``: a small first bucket starts communication early.
FIRST_BUCKET_BYTES = 1 << 20


class _Bucket:
    """Parameters whose gradients are allreduced together, in one flat buffer."""

    def __init__(self, params: list[Tensor]) -> None:
        self.params = params
        self.ready: set[int] = set()
        self.request: Any = None
        self.buffer: Any = None
        self.nbytes = sum(p.data.nbytes for p in params)
        self.launched_at = -1  # how many gradients were ready when it started (last step)


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the ranks of ``mpiexec``.

    On construction, rank 0's parameters and buffers are broadcast to every rank. During
    ``backward()`` the gradients are averaged over the ranks, bucket by bucket, overlapping the
    rest of the backward pass, and complete when ``backward()`` returns. With
    ``broadcast_buffers`` (the default), rank 0's buffers (BatchNorm's running statistics) are
    broadcast at every forward. ``no_sync()`` skips the averaging (gradient accumulation).
    ``state_dict()`` is the wrapped module's, without the ``module.`` prefix torch adds, so a
    checkpoint loads into the plain model on one process.

    Usage (launched with ``mpiexec -n N python train.py``)::

        dist.init_process_group("mpi")
        model = DistributedDataParallel(build_model())
        loss_fn(model(x_shard), y_shard).backward()   # .grad: the average over ranks
        opt.step()
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool = True, process_group: Any = None,
                 bucket_cap_mb: float | None = 25, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected an nn.Module, got "
                            f"{type(module).__name__}")
        pg = _world(process_group, "DistributedDataParallel")
        self.module = module
        cap = 25.0 if bucket_cap_mb is None else float(bucket_cap_mb)
        if cap <= 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be > 0, got {cap}")
        d = self.__dict__  # plain attributes (not submodules or parameters)
        d["process_group"], d["broadcast_buffers"] = pg, broadcast_buffers
        d["bucket_bytes_cap"] = int(cap * 1024 * 1024)
        d["require_backward_grad_sync"] = True
        d["_active"] = False  # a synced forward ran; its backward must average
        d["_handles"] = []
        d["stats"] = {"allreduce_bytes": 0, "wait_seconds": 0.0, "steps": 0}
        d["_progress"] = progress.mode()
        self._check_same_model(pg)
        self._sync_module_states()
        params = [p for p in module.parameters() if p.requires_grad]
        d["_params"] = params
        d["_ready_order"] = []  # indices into _params, in readiness order (the last step)
        d["_rebuilt"] = False
        d["_buckets"], d["_bucket_of"] = self._make_buckets(params[::-1])
        for p in params:
            d["_handles"].append(p.register_post_accumulate_grad_hook(self._grad_ready))

    # ------------------------------------------------------------------ construction
    def _check_same_model(self, pg: Any) -> None:
        mine = [(n, tuple(p.shape), str(p.dtype)) for n, p in self.module.named_parameters()]
        theirs = pg.comm.allgather(mine)
        for r, other in enumerate(theirs):
            if other != mine:
                raise RuntimeError(f"DistributedDataParallel: rank {r}'s model has different "
                                   f"parameters (names, shapes or dtypes) from rank "
                                   f"{pg.rank()}'s; every rank must build the same model")

    def _sync_module_states(self) -> None:
        """Rank 0's parameters and buffers, everywhere."""
        for t in list(self.module.parameters()) + list(self.module.buffers()):
            broadcast(t, src=0)

    def _make_buckets(self, params: list[Tensor]) -> tuple[list[_Bucket], dict[int, _Bucket]]:
        """Consecutive runs of ``params`` (in the order their gradients are expected), cut at
        the size cap (1 MB for the first bucket) and where the dtype or device changes."""
        buckets: list[_Bucket] = []
        current: list[Tensor] = []
        size, cap = 0, min(FIRST_BUCKET_BYTES, self.bucket_bytes_cap)
        for p in params:
            if current and (size + p.data.nbytes > cap or p.dtype != current[0].dtype
                            or p._device != current[0]._device):
                buckets.append(_Bucket(current))
                current, size, cap = [], 0, self.bucket_bytes_cap
            current.append(p)
            size += p.data.nbytes
        if current:
            buckets.append(_Bucket(current))
        return buckets, {id(p): b for b in buckets for p in b.params}

    # ----------------------------------------------------------------------- forward
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The wrapped module's forward; arms the gradient averaging of the next backward."""
        if self.broadcast_buffers and self.require_backward_grad_sync:
            for b in self.module.buffers():
                broadcast(b, src=0)
        self._reset()
        self.__dict__["_active"] = self.require_backward_grad_sync
        return self.module(*args, **kwargs)

    @contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside, backward passes accumulate local gradients without averaging; the first
        synced backward after it averages the accumulated sums."""
        old = self.require_backward_grad_sync
        self.__dict__["require_backward_grad_sync"] = False
        try:
            yield
        finally:
            self.__dict__["require_backward_grad_sync"] = old

    # ---------------------------------------------------------------------- backward
    def _reset(self) -> None:
        for b in self._buckets:
            b.ready.clear()
            b.request = b.buffer = None
            b.launched_at = -1
        self.__dict__["_next"] = 0
        self.__dict__["_queued"] = False
        self._ready_order.clear()

    def _grad_ready(self, p: Tensor) -> None:
        """Post-accumulate hook: mark ``p`` ready; start every bucket that can start."""
        if not self._active:
            return
        if not self._queued:
            engine.queue_callback(self._finish)
            self.__dict__["_queued"] = True
        bucket = self._bucket_of[id(p)]
        if id(p) in bucket.ready:  # a second backward of the same forward: nothing new
            return
        bucket.ready.add(id(p))
        self._ready_order.append(self._index_of(p))
        self._launch_ready()
        if self._progress == "test":
            # MPI progresses non-blocking collectives inside MPI calls only: poke it now
            # (with the "thread" mode the polling thread does it; it alone may test them)
            requests = [b.request for b in self._buckets[:self._next] if b.request is not None]
            if requests:
                _mpi.mpi().Request.Testall(requests)

    def _index_of(self, p: Tensor) -> int:
        index = self.__dict__.get("_index")
        if index is None:
            index = self.__dict__["_index"] = {id(q): i for i, q in enumerate(self._params)}
        return index[id(p)]

    def _launch_ready(self, force: bool = False) -> None:
        buckets = self._buckets
        while self._next < len(buckets):
            b = buckets[self._next]
            if not force and len(b.ready) < len(b.params):
                return
            self._launch(b)
            self.__dict__["_next"] = self._next + 1

    def _launch(self, b: _Bucket) -> None:
        """Pack the bucket's gradients (zeros where a parameter got none) and start the sum."""
        MPI = _mpi.mpi()  # noqa: N806
        parts = []
        for p in b.params:
            g = p.grad.data if p.grad is not None else None
            if g is None:
                g = backend.xp_of(p.data).zeros(p.shape, p.dtype)
            parts.append(backend.to_numpy(g).ravel() if not _mpi.cuda_aware() else g.ravel())
        xp = np if not _mpi.cuda_aware() else backend.xp_of(parts[0])
        b.buffer = xp.concatenate(parts) if len(parts) > 1 else parts[0].copy()
        b.request = self.process_group.comm.Iallreduce(MPI.IN_PLACE, b.buffer, op=MPI.SUM)
        b.launched_at = len(self._ready_order)
        if self._progress == "thread":
            progress.poller().add(b.request)
        self.stats["allreduce_bytes"] += b.buffer.nbytes

    def _finish(self) -> None:
        """End of the backward pass: start what is left, wait, write the averages to ``.grad``."""
        if not self._active:
            return
        start = time.perf_counter()
        self._launch_ready(force=True)
        MPI = _mpi.mpi()  # noqa: N806
        if self._progress == "thread":
            progress.poller().take()  # the thread lets go of them before we wait on them
        MPI.Request.Waitall([b.request for b in self._buckets])
        self.stats["wait_seconds"] += time.perf_counter() - start
        self.stats["steps"] += 1
        n = self.process_group.size()
        for b in self._buckets:
            flat = b.buffer
            flat /= n
            offset = 0
            for p in b.params:
                size = p.data.size
                piece = flat[offset:offset + size].reshape(p.shape)
                offset += size
                if p._device != "cpu":  # staged through the host: back to the device
                    piece = backend.to_device(piece, p._device)
                p.grad = Tensor._make(piece, p._device)
            b.request = b.buffer = None
        self.__dict__["_active"] = False
        if not self._rebuilt:
            self._rebuild_buckets()

    def _rebuild_buckets(self) -> None:
        """Once, after the first synced backward: buckets in rank 0's readiness order (every
        rank must use the same buckets); parameters that got no gradient go last."""
        order = self.process_group.comm.bcast(list(self._ready_order), root=0)
        seen = set(order)
        order += [i for i in range(len(self._params) - 1, -1, -1) if i not in seen]
        d = self.__dict__
        d["_buckets"], d["_bucket_of"] = self._make_buckets([self._params[i] for i in order])
        d["_rebuilt"] = True

    # --------------------------------------------------------------- module interface
    def state_dict(self, *args: Any, **kwargs: Any) -> Any:
        """The wrapped module's state dict (no ``module.`` prefix: it loads on one process)."""
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True,
                        assign: bool = False) -> Any:
        """Load into the wrapped module; keys saved by torch's DDP (``module.`` prefix) work."""
        if state_dict and all(k.startswith("module.") for k in state_dict):
            state_dict = {k[len("module."):]: v for k, v in state_dict.items()}
        return self.module.load_state_dict(state_dict, strict=strict, assign=assign)

    def extra_repr(self) -> str:
        return ""
