"""EarlyStopping: when to stop, and the best weights put back."""

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn, optim


def run(stopper, metrics, model=None, on_epoch=None):
    """Feed `metrics` until the stopper says stop; returns the epoch it stopped at (or None)."""
    for epoch, m in enumerate(metrics):
        if on_epoch is not None:
            on_epoch(epoch)
        if stopper.step(m, model):
            return epoch
    return None


def test_stops_after_patience_bad_epochs():
    s = optim.EarlyStopping(patience=3)
    assert run(s, [5, 4, 3, 3.5, 3.2, 3.1, 1.0]) == 5
    assert s.best == 3 and s.best_epoch == 2 and s.num_bad_epochs == 3 and s.should_stop
    s = optim.EarlyStopping(patience=0)
    assert run(s, [5, 4, 4.5]) == 2
    s = optim.EarlyStopping(patience=2)
    assert run(s, [5, 4, 3, 2, 1]) is None and not s.should_stop


def test_min_delta_mode_max_and_nan():
    s = optim.EarlyStopping(patience=2, min_delta=0.5)
    assert run(s, [5.0, 4.8, 4.6, 1.0]) == 2       # 0.2-steps are not improvements
    s = optim.EarlyStopping(patience=1, mode="max")
    assert run(s, [0.5, 0.7, 0.6]) == 2 and s.best == 0.7
    s = optim.EarlyStopping(patience=2)
    assert run(s, [1.0, math.nan, math.nan]) == 2 and s.best == 1.0
    s = optim.EarlyStopping(patience=2)
    assert run(s, [tg.tensor(3.0), tg.tensor(2.0)]) is None and s.best == 2.0


def test_restores_the_best_module_weights():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    seen = {}

    def train(epoch):
        with tg.no_grad():
            for p in model.parameters():
                p.add_(0.1)
        model[1].running_mean.data[...] = epoch
        seen[epoch] = {k: v.numpy().copy() for k, v in model.state_dict().items()}

    s = optim.EarlyStopping(patience=2)
    assert run(s, [3.0, 1.0, 2.0, 2.5, 0.1], model, train) == 3
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), seen[1][k])   # epoch 1's weights and buffers
    seen.clear()
    s = optim.EarlyStopping(patience=1, restore_best=False)
    assert run(s, [1.0, 2.0], model, train) == 1
    np.testing.assert_array_equal(model[0].weight.numpy(), seen[1]["0.weight"])  # left as is
    s.restore(model)                                                            # on request
    np.testing.assert_array_equal(model[0].weight.numpy(), seen[0]["0.weight"])


def test_restores_a_list_of_tensors_and_round_trips_through_save(tmp_path):
    w = tg.zeros(2, requires_grad=True)
    s = optim.EarlyStopping(patience=1)

    def train(epoch):
        w.data[...] = epoch

    s.step(1.0, [w])
    tg.save(s.state_dict(), tmp_path / "es.npz")
    s2 = optim.EarlyStopping(patience=1)
    s2.load_state_dict(tg.load(tmp_path / "es.npz"))
    train(5)
    assert s2.step(2.0, [w]) and w.tolist() == [0.0, 0.0]
    assert s2.best == 1.0 and s2.best_epoch == 0


def test_stopping_before_any_improvement_keeps_the_weights_instead_of_raising():
    # the metric was NaN from the first epoch: there is no best to restore, and step() must
    # still say "stop" rather than fail with "pass the model to step()" (it was passed)
    w = tg.ones(2, requires_grad=True)
    stopper = optim.EarlyStopping(patience=1)
    assert stopper.step(float("nan"), [w]) is True
    assert w.tolist() == [1.0, 1.0] and stopper.best_state is None


def test_bad_input():
    with pytest.raises(ValueError, match="patience"):
        optim.EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="min_delta"):
        optim.EarlyStopping(min_delta=-0.1)
    with pytest.raises(ValueError, match="mode"):
        optim.EarlyStopping(mode="best")
    with pytest.raises(RuntimeError, match="no saved weights"):
        optim.EarlyStopping().restore(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="list of Tensors"):
        optim.EarlyStopping().step(1.0, [1.0, 2.0])
