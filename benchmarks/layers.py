"""Forward+backward time of the nn layers, beside a hand-written NumPy floor and PyTorch (CPU).

    PYTHONPATH=. .venv/bin/python benchmarks/layers.py [--threads 1] [--repeat 15] [--steps 5]

Rows:
* Conv2d 3x3, batch 128: 1->16 channels on 28x28 and 16->32 on 13x13 (forward, then backward to
  the weight, the bias and the input). The NumPy floor is the same im2col + one matrix product
  written by hand on arrays: what any im2col implementation must pay.
* MLP step 784-256-256-10, batch 128: forward, cross-entropy, backward, plain SGD update.
* Small CNN step (conv 1->16 3x3, ReLU, maxpool 2, conv 16->32 3x3, ReLU, maxpool 2, linear
  800->10, batch 128): forward, cross-entropy, backward, SGD update. Target: at most 2x PyTorch.

All float32, all in one process, candidates interleaved in blocks of ``--steps`` steps,
``--repeat`` blocks each. With ``--threads 1`` (the default: BLAS and PyTorch limited to one
thread) the clock is this process's CPU time, which other jobs on a shared machine disturb far
less than wall time; with more threads it is wall time. Each row prints the best time per step
and the median over blocks of the ratio ours / reference.

The allocator matters: every step allocates and frees arrays of a few MB, and glibc returns such
blocks to the kernel, so each step pays page faults on fresh memory. The script therefore calls
``tg.backend.reuse_freed_memory()``, which keeps them in the heap for every row alike (on this
machine it took the small CNN step from about 1.4x PyTorch to 1.0x); ``--default-malloc`` leaves
the allocator alone.
"""

from __future__ import annotations

from _threads import pin_threads  # sets the BLAS threads before NumPy loads

THREADS = pin_threads()

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

import tinygrad_gd as tg  # noqa: E402
from tinygrad_gd import nn  # noqa: E402
from tinygrad_gd.nn import functional as F  # noqa: E402

try:
    import torch
except ImportError:  # the PyTorch columns are left out
    torch = None

# CPU time is the stable clock for single-threaded work on a shared machine
clock = time.process_time if THREADS == 1 else time.perf_counter


def compare(steps_by_name: dict[str, Callable[[], object] | None], steps: int,
            repeat: int) -> dict[str, tuple[float, float]]:
    """Time the candidates in interleaved blocks of ``steps`` steps, ``repeat`` times.

    Returns, per candidate, (best seconds per step, median over blocks of the first candidate's
    time divided by this one's). Interleaving makes each block of every candidate see about the
    same load from other jobs on a shared machine, so the median ratio is the stable figure.
    """
    live = {k: f for k, f in steps_by_name.items() if f is not None}
    for f in live.values():
        f()  # warm-up: caches, allocator
    times: dict[str, list[float]] = {k: [] for k in live}
    for _ in range(repeat):
        for name, f in live.items():
            start = clock()
            for _ in range(steps):
                f()
            times[name].append((clock() - start) / steps)
    first = next(iter(live))
    return {k: (min(v), statistics.median(a / b for a, b in zip(times[first], v)))
            for k, v in times.items()}


# ----------------------------------------------------------------- hand-written NumPy
def np_conv_fwd_bwd(xt, w, b, g):
    """im2col by kernel taps, one matmul forward; dW, db, dX (col2im) backward. Images stored
    batch-last, ``xt (C, H, W, N)`` and ``g (O, Ho, Wo, N)``: the fastest layout for NumPy (the
    one tinygrad_gd uses, see ops/conv.py)."""
    c, h, wd, n = xt.shape
    o, _, kh, kw = w.shape
    ho, wo = h - kh + 1, wd - kw + 1
    cols = np.empty((c, kh, kw, ho, wo, n), dtype=xt.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = xt[:, i:i + ho, j:j + wo]
    cols = cols.reshape(c * kh * kw, -1)
    w2 = w.reshape(o, -1)
    out = w2 @ cols
    out += b.reshape(o, 1)
    g2 = g.reshape(o, -1)
    dw = (g2 @ cols.T).reshape(w.shape)
    db = g2.sum(axis=1)
    dcols = (w2.T @ g2).reshape(c, kh, kw, ho, wo, n)
    dx = np.zeros((c, h, wd, n), dtype=xt.dtype)
    for i in range(kh):
        for j in range(kw):
            dx[:, i:i + ho, j:j + wo] += dcols[:, i, j]
    return out, dw, db, dx


def np_mlp_step(params, x, y, lr=0.01):
    w1, b1, w2, b2, w3, b3 = params
    h1 = x @ w1.T + b1
    a1 = np.maximum(h1, 0)
    h2 = a1 @ w2.T + b2
    a2 = np.maximum(h2, 0)
    logits = a2 @ w3.T + b3
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    p = e / e.sum(axis=1, keepdims=True)
    n = x.shape[0]
    p[np.arange(n), y] -= 1
    d3 = p / n
    gw3, gb3 = d3.T @ a2, d3.sum(0)
    d2 = (d3 @ w3) * (h2 > 0)
    gw2, gb2 = d2.T @ a1, d2.sum(0)
    d1 = (d2 @ w2) * (h1 > 0)
    gw1, gb1 = d1.T @ x, d1.sum(0)
    for prm, grd in zip(params, (gw1, gb1, gw2, gb2, gw3, gb3)):
        prm -= lr * grd


# ------------------------------------------------------------------------- our steps
def small_cnn(mod):
    return mod.Sequential(mod.Conv2d(1, 16, 3), mod.ReLU(), mod.MaxPool2d(2),
                          mod.Conv2d(16, 32, 3), mod.ReLU(), mod.MaxPool2d(2), mod.Flatten(),
                          mod.Linear(800, 10))


def tg_train_step(model, x, y, lr=0.01):
    def step():
        model.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        with tg.no_grad():
            for p in model.parameters():
                p.sub_(p.grad * lr)
        return loss
    return step


def torch_train_step(model, x, y, lr=0.01):
    opt = torch.optim.SGD(model.parameters(), lr=lr)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def report(label: str, results: dict[str, tuple[float, float]]) -> None:
    """One line: our best time, then each reference's best time and the median ratio."""
    ours = results["tinygrad_gd"][0]
    parts = [f"{label:<38} tinygrad_gd {ours * 1e3:7.2f} ms"]
    for name, (best, ratio) in list(results.items())[1:]:
        parts.append(f"| {name} {best * 1e3:7.2f} ms, ours/{name} = {ratio:4.2f}")
    print("  ".join(parts), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--default-malloc", action="store_true",
                        help="leave glibc's allocator as it is (no tg.backend.reuse_freed_memory)")
    args = parser.parse_args()
    # Reuse freed heap blocks instead of fresh, page-faulting pages for each large array (the
    # process-wide setting applies to the NumPy and PyTorch rows alike).
    tuned = not args.default_malloc and tg.backend.reuse_freed_memory()
    print(f"allocator: {'freed blocks reused' if tuned else 'glibc default'}")
    rng = np.random.default_rng(0)
    tg.manual_seed(0)
    clock_name = "CPU time" if clock is time.process_time else "wall time"
    if torch is not None:
        torch.manual_seed(0)
        torch.set_num_threads(THREADS)
        print(f"PyTorch {torch.__version__}, NumPy {np.__version__}, {THREADS} thread(s), "
              f"{clock_name}; best ms per step, median ratio over interleaved blocks")
    else:
        print("PyTorch not installed: no PyTorch column")

    for c_in, c_out, size in [(1, 16, 28), (16, 32, 13)]:
        x = rng.standard_normal((128, c_in, size, size), dtype=np.float32)
        layer = nn.Conv2d(c_in, c_out, 3)
        w, b = layer.weight.numpy(), layer.bias.numpy()
        # the input of a first layer arrives as (N, C, H, W); later layers get batch-last storage
        x_store = np.ascontiguousarray(x.transpose(1, 2, 3, 0))
        xt = tg.tensor(x if c_in == 1 else x_store.transpose(3, 0, 1, 2), requires_grad=True)
        g_store = rng.standard_normal((c_out, size - 2, size - 2, 128), dtype=np.float32)
        g = tg.tensor(g_store.transpose(3, 0, 1, 2))  # the storage a conv's gradient has

        def ours(layer=layer, xt=xt, g=g):
            layer.zero_grad()
            xt.grad = None
            layer(xt).backward(g)

        theirs = None
        if torch is not None:
            tl = torch.nn.Conv2d(c_in, c_out, 3)
            tx = torch.tensor(x, requires_grad=True)
            tgrad = torch.tensor(np.ascontiguousarray(g_store.transpose(3, 0, 1, 2)))

            def theirs(tl=tl, tx=tx, tgrad=tgrad):
                tl.zero_grad()
                tx.grad = None
                tl(tx).backward(tgrad)

        report(f"Conv2d {c_in}->{c_out} 3x3, {size}x{size}, fwd+bwd", compare(
            {"tinygrad_gd": ours,
             "NumPy": lambda x=x_store, w=w, b=b, g=g_store: np_conv_fwd_bwd(x, w, b, g),
             "PyTorch": theirs}, args.steps, args.repeat))

    x = rng.standard_normal((128, 784), dtype=np.float32)
    y = rng.integers(0, 10, 128)
    mlp = nn.MLP([784, 256, 256, 10])
    params = [p.numpy().copy() for p in mlp.parameters()]
    theirs = None
    if torch is not None:
        tm = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                 torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                 torch.nn.Linear(256, 10))
        theirs = torch_train_step(tm, torch.tensor(x), torch.tensor(y))
    report("MLP 784-256-256-10 SGD step", compare(
        {"tinygrad_gd": tg_train_step(mlp, tg.tensor(x), tg.tensor(y)),
         "NumPy": lambda: np_mlp_step(params, x, y), "PyTorch": theirs},
        args.steps, args.repeat))

    x = rng.standard_normal((128, 1, 28, 28), dtype=np.float32)
    theirs = None
    if torch is not None:
        theirs = torch_train_step(small_cnn(torch.nn), torch.tensor(x), torch.tensor(y))
    report("small CNN SGD step (target <= 2x PyTorch)", compare(
        {"tinygrad_gd": tg_train_step(small_cnn(nn), tg.tensor(x), tg.tensor(y)),
         "PyTorch": theirs}, args.steps, args.repeat))


if __name__ == "__main__":
    main()
