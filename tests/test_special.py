"""``tg.special`` against ``torch.special``: values and gradients in float64 (the gamma family
itself is in the op table, ``rows_pointwise.py``), and the argument checks."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")
X = np.array([-3.0, -0.5, 0.0, 1e-300, 0.3, 1.0, 2.5, 7.0])
POS = np.array([0.2, 0.5, 1.0, 2.5, 7.0, 40.0])


@pytest.mark.parametrize("name,domain", [
    ("gammaln", POS), ("digamma", POS), ("psi", POS), ("expit", X), ("entr", X),
    ("ndtr", X), ("log_ndtr", np.array([-30.0, -5.0, 0.0, 3.0])), ("erf", X), ("erfc", X),
    ("logit", np.array([0.1, 0.5, 0.9])), ("sinc", X), ("log1p", POS), ("expm1", X),
    ("exp2", X)])
def test_unary_special_functions_match_torch(name, domain):
    x = tg.tensor(domain, requires_grad=True)
    tx = torch.tensor(domain, requires_grad=True)
    y, ty = getattr(tg.special, name)(x), getattr(torch.special, name)(tx)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-9, atol=1e-12)
    finite = np.isfinite(ty.detach().numpy())
    if name == "entr":
        finite &= domain > 0  # torch's gradient at 0 is -inf, and NaN below
    w = np.where(finite, 1.0, 0.0)
    (g,) = tg.grad((y * tg.tensor(w)).sum(), [x])
    (tg_,) = torch.autograd.grad((ty * torch.tensor(w)).sum(), [tx])
    np.testing.assert_allclose(g.numpy()[finite], tg_.numpy()[finite], rtol=1e-8, atol=1e-12)


def test_the_gamma_family_in_torchs_argument_orders():
    x = tg.tensor(POS)
    np.testing.assert_allclose(tg.special.polygamma(2, x).numpy(),
                               torch.special.polygamma(2, torch.tensor(POS)).numpy(), rtol=1e-9)
    np.testing.assert_allclose(tg.polygamma(0, x).numpy(), tg.digamma(x).numpy())
    np.testing.assert_allclose(tg.special.multigammaln(x + 2, 3).numpy(),
                               torch.special.multigammaln(torch.tensor(POS) + 2, 3).numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(tg.lgamma(tg.tensor([0.0, -1.0, -2.5])).numpy(),
                               torch.lgamma(torch.tensor([0.0, -1.0, -2.5])).numpy())
    assert np.isneginf(tg.digamma(tg.tensor(0.0)).item())
    assert np.isnan(tg.digamma(tg.tensor(-2.0)).item())
    y = tg.tensor([1.5, 2.0])
    y.lgamma_()
    np.testing.assert_allclose(y.numpy(), torch.tensor([1.5, 2.0]).lgamma().numpy(), rtol=1e-6)
    assert tg.tensor([2, 3]).lgamma().dtype == tg.float32  # integers compute in float
    with pytest.raises(ValueError, match="non-negative int"):
        tg.polygamma(-1, x)
    with pytest.raises(ValueError, match=r"greater than \(p-1\)/2"):
        tg.mvlgamma(tg.tensor([0.2]), 3)
