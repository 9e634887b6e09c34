"""nn.utils: gradient clipping and parameter/vector conversion, compared with torch."""

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)

torch = pytest.importorskip("torch")

GRADS = [np.array([3.0, -4.0, 0.5]), np.array([[12.0, 0.0], [-1.0, 2.0]]), np.array(0.25)]


def params(lib, grads=GRADS, dtype="float32"):
    out = []
    for g in grads:
        p = lib.nn.Parameter(lib.zeros(g.shape, dtype=getattr(lib, dtype)))
        p.grad = lib.tensor(g, dtype=getattr(lib, dtype))
        out.append(p)
    return out


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf", 0.5])
@pytest.mark.parametrize("max_norm", [1.0, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ours, theirs = params(tg), params(torch)
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert total.shape == () and total.dtype == np.float32
    np.testing.assert_allclose(total.numpy(), total_t.numpy(), rtol=1e-6)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_clip_grad_norm_single_tensor_missing_grads_and_float64():
    p = tg.nn.Parameter(tg.zeros(2))
    assert clip_grad_norm_(p, 1.0).item() == 0.0  # no gradient: a zero norm, nothing changes
    q = params(tg, dtype="float64")
    qt = params(torch, dtype="float64")
    total = tg.nn.utils.clip_grad_norm_(q + [p], 2.0)
    total_t = torch.nn.utils.clip_grad_norm_(qt, 2.0)
    assert total.dtype == np.float64
    np.testing.assert_allclose(total.numpy(), total_t.numpy())


def test_clip_grad_norm_error_if_nonfinite():
    ours = params(tg, [np.array([1.0, np.inf])])
    theirs = params(torch, [np.array([1.0, np.inf])])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_matches_torch():
    ours, theirs = params(tg), params(torch)
    assert clip_grad_value_(ours, 1.5) is None
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy())


def test_get_total_norm_and_clip_grads_with_norm_match_torch():
    ours, theirs = params(tg), params(torch)
    n = get_total_norm([p.grad for p in ours], 3.0)
    nt = torch.nn.utils.get_total_norm([p.grad for p in theirs], 3.0)
    np.testing.assert_allclose(n.numpy(), nt.numpy(), rtol=1e-6)
    clip_grads_with_norm_(ours, 2.0, n)
    torch.nn.utils.clip_grads_with_norm_(theirs, 2.0, nt)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6)


def test_parameters_to_vector_and_back_match_torch():
    lin, lin_t = tg.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    with torch.no_grad():
        for p, q in zip(lin.parameters(), lin_t.parameters()):
            q.copy_(torch.tensor(p.numpy()))
    v = parameters_to_vector(lin.parameters())
    vt = torch.nn.utils.parameters_to_vector(lin_t.parameters())
    np.testing.assert_allclose(v.numpy(), vt.detach().numpy())
    assert v.requires_grad  # differentiable, as torch's
    new = np.arange(8, dtype=np.float32)
    vector_to_parameters(tg.tensor(new), lin.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), lin_t.parameters())
    for p, q in zip(lin.parameters(), lin_t.parameters()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy())
    with pytest.raises(TypeError):
        vector_to_parameters(new, lin.parameters())
    with pytest.raises(ValueError, match="8 elements"):
        vector_to_parameters(tg.zeros(7), lin.parameters())


def test_clipping_inside_a_training_step():
    net = tg.nn.Linear(4, 1)
    opt = tg.optim.SGD(net.parameters(), lr=0.1)
    loss = (net(tg.ones(8, 4) * 100) ** 2).mean()
    loss.backward()
    total = clip_grad_norm_(net.parameters(), 1.0)
    assert total.item() > 1.0
    after = get_total_norm([p.grad for p in net.parameters()])
    assert after.item() == pytest.approx(1.0, rel=1e-4)
    opt.step()
