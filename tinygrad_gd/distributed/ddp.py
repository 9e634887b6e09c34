"""``DistributedDataParallel``: one model replica per rank, gradients averaged during backward.

How the averaging overlaps the backward pass: the parameters are grouped into buckets (in
reverse registration order, about the order their gradients become ready; the first bucket
small so communication starts early). Each parameter carries a post-accumulate-grad hook; when
the last gradient of a bucket has been accumulated, the bucket's gradients are packed into one
flat buffer and handed to a non-blocking ``Iallreduce``, and the engine goes on with the rest of
the backward pass meanwhile. Buckets start strictly in index order, so every rank issues the
same collectives in the same order (MPI requires it). A callback queued on the engine waits for
the remaining buckets when the pass ends, so every ``.grad`` holds the average over ranks before
``backward()`` returns.
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
from . import _mpi
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
        self._check_same_model(pg)
        self._sync_module_states()
        params = [p for p in module.parameters() if p.requires_grad]
        d["_buckets"], d["_bucket_of"] = self._make_buckets(params)
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
        buckets: list[_Bucket] = []
        current: list[Tensor] = []
        size, cap = 0, min(FIRST_BUCKET_BYTES, self.bucket_bytes_cap)
        for p in reversed(params):  # backward meets the last layers first
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
        self.__dict__["_next"] = 0
        self.__dict__["_queued"] = False

    def _grad_ready(self, p: Tensor) -> None:
        """Post-accumulate hook: mark ``p`` ready; start every bucket that can start."""
        if not self._active:
            return
        if not self._queued:
            engine.queue_callback(self._finish)
            self.__dict__["_queued"] = True
        bucket = self._bucket_of[id(p)]
        bucket.ready.add(id(p))
        self._launch_ready()
        # MPI progresses non-blocking collectives inside MPI calls: poke it while computing.
        requests = [b.request for b in self._buckets[:self._next] if b.request is not None]
        if requests:
            _mpi.mpi().Request.Testall(requests)

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
        self.stats["allreduce_bytes"] += b.buffer.nbytes

    def _finish(self) -> None:
        """End of the backward pass: start what is left, wait, write the averages to ``.grad``."""
        if not self._active:
            return
        start = time.perf_counter()
        self._launch_ready(force=True)
        MPI = _mpi.mpi()  # noqa: N806
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
