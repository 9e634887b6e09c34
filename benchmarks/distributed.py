"""Data-parallel training over MPI on this machine, and what it predicts for a cluster.

1. MLP 784-256-256-10 on MNIST, global batch 128, SGD momentum: seconds per epoch of one process
   (1 and 2 BLAS threads) against ``mpiexec -n 2`` ranks of one thread each (each rank computes
   64 samples of every batch; ``DistributedDataParallel`` averages the gradients). Interleaved
   rounds; the minimum over rounds is reported (the machine is shared).
2. Bytes allreduced per step (the gradients: 4 bytes per parameter) and the buckets, for the MLP
   and the CNN of ``examples/train_mnist.py``.
3. The share of the allreduce time hidden behind the backward pass, with the time spent waiting
   for a slower rank kept apart: every measured step starts at a barrier; each rank times its
   compute (step start to the end of its backward pass, before the final wait) and its final
   wait. The rank whose compute ended last waits only for communication (the other rank is
   already waiting inside MPI): that wait is the communication not hidden. The other rank's
   extra wait is the skew between the ranks (load). Hidden share = 1 - that wait / the time of
   the same buckets allreduced blocking, back to back, after a barrier (medians over steps).
   Measured for each way of progressing MPI (``TINYGRAD_GD_MPI_PROGRESS``: the polling thread,
   pokes from the hooks only, none) and for torch's default buckets (25 MB, first 1 MB) and
   small ones (``--small-bucket-mb``), which give both models several buckets.
4. The ring-allreduce model ``2(N-1)/N * bytes / bandwidth + 2(N-1) * latency`` per bucket, fed
   with the measured compute time per step (one thread, 128 samples) and the measured buckets,
   gives the predicted speedup at 8 and 64 ranks on 10 and 100 Gbit/s (latency: an assumed 20
   and 5 us per message; the per-rank batch stays 128, as usual when adding ranks).

    TINYGRAD_GD_DATA=/path/to/data python benchmarks/distributed.py [--images N] [--rounds R]
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
MODES = ("thread", "test", "none")


def _model(name: str):
    sys.path.insert(0, str(HERE.parents[1] / "examples"))
    from train_mnist import build_model

    return build_model(name)


def _data(images: int):
    from tinygrad_gd import data

    x, y = data.MNIST("train", verbose=False).as_arrays()
    return x[:images], y[:images]


def _median(values: list[float]) -> float:
    return float(np.median(values))


def worker(args: argparse.Namespace) -> dict:
    """Inside mpiexec (or alone): one timed pass over ``--images``, then (distributed) the
    barrier-timed overlap measurement."""
    import tinygrad_gd as tg
    from tinygrad_gd import optim
    from tinygrad_gd.nn import functional as F

    distributed = "PMI_SIZE" in os.environ or "OMPI_COMM_WORLD_SIZE" in os.environ
    tg.manual_seed(0)
    model = _model(args.model)
    rank, n = 0, 1
    if distributed:
        import tinygrad_gd.distributed as dist

        dist.init_process_group("mpi")
        rank, n = dist.get_rank(), dist.get_world_size()
        net = dist.DistributedDataParallel(model, bucket_cap_mb=args.bucket_cap_mb)
    else:
        net = model
    opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    x, y = _data(max(args.images, BATCH * (args.overlap_steps + 3)))
    order = np.random.default_rng(0).permutation(len(y))
    local = BATCH // n

    def step(i: int) -> None:
        i %= len(y) // BATCH
        idx = order[i * BATCH + rank * local:i * BATCH + (rank + 1) * local]
        opt.zero_grad()
        F.cross_entropy(net(tg.tensor(x[idx])), tg.tensor(y[idx])).backward()
        opt.step()

    for i in range(3):  # warm-up (allocator, BLAS; DDP rebuilds its buckets after the first)
        step(i)
    steps = args.images // BATCH
    if distributed:
        dist.barrier()
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    seconds = time.perf_counter() - start
    out = {"ranks": n, "steps": steps, "seconds_per_step": seconds / max(steps, 1),
           "epoch_seconds": seconds * 60000 / max(steps * BATCH, 1),
           "bytes_per_step": sum(p.data.nbytes for p in model.parameters())}
    if distributed:
        out.update(_overlap(args, net, step, dist))
    return out


def _overlap(args: argparse.Namespace, net, step, dist) -> dict:
    """Barrier-timed steps: communication wait of the last rank to finish computing, the skew
    between the ranks, and the same buckets allreduced blocking."""
    from mpi4py import MPI

    comm_waits, skews, computes = [], [], []
    for i in range(args.overlap_steps):
        dist.barrier()
        before = net.stats["wait_seconds"]
        t0 = time.perf_counter()
        step(i)
        total = time.perf_counter() - t0
        wait = net.stats["wait_seconds"] - before
        # compute: everything but the final wait (optimizer step included: it is after it)
        every = MPI.COMM_WORLD.allgather((total - wait, wait))
        last = max(range(len(every)), key=lambda r: every[r][0])
        comm_waits.append(every[last][1])
        skews.append(max(c for c, _ in every) - min(c for c, _ in every))
        computes.append(every[last][0])
    bufs = [np.zeros(b.nbytes // 4, np.float32) for b in net._buckets]
    # the buckets holding the first layer's gradients start only when the backward pass ends
    # (that layer's backward is its last node): nothing is left to hide them behind
    first = next(m for m in net.module.modules() if list(m.parameters(recurse=False)))
    ids = {id(q) for q in first.parameters(recurse=False)}
    tail = [buf for buf, b in zip(bufs, net._buckets) if any(id(q) in ids for q in b.params)]
    blocking, last_only = [], []
    for _ in range(args.overlap_steps):
        dist.barrier()
        t0 = time.perf_counter()
        for b in bufs:
            MPI.COMM_WORLD.Allreduce(MPI.IN_PLACE, b)
        blocking.append(time.perf_counter() - t0)
        dist.barrier()
        t0 = time.perf_counter()
        for b in tail:
            MPI.COMM_WORLD.Allreduce(MPI.IN_PLACE, b)
        last_only.append(time.perf_counter() - t0)
    return {"comm_wait": _median(comm_waits), "skew": _median(skews),
            "compute": _median(computes), "blocking": _median(blocking),
            "last_bucket_blocking": _median(last_only), "comm_wait_min": min(comm_waits),
            "blocking_min": min(blocking), "tail_buckets": len(tail),
            "bucket_bytes": [b.nbytes for b in net._buckets], "progress": net._progress}


def _run(cmd: list[str], threads: int, progress: str = "thread") -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), TINYGRAD_GD_MPI_PROGRESS=progress)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def ring(nbytes: int, ranks: int, gbit: float) -> float:
    """Seconds of one ring allreduce of ``nbytes`` over ``ranks`` at ``gbit`` Gbit/s."""
    return 2 * (ranks - 1) / ranks * nbytes / (gbit * 1e9 / 8) + 2 * (ranks - 1) * LATENCY[gbit]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--model", default="mlp", choices=["mlp", "cnn"], help=argparse.SUPPRESS)
    p.add_argument("--bucket-cap-mb", type=float, default=25, help=argparse.SUPPRESS)
    p.add_argument("--overlap-steps", type=int, default=40, help=argparse.SUPPRESS)
    p.add_argument("--images", type=int, default=25600, help="MLP training images timed")
    p.add_argument("--cnn-images", type=int, default=1280, help="CNN images timed")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (minimum kept)")
    p.add_argument("--small-bucket-mb", type=float, default=0.25,
                   help="the small bucket cap measured beside torch's default 25 MB")
    args = p.parse_args()
    if args.worker:
        out = worker(args)
        if os.environ.get("PMI_RANK", "0") == "0":
            print(json.dumps(out))
        return
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        raise SystemExit("benchmarks/distributed.py needs the [distributed] extra: "
                         "pip install -e '.[distributed]'") from None
    mpiexec = [str(Path(sys.executable).parent / "mpiexec"), "-n", "2"]

    def cmd(model: str, images: int, cap: float = 25, steps: int = 40) -> list[str]:
        return [sys.executable, str(HERE), "--worker", "--model", model, "--images",
                str(images), "--bucket-cap-mb", str(cap), "--overlap-steps", str(steps)]

    small = args.small_bucket_mb
    runs: dict[str, list[dict]] = {}
    loads = []
    for _ in range(args.rounds):  # interleaved, so load changes hit every configuration
        loads.append(os.getloadavg()[0])
        runs.setdefault("1x1", []).append(_run(cmd("mlp", args.images), 1))
        runs.setdefault("1x2", []).append(_run(cmd("mlp", args.images), 2))
        runs.setdefault("2x1 25", []).append(_run(mpiexec + cmd("mlp", args.images), 1))
        for mode in MODES:
            runs.setdefault(f"2x1 {small} {mode}", []).append(
                _run(mpiexec + cmd("mlp", args.images, small), 1, mode))
    for cap in (25, small):
        runs[f"cnn {cap}"] = [_run(mpiexec + cmd("cnn", 0, cap, 12), 1)]
    runs["cnn 1x1"] = [_run(cmd("cnn", args.cnn_images, steps=0), 1)]
    loads.append(os.getloadavg()[0])

    def best(key: str, field: str) -> float:
        return min(r[field] for r in runs[key])

    print(f"load average {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores; "
          f"minimum over {args.rounds} interleaved rounds")
    print(f"MLP 784-256-256-10, global batch {BATCH}, {args.images} images timed, "
          "seconds per 60,000-image epoch:")
    one1, one2 = best("1x1", "epoch_seconds"), best("1x2", "epoch_seconds")
    print(f"  1 process, 1 thread : {one1:6.2f}")
    print(f"  1 process, 2 threads: {one2:6.2f}")
    for key in ("2x1 25", f"2x1 {small} thread"):
        two = best(key, "epoch_seconds")
        print(f"  2 ranks x 1 thread  : {two:6.2f}   buckets {runs[key][0]['bucket_bytes']} "
              f"(speedup {one1 / two:.2f}x over 1 thread, {one2 / two:.2f}x over 2 threads)")
    print("\nOverlap, 2 ranks (medians over barrier-timed steps, then the minimum over rounds;"
          " ms per step):")
    print(f"  {'model, buckets, progress':34} {'compute':>8} {'skew':>6} {'blocking':>9} "
          f"{'at the end':>10} {'wait':>6} {'hidden':>7} | best step: {'blocking':>8} "
          f"{'wait':>6} {'hidden':>6}")
    rows = [("mlp 25 MB", "2x1 25")] + [(f"mlp {small} MB {m}", f"2x1 {small} {m}")
                                         for m in MODES]
    rows += [(f"cnn {cap} MB", f"cnn {cap}") for cap in (25, small)]
    measured = {}
    for label, key in rows:
        r = {f: best(key, f) for f in ("compute", "skew", "blocking", "last_bucket_blocking",
                                        "comm_wait", "comm_wait_min", "blocking_min")}
        share = max(0.0, 1 - r["comm_wait"] / r["blocking"])
        share_min = max(0.0, 1 - r["comm_wait_min"] / r["blocking_min"])
        measured[key] = share
        nb, nt = len(runs[key][0]["bucket_bytes"]), runs[key][0]["tail_buckets"]
        print(f"  {label + f' ({nb} buckets)':34} {r['compute'] * 1e3:8.2f} "
              f"{r['skew'] * 1e3:6.2f} {r['blocking'] * 1e3:9.3f} "
              f"{r['last_bucket_blocking'] * 1e3:7.3f} ({nt}) {r['comm_wait'] * 1e3:6.3f} "
              f"{share:7.0%} |            {r['blocking_min'] * 1e3:8.3f} "
              f"{r['comm_wait_min'] * 1e3:6.3f} {share_min:6.0%}")
    print("  (hidden = 1 - wait / blocking. 'at the end': the blocking time of the buckets (how "
          "many) that start only when the backward pass ends: at most 1 - at the end / blocking "
          "can hide)")

    print("\nRing-allreduce estimate, per-rank batch 128 (compute measured here, one thread; "
          f"buckets of {small} MB; latency assumed 20 us at 10 Gbit/s, 5 us at 100 Gbit/s):")
    print(f"  {'model':5} {'compute/step':>12} {'bytes/step':>11} {'ranks':>5} {'Gbit/s':>6} "
          f"{'allreduce':>10}  speedup: no overlap, measured share hidden, all hidden")
    for name, t, key in (("mlp", best("1x1", "seconds_per_step"), f"2x1 {small} thread"),
                         ("cnn", best("cnn 1x1", "seconds_per_step"), f"cnn {small}")):
        buckets = runs[key][0]["bucket_bytes"]
        for ranks in (8, 64):
            for gbit in (10, 100):
                c = sum(ring(b, ranks, gbit) for b in buckets)
                hidden = min(measured[key] * c, t)  # no more than the compute can hide
                print(f"  {name:5} {t * 1e3:9.2f} ms {sum(buckets):11,} {ranks:5} {gbit:6} "
                      f"{c * 1e3:7.3f} ms  {ranks * t / (t + c):6.1f} "
                      f"{ranks * t / (t + c - hidden):6.1f} {ranks * t / max(t, c):6.1f}")


if __name__ == "__main__":
    main()
