"""The tape's cost: microseconds per small op, and the price of a Hessian-vector product.

    PYTHONPATH=. .venv/bin/python benchmarks/overhead.py [--ops 1000] [--repeat 15] [--batch 512]
                                                       [--threads 1]

1. Overhead per op. A chain of ``--ops`` operations on a 4-element float32 tensor that requires
   grad, then one backward, divided by the number of ops: on such tiny arrays the time is all
   bookkeeping (making nodes, the engine, Python calls), the arithmetic being negligible. Rows:
   ``mul`` and ``add`` (by a constant tensor), ``tanh``, and ``sum,expand,mul`` (``y.sum(0,
   keepdim=True).expand(4) * c``: three ops per link, counted as three). Beside it: the same
   array operations, forward and hand-written backward, in NumPy without a tape (the floor),
   and PyTorch.
   Target: at most 10 us per op (PyTorch: ~6 us). Then issue 12's figure: the chain
   ``y = (y * 0.9 + 0.1).tanh()`` in float64 against PyTorch, in alternation, CPU time
   (``--chain-rounds``); target at most 1.2x PyTorch's per-op overhead.
2. HVP / gradient. An MLP 784-256-tanh-10, batch 512, cross-entropy written from core ops
   (``log_softmax`` then picking each row's label by indexing), float32. The gradient with
   respect to all four parameters (``tg.grad``) against a Hessian-vector product with respect to
   all of them, the Hessian never formed, both ways: ``tg.hvp`` (forward over reverse: one
   backward pass carrying tangents, the gradient's own value at the parameters skipped) and
   ``tg.hvp(..., mode="reverse-over-reverse")`` (two backward passes). PyTorch: reverse over
   reverse with ``torch.autograd.grad``, and ``torch.func.jvp(grad(f))``. Target (issue 14):
   forward over reverse at most 2x the gradient.

Figures are the best of ``--repeat`` runs in one process (the machine is shared: the minimum is
the run least disturbed by others); expect noise all the same.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from _threads import pin_threads  # sets the BLAS threads before NumPy loads

THREADS = pin_threads()

import numpy as np  # noqa: E402 - after the thread settings above

import tinygrad_gd as tg  # noqa: E402

try:
    import torch
except ImportError:  # the PyTorch columns are left out
    torch = None
else:
    torch.set_num_threads(THREADS)


def best_time(run: Callable[[], object], repeat: int) -> float:
    """Best (least) seconds of ``run()`` over ``repeat`` calls, after one warm-up call: on a
    shared machine the minimum is the run least disturbed by other work."""
    run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


# ----------------------------------------------------------------------- 1. overhead per op
# Each link maps y -> y' of the same shape; "ops" is how many recorded operations it makes and
# c the constant's value (the sum link scales by 1/4 so that 1000 links neither overflow forward
# nor backward).
LINKS: dict[str, tuple[int, Callable, float]] = {
    "mul": (1, lambda y, c: y * c, 0.999),
    "add": (1, lambda y, c: y + c, 0.999),
    "tanh": (1, lambda y, c: y.tanh(), 0.999),
    "sum,expand,mul": (3, lambda y, c: y.sum(0, keepdim=True).expand(4) * c, 0.25),
}


def numpy_chain(name: str, n: int, x: np.ndarray, c: np.ndarray) -> None:
    """The same chain on bare arrays: forward keeping what backward needs, then backward."""
    saved = []
    y = x
    for _ in range(n):
        if name == "mul":
            saved.append(y)
            y = y * c
        elif name == "add":
            y = y + c
        elif name == "tanh":
            y = np.tanh(y)
            saved.append(y)
        else:
            y = np.broadcast_to(y.sum(0, keepdims=True), (4,)) * c
    g = np.ones_like(y)
    for i in range(n - 1, -1, -1):
        if name == "mul":
            g = g * c
        elif name == "tanh":
            g = g * (1 - saved[i] * saved[i])
        elif name != "add":  # add passes the gradient through unchanged
            g = np.broadcast_to((g * c).sum(0, keepdims=True), (4,))


def overhead_rows(n_links: int, repeat: int) -> list[tuple[str, float, float, float | None]]:
    rows = []
    rng = np.random.default_rng(0)
    x_np = rng.uniform(-0.5, 0.5, 4).astype(np.float32)
    for name, (ops, link, value) in LINKS.items():
        n_ops = n_links * ops
        c_np = np.full(4, value, dtype=np.float32)
        c = tg.tensor(c_np)

        def ours(link=link, c=c):
            x = tg.tensor(x_np, requires_grad=True)
            y = x
            for _ in range(n_links):
                y = link(y, c)
            y.sum().backward()

        ours_us = best_time(ours, repeat) / n_ops * 1e6
        floor_us = best_time(lambda name=name, c_np=c_np: numpy_chain(name, n_links, x_np, c_np),
                               repeat) / n_ops * 1e6
        torch_us = None
        if torch is not None:
            tc = torch.tensor(c_np)

            def theirs(link=link, tc=tc):
                x = torch.tensor(x_np, requires_grad=True)
                y = x
                for _ in range(n_links):
                    y = link(y, tc)
                y.sum().backward()

            torch_us = best_time(theirs, repeat) / n_ops * 1e6
        rows.append((name, ours_us, floor_us, torch_us))
    return rows


def chain_row(n_links: int, rounds: int) -> tuple[float, float | None, float | None]:
    """Issue 12's figure: ``y = (y * 0.9 + 0.1).tanh()`` repeated on a 4-element float64 tensor,
    forward and backward, microseconds per op (three ops a link), ours and PyTorch's, run in
    alternation, CPU time. Returns ours, PyTorch's (minima over ``rounds``) and the median of
    the per-round ratios (the two runs of a round see much the same load)."""
    x_np = np.random.default_rng(0).uniform(-0.5, 0.5, 4)

    def run(lib) -> float:
        start = time.process_time()
        x = lib.tensor(x_np, requires_grad=True)
        y = x
        for _ in range(n_links):
            y = (y * 0.9 + 0.1).tanh()
        y.sum().backward()
        return (time.process_time() - start) / (3 * n_links) * 1e6

    run(tg)
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(run(tg))
        if torch is not None:
            theirs.append(run(torch))
    if torch is None:
        return min(ours), None, None
    paired = sorted(a / b for a, b in zip(ours, theirs))
    return min(ours), min(theirs), paired[len(paired) // 2]


# ----------------------------------------------------------------------- 2. HVP / gradient
def mlp_loss(w1, b1, w2, b2, x, rows, labels):
    """Cross-entropy of a 784-256-tanh-10 MLP, from core ops (works on tg and torch tensors)."""
    logits = (x @ w1 + b1).tanh() @ w2 + b2
    return -logits.log_softmax(dim=1)[rows, labels].mean()


def hvp_rows(batch: int, repeat: int) -> list[tuple[str, str, float, float]]:
    rng = np.random.default_rng(0)
    arrays = [(rng.standard_normal((784, 256)) / 28).astype(np.float32),
              np.zeros(256, np.float32),
              (rng.standard_normal((256, 10)) / 16).astype(np.float32),
              np.zeros(10, np.float32)]
    vecs = [rng.standard_normal(a.shape).astype(np.float32) for a in arrays]
    x_np = rng.random((batch, 784), dtype=np.float32)
    labels_np = rng.integers(0, 10, batch)
    rows_np = np.arange(batch)

    params = [tg.tensor(a, requires_grad=True) for a in arrays]
    vs = tuple(tg.tensor(v) for v in vecs)
    x, rows, labels = tg.tensor(x_np), tg.tensor(rows_np), tg.tensor(labels_np)

    def f(*ps):
        return mlp_loss(*ps, x, rows, labels)

    def gradient():
        return tg.grad(f(*params), params)

    def hvp_ror():
        return tg.hvp(f, tuple(params), vs, mode="reverse-over-reverse")

    def hvp_for():
        return tg.hvp(f, tuple(params), vs)

    g = best_time(gradient, repeat)
    out = [("tinygrad_gd", "reverse-over-reverse", g, best_time(hvp_ror, repeat)),
           ("tinygrad_gd", "forward-over-reverse", g, best_time(hvp_for, repeat))]
    if torch is not None:
        tparams = [torch.tensor(a, requires_grad=True) for a in arrays]
        tvs = [torch.tensor(v) for v in vecs]
        tx, trows, tlabels = torch.tensor(x_np), torch.tensor(rows_np), torch.tensor(labels_np)

        def tloss(*ps):
            return mlp_loss(*ps, tx, trows, tlabels)

        def tgradient():
            return torch.autograd.grad(tloss(*tparams), tparams)

        def thvp():
            grads = torch.autograd.grad(tloss(*tparams), tparams, create_graph=True)
            dot = sum((g * v).sum() for g, v in zip(grads, tvs))
            return torch.autograd.grad(dot, tparams)

        plain = [p.detach() for p in tparams]
        grad_f = torch.func.grad(tloss, argnums=(0, 1, 2, 3))

        def tfor():
            return torch.func.jvp(lambda *ps: grad_f(*ps), tuple(plain), tuple(tvs))

        tg_ = best_time(tgradient, repeat)
        out += [("torch", "reverse-over-reverse", tg_, best_time(thvp, repeat)),
                ("torch", "func.jvp(grad(f))", tg_, best_time(tfor, repeat))]
    return out


def check_hvp_agrees(batch: int) -> float:
    """Largest relative difference between tg.hvp and a central difference of gradients."""
    rng = np.random.default_rng(1)
    shapes = [(784, 16), (16,), (16, 10), (10,)]
    ps = [tg.tensor(rng.standard_normal(s) * 0.1, dtype="float64") for s in shapes]
    vs = tuple(tg.tensor(rng.standard_normal(s), dtype="float64") for s in shapes)
    x = tg.tensor(rng.random((batch, 784)), dtype="float64")
    rows, labels = tg.tensor(np.arange(batch)), tg.tensor(rng.integers(0, 10, batch))

    def f(*p):
        return mlp_loss(*p, x, rows, labels)

    _, hv = tg.hvp(f, tuple(ps), vs)
    eps = 1e-5

    def grad_at(sign):
        shifted = [(p + sign * eps * v).requires_grad_() for p, v in zip(ps, vs)]
        return tg.grad(f(*shifted), shifted)

    numeric = [(a - b) / (2 * eps) for a, b in zip(grad_at(1), grad_at(-1))]
    return max(float(np.abs(h.numpy() - n.numpy()).max() / (np.abs(n.numpy()).max() + 1e-12))
               for h, n in zip(hv, numeric))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=1000, help="links in each chain")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--chain-rounds", type=int, default=200,
                        help="alternating rounds of the float64 tanh chain against PyTorch")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS/OpenMP threads for NumPy and PyTorch alike")
    args = parser.parse_args()

    print(f"Overhead per op: chain of {args.ops} links on a 4-element float32 tensor, forward + "
          "one backward, microseconds per op (best of {})".format(args.repeat))
    head = f"{'op':<16}{'tinygrad_gd':>12}{'NumPy floor':>13}{'PyTorch':>10}{'ours/torch':>12}"
    print(head)
    print("-" * len(head))
    for name, ours, floor, theirs in overhead_rows(args.ops, args.repeat):
        t_text = f"{theirs:>10.2f}" if theirs is not None else f"{'-':>10}"
        r_text = f"{ours / theirs:>12.2f}" if theirs is not None else f"{'-':>12}"
        print(f"{name:<16}{ours:>12.2f}{floor:>13.2f}{t_text}{r_text}")
    print("target: at most 10 us per op (PyTorch ~6 us)\n")
    ours, theirs, paired = chain_row(100, args.chain_rounds)
    print(f"chain (y * 0.9 + 0.1).tanh(), 100 links, float64, forward + backward, CPU time, "
          f"min over {args.chain_rounds} alternating rounds: {ours:.2f} us per op", end="")
    if theirs is not None:
        print(f"; PyTorch {theirs:.2f} us: {ours / theirs:.2f}x (median per-round ratio "
              f"{paired:.2f}x); target <= 1.2x (issue 12)\n")
    else:
        print("\n")

    print(f"HVP vs gradient: MLP 784-256-tanh-10, batch {args.batch}, cross-entropy, float32, "
          f"w.r.t. all parameters, {THREADS} thread(s)")
    head = f"{'library':<13}{'HVP':<23}{'gradient ms':>12}{'HVP ms':>9}{'HVP/grad':>10}"
    print(head)
    print("-" * len(head))
    for name, how, g, h in hvp_rows(args.batch, args.repeat):
        print(f"{name:<13}{how:<23}{g * 1e3:>12.2f}{h * 1e3:>9.2f}{h / g:>10.2f}")
    print("target: forward-over-reverse HVP at most 2x the gradient's time (issue 14)")
    print(f"check: tg.hvp vs central differences of gradients (float64, small MLP): "
          f"max relative difference {check_hvp_agrees(32):.1e}")


if __name__ == "__main__":
    main()
