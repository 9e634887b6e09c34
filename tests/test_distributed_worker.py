"""The program that ``tests/test_distributed.py`` runs under ``mpiexec -n 2`` (not a test module:
it defines no tests, and does nothing when imported).

``python tests/test_distributed_worker.py OUT CASE...`` runs each case on every rank; rank 0
writes what the cases measured to the JSON file OUT. The case ``fail`` makes rank 1 raise while
rank 0 waits in a collective.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np


def _models(seed: int):
    import tinygrad_gd as tg
    from tinygrad_gd import nn

    tg.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(),
                         nn.Linear(16, 3))


def _batch(step: int, n: int = 16):
    rng = np.random.default_rng(100 + step)
    return rng.normal(size=(n, 6)).astype(np.float32), rng.integers(0, 3, n)


def _grads(model) -> list[np.ndarray]:
    return [p.grad.numpy().copy() for p in model.parameters()]


def _maxdiff(a: list, b: list) -> float:
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b))


def _gathered_diff(dist, arrays: list[np.ndarray]) -> float:
    """The largest difference between this rank's arrays and every other rank's."""
    out: list = [None] * dist.get_world_size()
    dist.all_gather_object(out, [a.tolist() for a in arrays])
    return max(_maxdiff([np.asarray(x) for x in o], arrays) for o in out)


def case_grad(dist) -> dict[str, Any]:
    """One batch split over the ranks: the averaged gradient is the full-batch gradient."""
    import tinygrad_gd as tg
    from tinygrad_gd.nn import functional as F
    from tinygrad_gd.nn.parallel import DistributedDataParallel

    rank, n = dist.get_rank(), dist.get_world_size()
    ref = _models(0)
    local = _models(rank + 1)  # different on each rank: DDP must broadcast rank 0's
    local.load_state_dict(ref.state_dict()) if rank == 0 else None
    ddp = DistributedDataParallel(local, bucket_cap_mb=0.0005)  # several buckets
    x, y = _batch(0)
    F.cross_entropy(ref(tg.tensor(x)), tg.tensor(y)).backward()
    shard = slice(rank * len(y) // n, (rank + 1) * len(y) // n)
    F.cross_entropy(ddp(tg.tensor(x[shard])), tg.tensor(y[shard])).backward()
    params_ref = [p.numpy() for p in ref.parameters()]
    return {"grad_diff": _maxdiff(_grads(ref), _grads(local)),
            "param_diff": _maxdiff(params_ref, [p.numpy() for p in local.parameters()]),
            "buckets": len(ddp._buckets),
            "bytes": ddp.stats["allreduce_bytes"],
            "state_dict_keys": list(ddp.state_dict()) == list(ref.state_dict()),
            "module": ddp.module is local}


def case_sgd(dist) -> dict[str, Any]:
    """20 SGD-momentum steps on shards: identical on every rank, equal to one process."""
    import tinygrad_gd as tg
    from tinygrad_gd import optim
    from tinygrad_gd.nn import functional as F

    rank, n = dist.get_rank(), dist.get_world_size()
    ref, local = _models(0), _models(0)
    ddp = dist.DistributedDataParallel(local, bucket_cap_mb=0.001)
    opt_ref = optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    opt = optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    for step in range(20):
        x, y = _batch(step)
        shard = slice(rank * len(y) // n, (rank + 1) * len(y) // n)
        opt_ref.zero_grad()
        F.cross_entropy(ref(tg.tensor(x)), tg.tensor(y)).backward()
        opt_ref.step()
        opt.zero_grad()
        F.cross_entropy(ddp(tg.tensor(x[shard])), tg.tensor(y[shard])).backward()
        opt.step()
    mine = [p.numpy() for p in local.parameters()]
    return {"vs_single": _maxdiff(mine, [p.numpy() for p in ref.parameters()]),
            "across_ranks": _gathered_diff(dist, mine)}


def case_no_sync(dist) -> dict[str, Any]:
    """Two micro-batches, the first under no_sync: the result is the average of the sums."""
    import tinygrad_gd as tg
    from tinygrad_gd.nn import functional as F

    rank, n = dist.get_rank(), dist.get_world_size()
    ref, alone, local = _models(0), _models(0), _models(0)
    ddp = dist.DistributedDataParallel(local)
    x, y = _batch(1)
    q = len(y) // (2 * n)  # micro-batch size per rank
    for micro in range(2):
        for r in range(n):  # the reference sees every rank's micro-batch, each averaged over n
            s = slice((micro * n + r) * q, (micro * n + r + 1) * q)
            (F.cross_entropy(ref(tg.tensor(x[s])), tg.tensor(y[s])) / n).backward()
    s0 = slice(rank * q, (rank + 1) * q)
    F.cross_entropy(alone(tg.tensor(x[s0])), tg.tensor(y[s0])).backward()
    with ddp.no_sync():
        F.cross_entropy(ddp(tg.tensor(x[s0])), tg.tensor(y[s0])).backward()
    local_only = _maxdiff(_grads(alone), _grads(local))
    ranks_differ = _gathered_diff(dist, _grads(local))
    s1 = slice((n + rank) * q, (n + rank + 1) * q)
    F.cross_entropy(ddp(tg.tensor(x[s1])), tg.tensor(y[s1])).backward()
    return {"inside_local_diff": local_only, "inside_ranks_differ": ranks_differ,
            "after_diff": _maxdiff(_grads(ref), _grads(local))}


def case_order(dist) -> dict[str, Any]:
    """Buckets follow the order gradients become ready (rebuilt after the first step) and each
    starts the moment its last gradient is ready; the overlapped averages equal a plain backward
    followed by blocking all_reduce(AVG), with each way of progressing MPI."""
    import os

    import tinygrad_gd as tg
    from tinygrad_gd.nn import functional as F

    rank, n = dist.get_rank(), dist.get_world_size()
    out: dict[str, Any] = {}
    for mode in ("thread", "test", "none"):
        os.environ["TINYGRAD_GD_MPI_PROGRESS"] = mode
        local, plain = _models(0), _models(0)
        ddp = dist.DistributedDataParallel(local, bucket_cap_mb=0.0005)
        params = list(local.parameters())
        where = {id(p): i for i, p in enumerate(params)}  # (a Tensor's == is elementwise)
        seen: list[int] = []
        for i, p in enumerate(params):  # runs after DDP's own hook on the same parameter
            p.register_post_accumulate_grad_hook(lambda t, i=i, seen=seen: seen.append(i))
        sizes = [[where[id(p)] for p in b.params] for b in ddp._buckets]
        steps = []
        for step in range(2):
            seen.clear()
            buckets = ddp._buckets  # the first synced backward replaces them (rebuilt)
            x, y = _batch(step)
            shard = slice(rank * len(y) // n, (rank + 1) * len(y) // n)
            for m in (local, plain):
                m.zero_grad()
            F.cross_entropy(ddp(tg.tensor(x[shard])), tg.tensor(y[shard])).backward()
            F.cross_entropy(plain(tg.tensor(x[shard])), tg.tensor(y[shard])).backward()
            for p in plain.parameters():  # the non-overlapped result
                dist.all_reduce(p.grad, op=dist.ReduceOp.AVG)
            steps.append({"seen": list(seen), "recorded": list(ddp._ready_order),
                          "launched_at": [b.launched_at for b in buckets],
                          "grad_diff": _maxdiff(_grads(plain), _grads(local))})
            if step == 0:
                rebuilt = [[where[id(p)] for p in b.params] for b in ddp._buckets]
        out[mode] = {"steps": steps, "initial": sizes, "rebuilt": rebuilt,
                     "progress": ddp._progress}
    os.environ.pop("TINYGRAD_GD_MPI_PROGRESS")
    return out


class _StandIn:
    """A device array stand-in (what the CuPy path sees): not a NumPy array, copies on
    ``__array__``, written with ``[...] =``; so collectives must stage it through the host."""

    def __init__(self, a: np.ndarray) -> None:
        self.a = a
        self.shape, self.dtype, self.flags, self.size = a.shape, a.dtype, a.flags, a.size
        self.nbytes = a.nbytes

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.a.copy()

    def __setitem__(self, index: Any, value: Any) -> None:
        self.a[index] = value


def case_collectives(dist) -> dict[str, Any]:
    """all_reduce (every op, by name too), broadcast, all_gather, reduce, in place."""
    import tinygrad_gd as tg
    from tinygrad_gd.distributed import ReduceOp

    rank = dist.get_rank()
    out: dict[str, Any] = {}
    for op in (ReduceOp.SUM, ReduceOp.MAX, ReduceOp.MIN, ReduceOp.AVG, "sum", "product"):
        t = tg.tensor([1.0 + rank, 5.0 - 2 * rank])
        v0 = t.version
        dist.all_reduce(t, op=op)
        out[f"all_reduce_{getattr(op, 'name', op)}"] = t.tolist()
        out["version_bumped"] = t.version > v0
    t = tg.tensor([1 + rank, 2], dtype=tg.int64)
    dist.all_reduce(t)
    out["all_reduce_int"] = t.tolist()
    base = tg.tensor(np.arange(12.0).reshape(3, 4) * (rank + 1))
    view = base[:, 1:3]  # not contiguous: reduced through a copy, written back
    dist.all_reduce(view)
    out["noncontig"] = base.tolist()
    t = tg.tensor([float(rank), 10.0 + rank])
    dist.broadcast(t, src=1)
    out["broadcast"] = t.tolist()
    lst = [tg.zeros(2), tg.zeros(2)]
    dist.all_gather(lst, tg.tensor([rank, rank + 0.5]))
    out["all_gather"] = [x.tolist() for x in lst]
    t = tg.tensor([1.0 + rank])
    dist.reduce(t, dst=0)
    out[f"reduce_rank{rank}"] = t.tolist()
    work = dist.all_reduce(tg.tensor([1.0]), async_op=True)
    out["async"] = work.wait()
    stand = tg.Tensor._make(_StandIn(np.array([1.0 + rank, 2.0])), "cpu")
    dist.all_reduce(stand)
    out["staged"] = stand.data.a.tolist()
    return out


def case_fail(dist) -> dict[str, Any]:
    """Rank 1 raises; rank 0 would wait forever in the allreduce without the abort."""
    import tinygrad_gd as tg

    if dist.get_rank() == 1:
        raise ValueError("boom from rank 1")
    dist.all_reduce(tg.tensor([1.0]))
    return {}


def main(argv: list[str]) -> None:
    """Run the named cases; rank 0 writes the results."""
    import tinygrad_gd.distributed as dist

    out, cases = argv[0], argv[1:]
    dist.init_process_group("mpi")
    results = {}
    for name in cases:
        results[name] = globals()[f"case_{name}"](dist)
    gathered: list = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, results)
    if dist.get_rank() == 0:
        with open(out, "w") as f:
            json.dump(gathered, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1:])
