"""Forward+backward time of the nn layers, beside a hand-written NumPy floor and PyTorch (CPU).

    PYTHONPATH=. .venv/bin/python benchmarks/layers.py [--repeat 7] [--steps 20]

Rows:
* Conv2d 3x3, batch 128: 1->16 channels on 28x28 and 16->32 on 13x13 (forward, then backward to
  the weight, the bias and the input). The NumPy floor is the same im2col + one matrix product
  written by hand on arrays: what any im2col implementation must pay.
* MLP step 784-256-256-10, batch 128: forward, cross-entropy, backward, plain SGD update.
* Small CNN step (conv 1->16 3x3, ReLU, maxpool 2, conv 16->32 3x3, ReLU, maxpool 2, linear
  800->10, batch 128): forward, cross-entropy, backward, SGD update. Target: at most 2x PyTorch.

Each figure is the best of ``--repeat`` runs of ``--steps`` steps, all in one process, float32.
Ratios are to the reference named in the row; the machine is shared, so expect a few percent of
noise (rerun before trusting a small difference).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F

try:
    import torch
except ImportError:  # the PyTorch columns are left out
    torch = None


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
            start = time.perf_counter()
            for _ in range(steps):
                f()
            times[name].append((time.perf_counter() - start) / steps)
    first = next(iter(live))
    return {k: (min(v), statistics.median(a / b for a, b in zip(times[first], v)))
            for k, v in times.items()}


# ----------------------------------------------------------------- hand-written NumPy
def np_conv_fwd_bwd(x, w, b, g):
    """im2col by kernel taps, one matmul forward; dW, db, dX (col2im) backward."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = h - kh + 1, wd - kw + 1
    xt = x.transpose(1, 0, 2, 3)
    cols = np.empty((c, kh, kw, n, ho, wo), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = xt[:, :, i:i + ho, j:j + wo]
    cols = cols.reshape(c * kh * kw, -1)
    w2 = w.reshape(o, -1)
    out = (w2 @ cols).reshape(o, n, ho, wo) + b.reshape(o, 1, 1, 1)
    g2 = g.reshape(o, -1)  # the gradient in the output's (O, N, Ho, Wo) memory order
    dw = (g2 @ cols.T).reshape(w.shape)
    db = g2.sum(axis=1)
    dcols = (w2.T @ g2).reshape(c, kh, kw, n, ho, wo)
    dx = np.zeros((c, n, h, wd), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            dx[:, :, i:i + ho, j:j + wo] += dcols[:, i, j]
    return out, dw, db, dx.transpose(1, 0, 2, 3)


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
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    tg.manual_seed(0)
    if torch is not None:
        torch.manual_seed(0)
        print(f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads), NumPy "
              f"{np.__version__}; best ms per step, median ratio over interleaved blocks")
    else:
        print("PyTorch not installed: no PyTorch column")

    for c_in, c_out, size in [(1, 16, 28), (16, 32, 13)]:
        x = rng.standard_normal((128, c_in, size, size), dtype=np.float32)
        layer = nn.Conv2d(c_in, c_out, 3)
        w, b = layer.weight.numpy(), layer.bias.numpy()
        xt = tg.tensor(x, requires_grad=True)
        g_np = rng.standard_normal((c_out, 128, size - 2, size - 2), dtype=np.float32)
        g = tg.tensor(g_np).permute(1, 0, 2, 3)  # a gradient in the layout a conv produces

        def ours(layer=layer, xt=xt, g=g):
            layer.zero_grad()
            xt.grad = None
            layer(xt).backward(g)

        theirs = None
        if torch is not None:
            tl = torch.nn.Conv2d(c_in, c_out, 3)
            tx = torch.tensor(x, requires_grad=True)
            tgrad = torch.tensor(g_np).permute(1, 0, 2, 3).contiguous()

            def theirs(tl=tl, tx=tx, tgrad=tgrad):
                tl.zero_grad()
                tx.grad = None
                tl(tx).backward(tgrad)

        report(f"Conv2d {c_in}->{c_out} 3x3, {size}x{size}, fwd+bwd", compare(
            {"tinygrad_gd": ours,
             "NumPy": lambda x=x, w=w, b=b, g=g_np: np_conv_fwd_bwd(x, w, b, g),
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
