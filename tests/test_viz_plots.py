"""viz plots run headless (Agg) on small inputs, draw the expected artists, and compute the right
numbers: schedules against their formulas, landscapes against the loss, Hessian spectra against
closed forms, optimizer paths against hand-computed steps."""

import os
import runpy

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

import tinygrad_gd as tg  # noqa: E402
from tinygrad_gd import nn, optim, viz  # noqa: E402
from tinygrad_gd.nn import functional as F  # noqa: E402

HISTORY = {"train_loss": [1.0, 0.6, 0.4, 0.3], "test_loss": [1.1, 0.8, 0.7, 0.7],
           "train_acc": [0.5, 0.7, 0.8, 0.9], "test_accuracy": [0.45, 0.6, 0.7, 0.72]}


# ------------------------------------------------------------------------------- history
def test_plot_history_dict_and_rows():
    fig = viz.plot_history(HISTORY)
    assert isinstance(fig, Figure)
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["train", "test"]
    np.testing.assert_allclose(loss_ax.lines[1].get_ydata(), HISTORY["test_loss"])
    np.testing.assert_allclose(loss_ax.lines[0].get_xdata(), [1, 2, 3, 4])
    assert acc_ax.get_title() == "Accuracy" and len(acc_ax.lines) == 2
    assert acc_ax.get_legend() is not None and loss_ax.get_xlabel() == "epoch"

    rows = [{"epoch": e, "train_loss": v} for e, v in zip((5, 6, 7), (3.0, 2.0, 1.0))]
    fig = viz.plot_history(rows, logy=True)
    (ax,) = fig.axes
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [5, 6, 7])
    assert ax.get_yscale() == "log"


def test_plot_history_on_given_axes_and_errors():
    fig = Figure()
    ax = fig.subplots()
    assert viz.plot_history(HISTORY, metrics=["loss"], ax=ax) is fig
    assert len(ax.lines) == 2
    # loss and accuracy on one shared Axes: the losses are not labelled as percentages
    ax = Figure().subplots()
    viz.plot_history({"train_loss": [1.0, 0.6], "test_accuracy": [0.45, 0.6]}, ax=ax)
    assert type(ax.yaxis.get_major_formatter()).__name__ != "PercentFormatter"
    ax = Figure().subplots()
    viz.plot_history(HISTORY, metrics=["accuracy"], ax=ax)
    assert type(ax.yaxis.get_major_formatter()).__name__ == "PercentFormatter"
    with pytest.raises(ValueError, match="one value per epoch"):
        viz.plot_history({"train_loss": [1.0, 2.0], "test_loss": [1.0]})
    with pytest.raises(ValueError, match="no series for"):
        viz.plot_history(HISTORY, metrics=["perplexity"])


# ------------------------------------------------------------------------------ schedules
def test_lr_schedule_matches_formulas():
    sch = optim.lr_scheduler
    xs, lrs = viz.lr_schedule(lambda o: sch.StepLR(o, step_size=3, gamma=0.5), epochs=7)
    np.testing.assert_allclose(lrs, 0.1 * 0.5 ** (np.arange(7) // 3))
    xs, lrs = viz.lr_schedule(lambda o: sch.CosineAnnealingLR(o, T_max=10), 10, lr=1.0)
    np.testing.assert_allclose(lrs, 0.5 * (1 + np.cos(np.pi * np.arange(10) / 10)), atol=1e-12)
    # per-epoch schedules hold the lr for the whole epoch
    xs, lrs = viz.lr_schedule(lambda o: sch.ExponentialLR(o, gamma=0.9), 3, steps_per_epoch=4)
    np.testing.assert_allclose(xs, np.arange(12) / 4)
    np.testing.assert_allclose(lrs, 0.1 * 0.9 ** np.repeat(np.arange(3), 4))
    # OneCycleLR steps per batch: every batch has its own lr, peaking at max_lr
    xs, lrs = viz.lr_schedule(lambda o: sch.OneCycleLR(o, max_lr=1.0, total_steps=40), 4, 10)
    assert len(np.unique(lrs)) > 30 and np.isclose(lrs.max(), 1.0, rtol=1e-3)
    # ReduceLROnPlateau sees a constant loss: one reduction once patience runs out
    xs, lrs = viz.lr_schedule(lambda o: sch.ReduceLROnPlateau(o, factor=0.5, patience=2), 6)
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.1, 0.1, 0.05, 0.05])


def test_plot_lr_schedule_lines_and_legend():
    sch = optim.lr_scheduler
    fig = viz.plot_lr_schedule(lambda o: sch.StepLR(o, 2, 0.5), epochs=6)
    (ax,) = fig.axes
    assert ax.lines[0].get_label() == "StepLR" and ax.get_ylabel() == "learning rate"
    assert ax.lines[0].get_drawstyle() == "steps-post"
    fig = viz.plot_lr_schedule({"step": lambda o: sch.StepLR(o, 2, 0.5),
                                "cosine": lambda o: sch.CosineAnnealingLR(o, T_max=6)},
                               epochs=6, logy=True)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["step", "cosine"]
    assert ax.get_yscale() == "log"


# ------------------------------------------------------------------------- loss landscape
def linear_problem():
    tg.manual_seed(0)
    model = nn.Linear(3, 2, dtype="float64")
    x, y = tg.randn(16, 3, dtype="float64"), tg.randn(16, 2, dtype="float64")
    return model, x, y


def test_filter_normalized_direction():
    model, _, _ = linear_problem()
    w, b = model.weight, model.bias
    d_w, d_b = viz.filter_normalized_direction([w, b], np.random.default_rng(0))
    # each neuron's incoming weights: the direction has the parameter's norm there
    np.testing.assert_allclose(np.linalg.norm(d_w, axis=1), np.linalg.norm(w.numpy(), axis=1))
    assert not np.allclose(d_w / np.linalg.norm(d_w), w.numpy() / np.linalg.norm(w.numpy()))
    assert np.all(d_b == 0)  # biases are left alone (Li et al.)


def test_loss_landscape_values_and_restored_weights():
    model, x, y = linear_problem()
    before = [p.numpy().copy() for p in model.parameters()]
    loss0 = F.mse_loss(model(x), y).item()
    alphas, betas, losses = viz.loss_landscape(model, F.mse_loss, (x, y), dims=1,
                                               resolution=9, span=2.0)
    assert betas is None and losses.shape == (9,)
    assert np.isclose(losses[4], loss0)  # alpha = 0 is the model itself
    # a linear model under squared error is exactly quadratic along any line in weight space
    coef = np.polyfit(alphas, losses, 2)
    np.testing.assert_allclose(np.polyval(coef, alphas), losses, rtol=1e-9, atol=1e-12)
    assert coef[0] > 0
    _, _, grid = viz.loss_landscape(model, F.mse_loss, (x, y), dims=2, resolution=5)
    assert grid.shape == (5, 5) and np.isclose(grid[2, 2], loss0)
    for p, w in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.numpy(), w)
    assert model.training  # train mode is restored too


def test_plot_loss_landscape_artists():
    model, x, y = linear_problem()
    fig = viz.plot_loss_landscape(model, F.mse_loss, (x, y), dims=1, resolution=7)
    (ax,) = fig.axes
    assert len(ax.lines) == 2 and len(ax.lines[0].get_xdata()) == 7
    fig = viz.plot_loss_landscape(model, F.mse_loss, (x, y), dims=2, resolution=6)
    from matplotlib.contour import ContourSet

    contour_ax = fig.axes[0]
    (surface_ax,) = [a for a in fig.axes if a.name == "3d"]
    assert sum(isinstance(c, ContourSet) for c in contour_ax.collections) == 2  # filled + lines
    assert surface_ax.collections  # the surface
    assert len(fig.axes) == 3  # contour, surface, the contour's colorbar
    fig = Figure()
    ax = fig.subplots()
    assert viz.plot_loss_landscape(model, F.mse_loss, (x, y), kind="contour", resolution=5,
                                   ax=ax) is fig
    with pytest.raises(ValueError, match="3-D Axes"):
        viz.plot_loss_landscape(model, F.mse_loss, (x, y), kind="surface", resolution=5, ax=ax)
    with pytest.raises(ValueError, match="dims must be 1 or 2"):
        viz.loss_landscape(model, F.mse_loss, (x, y), dims=3)


def test_landscape_star_is_the_curve_at_zero_with_dropout():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 3))
    x, y = tg.randn(16, 4), tg.randint(0, 3, (16,))
    (ax,) = viz.plot_loss_landscape(model, F.cross_entropy, (x, y), dims=1, resolution=5).axes
    curve, star = ax.lines
    assert np.isclose(star.get_ydata()[0], curve.get_ydata()[2])  # eval mode, as the curve
    assert model.training


# ------------------------------------------------------------------------ Hessian spectrum
def test_hessian_eigenvalues_closed_form():
    tg.manual_seed(1)
    model = nn.Linear(3, 1, dtype="float64")
    x, y = tg.randn(10, 3, dtype="float64"), tg.randn(10, 1, dtype="float64")
    eig = viz.hessian_eigenvalues(model, F.mse_loss, (x, y))
    a = np.concatenate([x.numpy(), np.ones((10, 1))], axis=1)  # [x, 1] for [weight, bias]
    np.testing.assert_allclose(eig, np.linalg.eigvalsh(2.0 / 10 * a.T @ a), rtol=1e-10)


def test_hessian_spectrum_of_a_nonlinear_model():
    tg.manual_seed(2)
    model = nn.MLP([2, 4, 2], activation="tanh", dtype="float64")
    x, y = tg.randn(12, 2, dtype="float64"), tg.randint(0, 2, (12,))
    eig = viz.hessian_eigenvalues(model, F.cross_entropy, (x, y))
    assert eig.shape == (22,) and np.all(np.diff(eig) >= 0)
    top = tg.top_hessian_eigenvalue(lambda: F.cross_entropy(model(x), y), model.parameters(),
                                    iters=500, tol=1e-12)
    assert np.isclose(abs(top), np.abs(eig).max(), rtol=1e-4)
    fig = viz.plot_hessian_spectrum(model, F.cross_entropy, (x, y), bins=10)
    scatter_ax, hist_ax = fig.axes
    assert sum(len(c.get_offsets()) for c in scatter_ax.collections) == 22
    assert len(hist_ax.patches) == 10 and scatter_ax.get_yscale() == "symlog"
    with pytest.raises(ValueError, match="max_params"):
        viz.hessian_eigenvalues(model, F.cross_entropy, (x, y), max_params=10)


# ---------------------------------------------------------------------------- trajectories
@pytest.mark.parametrize("f", [viz.rosenbrock, viz.saddle, viz.himmelblau])
def test_surfaces_have_their_minima(f):
    for mx, my in f.minima:
        x = tg.tensor([mx, my], dtype="float64", requires_grad=True)
        value = f(x[0], x[1])
        (g,) = tg.grad(value, x)
        assert np.abs(g.numpy()).max() < 1e-4
        assert np.isclose(value.item(), f.min_value, atol=1e-9)
    assert f.min_value == pytest.approx({"Rosenbrock": 0.0, "Saddle": -0.25,
                                         "Himmelblau": 0.0}[f.name], abs=1e-9)


def test_optimizer_path_matches_hand_steps():
    bowl = lambda x, y: x ** 2 + 3.0 * y ** 2  # noqa: E731
    pts, vals = viz.optimizer_path(bowl, lambda p: optim.GD(p, lr=0.1), (1.0, 1.0), steps=5)
    k = np.arange(6)
    np.testing.assert_allclose(pts, np.stack([0.8 ** k, 0.4 ** k], axis=1), rtol=1e-12)
    np.testing.assert_allclose(vals, 0.8 ** (2 * k) + 3 * 0.4 ** (2 * k), rtol=1e-12)
    noisy = [viz.optimizer_path(bowl, lambda p: optim.GD(p, lr=0.1), (1.0, 1.0), 5,
                                gradient_noise=0.5, seed=s)[0] for s in (0, 0, 1)]
    np.testing.assert_array_equal(noisy[0], noisy[1])
    assert not np.allclose(noisy[0], noisy[2]) and not np.allclose(noisy[0], pts)
    # Newton's method on Rosenbrock: the minimum within a few steps
    pts, vals = viz.optimizer_path(viz.rosenbrock, lambda p: optim.Newton(p), (-1.2, 1.0), 10)
    np.testing.assert_allclose(pts[-1], [1.0, 1.0], atol=1e-8)


def test_plot_trajectories_artists():
    fig = viz.plot_trajectories(viz.himmelblau, steps=15)
    path_ax, value_ax = fig.axes
    names = ["GD", "SGD (noisy gradients)", "momentum 0.9", "Adam", "Newton"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]  # shared by both panels
    assert legend == names + ["start", "minimum"]
    assert len(path_ax.lines) == 2 * len(names) + 2  # path and end marker each, start, minima
    assert len(path_ax.lines[0].get_xdata()) == 16
    assert path_ax.collections  # the contours
    assert len(value_ax.lines) == len(names) and value_ax.get_yscale() == "log"
    fig = Figure()
    ax = fig.subplots()
    out = viz.plot_trajectories(lambda x, y: (x - 1) ** 2 + y ** 2,
                                {"GD": lambda p: optim.GD(p, lr=0.1)}, start=(3.0, 2.0),
                                steps=10, ax=ax)
    assert out is fig and len(ax.lines) == 3 and ax.get_legend() is not None
    with pytest.raises(ValueError, match="pass start"):
        viz.plot_trajectories(lambda x, y: x * y)


def test_gallery_fast_groups(tmp_path):
    gallery = runpy.run_path(os.path.join(os.path.dirname(__file__), "..", "examples",
                                          "gallery.py"))
    gallery["schedules"](str(tmp_path))
    gallery["graphs"](str(tmp_path))
    names = set(os.listdir(tmp_path))
    assert "lr_schedules.png" in names
    assert {"graph_mlp.svg", "graph_mlp.png"} <= names or "graph_mlp.dot" in names


def test_landscape_and_spectrum_on_every_device(device):
    tg.manual_seed(3)
    model = nn.Linear(3, 1, dtype="float64").to(device)
    x = tg.randn(10, 3, dtype="float64", device=device)
    y = tg.randn(10, 1, dtype="float64", device=device)
    _, _, losses = viz.loss_landscape(model, F.mse_loss, (x, y), dims=1, resolution=3)
    assert np.isclose(losses[1], F.mse_loss(model(x), y).item())
    a = np.concatenate([x.numpy(), np.ones((10, 1))], axis=1)
    np.testing.assert_allclose(viz.hessian_eigenvalues(model, F.mse_loss, (x, y)),
                               np.linalg.eigvalsh(0.2 * a.T @ a), rtol=1e-10)


def test_plot_scaling_draws_one_log_log_panel_per_size():
    fig = viz.plot_scaling({"inputs": ([8, 64], {"jacfwd": [1e-3, 8e-3], "jacrev": [5e-3, 5e-3]}),
                            "outputs": ([8, 64], {"jacfwd": [5e-3, 5e-3]})}, title="cost")
    assert [ax.get_xscale() for ax in fig.axes] == ["log", "log"]
    assert [len(ax.get_lines()) for ax in fig.axes] == [2, 1]
    with pytest.raises(ValueError, match="has 1 times for 2 sizes"):
        viz.plot_scaling({"n": ([1, 2], {"a": [1.0]})})
    with pytest.raises(ValueError, match="at least one panel"):
        viz.plot_scaling({})
