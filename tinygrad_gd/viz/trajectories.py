"""Optimizers racing on 2-D test functions: Rosenbrock's valley, a saddle, Himmelblau's four minima.

The functions are ordinary Tensor code, ``f(x, y)``, so the same definition is differentiated by the
optimizers and evaluated on a grid for the contour picture.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor


class Surface2D:
    """A named 2-D test function ``f(x, y)`` of Tensors, with the view, start point, minima and
    learning rates that make a clear picture.

    >>> from tinygrad_gd import viz, tensor
    >>> viz.rosenbrock(tensor(1.0), tensor(1.0)).item()
    0.0
    """

    def __init__(self, name: str, fn: Callable[[Any, Any], Any], xlim: tuple[float, float],
                 ylim: tuple[float, float], start: tuple[float, float],
                 minima: Sequence[tuple[float, float]], lr: float, adam_lr: float,
                 formula: str, legend_loc: str = "upper right", noise: float = 0.5) -> None:
        self.name, self.fn, self.formula, self.legend_loc = name, fn, formula, legend_loc
        self.noise = noise  # the gradient noise of "SGD (noisy gradients)" in the default race
        self.xlim, self.ylim, self.start = xlim, ylim, start
        self.minima, self.lr, self.adam_lr = list(minima), lr, adam_lr

    def __call__(self, x: Any, y: Any) -> Any:
        return self.fn(x, y)

    @property
    def min_value(self) -> float:
        """The smallest value of the function (at its minima)."""
        x, y = self.minima[0]
        return float(self(Tensor(x, dtype="float64"), Tensor(y, dtype="float64")).item())

    def __repr__(self) -> str:
        return f"<{self.name}: {self.formula}>"


rosenbrock = Surface2D(
    "Rosenbrock", lambda x, y: (1.0 - x) ** 2 + 100.0 * (y - x ** 2) ** 2,
    xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), start=(-1.2, 1.0), minima=[(1.0, 1.0)],
    lr=1e-3, adam_lr=0.1, formula="(1 - x)² + 100 (y - x²)²", legend_loc="upper center",
    noise=2.0)
rosenbrock.__doc__ = "Rosenbrock's banana valley: minimum 0 at (1, 1), curvature ratio ~2500."

saddle = Surface2D(
    "Saddle", lambda x, y: x ** 2 + 0.25 * y ** 4 - 0.5 * y ** 2,
    xlim=(-2.0, 2.0), ylim=(-1.6, 1.6), start=(-1.8, 0.01), minima=[(0.0, 1.0), (0.0, -1.0)],
    lr=0.05, adam_lr=0.05, formula="x² + y⁴/4 - y²/2")
saddle.__doc__ = ("A saddle at (0, 0) between two minima at (0, ±1), value -1/4: started close "
                  "to the ridge, gradient descent stalls near the saddle and Newton's method "
                  "converges to it.")

himmelblau = Surface2D(
    "Himmelblau", lambda x, y: (x ** 2 + y - 11.0) ** 2 + (x + y ** 2 - 7.0) ** 2,
    xlim=(-5.0, 5.0), ylim=(-5.0, 5.0), start=(-0.3, -0.9),
    minima=[(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848127)],
    lr=0.005, adam_lr=0.1, formula="(x² + y - 11)² + (x + y² - 7)²", legend_loc="lower right")
himmelblau.__doc__ = ("Himmelblau's function: four minima of value 0; from near its local "
                      "maximum (-0.27, -0.92) different optimizers end in different ones.")


def default_optimizers(f: Any = None, lr: float | None = None) -> dict[str, Callable]:
    """The default race: GD, SGD with noisy gradients, momentum, Adam and Newton, with learning
    rates suited to ``f`` (a ``Surface2D``) unless ``lr`` is given. Values are factories
    ``params -> optimizer``."""
    from .. import optim

    base = lr if lr is not None else getattr(f, "lr", 1e-2)
    adam = lr if lr is not None else getattr(f, "adam_lr", 0.05)
    races: dict[str, Callable] = {
        "GD": lambda p: optim.GD(p, lr=base),
        "SGD (noisy gradients)": lambda p: optim.SGD(p, lr=base),
        "momentum 0.9": lambda p: optim.SGD(p, lr=base, momentum=0.9),
        "Adam": lambda p: optim.Adam(p, lr=adam),
    }
    if hasattr(optim, "Newton"):
        races["Newton"] = lambda p: optim.Newton(p)
    return races


def optimizer_path(f: Callable, make_optimizer: Callable, start: Sequence[float],
                   steps: int = 100, gradient_noise: float = 0.0,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Run one optimizer on ``f(x, y)`` from ``start``: the points visited, shape
    ``(n, 2)``, and ``f`` at each, shape ``(n,)`` (``n <= steps + 1``; a run stops early when it
    diverges). ``gradient_noise`` adds Gaussian noise of that standard deviation to each
    gradient, the way a mini-batch gradient scatters around the full one (SGD); Newton's method,
    which differentiates the loss itself, gets none."""
    from ..optim import Newton

    p = Tensor(np.asarray(start, dtype=np.float64).reshape(2), requires_grad=True)
    opt = make_optimizer([p])
    rng = np.random.default_rng(seed)
    # Newton differentiates the closure's loss itself (twice): its closure must not backward
    differentiates_itself = isinstance(opt, Newton)

    def closure() -> Tensor:
        opt.zero_grad()
        loss = f(p[0], p[1])
        if differentiates_itself:
            return loss
        loss.backward()
        if gradient_noise:
            with no_grad():
                p.grad.add_(Tensor(rng.normal(0.0, gradient_noise, size=2)))
        return loss

    points, values = [p.numpy().copy()], []
    for _ in range(steps):
        loss = opt.step(closure)
        values.append(float(loss.item()))
        here = p.numpy().copy()
        if not np.all(np.isfinite(here)) or np.abs(here).max() > 1e6:
            break
        points.append(here)
    with no_grad():
        values.append(float(f(p[0], p[1]).item()))
    n = min(len(points), len(values))
    return np.array(points[:n]), np.array(values[:n])


def _grid(f: Callable, xlim: Sequence[float], ylim: Sequence[float], n: int = 300):
    xs, ys = np.linspace(*xlim, n), np.linspace(*ylim, n)
    gx, gy = np.meshgrid(xs, ys)
    with no_grad():
        gz = f(Tensor(gx), Tensor(gy)).numpy()
    return gx, gy, gz


def plot_trajectories(f: Callable, optimizers: Mapping[str, Callable] | None = None,
                      start: Sequence[float] | None = None, steps: int = 100, *,
                      lr: float | None = None,
                      gradient_noise: float | Mapping[str, float] | None = None,
                      xlim: Sequence[float] | None = None, ylim: Sequence[float] | None = None,
                      seed: int = 0, ax: Any = None) -> Any:
    """Paths of several optimizers on a 2-D function, over its contour lines.

    Args:
        f: ``f(x, y)`` written with Tensor operations, e.g. ``viz.rosenbrock``, ``viz.saddle``,
            ``viz.himmelblau`` (these carry a view, a start point, their minima and good rates).
        optimizers: ``{name: params -> optimizer}``, e.g.
            ``{"GD": lambda p: optim.GD(p, lr=1e-3)}``; None for the default race (GD, SGD with
            noisy gradients, momentum, Adam, Newton; see ``default_optimizers``).
        start: the common starting point; ``f.start`` by default.
        steps: optimizer steps per path.
        lr: the learning rate of the default race (by default the function's own).
        gradient_noise: the standard deviation of noise added to the gradient, one number for all
            or ``{name: std}``; by default 0, except "SGD (noisy gradients)" of the default race.
        xlim, ylim: the view (the function's own by default, else fitted to the paths).
        seed: seeds the gradient noise.
        ax: draw the contours and paths there; by default a new figure with a second panel, the
            function's value along each path (the gap to the minimum on a log scale).

    Returns the matplotlib Figure.

    >>> from tinygrad_gd import viz, optim
    >>> fig = viz.plot_trajectories(viz.rosenbrock, {"GD": lambda p: optim.GD(p, lr=1e-3)},
    ...                             steps=20)
    >>> fig.axes[0].get_title()
    'Rosenbrock: (1 - x)² + 100 (y - x²)²'
    """
    from matplotlib.figure import Figure

    if start is None:
        if not hasattr(f, "start"):
            raise ValueError("plot_trajectories: pass start=(x, y) for a function that is not "
                             "one of viz.rosenbrock/saddle/himmelblau")
        start = f.start
    if len(start) != 2:
        raise ValueError(f"plot_trajectories: start must be a point (x, y), got {start!r}")
    if steps < 1:
        raise ValueError(f"plot_trajectories: steps must be at least 1, got {steps}")
    if optimizers is None:
        optimizers = default_optimizers(f, lr)
        noise_default = {"SGD (noisy gradients)": getattr(f, "noise", 0.5)}
    else:
        noise_default = {}
    if gradient_noise is None:
        noise = noise_default
    elif isinstance(gradient_noise, Mapping):
        noise = dict(gradient_noise)
    else:
        noise = dict.fromkeys(optimizers, float(gradient_noise))

    paths = {name: optimizer_path(f, make, start, steps, noise.get(name, 0.0), seed)
             for name, make in optimizers.items()}

    if ax is None:
        fig = Figure(figsize=(12, 5.6), layout="constrained")
        ax, ax_loss = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1]})
    else:
        fig, ax_loss = ax.figure, None
    if xlim is None or ylim is None:
        pts = np.concatenate([p for p, _ in paths.values()] + [np.array([start])])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = np.maximum(0.15 * (hi - lo), 0.5)
        xlim = xlim or getattr(f, "xlim", (lo[0] - pad[0], hi[0] + pad[0]))
        ylim = ylim or getattr(f, "ylim", (lo[1] - pad[1], hi[1] + pad[1]))
    gx, gy, gz = _grid(f, xlim, ylim)
    # log-spaced levels above the lowest value: the valley floor and the walls both get lines
    finite = gz[np.isfinite(gz)]
    gaps = finite - finite.min()
    low = max(np.quantile(gaps, 0.002), 1e-3 * gaps.max(), 1e-12)
    levels = finite.min() + np.geomspace(low, gaps.max(), 20)
    ax.contourf(gx, gy, gz, levels=levels, cmap="Greys_r", alpha=0.35, extend="max")
    ax.contour(gx, gy, gz, levels=levels, colors="#777777", linewidths=0.6)
    for i, (name, (pts, _)) in enumerate(paths.items()):
        ax.plot(pts[:, 0], pts[:, 1], "-o", color=f"C{i}", markersize=2.5, linewidth=1.6,
                label=name, zorder=3)
        ax.plot(pts[-1, 0], pts[-1, 1], "X", color=f"C{i}", markersize=9,
                markeredgecolor="black", zorder=4)
    ax.plot(*start, "o", color="white", markeredgecolor="black", markersize=9, label="start",
            zorder=5)
    minima = np.array(getattr(f, "minima", []))
    if len(minima):
        ax.plot(minima[:, 0], minima[:, 1], "*", color="gold", markeredgecolor="black",
                markersize=15, label="minimum", zorder=5)
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    name = getattr(f, "name", getattr(f, "__name__", "f"))
    ax.set_title(f"{name}: {f.formula}" if hasattr(f, "formula") else name)
    if ax_loss is None:
        ax.legend(loc=getattr(f, "legend_loc", "best"), fontsize=9, framealpha=0.9)
    else:  # one legend for both panels, under them, where it hides no path
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center",
                   ncol=len(paths) + 2, fontsize=10, frameon=False)

    if ax_loss is not None:
        fmin = f.min_value if hasattr(f, "minima") else None
        for i, (label, (_, vals)) in enumerate(paths.items()):
            gap = vals - fmin if fmin is not None else vals
            ax_loss.plot(np.arange(len(vals)), np.maximum(gap, 1e-16) if fmin is not None
                         else gap, color=f"C{i}", linewidth=1.6, label=label)
        ax_loss.set_xlabel("step")
        if fmin is not None:
            ax_loss.set_yscale("log")
            ax_loss.set_ylabel("f(x, y) − f(minimum)  (log scale)")
        else:
            ax_loss.set_ylabel("f(x, y)")
        ax_loss.set_title(f"value along each path, {steps} steps")
        ax_loss.grid(True, which="major", alpha=0.3)
    return fig
