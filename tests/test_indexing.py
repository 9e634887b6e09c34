"""Gathering and scattering, masks, matrix parts, rearranging: errors, dtypes, in-place forms and
the non-differentiable ops (nonzero, where(cond), masked_select shapes), against torch.

Gradients and values of the differentiable ops are in the op table (rows_indexing.py)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")


def pair(values, dtype="float64"):
    """The same values as a tinygrad_gd and a torch tensor."""
    a = np.asarray(values, dtype=dtype)
    return tg.tensor(a), torch.tensor(a)


def same(ours, theirs):
    """Values, shape and dtype equal to torch's."""
    theirs = theirs.detach()
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


X = np.arange(12.0).reshape(3, 4)


# ------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize("call", [
    lambda lib, x, i: x.gather(1, i),
    lambda lib, x, i: x.scatter(1, i, 1.0),
    lambda lib, x, i: x.scatter_add(1, i, lib.ones(1, 1, dtype=lib.float64)),
    lambda lib, x, i: x.scatter_reduce(1, i, lib.ones(1, 1, dtype=lib.float64), "amax"),
])
@pytest.mark.parametrize("bad", [4, -1])
def test_out_of_range_index_along_dim_is_an_index_error(call, bad):
    """torch refuses these (RuntimeError deep in ATen); here an IndexError names the op, the
    index and the size, where NumPy would have wrapped the -1 silently."""
    x, tx = pair(X)
    with pytest.raises(RuntimeError):
        call(torch, tx, torch.tensor([[bad]]))
    with pytest.raises(IndexError, match=f"index {bad} is out of range for dimension 1 of "
                                         "size 4"):
        call(tg, x, tg.tensor([[bad]]))


@pytest.mark.parametrize("name", ["index_select", "index_add", "index_copy"])
def test_index_ops_refuse_negative_and_too_large_indices(name):
    x, tx = pair(X)
    args = {"index_select": (), "index_add": "src", "index_copy": "src"}[name]
    for bad in (-1, 3):
        extra = (tg.ones(1, 4, dtype="float64"),) if args else ()
        textra = (torch.ones(1, 4, dtype=torch.float64),) if args else ()
        with pytest.raises((RuntimeError, IndexError)):
            getattr(tx, name)(0, torch.tensor([bad]), *textra)
        with pytest.raises(IndexError, match=f"{name}: index {bad} is out of range"):
            getattr(x, name)(0, tg.tensor([bad]), *extra)


def test_negative_indices_wrap_where_torch_wraps_them():
    """take, put, index_fill and take_along_dim(dim=...) count negatives from the end in torch."""
    x, tx = pair(X)
    i, ti = tg.tensor([-1, 0, -12]), torch.tensor([-1, 0, -12])
    same(x.take(i), tx.take(ti))
    same(x.put(i, tg.tensor([1.0, 2.0, 3.0], dtype="float64")),
         tx.put(ti, torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)))
    same(x.index_fill(1, tg.tensor([-1]), 7.0), tx.index_fill(1, torch.tensor([-1]), 7.0))
    j = [[-1], [0], [-4]]
    same(x.take_along_dim(tg.tensor(j), 1), tx.take_along_dim(torch.tensor(j), 1))
    with pytest.raises(IndexError, match="take: index -13 is out of range"):
        x.take(tg.tensor([-13]))
    with pytest.raises(IndexError, match="take_along_dim: index -1"):
        x.take_along_dim(tg.tensor([-1]))  # flattened: no negatives, as torch


@pytest.mark.parametrize("call", [
    lambda x, i: x.gather(0, i), lambda x, i: x.index_select(0, i), lambda x, i: x.take(i),
    lambda x, i: x.scatter(0, i, 1.0), lambda x, i: x.index_fill(0, i, 1.0),
    lambda x, i: x.take_along_dim(i, 0), lambda x, i: tg.repeat_interleave(x, i),
])
@pytest.mark.parametrize("dtype", ["float32", "bool"])
def test_a_float_or_bool_index_is_a_type_error(call, dtype):
    x = tg.tensor(X)
    with pytest.raises(TypeError, match=f"must be an integer tensor .*got dtype {dtype}"):
        call(x, tg.zeros(1, 1, dtype=dtype) if dtype == "float32" else tg.tensor([[True]]))


def test_int32_indices_work_as_int64():
    x, tx = pair(X)
    for i in (tg.tensor([[0, 2]], dtype="int32"), tg.tensor([[0, 2]], dtype="int64")):
        same(x.gather(1, i), tx.gather(1, torch.tensor([[0, 2]])))
        same(x.index_select(1, i[0]), tx.index_select(1, torch.tensor([0, 2])))


def test_shape_and_dtype_errors_name_the_op():
    x = tg.tensor(X)
    with pytest.raises(ValueError, match="gather: the index has 1 dimensions and the input 2"):
        x.gather(0, tg.tensor([0]))
    with pytest.raises(ValueError, match="gather: the index of shape .* is larger than the "
                                         "input"):
        x.gather(0, tg.zeros(1, 5, dtype="int64"))
    with pytest.raises(IndexError, match="gather: dim 2 is out of range"):
        x.gather(2, tg.zeros(1, 1, dtype="int64"))
    with pytest.raises(TypeError, match="scatter: the source has dtype float32 and self "
                                        "float64"):
        x.scatter(0, tg.zeros(1, 1, dtype="int64"), tg.ones(1, 1))
    with pytest.raises(ValueError, match="scatter_reduce: reduce must be one of"):
        x.scatter_reduce(0, tg.zeros(1, 1, dtype="int64"), x, "max")
    with pytest.raises(ValueError, match="index_add: source of shape"):
        x.index_add(0, tg.tensor([0]), tg.ones(2, 4, dtype="float64"))
    with pytest.raises(TypeError, match="masked_fill: the mask must be a bool tensor"):
        x.masked_fill(tg.tensor([1, 0, 1, 0]), 0.0)
    with pytest.raises(ValueError, match="masked_fill: value must be a scalar or a 0-d"):
        x.masked_fill(x > 3, tg.ones(2))
    with pytest.raises(ValueError, match="masked_scatter: the mask has 12 true elements"):
        x.masked_scatter(x >= 0, tg.ones(3, dtype="float64"))
    with pytest.raises(ValueError, match="tril: needs a tensor of at least 2 dimensions"):
        tg.ones(3).tril()
    with pytest.raises(ValueError, match="repeat: 1 sizes for a tensor of 2 dimensions"):
        x.repeat(2)
    with pytest.raises(ValueError, match="flip: dims .* name a dimension twice"):
        x.flip(0, -2)


# --------------------------------------------------------------- non-differentiable results


def test_nonzero_argwhere_and_where_of_a_condition_match_torch():
    a = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    for arr in (a, a[0], np.array(3.0), np.array(0.0), np.zeros((2, 0))):
        x, tx = pair(arr)
        same(x.nonzero(), tx.nonzero())
        same(tg.argwhere(x), torch.argwhere(tx))
        for ours, theirs in ((x.nonzero(as_tuple=True), tx.nonzero(as_tuple=True)),
                             (tg.where(x != 0), torch.where(tx != 0))):
            assert len(ours) == len(theirs)
            for o, t in zip(ours, theirs):
                same(o, t)
    x = tg.tensor(a, requires_grad=True)
    assert not x.nonzero().requires_grad


def test_where_keeps_its_three_argument_form_with_scalars():
    c = np.array([True, False, True])
    tc = torch.tensor(c)
    for a, b in ((1.0, 0), (1, 0), (2.5, -1.5), (True, False)):
        same(tg.where(tg.tensor(c), a, b), torch.where(tc, a, b))
    x, tx = pair([1.0, 2.0, 3.0], "float32")
    same(tg.where(tg.tensor(c), x, 0.0), torch.where(tc, tx, 0.0))
    with pytest.raises(TypeError, match="where: give both input and other"):
        tg.where(tg.tensor(c), x)


def test_masked_select_and_masked_scatter_shapes_match_torch():
    x, tx = pair(X)
    for m in (X > 4, np.array([True, False, True, False]), np.array(True), np.zeros((2, 1, 4),
                                                                                     bool)):
        same(x.masked_select(tg.tensor(m)), tx.masked_select(torch.tensor(m)))
        same(tg.masked_select(x, tg.tensor(m)), torch.masked_select(tx, torch.tensor(m)))
        src = np.arange(30.0)
        same(x.masked_scatter(tg.tensor(m), tg.tensor(src)),
             tx.masked_scatter(torch.tensor(m), torch.tensor(src)))


@pytest.mark.parametrize("dtype", ["int64", "int32", "float32", "bool"])
def test_dtypes_are_kept(dtype):
    a = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    x, tx = tg.tensor(a), torch.tensor(a)
    i, ti = tg.tensor([[2, 0, 1, 0]]), torch.tensor([[2, 0, 1, 0]])
    same(x.gather(0, i), tx.gather(0, ti))
    same(x.scatter(0, i, x[:1]), tx.scatter(0, ti, tx[:1]))
    same(x.masked_fill(x == 0, 1), tx.masked_fill(tx == 0, 1))
    same(x.tril(), tx.tril())
    same(x.triu(1), tx.triu(1))
    same(x.flip(0), tx.flip(0))
    same(x.roll(1, 1), tx.roll(1, 1))
    same(x.repeat(2, 1), tx.repeat(2, 1))
    same(x.diagonal(), tx.diagonal())
    same(x.rot90(), tx.rot90())
    if dtype != "bool":
        same(x.scatter_add(0, i, x[:1]), tx.scatter_add(0, ti, tx[:1]))
        same(x.index_add(1, tg.tensor([0, 0]), x[:, :2]),
             tx.index_add(1, torch.tensor([0, 0]), tx[:, :2]))
        same(x.trace(), tx.trace())
        for reduce in ("sum", "prod", "amax", "amin", "mean"):
            for inc in (True, False):
                same(x.scatter_reduce(0, i, x[:1] + 1, reduce, include_self=inc),
                     tx.scatter_reduce(0, ti, tx[:1] + 1, reduce, include_self=inc))


def test_masked_fill_of_an_int_tensor_casts_the_value_as_torch():
    x, tx = pair([1, 2, 3], "int64")
    same(x.masked_fill(x > 1, 1.7), tx.masked_fill(tx > 1, 1.7))


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
def test_scatter_with_reduce_add_and_multiply():
    x, tx = pair(X)
    i, ti = tg.tensor([[0, 1], [0, 1]]), torch.tensor([[0, 1], [0, 1]])
    s, ts = pair([[2.0, 3.0], [4.0, 5.0]])
    for reduce in ("add", "multiply"):
        same(x.scatter(0, i, s, reduce=reduce), tx.scatter(0, ti, ts, reduce=reduce))
        same(x.scatter(1, i, 2.0, reduce=reduce), tx.scatter(1, ti, 2.0, reduce=reduce))


# ------------------------------------------------------------------------------- gradients


def test_scatter_reduce_ties_split_the_gradient_as_torch():
    """amax/amin: equal values share the gradient evenly, self's value included."""
    for reduce in ("amax", "amin"):
        a, s = np.array([3.0, 2.0, 3.0, 4.0]), np.array([3.0, 3.0, 7.0, 2.0])
        idx = [0, 0, 2, 1]
        x, tx = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        y, ty = tg.tensor(s, requires_grad=True), torch.tensor(s, requires_grad=True)
        w = np.array([1.0, 10.0, 100.0, 1000.0])
        (x.scatter_reduce(0, tg.tensor(idx), y, reduce) * tg.tensor(w)).sum().backward()
        (tx.scatter_reduce(0, torch.tensor(idx), ty, reduce) * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
        np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy())


def test_scatter_reduce_prod_gradient_with_zeros_matches_torch():
    a, s = np.array([0.0, 2.0, 3.0]), np.array([5.0, 0.0, 0.0, 7.0])
    idx = [0, 1, 2, 2]
    for inc in (True, False):
        x, tx = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        y, ty = tg.tensor(s, requires_grad=True), torch.tensor(s, requires_grad=True)
        x.scatter_reduce(0, tg.tensor(idx), y, "prod", include_self=inc).sum().backward()
        tx.scatter_reduce(0, torch.tensor(idx), ty, "prod", include_self=inc).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
        np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy())


def test_gather_and_scatter_add_are_each_others_adjoint_to_second_order():
    x = tg.tensor(X, requires_grad=True)
    i = tg.tensor([[0, 1, 1, 2], [2, 2, 0, 0]])
    (g,) = tg.grad((x.gather(0, i) ** 2).sum(), x, create_graph=True)
    (gg,) = tg.grad(g.sum(), x)
    tx = torch.tensor(X, requires_grad=True)
    (tgr,) = torch.autograd.grad((tx.gather(0, torch.tensor(i.numpy())) ** 2).sum(), tx,
                                 create_graph=True)
    (tgg,) = torch.autograd.grad(tgr.sum(), tx)
    np.testing.assert_allclose(g.numpy(), tgr.detach().numpy())
    np.testing.assert_allclose(gg.numpy(), tgg.numpy())


# -------------------------------------------------------------------------------- in place


INPLACE = [
    ("masked_fill_", lambda lib, x: x.masked_fill_(x > 5, -1.0)),
    ("index_fill_", lambda lib, x: x.index_fill_(1, lib.tensor([0, 2]), 2.0)),
    ("scatter_", lambda lib, x: x.scatter_(1, lib.tensor([[1], [0], [3]]), 9.0)),
    ("scatter_add_", lambda lib, x: x.scatter_add_(0, lib.tensor([[0, 0, 2, 1]]),
                                                   lib.ones(1, 4, dtype=lib.float64))),
    ("scatter_reduce_", lambda lib, x: x.scatter_reduce_(0, lib.tensor([[0, 0, 2, 1]]),
                                                         lib.ones(1, 4, dtype=lib.float64),
                                                         "amin")),
    ("index_add_", lambda lib, x: x.index_add_(0, lib.tensor([2, 2]),
                                               lib.ones(2, 4, dtype=lib.float64), alpha=3)),
    ("index_copy_", lambda lib, x: x.index_copy_(0, lib.tensor([1]),
                                                 lib.zeros(1, 4, dtype=lib.float64))),
    ("masked_scatter_", lambda lib, x: x.masked_scatter_(x < 3, -lib.ones(5, dtype=lib.float64))),
    ("put_", lambda lib, x: x.put_(lib.tensor([0, -1]), lib.zeros(2, dtype=lib.float64))),
    ("index_put_", lambda lib, x: x.index_put_((lib.tensor([0, 0, 2]), lib.tensor([1, 1, -1])),
                                               lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64),
                                               accumulate=True)),
    ("index_put_overwrite", lambda lib, x: x.index_put_((lib.tensor([0, 2]),),
                                                        lib.tensor(7.0, dtype=lib.float64))),
    ("tril_", lambda lib, x: x.tril_(-1)),
    ("triu_", lambda lib, x: x.triu_()),
    ("fill_diagonal_", lambda lib, x: x.fill_diagonal_(5.0)),
]


@pytest.mark.parametrize("name,call", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_forms_match_torch(name, call):
    """Values in place (same object, version bumped), and inside a graph the gradient of the
    earlier computation flows through the in-place op as in torch."""
    x, tx = pair(X)
    v = x.version
    out = call(tg, x)
    assert out is x and x.version > v
    assert call(torch, tx) is tx
    same(x, tx)
    a = tg.tensor(X, requires_grad=True)
    ta = torch.tensor(X, requires_grad=True)
    b, tb = a * 2.0, ta * 2.0
    call(tg, b)
    call(torch, tb)
    same(b, tb)
    w = np.arange(12.0).reshape(3, 4)
    (b * tg.tensor(w)).sum().backward()
    (tb * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    x = tg.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor"):
        x.masked_fill_(x > 1, 0.0)
    with tg.no_grad():
        x.masked_fill_(x > 1, 0.0)
    assert x.numpy().max() == 1.0


def test_masked_fill_inplace_refuses_a_mask_that_would_grow_the_tensor():
    x = tg.ones(4, dtype="float64")
    with pytest.raises(ValueError, match="masked_fill_: the result of shape"):
        x.masked_fill_(tg.ones(2, 4, dtype="bool"), 0.0)


def test_flip_and_repeat_copy_their_input():
    """torch's flip and repeat return new memory: writing to the result leaves the input."""
    x = tg.tensor(X)
    for y in (x.flip(0), x.repeat(1, 1), x.roll(0, 0), x.rot90(4)):
        y[0, 0] = -5.0
        assert x.numpy()[0, 0] == 0.0


# ----------------------------------------------------------------- function forms and misc


def test_function_forms_match_torch():
    x, tx = pair(X)
    i, ti = tg.tensor([[0, 2]]), torch.tensor([[0, 2]])
    v, tv = pair([1.0, 2.0])
    cases = [
        (tg.gather(x, 1, i), torch.gather(tx, 1, ti)),
        (tg.index_select(x, 1, i[0]), torch.index_select(tx, 1, ti[0])),
        (tg.take(x, i), torch.take(tx, ti)),
        (tg.diag(v, -1), torch.diag(tv, -1)),
        (tg.diagflat(x[:1, :2]), torch.diagflat(tx[:1, :2])),
        (tg.diag_embed(x[:2, :2], 1), torch.diag_embed(tx[:2, :2], 1)),
        (tg.diagonal(x, -1), torch.diagonal(tx, -1)),
        (tg.trace(x), torch.trace(tx)),
        (tg.flip(x, (0, 1)), torch.flip(tx, (0, 1))),
        (tg.fliplr(x), torch.fliplr(tx)), (tg.flipud(x), torch.flipud(tx)),
        (tg.roll(x, (1, -1), (0, 1)), torch.roll(tx, (1, -1), (0, 1))),
        (tg.rot90(x, 3, (1, 0)), torch.rot90(tx, 3, (1, 0))),
        (tg.tile(x, (2,)), torch.tile(tx, (2,))), (x.tile(2, 1, 1), tx.tile(2, 1, 1)),
        (tg.repeat_interleave(tg.tensor([2, 0, 1])), torch.repeat_interleave(
            torch.tensor([2, 0, 1]))),
        (tg.tril_indices(3, 4, 1), torch.tril_indices(3, 4, 1)),
        (tg.triu_indices(4, 3, -1), torch.triu_indices(4, 3, -1)),
        (tg.masked_fill(x, x > 4, 0.0), torch.masked_fill(tx, tx > 4, 0.0)),
        (tg.scatter(x, 1, i, 0.5), torch.scatter(tx, 1, ti, 0.5)),
        (tg.index_fill(x, 0, i[0], -1.0), torch.index_fill(tx, 0, ti[0], -1.0)),
    ]
    for ours, theirs in cases:
        same(ours, theirs)


@pytest.mark.parametrize("idx", [
    (0, slice(None), [1, 2]), (slice(None), 0, [1, 2]), ([0, 1], 0, [1, 2]),
    (None, 0, slice(None), [1, 2]), (Ellipsis, 0, [1, 2]), ([0, 1], slice(None), 1),
    (1, [0, 2], [[1], [3]]), ([[0], [2]], slice(1, 3), 4),
    (-1, slice(None), [True, False, True, False, True])])
def test_integers_beside_index_arrays_follow_torch(idx):
    """torch applies integers first (as select), NumPy counts them as advanced indices:
    x[0, :, [1, 2]] is (4, 2) in torch, (2, 4) in NumPy. Reading, writing and the gradients of
    both follow torch (they followed NumPy, a silently different result)."""
    torch = pytest.importorskip("torch")
    a = np.arange(60.0).reshape(3, 4, 5)
    ti = tuple(torch.tensor(i) if isinstance(i, list) else i for i in idx)
    gi = tuple(tg.tensor(i) if isinstance(i, list) else i for i in idx)
    want = torch.tensor(a)[ti]
    got = tg.tensor(a)[gi]
    assert got.shape == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    v = np.random.default_rng(0).random(tuple(want.shape))
    w = np.random.default_rng(1).random(a.shape)
    x = tg.tensor(a, requires_grad=True)
    xt = torch.tensor(a, requires_grad=True)
    y = x * 1
    y[gi] = tg.tensor(v) * 2
    yt = xt * 1
    yt[ti] = torch.tensor(v) * 2
    np.testing.assert_array_equal(y.detach().numpy(), yt.detach().numpy())
    ((y * tg.tensor(w)).sum() + (x[gi] * tg.tensor(v)).sum()).backward()
    ((yt * torch.tensor(w)).sum() + (xt[ti] * torch.tensor(v)).sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


def test_diagonal_is_a_view_that_writes_through():
    """As torch's: x.diagonal().fill_(1) changes x, in grad mode too (it was a copy, so the
    write was silently lost)."""
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).random((2, 3, 4))
    for offset, dims in ((0, (0, 1)), (1, (1, 2)), (-1, (2, 0)), (3, (-1, -2))):
        x = tg.tensor(a, requires_grad=True) * 1
        t = torch.tensor(a, requires_grad=True) * 1
        x.diagonal(offset, *dims).mul_(3)
        t.diagonal(offset, *dims).mul_(3)
        np.testing.assert_array_equal(x.detach().numpy(), t.detach().numpy())
    z = tg.zeros(3, 3)
    z.diagonal().fill_(1.0)
    np.testing.assert_array_equal(z.numpy(), np.eye(3))
