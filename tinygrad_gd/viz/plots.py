"""Training pictures with matplotlib: learning curves, schedules, loss landscapes, Hessian spectra.

matplotlib is imported inside each function (it is an optional extra), and figures are built with
``matplotlib.figure.Figure`` rather than pyplot, so they work headless (no display, no global
figure list) and in notebooks alike. Every function returns the Figure; where one panel is drawn,
``ax=`` draws it into an existing Axes instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..autograd import enable_grad, no_grad
from ..autograd.functional import grad as _grad
from ..tensor import Tensor

_SPLITS = {"train": "train", "training": "train", "test": "test", "val": "validation",
           "valid": "validation", "validation": "validation"}
_SPLIT_COLORS = {"train": "C0", "test": "C1", "validation": "C2", "": "C0"}
_SKIP = {"epoch", "epochs", "step", "steps", "time", "seconds", "iteration"}


def _figure(ncols: int = 1, width: float = 5.5, height: float = 3.8, **kwargs: Any):
    from matplotlib.figure import Figure

    return Figure(figsize=(width * ncols, height), layout="constrained", **kwargs)


# ------------------------------------------------------------------------------ history
def _history_columns(history: Any) -> dict[str, list[float]]:
    """A dict of lists or a list of per-epoch dicts, as {key: list of floats (NaN if absent)}."""
    if isinstance(history, Mapping):
        return {str(k): [float(v) for v in vs] for k, vs in history.items()}
    rows = list(history)
    if not all(isinstance(r, Mapping) for r in rows):
        raise TypeError("plot_history: history must be a dict of lists or a list of dicts "
                        "(one per epoch)")
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return {str(k): [float(r.get(k, np.nan)) for r in rows] for k in keys}


def _split_key(key: str) -> tuple[str, str]:
    """'train_loss' -> ('train', 'loss'); 'val_acc' -> ('validation', 'accuracy')."""
    low = key.lower()
    split, metric = "", low
    for word, name in _SPLITS.items():
        if low.startswith(word + "_"):
            split, metric = name, low[len(word) + 1:]
            break
        if low.endswith("_" + word):
            split, metric = name, low[: -len(word) - 1]
            break
    if metric in ("acc", "accuracy"):
        metric = "accuracy"
    return split, metric


def plot_history(history: Any, metrics: Sequence[str] | None = None, *, logy: bool = False,
                 title: str | None = None, ax: Any = None) -> Any:
    """Learning curves: one panel per metric (loss, accuracy, ...), one line per split.

    ``history`` is a dict of per-epoch lists, ``{"train_loss": [...], "test_loss": [...],
    "train_accuracy": [...]}``, or a list of per-epoch dicts. Keys are read as ``split_metric``
    (``train``/``test``/``val`` prefixes or suffixes; ``acc`` means accuracy); an ``epoch`` key,
    if present, gives the x values. Accuracies in [0, 1] are shown as percentages. ``metrics``
    picks and orders the panels; ``logy`` puts losses on a log scale; ``ax`` draws everything on
    one Axes.

    >>> from tinygrad_gd import viz
    >>> fig = viz.plot_history({"train_loss": [1.0, 0.5, 0.3], "test_loss": [1.1, 0.7, 0.6],
    ...                         "test_accuracy": [0.6, 0.8, 0.85]})
    >>> [a.get_title() for a in fig.axes]
    ['Loss', 'Accuracy']
    """
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    columns = _history_columns(history)
    if not columns:
        raise ValueError("plot_history: history is empty")
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1:
        raise ValueError("plot_history: every series needs one value per epoch, got lengths "
                         + ", ".join(f"{k}={len(v)}" for k, v in columns.items()))
    n = lengths.pop()
    epochs = next((np.asarray(columns[k]) for k in columns if k.lower() in ("epoch", "epochs")),
                  np.arange(1, n + 1))
    groups: dict[str, list[tuple[str, str]]] = {}
    for key in columns:
        if key.lower() in _SKIP:
            continue
        split, metric = _split_key(key)
        groups.setdefault(metric, []).append((split, key))
    if metrics is not None:
        missing = [m for m in metrics if _split_key(m)[1] not in groups]
        if missing:
            raise ValueError(f"plot_history: no series for {missing}; history has "
                             f"{sorted(groups)}")
        groups = {_split_key(m)[1]: groups[_split_key(m)[1]] for m in metrics}
    else:  # loss first, accuracy second, the rest in their order
        order = sorted(groups, key=lambda m: (m != "loss", m != "accuracy"))
        groups = {m: groups[m] for m in order}

    if ax is None:
        fig = _figure(len(groups))
        axes = list(fig.subplots(1, len(groups), squeeze=False)[0])
    else:
        fig, axes = ax.figure, [ax] * len(groups)
    for axis, (metric, series) in zip(axes, groups.items()):
        values = [np.asarray(columns[key]) for _, key in series]
        percent = metric == "accuracy" and all(np.nanmax(v) <= 1.0 for v in values)
        for (split, key), v in zip(series, values):
            label = split or key
            if ax is not None:
                label = key
            axis.plot(epochs, v, marker="o" if n <= 30 else None, markersize=4,
                      color=_SPLIT_COLORS.get(split, None) if ax is None else None, label=label)
        if percent and (ax is None or len(groups) == 1):  # a shared ax also holds the losses
            axis.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        if logy and metric == "loss":
            axis.set_yscale("log")
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        if ax is None:
            axis.set_ylabel(metric + (" (log scale)" if logy and metric == "loss" else ""))
            axis.set_title(metric.capitalize())
        axis.grid(True, alpha=0.3)
        axis.legend()
    if title:
        fig.suptitle(title)
    return fig


# ---------------------------------------------------------------------------- schedules
def lr_schedule(scheduler_factory: Callable, epochs: int, steps_per_epoch: int = 1, *,
                lr: float = 0.1, per_batch: bool | None = None,
                metric: Callable[[int], float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The learning rate a scheduler gives each optimizer step: ``(x in epochs, lr)``.

    ``scheduler_factory(optimizer)`` builds the scheduler on an SGD optimizer of learning rate
    ``lr``. It is stepped after each batch when ``per_batch`` (by default for ``CyclicLR`` and
    ``OneCycleLR``, as they are meant to be used), else after each epoch. ``ReduceLROnPlateau``
    is fed ``metric(epoch)`` (by default a constant loss: a plateau).

    >>> from tinygrad_gd import viz, optim
    >>> xs, lrs = viz.lr_schedule(lambda o: optim.lr_scheduler.ExponentialLR(o, 0.5), 3)
    >>> lrs.tolist()
    [0.1, 0.05, 0.025]
    """
    xs, lrs, _, _ = _run_schedule(scheduler_factory, epochs, steps_per_epoch, lr, per_batch,
                                  metric)
    return xs, lrs


def _run_schedule(factory: Callable, epochs: int, steps_per_epoch: int, lr: float,
                  per_batch: bool | None, metric: Callable[[int], float] | None):
    """``lr_schedule``, plus the scheduler's class name and whether it was stepped per batch."""
    from .. import optim

    if epochs < 1 or steps_per_epoch < 1:
        raise ValueError(f"lr_schedule: epochs and steps_per_epoch must be >= 1, got {epochs} "
                         f"and {steps_per_epoch}")
    opt = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=lr)
    sched = factory(opt)
    name = type(sched).__name__
    if per_batch is None:
        per_batch = name in ("CyclicLR", "OneCycleLR")
    xs, lrs = [], []
    for epoch in range(epochs):
        for step in range(steps_per_epoch):
            xs.append(epoch + step / steps_per_epoch)
            lrs.append(opt.param_groups[0]["lr"])
            last = epoch == epochs - 1 and step == steps_per_epoch - 1
            if per_batch and not last:  # OneCycleLR raises past its last step
                sched.step()
        if per_batch or epoch == epochs - 1:
            continue
        if name == "ReduceLROnPlateau":
            sched.step(metric(epoch) if metric else 1.0)
        else:
            sched.step()
    return np.array(xs), np.array(lrs), name, per_batch


def plot_lr_schedule(scheduler_factory: Callable | Mapping[str, Callable], epochs: int,
                     steps_per_epoch: int = 1, *, lr: float = 0.1, per_batch: bool | None = None,
                     logy: bool = False, ax: Any = None) -> Any:
    """The learning rate over training of one scheduler, or several to compare.

    ``scheduler_factory`` is ``optimizer -> scheduler`` (e.g.
    ``lambda opt: optim.lr_scheduler.CosineAnnealingLR(opt, T_max=50)``) or a dict
    ``{label: factory}``; see ``lr_schedule`` for how each is stepped. Epoch-wise schedules are
    drawn as steps (the lr is constant within an epoch).

    >>> from tinygrad_gd import viz, optim
    >>> fig = viz.plot_lr_schedule(lambda o: optim.lr_scheduler.StepLR(o, 10, 0.5), epochs=30)
    >>> fig.axes[0].lines[0].get_ydata()[[0, 10, 29]].tolist()
    [0.1, 0.05, 0.025]
    """
    factories = (dict(scheduler_factory) if isinstance(scheduler_factory, Mapping)
                 else {None: scheduler_factory})
    if ax is None:
        fig = _figure(width=7.0, height=3.8)
        ax = fig.subplots()
    else:
        fig = ax.figure
    for label, factory in factories.items():
        xs, lrs, name, stepped_per_batch = _run_schedule(factory, epochs, steps_per_epoch, lr,
                                                         per_batch, None)
        ax.plot(xs, lrs, drawstyle="default" if stepped_per_batch else "steps-post",
                linewidth=1.8, label=name if label is None else label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate" + (" (log scale)" if logy else ""))
    if logy:
        ax.set_yscale("log")
    ax.set_xlim(0, epochs)
    ax.set_title("Learning-rate schedule" + ("s" if len(factories) > 1 else ""))
    ax.grid(True, alpha=0.3)
    if len(factories) > 1:  # beside the axes: schedules cross the whole plot
        ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.legend(fontsize=9)
    return fig


# ----------------------------------------------------------------------- loss landscape
def _batch_loss(model: Any, loss_fn: Callable, batch: Any) -> float:
    x, y = batch
    return float(loss_fn(model(x), y).item())


def filter_normalized_direction(params: Sequence[Tensor], rng: np.random.Generator,
                                ignore_1d: bool = True) -> list[np.ndarray]:
    """A random direction in parameter space scaled filter by filter (Li et al., 2018).

    Each filter (a slice along axis 0: a neuron's incoming weights for ``Linear``, an output
    channel for ``Conv2d``) of the Gaussian direction is rescaled to the norm of the same filter
    of the parameter, so that directions are comparable across layers whatever their scale.
    One-dimensional parameters (biases, batch-norm scales) get no component when ``ignore_1d``.
    """
    directions = []
    for p in params:
        w = p.numpy().astype(np.float64)
        if w.ndim <= 1:
            d = np.zeros_like(w) if ignore_1d else rng.standard_normal(w.shape) * (
                np.linalg.norm(w) / max(np.sqrt(w.size), 1.0))
        else:
            d = rng.standard_normal(w.shape)
            axes = tuple(range(1, w.ndim))
            wn = np.sqrt((w * w).sum(axis=axes, keepdims=True))
            dn = np.sqrt((d * d).sum(axis=axes, keepdims=True))
            d = d * wn / np.maximum(dn, 1e-12)
        directions.append(d)
    return directions


def loss_landscape(model: Any, loss_fn: Callable, batch: Any, dims: int = 2,
                   resolution: int = 25, span: float = 1.0,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The loss around the model's weights ``w``: ``L(w + a d1 + b d2)`` on a grid of ``a, b`` in
    ``[-span, span]`` (``dims=2``; for ``dims=1``, ``L(w + a d1)``), ``d1, d2`` random
    filter-normalised directions drawn with ``seed``. Returns ``(alphas, betas, losses)``
    (``betas`` None in 1-D; ``losses[j, i]`` is at ``alphas[i], betas[j]``). The model is put
    in eval mode and its weights are restored afterwards."""
    if dims not in (1, 2):
        raise ValueError(f"loss_landscape: dims must be 1 or 2, got {dims!r}")
    if resolution < 2:
        raise ValueError(f"loss_landscape: resolution must be at least 2, got {resolution}")
    params = list(model.parameters())
    if not params:
        raise ValueError("loss_landscape: the model has no parameters")
    rng = np.random.default_rng(seed)
    dirs = [filter_normalized_direction(params, rng) for _ in range(dims)]
    originals = [p.numpy().copy() for p in params]
    alphas = np.linspace(-span, span, resolution)
    betas = alphas.copy() if dims == 2 else None
    training = getattr(model, "training", None)
    if training is not None:
        model.eval()

    def loss_at(a: float, b: float) -> float:
        for p, w, d1, d2 in zip(params, originals, dirs[0], dirs[-1]):
            moved = w + a * d1 + (b * d2 if dims == 2 else 0.0)
            p.copy_(Tensor(moved.astype(w.dtype), device=p.device))
        return _batch_loss(model, loss_fn, batch)

    try:
        with no_grad():
            if dims == 1:
                losses = np.array([loss_at(a, 0.0) for a in alphas])
            else:
                losses = np.array([[loss_at(a, b) for a in alphas] for b in betas])
    finally:
        with no_grad():
            for p, w in zip(params, originals):
                p.copy_(Tensor(w, device=p.device))
        if training is not None:
            model.train(training)
    return alphas, betas, losses


def plot_loss_landscape(model: Any, loss_fn: Callable, batch: Any, dims: int = 2, *,
                        kind: str = "both", resolution: int = 25, span: float = 1.0,
                        seed: int = 0, ax: Any = None) -> Any:
    """The loss around a trained model along filter-normalised random directions (Li et al.
    2018): a curve for ``dims=1``; for ``dims=2`` a contour map (``kind="contour"``), a 3-D
    surface (``"surface"``) or both side by side (``"both"``).

    ``loss_fn(model(x), y)`` must return a scalar Tensor for ``batch = (x, y)``; see
    ``loss_landscape`` for the grid. ``ax`` (a 3-D Axes for ``"surface"``) draws a single panel.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd import nn, viz
    >>> tg.manual_seed(0)
    >>> model, x, y = nn.Linear(3, 2), tg.randn(8, 3), tg.randint(0, 2, (8,))
    >>> fig = viz.plot_loss_landscape(model, nn.functional.cross_entropy, (x, y), dims=1,
    ...                               resolution=5)
    >>> len(fig.axes[0].lines)
    2
    """
    if kind not in ("contour", "surface", "both"):
        raise ValueError(f"plot_loss_landscape: kind must be 'contour', 'surface' or 'both', "
                         f"got {kind!r}")
    alphas, betas, losses = loss_landscape(model, loss_fn, batch, dims, resolution, span, seed)
    # the star's loss is taken as the landscape's: in eval mode (no dropout noise), no graph
    training = getattr(model, "training", None)
    if training is not None:
        model.eval()
    try:
        with no_grad():
            center = _batch_loss(model, loss_fn, batch)
    finally:
        if training is not None:
            model.train(training)
    if dims == 1:
        if ax is None:
            fig = _figure(width=6.5)
            ax = fig.subplots()
        ax.plot(alphas, losses, linewidth=2, label="loss along direction d")
        ax.plot([0.0], [center], "*", color="gold", markeredgecolor="black", markersize=14,
                label="trained weights")
        ax.set_xlabel("step α along a filter-normalised direction  (w + α·d)")
        ax.set_ylabel("loss")
        ax.set_title("Loss along a random direction")
        ax.grid(True, alpha=0.3)
        ax.legend()
        return ax.figure
    panels = ["contour", "surface"] if kind == "both" else [kind]
    if ax is not None and len(panels) > 1:
        raise ValueError("plot_loss_landscape: ax draws one panel; pass kind='contour' or "
                         "kind='surface' with it")
    if ax is None:
        fig = _figure(len(panels), width=5.8, height=4.8)
        axes = [fig.add_subplot(1, len(panels), i + 1,
                                projection="3d" if name == "surface" else None)
                for i, name in enumerate(panels)]
    else:
        if kind == "surface" and getattr(ax, "name", "") != "3d":
            raise ValueError("plot_loss_landscape: kind='surface' needs a 3-D Axes "
                             "(fig.add_subplot(projection='3d'))")
        fig, axes = ax.figure, [ax]
    ga, gb = np.meshgrid(alphas, betas)
    top = np.quantile(losses, 0.95)
    levels = np.linspace(losses.min(), top, 16)
    for axis, name in zip(axes, panels):
        if name == "contour":
            filled = axis.contourf(ga, gb, losses, levels=levels, cmap="viridis", extend="max")
            lines = axis.contour(ga, gb, losses, levels=levels[::3], colors="white",
                                 linewidths=0.7)
            axis.clabel(lines, fontsize=8, fmt="%.2g")
            fig.colorbar(filled, ax=axis, label="loss", shrink=0.9)
            axis.plot(0, 0, "*", color="gold", markeredgecolor="black", markersize=14)
            axis.set_aspect("equal")
            axis.set_title(f"Loss contours around the trained weights (★, loss {center:.3g})",
                           fontsize=10)
        else:
            axis.plot_surface(ga, gb, np.minimum(losses, top), cmap="viridis",
                              linewidth=0, antialiased=True, alpha=0.95)
            axis.set_zlabel("loss")
            axis.set_title("Loss surface (clipped at the 95th percentile)", fontsize=10)
            axis.view_init(elev=35, azim=-60)
        axis.set_xlabel("α (direction 1)")
        axis.set_ylabel("β (direction 2)")
    return fig


# ------------------------------------------------------------------------ Hessian spectrum
def hessian_eigenvalues(model: Any, loss_fn: Callable, batch: Any,
                        max_params: int = 3000) -> np.ndarray:
    """All eigenvalues (ascending) of the Hessian of ``loss_fn(model(x), y)`` with respect to
    every parameter of ``model``. Row ``i`` of the Hessian is the gradient of the ``i``-th entry
    of the gradient (built once with ``create_graph=True``): ``n`` backward passes for ``n``
    parameters, so this is meant for small models (at most ``max_params``)."""
    params = [p for p in model.parameters() if p.requires_grad]
    n = sum(p.numel() for p in params)
    if not params:
        raise ValueError("hessian_eigenvalues: the model has no parameters that require grad")
    if n > max_params:
        raise ValueError(f"hessian_eigenvalues: the model has {n} parameters, more than "
                         f"max_params={max_params}; the Hessian needs {n} backward passes and "
                         f"{n}x{n} floats (use tg.top_hessian_eigenvalue for large models)")
    x, y = batch
    with enable_grad():
        loss = loss_fn(model(x), y)
        grads = _grad(loss, params, create_graph=True, allow_unused=True)
        rows: list[np.ndarray] = []
        for g, p in zip(grads, params):
            if g is None or not g.requires_grad:  # the loss is at most linear in p
                rows.extend(np.zeros(n) for _ in range(p.numel()))
                continue
            flat = g.reshape(-1)
            for j in range(p.numel()):
                hs = _grad(flat[j], params, retain_graph=True, allow_unused=True)
                rows.append(np.concatenate([
                    np.zeros(q.size) if h is None else h.numpy().astype(np.float64).ravel()
                    for q, h in zip(params, hs)]))
    h = np.array(rows)
    return np.linalg.eigvalsh((h + h.T) / 2.0)


def plot_hessian_spectrum(model: Any, loss_fn: Callable, batch: Any, *, bins: int = 40,
                          max_params: int = 3000, ax: Any = None) -> Any:
    """The eigenvalues of a small model's Hessian at its current weights: sorted, on a symmetric
    log scale, and as a histogram. Negative eigenvalues mean the weights sit at a saddle (or the
    loss is not convex there); the largest one sets the largest stable learning rate of gradient
    descent, about ``2 / λ_max``. ``ax`` draws only the sorted eigenvalues.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd import nn, viz
    >>> tg.manual_seed(0)
    >>> model, x = nn.Linear(2, 1, dtype="float64"), tg.randn(8, 2, dtype="float64")
    >>> fig = viz.plot_hessian_spectrum(model, nn.functional.mse_loss, (x, tg.zeros(8, 1)))
    >>> len(fig.axes[0].collections[0].get_offsets())  # 3 parameters: 3 eigenvalues, all > 0
    3
    """
    eig = hessian_eigenvalues(model, loss_fn, batch, max_params)
    if ax is None:
        fig = _figure(2, width=5.6, height=3.9)
        ax, ax_hist = fig.subplots(1, 2)
    else:
        fig, ax_hist = ax.figure, None
    scale = max(float(np.abs(eig).max()), 1e-12)
    tol = 1e-6 * scale  # below this an eigenvalue is zero up to rounding
    neg, pos = eig < -tol, eig > tol
    zero = ~(neg | pos)
    idx = np.arange(1, eig.size + 1)
    for mask, color, label in ((pos, "C0", "λ > 0"), (zero, "#999999", "λ ≈ 0"),
                               (neg, "C3", "λ < 0")):
        if mask.any():
            ax.scatter(idx[mask], eig[mask], s=10, color=color, label=label)
    # linear within 1e-3 of the largest |eigenvalue|, logarithmic beyond: both signs readable
    ax.set_yscale("symlog", linthresh=max(scale * 1e-3, 1e-12), linscale=1.5)
    ax.axhline(0.0, color="#888888", linewidth=0.8)
    ax.set_xlabel("eigenvalue index (ascending)")
    ax.set_ylabel("eigenvalue λ (symmetric log scale)")
    ax.set_title(f"{eig.size} Hessian eigenvalues: λ_max = {eig[-1]:.3g}, "
                 f"{int(neg.sum())} negative, {int(zero.sum())} ≈ 0", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9)
    if ax_hist is not None:
        ax_hist.hist(eig, bins=bins, color="C0", edgecolor="white")
        ax_hist.set_yscale("log")
        ax_hist.set_xlabel("eigenvalue λ")
        ax_hist.set_ylabel("count (log scale)")
        ax_hist.set_title("Spectral density: most curvature is near zero", fontsize=10)
        ax_hist.axvline(0.0, color="#888888", linewidth=0.8)
        ax_hist.grid(True, alpha=0.3)
    return fig
