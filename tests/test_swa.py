"""swa_utils: AveragedModel (equal average, EMA), SWALR, update_bn, SnapshotEnsemble."""

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.optim import lr_scheduler as S
from tinygrad_gd.optim import swa_utils


def small_net(bn=False):
    tg.manual_seed(0)
    layers = [nn.Linear(3, 4)] + ([nn.BatchNorm1d(4)] if bn else []) + [nn.ReLU(), nn.Linear(4, 2)]
    return nn.Sequential(*layers)


def train_steps(model, opt, n, seed=0, device="cpu"):
    """n SGD steps on random regression data; yields after each step."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        x = tg.tensor(rng.normal(size=(8, 3)).astype(np.float32), device=device)
        y = tg.tensor(rng.normal(size=(8, 2)).astype(np.float32), device=device)
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()
        yield


def params_np(model):
    return [p.numpy().copy() for p in model.parameters()]


def test_averaged_weights_equal_the_mean_of_the_snapshots(device):
    model = small_net(bn=True).to(device)
    swa = swa_utils.AveragedModel(model)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    snaps = []
    for _ in train_steps(model, opt, 7, device=device):
        swa.update_parameters(model)
        snaps.append(params_np(model))
    assert int(swa.n_averaged.item()) == 7
    for i, avg in enumerate(swa.module.parameters()):
        want = np.mean([s[i] for s in snaps], axis=0)
        np.testing.assert_allclose(avg.numpy(), want, rtol=1e-5, atol=1e-6)
        if not np.allclose(snaps[0][i], snaps[-1][i]):   # (a bias before BatchNorm never moves)
            assert not np.allclose(avg.numpy(), snaps[-1][i])   # not just the last iterate
    # buffers are copied (use_buffers=False), not averaged
    bn_avg, bn_model = swa.module[1], model[1]
    np.testing.assert_array_equal(bn_avg.running_mean.numpy(), bn_model.running_mean.numpy())
    # the averaged model runs forward with the averaged weights, and is a copy
    x = tg.randn(5, 3, device=device)
    swa.eval()
    assert swa(x).shape == (5, 2) and swa(x).device == model[0].weight.device
    assert all(a is not b for a, b in zip(swa.module.parameters(), model.parameters()))


def test_ema_and_use_buffers():
    model = small_net(bn=True)
    decay = 0.8
    ema = swa_utils.AveragedModel(model, avg_fn=swa_utils.get_ema_avg_fn(decay),
                                  use_buffers=True)
    opt = optim.SGD(model.parameters(), lr=0.1)
    want_p, want_b = None, None
    for _ in train_steps(model, opt, 5):
        ema.update_parameters(model)
        cur_p = params_np(model)
        cur_b = [model[1].running_mean.numpy().copy(), model[1].running_var.numpy().copy()]
        if want_p is None:
            want_p, want_b = cur_p, cur_b
        else:
            want_p = [decay * a + (1 - decay) * c for a, c in zip(want_p, cur_p)]
            want_b = [decay * a + (1 - decay) * c for a, c in zip(want_b, cur_b)]
    for avg, w in zip(ema.module.parameters(), want_p):
        np.testing.assert_allclose(avg.numpy(), w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ema.module[1].running_mean.numpy(), want_b[0], rtol=1e-5)
    np.testing.assert_allclose(ema.module[1].running_var.numpy(), want_b[1], rtol=1e-5)
    # the integer buffer is copied, not averaged
    assert ema.module[1].num_batches_tracked.item() == model[1].num_batches_tracked.item() == 5


def test_averaged_model_state_dict_round_trip_and_bad_input(tmp_path):
    model = small_net()
    swa = swa_utils.AveragedModel(model)
    swa.update_parameters(model)
    tg.save(swa.state_dict(), tmp_path / "swa.npz")
    other = swa_utils.AveragedModel(small_net())
    other.load_state_dict(tg.load(tmp_path / "swa.npz"))
    assert int(other.n_averaged.item()) == 1
    with pytest.raises(TypeError, match="nn.Module"):
        swa_utils.AveragedModel([tg.ones(2)])
    with pytest.raises(ValueError, match="averages"):
        swa.update_parameters(nn.Linear(3, 4))


def swalr_closed_form(k, start, swa_lr, epochs, strategy="cos"):
    t = min(1.0, k / epochs)
    a = (1 - math.cos(math.pi * t)) / 2 if strategy == "cos" else t
    return swa_lr * a + start * (1 - a)


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_swalr_closed_form(strategy):
    opt = optim.SGD([tg.zeros(1, requires_grad=True)], lr=0.1)
    sched = swa_utils.SWALR(opt, swa_lr=0.01, anneal_epochs=5, anneal_strategy=strategy)
    got = []
    for _ in range(20):
        got.append(sched.get_last_lr()[0])
        sched.step()
    want = [swalr_closed_form(k, 0.1, 0.01, 5, strategy) for k in range(20)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_swalr_taking_over_from_another_schedule_matches_torch():
    torch = pytest.importorskip("torch")
    import torch.optim.swa_utils as TSWA

    seqs = []
    for lib, mod, swa_mod in ((tg, S, swa_utils), (torch, torch.optim.lr_scheduler, TSWA)):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        cosine = mod.CosineAnnealingLR(opt, T_max=40)
        swa_sched = swa_mod.SWALR(opt, swa_lr=0.02, anneal_epochs=4)
        seq = []
        for epoch in range(30):
            seq.append(opt.param_groups[0]["lr"])
            opt.step()
            (swa_sched if epoch >= 15 else cosine).step()
        seqs.append(seq)
    np.testing.assert_allclose(seqs[0], seqs[1], rtol=1e-12)
    # from epoch 16 on: anneal from the cosine's lr at the switch to 0.02 in 4 steps, then hold
    assert seqs[0][-1] == pytest.approx(0.02)


def test_update_bn_reproduces_statistics_computed_directly(device):
    model = small_net(bn=True).to(device)
    rng = np.random.default_rng(1)
    batches = [(tg.tensor(rng.normal(size=(10, 3)).astype(np.float32) * 2 + 1, device=device),
                None) for _ in range(4)]
    bn = model[1]
    bn.running_mean.data[...] = 5.0       # stale statistics that must be forgotten
    bn.momentum = 0.3
    model.eval()
    swa_utils.update_bn(batches, model)
    feats = [model[0](x).numpy() for x, _ in batches]   # what the BatchNorm layer saw
    want_mean = np.mean([f.mean(axis=0) for f in feats], axis=0)
    want_var = np.mean([f.var(axis=0, ddof=1) for f in feats], axis=0)
    np.testing.assert_allclose(bn.running_mean.numpy(), want_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), want_var, rtol=1e-5, atol=1e-6)
    assert bn.num_batches_tracked.item() == 4
    assert bn.momentum == 0.3 and not model.training     # restored
    # equal batches: the cumulative average of batch means is the mean over all the data
    np.testing.assert_allclose(want_mean, np.concatenate(feats).mean(axis=0), rtol=1e-5)
    swa_utils.update_bn([tg.ones(2, 3, device=device)], small_net().to(device))  # no BN: no-op


def test_update_bn_matches_torch():
    torch = pytest.importorskip("torch")
    model = small_net(bn=True)
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                 torch.nn.ReLU(), torch.nn.Linear(4, 2)).double()
    model.double()
    with torch.no_grad():
        for p, tp in zip(model.parameters(), tmodel.parameters()):
            tp.copy_(torch.tensor(p.numpy()))
    rng = np.random.default_rng(2)
    data = [rng.normal(size=(n, 3)) for n in (7, 7, 5)]   # unequal batches
    swa_utils.update_bn([tg.tensor(d) for d in data], model)
    torch.optim.swa_utils.update_bn([torch.tensor(d) for d in data], tmodel)
    np.testing.assert_allclose(model[1].running_mean.numpy(),
                               tmodel[1].running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(model[1].running_var.numpy(),
                               tmodel[1].running_var.numpy(), rtol=1e-12)


def test_snapshot_ensemble_caches_each_cycle_end_and_averages_predictions():
    model = small_net()
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=3)
    ens = swa_utils.SnapshotEnsemble(model, scheduler=sched, transform=lambda z: z.softmax(-1))
    taken, weights_at = [], []
    for epoch, _ in enumerate(train_steps(model, opt, 9)):
        sched.step()
        if ens.step():
            taken.append(epoch)
            weights_at.append(params_np(model))
    assert taken == [2, 5, 8] and len(ens) == 3
    for snap, w in zip(ens.snapshots, weights_at):
        np.testing.assert_array_equal(snap["0.weight"].numpy(), w[0])
    x = tg.tensor(np.random.default_rng(3).normal(size=(4, 3)).astype(np.float32))
    before = params_np(model)
    got = ens(x).numpy()
    want = []
    for w in weights_at:
        probe = small_net()
        with tg.no_grad():
            for p, v in zip(probe.parameters(), w):
                p.copy_(tg.tensor(v))
        want.append(probe(x).softmax(-1).numpy())
    np.testing.assert_allclose(got, np.mean(want, axis=0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-5)
    for a, b in zip(before, params_np(model)):
        np.testing.assert_array_equal(a, b)   # the training model is untouched


def test_snapshot_ensemble_cycle_length_max_snapshots_and_errors():
    model = small_net()
    ens = swa_utils.SnapshotEnsemble(model, cycle_length=2, max_snapshots=2)
    for _ in range(7):
        ens.step()
    assert len(ens) == 2 and ens.steps == 7     # snapshots at 2, 4, 6; the oldest dropped
    sd = ens.state_dict()
    other = swa_utils.SnapshotEnsemble(model, cycle_length=2)
    other.load_state_dict(sd)
    assert len(other) == 2
    with pytest.raises(RuntimeError, match="no snapshots"):
        swa_utils.SnapshotEnsemble(model, cycle_length=1)(tg.ones(1, 3))
    with pytest.raises(ValueError, match="cycle"):
        swa_utils.SnapshotEnsemble(model)
    with pytest.raises(TypeError, match="CosineAnnealingWarmRestarts"):
        swa_utils.SnapshotEnsemble(model, scheduler=S.StepLR(optim.SGD(model.parameters(),
                                                                        lr=0.1), 2))
