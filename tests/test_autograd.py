"""Semantics of the tape: accumulation, retain/create_graph, tg.grad, grad modes, detach, in-place
operations and version counters, deep graphs."""

import numpy as np
import pytest

import tinygrad_gd as tg


def t64(a, device="cpu", requires_grad=False):
    return tg.tensor(np.asarray(a, dtype=np.float64), dtype="float64", device=device,
                     requires_grad=requires_grad)


def test_gradients_accumulate_across_backward_calls(device):
    x = t64([1.0, 2.0], device, requires_grad=True)
    (x * x).sum().backward()
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 + 3, 4 + 3])
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 4])


def test_retain_graph_allows_a_second_backward(device):
    x = t64([1.0, -1.0], device, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_backward_with_gradient_argument(device):
    x = t64([1.0, 2.0, 3.0], device, requires_grad=True)
    y = x * x
    y.backward(gradient=t64([1.0, 0.0, -1.0], device))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, -6.0])


def test_create_graph_gives_higher_order_derivatives(device):
    x = t64(1.5, device, requires_grad=True)
    y = x ** 4
    (g1,) = tg.grad(y, x, create_graph=True)
    (g2,) = tg.grad(g1, x, create_graph=True)
    (g3,) = tg.grad(g2, x, create_graph=True)
    (g4,) = tg.grad(g3, x)
    assert [g1.item(), g2.item(), g3.item(), g4.item()] == pytest.approx(
        [4 * 1.5 ** 3, 12 * 1.5 ** 2, 24 * 1.5, 24.0])


def test_backward_create_graph_leaves_a_differentiable_grad(device):
    x = t64([0.5, 1.0], device, requires_grad=True)
    (x.sin().sum()).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -np.sin([0.5, 1.0]))


def test_grad_does_not_touch_dot_grad_and_handles_unused_inputs(device):
    x = t64([1.0, 2.0], device, requires_grad=True)
    unused = t64([5.0], device, requires_grad=True)
    gx, gu = tg.grad((x * x).sum(), (x, unused), allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), [2.0, 4.0])
    assert gu is None
    assert x.grad is None and unused.grad is None
    with pytest.raises(RuntimeError, match="allow_unused"):
        tg.grad((x * x).sum(), (x, unused))


def test_grad_with_respect_to_a_non_leaf(device):
    x = t64([1.0, 2.0], device, requires_grad=True)
    h = x * 3.0
    y = (h * h).sum()
    gh, gx = tg.grad(y, (h, x))
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())
    np.testing.assert_allclose(gx.numpy(), 18 * x.numpy())


def test_grad_with_an_input_named_twice(device):
    """As torch: each occurrence gets the gradient (a non-leaf named twice used to raise
    "input 0 was not used")."""
    x = t64([1.0, 2.0], device, requires_grad=True)
    h = x * 3.0
    y = (h * h).sum()
    g1, g2, gx, gx2 = tg.grad(y, [h, h, x, x])
    for g in (g1, g2):
        np.testing.assert_allclose(g.numpy(), 2 * h.numpy())
    for g in (gx, gx2):
        np.testing.assert_allclose(g.numpy(), 18 * x.numpy())


def test_grad_of_several_outputs_with_grad_outputs(device):
    x = t64([1.0, 2.0], device, requires_grad=True)
    (g,) = tg.grad([x * x, x.sum()], x, grad_outputs=[t64([1.0, 1.0], device), t64(2.0, device)])
    np.testing.assert_allclose(g.numpy(), [2 + 2, 4 + 2])


def test_backward_inputs_restricts_accumulation(device):
    a = t64([1.0], device, requires_grad=True)
    b = t64([2.0], device, requires_grad=True)
    h = a * b
    (h * h).sum().backward(inputs=[a])
    assert b.grad is None
    np.testing.assert_allclose(a.grad.numpy(), [2 * 2.0 * 2.0 * 1.0])
    h2 = a * b
    h2.sum().backward(inputs=[h2])  # a non-leaf: its gradient lands in its .grad
    np.testing.assert_allclose(h2.grad.numpy(), [1.0])


def test_no_grad_and_enable_grad_as_context_and_decorator(device):
    x = t64([1.0], device, requires_grad=True)
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = x * 2
        with tg.enable_grad():
            z = x * 2
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad

    @tg.no_grad()
    def frozen(t):
        return t * 2

    @tg.enable_grad()
    def recording(t):
        return t * 2

    assert not frozen(x).requires_grad
    with tg.no_grad():
        assert recording(x).requires_grad

    @tg.no_grad  # without the call, as torch allows (it was a TypeError)
    def frozen_bare(t):
        return t * 2

    @tg.enable_grad
    def recording_bare(t):
        return t * 2

    assert not frozen_bare(x).requires_grad and frozen_bare.__name__ == "frozen_bare"
    with tg.no_grad():
        assert recording_bare(x).requires_grad
    with tg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert tg.is_grad_enabled()


def test_set_grad_enabled_as_a_function_call_context_and_decorator(device):
    """torch's three uses; a plain call used to do nothing (the graph kept being recorded)."""
    x = t64([1.0], device, requires_grad=True)
    try:
        tg.set_grad_enabled(False)
        assert not tg.is_grad_enabled() and not (x * 2).requires_grad
        tg.set_grad_enabled(True)
        assert tg.is_grad_enabled() and (x * 2).requires_grad
        with tg.set_grad_enabled(False):
            assert not tg.is_grad_enabled()
            with tg.set_grad_enabled(True):
                assert (x * 2).requires_grad
            assert not tg.is_grad_enabled()
        assert tg.is_grad_enabled()

        @tg.set_grad_enabled(False)
        def frozen(t):
            return t * 2

        assert tg.is_grad_enabled()  # decorating changes nothing outside the function
        assert not frozen(x).requires_grad and tg.is_grad_enabled()
    finally:
        tg.set_grad_enabled(True)


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError), tg.no_grad():
        raise ValueError("boom")
    assert tg.is_grad_enabled()


def test_detach_cuts_the_graph_but_shares_memory_and_version(device):
    x = t64([1.0, 2.0], device, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    (y * d).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * d.numpy())  # d is a constant
    before = y.version
    with tg.no_grad():
        d.add_(1.0)
    assert y.version == before + 1
    np.testing.assert_allclose(y.numpy(), [3.0, 5.0])


def test_gradients_accumulate_over_repeated_indices(device):
    x = t64([1.0, 2.0, 3.0], device, requires_grad=True)
    idx = tg.tensor([0, 0, 2, 0], device=device)
    (x[idx] * t64([1.0, 2.0, 3.0, 4.0], device)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1 + 2 + 4, 0, 3])
    m = t64(np.arange(6.0).reshape(2, 3), device, requires_grad=True)
    m[[1, 1, 0], [2, 2, 2]].sum().backward()
    np.testing.assert_allclose(m.grad.numpy(), [[0, 0, 1], [0, 0, 2]])


def test_indexing_with_an_empty_list_and_a_0d_mask(device):
    """As torch: x[[]] is empty (it was an error: [] became a float64 index) and x[mask0d] adds
    an axis, empty when False (it was NumPy's "Calling nonzero on 0d arrays")."""
    x = t64(np.ones((2, 3)), device, requires_grad=True)
    cases = [([], (0, 3), 0.0), ((slice(None), []), (2, 0), 0.0),
             (tg.tensor(True, device=device), (1, 2, 3), 2.0),
             (tg.tensor(False, device=device), (0, 2, 3), 0.0)]
    for index, shape, grad in cases:
        x.grad = None
        y = x[index]
        assert y.shape == shape
        (y * 2.0).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), grad))
    h = x * 1.0
    h[tg.tensor(True, device=device)] = 5.0
    np.testing.assert_array_equal(h.numpy(), np.full((2, 3), 5.0))
    assert x[True].shape == (1, 2, 3) and x[..., False].shape == (2, 3, 0)  # Python bools too


def test_diamond_graph(device):
    x = t64([0.3, -1.2], device, requires_grad=True)
    y = x * 2.0
    z = y.sin() + y.cos() * y  # y used three times
    z.sum().backward()
    yv = 2 * x.numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (np.cos(yv) - np.sin(yv) * yv + np.cos(yv)))


def test_same_tensor_twice_in_one_op(device):
    x = t64([3.0], device, requires_grad=True)
    (x * x).backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0])
    x.grad = None
    (x + x).backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0])


def test_deep_chain_of_10000_ops_has_no_recursion_limit():
    x = t64([1.0], requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 10_000], rtol=1e-9)
    # and a deep second-order graph
    x2 = t64(0.5, requires_grad=True)
    z = x2
    for _ in range(2_000):
        z = z.sin()
    (g,) = tg.grad(z, x2, create_graph=True)
    (h,) = tg.grad(g, x2)
    assert np.isfinite(h.item())


def test_in_place_ops_under_no_grad_change_data_and_bump_version(device):
    w = t64([1.0, 2.0], device, requires_grad=True)
    v0 = w.version
    with tg.no_grad():
        w -= 0.5
        w.mul_(2.0)
        w[0] = 10.0
        w.add_(t64([1.0, 1.0], device), alpha=0.5)
    np.testing.assert_allclose(w.numpy(), [10.5, 3.5])
    assert w.version == v0 + 4
    assert w.is_leaf and w.requires_grad
    with pytest.raises(RuntimeError, match="leaf"):
        w.add_(1.0)


def test_in_place_add_on_a_non_leaf_inside_a_graph(device):
    x = t64([1.0, 2.0], device, requires_grad=True)
    y = t64([3.0, -1.0], device, requires_grad=True)
    h = x * x
    h += y  # recorded: h is now x*x + y
    h *= x  # and (x*x + y) * x
    h.sum().backward()
    xv, yv = x.numpy(), y.numpy()
    np.testing.assert_allclose(h.numpy(), (xv ** 2 + yv) * xv)
    np.testing.assert_allclose(x.grad.numpy(), 3 * xv ** 2 + yv)
    np.testing.assert_allclose(y.grad.numpy(), xv)


def test_in_place_op_inside_a_graph_cannot_change_the_shape_or_kind(device):
    """As outside a graph (and in torch): the result must broadcast to self's shape; it used to
    silently turn h into a (3, 2) tensor."""
    h = t64([1.0, 2.0], device, requires_grad=True) * 1.0
    with pytest.raises(ValueError, match=r"in-place add_ of \(2,\).*result would be "
                                         r"\(3, 2\)"):
        h.add_(tg.ones(3, 2, dtype="float64", device=device, requires_grad=True))
    assert h.shape == (2,) and h.version == 0
    h += t64([[1.0, 1.0]], device, requires_grad=True)[0]  # a same-shape update still works
    assert h.shape == (2,)
    counts = tg.tensor([1, 2], device=device)  # an int tensor cannot take a float result
    with pytest.raises(ValueError, match="in-place mul_ of .* int64 .* result would be .* float"):
        counts.mul_(t64([0.5, 0.5], device, requires_grad=True))  # (it was truncated silently)
    assert counts.tolist() == [1, 2]


def test_fill_and_zero_inside_a_graph_cut_the_old_gradient(device):
    """fill_/zero_ on a non-leaf replace its value, so no gradient reaches what it was made of
    (they used to write the memory but keep the old node: w.grad was 1, torch gives 0)."""
    torch = pytest.importorskip("torch")
    for method, args in (("fill_", (2.0,)), ("zero_", ())):
        w = t64([1.0, 2.0, 3.0], device, requires_grad=True)
        y = w * 1.0
        getattr(y, method)(*args)
        assert y.requires_grad
        (y * w).sum().backward()
        tw = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
        ty = tw * 1.0
        getattr(ty, method)(*args)
        (ty * tw).sum().backward()
        np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
        np.testing.assert_array_equal(w.grad.numpy(), tw.grad.numpy())


def test_setitem_inside_a_graph(device):
    x = t64([1.0, 2.0, 3.0], device, requires_grad=True)
    v = t64(5.0, device, requires_grad=True)
    h = x * 2.0
    h[1] = v * v  # overwritten: x[1] no longer reaches the output
    (h * t64([1.0, 10.0, 100.0], device)).sum().backward()
    np.testing.assert_allclose(h.numpy(), [2.0, 25.0, 6.0])
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, 200.0])
    np.testing.assert_allclose(v.grad.numpy(), 10.0 * 2 * 5.0)


def test_in_place_graph_ops_match_torch():
    torch = pytest.importorskip("torch")
    a = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
    results = []
    for lib, make in ((tg, lambda z: t64(z, requires_grad=True)),
                      (torch, lambda z: torch.tensor(z, requires_grad=True))):
        x = make(a)
        h = x.tanh() * 1.0
        h[0, 1:] = h[1, :2] * 3.0
        h += x
        h[:, 0] *= 2.0
        (h * h).sum().backward()
        results.append((h.detach().numpy(), x.grad.numpy(), lib.__name__))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_version_counter_counts_in_place_writes_and_views_share_it(device):
    x = t64(np.zeros((2, 3)), device)
    assert x.version == 0
    x.add_(1.0)
    x[0, 0] = 5.0
    x.fill_(2.0)
    assert x.version == 3
    v = x.reshape(3, 2)
    v.mul_(2.0)
    assert x.version == 4 and v.version == 4
    np.testing.assert_allclose(x.numpy(), np.full((2, 3), 4.0))


def test_in_place_change_of_a_saved_tensor_is_caught(device):
    x = t64([1.0, 2.0], device, requires_grad=True)
    h = x * 1.0
    y = h * h  # Mul saves h
    h.mul_(3.0)  # recorded in place: h's version moves past what Mul saved
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()


def test_in_place_change_of_an_unsaved_tensor_is_fine(device):
    x = t64([1.0, 2.0], device, requires_grad=True)
    h = x * 1.0
    y = h + 1.0  # Add saves nothing
    with tg.no_grad():
        h.mul_(3.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_requires_grad_propagates_and_leaves(device):
    a = t64([1.0], device)
    b = t64([1.0], device, requires_grad=True)
    assert not (a * 2).requires_grad
    c = a * b
    assert c.requires_grad and not c.is_leaf and c.grad_fn is not None
    assert b.is_leaf and b.grad_fn is None
    with pytest.raises(RuntimeError, match="requires_grad_"):
        c.requires_grad_(False)


def test_graph_is_freed_after_backward():
    x = t64([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    fn = y.grad_fn
    y.backward()
    assert fn.freed and fn.inputs == ()


def test_consumers_recorded_before_an_in_place_op_keep_the_old_value(device):
    """``y = h + 1; h += x``: y was made from the old h, so x must not reach y (as in torch)."""
    x = t64([1.0, 2.0], device, requires_grad=True)
    w = t64([3.0, 4.0], device, requires_grad=True)
    h = w * 1.0
    y = h + 1.0  # Add saves nothing, so no version error can hide a wrong edge
    h += x
    gx, gw = tg.grad(y.sum(), (x, w), allow_unused=True, retain_graph=True)
    assert gx is None
    np.testing.assert_allclose(gw.numpy(), [1.0, 1.0])
    (gx2,) = tg.grad(h.sum(), x)
    np.testing.assert_allclose(gx2.numpy(), [1.0, 1.0])


def test_setitem_with_a_value_computed_from_the_same_tensor(device):
    x = t64([1.0, 2.0, 3.0], device, requires_grad=True)
    h = x * 1.0
    h[0] = h[2] * 5.0  # the value reads h before the write
    h[1:] *= 2.0  # read, scale, write back
    h.sum().backward()
    np.testing.assert_allclose(h.numpy(), [15.0, 4.0, 6.0])
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 2.0, 5.0 + 2.0])


def test_zero_dim_results_are_arrays_that_support_in_place_ops(device):
    """NumPy hands back scalars for whole-array results; tensors must still hold arrays."""
    i = tg.ones(3, device=device).argmax()
    i += 1
    assert i.item() == 1
    m = tg.tensor(1.0, device=device) > 0
    m.fill_(False)
    assert m.item() is False
    a = tg.ones(2, device=device).any()
    a.fill_(False)
    assert a.item() is False
    y = tg.tensor(2.0, dtype="float64", device=device, requires_grad=True) * 3.0
    assert y.shape == () and y.numpy().shape == ()


def test_in_place_write_through_a_slice_view_is_caught(device):
    """A basic-indexing result shares memory with its base, so it shares the version counter."""
    x = t64([1.0, 2.0], device, requires_grad=True)
    h = x * 1.0
    y = (h * h).sum()  # Mul saves h
    with tg.no_grad():
        h[0:1].mul_(10.0)  # writes into h's memory through a view
    with pytest.raises(RuntimeError, match="Mul's input 0 .* modified in place"):
        y.backward()
    c = h[[0, 1]]  # advanced indexing copies: writing to the copy leaves h alone
    with tg.no_grad():
        c.mul_(2.0)
    z = h * 1.0
    assert z.version == 0 and h.version == 1


def test_tensor_constructor_alias_shares_the_version_counter(device):
    """Tensor(h) shares h's memory, so a write through it must be caught (it was not: the
    gradient came out 10x too large, silently)."""
    x = t64([1.0, 2.0], device, requires_grad=True)
    h = x * 1.0
    y = (h * h).sum()  # Mul saves h
    alias = tg.Tensor(h)
    with tg.no_grad():
        alias.mul_(10.0)
    with pytest.raises(RuntimeError, match="Mul's input 0 .* modified in place"):
        y.backward()
    copy = tg.Tensor(h, dtype="float32")  # a cast copies: its writes leave h alone
    with tg.no_grad():
        copy.mul_(2.0)
    assert h.version == 1 and tg.tensor(h).version == 0


def test_recorded_write_to_a_base_is_seen_by_its_views(device):
    """As torch: an in-place op writes the memory, so a view taken before sees it, and a saved
    use of the view is refused at backward (the shared version counter moved)."""
    x = t64([1.0, 2.0, 3.0], device, requires_grad=True)
    h = x * 1.0
    v = h[1:]
    y = (v * v).sum()  # Mul saves the view
    h[1] = 7.0
    np.testing.assert_allclose(v.numpy(), [7.0, 3.0])
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_copy_inside_a_graph(device):
    x = t64([-np.inf, 1.0], device)  # an old value of inf must not leak into the copy (inf * 0)
    h = x * 1.0
    s = t64(2.0, device, requires_grad=True)
    h.copy_(s)  # broadcast from a 0-d tensor, recorded because s requires grad
    np.testing.assert_array_equal(h.numpy(), [2.0, 2.0])
    (h * t64([1.0, 3.0], device)).sum().backward()
    assert s.grad.item() == 4.0
    a = t64([0.5, 2.0], device, requires_grad=True)
    b = t64([1.5], device, requires_grad=True)
    assert tg.gradgradcheck(lambda a, b: (a * 1.0).copy_(b) * a, (a, b))


UNARY = [lambda t: t.tanh(), lambda t: t.sin(), lambda t: t * t, lambda t: t.sigmoid(),
         lambda t: (t * 0.5).exp(), lambda t: t.sum(-1, keepdim=True), lambda t: -t]
BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
          lambda a, b: a / (b * b + 1.0)]


def _run_program(program, inputs):
    pool = list(inputs)
    for kind, op, i, j in program:
        a, b = pool[i % len(pool)], pool[j % len(pool)]
        pool.append(UNARY[op % len(UNARY)](a) if kind == "u" else BINARY[op % len(BINARY)](a, b))
    out = pool[-1]
    for t in pool[len(inputs):-1:2]:  # several consumers per node: fan-out and diamonds
        out = out + t.sum() * 0.1
    return out.sum()


def test_random_programs_match_torch_to_second_order():
    """Random DAGs (reused nodes, broadcasting between (2, 3), (3,) and (2, 1)): first and second
    derivatives agree with torch."""
    torch = pytest.importorskip("torch")
    from hypothesis import given, settings
    from hypothesis import strategies as st

    step = st.tuples(st.sampled_from("ub"), st.integers(0, 20), st.integers(0, 20),
                     st.integers(0, 20))

    @settings(max_examples=40, deadline=None, derandomize=True, database=None)
    @given(st.lists(step, min_size=1, max_size=12), st.integers(0, 2**31 - 1))
    def check(program, seed):
        rng = np.random.default_rng(seed)
        arrays = [rng.uniform(-1, 1, s) for s in [(2, 3), (3,), (2, 1)]]
        v = [rng.standard_normal(a.shape) for a in arrays]
        xs = [t64(a, requires_grad=True) for a in arrays]
        ts = [torch.tensor(a, requires_grad=True) for a in arrays]
        out, tout = _run_program(program, xs), _run_program(program, ts)
        assert out.item() == pytest.approx(tout.item(), rel=1e-12, abs=1e-12)
        gs = tg.grad(out, xs, create_graph=True, allow_unused=True)
        tgs = torch.autograd.grad(tout, ts, create_graph=True, allow_unused=True)
        for g, tgr in zip(gs, tgs):
            np.testing.assert_allclose(0 if g is None else g.numpy(),
                                       0 if tgr is None else tgr.detach().numpy(),
                                       rtol=1e-10, atol=1e-12)
        dot = sum(((g * t64(w)).sum() for g, w in zip(gs, v) if g is not None), t64(0.0))
        tdot = sum(((g * torch.tensor(w)).sum() for g, w in zip(tgs, v) if g is not None),
                   torch.tensor(0.0, dtype=torch.float64))
        if not dot.requires_grad or not tdot.requires_grad:
            return
        hv = tg.grad(dot, xs, allow_unused=True)
        thv = torch.autograd.grad(tdot, ts, allow_unused=True)
        for h, th in zip(hv, thv):
            np.testing.assert_allclose(0 if h is None else h.numpy(),
                                       0 if th is None else th.numpy(), rtol=1e-9, atol=1e-12)

    check()


def test_comparing_with_none_is_false_not_an_error(device):
    """`p.grad == None` is False (and != True) as in torch; it raised TypeError before."""
    t = tg.ones(2, device=device)
    assert (t == None) is False and (t != None) is True  # noqa: E711 - the point of the test
    assert (t == "a") is False


def test_comparisons_and_argmax_carry_no_gradient(device):
    x = t64([1.0, 3.0, 2.0], device, requires_grad=True)
    for result in (x == 3.0, x != 3.0, x < 2.0, x <= 2.0, x > 2.0, x >= 2.0):
        assert result.dtype == tg.bool and not result.requires_grad and result.is_leaf
    np.testing.assert_array_equal((x >= 2.0).numpy(), [False, True, True])
    i = x.argmax()
    assert i.dtype == tg.int64 and i.item() == 1 and not i.requires_grad
    assert x.argmin(dim=0, keepdim=True).tolist() == [0]
    # a mask from a comparison selects without blocking the gradient of the selected values
    (x[x > 1.5] * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 2.0, 2.0])


def test_pow_with_a_zero_exponent_has_a_zero_gradient_at_zero(device):
    """d(a^b)/da = b a^(b-1) is 0 where b == 0, not 0 * 0^-1 = nan (as torch), at any order."""
    torch = pytest.importorskip("torch")
    a = t64([0.0, 2.0, 0.0], device, requires_grad=True)
    b = t64([0.0, 0.0, 2.0], device, requires_grad=True)
    ga, gb = tg.grad((a ** b).sum(), (a, b), create_graph=True)
    ta = torch.tensor([0.0, 2.0, 0.0], dtype=torch.float64, requires_grad=True)
    tb = torch.tensor([0.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    tga, tgb = torch.autograd.grad((ta ** tb).sum(), (ta, tb), create_graph=True)
    np.testing.assert_allclose(ga.numpy(), tga.detach().numpy())
    np.testing.assert_allclose(gb.numpy(), tgb.detach().numpy())
    (gga,) = tg.grad(ga.sum(), a)  # b (b-1) a^(b-2): finite here (torch gives nan at 0^0)
    np.testing.assert_array_equal(gga.numpy(), [0.0, 0.0, 2.0])
    x = t64([0.0, 1.0], device, requires_grad=True)
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_casting_to_an_integer_dtype_cuts_the_graph(device):
    x = t64([1.4, 2.6], device, requires_grad=True)
    for dt in (tg.int64, "int32", tg.bool):
        y = x.to(dt)
        assert y.dtype == tg.Tensor([], dtype=dt).dtype
        assert not y.requires_grad and y.is_leaf
    np.testing.assert_array_equal(x.to(tg.int64).numpy(), [1, 2])
    assert x.to(tg.float32).requires_grad  # float casts stay differentiable
