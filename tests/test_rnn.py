"""Recurrent layers against torch: ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` and their cells. torch's
initialised weights are copied in through ``load_state_dict`` (the state_dict keys must match
exactly), then outputs, final states and every parameter's and input's gradient are compared in
float64; plus unbatched inputs, given initial states, dropout between layers, init, repr,
errors, and gradcheck/gradgradcheck through a small LSTM."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn

torch = pytest.importorskip("torch")
tnn = torch.nn

TOL = 1e-10
rng = np.random.default_rng(1)


def _pair(array):
    return (tg.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True))


def _close(ours, theirs, what):
    a, b = ours.detach().numpy(), theirs.detach().numpy()
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs torch {b.shape}"
    np.testing.assert_allclose(a, b, rtol=TOL, atol=TOL, err_msg=what)


def _clone_module(make):
    torch.manual_seed(0)
    theirs = make(tnn, dtype=torch.float64)
    ours = make(nn, dtype=tg.float64)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _flat(out):
    """The tensors of an RNN's result ``(output, h_n)`` or ``(output, (h_n, c_n))``."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _check(ours, theirs, x, tx, hx=None, thx=None):
    args, targs = ((x,), (tx,)) if hx is None else ((x, hx), (tx, thx))
    res, tres = _flat(ours(*args)), _flat(theirs(*targs))
    assert len(res) == len(tres)
    for i, (a, b) in enumerate(zip(res, tres)):
        _close(a, b, f"result {i}")
    ws = [rng.standard_normal(tuple(b.shape)) for b in tres]
    sum((a * tg.tensor(w)).sum() for a, w in zip(res, ws)).backward()
    sum((b * torch.tensor(w)).sum() for b, w in zip(tres, ws)).backward()
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        _close(p.grad, tp[name].grad, f"grad of {name}")
    _close(x.grad, tx.grad, "grad of the input")
    return res


LAYERS = [
    ("RNN", dict()),
    ("RNN", dict(nonlinearity="relu", bias=False, batch_first=True)),
    ("RNN", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict()),
    ("LSTM", dict(num_layers=2, batch_first=True)),
    ("LSTM", dict(bidirectional=True, bias=False)),
    ("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("LSTM", dict(proj_size=2, num_layers=2, bidirectional=True)),
    ("GRU", dict()),
    ("GRU", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("GRU", dict(bias=False)),
]


def _id(case):
    return case[0] + "-" + "-".join(f"{k}={v}" for k, v in case[1].items())


@pytest.mark.parametrize("case", LAYERS, ids=_id)
def test_recurrent_layer_matches_torch(case):
    kind, kw = case
    ours, theirs = _clone_module(lambda m, **f: getattr(m, kind)(3, 4, **kw, **f))
    n, length = 2, 5
    shape = (n, length, 3) if kw.get("batch_first") else (length, n, 3)
    x, tx = _pair(rng.standard_normal(shape))
    _check(ours, theirs, x, tx)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_recurrent_layer_initial_state_and_unbatched(kind):
    ours, theirs = _clone_module(lambda m, **f: getattr(m, kind)(3, 4, num_layers=2,
                                                                 bidirectional=True, **f))
    for batched in (True, False):
        lead = (4, 2) if batched else (4,)
        x, tx = _pair(rng.standard_normal(lead[:1] + lead[1:] + (3,)))
        hshape = (4,) + lead[1:] + (4,)
        h, th = _pair(rng.standard_normal(hshape))
        if kind == "LSTM":
            c, tc = _pair(rng.standard_normal(hshape))
            _check(ours, theirs, x, tx, (h, c), (th, tc))
            _close(c.grad, tc.grad, "grad of c_0")
        else:
            _check(ours, theirs, x, tx, h, th)
        _close(h.grad, th.grad, "grad of h_0")
        ours.zero_grad()
        theirs.zero_grad()


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_torch(kind):
    extra = {"nonlinearity": "relu"} if kind == "RNNCell" else {}
    ours, theirs = _clone_module(lambda m, **f: getattr(m, kind)(3, 4, **extra, **f))
    x, tx = _pair(rng.standard_normal((2, 3)))
    _check(ours, theirs, x, tx)
    ours.zero_grad()
    theirs.zero_grad()
    x, tx = _pair(rng.standard_normal(3))  # unbatched, with a given state
    h, th = _pair(rng.standard_normal(4))
    if kind == "LSTMCell":
        c, tc = _pair(rng.standard_normal(4))
        _check(ours, theirs, x, tx, (h, c), (th, tc))
    else:
        _check(ours, theirs, x, tx, h, th)
    _close(h.grad, th.grad, "grad of the state")


def test_state_dict_keys_init_and_repr():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, bias=False)
    t = tnn.LSTM(3, 4, num_layers=2, bidirectional=True, bias=False)
    assert list(lstm.state_dict()) == list(t.state_dict())
    assert [tuple(v.shape) for v in lstm.state_dict().values()] == \
        [tuple(v.shape) for v in t.state_dict().values()]
    values = np.concatenate([p.numpy().ravel() for p in lstm.parameters()])
    assert np.abs(values).max() <= 0.5 and np.abs(values).max() > 0.4  # U(-1/2, 1/2)
    for make in (lambda m: m.RNN(3, 4, 2, "relu", False, True, 0.5, True),
                 lambda m: m.LSTM(3, 4, proj_size=2), lambda m: m.GRU(3, 4),
                 lambda m: m.RNNCell(3, 4, nonlinearity="relu"),
                 lambda m: m.LSTMCell(3, 4, bias=False), lambda m: m.GRUCell(3, 4)):
        assert repr(make(nn)) == repr(make(tnn))
    assert len(lstm.all_weights) == 4 and len(lstm.all_weights[0]) == 2
    lstm.flatten_parameters()


def test_dropout_between_layers_train_and_eval():
    tg.manual_seed(0)
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.5)
    gru = nn.GRU(3, 8, num_layers=2, dropout=0.5)
    x = tg.randn(5, 2, 3)
    out1, h1 = gru(x)
    out2, _ = gru(x)
    assert out1.shape == (5, 2, 8) and h1.shape == (2, 2, 8)
    assert not np.allclose(out1.numpy(), out2.numpy())  # fresh masks in training mode
    # the first layer's final state comes before any dropout: unchanged between the runs
    gru.eval()
    e1, eh = gru(x)
    e2, _ = gru(x)
    np.testing.assert_array_equal(e1.numpy(), e2.numpy())
    np.testing.assert_allclose(eh[0].numpy(), h1[0].numpy(), rtol=1e-6)
    assert out1.dtype == tg.float32


def test_gradcheck_and_gradgradcheck_lstm():
    tg.manual_seed(0)
    lstm = nn.LSTM(2, 2, dtype=tg.float64)
    x = tg.tensor(rng.standard_normal((3, 1, 2)), requires_grad=True)
    h0 = tg.tensor(rng.standard_normal((1, 1, 2)), requires_grad=True)
    c0 = tg.tensor(rng.standard_normal((1, 1, 2)), requires_grad=True)
    w = lstm.weight_hh_l0.detach().clone().requires_grad_()

    def fn(x, h0, c0, w):
        out, (h, c) = tg.func.functional_call(lstm, {"weight_hh_l0": w}, (x, (h0, c0)))
        return out * out.sum() + c.sum()

    assert tg.autograd.gradcheck(fn, (x, h0, c0, w))
    assert tg.autograd.gradgradcheck(fn, (x, h0, c0, w))


def test_errors():
    lstm = nn.LSTM(3, 4)
    with pytest.raises(ValueError, match="input_size. Expected 3, got 5"):
        lstm(tg.randn(2, 1, 5))
    with pytest.raises(ValueError, match="2-D .* or 3-D"):
        lstm(tg.randn(2, 1, 1, 3))
    with pytest.raises(ValueError, match=r"hx\[0\] of size \[1, 1, 4\]"):
        lstm(tg.randn(2, 1, 3), (tg.zeros(2, 1, 4), tg.zeros(1, 1, 4)))
    with pytest.raises(ValueError, match="should also be 3-D"):
        lstm(tg.randn(2, 1, 3), (tg.zeros(1, 4), tg.zeros(1, 4)))
    with pytest.raises(TypeError, match="tuple"):
        lstm(tg.randn(2, 1, 3), tg.zeros(1, 1, 4))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout"):
        nn.GRU(3, 4, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="hidden_size"):
        nn.GRU(3, 0)
    with pytest.raises(ValueError, match="input_size"):
        nn.GRUCell(3, 4)(tg.randn(2, 5))
    with pytest.raises(ValueError, match=r"hx of shape \(2, 4\)"):
        nn.RNNCell(3, 4)(tg.randn(2, 3), tg.zeros(3, 4))
