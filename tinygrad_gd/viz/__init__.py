"""Pictures: computation graphs (graphviz) and training plots (matplotlib, imported lazily)."""
