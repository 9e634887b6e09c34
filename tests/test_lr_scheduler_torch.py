"""The new schedulers (``LambdaLR``, ``MultiplicativeLR``, ``ConstantLR``, ``PolynomialLR``,
``ChainedScheduler``) against torch's: 30 steps of lrs, ``last_epoch``, ``state_dict``, and the
warning for ``scheduler.step()`` before ``optimizer.step()``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.optim import lr_scheduler as S

torch = pytest.importorskip("torch")
TS = torch.optim.lr_scheduler


def _optimizer(lib, opt_module):
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    return opt_module.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)


def _trace(make, lib, opt_module, sched_module, steps=30):
    opt = _optimizer(lib, opt_module)
    sched = make(sched_module, opt)
    lrs = [sched.get_last_lr()]
    first = getattr(sched, "_schedulers", [sched])[0]  # torch's chain has no last_epoch
    epochs = [first.last_epoch]
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == pytest.approx(lrs[-1], rel=1e-15)
        epochs.append(first.last_epoch)
    return np.array(lrs), epochs


def _lambda(t):
    return 0.9 ** t + 0.01 * t


CASES = {
    "LambdaLR": lambda s, o: s.LambdaLR(o, _lambda),
    "LambdaLR_per_group": lambda s, o: s.LambdaLR(o, [_lambda, lambda t: 1.0 / (t + 1)]),
    "MultiplicativeLR": lambda s, o: s.MultiplicativeLR(o, lambda t: 0.95),
    "MultiplicativeLR_per_group": lambda s, o: s.MultiplicativeLR(
        o, [lambda t: 0.9, lambda t: 1.0 - 0.01 * t]),
    "ConstantLR": lambda s, o: s.ConstantLR(o),
    "ConstantLR_args": lambda s, o: s.ConstantLR(o, factor=0.5, total_iters=12),
    "PolynomialLR": lambda s, o: s.PolynomialLR(o),
    "PolynomialLR_power": lambda s, o: s.PolynomialLR(o, total_iters=20, power=2.5),
    "Chained_constant_exponential": lambda s, o: s.ChainedScheduler(
        [s.ConstantLR(o, factor=0.1, total_iters=4), s.ExponentialLR(o, gamma=0.9)]),
    "Chained_linear_step_poly": lambda s, o: s.ChainedScheduler(
        [s.LinearLR(o, start_factor=0.2, total_iters=5), s.StepLR(o, step_size=7, gamma=0.5),
         s.PolynomialLR(o, total_iters=25, power=0.5)]),
    "Chained_multistep_multiplicative": lambda s, o: s.ChainedScheduler(
        [s.MultiStepLR(o, milestones=[3, 10, 10, 20], gamma=0.5),
         s.MultiplicativeLR(o, lambda t: 0.97)]),
    "Chained_exponential_cosine": lambda s, o: s.ChainedScheduler(
        [s.ExponentialLR(o, gamma=0.95), s.CosineAnnealingLR(o, T_max=40)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_lr_sequence_matches_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's chained recursions warn about get_lr
        ours, our_epochs = _trace(CASES[name], tg, tg.optim, S)
        theirs, their_epochs = _trace(CASES[name], torch, torch.optim, TS)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert our_epochs == their_epochs


def test_scheduler_step_before_optimizer_step_warns_as_torch():
    opt = _optimizer(tg, tg.optim)
    sched = S.ConstantLR(opt)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt = _optimizer(tg, tg.optim)
    sched = S.PolynomialLR(opt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()  # the right order: no warning


def test_state_dict_resumes_the_schedule():
    opt = _optimizer(tg, tg.optim)
    sched = S.MultiplicativeLR(opt, lambda t: 0.9)
    for _ in range(5):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert "lr_lambdas" not in state and state["last_epoch"] == 5
    opt2 = _optimizer(tg, tg.optim)
    opt2.load_state_dict(opt.state_dict())
    sched2 = S.MultiplicativeLR(opt2, lambda t: 0.9, last_epoch=4)
    sched2.load_state_dict(state)
    for _ in range(3):
        opt.step()
        sched.step()
        opt2.step()
        sched2.step()
    assert sched2.get_last_lr() == pytest.approx(sched.get_last_lr(), rel=1e-14)
    assert sched2.last_epoch == 8


def test_chained_state_dict_round_trip():
    def make(opt):
        return S.ChainedScheduler([S.ConstantLR(opt, factor=0.5, total_iters=3),
                                   S.ExponentialLR(opt, gamma=0.8)])
    opt = _optimizer(tg, tg.optim)
    chain = make(opt)
    for _ in range(4):
        opt.step()
        chain.step()
    state = chain.state_dict()
    opt2 = _optimizer(tg, tg.optim)
    chain2 = make(opt2)
    chain2.load_state_dict(state)
    assert [g["lr"] for g in opt2.param_groups] == pytest.approx(chain.get_last_lr())
    opt.step()
    chain.step()
    opt2.step()
    chain2.step()
    assert chain2.get_last_lr() == pytest.approx(chain.get_last_lr(), rel=1e-14)


def test_bad_arguments():
    opt = _optimizer(tg, tg.optim)
    with pytest.raises(ValueError, match="2 lr_lambdas"):
        S.LambdaLR(opt, [_lambda])
    with pytest.raises(TypeError, match="function"):
        S.MultiplicativeLR(opt, 0.9)
    with pytest.raises(ValueError, match="factor"):
        S.ConstantLR(opt, factor=1.5)
    with pytest.raises(ValueError, match="total_iters"):
        S.PolynomialLR(opt, total_iters=0)
    other = _optimizer(tg, tg.optim)
    with pytest.raises(ValueError, match="different optimizer"):
        S.ChainedScheduler([S.ConstantLR(opt), S.ConstantLR(other)])


def test_torch_import_paths():
    from tinygrad_gd.optim.lr_scheduler import ChainedScheduler, LRScheduler, StepLR
    from tinygrad_gd.optim.swa_utils import SWALR, AveragedModel

    assert issubclass(StepLR, LRScheduler) and issubclass(ChainedScheduler, LRScheduler)
    assert SWALR.__module__ == "tinygrad_gd.optim.swa_utils" and AveragedModel
    assert tg.optim.lr_scheduler.PolynomialLR is S.PolynomialLR
