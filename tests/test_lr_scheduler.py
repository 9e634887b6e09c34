"""Every scheduler's lr sequence over 100 steps: the closed form written here, and torch's."""

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.optim import lr_scheduler as S

N = 100
BASE = 0.1


def make_opt(kind="SGD", lib=None):
    """Two parameter groups (lr 0.1 and 0.05): schedules must act per group."""
    lib = lib or tg
    cls = getattr(lib.optim, kind)
    extra = {"momentum": 0.9} if kind == "SGD" else {}
    a, b = lib.zeros(1, requires_grad=True), lib.zeros(1, requires_grad=True)
    return cls([{"params": [a]}, {"params": [b], "lr": BASE / 2}], lr=BASE, **extra)


def lr_sequence(opt, sched, n=N, metrics=None):
    """The lr of each group used at steps 0..n-1 (read before each scheduler step)."""
    out = []
    for i in range(n):
        out.append(sched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == out[-1]
        opt.step()
        sched.step() if metrics is None else sched.step(metrics[i])
    return np.array(out)


def closed_step(t):
    return 0.5 ** (t // 7)


def closed_multistep(t):
    return 0.5 ** sum(m <= t for m in (10, 30, 30, 70))


def closed_exp(t):
    return 0.95 ** t


def closed_linear(t):
    return 0.1 + 0.9 * min(t, 20) / 20


def cosine(base, t, period, eta_min=0.001):
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / period)) / 2


def warm_restarts(base, t):
    """T_0=10, T_mult=2: restarts at 10, 30, 70."""
    start, period = 0, 10
    while t >= start + period:
        start, period = start + period, period * 2
    return cosine(base, t - start, period)


def cyclic(base_lr, max_lr, t, up=7, down=13):
    pos = t % (up + down)
    frac = pos / up if pos <= up else 1 - (pos - up) / down
    return base_lr + (max_lr - base_lr) * frac


def one_cycle(max_lr, t, n=100, pct=0.3, div=25.0, final_div=1e4):
    lo, hi = max_lr / div, max_lr
    peak = pct * n - 1
    anneal = lambda a, b, p: b + (a - b) / 2 * (math.cos(math.pi * p) + 1)  # noqa: E731
    if t <= peak:
        return anneal(lo, hi, t / peak)
    return anneal(hi, lo / final_div, (t - peak) / (n - 1 - peak))


FACTOR_CASES = [  # schedules that multiply each group's base lr by a factor of t
    ("StepLR", {"step_size": 7, "gamma": 0.5}, closed_step),
    ("MultiStepLR", {"milestones": [10, 30, 30, 70], "gamma": 0.5}, closed_multistep),
    ("ExponentialLR", {"gamma": 0.95}, closed_exp),
    ("LinearLR", {"start_factor": 0.1, "total_iters": 20}, closed_linear),
]


@pytest.mark.parametrize("name,kwargs,factor", FACTOR_CASES)
def test_multiplicative_schedules_follow_their_closed_form(name, kwargs, factor):
    opt = make_opt()
    got = lr_sequence(opt, getattr(S, name)(opt, **kwargs))
    want = np.array([[BASE * factor(t), BASE / 2 * factor(t)] for t in range(N)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_cosine_annealing_closed_form():
    opt = make_opt()
    got = lr_sequence(opt, S.CosineAnnealingLR(opt, T_max=30, eta_min=0.001))
    want = [[cosine(BASE, t, 30), cosine(BASE / 2, t, 30)] for t in range(N)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got[30, 0] == pytest.approx(0.001) and got[60, 0] == pytest.approx(BASE)


def test_warm_restarts_closed_form_and_cycle_end():
    opt = make_opt()
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2, eta_min=0.001)
    ends = []
    seq = []
    for t in range(N):
        seq.append(sched.get_last_lr())
        if sched.cycle_ended:
            ends.append(t)
        sched.step()
    want = [[warm_restarts(BASE, t), warm_restarts(BASE / 2, t)] for t in range(N)]
    np.testing.assert_allclose(seq, want, rtol=1e-12)
    assert ends == [10, 30, 70]


def test_warm_restarts_fractional_epochs():
    opt = make_opt()
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2, eta_min=0.001)
    sched.step(25.5)   # in the second period (10..30, length 20) at T_cur = 15.5
    assert sched.get_last_lr()[0] == pytest.approx(cosine(BASE, 15.5, 20))


def test_warm_restarts_jump_to_a_restart_epoch_restarts_despite_log_rounding():
    # restarts of T_0=1, T_mult=3 are at 1, 4, 13, 40, 121; log(243, 3) = 4.999...: the
    # restart count came out one short, and step(121) gave eta_min instead of the base lr
    # (torch computes it the same way and has the same slip)
    opt = make_opt()
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=1, T_mult=3)
    for restart, period in [(4, 9), (13, 27), (40, 81), (121, 243), (364, 729)]:
        sched.step(float(restart))
        assert (sched.T_cur, sched.T_i) == (0, period)
        assert sched.get_last_lr()[0] == pytest.approx(BASE)
    sched.step(121.5)
    assert (sched.T_cur, sched.T_i) == (0.5, 243)


def test_cyclic_triangular_closed_form_cycles_momentum():
    opt = make_opt()
    sched = S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=7, step_size_down=13)
    lrs, moms = [], []
    for _ in range(N):
        lrs.append(sched.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
        sched.step()
    np.testing.assert_allclose(lrs, [cyclic(0.01, 0.1, t) for t in range(N)], rtol=1e-12)
    # momentum moves opposite to the lr: 0.9 at the lr's floor, 0.8 at its peak
    want_m = [0.9 - 0.1 * (cyclic(0.01, 0.1, t) - 0.01) / 0.09 for t in range(N)]
    np.testing.assert_allclose(moms, want_m, rtol=1e-12)


def test_cyclic_triangular2_halves_amplitude_each_cycle():
    opt = make_opt()
    sched = S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=5, mode="triangular2")
    got = lr_sequence(opt, sched)[:, 0]
    want = [0.01 + 0.09 * (1 - abs((t % 10) - 5) / 5) / 2 ** (t // 10) for t in range(N)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_one_cycle_closed_form_with_adam_betas():
    opt = make_opt("Adam")
    sched = S.OneCycleLR(opt, max_lr=0.5, total_steps=N)
    lrs, beta1 = [], []
    for t in range(N):
        lrs.append(sched.get_last_lr()[0])
        beta1.append(opt.param_groups[0]["betas"][0])
        if t < N - 1:
            sched.step()
    np.testing.assert_allclose(lrs, [one_cycle(0.5, t) for t in range(N)], rtol=1e-12)
    assert beta1[0] == pytest.approx(0.95) and beta1[29] == pytest.approx(0.85)
    with pytest.raises(ValueError, match="total_steps"):
        sched.step()
        sched.step()


def test_sequential_warmup_then_cosine_closed_form():
    opt = make_opt()
    sched = S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.1, total_iters=10),
                                 S.CosineAnnealingLR(opt, T_max=90, eta_min=0.001)],
                           milestones=[10])
    got = lr_sequence(opt, sched)[:, 0]
    want = [BASE * (0.1 + 0.9 * t / 10) if t < 10 else cosine(BASE, t - 10, 90)
            for t in range(N)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_reduce_on_plateau_and_min_lr_stop_signal():
    opt = make_opt()
    sched = S.ReduceLROnPlateau(opt, factor=0.5, patience=3, cooldown=1, min_lr=0.02)
    metrics = list(np.linspace(1, 0.5, 10)) + [0.5] * 90
    lrs, stop_at = [], None
    for t, m in enumerate(metrics):
        lrs.append(sched.get_last_lr()[0])
        sched.step(m)
        if stop_at is None and sched.reached_min_lr:
            stop_at = t
    # improving for 10 epochs, then flat: bad epochs 1..4 -> reduce after the 4th bad one
    # (epoch 13); cooldown 1 swallows the next epoch, so reductions come every 5 epochs
    assert lrs[:14] == [BASE] * 14
    assert lrs[14] == pytest.approx(0.05) and lrs[19] == pytest.approx(0.025)
    assert lrs[24] == pytest.approx(0.02) and min(lrs) == pytest.approx(0.02)
    assert stop_at == 23   # the step that set group 0 to 0.02 (group 1 already at its floor)


def test_min_lr_stop_signal_on_any_scheduler():
    opt = make_opt()
    sched = S.ExponentialLR(opt, gamma=0.5)
    sched.min_lr = [0.01, 0.01]
    steps = 0
    while not sched.reached_min_lr:
        sched.step()
        steps += 1
    assert steps == 4   # 0.1 * 0.5^4 = 0.00625 is the first lr of group 0 below 0.01
    assert opt.param_groups[0]["lr"] <= 0.01 < 0.1 * 0.5 ** 3


def test_scheduler_state_dict_resumes():
    opt = make_opt()
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=2)
    for _ in range(12):
        sched.step()
    saved, opt_saved = sched.state_dict(), opt.state_dict()
    rest = [sched.step() or sched.get_last_lr() for _ in range(10)]
    opt2 = make_opt()
    opt2.load_state_dict(opt_saved)
    sched2 = S.CosineAnnealingWarmRestarts(opt2, T_0=5, T_mult=2)
    sched2.load_state_dict(saved)
    assert [sched2.step() or sched2.get_last_lr() for _ in range(10)] == rest


@pytest.mark.parametrize("make", [
    lambda o: S.StepLR(o, step_size=2, gamma=0.5),
    lambda o: S.CosineAnnealingLR(o, T_max=10),
    lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.5, total_iters=2), S.ExponentialLR(o, 0.5)],
                             milestones=[2]),
    lambda o: S.OneCycleLR(o, BASE, total_steps=20),
    lambda o: S.CyclicLR(o, 0.01, BASE, step_size_up=4),
])
def test_resumed_scheduler_restores_the_lr_of_the_next_optimizer_step(make):
    # Built after the optimizer's state was loaded, the new scheduler's step 0 writes the
    # schedule's first lr into the groups: loading its state must put the saved lr back, or the
    # first step after resuming runs at the wrong lr
    opt = make_opt()
    sched = make(opt)
    for _ in range(5):
        opt.step()
        sched.step()
    expected = [g["lr"] for g in opt.param_groups]
    opt2 = make_opt()
    opt2.load_state_dict(opt.state_dict())
    sched2 = make(opt2)
    sched2.load_state_dict(sched.state_dict())
    assert [g["lr"] for g in opt2.param_groups] == expected == sched2.get_last_lr()
    # the cycling schedulers' momentum too
    assert [g["momentum"] for g in opt2.param_groups] == [g["momentum"] for g in opt.param_groups]
    sched.step()
    sched2.step()
    assert sched2.get_last_lr() == sched.get_last_lr()


def test_bad_scheduler_arguments():
    opt = make_opt()
    with pytest.raises(ValueError, match="step_size"):
        S.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="T_0"):
        S.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="factor"):
        S.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="milestone"):
        S.SequentialLR(opt, [S.StepLR(opt, 3), S.StepLR(opt, 4)], milestones=[])
    with pytest.raises(ValueError, match="total_steps"):
        S.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(TypeError, match="not an Optimizer"):
        S.StepLR(object(), step_size=2)
    with pytest.raises(ValueError, match="momentum"):
        S.CyclicLR(tg.optim.GD([tg.zeros(1, requires_grad=True)]), 0.01, 0.1)


# ----------------------------------------------------------------------- against torch
TORCH_CASES = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [10, 30, 30, 70], "gamma": 0.5}),
    ("ExponentialLR", {"gamma": 0.95}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.5, "total_iters": 20}),
    ("CosineAnnealingLR", {"T_max": 30, "eta_min": 0.001}),
    ("CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 2, "eta_min": 0.001}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 7, "step_size_down": 13}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 7, "mode": "triangular2"}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 7, "mode": "exp_range",
                  "gamma": 0.98}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 101}),
    ("OneCycleLR", {"max_lr": [0.5, 0.2], "total_steps": 120, "three_phase": True,
                    "anneal_strategy": "linear"}),
]


def _both(kind, name, kwargs, metrics=None):
    torch = pytest.importorskip("torch")
    import torch.optim.lr_scheduler as TS

    seqs = []
    for lib, mod in ((tg, S), (torch, TS)):
        opt = make_opt(kind, lib)
        sched = getattr(mod, name)(opt, **kwargs) if isinstance(name, str) else name(mod, opt)
        seq = []
        for i in range(N):
            g = opt.param_groups[0]
            mom = g["momentum"] if "momentum" in g else g["betas"][0]
            seq.append(list(sched.get_last_lr()) + [mom])
            opt.step()
            sched.step() if metrics is None else sched.step(metrics[i])
        seqs.append(np.array(seq))
    return seqs


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize("name,kwargs", TORCH_CASES)
def test_matches_torch(name, kwargs, kind):
    ours, theirs = _both(kind, name, kwargs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_plateau_and_sequential_match_torch():
    metrics = list(np.linspace(1, 0.5, 20)) + [0.5] * 80
    kw = {"factor": 0.5, "patience": 5, "cooldown": 2, "min_lr": 0.004}
    ours, theirs = _both("SGD", "ReduceLROnPlateau", kw, metrics)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)

    def seq(mod, opt):
        return mod.SequentialLR(opt, [mod.LinearLR(opt, start_factor=0.1, total_iters=10),
                                      mod.CosineAnnealingLR(opt, T_max=40),
                                      mod.ExponentialLR(opt, gamma=0.9)], milestones=[10, 60])
    ours, theirs = _both("SGD", seq, None)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
