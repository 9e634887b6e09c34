"""Cost of an optimizer step, beside the hand-written NumPy update, in one process.

- One ``SGD`` (momentum 0.9) step and one ``Adam`` step on the parameters of the MLP
  784-256-256-10 (float32, 269,322 numbers, gradients already in ``.grad``), against the same update
  written by hand with in-place NumPy (target: at most 1.3x), and against ``torch.optim`` where
  PyTorch is installed (for reference).
- One Newton-CG step (Hessian-free) on a convex softmax regression and on a small MLP: its time
  beside the number of Hessian-vector products it used, with the times of one gradient and of one
  HVP for scale. (On the MLP, CG often stops early at a direction of negative curvature.)

Times are the best and the median of ``--repeats`` runs of ``--steps`` steps each. The machine may
be shared: compare the ratios, not the absolute times, and rerun when the medians disagree.

    python benchmarks/optim.py [--steps 200] [--repeats 7]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time

import numpy as np

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.nn import functional as F

LR, MOMENTUM, BETAS, EPS = 1e-3, 0.9, (0.9, 0.999), 1e-8


def timed(fn, steps: int, repeats: int) -> tuple[float, float]:
    """(best, median) seconds per call of ``fn`` over ``repeats`` runs of ``steps`` calls."""
    fn()  # warm-up: first-step allocations (state buffers, scratch)
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            fn()
        runs.append((time.perf_counter() - start) / steps)
    return min(runs), statistics.median(runs)


def mlp_with_grads(seed: int = 0) -> nn.Module:
    tg.manual_seed(seed)
    model = nn.MLP([784, 256, 256, 10])
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.grad = tg.tensor(rng.normal(scale=1e-2, size=p.shape).astype(np.float32))
    return model


# --------------------------------------------------------------- hand-written NumPy updates
def numpy_sgd(params, grads, bufs):
    for p, g, b in zip(params, grads, bufs):
        b *= MOMENTUM
        b += g
        p -= np.float32(LR) * b


def numpy_adam(params, grads, ms, vs, t):
    t[0] += 1
    b1, b2 = BETAS
    bc1, bc2 = 1 - b1 ** t[0], 1 - b2 ** t[0]
    for p, g, m, v in zip(params, grads, ms, vs):
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        p -= (LR / bc1) * m / (np.sqrt(v / bc2) + EPS)


def first_order(steps: int, repeats: int) -> None:
    torch = None
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        pass
    print(f"one optimizer step on the MLP 784-256-256-10 ({269322:,} float32 parameters); "
          "ms per step, best / median")
    for name in ("SGD", "Adam"):
        model = mlp_with_grads()
        params = list(model.parameters())
        if name == "SGD":
            opt = optim.SGD(params, lr=LR, momentum=MOMENTUM)
        else:
            opt = optim.Adam(params, lr=LR, betas=BETAS, eps=EPS)
        ours = timed(opt.step, steps, repeats)

        arrays = [p.numpy().copy() for p in params]
        grads = [p.grad.numpy().copy() for p in params]
        if name == "SGD":
            bufs = [g.copy() for g in grads]
            ref = timed(functools.partial(numpy_sgd, arrays, grads, bufs), steps, repeats)
        else:
            ms, vs = [np.zeros_like(a) for a in arrays], [np.zeros_like(a) for a in arrays]
            ref = timed(functools.partial(numpy_adam, arrays, grads, ms, vs, [0]), steps, repeats)
        line = (f"  {name:4s}  tinygrad_gd {ours[0] * 1e3:6.3f} / {ours[1] * 1e3:6.3f}   "
                f"NumPy by hand {ref[0] * 1e3:6.3f} / {ref[1] * 1e3:6.3f}   "
                f"ratio {ours[0] / ref[0]:.2f} (best) {ours[1] / ref[1]:.2f} (median), target "
                "<= 1.3")
        if torch is not None:
            tparams = [torch.tensor(a, requires_grad=True) for a in arrays]
            for tp, g in zip(tparams, grads):
                tp.grad = torch.tensor(g)
            topt = (torch.optim.SGD(tparams, lr=LR, momentum=MOMENTUM) if name == "SGD"
                    else torch.optim.Adam(tparams, lr=LR, betas=BETAS, eps=EPS))
            tt = timed(topt.step, steps, repeats)
            line += f"   | torch.optim {tt[0] * 1e3:6.3f} / {tt[1] * 1e3:6.3f}"
        print(line)


def hvp_seconds(model: nn.Module, loss, repeats: int) -> float:
    """Best time of one Hessian-vector product (reverse-over-reverse through the gradient's
    graph, as Newton does), the gradient's graph built once beforehand."""
    params = list(model.parameters())
    grads = tg.grad(loss(), params, create_graph=True)
    vs = [tg.randn(*p.shape, dtype=p.dtype) for p in params]

    def one() -> None:
        dot = (grads[0] * vs[0]).sum()
        for g, v in zip(grads[1:], vs[1:]):
            dot = dot + (g * v).sum()
        tg.grad(dot, params, retain_graph=True)

    return timed(one, 3, repeats)[0]


def newton_cg(repeats: int) -> None:
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.normal(size=(512, 784)))
    y = tg.tensor(rng.integers(0, 10, size=512))
    print("\nNewton-CG (damping 1e-3, backtracking), cross-entropy of 512 examples, float64; "
          "median of the steps")
    for name, sizes in (("softmax regression 784-10 (convex)", [784, 10]),
                        ("MLP 784-32-10", [784, 32, 10])):
        tg.manual_seed(0)
        model = nn.MLP(sizes).double()
        n_params = sum(p.numel() for p in model.parameters())

        def loss(model=model):
            return F.cross_entropy(model(x), y)

        def gradient(model=model, loss=loss):
            model.zero_grad()
            loss().backward()

        grad_s = timed(gradient, 3, repeats)[0]
        hvp_s = hvp_seconds(model, loss, repeats)
        print(f"  {name}, {n_params:,} parameters: one gradient {grad_s * 1e3:.1f} ms, one HVP "
              f"{hvp_s * 1e3:.1f} ms ({hvp_s / grad_s:.2f} gradients)")
        for max_iter in (5, 20):
            opt = optim.Newton(model.parameters(), solver="cg", cg_max_iter=max_iter,
                               damping=1e-3, line_search="backtracking")
            times, hvps, evals = [], [], []
            for _ in range(repeats):
                start = time.perf_counter()
                opt.step(loss)
                times.append(time.perf_counter() - start)
                hvps.append(opt.stats["hvps"])
                evals.append(opt.stats["evaluations"])
            t, h = statistics.median(times), statistics.median(hvps)
            print(f"    cg_max_iter {max_iter:2d}: step {t * 1e3:7.1f} ms = {t / grad_s:4.1f} "
                  f"gradients; HVPs used {min(hvps)}-{max(hvps)} (median {h:g}, "
                  f"{h * hvp_s / grad_s:4.1f} gradients' worth); loss evaluations "
                  f"{min(evals)}-{max(evals)} (the first builds the double-backward graph, "
                  "the others are the line search's)")


def main() -> None:
    parser = argparse.ArgumentParser(description="optimizer step cost vs hand-written NumPy")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    first_order(args.steps, args.repeats)
    newton_cg(max(3, args.repeats // 2))


if __name__ == "__main__":
    main()
