"""Finite differences vs reverse-mode autodiff: accuracy and cost of a gradient.

The gradient of a small network's loss (196-10-10 tanh MLP on 14x14 MNIST digits, 2,080 parameters)
computed three ways: forward differences (f(w + h e_i) - f(w)) / h, central differences
(f(w + h e_i) - f(w - h e_i)) / 2h, and one backward pass. The table gives the error against the
float64 autodiff gradient, the number of loss evaluations and the time.

Forward differences have truncation error O(h) and central O(h^2), while round-off grows as
eps_machine / h: the best step is a compromise, and in float32 no step gives more than ~3 digits.
Autodiff costs one forward and one backward pass (a small constant times one evaluation) whatever
the number of parameters; finite differences cost n + 1 or 2n evaluations.

    python examples/finite_differences.py
"""

from __future__ import annotations

import time

import numpy as np

import tinygrad_gd as tg
from tinygrad_gd import data

SIZES = [(196, 10), (10, 10)]


def make_loss(x: np.ndarray, y: np.ndarray, dtype: str):
    """The loss as a function of one flat parameter vector (so each coordinate can be nudged)."""
    xt, yt = tg.tensor(x, dtype=dtype), tg.tensor(y)
    rows = tg.arange(len(y))

    def loss(w: tg.Tensor) -> tg.Tensor:
        h, start = xt, 0
        for i, (n_in, n_out) in enumerate(SIZES):
            weight = w[start:start + n_in * n_out].reshape(n_in, n_out)
            bias = w[start + n_in * n_out:start + n_in * n_out + n_out]
            start += n_in * n_out + n_out
            h = h @ weight + bias
            if i < len(SIZES) - 1:
                h = h.tanh()
        return -h.log_softmax(axis=1)[rows, yt].mean()

    return loss


def finite_difference(loss, w: np.ndarray, h: float, central: bool, dtype: str) -> np.ndarray:
    """The gradient one coordinate at a time: n + 1 (forward) or 2n (central) loss evaluations."""
    grad = np.zeros(w.size)
    wp = w.astype(dtype).copy()
    with tg.no_grad():
        f0 = None if central else loss(tg.tensor(wp)).item()
        for i in range(w.size):
            orig = wp[i]
            wp[i] = orig + h
            f_plus = loss(tg.tensor(wp)).item()
            if central:
                wp[i] = orig - h
                f_minus = loss(tg.tensor(wp)).item()
                grad[i] = (f_plus - f_minus) / (2 * h)
            else:
                grad[i] = (f_plus - f0) / h
            wp[i] = orig
    return grad


def autodiff(loss, w: np.ndarray, dtype: str) -> np.ndarray:
    wt = tg.tensor(w, dtype=dtype, requires_grad=True)
    loss(wt).backward()
    return wt.grad.numpy().astype(np.float64)


def main() -> None:
    """Print the accuracy/cost table."""
    mnist = data.MNIST("train", verbose=False)
    images = mnist.images[:256].astype(np.float64) / 255.0
    x = images.reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4)).reshape(-1, 196)  # 2x2 average pool
    y = mnist.labels[:256]
    n = sum(i * o + o for i, o in SIZES)
    w = np.random.default_rng(0).normal(0.0, 0.3, n)
    reference = autodiff(make_loss(x, y, "float64"), w, "float64")
    scale = np.abs(reference).max()
    print(f"gradient of a {n}-parameter loss; error = max |g - g_autodiff64| / max |g_autodiff64|")
    print(f"{'method':<22} {'dtype':<8} {'h':>7} {'evals':>6} {'time s':>8} {'rel. error':>11}")
    rows = []
    for dtype in ("float64", "float32"):
        loss = make_loss(x, y, dtype)
        for central in (False, True):
            for h in (1e-2, 1e-4, 1e-6, 1e-8):
                if dtype == "float32" and h < 1e-4:
                    continue  # below float32's resolution the difference is 0 or noise
                start = time.perf_counter()
                g = finite_difference(loss, w, h, central, dtype)
                seconds = time.perf_counter() - start
                name = "central differences" if central else "forward differences"
                rows.append((name, dtype, f"{h:.0e}", 2 * n if central else n + 1, seconds,
                             np.abs(g - reference).max() / scale))
        start = time.perf_counter()
        g = autodiff(loss, w, dtype)
        seconds = time.perf_counter() - start
        rows.append(("autodiff (1 backward)", dtype, "-", "1+bwd", seconds,
                     np.abs(g - reference).max() / scale))
    for name, dtype, h, evals, seconds, err in rows:
        print(f"{name:<22} {dtype:<8} {h:>7} {evals:>6} {seconds:>8.3f} {err:>11.1e}")


if __name__ == "__main__":
    main()
