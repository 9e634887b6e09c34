"""Computation graphs drawn with graphviz: the tape of ``Primitive`` nodes as a picture.

Every tensor is a box (its name, shape and dtype), every operation an ellipse, and edges run the way
data flows, from inputs down to the outputs. Parameters are blue, inputs and constants grey,
operations yellow, outputs green; with ``show_backward`` the graph that ``create_graph=True``
records is drawn in red beside the forward graph it reads from.

The graphviz *Python* package builds the DOT source; turning it into a picture needs the ``dot``
program of Graphviz, which is a separate install (Debian/Ubuntu: ``apt-get install graphviz``,
macOS: ``brew install graphviz``). Without it ``draw_graph`` still works and ``.source`` holds the
DOT text; only rendering raises ``GraphvizNotFoundError``.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections import deque
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..autograd import enable_grad
from ..autograd.engine import Primitive
from ..autograd.functional import grad as _grad
from ..tensor import Tensor
from .traversal import (
    Region,
    Value,
    find_repeats,
    leaves_requiring_grad,
    op_inputs,
    reachable,
    value_key,
)

if TYPE_CHECKING:
    import graphviz

DEFAULT_MAX_NODES = 150

GRAPHVIZ_MISSING = (
    "rendering a graph needs the `dot` program of Graphviz, which is not on PATH. Install the "
    "system package: `sudo apt-get install graphviz` (Debian/Ubuntu package 'graphviz'), "
    "`brew install graphviz` (Homebrew package 'graphviz', macOS) or `conda install graphviz`. "
    "Without it the DOT text is still available as `graph.source`."
)

# One look per role. Boxes are tensors, ellipses operations: the two kinds of node never mix.
_STYLES: dict[str, dict[str, str]] = {
    "param": {"shape": "box", "style": "rounded,filled", "fillcolor": "#cfe2f3",
              "color": "#3d85c6"},
    "input": {"shape": "box", "style": "rounded,filled", "fillcolor": "#eeeeee",
              "color": "#888888"},
    "output": {"shape": "box", "style": "rounded,filled,bold", "fillcolor": "#d9ead3",
               "color": "#38761d"},
    "grad": {"shape": "box", "style": "rounded,filled,bold", "fillcolor": "#f4cccc",
             "color": "#990000"},
    "tensor": {"shape": "box", "style": "rounded", "color": "#999999", "fontsize": "10"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#fff2cc", "color": "#bf9000"},
    "backward_op": {"shape": "ellipse", "style": "filled", "fillcolor": "#ea9999",
                    "color": "#990000"},
    "released": {"shape": "ellipse", "style": "dashed", "color": "#999999",
                 "fontcolor": "#777777"},
    "repeats": {"shape": "box3d", "style": "filled,dashed", "fillcolor": "#fff2cc",
                "color": "#bf9000", "fontsize": "10"},
    "note": {"shape": "note", "style": "filled", "fillcolor": "#ffffff", "color": "#999999",
             "fontcolor": "#555555", "fontsize": "10"},
}


class GraphvizNotFoundError(RuntimeError):
    """Raised when a graph is rendered but the Graphviz ``dot`` program is not installed."""

    def __init__(self, message: str = GRAPHVIZ_MISSING) -> None:
        super().__init__(message)


def _import_graphviz():
    try:
        import graphviz
    except ImportError as exc:  # the extra was not installed
        raise ImportError(
            "drawing graphs needs the graphviz Python package: pip install graphviz "
            "(or pip install 'tinygrad_gd[viz]')") from exc
    return graphviz


@functools.cache
def _digraph_class() -> type:
    """A ``graphviz.Digraph`` whose rendering names the missing system package, made on first use
    so that importing tinygrad_gd never needs graphviz."""
    graphviz = _import_graphviz()

    class ComputationGraph(graphviz.Digraph):
        """A ``graphviz.Digraph`` (displays inline in Jupyter) with a clear error when ``dot``
        is missing."""

        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().pipe(*args, **kwargs)
            except graphviz.ExecutableNotFound:
                raise GraphvizNotFoundError() from None

        def render(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().render(*args, **kwargs)
            except graphviz.ExecutableNotFound:
                raise GraphvizNotFoundError() from None

    return ComputationGraph


# ------------------------------------------------------------------------------------- labels
def _fmt(v: float) -> str:
    return f"{v:.4g}"


def summarize(t: Tensor) -> str:
    """A short text summary of a tensor's values: the values themselves when there are at most
    four, else mean, standard deviation and range.

    >>> import tinygrad_gd as tg
    >>> summarize(tg.tensor([1.0, 2.0]))
    '[1, 2]'
    >>> summarize(tg.arange(10.0))
    'mean 4.5 std 2.872\\\\nrange [0, 9]'
    """
    a = np.asarray(t.numpy(), dtype=np.float64)
    if a.size == 0:
        return "empty"
    if a.size == 1:
        return _fmt(a.item())
    if a.size <= 4:
        return "[" + ", ".join(_fmt(v) for v in a.ravel()) + "]"
    return (f"mean {_fmt(a.mean())} std {_fmt(a.std())}\\n"
            f"range [{_fmt(a.min())}, {_fmt(a.max())}]")


def _shape_text(t: Tensor) -> str:
    shape = "scalar" if t.ndim == 0 else "(" + ", ".join(str(s) for s in t.shape) + ")"
    return f"{shape} {t.dtype}"


def _param_items(params: Any) -> list[tuple[str, Tensor]] | None:
    """``params`` (a mapping, or (name, tensor) pairs such as a ``named_parameters()``
    generator, read once) as a list of pairs."""
    if params is None:
        return None
    items = list(params.items() if isinstance(params, Mapping) else params)
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Tensor)):
            raise TypeError(
                "draw_graph: params must map names to Tensors, e.g. "
                "dict(model.named_parameters()), got an item of type "
                f"{type(item).__name__}")
    return items


def _param_names(items: list[tuple[str, Tensor]] | None) -> dict[int, str]:
    """{id(tensor): name}, the first name of each tensor, with DOT's escape character escaped."""
    names: dict[int, str] = {}
    for name, t in items or ():
        names.setdefault(id(t), str(name).replace("\\", "\\\\"))
    return names


def _gradients(outputs: Sequence[Tensor], names: dict[int, str],
               items: list[tuple[str, Tensor]] | None
               ) -> tuple[list[tuple[Tensor, str]], list[Tensor]]:
    """Differentiate each output with ``create_graph=True``: (gradient, label) pairs and seeds."""
    if items is not None:
        targets = [t for _, t in items]
    else:
        targets = leaves_requiring_grad(outputs)
    grads: list[tuple[Tensor, str]] = []
    seeds: list[Tensor] = []
    for k, out in enumerate(outputs):
        if out.numel() != 1 or out._ctx is None:
            raise ValueError(
                f"draw_graph(show_backward=True) differentiates each output, but output {k} "
                f"(shape {tuple(out.shape)}) is {'not a scalar' if out.numel() != 1 else 'a leaf'};"
                " pass a scalar such as the loss, or pass gradients you computed with "
                "create_graph=True as show_backward=[...]")
        seed = Tensor._make(out.xp.ones(out.shape, out.dtype), out.device)
        seeds.append(seed)
        with enable_grad():
            try:
                found = _grad(out, targets, grad_outputs=seed, retain_graph=True,
                              create_graph=True, allow_unused=True)
            except RuntimeError as exc:
                raise RuntimeError(f"draw_graph(show_backward=True): {exc}") from None
        prefix = "" if len(outputs) == 1 else f"output {k}: "
        for i, (target, g) in enumerate(zip(targets, found)):
            if g is not None:
                grads.append((g, f"{prefix}grad {names.get(id(target), f'leaf {i}')}"))
    return grads, seeds


class _Builder:
    """Collects nodes and edges breadth-first from the outputs, then writes them in data-flow
    order (inputs first), so the DOT text reads top-down like the picture."""

    def __init__(self, names: dict[int, str], roles: dict[int, tuple[str, str]],
                 forward: tuple[set[int], set[tuple[int, int]]] | None, show_values: bool,
                 show_grads: bool, region: Region | None) -> None:
        self.names, self.roles, self.region = names, roles, region
        # with show_backward: the forward graph's operation ids and value keys
        self.forward_ops, self.forward_values = forward if forward else (None, None)
        self.show_values, self.show_grads = show_values, show_grads
        self.value_ids: dict[tuple[int, int], str] = {}
        self.values: list[tuple[str, Value]] = []
        self.ops: list[tuple[str, Primitive]] = []
        self.made_by: dict[str, str] = {}  # value node -> the node (operation) that made it
        self.reads: dict[str, list[str]] = {}  # operation node -> its input value nodes
        self.collapsed = False  # whether the repeats of ``region`` got their note
        self.frontier: list[str] = []
        self.released = False

    def value_node(self, value: Value) -> str:
        key = self.value_ids.get(value_key(value))
        if key is None:
            key = self.value_ids[value_key(value)] = f"t{len(self.value_ids)}"
            self.values.append((key, value))
        return key

    def walk(self, roots: Sequence[Value], max_nodes: int) -> None:
        queue: deque[Value] = deque()
        for value in roots:
            if value_key(value) not in self.value_ids:
                self.value_node(value)
                queue.append(value)
        stopped = False
        while queue:
            value = queue.popleft()
            fn = value[1]
            if fn is None:
                continue
            hidden = self.region is not None and id(fn) in self.region.ops
            if hidden and self.collapsed:  # the note is drawn already: one more edge from it
                self.made_by[self.value_ids[value_key(value)]] = "repeats"
                continue
            inputs = self.region.external if hidden else op_inputs(fn)
            new_inputs = {value_key(v) for v in inputs if value_key(v) not in self.value_ids}
            if stopped or self.count + 1 + len(new_inputs) > max_nodes:
                stopped = True  # nearest the outputs first: cut everything beyond this point
                self.frontier.append(self.value_ids[value_key(value)])
                continue
            if hidden:
                op_key, self.collapsed = "repeats", True
            else:
                op_key = f"op{len(self.ops)}"
                self.ops.append((op_key, fn))
                self.released |= bool(fn.freed)
            self.reads[op_key] = []
            for v in inputs:
                fresh = value_key(v) not in self.value_ids
                self.reads[op_key].append(self.value_node(v))
                if fresh:
                    queue.append(v)
            self.made_by[self.value_ids[value_key(value)]] = op_key

    @property
    def count(self) -> int:
        """Nodes drawn so far, the note standing for repeated blocks included."""
        return len(self.values) + len(self.ops) + int(self.collapsed)

    def tensor_label(self, value: Value, in_backward: bool) -> tuple[str, str]:
        t, fn = value
        # outputs and gradients are the tensors' current values; earlier ones are intermediates
        role, name = self.roles.get(id(t), ("", "")) if fn is t._ctx else ("", "")
        if not role:
            if fn is not None:
                # an intermediate named in params (e.g. an activation); only its current value
                role, name = "tensor", self.names.get(id(t), "") if fn is t._ctx else ""
            elif t.requires_grad or id(t) in self.names:
                role, name = "param", self.names.get(id(t), "parameter")
            else:
                role, name = "input", "constant" if t.ndim == 0 or in_backward else "input"
        elif id(t) in self.names and role == "output":
            name = self.names[id(t)]
        lines = [name] if name else []
        lines.append(_shape_text(t))
        if self.show_values or (role == "input" and t.ndim == 0):
            lines.append(summarize(t))
        if self.show_grads and t.grad is not None:
            lines.append("grad " + summarize(t.grad))
        return role, "\\n".join(lines)  # DOT's escaped newline, one line per fact

    def op_style(self, fn: Primitive) -> tuple[str, str]:
        label = type(fn).__name__
        if fn.freed:
            return "released", label + "\\n(released)"
        if self.forward_ops is not None and id(fn) not in self.forward_ops:
            return "backward_op", label
        return "op", label

    def data_flow_order(self) -> list[str]:
        """Node keys in a topological order from the inputs (depth first, inputs in argument
        order), so that graphviz lays the first argument of each operation out on the left."""
        made_by, reads = self.made_by, self.reads
        order: list[str] = []
        seen: set[str] = set()
        for root in [key for key, _ in self.values]:
            stack = [(root, False)]
            while stack:
                node, done = stack.pop()
                if done:
                    order.append(node)
                    continue
                if node in seen:
                    continue
                seen.add(node)
                stack.append((node, True))
                parents = [made_by[node]] if node in made_by else reads.get(node, [])
                stack.extend((p, False) for p in reversed(parents) if p not in seen)
        return order

    def emit(self, dot: Any, hidden: int, max_nodes: int) -> None:
        backward = self.forward_ops is not None
        clusters: dict[str, list[tuple[str, str, dict[str, str]]]] = {"forward": [],
                                                                       "backward": []}
        values, ops = dict(self.values), dict(self.ops)
        order = self.data_flow_order()
        for key in order:
            if key in values:
                in_backward = backward and value_key(values[key]) not in self.forward_values
                role, label = self.tensor_label(values[key], in_backward)
                style = _STYLES["input" if role == "seed" else role]
            elif key == "repeats":
                in_backward, label, style = False, self.region.label, _STYLES["repeats"]
            else:
                role, label = self.op_style(ops[key])
                in_backward, style = role == "backward_op", _STYLES[role]
            clusters["backward" if in_backward else "forward"].append((key, label, style))
        if backward:
            titles = {"forward": "forward graph",
                      "backward": "backward graph recorded by create_graph=True"}
            for part, nodes in clusters.items():
                with dot.subgraph(name=f"cluster_{part}") as sub:
                    sub.attr(label=titles[part], style="rounded,dashed", color="#bbbbbb",
                             fontcolor="#555555")
                    for key, label, style in nodes:
                        sub.node(key, label, **style)
        else:
            for key, label, style in clusters["forward"]:
                dot.node(key, label, **style)
        position = {key: i for i, key in enumerate(order)}
        made: dict[str, list[str]] = {}
        for value, op in self.made_by.items():
            made.setdefault(op, []).append(value)
        for key in order:  # each operation: its inputs in, then its output out
            for tail in self.reads.get(key, ()):
                dot.edge(tail, key)
            for head in sorted(made.get(key, ()), key=position.__getitem__):
                dot.edge(key, head)
        if self.frontier:
            dot.node("truncated", f"{hidden} more nodes not drawn\\n(max_nodes={max_nodes})",
                     **_STYLES["note"])
            for key in self.frontier:
                dot.edge("truncated", key, style="dashed", color="#999999")


def draw_graph(*outputs: Tensor, params: Any = None, show_values: bool = False,
               show_grads: bool = False, show_backward: bool | Sequence[Tensor] = False,
               max_nodes: int = DEFAULT_MAX_NODES,
               collapse: bool = True) -> graphviz.Digraph:
    """Draw the computation graph that produced ``outputs`` as a ``graphviz.Digraph``.

    One box per tensor (its name from ``params``, shape and dtype) and one ellipse per operation
    (the primitive's name), with edges in data-flow order. Parameters are blue, inputs grey,
    operations yellow, the outputs green. The result displays inline in Jupyter and renders with
    ``.render("graph", format="svg")``; ``.source`` is the DOT text (no Graphviz install needed).

    Args:
        outputs: the tensors to draw the graph of (e.g. the loss).
        params: names for tensors, e.g. ``dict(model.named_parameters())`` or (name, tensor)
            pairs. With ``show_backward=True`` these are also the tensors differentiated against.
        show_values: add a summary of each tensor's values (mean, std, range; the values when at
            most four).
        show_grads: add a summary of ``.grad`` where a tensor has one.
        show_backward: draw the graph that ``create_graph=True`` records, the one differentiated
            again for second derivatives (Hessian-vector products, gradient penalties). With
            ``True`` every output (a scalar) is differentiated with ``create_graph=True`` against
            ``params`` (or every leaf that requires grad) and the gradients are drawn with their
            graph; or pass the gradients you computed yourself as ``show_backward=[g1, ...]``.
            The picture then has two clusters: the forward graph, and in red the backward
            operations, with edges from the forward tensors each one reads (what backward saved).
        max_nodes: the most nodes (tensors and operations) to draw. The graph is drawn from the
            outputs back; past the limit the rest is cut and a note says how many nodes were
            left out, so large models stay readable.
        collapse: when the graph has more than ``max_nodes`` nodes, first look for a block of
            operations repeated three or more times in a row (the layers of a deep stack, the
            steps of an unrolled loop) and draw the first and last repeats with one note, "N
            more repeats of the block above", in place of the others.

    A graph released by ``backward()`` (without ``retain_graph=True``) has lost its inputs: such
    operations are drawn dashed and marked "released".

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd import viz
    >>> a = tg.tensor([1.0, 2.0], requires_grad=True)
    >>> b = tg.tensor([3.0, 4.0], requires_grad=True)
    >>> dot = viz.draw_graph((a * b + a).sum(), params={"a": a, "b": b})
    >>> dot.source.count("->")  # a, b -> Mul -> Add (with a) -> Sum -> output
    8
    >>> print([line.strip() for line in dot.source.splitlines() if 'label="a' in line][0])
    t3 [label="a\\n(2) float32" color="#3d85c6" ...]
    """
    for i, t in enumerate(outputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"draw_graph: output {i} must be a Tensor, got {type(t).__name__}")
    if not outputs:
        raise ValueError("draw_graph needs at least one output tensor")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be a positive int, got {max_nodes!r}")
    items = _param_items(params)
    names = _param_names(items)

    grads: list[tuple[Tensor, str]] = []
    seeds: list[Tensor] = []
    if show_backward is True:
        grads, seeds = _gradients(outputs, names, items)
    elif show_backward is not False and show_backward is not None:
        given = [show_backward] if isinstance(show_backward, Tensor) else list(show_backward)
        for i, g in enumerate(given):
            if not isinstance(g, Tensor):
                raise TypeError(f"draw_graph: show_backward[{i}] must be a Tensor, "
                                f"got {type(g).__name__}")
        grads = [(g, f"gradient {i}" if len(given) > 1 else "gradient")
                 for i, g in enumerate(given)]

    roles: dict[int, tuple[str, str]] = {}
    for seed in seeds:
        roles[id(seed)] = ("seed", "seed (ones)")
    for i, t in enumerate(outputs):
        roles[id(t)] = ("output", "output" if len(outputs) == 1 else f"output {i}")
    for g, label in grads:
        roles.setdefault(id(g), ("grad", label))

    forward = [(t, t._ctx) for t in outputs]
    roots = forward + [(g, g._ctx) for g, _ in grads]
    ops, values = reachable(roots)
    total = len(ops) + len(values)
    region = find_repeats(roots) if collapse and total > max_nodes else None
    builder = _Builder(names, roles, reachable(forward) if grads else None, show_values,
                       show_grads, region)
    builder.walk(roots, max_nodes)
    hidden = 0
    if builder.frontier:  # the nodes neither drawn nor stood for by the note on repeats
        hidden = total - len(builder.values) - len(builder.ops)
        if builder.collapsed:
            hidden -= len(region.ops) + len(region.leaves) + len(
                region.made - set(builder.value_ids))

    dot = _digraph_class()(graph_attr={"rankdir": "TB", "nodesep": "0.25", "ranksep": "0.3",
                                       "fontname": "Helvetica"},
                           node_attr={"fontname": "Helvetica", "fontsize": "11",
                                      "height": "0.3"},
                           edge_attr={"color": "#555555", "arrowsize": "0.7"})
    builder.emit(dot, hidden, max_nodes)
    if builder.released:
        dot.attr(label="dashed operations were released by backward(); call backward("
                 "retain_graph=True) to keep their inputs", fontsize="10", fontcolor="#777777")
    return dot


def graph_svg(*outputs: Tensor, **kwargs: Any) -> str:
    """The graph of ``outputs`` rendered as SVG text (the keywords of ``draw_graph``).

    For notebooks: ``IPython.display.SVG(viz.graph_svg(loss))`` shows it inline, as does the
    ``Digraph`` that ``draw_graph`` returns when it is the last expression of a cell. Raises
    ``GraphvizNotFoundError`` when the Graphviz ``dot`` program is missing.
    """
    return draw_graph(*outputs, **kwargs).pipe(format="svg", encoding="utf-8")


def save_graph(graph: Any, path: str | os.PathLike) -> str:
    """Render ``graph`` (a ``draw_graph`` result) to ``path``; the format comes from the suffix
    (``.svg``, ``.png``, ``.pdf``, ``.dot`` for the source only). The file is written atomically
    (a temporary file, then ``os.replace``). Returns the path."""
    path = os.fspath(path)
    fmt = os.path.splitext(path)[1].lstrip(".").lower()
    if not fmt:
        raise ValueError(f"save_graph: cannot tell the format of {path!r}; add a suffix "
                         "such as .svg or .png")
    if fmt in ("dot", "gv"):
        data = graph.source.encode("utf-8")
    else:
        graphviz = _import_graphviz()
        try:
            data = graph.pipe(format=fmt)
        except graphviz.ExecutableNotFound:  # a plain Digraph, not one of draw_graph's
            raise GraphvizNotFoundError() from None
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix="." + fmt)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; give it a normal file's mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path
