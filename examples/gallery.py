"""The gallery: every picture tinygrad_gd.viz draws, written to docs/images/.

    python examples/gallery.py                 # all pictures (seconds; --out DIR elsewhere)
    python examples/gallery.py --only graphs   # one group: graphs, history, schedules,
                                               # landscape, trajectories, hessian

MNIST is read from $TINYGRAD_GD_DATA/mnist or the cache, downloaded if missing, or else the small
subset bundled with the package is used. Graph pictures need the Graphviz `dot` program
(`apt-get install graphviz` / `brew install graphviz`); without it their DOT source is saved.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import matplotlib

matplotlib.use("Agg")  # files only, no window

import numpy as np  # noqa: E402

import tinygrad_gd as tg  # noqa: E402
from tinygrad_gd import data, nn, optim, viz  # noqa: E402
from tinygrad_gd.nn import functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "docs", "images")


def save_figure(fig, path: str) -> None:
    """Write a figure atomically: a temporary file in the same folder, then os.replace."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110, format="png")
        os.chmod(tmp, 0o644)  # mkstemp makes it private
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    print("wrote", os.path.relpath(path))


def save_graph(graph, path_stem: str) -> None:
    try:
        for suffix in (".svg", ".png"):
            viz.save_graph(graph, path_stem + suffix)
            print("wrote", os.path.relpath(path_stem + suffix))
    except viz.GraphvizNotFoundError as exc:
        viz.save_graph(graph, path_stem + ".dot")
        print(f"wrote {os.path.relpath(path_stem)}.dot only: {exc}")


# ------------------------------------------------------------------------------ graphs
def graphs(out: str) -> None:
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    save_graph(viz.draw_graph((a * b + a).sum(), params={"a": a, "b": b}),
               os.path.join(out, "graph_simple"))

    tg.manual_seed(0)
    model = nn.MLP([4, 8, 3])
    x, y = tg.randn(5, 4), tg.tensor([0, 2, 1, 1, 0])
    loss = F.cross_entropy(model(x), y)
    save_graph(viz.draw_graph(loss, params=dict(model.named_parameters())),
               os.path.join(out, "graph_mlp"))

    # a deep stack: the repeated layers collapse into one note once the graph exceeds max_nodes
    deep = nn.MLP([4] + [8] * 12 + [3])
    loss = F.cross_entropy(deep(x), y)
    save_graph(viz.draw_graph(loss, params=dict(deep.named_parameters()), max_nodes=60),
               os.path.join(out, "graph_deep_mlp"))

    # the double-backward graph: what create_graph=True records for the gradient of a tanh layer
    w = tg.randn(3, requires_grad=True)
    xs = tg.randn(4, 3)
    loss = ((xs @ w).tanh() ** 2).mean()
    save_graph(viz.draw_graph(loss, params={"w": w}, show_backward=True),
               os.path.join(out, "graph_double_backward"))


# ----------------------------------------------------------------- MNIST: history, landscape
def mnist_subset(n_train: int = 6000, n_test: int = 1000):
    train, test = data.MNIST(split="train"), data.MNIST(split="test")

    def prep(ds, n):
        images = (ds.images[:n].reshape(-1, 784).astype(np.float32) / 255.0 - data.MNIST_MEAN)
        return tg.tensor(images / data.MNIST_STD), tg.tensor(ds.labels[:n])

    return prep(train, n_train), prep(test, n_test)


def accuracy(logits: tg.Tensor, labels: tg.Tensor) -> float:
    return float((logits.argmax(axis=1) == labels).numpy().mean())


def train_mnist(epochs: int = 8):
    """A 784-64-10 MLP trained with momentum SGD on 6,000 images; its per-epoch history."""
    (xtr, ytr), (xte, yte) = mnist_subset()
    tg.manual_seed(0)
    model = nn.MLP([784, 64, 10])
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loader = data.DataLoader(data.TensorDataset(xtr, ytr), batch_size=128, shuffle=True, seed=0)
    history = []
    for epoch in range(1, epochs + 1):
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
        with tg.no_grad():
            tr, te = model(xtr), model(xte)
            history.append({"epoch": epoch,
                            "train_loss": F.cross_entropy(tr, ytr).item(),
                            "test_loss": F.cross_entropy(te, yte).item(),
                            "train_accuracy": accuracy(tr, ytr),
                            "test_accuracy": accuracy(te, yte)})
        print(f"epoch {epoch}: " + ", ".join(f"{k} {v:.3f}" for k, v in history[-1].items()
                                             if k != "epoch"))
    return model, history, (xte[:500], yte[:500])


def history_and_landscape(out: str) -> None:
    model, history, batch = train_mnist()
    save_figure(viz.plot_history(history, title="MLP 784-64-10 on 6,000 MNIST digits, "
                                                "SGD with momentum 0.9"),
                os.path.join(out, "history.png"))
    save_figure(viz.plot_loss_landscape(model, F.cross_entropy, batch, dims=1, resolution=41),
                os.path.join(out, "landscape_1d.png"))
    save_figure(viz.plot_loss_landscape(model, F.cross_entropy, batch, dims=2, resolution=31),
                os.path.join(out, "landscape_2d.png"))


# ------------------------------------------------------------------------------ schedules
def schedules(out: str) -> None:
    sch = optim.lr_scheduler
    epochs, steps = 60, 10
    factories = {
        "StepLR(step_size=20, gamma=0.5)": lambda o: sch.StepLR(o, step_size=20, gamma=0.5),
        "ExponentialLR(gamma=0.95)": lambda o: sch.ExponentialLR(o, gamma=0.95),
        "CosineAnnealingLR(T_max=60)": lambda o: sch.CosineAnnealingLR(o, T_max=60),
        "CosineAnnealingWarmRestarts(T_0=15)":
            lambda o: sch.CosineAnnealingWarmRestarts(o, T_0=15),
        "OneCycleLR(max_lr=0.1), per batch":
            lambda o: sch.OneCycleLR(o, max_lr=0.1, total_steps=epochs * steps),
    }
    fig = viz.plot_lr_schedule(factories, epochs, steps_per_epoch=steps, lr=0.1)
    fig.set_size_inches(11, 4.4)
    save_figure(fig, os.path.join(out, "lr_schedules.png"))


# --------------------------------------------------------------------------- trajectories
def trajectories(out: str) -> None:
    for f, steps in ((viz.rosenbrock, 300), (viz.saddle, 100), (viz.himmelblau, 100)):
        fig = viz.plot_trajectories(f, steps=steps)
        save_figure(fig, os.path.join(out, f"trajectories_{f.name.lower()}.png"))


# ------------------------------------------------------------------------ Hessian spectrum
def two_moons(n: int = 200, noise: float = 0.25, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(t), 1.0 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    points = np.stack([x, y], axis=1) + rng.normal(0, noise, (n, 2))
    return tg.tensor(points), tg.tensor(upper.astype(np.int64))  # float64: an exact Hessian


def hessian(out: str) -> None:
    x, y = two_moons()
    tg.manual_seed(0)
    model = nn.MLP([2, 16, 2], activation="tanh", dtype="float64")  # 82 parameters
    opt = optim.Adam(model.parameters(), lr=0.02)
    for _ in range(200):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    fig = viz.plot_hessian_spectrum(model, F.cross_entropy, (x, y))
    fig.suptitle("Hessian of a 2-16-2 tanh MLP after 200 Adam steps on noisy two moons "
                 f"(loss {F.cross_entropy(model(x), y).item():.3f})")
    save_figure(fig, os.path.join(out, "hessian_spectrum.png"))


GROUPS = {"graphs": graphs, "history": history_and_landscape, "landscape": history_and_landscape,
          "schedules": schedules, "trajectories": trajectories, "hessian": hessian}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="folder for the pictures")
    parser.add_argument("--only", choices=sorted(GROUPS), action="append",
                        help="draw only this group (repeatable)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    todo = dict.fromkeys(GROUPS[g] for g in (args.only or GROUPS))
    for group in todo:
        start = time.perf_counter()
        group(args.out)
        print(f"[{group.__name__}: {time.perf_counter() - start:.1f} s]", file=sys.stderr)


if __name__ == "__main__":
    main()
