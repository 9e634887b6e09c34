"""``nn.utils.parametrize``, ``parametrizations.weight_norm``/``spectral_norm`` and the older
``nn.utils.weight_norm``/``spectral_norm``, against torch: state-dict keys, values and gradients
(spectral normalisation's power-iteration vectors start from random draws, so torch's module is
loaded with ours before the two are compared)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(0)


def _pair(make_tg, make_torch, shape_in):
    ours, theirs = make_tg().double(), make_torch().double()
    with torch.no_grad():
        for p, tp in zip(ours.parameters(), theirs.parameters()):
            value = RNG.standard_normal(tuple(p.shape))
            p.data[...] = value
            tp.copy_(torch.tensor(value))
    x = RNG.standard_normal(shape_in)
    return ours, theirs, x


def _load_into_torch(ours, theirs) -> None:
    state = {k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state)


def _compare(ours, theirs, x, train: bool = False) -> None:
    ours.train(train)
    theirs.train(train)
    y = ours(tg.tensor(x)).tanh()
    ty = theirs(torch.tensor(x)).tanh()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    y.sum().backward()
    ty.sum().backward()
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), named[name].grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=name)


@pytest.mark.parametrize("layer,shape_in,dim", [
    ("linear", (5, 4), 0), ("conv", (2, 2, 5, 5), 0), ("linear", (5, 4), None),
    ("conv", (2, 2, 5, 5), 1)])
def test_weight_norm_as_torchs(layer, shape_in, dim):
    make = {"linear": (lambda lib: lib.nn.Linear(4, 3)),
            "conv": (lambda lib: lib.nn.Conv2d(2, 3, 3))}[layer]
    ours, theirs, x = _pair(lambda: make(tg), lambda: make(torch), shape_in)
    ours = tg.nn.utils.parametrizations.weight_norm(ours, dim=dim)
    theirs = torch.nn.utils.parametrizations.weight_norm(theirs, dim=dim)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-12)
    _compare(ours, theirs, x)


def test_the_older_weight_norm_as_torchs_and_its_removal():
    ours, theirs, x = _pair(lambda: tg.nn.Linear(4, 3), lambda: torch.nn.Linear(4, 3), (5, 4))
    with pytest.warns(FutureWarning, match="deprecated"):
        ours = tg.nn.utils.weight_norm(ours)
    with pytest.warns(FutureWarning, match="deprecated"):
        theirs = torch.nn.utils.weight_norm(theirs)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    _compare(ours, theirs, x)
    before = ours.weight.detach().numpy().copy()
    tg.nn.utils.remove_weight_norm(ours)
    assert sorted(ours.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(ours.weight.numpy(), before)


@pytest.mark.parametrize("train", [False, True])
def test_spectral_norm_as_torchs(train):
    ours, theirs, x = _pair(lambda: tg.nn.Conv2d(2, 3, 3), lambda: torch.nn.Conv2d(2, 3, 3),
                            (2, 2, 5, 5))
    ours = tg.nn.utils.parametrizations.spectral_norm(ours)
    theirs = torch.nn.utils.parametrizations.spectral_norm(theirs)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    _load_into_torch(ours, theirs)
    _compare(ours, theirs, x, train=train)
    if train:  # one more power iteration each, from the same vectors
        np.testing.assert_allclose(ours.parametrizations.weight[0]._u.numpy(),
                                   theirs.parametrizations.weight[0]._u.numpy(), rtol=1e-10)


def test_the_older_spectral_norm_as_torchs_and_its_removal():
    ours, theirs, x = _pair(lambda: tg.nn.Linear(4, 3), lambda: torch.nn.Linear(4, 3), (5, 4))
    ours = tg.nn.utils.spectral_norm(ours)
    theirs = torch.nn.utils.spectral_norm(theirs)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    _load_into_torch(ours, theirs)
    _compare(ours, theirs, x, train=True)  # the forward pre-hook iterates once, both
    np.testing.assert_allclose(ours.weight_u.numpy(), theirs.weight_u.numpy(), rtol=1e-10)
    tg.nn.utils.remove_spectral_norm(ours)
    assert sorted(ours.state_dict()) == ["bias", "weight"]


def test_a_custom_parametrization_assigns_through_right_inverse_and_comes_off():
    from tinygrad_gd.nn.utils import parametrize

    class Symmetric(tg.nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).T

        def right_inverse(self, a):
            return a.triu()

    lin = tg.nn.Linear(3, 3)
    other = tg.nn.Linear(3, 3)
    parametrize.register_parametrization(lin, "weight", Symmetric())
    assert parametrize.is_parametrized(lin, "weight") and not parametrize.is_parametrized(other)
    assert type(other) is tg.nn.Linear and "weight" not in type(other).__dict__
    w = lin.weight
    assert (w == w.T).all().item()
    target = tg.tensor(RNG.standard_normal((3, 3)).astype(np.float32))
    target = target + target.T
    lin.weight = target  # stored through right_inverse
    np.testing.assert_allclose(lin.weight.detach().numpy(), target.numpy(), rtol=1e-6)
    names = [n for n, _ in lin.named_parameters()]
    assert names == ["bias", "parametrizations.weight.original"]
    lin(tg.ones(2, 3)).sum().backward()
    assert lin.parametrizations.weight.original.grad is not None
    parametrize.remove_parametrizations(lin, "weight")
    assert type(lin) is tg.nn.Linear and sorted(lin.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(lin.weight.numpy(), target.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="no parameter or buffer"):
        parametrize.register_parametrization(lin, "nothing", Symmetric())


def test_spectral_norms_power_iteration_converges_to_the_top_singular_value():
    lin = tg.nn.utils.parametrizations.spectral_norm(tg.nn.Linear(6, 5).double())
    for _ in range(200):  # each training-mode access refines u and v once
        lin(tg.ones(1, 6, dtype="float64"))
    sigma = np.linalg.svd(lin.weight.detach().numpy(), compute_uv=False)[0]
    assert abs(sigma - 1.0) < 1e-8
    lin.eval()
    w = lin.weight.detach().numpy().copy()
    lin(tg.ones(1, 6, dtype="float64"))
    np.testing.assert_array_equal(lin.weight.detach().numpy(), w)  # eval: no refinement
