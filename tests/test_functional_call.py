"""``tg.func.functional_call`` against ``torch.func.functional_call``: every kind of layer sees
the swapped parameters and buffers (values, and gradients through ``tg.func.grad``/``jacrev``),
tied weights, restoration after success and after errors, and torch's rules for names."""

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn

torch = pytest.importorskip("torch")
tnn = torch.nn

RNG = np.random.default_rng(0)


def _first(out):
    while isinstance(out, (tuple, list)):
        out = out[0]
    return out


def _pair(make):
    """The same layer in both libraries, float64, with torch holding tg's initial state."""
    m, t = make(nn).double(), make(tnn).double()
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
    return m, t


def _fresh(m):
    """New random values for every parameter and floating buffer of ``m`` (name -> array)."""
    out = {}
    for n, t in list(m.named_parameters()) + list(m.named_buffers()):
        a = t.numpy()
        if np.issubdtype(a.dtype, np.floating):
            a = RNG.uniform(0.5, 1.5, a.shape) if "running_var" in n else RNG.normal(size=a.shape)
        out[n] = np.array(a)
    return out


CASES = {
    "linear": (lambda lib: lib.Linear(3, 4), lambda: [RNG.normal(size=(2, 3))]),
    "conv2d": (lambda lib: lib.Conv2d(2, 3, 3, padding=1), lambda: [RNG.normal(size=(2, 2, 4, 4))]),
    "batchnorm_train": (lambda lib: lib.BatchNorm2d(3), lambda: [RNG.normal(size=(4, 3, 2, 2))]),
    "batchnorm_eval": (lambda lib: lib.BatchNorm1d(3).eval(), lambda: [RNG.normal(size=(4, 3))]),
    "layernorm": (lambda lib: lib.LayerNorm(4), lambda: [RNG.normal(size=(2, 4))]),
    "embedding": (lambda lib: lib.Embedding(5, 3), lambda: [np.array([[0, 4, 2], [1, 1, 3]])]),
    "mha": (lambda lib: lib.MultiheadAttention(4, 2, batch_first=True),
            lambda: [RNG.normal(size=(2, 3, 4))] * 3),
    "lstm": (lambda lib: lib.LSTM(3, 4), lambda: [RNG.normal(size=(5, 2, 3))]),
    "sequential": (lambda lib: lib.Sequential(lib.Linear(3, 4), lib.LayerNorm(4), lib.Tanh(),
                                              lib.BatchNorm1d(4), lib.Linear(4, 2)),
                   lambda: [RNG.normal(size=(5, 3))]),
}


def _inputs(arrays, lib):
    return tuple(lib.tensor(a) for a in arrays)


@pytest.mark.parametrize("case", sorted(CASES))
def test_values_and_gradients_match_torch(case):
    make, inputs = CASES[case]
    m, t = _pair(make)
    own = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    xs = inputs()
    new = _fresh(m)
    grad_names = [n for n, _ in m.named_parameters()]
    y = tg.func.functional_call(m, {k: tg.tensor(v) for k, v in new.items()}, _inputs(xs, tg))
    ty = torch.func.functional_call(t, {k: torch.tensor(v) for k, v in new.items()},
                                    _inputs(xs, torch))
    np.testing.assert_allclose(_first(y).numpy(), _first(ty).detach().numpy(), rtol=1e-10,
                               atol=1e-12)

    def loss(lib, call, mod):
        def f(*ps):
            d = {k: lib.tensor(v) for k, v in new.items() if k not in grad_names}
            d.update(zip(grad_names, ps))
            return (_first(call(mod, d, _inputs(xs, lib))) ** 2).sum()
        return f

    gs = tg.func.grad(loss(tg, tg.func.functional_call, m), argnums=tuple(range(len(grad_names))))(
        *[tg.tensor(new[n]) for n in grad_names])
    tgs = torch.func.grad(loss(torch, torch.func.functional_call, t),
                          argnums=tuple(range(len(grad_names))))(
        *[torch.tensor(new[n]) for n in grad_names])
    for n, g, tgr in zip(grad_names, gs, tgs):
        np.testing.assert_allclose(g.numpy(), tgr.numpy(), rtol=1e-8, atol=1e-10, err_msg=n)
    # the module's own state (buffers included) is untouched by the calls
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), own[k], err_msg=k)


def test_module_own_parameters_are_restored_objects():
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).double()
    before = {n: t for n, t in list(m.named_parameters()) + list(m.named_buffers())}
    params = {n: tg.zeros_like(t) for n, t in before.items()}
    tg.func.functional_call(m, params, (tg.ones(2, 3, dtype="float64"),))
    for n, t in before.items():
        owner, _, attr = n.rpartition(".")
        mod = m.get_submodule(owner)
        assert getattr(mod, attr) is t and (mod._parameters.get(attr) is t
                                            or mod._buffers.get(attr) is t), n
    assert isinstance(m[0].weight, nn.Parameter)


def test_jacrev_over_linear_matches_torch():
    m, t = _pair(lambda lib: lib.Linear(3, 2))
    x = RNG.normal(size=(4, 3))
    w = RNG.normal(size=(2, 3))
    j = tg.func.jacrev(lambda w_: tg.func.functional_call(m, {"weight": w_}, (tg.tensor(x),)))(
        tg.tensor(w))
    tj = torch.func.jacrev(lambda w_: torch.func.functional_call(t, {"weight": w_},
                                                                 (torch.tensor(x),)))(
        torch.tensor(w))
    np.testing.assert_allclose(j.numpy(), tj.numpy(), rtol=1e-12)


def _tied(lib):
    class Tied(lib.Module):
        def __init__(self):
            super().__init__()
            self.a = lib.Linear(3, 3, bias=False)
            self.b = lib.Linear(3, 3, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x).tanh())
    return Tied()


@pytest.mark.parametrize("key", ["a.weight", "b.weight"])
def test_tied_weight_replaced_under_every_name(key):
    m, t = _pair(_tied)
    t.b.weight = t.a.weight
    x, w = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 3))
    y = tg.func.functional_call(m, {key: tg.tensor(w)}, (tg.tensor(x),))
    ty = torch.func.functional_call(t, {key: torch.tensor(w)}, (torch.tensor(x),))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12)
    g = tg.func.grad(lambda w_: tg.func.functional_call(m, {key: w_}, (tg.tensor(x),)).sum())(
        tg.tensor(w))
    tgr = torch.func.grad(lambda w_: torch.func.functional_call(t, {key: w_},
                                                                (torch.tensor(x),)).sum())(
        torch.tensor(w))
    np.testing.assert_allclose(g.numpy(), tgr.numpy(), rtol=1e-10)
    # untied: only the named one changes
    y2 = tg.func.functional_call(m, {key: tg.tensor(w)}, (tg.tensor(x),), tie_weights=False)
    ty2 = torch.func.functional_call(t, {key: torch.tensor(w)}, (torch.tensor(x),),
                                     tie_weights=False)
    np.testing.assert_allclose(y2.numpy(), ty2.detach().numpy(), rtol=1e-12)
    assert m.b.weight is m.a.weight


def test_tied_given_twice_is_refused_as_torch():
    m = _tied(nn)
    w1, w2 = tg.zeros(3, 3), tg.ones(3, 3)
    with pytest.raises(ValueError, match="tied"):
        tg.func.functional_call(m, {"a.weight": w1, "b.weight": w2}, (tg.ones(1, 3),))
    # strict accepts one name of a tied pair (as torch)
    tg.func.functional_call(m, {"a.weight": w1}, (tg.ones(1, 3),), strict=True)
    with pytest.raises(RuntimeError, match="missing"):
        tg.func.functional_call(nn.Linear(2, 2), {"weight": tg.zeros(2, 2)}, (tg.ones(1, 2),),
                                strict=True)


def test_restored_after_an_error_in_forward():
    lin = nn.Linear(3, 2)
    w = lin.weight
    with pytest.raises(ValueError, match="features"):
        tg.func.functional_call(lin, {"weight": tg.zeros(2, 3), "extra": tg.ones(1)},
                                (tg.ones(1, 4),))
    assert lin.weight is w and lin._parameters["weight"] is w and not hasattr(lin, "extra")


def test_restored_after_a_bad_name_half_way():
    net = nn.Sequential(nn.Linear(3, 2))
    w = net[0].weight
    with pytest.raises(AttributeError):
        tg.func.functional_call(net, {"0.weight": tg.zeros(2, 3), "5.weight": tg.zeros(1)},
                                (tg.ones(1, 3),))
    assert net[0].weight is w and net[0]._parameters["weight"] is w


def test_unknown_attribute_is_set_for_the_call_only():
    class M(nn.Module):
        def forward(self, x):
            return x * self.scale
    m = M()
    m.scale = 2.0
    y = tg.func.functional_call(m, {"scale": tg.tensor(3.0)}, (tg.ones(2),))
    assert y.tolist() == [3.0, 3.0] and m.scale == 2.0


def test_batchnorm_buffers_passed_are_updated_in_place_as_torch():
    bn, tbn = _pair(lambda lib: lib.BatchNorm1d(2))
    x = RNG.normal(size=(6, 2))
    bufs = {"running_mean": np.zeros(2), "running_var": np.ones(2)}
    ours = {k: tg.tensor(v) for k, v in bufs.items()}
    ours["num_batches_tracked"] = tg.tensor(0)
    theirs = {k: torch.tensor(v) for k, v in bufs.items()}
    theirs["num_batches_tracked"] = torch.tensor(0)
    tg.func.functional_call(bn, ours, (tg.tensor(x),))
    torch.func.functional_call(tbn, theirs, (torch.tensor(x),))
    for k in ours:
        np.testing.assert_allclose(ours[k].numpy(), theirs[k].numpy(), rtol=1e-12, err_msg=k)
    assert bn.running_mean.tolist() == [0.0, 0.0] and bn.num_batches_tracked.item() == 0


def test_nested_calls_restore_in_order():
    lin = nn.Linear(2, 1, bias=False)
    w = lin.weight

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lin

        def forward(self, x):
            inner = tg.func.functional_call(lin, {"weight": tg.full((1, 2), 2.0)}, (x,))
            return self.lin(x) + inner
    y = tg.func.functional_call(Outer(), {"lin.weight": tg.ones(1, 2)}, (tg.ones(1, 2),))
    assert y.tolist() == [[6.0]] and lin.weight is w
