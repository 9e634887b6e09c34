"""Cost curves: measured times against a size, one line per method (log-log), the picture of
"which one wins where" (e.g. ``jacfwd`` against ``jacrev`` as the input or output size grows)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def plot_scaling(panels: Mapping[str, tuple[Sequence[float], Mapping[str, Sequence[float]]]], *,
                 ylabel: str = "seconds", title: str | None = None) -> Any:
    """One log-log panel per entry of ``panels``: ``{xlabel: (sizes, {method: times})}``.

    Returns a ``matplotlib.figure.Figure`` (built without pyplot, so it works headless).

    >>> from tinygrad_gd import viz
    >>> fig = viz.plot_scaling({"inputs n": ([1, 10, 100], {"a": [1, 2, 3], "b": [3, 2, 1]})})
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['inputs n']
    """
    from matplotlib.figure import Figure

    if not panels:
        raise ValueError("plot_scaling: give at least one panel {xlabel: (sizes, {name: times})}")
    fig = Figure(figsize=(5.0 * len(panels), 3.8), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (xlabel, (sizes, series)) in zip(axes, panels.items()):
        for name, times in series.items():
            if len(times) != len(sizes):
                raise ValueError(f"plot_scaling: {name!r} has {len(times)} times for "
                                 f"{len(sizes)} sizes")
            ax.loglog(sizes, times, marker="o", label=name)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig
