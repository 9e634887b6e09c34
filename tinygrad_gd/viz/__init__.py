"""Pictures: computation graphs (graphviz) and training plots (matplotlib, imported lazily).

>>> from tinygrad_gd import viz
>>> callable(viz.draw_graph) and callable(viz.plot_trajectories)
True
"""

from .graph import GraphvizNotFoundError, draw_graph, graph_svg, save_graph, summarize
from .plots import (
    filter_normalized_direction,
    hessian_eigenvalues,
    loss_landscape,
    lr_schedule,
    plot_hessian_spectrum,
    plot_history,
    plot_loss_landscape,
    plot_lr_schedule,
)
from .scaling import plot_scaling
from .trajectories import (
    Surface2D,
    default_optimizers,
    himmelblau,
    optimizer_path,
    plot_trajectories,
    rosenbrock,
    saddle,
)

__all__ = [
    "GraphvizNotFoundError", "Surface2D", "default_optimizers", "draw_graph",
    "filter_normalized_direction", "graph_svg", "hessian_eigenvalues", "himmelblau",
    "loss_landscape", "lr_schedule", "optimizer_path", "plot_hessian_spectrum", "plot_history",
    "plot_loss_landscape", "plot_lr_schedule", "plot_scaling", "plot_trajectories", "rosenbrock",
    "saddle", "save_graph", "summarize",
]
