"""viz.draw_graph: the DOT source of known graphs (counts, labels, styles), the double-backward
graph, max_nodes, and rendering (where the Graphviz `dot` program exists)."""

import re
import shutil

import numpy as np
import pytest

pytest.importorskip("graphviz")

import tinygrad_gd as tg  # noqa: E402
from tinygrad_gd import viz  # noqa: E402

HAS_DOT = shutil.which("dot") is not None
PARAM_FILL = 'fillcolor="#cfe2f3"'
OUTPUT_FILL = 'fillcolor="#d9ead3"'
INPUT_FILL = 'fillcolor="#eeeeee"'
BACKWARD_OP_FILL = 'fillcolor="#ea9999"'


def nodes(dot):
    """{node id: its DOT line} for every node statement."""
    found = {}
    for line in dot.source.splitlines():
        m = re.match(r"\s*(\w+) \[label=", line)
        if m:
            found[m.group(1)] = line
    return found


def edges(dot):
    return re.findall(r"^\s*(\w+) -> (\w+)", dot.source, flags=re.M)


def label(line):
    return re.search(r'label="?(.*?)"? (?:color|fillcolor|fontsize|shape|style)=', line).group(1)


def by_label(dot, text):
    return [k for k, line in nodes(dot).items() if label(line) == text]


def test_known_graph_counts_and_direction():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    dot = viz.draw_graph((a * b + a).sum(), params={"a": a, "b": b})
    ns = nodes(dot)
    tensors = [k for k in ns if k.startswith("t")]
    ops = [k for k in ns if k.startswith("op")]
    assert (len(tensors), len(ops), len(edges(dot))) == (5, 3, 8)
    assert sorted(label(ns[k]) for k in ops) == ["Add", "Mul", "Sum"]
    (ka,), (kb,) = by_label(dot, r"a\n(2) float32"), by_label(dot, r"b\n(2) float32")
    (mul,), (add,), (sm,) = by_label(dot, "Mul"), by_label(dot, "Add"), by_label(dot, "Sum")
    (out,) = by_label(dot, r"output\nscalar float32")
    es = edges(dot)
    # data flows from the parameters through the operations to the output, each intermediate
    # tensor sitting between the operation that made it and the one that uses it
    (ab,) = [h for t, h in es if t == mul]
    (s,) = [h for t, h in es if t == add]
    assert {(ka, mul), (kb, mul), (ab, add), (ka, add), (s, sm), (sm, out)} <= set(es)
    assert PARAM_FILL in ns[ka] and PARAM_FILL in ns[kb] and OUTPUT_FILL in ns[out]


def test_repeated_input_gives_two_edges_and_inputs_styled_apart():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    data = tg.tensor([[1.0, 0.0, 2.0]])
    dot = viz.draw_graph(((x * x) + data).sum())
    ns = nodes(dot)
    (mul,) = by_label(dot, "Mul")
    (kx,) = by_label(dot, r"parameter\n(3) float32")  # unnamed leaf that requires grad
    assert edges(dot).count((kx, mul)) == 2
    (kd,) = by_label(dot, r"input\n(1, 3) float32")
    assert INPUT_FILL in ns[kd] and PARAM_FILL in ns[kx]


def test_shapes_constants_and_values():
    tg.manual_seed(0)
    x = tg.randn(4, 3)
    w = tg.randn(3, 2, requires_grad=True)
    loss = ((x @ w) * 2.0).mean()
    dot = viz.draw_graph(loss, params=[("fc.weight", w)], show_values=True)
    labels = [label(line) for line in nodes(dot).values()]
    assert any(lb.startswith(r"fc.weight\n(3, 2) float32\nmean") for lb in labels)
    assert any(lb.startswith(r"input\n(4, 3) float32") for lb in labels)
    assert r"constant\nscalar float32\n2" in labels  # scalar constants always show their value
    assert r"output\nscalar float32\n" + f"{loss.item():.4g}" in labels
    assert "MatMul" in labels


def test_show_grads_and_released_graph():
    w = tg.tensor([1.0, -2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    dot = viz.draw_graph(loss, params={"w": w}, show_grads=True)
    assert r"w\n(2) float32\ngrad [2, -4]" in [label(v) for v in nodes(dot).values()]
    loss.backward()  # releases the graph: its operations lose their inputs
    dot = viz.draw_graph(loss)
    assert [label(v) for v in nodes(dot).values()] == [r"Sum\n(released)",
                                                       r"output\nscalar float32"]
    assert "retain_graph=True" in dot.source


def test_in_place_change_inside_the_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    z = y * 3.0  # reads y before the in-place change
    y += 1.0  # y is now a new value, made by an Add of its old value
    dot = viz.draw_graph((z + y).sum(), params={"x": x})
    ns, es = nodes(dot), edges(dot)
    assert len([k for k in ns if k.startswith("t")]) == 9  # x, 2, 3, 1, x*2, z, y+1, z+y, out
    assert sorted(label(ns[k]) for k in ns if k.startswith("op")) == [
        "Add", "Add", "Mul", "Mul", "Sum"]
    assert len(es) == 14
    (kx,) = by_label(dot, r"x\n(2) float32")
    (first_mul,) = [h for t, h in es if t == kx]
    (old_y,) = [h for t, h in es if t == first_mul]
    consumers = sorted(label(ns[h]) for t, h in es if t == old_y)
    assert consumers == ["Add", "Mul"]  # z's Mul and the in-place Add both read the old value


def test_params_name_intermediate_tensors():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    h = w * 2.0
    h2 = h * 3.0  # reads h's value before the in-place change below
    h += 1.0
    dot = viz.draw_graph((h2 * h2).sum(), params={"h": h, "h2": h2})
    assert len(by_label(dot, r"h2\n(2) float32")) == 1
    assert by_label(dot, r"h\n(2) float32") == []  # the drawn value of h is the old one
    assert len(by_label(dot, r"parameter\n(2) float32")) == 1


def backward_ops(dot):
    return [k for k, line in nodes(dot).items() if BACKWARD_OP_FILL in line]


def test_double_backward_graph_exact():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    loss = (a * b).sum()
    dot = viz.draw_graph(loss, params={"a": a, "b": b}, show_backward=True)
    # forward: a, b, a*b, loss, Mul, Sum; backward: the seed broadcast to (2,) and the two
    # gradients, each a Mul of that seed with the other factor (what create_graph records)
    assert len(nodes(dot)) == 11 and len(edges(dot)) == 11
    assert "cluster_forward" in dot.source and "cluster_backward" in dot.source
    assert sorted(label(nodes(dot)[k]) for k in backward_ops(dot)) == ["Mul", "Mul"]
    (ga,), (gb,) = by_label(dot, r"grad a\n(2) float32"), by_label(dot, r"grad b\n(2) float32")
    (ka,), (kb,) = by_label(dot, r"a\n(2) float32"), by_label(dot, r"b\n(2) float32")
    (mul_a,) = [t for t, h in edges(dot) if h == ga]
    (mul_b,) = [t for t, h in edges(dot) if h == gb]
    # d(a*b)/da reads b and d(a*b)/db reads a: tensors the forward pass saved
    assert (kb, mul_a) in edges(dot) and (ka, mul_b) in edges(dot)
    assert a.grad is None and b.grad is None  # drawing does not accumulate gradients
    # params as a one-shot generator of (name, tensor) pairs, like named_parameters()
    again = viz.draw_graph(loss, params=((n, t) for n, t in [("a", a), ("b", b)]),
                           show_backward=True)
    assert again.source == dot.source


def test_double_backward_graph_matches_the_recorded_one():
    x = tg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    f = (x.tanh() ** 3).sum()
    drawn = viz.draw_graph(f, params={"x": x}, show_backward=True)
    (g,) = tg.grad(f, x, create_graph=True)
    given = viz.draw_graph(f, show_backward=[g])
    # the backward operations are exactly those of g's graph that f's graph does not have

    def ops_of(t):
        seen, stack, ops = set(), [t], set()
        while stack:
            u = stack.pop()
            if id(u) in seen or u._ctx is None:
                continue
            seen.add(id(u))
            ops.add(id(u._ctx))
            stack.extend(u._ctx.inputs)
        return ops

    expected = len(ops_of(g) - ops_of(f))
    assert expected >= 3  # Pow and Mul (the power rule) and TanhGrad
    assert len(backward_ops(drawn)) == expected == len(backward_ops(given))
    assert by_label(drawn, r"grad x\n(3) float32") and by_label(given, r"gradient\n(3) float32")
    # second derivatives flow through that drawn graph
    (h,) = tg.grad(g.sum(), x)
    t = np.tanh(x.numpy().astype(np.float64))
    d1 = 3 * t ** 2 * (1 - t ** 2)
    np.testing.assert_allclose(h.numpy(), 6 * t * (1 - t ** 2) ** 2 - 2 * t * d1, rtol=1e-5)


def test_max_nodes_cuts_with_a_note():
    x = tg.tensor([0.1, 0.2], requires_grad=True)
    y = x
    for _ in range(50):
        y = y.sin()
    full = viz.draw_graph(y, max_nodes=1000)
    assert len(nodes(full)) == 101  # 51 tensors, 50 operations
    dot = viz.draw_graph(y, max_nodes=21, collapse=False)
    ns = nodes(dot)
    assert len(ns) == 22 and "truncated" in ns  # 21 nodes and the note
    assert r"80 more nodes not drawn\n(max_nodes=21)" in label(ns["truncated"])
    assert len([k for k in ns if k.startswith("op")]) == 10
    # the note points at the tensor where drawing stopped, nearest the output is kept
    assert [h for t, h in edges(dot) if t == "truncated"] and by_label(dot, r"output\n(2) float32")


def deep_stack(layers=20):
    tg.manual_seed(0)
    h, params = tg.randn(5, 4), {}
    for i in range(layers):
        w, b = tg.randn(4, 4, requires_grad=True), tg.zeros(4, requires_grad=True)
        params[f"W{i}"], params[f"b{i}"] = w, b
        h = (h @ w + b).tanh()
    return h.sum(), params


def test_repeated_blocks_collapse_into_a_note():
    loss, params = deep_stack()  # 61 operations, 102 values (x, 40 parameters, 61 results)
    assert len(nodes(viz.draw_graph(loss, params=params, max_nodes=1000))) == 163
    dot = viz.draw_graph(loss, params=params, max_nodes=40)
    ns = nodes(dot)
    assert "truncated" not in ns and "repeats" in ns
    # layer 0 differs (it reads the input), the 19 layers after it repeat: the first and last
    # repeats are drawn, the 17 between are one note (3 operations and 2 parameters each)
    assert label(ns["repeats"]) == (r"17 more repeats of the block of 3 operations above\n"
                                    r"(51 operations and 34 leaf tensors not drawn)")
    assert len(ns) == 29 and len(edges(dot)) == 28
    drawn = {label(v).split("\\n")[0] for v in ns.values()}
    assert {"W0", "b0", "W1", "b18", "W19", "b19"} <= drawn and not drawn & {"W5", "b10"}
    (into,) = [t for t, h in edges(dot) if h == "repeats"]
    (out_of,) = [h for t, h in edges(dot) if t == "repeats"]
    assert label(ns[into]) == label(ns[out_of]) == "(5, 4) float32"
    # collapse=False, or a graph within max_nodes, draws every node
    assert "repeats" not in nodes(viz.draw_graph(loss, max_nodes=40, collapse=False))


def test_collapse_then_cut_counts_every_node_once():
    loss, params = deep_stack()
    dot = viz.draw_graph(loss, params=params, max_nodes=25)
    ns = nodes(dot)
    ops, leaves = re.search(r"\((\d+) operations and (\d+) leaf", label(ns["repeats"])).groups()
    hidden_by_note = int(ops) + int(leaves)
    cut = int(re.match(r"(\d+) more nodes", label(ns["truncated"])).group(1))
    drawn = len(ns) - 2  # less the two notes
    # 51 operations, 34 leaves, and the 50 results of hidden operations not drawn
    assert drawn + hidden_by_note + 50 + cut == 163
    assert drawn <= 25 - 1


def test_bad_arguments_are_named():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="output 0 must be a Tensor"):
        viz.draw_graph(np.ones(2))
    with pytest.raises(ValueError, match="max_nodes"):
        viz.draw_graph(x * 2, max_nodes=0)
    with pytest.raises(ValueError, match=r"output 0 \(shape \(2,\)\) is not a scalar"):
        viz.draw_graph(x * 2, show_backward=True)
    with pytest.raises(TypeError, match="params must map names to Tensors"):
        viz.draw_graph(x * 2, params=[x])
    with pytest.raises(ValueError, match="at least one output"):
        viz.draw_graph()


def test_missing_dot_program_has_a_clear_error(monkeypatch, tmp_path):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    dot = viz.draw_graph((x * 2).sum())
    assert dot.source.startswith("digraph")  # the DOT text needs no Graphviz install
    for render in (lambda: dot.pipe(format="svg"), lambda: viz.save_graph(dot, tmp_path / "g.svg"),
                   lambda: dot.render(tmp_path / "g", format="png"),
                   lambda: dot._repr_mimebundle_()):  # Jupyter's inline display
        with pytest.raises(viz.GraphvizNotFoundError, match="apt-get install graphviz") as err:
            render()
        assert "brew install graphviz" in str(err.value)
    assert viz.save_graph(dot, tmp_path / "g.dot")  # the source alone still saves
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


@pytest.mark.skipif(not HAS_DOT, reason="needs the Graphviz `dot` program")
def test_renders_svg_and_png(tmp_path):
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (a * a).sum()
    svg = viz.graph_svg(loss, params={"a": a}, show_backward=True)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "Mul" in svg and "grad a" in svg
    # what Jupyter calls to show the returned Digraph inline
    bundle = viz.draw_graph(loss)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]
    path = viz.save_graph(viz.draw_graph(loss), tmp_path / "g.png")
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]


def test_every_device(device):
    w = tg.tensor([1.0, -2.0], device=device, requires_grad=True)
    loss = (w * w).sum()
    dot = viz.draw_graph(loss, params={"w": w}, show_values=True, show_backward=True)
    assert r"w\n(2) float32\n[1, -2]" in [label(v) for v in nodes(dot).values()]
    assert by_label(dot, r"grad w\n(2) float32\n[2, -4]")
