"""Pictures: computation graphs (graphviz) and training plots (matplotlib, imported lazily)."""

from .graph import GraphvizNotFoundError, draw_graph, graph_svg, save_graph, summarize

__all__ = ["GraphvizNotFoundError", "draw_graph", "graph_svg", "save_graph", "summarize"]
