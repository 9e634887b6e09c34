"""A user's plain training loop, step by step: eager tinygrad_gd, ``tg.jit``, hand-written NumPy
and PyTorch, in one process, in alternation, with no allocator setting.

MLP 784-256-256-10, batch 128, SGD momentum 0.9, float32, the same batch every step (the loop's
own cost, no data handling). Each round runs ``--steps`` steps of every contender in turn; the
figure is the median over ``--rounds`` rounds of the time per step, and the ratios are against
the hand-written NumPy step. Peak RSS is the process's (``ru_maxrss``) after each contender's
first round, in the order NumPy, eager, jit, torch (so each line shows what that one added).

    python benchmarks/step.py [--steps 50] [--rounds 7]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import numpy as np

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.nn import functional as F

BATCH, LR, MOMENTUM = 128, 0.05, 0.9


def _params(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for fan_in, fan_out in ((784, 256), (256, 256), (256, 10)):
        b = 1.0 / np.sqrt(fan_in)
        out += [rng.uniform(-b, b, (fan_out, fan_in)).astype(np.float32),
                rng.uniform(-b, b, fan_out).astype(np.float32)]
    return out


def numpy_step(params: list, bufs: list, x: np.ndarray, y: np.ndarray) -> None:
    """Forward, backward and SGD momentum written out by hand."""
    w1, b1, w2, b2, w3, b3 = params
    n = len(y)
    z1 = x @ w1.T + b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ w2.T + b2
    h2 = np.maximum(z2, 0)
    z3 = h2 @ w3.T + b3
    z3 -= z3.max(axis=1, keepdims=True)
    p = np.exp(z3)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(n), y] -= 1.0
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, 784)).astype(np.float32)
    y = rng.integers(0, 10, BATCH)

    params = _params()
    bufs = [np.zeros_like(p) for p in params]
    contenders = {"numpy": lambda: numpy_step(params, bufs, x, y)}

    for name in ("eager", "jit"):
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                              nn.Linear(256, 10))
        with tg.no_grad():
            for p, v in zip(model.parameters(), _params()):
                p.copy_(tg.tensor(v))
        opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

        def step(xb, yb, model=model, opt=opt):
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            return loss

        fn = tg.jit(step, modules=[model], optimizers=[opt]) if name == "jit" else step
        xt, yt = tg.tensor(x), tg.tensor(y)
        contenders[name] = lambda fn=fn, xt=xt, yt=yt: fn(xt, yt)
    try:
        import torch

        torch.set_num_threads(max(1, torch.get_num_threads()))
        tm = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                 torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                 torch.nn.Linear(256, 10))
        topt = torch.optim.SGD(tm.parameters(), lr=LR, momentum=MOMENTUM)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def torch_step() -> None:
            topt.zero_grad()
            torch.nn.functional.cross_entropy(tm(tx), ty).backward()
            topt.step()
        contenders["torch"] = torch_step
    except ImportError:
        pass

    times: dict[str, list] = {k: [] for k in contenders}
    rss: dict[str, float] = {}
    for r in range(args.rounds + 1):  # round 0 warms up (and traces the jit)
        for name, fn in contenders.items():
            t = time.perf_counter()
            for _ in range(args.steps):
                fn()
            if r:
                times[name].append((time.perf_counter() - t) / args.steps)
            else:
                rss[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    base = statistics.median(times["numpy"])
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:6s} {med * 1e3:7.3f} ms/step  {med / base:5.2f}x numpy   "
              f"peak RSS after it {rss[name]:6.0f} MiB")


if __name__ == "__main__":
    main()
