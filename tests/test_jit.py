"""tg.jit: replays equal eager runs (MLP with SGD momentum and Adam; a CNN with BatchNorm,
dropout and a cosine schedule), retracing exactly when a guard changes, and clear errors."""

from __future__ import annotations

import functools

import jit_cases as jc
import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.jit import JitError
from tinygrad_gd.nn import functional as F

STEPS = 100  # per run, as issue 12 asks


def _run(make_model, make_opt, data, use_jit, schedule=False, device="cpu"):
    tg.manual_seed(0)
    model = make_model().to(device)
    opt = make_opt(model.parameters())
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS // 2) if schedule else None
    step = jc.step_fn(model, opt)
    fn = tg.jit(step) if use_jit else step
    X, Y = data
    losses = []
    for i in range(STEPS):
        losses.append(fn(tg.tensor(X[i % len(X)], device=device),
                         tg.tensor(Y[i % len(Y)], device=device)).item())
        if sched is not None:
            sched.step()
    state = [v.numpy().copy() for v in model.state_dict().values()]
    return losses, state, fn


@pytest.mark.parametrize("make_opt", [
    lambda p: optim.SGD(p, lr=0.05, momentum=0.9),
    lambda p: optim.Adam(p, lr=1e-2),
], ids=["sgd-momentum", "adam"])
def test_mlp_replay_equals_eager(make_opt, device):
    data = jc.data((16, 20), 5)
    eager = _run(jc.mlp, make_opt, data, False, device=device)
    jitted = _run(jc.mlp, make_opt, data, True, device=device)
    assert jitted[2].traces == 2  # the first call (grads None) and the second (grads set)
    np.testing.assert_allclose(jitted[0], eager[0], rtol=0, atol=1e-6)
    for a, b in zip(jitted[1], eager[1]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert eager[0][-1] < eager[0][0]  # it trains


def test_cnn_dropout_batchnorm_cosine_schedule(device):
    data = jc.data((8, 1, 14, 14), 5)
    make_opt = lambda p: optim.SGD(p, lr=0.05, momentum=0.9)  # noqa: E731
    eager = _run(jc.cnn, make_opt, data, False, schedule=True, device=device)
    jitted = _run(jc.cnn, make_opt, data, True, schedule=True, device=device)
    assert jitted[2].traces == 2
    if device != "cpu":  # two CUDA graphs: before and after dropout's draw
        assert len(list(jitted[2].cache.values())[-1].replay.graphs) == 2
    np.testing.assert_allclose(jitted[0], eager[0], rtol=0, atol=1e-6)
    for a, b in zip(jitted[1], eager[1]):  # parameters, running statistics, batch count
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_random_draws_are_fresh_and_seeded(device):
    @tg.jit
    def noisy(x):
        return x + tg.rand(3, device=x.device)

    tg.manual_seed(1)
    a = [noisy(tg.zeros(3, device=device)).numpy() for _ in range(4)]
    after_jit = tg.rand(2).numpy()  # a GPU trace's host dry run leaves the CPU's draws alone
    tg.manual_seed(1)
    b = [tg.rand(3, device=device).numpy() for _ in range(4)]
    assert noisy.traces == 1
    np.testing.assert_array_equal(np.stack(a), np.stack(b))
    assert not np.array_equal(a[2], a[3])
    if device != "cpu":
        np.testing.assert_array_equal(after_jit, tg.rand(2).numpy())


def test_draws_from_a_generator_argument_are_fresh(device):
    g = tg.Generator().manual_seed(0)

    @tg.jit
    def noisy(x):
        return x + tg.rand(3, generator=g, device=x.device)

    a = [noisy(tg.zeros(3, device=device)).numpy() for _ in range(3)]
    g.manual_seed(0)
    b = [tg.rand(3, generator=g, device=device).numpy() for _ in range(3)]
    np.testing.assert_array_equal(np.stack(a), np.stack(b))
    assert noisy.traces == 1


def test_lr_read_at_replay():
    w = tg.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.0)

    @tg.jit
    def step():
        opt.zero_grad()
        (w * 2.0).sum().backward()
        opt.step()

    step()
    step()
    assert w.item() == 1.0
    opt.param_groups[0]["lr"] = 0.5
    step()
    assert w.item() == 0.0 and step.traces == 2


def test_retrace_exactly_when_a_guard_changes():
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5))

    @tg.jit
    def f(x):
        return model(x.float()).sum()

    x = tg.ones(2, 3)
    with tg.no_grad():
        f(x)
        f(x)
        assert f.traces == 1
        f(tg.ones(5, 3))  # shape
        assert f.traces == 2
        f(tg.ones(2, 3, dtype=tg.float64).float())
        assert f.traces == 2  # same signature again
        f(tg.ones(2, 3, dtype=tg.float64))  # dtype
        assert f.traces == 3
        model.eval()  # a module's training flag
        f(x)
        assert f.traces == 4
        model.eval()
        f(x)
        assert f.traces == 4
    f(x)  # grad mode
    assert f.traces == 5
    f(x)
    assert f.traces == 5


def test_the_last_plan_is_tried_first_under_the_same_guards():
    # a call first tries the plan the last call ran (its own guard lines): every part of the
    # cache key must still send it elsewhere, to an older plan or a new trace
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)

    @tg.jit
    def f(x, scale):
        loss = (model(x) * scale).sum()
        loss.backward()
        return loss

    x = tg.ones(2, 3)
    calls = [((x, 2.0), 1), ((x, 2.0), 2), ((x, 2.0), 2),  # (then .grad was set)
             ((x, 3.0), 3), ((x, 2.0), 3),  # a value
             ((tg.ones(2, 3, requires_grad=True), 2.0), 4), ((x, 2.0), 4),  # requires_grad
             ((x, 2), 4)]  # 2 == 2.0: one key (as a dict has it), the same plan
    for (args, traces) in calls:
        f(*args)
        assert f.traces == traces, (args, traces)
    opt.zero_grad()  # .grad None again: the first plan (traced with None) fits once more
    f(x, 2.0)
    assert f.traces == 4
    with pytest.raises(JitError, match="hashable"):
        f(x, np.array([1.0]))  # refused clearly, not by an array's truth value
    assert f(x, scale=2.0) is not None and f.traces == 5  # a keyword: the key path alone


def test_value_read_raises():
    @tg.jit
    def f(x):
        if x.sum() > 0:
            return x
        return -x

    with pytest.raises(JitError, match="reads a tensor's values"):
        f(tg.ones(2))

    @tg.jit
    def g(x):
        return x * x.sum().item()

    with pytest.raises(JitError, match="reads a tensor's values"):
        g(tg.ones(2))


def test_stored_result_refused():
    kept = []

    @tg.jit
    def f(x):
        y = x * 2.0
        kept.append(y)
        return y

    with pytest.raises(JitError, match="still referenced"):
        f(tg.ones(2))


def test_views_and_python_values_made_in_the_step_follow_new_inputs():
    """A broadcast of a step's 0-d result, a diagonal view, an object ufunc's Python value:
    each must be recomputed by the replay, never read from the trace's memory."""
    w = tg.tensor([1.0, 2.0, 3.0], dtype="float64")
    steps = {
        "expand of a 0-d sum": lambda x: (x * w).sum().expand(3) * x,
        "diagonal": lambda x: x.reshape(1, 3).expand(3, 3).diagonal() * x,
        "erf of 0-d (a Python value per element)": lambda x: x[1].erf() * x,
    }
    for name, fn in steps.items():
        jitted = tg.jit(fn)
        for i in range(3):
            x = tg.tensor([0.1, 0.2, 0.3], dtype="float64") * (i + 1)
            np.testing.assert_allclose(jitted(x).numpy(), fn(x).numpy(), rtol=1e-15,
                                       err_msg=name)


def test_untracked_array_from_a_traced_value_is_refused():
    def raw_view(x):  # memory of a traced array through a constructor the jit cannot see
        v = np.ndarray((2,), x.data.dtype, x.data)
        return x * tg.from_numpy(v)  # shares v's memory, as torch.from_numpy

    with pytest.raises(JitError, match="a call the jit does not record"):
        tg.jit(raw_view)(tg.ones(2))


def test_branch_on_a_numpy_predicate_is_guarded():
    @tg.jit
    def f(x):
        return x * 2.0 if np.allclose(x.data, 0.0) else x * 3.0

    assert f(tg.ones(1)).tolist() == [3.0]
    assert f(tg.full((1,), 2.0)).tolist() == [6.0]
    with pytest.raises(JitError, match="allclose"):
        f(tg.zeros(1))


def test_returned_tensors_are_fresh():
    @tg.jit
    def f(x):
        return x * 2.0, {"s": x.sum()}

    outs = [f(tg.full((2,), float(i))) for i in range(3)]
    assert [o[0].tolist() for o in outs] == [[0.0, 0.0], [2.0, 2.0], [4.0, 4.0]]
    assert [o[1]["s"].item() for o in outs] == [0.0, 2.0, 4.0]


def test_train_mnist_jit_equals_eager(tmp_path, monkeypatch):
    """examples/train_mnist.py --jit: the same weights and history as the eager run (a cosine
    schedule stepped per batch, a smaller last batch that traces again)."""
    import importlib.util
    from pathlib import Path

    monkeypatch.delenv("TINYGRAD_GD_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    script = Path(__file__).resolve().parents[1] / "examples" / "train_mnist.py"
    spec = importlib.util.spec_from_file_location("train_mnist_jit", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    common = ["--no-download", "--quiet", "--epochs", "2", "--limit", "600", "--batch-size",
              "128"]
    runs = [module.main(common + extra + ["--out", str(tmp_path / name)])
            for name, extra in (("eager", []), ("jit", ["--jit"]))]
    eager, jit = ({k: v.numpy() for k, v in r["model"].state_dict().items()} for r in runs)
    for k in eager:
        np.testing.assert_allclose(jit[k], eager[k], rtol=1e-6, atol=1e-6)
    assert runs[0]["test_acc"] == runs[1]["test_acc"]
    with pytest.raises(SystemExit):
        module.parse_args(["--jit", "--optimizer", "newton-cg"])


def test_a_step_over_two_devices_is_refused(device):
    if device == "cpu":
        pytest.skip("needs a second device")
    w = tg.ones(3, requires_grad=True)  # on the CPU, the input on the GPU
    opt = optim.SGD([w], lr=0.1)

    @tg.jit
    def step(x):
        opt.zero_grad()
        loss = (w * x.cpu()).sum()
        loss.backward()
        opt.step()
        return loss

    with pytest.raises(JitError, match="several devices"):
        step(tg.ones(3, device=device))


def test_gpu_state_the_trace_did_not_find_is_a_clear_error(device):
    if device == "cpu":
        pytest.skip("a GPU step's trace")
    # reached only through a callable object's method: not searched, so not found (a plain
    # function of the user's is searched: see test_state_behind_a_helper_function_is_found)
    lookup = jc.Hidden(tg.ones(3, device=device))

    @tg.jit
    def f(x):
        return (x * lookup()).sum()

    with pytest.raises(JitError, match="modules=/optimizers="):
        f(tg.ones(3, device=device))


_HIDDEN: dict = {}




def _weights():
    return _HIDDEN["v"]


def test_state_behind_a_helper_function_is_found():
    # a tensor reached through a function of the user's (a global, or a loss_fn the step
    # closes over) is state: it is bound at each replay, and a constant indexed by traced
    # values would otherwise be computed once (weight[labels] on an array the tracer never saw)
    _HIDDEN["v"] = tg.tensor([1.0, 2.0, 0.5])
    loss_fn = lambda out, y: F.cross_entropy(out, y, weight=_weights())  # noqa: E731
    calls = []

    @tg.jit
    def f(x, y):
        return loss_fn(x, y)

    rng = np.random.default_rng(0)
    for i in range(4):
        x = tg.tensor(rng.standard_normal((6, 3)).astype(np.float32))
        y = tg.tensor(rng.integers(0, 3, 6))
        calls.append((f(x, y).item(), F.cross_entropy(x, y, weight=_weights()).item()))
        if i == 2:
            _HIDDEN["v"].mul_(1.5)  # a change in place is seen too
    np.testing.assert_allclose(*zip(*calls), rtol=1e-6)


def test_class_weights_the_search_does_not_reach_are_still_picked_per_batch():
    # behind a callable object the weights are a constant of the trace; the library picks
    # them with a call the trace records (an index into an array it never saw, it could not)
    weights = jc.Hidden(tg.tensor(np.linspace(0.5, 2.0, 70).astype(np.float32)))

    @tg.jit
    def f(x, y):
        return (F.cross_entropy(x, y, weight=weights())
                + F.multi_margin_loss(x, y, weight=weights()))

    rng = np.random.default_rng(1)
    for _ in range(4):
        x = tg.tensor(rng.standard_normal((6, 70)).astype(np.float32))
        y = tg.tensor(rng.integers(0, 70, 6))
        eager = F.cross_entropy(x, y, weight=weights()) + F.multi_margin_loss(x, y,
                                                                             weight=weights())
        np.testing.assert_allclose(f(x, y).item(), eager.item(), rtol=1e-6)


@pytest.mark.parametrize("graphs", [True, False], ids=["graph", "no-graph"])
def test_gpu_replay_launches_a_cuda_graph_and_follows_new_state(device, graphs):
    """On a GPU the forward and backward passes are one CUDA graph from the second replay on
    (the stand-in's graphs run nothing at capture and rewrite their own arrays at launch); new
    parameter arrays drop the graph (it read the old ones) and a new one is captured."""
    if device == "cpu":
        pytest.skip("CUDA graphs")
    data = jc.data((6, 20), 5, n=4)
    make_opt = lambda p: optim.Adam(p, lr=1e-2)  # noqa: E731

    def run(use_jit):
        tg.manual_seed(0)
        model = jc.mlp().to(device)
        step = jc.step_fn(model, make_opt(model.parameters()))
        fn = tg.jit(step, graphs=graphs) if use_jit else step
        losses = []
        for i in range(8):
            if i == 5:  # new arrays behind a parameter (as a load_state_dict might do)
                model[0].weight.data = model[0].weight.data.copy()
            x, y = (tg.tensor(a[i % 4], device=device) for a in data)
            losses.append(fn(x, y).item())
            if i == 6:  # a gradient kept from one step is not rewritten by the next
                held = model[2].weight.grad
                values = held.numpy().copy()
        np.testing.assert_array_equal(held.numpy(), values)
        return losses, [p.numpy() for p in model.parameters()], fn

    eager, jitted = run(False), run(True)
    np.testing.assert_allclose(jitted[0], eager[0], rtol=0, atol=1e-6)
    for a, b in zip(jitted[1], eager[1]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    runner = list(jitted[2].cache.values())[-1].replay
    if graphs:
        assert runner.refused is None and runner.graph is not None  # captured again after 5
        assert "GRAPH_0.launch()" in runner.source
    else:
        assert not hasattr(runner, "graph")


def test_a_function_of_no_tensor():
    @tg.jit
    def f():
        return tg.ones(2) * 2.0

    assert [f().tolist() for _ in range(3)] == [[2.0, 2.0]] * 3
    assert f.traces == 1


def test_tensors_the_function_closes_over_are_state_not_constants(device):
    """A tensor reached through the closure, a global or a module attribute may change between
    calls: the replay reads it then (a computation on it is not folded into a constant)."""
    c = tg.ones(3, device=device)
    box = {"w": tg.full((3,), 2.0, device=device)}

    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = tg.ones(3, device=device)  # a plain attribute, not a buffer

        def forward(self, x):
            return x * self.scale.exp()

    m = Scaled()

    @tg.jit
    def f(x):
        return x * c.exp() + box["w"].sin() + m(x)

    def eager(x):
        return x * c.exp() + box["w"].sin() + m(x)

    x = tg.ones(3, device=device)
    for change in (lambda: None, lambda: c.mul_(2.0), lambda: box["w"].add_(1.0),
                   lambda: m.scale.mul_(0.5), lambda: None):
        change()
        np.testing.assert_allclose(f(x).numpy(), eager(x).numpy(), rtol=1e-6)
    assert f.traces == 1


def test_a_step_a_cuda_graph_cannot_hold_replays_plainly_once(device):
    """A call that needs the host (a boolean mask's size) cannot be captured: the capture runs
    nothing, so the step falls back to plain replays with a warning, done once, not twice."""
    if device == "cpu":
        pytest.skip("CUDA graphs")
    data = jc.data((6, 20), 5, n=3)

    def run(use_jit):
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(20, 8), nn.BatchNorm1d(8), nn.ReLU(),
                              nn.Linear(8, 5)).to(device)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

        def step(x, y):
            opt.zero_grad()
            out = model(x)
            loss = F.cross_entropy(out, y) + 0.01 * out[out > -1e30].sum()  # (all: one size)
            loss.backward()
            opt.step()
            return loss

        fn = tg.jit(step) if use_jit else step
        losses = [fn(*(tg.tensor(a[i % 3], device=device) for a in data)).item()
                  for i in range(5)]
        return losses, [v.numpy() for v in model.state_dict().values()], fn

    eager = run(False)
    with pytest.warns(RuntimeWarning, match="could not be captured"):
        jitted = run(True)
    np.testing.assert_allclose(jitted[0], eager[0], rtol=0, atol=1e-6)
    for a, b in zip(jitted[1], eager[1]):  # running statistics updated once a step
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert list(jitted[2].cache.values())[-1].replay.refused is not None


@pytest.mark.filterwarnings("ignore:tg.jit. the step could not be captured")
def test_a_boolean_mask_follows_the_values(device):
    """``x[x > 0]`` turns the mask into indices with ``ndarray.nonzero``, which NumPy runs in C:
    the replay makes the indices again (they were once a constant of the trace); a mask of
    another size than the trace's is a clear error (the plan's shapes are the trace's)."""
    @tg.jit
    def f(x):
        y = x[x > 0]
        return y.sum(), tg.autograd.grad((y * y).sum(), x)[0]

    for v in ([1.0, -1.0, 2.0], [-1.0, 3.0, 3.0], [5.0, 5.0, -5.0]):
        x = tg.tensor(v, requires_grad=True, device=device)
        s, g = f(x)
        want = x[x > 0]
        assert s.item() == want.sum().item()
        assert g.tolist() == tg.autograd.grad((want * want).sum(), x)[0].tolist()
    assert f.traces == 1
    with pytest.raises(JitError, match="boolean mask"):
        f(tg.tensor([1.0, 1.0, 1.0], requires_grad=True, device=device))


def test_another_threads_work_during_a_trace_is_not_recorded():
    """The tracing hooks are process-wide; what another thread runs meanwhile (here, a whole
    eager training step, joined inside the traced function) stays that thread's."""
    import threading

    other = nn.Linear(3, 1)
    other_opt = optim.SGD(other.parameters(), lr=0.1)
    w = tg.ones(3, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def other_step(model, model_opt):
        model_opt.zero_grad()
        model(tg.ones(2, 3)).sum().backward()
        model_opt.step()
        other_step.weight = model.weight.data

    # (through a partial, which tg.jit does not search: a function of the user's that the step
    # reaches is searched, and would make `other` this step's state)
    run_other = functools.partial(other_step, other, other_opt)

    def traced(x):
        opt.zero_grad()
        loss = (w * x).sum()
        loss.backward()
        thread = threading.Thread(target=run_other)
        thread.start()
        thread.join()
        opt.step()
        return loss

    f = tg.jit(traced, optimizers=[opt])
    before = other.weight.numpy().copy()
    for _ in range(2):  # two traces (w.grad None, then set): the other step runs, for real
        f(tg.ones(3))
    traced_weight = other.weight.numpy().copy()
    assert not np.array_equal(before, traced_weight)
    assert type(other_step.weight) is np.ndarray  # a plain array, not a traced one
    for _ in range(3):  # replays: this step only (the thread was Python, not recorded)
        f(tg.ones(3))
    assert f.traces == 2
    np.testing.assert_array_equal(other.weight.numpy(), traced_weight)
    np.testing.assert_allclose(w.numpy(), 1.0 - 5 * 0.1, rtol=1e-6)  # five steps of this one
    assert "opt" in "".join(p.source for p in f.cache.values())
    assert sum(p.source.count(".step()") for p in f.cache.values()) == 2


