"""Data-parallel training over MPI on this machine, and what it predicts for a cluster.

1. MLP 784-256-256-10 on MNIST, global batch 128, SGD momentum: seconds per epoch of one process
   (1 and 2 BLAS threads) against ``mpiexec -n 2`` ranks of one thread each (each rank computes
   64 samples of every batch; ``DistributedDataParallel`` averages the gradients).
2. Bytes allreduced per step (the gradients: 4 bytes per parameter) for the MLP and the CNN of
   ``examples/train_mnist.py``.
3. The share of the allreduce time hidden behind the backward pass: 1 - (time ``backward()``
   spends waiting for unfinished buckets) / (time of the same allreduces run blocking).
4. The ring-allreduce model ``2(N-1)/N * bytes / bandwidth + 2(N-1) * latency``, fed with the
   measured compute time per step (one thread, 128 samples) and the measured bytes, gives the
   predicted speedup at 8 and 64 ranks on 10 and 100 Gbit/s (latency: an assumed 20 and 5 us
   per message; the per-rank batch stays 128, as usual when adding ranks).

    TINYGRAD_GD_DATA=/path/to/data python benchmarks/distributed.py [--images N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BATCH = 128
HERE = Path(__file__).resolve()
LATENCY = {10: 20e-6, 100: 5e-6}  # seconds per message, assumed (switched Ethernet)


def _model(name: str):
    sys.path.insert(0, str(HERE.parents[1] / "examples"))
    from train_mnist import build_model

    return build_model(name)


def _data(images: int):
    from tinygrad_gd import data

    x, y = data.MNIST("train", verbose=False).as_arrays()
    return x[:images], y[:images]


def worker(args: argparse.Namespace) -> dict:
    """Inside mpiexec (or alone): one timed epoch, plus the measurements above."""
    import tinygrad_gd as tg
    from tinygrad_gd import optim
    from tinygrad_gd.nn import functional as F

    distributed = "OMPI_COMM_WORLD_SIZE" in os.environ or "PMI_SIZE" in os.environ
    tg.manual_seed(0)
    model = _model(args.model)
    rank, n = 0, 1
    if distributed:
        import tinygrad_gd.distributed as dist

        dist.init_process_group("mpi")
        rank, n = dist.get_rank(), dist.get_world_size()
        net = dist.DistributedDataParallel(model)
    else:
        net = model
    opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    x, y = _data(args.images)
    order = np.random.default_rng(0).permutation(len(y))
    steps = len(y) // BATCH
    local = BATCH // n

    def step(i: int) -> None:
        idx = order[i * BATCH + rank * local:i * BATCH + (rank + 1) * local]
        opt.zero_grad()
        F.cross_entropy(net(tg.tensor(x[idx])), tg.tensor(y[idx])).backward()
        opt.step()

    for i in range(3):  # warm-up (allocator, BLAS)
        step(i)
    if distributed:
        dist.barrier()
        net.stats.update(allreduce_bytes=0, wait_seconds=0.0, steps=0)
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    seconds = time.perf_counter() - start
    out = {"ranks": n, "seconds": seconds, "steps": steps,
           "epoch_seconds": seconds * 60000 / (steps * BATCH)}
    nbytes = sum(p.data.nbytes for p in model.parameters())
    out["bytes_per_step"] = nbytes
    if distributed:
        out["wait_per_step"] = net.stats["wait_seconds"] / net.stats["steps"]
        assert net.stats["allreduce_bytes"] == nbytes * steps
        # the same buckets, allreduced blocking, back to back: the time overlapping must hide
        from mpi4py import MPI

        bufs = [np.zeros(b.nbytes // 4, np.float32) for b in net._buckets]
        dist.barrier()
        t0 = time.perf_counter()
        reps = 50
        for _ in range(reps):
            for b in bufs:
                MPI.COMM_WORLD.Allreduce(MPI.IN_PLACE, b)
        out["blocking_allreduce_per_step"] = (time.perf_counter() - t0) / reps
        out["buckets"] = len(bufs)
        if rank != 0:
            return out
    return out


def _run(cmd: list[str], threads: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def compute_per_step(model: str, images: int) -> tuple[float, int]:
    """One thread, one process: seconds per step of 128 samples, and gradient bytes."""
    r = _run([sys.executable, str(HERE), "--worker", "--model", model, "--images", str(images)],
             1)
    return r["seconds"] / r["steps"], r["bytes_per_step"]


def ring(nbytes: int, ranks: int, gbit: float) -> float:
    """Seconds of one ring allreduce of ``nbytes`` over ``ranks`` at ``gbit`` Gbit/s."""
    return 2 * (ranks - 1) / ranks * nbytes / (gbit * 1e9 / 8) + 2 * (ranks - 1) * LATENCY[gbit]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--model", default="mlp", choices=["mlp", "cnn"])
    p.add_argument("--images", type=int, default=60000, help="MLP training images timed")
    p.add_argument("--cnn-images", type=int, default=3840, help="CNN images timed")
    args = p.parse_args()
    if args.worker:
        out = worker(args)
        if out is not None and ("PMI_RANK" not in os.environ or os.environ["PMI_RANK"] == "0"):
            print(json.dumps(out))
        return
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        raise SystemExit("benchmarks/distributed.py needs the [distributed] extra: "
                         "pip install -e '.[distributed]'") from None
    mpiexec = str(Path(sys.executable).parent / "mpiexec")
    base = [sys.executable, str(HERE), "--worker", "--images", str(args.images)]
    one1 = _run(base, 1)
    one2 = _run(base, 2)
    two = _run([mpiexec, "-n", "2"] + base, 1)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"MLP 784-256-256-10, global batch {BATCH}, {args.images} images timed, "
          "seconds per 60,000-image epoch:")
    print(f"  1 process, 1 thread : {one1['epoch_seconds']:6.2f}")
    print(f"  1 process, 2 threads: {one2['epoch_seconds']:6.2f}")
    print(f"  2 ranks x 1 thread  : {two['epoch_seconds']:6.2f}   (speedup "
          f"{one1['epoch_seconds'] / two['epoch_seconds']:.2f}x over 1 thread, "
          f"{one2['epoch_seconds'] / two['epoch_seconds']:.2f}x over 2 threads)")
    hidden = 1 - two["wait_per_step"] / two["blocking_allreduce_per_step"]
    print(f"  bytes allreduced per step: {two['bytes_per_step']:,} in {two['buckets']} buckets")
    print(f"  allreduce run blocking: {two['blocking_allreduce_per_step'] * 1e3:.3f} ms/step; "
          f"backward() waits {two['wait_per_step'] * 1e3:.3f} ms/step for it: "
          f"{max(0.0, hidden):.0%} hidden behind the backward pass")
    print("\nRing-allreduce estimate, per-rank batch 128 (compute measured here, one thread; "
          "latency assumed 20 us at 10 Gbit/s, 5 us at 100 Gbit/s):")
    rows = [("mlp", args.images), ("cnn", args.cnn_images)]
    print(f"  {'model':5} {'compute/step':>12} {'bytes/step':>11} {'ranks':>5} {'Gbit/s':>6} "
          f"{'allreduce':>10} {'speedup (no overlap .. full overlap)':>36}")
    for name, images in rows:
        t, nbytes = compute_per_step(name, images)
        for ranks in (8, 64):
            for gbit in (10, 100):
                c = ring(nbytes, ranks, gbit)
                worst = ranks * t / (t + c)
                best = ranks * t / max(t, c + t / 3)  # backward ~2/3 of a step hides comm
                print(f"  {name:5} {t * 1e3:9.2f} ms {nbytes:11,} {ranks:5} {gbit:6} "
                      f"{c * 1e3:7.3f} ms {worst:17.1f} .. {best:.1f}")


if __name__ == "__main__":
    main()
