"""A user's plain training loop, step by step: eager tinygrad_gd, ``tg.jit``, hand-written NumPy
and PyTorch, in one process, in alternation, with no allocator setting (the default).

* MLP 784-256-256-10, batch 128, SGD momentum 0.9, float32: eager, jit, hand NumPy, PyTorch.
* CNN conv16-pool-conv32-pool-fc (3x3 convolutions, 2x2 max pools, 28x28 inputs), batch 128,
  SGD momentum 0.9, float32: eager, jit, PyTorch.

The same batch every step (the loop's own cost, no data handling). Each round runs ``--steps``
steps of every contender in turn, in an order shuffled for each round (a contender's arrays push
the one before it out of the caches); a contender's figure is its **minimum** over ``--rounds``
rounds of the time per step (the machine is shared: the minimum is the round least disturbed),
its median beside it. Ratios to the references are given as the ratio of the minima and, in
brackets, as the median over rounds of the ratio within a round (one round's contenders run
next to each other, under much the same load). ``--clock cpu`` (the default) times the
process's CPU time, which time slices lost to other processes do not inflate; ``--clock wall``
the wall clock. BLAS and PyTorch run ``--threads`` threads (default 1). Peak RSS is the
process's (``ru_maxrss``) after each contender's first round, in the order listed (so each
line shows what that one added).

    PYTHONPATH=. python benchmarks/step.py [--model mlp|cnn|all] [--steps 20] [--rounds 15]
                                           [--threads 1] [--clock cpu|wall] [--device cuda]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time
from collections.abc import Callable

from _threads import pin_threads  # sets the BLAS threads before NumPy loads

THREADS = pin_threads()

import numpy as np  # noqa: E402 - after the thread settings above

import tinygrad_gd as tg  # noqa: E402
from tinygrad_gd import nn, optim  # noqa: E402
from tinygrad_gd.nn import functional as F  # noqa: E402

BATCH, LR, MOMENTUM = 128, 0.05, 0.9


def _params(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for fan_in, fan_out in ((784, 256), (256, 256), (256, 10)):
        b = 1.0 / np.sqrt(fan_in)
        out += [rng.uniform(-b, b, (fan_out, fan_in)).astype(np.float32),
                rng.uniform(-b, b, fan_out).astype(np.float32)]
    return out


def numpy_step(params: list, bufs: list, x: np.ndarray, y: np.ndarray, xp: object = np) -> None:
    """Forward, backward and SGD momentum written out by hand (``xp``: NumPy, or CuPy on a
    GPU)."""
    w1, b1, w2, b2, w3, b3 = params
    n = len(y)
    z1 = x @ w1.T + b1
    h1 = xp.maximum(z1, 0)
    z2 = h1 @ w2.T + b2
    h2 = xp.maximum(z2, 0)
    z3 = h2 @ w3.T + b3
    z3 -= z3.max(axis=1, keepdims=True)
    p = xp.exp(z3)
    p /= p.sum(axis=1, keepdims=True)
    p[xp.arange(n), y] -= 1.0
    g3 = p / np.float32(n)
    gw3, gb3 = g3.T @ h2, g3.sum(0)
    g2 = (g3 @ w3) * (z2 > 0)
    gw2, gb2 = g2.T @ h1, g2.sum(0)
    g1 = (g2 @ w2) * (z1 > 0)
    gw1, gb1 = g1.T @ x, g1.sum(0)
    for param, buf, g in zip(params, bufs, (gw1, gb1, gw2, gb2, gw3, gb3)):
        buf *= MOMENTUM
        buf += g
        param -= np.float32(LR) * buf


def _mlp(mod: object) -> object:
    return mod.Sequential(mod.Linear(784, 256), mod.ReLU(), mod.Linear(256, 256), mod.ReLU(),
                          mod.Linear(256, 10))


def _cnn(mod: object) -> object:
    return mod.Sequential(mod.Conv2d(1, 16, 3, padding=1), mod.ReLU(), mod.MaxPool2d(2),
                          mod.Conv2d(16, 32, 3, padding=1), mod.ReLU(), mod.MaxPool2d(2),
                          mod.Flatten(), mod.Linear(32 * 7 * 7, 10))


def contenders(model: str, device: str = "cpu") -> dict[str, Callable[[], object]]:
    """The step functions to time, by name (NumPy and PyTorch where they apply and exist; on a
    GPU the hand-written step runs on CuPy, and the jit with and without CUDA graphs)."""
    rng = np.random.default_rng(0)
    shape = (BATCH, 784) if model == "mlp" else (BATCH, 1, 28, 28)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, 10, BATCH)
    out: dict[str, Callable[[], object]] = {}
    gpu = device != "cpu"
    xp = tg.backend.get_xp(tg.backend.parse_device(device)) if gpu else np
    if model == "mlp":
        params = [xp.asarray(p) for p in _params()]
        bufs = [xp.zeros_like(p) for p in params]
        xa, ya = xp.asarray(x), xp.asarray(y)
        out["cupy" if gpu else "numpy"] = lambda: numpy_step(params, bufs, xa, ya, xp)
    for name in ("eager", "jit") + (("jit-nograph",) if gpu else ()):
        net = _mlp(nn) if model == "mlp" else _cnn(nn)
        if model == "mlp":
            with tg.no_grad():
                for p, v in zip(net.parameters(), _params()):
                    p.copy_(tg.tensor(v))
        opt = optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)

        def step(xb, yb, net=net, opt=opt):
            opt.zero_grad()
            loss = F.cross_entropy(net(xb), yb)
            loss.backward()
            opt.step()
            return loss

        net.to(device)
        fn = step if name == "eager" else tg.jit(step, modules=[net], optimizers=[opt],
                                                 graphs=name == "jit")
        xt, yt = tg.tensor(x, device=device), tg.tensor(y, device=device)
        out[name] = lambda fn=fn, xt=xt, yt=yt: fn(xt, yt)
    try:
        import torch
    except ImportError:
        return out
    if gpu and not torch.cuda.is_available():
        return out
    torch.set_num_threads(THREADS)
    tdev = "cuda" if gpu else "cpu"
    tm = (_mlp(torch.nn) if model == "mlp" else _cnn(torch.nn)).to(tdev)
    topt = torch.optim.SGD(tm.parameters(), lr=LR, momentum=MOMENTUM)
    tx, ty = torch.from_numpy(x).to(tdev), torch.from_numpy(y).to(tdev)

    def torch_step() -> None:
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tm(tx), ty).backward()
        topt.step()
    out["torch"] = torch_step
    return out


def measure(steps: dict[str, Callable[[], object]], n: int, rounds: int,
            clock: Callable[[], float], sync: Callable[[], object] = lambda: None,
            ) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Seconds per step of each contender, per round, in alternation; and peak RSS (MiB).
    ``sync`` waits for a GPU's queued work before the clock is read."""
    times: dict[str, list[float]] = {k: [] for k in steps}
    rss: dict[str, float] = {}
    order = list(steps)
    for r in range(rounds + 1):  # round 0 warms up (and traces the jit), in the listed order
        for name in order:
            fn = steps[name]
            sync()
            t = clock()
            for _ in range(n):
                fn()
            sync()
            if r:
                times[name].append((clock() - t) / n)
            else:
                rss[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # each contender's arrays push the one before it out of the caches: a fixed order
        # would give every contender the same neighbour in every round (measured: 2-3% on
        # the MLP step), so the order is shuffled for each round (seeded: runs repeat)
        order = random.Random(r).sample(list(steps), len(steps))
    return times, rss


def _paired(ts: list[float], refs: list[float]) -> float:
    return statistics.median(t / r for t, r in zip(ts, refs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=("mlp", "cnn", "all"), default="all")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    ap.add_argument("--device", default="cpu", help="cpu, or cuda (wall clock, synchronised)")
    args = ap.parse_args()
    gpu = args.device != "cpu"
    if gpu:
        args.clock = "wall"  # the GPU's time is not the process's CPU time
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    sync = (lambda: tg.cuda.synchronize()) if gpu else (lambda: None)
    for model in ("mlp", "cnn") if args.model == "all" else (args.model,):
        steps = contenders(model, args.device)
        times, rss = measure(steps, args.steps, args.rounds, clock, sync)
        best = {k: min(v) for k, v in times.items()}
        refs = [r for r in ("numpy", "cupy", "torch") if r in best]
        title = ("MLP 784-256-256-10" if model == "mlp" else "CNN conv16-pool-conv32-pool-fc")
        print(f"{title}, batch {BATCH}, SGD momentum, float32, {args.device}, {THREADS} "
              f"thread(s), {args.clock} time, min (median) over {args.rounds} rounds of "
              f"{args.steps} steps")
        for name, ts in times.items():
            # the ratio of the minima, and in brackets the median of the per-round ratios (the
            # contenders of one round ran next to each other, under much the same load)
            ratios = "  ".join(
                f"{best[name] / best[r]:5.2f}x [{_paired(ts, times[r]):4.2f}] {r}" for r in refs)
            med = statistics.median(ts)
            print(f"  {name:11s} {best[name] * 1e3:7.3f} ms/step ({med * 1e3:7.3f})  {ratios}   "
                  f"peak RSS after it {rss[name]:6.0f} MiB")


if __name__ == "__main__":
    main()
