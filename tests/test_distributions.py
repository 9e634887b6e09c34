"""``tg.distributions`` against ``torch.distributions``: densities, entropies, moments, KL
divergences and their gradients, in float64 over broadcast parameter shapes; samples by shape,
dtype, reproducibility and their statistics (they are the library's draws, not torch's)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions
RNG = np.random.default_rng(0)


def _pair(array: np.ndarray, grad: bool = True) -> tuple:
    return (tg.tensor(array, requires_grad=grad),
            torch.tensor(array, requires_grad=grad))


def _close(ours, theirs, **kw) -> None:
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(),
                               rtol=kw.get("rtol", 1e-10), atol=kw.get("atol", 1e-12))


def _grads_close(ours_out, theirs_out, ours_in, theirs_in) -> None:
    (ours_out * tg.tensor(np.linspace(0.5, 1.5, ours_out.numel()).reshape(ours_out.shape))
     ).sum().backward()
    (theirs_out * torch.tensor(np.linspace(0.5, 1.5, theirs_out.numel()).reshape(
        tuple(theirs_out.shape)))).sum().backward()
    for a, b in zip(ours_in, theirs_in):
        _close(a.grad, b.grad, rtol=1e-9)


SHAPES = [((), ()), ((3,), ()), ((2, 1), (3,)), ((2, 3), (2, 3))]


@pytest.mark.parametrize("loc_shape,scale_shape", SHAPES)
def test_normal_matches_torch(loc_shape, scale_shape):
    loc, tloc = _pair(RNG.standard_normal(loc_shape))
    scale, tscale = _pair(RNG.uniform(0.5, 2.0, scale_shape))
    ours, theirs = D.Normal(loc, scale), TD.Normal(tloc, tscale)
    assert ours.batch_shape == tuple(theirs.batch_shape) and ours.event_shape == ()
    value = np.broadcast_to(RNG.standard_normal(ours.batch_shape), ours.batch_shape)
    for name in ("mean", "mode", "stddev", "variance"):
        _close(getattr(ours, name), getattr(theirs, name))
    _close(ours.cdf(tg.tensor(value)), theirs.cdf(torch.tensor(value)))
    _close(ours.icdf(tg.tensor(value * 0 + 0.3)), theirs.icdf(torch.tensor(value * 0 + 0.3)),
           rtol=1e-9)
    out = ours.log_prob(tg.tensor(value)) + ours.entropy()
    tout = theirs.log_prob(torch.tensor(value)) + theirs.entropy()
    _close(out, tout)
    _grads_close(out, tout, [loc, scale], [tloc, tscale])


def test_normal_rsample_carries_gradients_and_samples_have_the_right_law():
    tg.manual_seed(0)
    loc = tg.tensor([1.0, -2.0], dtype="float64", requires_grad=True)
    scale = tg.tensor([0.5, 3.0], dtype="float64", requires_grad=True)
    n = D.Normal(loc, scale)
    draws = n.rsample((20000,))
    assert draws.shape == (20000, 2) and draws.requires_grad
    draws.mean(0).sum().backward()  # d mean / d loc = 1; d mean / d scale = mean(eps) ~ 0
    np.testing.assert_allclose(loc.grad.numpy(), [1.0, 1.0])
    assert abs(scale.grad.numpy()).max() < 0.05
    np.testing.assert_allclose(draws.detach().numpy().mean(0), [1.0, -2.0], atol=0.06)
    np.testing.assert_allclose(draws.detach().numpy().std(0), [0.5, 3.0], rtol=0.03)
    assert not n.sample((3,)).requires_grad
    tg.manual_seed(1)
    a = n.sample((4,))
    tg.manual_seed(1)
    assert (n.sample((4,)) == a).all().item()


@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 1, 5)])
@pytest.mark.parametrize("by", ["probs", "logits"])
def test_categorical_matches_torch(shape, by):
    raw = RNG.uniform(0.1, 2.0, shape) if by == "probs" else RNG.standard_normal(shape)
    param, tparam = _pair(raw)
    ours, theirs = D.Categorical(**{by: param}), TD.Categorical(**{by: tparam})
    assert ours.batch_shape == tuple(theirs.batch_shape)
    _close(ours.probs, theirs.probs)
    _close(ours.logits, theirs.logits)
    value = RNG.integers(0, shape[-1], (3,) + shape[:-1])
    out = ours.log_prob(tg.tensor(value)) + ours.entropy()
    tout = theirs.log_prob(torch.tensor(value)) + theirs.entropy()
    _close(out, tout)
    _grads_close(out, tout, [param], [tparam])
    assert (ours.mode.numpy() == theirs.mode.numpy()).all()
    assert np.isnan(ours.mean.numpy()).all() and ours.mean.shape == tuple(theirs.mean.shape)
    assert ours.enumerate_support().shape == tuple(theirs.enumerate_support().shape)
    assert ours.enumerate_support(False).shape == tuple(theirs.enumerate_support(False).shape)


def test_categorical_samples_follow_the_probabilities():
    tg.manual_seed(0)
    c = D.Categorical(probs=tg.tensor([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]]))
    draws = c.sample((6000,))
    assert draws.shape == (6000, 2) and draws.dtype == tg.int64
    freq = np.stack([np.bincount(draws.numpy()[:, i], minlength=3) / 6000 for i in range(2)])
    np.testing.assert_allclose(freq, [[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]], atol=0.025)
    assert c.sample().shape == (2,)


@pytest.mark.parametrize("by", ["probs", "logits"])
def test_bernoulli_matches_torch(by):
    raw = RNG.uniform(0.05, 0.95, (2, 3)) if by == "probs" else RNG.standard_normal((2, 3))
    param, tparam = _pair(raw)
    ours, theirs = D.Bernoulli(**{by: param}), TD.Bernoulli(**{by: tparam})
    value = RNG.integers(0, 2, (2, 3)).astype(float)
    for name in ("mean", "variance", "stddev"):
        _close(getattr(ours, name), getattr(theirs, name))
    out = ours.log_prob(tg.tensor(value)) + ours.entropy()
    tout = theirs.log_prob(torch.tensor(value)) + theirs.entropy()
    _close(out, tout, rtol=1e-7)
    _grads_close(out, tout, [param], [tparam])
    tg.manual_seed(0)
    draws = D.Bernoulli(probs=tg.tensor([0.2, 0.9])).sample((5000,)).numpy()
    assert set(np.unique(draws)) <= {0.0, 1.0}
    np.testing.assert_allclose(draws.mean(0), [0.2, 0.9], atol=0.03)


def test_uniform_matches_torch():
    low, tlow = _pair(np.array([-1.0, 0.0, 2.0]))
    high, thigh = _pair(np.array([1.0, 0.5, 5.0]))
    ours, theirs = D.Uniform(low, high), TD.Uniform(tlow, thigh)
    value = np.array([0.3, 0.1, 4.0])
    for name in ("mean", "variance", "stddev"):
        _close(getattr(ours, name), getattr(theirs, name))
    _close(ours.cdf(tg.tensor(value)), theirs.cdf(torch.tensor(value)))
    _close(ours.icdf(tg.tensor(value * 0 + 0.25)), theirs.icdf(torch.tensor(value * 0 + 0.25)))
    out = ours.log_prob(tg.tensor(value)) + ours.entropy()
    tout = theirs.log_prob(torch.tensor(value)) + theirs.entropy()
    _close(out, tout)
    _grads_close(out, tout, [low, high], [tlow, thigh])
    tg.manual_seed(0)
    draws = ours.rsample((4000,))
    lo, hi = low.numpy(), high.numpy()
    assert ((draws.detach().numpy() >= lo) & (draws.detach().numpy() < hi)).all()
    draws.mean(0).sum().backward()  # d mean / d high ~ 1/2
    np.testing.assert_allclose(high.grad.numpy(), [0.5] * 3, atol=0.03)


def test_kl_divergence_matches_torch_and_carries_gradients():
    a, ta = _pair(RNG.standard_normal(3))
    b, tb = _pair(RNG.uniform(0.5, 2.0, 3))
    c, tc = _pair(RNG.standard_normal(3))
    kl = D.kl_divergence(D.Normal(a, b), D.Normal(c, 1.5))
    tkl = TD.kl_divergence(TD.Normal(ta, tb), TD.Normal(tc, 1.5))
    _close(kl, tkl)
    _grads_close(kl, tkl, [a, b, c], [ta, tb, tc])
    p = np.array([[0.2, 0.8, 0.0], [0.3, 0.3, 0.4]])
    q = np.array([[0.5, 0.5, 0.0], [0.1, 0.0, 0.9]])
    ours = D.kl_divergence(D.Categorical(probs=tg.tensor(p)), D.Categorical(probs=tg.tensor(q)))
    theirs = TD.kl_divergence(TD.Categorical(probs=torch.tensor(p)),
                              TD.Categorical(probs=torch.tensor(q)))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10)
    assert np.isinf(ours.numpy()[1])
    pb, qb = np.array([0.0, 0.3, 1.0]), np.array([0.5, 0.6, 0.2])
    ours = D.kl_divergence(D.Bernoulli(probs=tg.tensor(pb)), D.Bernoulli(probs=tg.tensor(qb)))
    theirs = TD.kl_divergence(TD.Bernoulli(probs=torch.tensor(pb)),
                              TD.Bernoulli(probs=torch.tensor(qb)))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-7)
    ours = D.kl_divergence(D.Uniform(tg.tensor([0.0, 0.0]), tg.tensor([1.0, 2.0])),
                           D.Uniform(tg.tensor([-1.0, 0.5]), tg.tensor([2.0, 3.0])))
    theirs = TD.kl_divergence(TD.Uniform(torch.tensor([0.0, 0.0]), torch.tensor([1.0, 2.0])),
                              TD.Uniform(torch.tensor([-1.0, 0.5]), torch.tensor([2.0, 3.0])))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    with pytest.raises(NotImplementedError, match="no closed form"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Uniform(0.0, 1.0))


def test_bad_arguments_are_refused_as_torch_refuses_them():
    with pytest.raises(ValueError, match="scale .* GreaterThan"):
        D.Normal(0.0, tg.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="loc"):
        D.Normal(float("nan"), 1.0)
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Categorical()
    with pytest.raises(ValueError, match="Simplex"):
        D.Categorical(probs=tg.tensor([0.5, -0.2, 0.7]))
    with pytest.raises(ValueError, match="support"):
        D.Categorical(logits=tg.zeros(3)).log_prob(tg.tensor(3))
    with pytest.raises(ValueError, match="Interval"):
        D.Bernoulli(probs=tg.tensor([1.5]))
    with pytest.raises(ValueError, match="support .*Boolean"):
        D.Bernoulli(probs=tg.tensor([0.5])).log_prob(tg.tensor([0.5]))
    with pytest.raises(ValueError, match="low>= high"):
        D.Uniform(1.0, 1.0)
    with pytest.raises(ValueError, match="support"):
        D.Uniform(0.0, 1.0).log_prob(tg.tensor(1.5))
    with pytest.raises(NotImplementedError, match="rsample"):
        D.Categorical(logits=tg.zeros(2)).rsample()
    quiet = D.Normal(0.0, tg.tensor([-1.0]), validate_args=False)  # the checks skipped
    assert quiet.scale.item() == -1.0


def test_reinforce_step_as_in_pytorch_examples():
    # pytorch/examples' REINFORCE: sample an action, keep its log_prob, weight by the return
    tg.manual_seed(0)
    policy = tg.nn.Linear(4, 2)
    opt = tg.optim.Adam(policy.parameters(), lr=1e-2)
    state = tg.tensor(RNG.standard_normal(4).astype(np.float32))
    m = D.Categorical(logits=policy(state))
    action = m.sample()
    assert action.shape == () and action.dtype == tg.int64
    loss = -m.log_prob(action) * 1.5
    loss.backward()
    assert policy.weight.grad is not None and np.isfinite(policy.weight.grad.numpy()).all()
    opt.step()
