"""Forward mode or reverse mode? Time both on the shapes where each one wins.

A Jacobian of ``f: R^n -> R^m`` costs ``n`` forward passes carrying tangents (``jacfwd``) or ``m``
backward passes (``jacrev``). So a *tall* function (few inputs, many outputs) wants forward mode,
and a *wide* one (many inputs, few outputs: every loss) wants reverse mode.

A Hessian-vector product needs both: ``tg.hvp`` pushes the tangent ``v`` through the backward
pass (forward over reverse, ``jvp(grad(f))``), against the older reverse over reverse (the
gradient of ``grad(f) . v``, two backward passes). Inside an iterative solver (Newton-CG, power
iteration) the story changes again: the gradient's graph is built once and each product is one
more backward pass through it, which a fresh forward-over-reverse product cannot beat.

    python examples/forward_vs_reverse.py [--repeat 15] [--plot forward_vs_reverse.png]

With ``--plot`` it also times both over a sweep of input sizes (outputs fixed) and of output
sizes (inputs fixed) and draws the cost curves with ``tg.viz.plot_scaling``: the lines cross
where the Jacobian turns from tall to wide.

Figures are the best of ``--repeat`` interleaved runs, one BLAS thread.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before NumPy loads: one thread, comparable figures

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

import tinygrad_gd as tg  # noqa: E402
from tinygrad_gd.nn import functional as F  # noqa: E402


def best_times(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Seconds of each run, best of ``repeat``, the runs interleaved (same machine load)."""
    best = {k: float("inf") for k in runs}
    for fn in runs.values():
        fn()  # warm-up
    for _ in range(repeat):
        for k, fn in runs.items():
            start = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - start)
    return best


def winner(t: dict[str, float]) -> str:
    """Which of jacfwd/jacrev was faster, and by how much."""
    fast, slow = sorted(t, key=t.get)
    return f"jac{fast} {t[slow] / t[fast]:.0f}x"


def jacobians(repeat: int) -> None:
    rng = np.random.default_rng(0)
    print("1. Jacobians: jacfwd (one tangent pass per input) vs jacrev (one backward per output)")
    print(f"{'function':<30}{'jacobian':>12}{'jacfwd ms':>11}{'jacrev ms':>11}{'faster':>16}")
    for n, m in ((8, 4000), (4000, 8)):
        w = tg.tensor(rng.standard_normal((m, n)) / np.sqrt(n))

        def f(x, w=w):
            return (w @ x).tanh() * x.sum()

        x = tg.tensor(rng.standard_normal(n))
        fwd, rev = tg.func.jacfwd(f), tg.func.jacrev(f)
        assert np.allclose(fwd(x).numpy(), rev(x).numpy(), atol=1e-12)
        t = best_times({"fwd": lambda fwd=fwd, x=x: fwd(x), "rev": lambda rev=rev, x=x: rev(x)},
                       max(3, repeat // 5))
        kind = "tall" if m > n else "wide"
        print(f"{f'{kind}: R^{n} -> R^{m}':<30}{f'{m}x{n}':>12}{t['fwd'] * 1e3:>11.1f}"
              f"{t['rev'] * 1e3:>11.1f}{winner(t):>16}")
    print()


def hvps(repeat: int) -> None:
    rng = np.random.default_rng(0)
    batch = 512
    arrays = [rng.standard_normal((256, 784)) / 28, np.zeros(256),
              rng.standard_normal((10, 256)) / 16, np.zeros(10)]
    params = [tg.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    vs = tuple(tg.tensor(rng.standard_normal(a.shape).astype(np.float32)) for a in arrays)
    x = tg.tensor(rng.random((batch, 784), dtype=np.float32))
    y = tg.tensor(rng.integers(0, 10, batch))

    def loss(w1, b1, w2, b2):
        return F.cross_entropy(F.linear(F.linear(x, w1, b1).tanh(), w2, b2), y)

    _, h_for = tg.hvp(loss, tuple(params), vs)
    _, h_ror = tg.hvp(loss, tuple(params), vs, mode="reverse-over-reverse")
    err = max(float(np.abs(a.numpy() - b.numpy()).max() / np.abs(b.numpy()).max())
              for a, b in zip(h_for, h_ror))
    t = best_times({
        "gradient": lambda: tg.grad(loss(*params), params),
        "forward-over-reverse": lambda: tg.hvp(loss, tuple(params), vs),
        "reverse-over-reverse": lambda: tg.hvp(loss, tuple(params), vs,
                                               mode="reverse-over-reverse"),
    }, repeat)
    print(f"2. Hessian-vector products: MLP 784-256-tanh-10, cross-entropy, batch {batch}, "
          f"float32, all {sum(p.numel() for p in params):,} parameters")
    print(f"{'':<24}{'ms':>8}{'x gradient':>12}")
    for k, v in t.items():
        print(f"{k:<24}{v * 1e3:>8.2f}{v / t['gradient']:>12.2f}")
    print(f"(the two HVPs agree to {err:.0e}, relative)\n")


def solver(repeat: int) -> None:
    rng = np.random.default_rng(1)
    x = tg.tensor(rng.standard_normal((512, 784)) * 0.1)
    y = tg.tensor(rng.integers(0, 10, 512))
    params = [tg.tensor(rng.standard_normal((10, 784)) * 0.01, requires_grad=True),
              tg.tensor(np.zeros(10), requires_grad=True)]
    vs = [tg.tensor(rng.standard_normal(tuple(p.shape))) for p in params]

    def loss(w, b):
        return F.cross_entropy(F.linear(x, w, b), y)

    grads = tg.grad(loss(*params), params, create_graph=True)  # built once, kept

    def reuse():
        dot = sum((g * v).sum() for g, v in zip(grads, vs))
        return tg.grad(dot, params, retain_graph=True)

    t = best_times({"reuse": reuse, "fresh": lambda: tg.hvp(loss, tuple(params), tuple(vs))},
                   repeat)
    print("3. Inside Newton-CG / power iteration (softmax regression 784-10, n=512, float64):")
    print(f"   one more backward through the kept gradient graph {t['reuse'] * 1e3:.2f} ms per "
          f"product; a fresh forward-over-reverse tg.hvp {t['fresh'] * 1e3:.2f} ms")
    print("   -> optim.Newton and tg.top_hessian_eigenvalue keep the graph and reuse it.")


def sweep(repeat: int, path: str) -> None:
    """jacfwd and jacrev timed as the input size grows (128 outputs), then as the output size
    grows (128 inputs); the cost curves saved to ``path``."""
    rng = np.random.default_rng(1)
    sizes = [8, 32, 128, 512]
    panels = {}
    for label, shape in (("inputs n (128 outputs)", lambda k: (k, 128)),
                         ("outputs m (128 inputs)", lambda k: (128, k))):
        times: dict[str, list[float]] = {"jacfwd": [], "jacrev": []}
        for k in sizes:
            n, m = shape(k)
            w = tg.tensor(rng.standard_normal((m, n)) / np.sqrt(n))
            x = tg.tensor(rng.standard_normal(n))

            def f(x, w=w):
                return (w @ x).tanh() * x.sum()

            fwd, rev = tg.func.jacfwd(f), tg.func.jacrev(f)
            t = best_times({"jacfwd": lambda fwd=fwd, x=x: fwd(x),
                            "jacrev": lambda rev=rev, x=x: rev(x)}, max(2, repeat // 5))
            for name in times:
                times[name].append(t[name])
        panels[label] = (sizes, times)
    fig = tg.viz.plot_scaling(panels, title="Jacobian cost: forward vs reverse mode")
    fig.savefig(path, dpi=110)
    print(f"4. cost curves of jacfwd and jacrev against the input and output sizes: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--plot", default=None, metavar="PATH",
                        help="also sweep the sizes and save the cost curves (a .png) there")
    args = parser.parse_args()
    jacobians(args.repeat)
    hvps(args.repeat)
    solver(args.repeat)
    if args.plot:
        sweep(args.repeat, args.plot)


if __name__ == "__main__":
    main()
