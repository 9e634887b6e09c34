"""nn.Module, nn.Parameter, the layers and nn.init: registration, traversal, modes, devices,
state dicts, torch-compatible layers and initialisation, gradient checks through modules."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.bn = nn.BatchNorm2d(2)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * 2 * 2, 3))
        self.scale = nn.Parameter(tg.ones(1))
        self.register_buffer("calls", tg.zeros(()), persistent=False)

    def forward(self, x):
        x = F.max_pool2d(self.bn(self.conv(x)).relu(), 2)
        return self.head(x) * self.scale


# ------------------------------------------------------------------------ registration
def test_parameters_are_registered_in_assignment_order():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "conv.weight", "conv.bias", "bn.weight", "bn.bias",
                     "head.1.weight", "head.1.bias"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert [type(m).__name__ for m in net.children()] == ["Conv2d", "BatchNorm2d", "Sequential"]
    assert [type(m).__name__ for m in net.modules()] == [
        "Net", "Conv2d", "BatchNorm2d", "Sequential", "Flatten", "Linear"]
    assert [n for n, _ in net.named_buffers()] == [
        "calls", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]


def test_shared_parameters_are_listed_once_and_plain_tensors_are_not_registered():
    lin = nn.Linear(3, 3)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    # ...but state_dict names a shared module under each of its paths, as torch does
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [n for n, _ in seq.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    copy = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 3))
    copy.load_state_dict(seq.state_dict())
    assert np.array_equal(copy[2].weight.numpy(), lin.weight.numpy())

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.p = nn.Parameter(tg.ones(2))
            self.t = tg.ones(2)  # a plain tensor is neither parameter nor buffer

    h = Holder()
    assert [n for n, _ in h.named_parameters()] == ["p"]
    assert type(h.p * 2) is tg.Tensor  # results of ops on a Parameter are plain Tensors
    with pytest.raises(TypeError, match="parameter 'p'"):
        h.p = tg.ones(2)
    h.p = None
    assert list(h.parameters()) == []
    del h.p
    assert not hasattr(h, "p")


def test_reassigning_a_sub_module_or_parameter_keeps_its_place():
    # torch keeps the registration order on reassignment: replacing a named layer of a
    # Sequential (fine-tuning a new head) must not move it to the end of the forward pass
    seq = nn.Sequential(OrderedDict(fc1=nn.Linear(2, 3), act=nn.ReLU(), fc2=nn.Linear(3, 1)))
    seq.fc1 = nn.Linear(2, 3)
    assert list(seq._modules) == ["fc1", "act", "fc2"]
    assert seq(tg.ones(4, 2)).shape == (4, 1)
    lin = nn.Linear(2, 2)
    lin.weight = nn.Parameter(tg.zeros(2, 2))
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]


def test_assigning_before_super_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Bad()


def test_module_list_and_sequential_containers():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.Linear(2, 1))
    assert len(layers) == 4 and len(list(layers.parameters())) == 8
    assert isinstance(layers[-1], nn.Linear) and len(layers[1:3]) == 2
    seq = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    assert isinstance(seq[1], nn.Tanh) and len(seq[:2]) == 2 and len(seq) == 3
    assert seq(tg.ones(5, 2)).shape == (5, 1)
    with pytest.raises(TypeError, match="argument 1"):
        nn.Sequential(nn.ReLU(), lambda x: x)


def test_mlp_structure_and_activations():
    mlp = nn.MLP([4, 8, 8, 2], activation="tanh")
    kinds = [type(m).__name__ for m in mlp]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert mlp(tg.ones(3, 4)).shape == (3, 2)
    assert [type(m).__name__ for m in nn.MLP([2, 3, 1], activation=nn.GELU)][1] == "GELU"
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.MLP([2, 2], activation="swish")


# ---------------------------------------------------------------------------- modes
def test_train_eval_zero_grad_and_requires_grad():
    net = Net()
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net(tg.randn(4, 1, 4, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum().item()) == 0.0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.head.requires_grad_(False)
    assert [n for n, p in net.named_parameters() if p.requires_grad] == [
        "scale", "conv.weight", "conv.bias", "bn.weight", "bn.bias"]


def test_to_casts_in_place_keeping_parameter_identity(device):
    net = nn.MLP([3, 4, 2])
    params = list(net.parameters())
    net.to(device).double()
    assert all(p is q for p, q in zip(params, net.parameters()))
    assert all(p.dtype == tg.float64 and p.device.startswith(device) for p in net.parameters())
    out = net(tg.ones(2, 3, dtype="float64", device=device))
    assert out.dtype == tg.float64
    net.float()
    assert all(p.dtype == tg.float32 for p in net.parameters())


# ------------------------------------------------------------------------ state dict
def test_state_dict_holds_parameters_and_persistent_buffers():
    sd = Net().state_dict()
    assert list(sd) == ["scale", "conv.weight", "conv.bias", "bn.weight", "bn.bias",
                        "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
                        "head.1.weight", "head.1.bias"]  # torch's order; "calls" not persistent
    assert not any(t.requires_grad for t in sd.values())


def test_state_dict_keys_match_torch():
    torch = pytest.importorskip("torch")

    def make(m):
        return m.Sequential(m.Conv2d(1, 2, 3), m.BatchNorm2d(2), m.ReLU(), m.Flatten(),
                            m.Linear(8, 4), m.BatchNorm1d(4), m.Linear(4, 2))

    ours, theirs = make(nn).state_dict(), make(torch.nn).state_dict()
    assert list(ours) == list(theirs)
    assert [tuple(v.shape) for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]


def test_deepcopy_gives_an_independent_module():
    import copy

    net = Net()
    twin = copy.deepcopy(net)
    assert [n for n, _ in twin.named_parameters()] == [n for n, _ in net.named_parameters()]
    assert all(p is not q for p, q in zip(twin.parameters(), net.parameters()))
    with tg.no_grad():
        twin.conv.weight.mul_(0.0)
    assert float(net.conv.weight.abs().sum().item()) > 0


def test_load_state_dict_errors_name_the_keys():
    net = nn.MLP([3, 4, 2])
    good = net.state_dict()
    bad = dict(good)
    del bad["0.bias"]
    bad["extra.weight"] = tg.ones(1)
    bad["2.weight"] = tg.ones(5, 5)
    with pytest.raises(RuntimeError) as info:
        nn.MLP([3, 4, 2]).load_state_dict(bad)
    message = str(info.value)
    assert "'0.bias'" in message and "'extra.weight'" in message
    assert "2.weight: checkpoint shape (5, 5), model shape (2, 4)" in message
    del bad["2.weight"]
    result = nn.MLP([3, 4, 2]).load_state_dict(bad, strict=False)
    assert result.missing_keys == ["0.bias", "2.weight"]
    assert result.unexpected_keys == ["extra.weight"]


def test_load_state_dict_copies_values_and_accepts_arrays():
    a, b = nn.MLP([3, 4, 2]), nn.MLP([3, 4, 2])
    b.load_state_dict({k: v.numpy() for k, v in a.state_dict().items()})
    x = tg.randn(5, 3)
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    with tg.no_grad():  # a copy, not an alias
        a[0].weight.mul_(0.0)
    assert float(b[0].weight.abs().sum().item()) > 0


def test_train_save_load_round_trip_gives_identical_outputs(tmp_path, device):
    tg.manual_seed(0)
    net = Net().to(device)
    x = tg.randn(8, 1, 4, 4, device=device)
    y = tg.randint(0, 3, (8,), device=device)
    for _ in range(3):
        net.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        with tg.no_grad():
            for p in net.parameters():
                p.sub_(p.grad * 0.1)
    net.eval()
    expected = net(x).numpy()
    path = tmp_path / "net.npz"
    tg.save(net.state_dict(), path)
    fresh = Net()
    fresh.load_state_dict(tg.load(path))
    fresh.to(device).eval()
    np.testing.assert_array_equal(fresh(x).numpy(), expected)
    assert int(fresh.bn.num_batches_tracked.item()) == 3


# ------------------------------------------------------------------- layers vs torch
def _copy_params(ours, theirs, torch):
    with torch.no_grad():
        for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert name == tname and p.shape == tuple(tp.shape)
            tp.copy_(torch.tensor(p.numpy()))


@pytest.mark.parametrize("make", [
    lambda m: m.Linear(4, 3),
    lambda m: m.Conv2d(2, 3, 3),
    lambda m: m.Conv2d(2, 3, (2, 3), stride=2, padding=1),
    lambda m: m.Conv2d(2, 3, (3, 5), padding="same"),
    lambda m: m.Conv2d(2, 3, 3, padding="valid", bias=False),
    lambda m: m.Sequential(m.Conv2d(1, 2, 3, padding=1), m.ReLU(), m.MaxPool2d(2), m.Flatten(),
                           m.Dropout(0.0), m.Linear(8, 3), m.LeakyReLU(0.2), m.Sigmoid()),
    lambda m: m.Sequential(m.AvgPool2d(3, 2, 1), m.Tanh(), m.Flatten(), m.GELU(), m.Softmax(1)),
])
def test_layers_match_torch_forward_and_backward(make):
    torch = pytest.importorskip("torch")
    ours, theirs = make(nn).double(), make(torch.nn).double()
    _copy_params(ours, theirs, torch)
    shape = (3, 4) if isinstance(ours, nn.Linear) else (
        (2, 2, 5, 6) if isinstance(ours, nn.Conv2d) else (2, 1, 4, 4))
    x = np.random.default_rng(0).standard_normal(shape)
    xt, X = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(xt), theirs(X)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(tg.tensor(g))
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(xt.grad.numpy(), X.grad.numpy(), rtol=1e-9, atol=1e-12)
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cls, shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 2)),
                                        ("BatchNorm2d", (3, 3, 2, 2))])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_running_statistics_match_torch(cls, shape, momentum):
    torch = pytest.importorskip("torch")
    ours = getattr(nn, cls)(3, momentum=momentum).double()
    theirs = getattr(torch.nn, cls)(3, momentum=momentum).double()
    rng = np.random.default_rng(0)
    with tg.no_grad():
        ours.weight.copy_(tg.tensor(rng.standard_normal(3)))
    _copy_params(ours, theirs, torch)
    for _ in range(3):
        x = rng.standard_normal(shape) * 2 + 1
        np.testing.assert_allclose(ours(tg.tensor(x)).numpy(),
                                   theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(ours, name).numpy(),
                                   getattr(theirs, name).numpy(), rtol=1e-12)
    assert int(ours.num_batches_tracked.item()) == 3
    ours.eval(), theirs.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(ours(tg.tensor(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)


def test_batchnorm_eval_gradcheck_and_gradgradcheck(device):
    bn = nn.BatchNorm1d(3).to(device).double()
    bn(tg.randn(5, 3, dtype="float64", device=device))  # non-trivial running statistics
    bn.eval()
    x = tg.randn(4, 3, dtype="float64", device=device, requires_grad=True)
    assert tg.gradcheck(bn, x) and tg.gradgradcheck(bn, x)


@pytest.mark.parametrize("make", [
    lambda: nn.Sequential(nn.Conv2d(1, 2, 3, stride=2, padding=1), nn.Tanh(), nn.AvgPool2d(2),
                          nn.Flatten(), nn.Linear(2, 2)),
    lambda: nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.LeakyReLU(0.3), nn.MaxPool2d(2),
                          nn.Conv2d(2, 2, 2), nn.Flatten(), nn.Linear(2, 2)),
    lambda: nn.MLP([3, 4, 2], activation="gelu"),
])
def test_gradcheck_through_modules_with_respect_to_parameters(make, device):
    tg.manual_seed(0)
    model = make().to(device).double()
    names = [n for n, _ in model.named_parameters()]
    shape = (2, 1, 4, 4) if isinstance(model[0], nn.Conv2d) else (2, 3)
    x = tg.randn(*shape, dtype="float64", device=device)
    y = tg.tensor([0, 1], device=device)

    def loss(*params):
        # evaluate the model at the given parameter values (via the functional forms)
        values = dict(zip(names, params))
        h = x
        for i, m in enumerate(model):
            if isinstance(m, nn.Linear):
                h = F.linear(h, values[f"{i}.weight"], values[f"{i}.bias"])
            elif isinstance(m, nn.Conv2d):
                h = F.conv2d(h, values[f"{i}.weight"], values[f"{i}.bias"], m.stride, m.padding)
            else:
                h = m(h)
        return F.cross_entropy(h, y)

    params = tuple(p.detach().requires_grad_() for p in model.parameters())
    np.testing.assert_allclose(loss(*params).item(), F.cross_entropy(model(x), y).item())
    assert tg.gradcheck(loss, params) and tg.gradgradcheck(loss, params)


@pytest.mark.parametrize("fn, message", [
    (lambda: nn.Conv2d(3, 4, 3)(tg.ones(8, 8)), r"\(N, 3, H, W\).*got \(8, 8\)"),
    (lambda: nn.Conv2d(3, 4, 3)(tg.ones(2, 1, 8, 8)), r"\(N, 3, H, W\).*got \(2, 1, 8, 8\)"),
    (lambda: nn.Linear(4, 2)(tg.ones(5, 3)), r"4 features.*\(5, 3\)"),
    (lambda: nn.BatchNorm2d(3)(tg.ones(2, 3, 4)), r"\(2, 3, 4\)"),
    (lambda: nn.BatchNorm1d(3)(tg.ones(1, 3)), "more than 1 value"),
    (lambda: nn.Dropout(2.0), "between 0 and 1"),
])
def test_layer_bad_input_errors_name_shapes(fn, message):
    with pytest.raises(ValueError, match=message):
        fn()


def test_dropout_layer_train_and_eval():
    drop = nn.Dropout(0.5)
    x = tg.ones(100, 100)
    assert (drop(x).numpy() == 0).any()
    drop.eval()
    assert drop(x) is x


def test_repr_names_hyper_parameters():
    text = repr(nn.Sequential(nn.Conv2d(1, 2, 3, stride=2), nn.BatchNorm2d(2)))
    assert "(0): Conv2d(1, 2, kernel_size=(3, 3), stride=(2, 2))" in text
    assert ("(1): BatchNorm2d(2, eps=1e-05, momentum=0.1, affine=True, bias=True, "
            "track_running_stats=True)") in text


# ------------------------------------------------------------------------------- init
def test_default_init_matches_torch_bounds_and_is_seeded():
    tg.manual_seed(1)
    a = nn.Conv2d(4, 64, 3)
    tg.manual_seed(1)
    b = nn.Conv2d(4, 64, 3)
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    bound = 1 / math.sqrt(4 * 9)
    for p in (a.weight, a.bias):
        values = p.numpy()
        assert np.abs(values).max() <= bound
    # U(-b, b) has standard deviation b / sqrt(3)
    assert abs(a.weight.numpy().std() - bound / math.sqrt(3)) < 0.05 * bound
    lin = nn.Linear(400, 300)
    assert np.abs(lin.weight.numpy()).max() <= 1 / 20 and np.abs(lin.bias.numpy()).max() <= 1 / 20
    assert abs(lin.weight.numpy().std() - 1 / 20 / math.sqrt(3)) < 0.002


@pytest.mark.parametrize("fn, expected_std", [
    (lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"), math.sqrt(2 / 200)),
    (lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu"), math.sqrt(2 / 200)),
    (lambda w: nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"),
     math.sqrt(2 / 300)),
    (lambda w: nn.init.xavier_uniform_(w), math.sqrt(2 / 500)),
    (lambda w: nn.init.xavier_normal_(w, gain=2.0), 2 * math.sqrt(2 / 500)),
    (lambda w: nn.init.normal_(w, 1.0, 0.5), 0.5),
    (lambda w: nn.init.uniform_(w, -1.0, 1.0), 1 / math.sqrt(3)),
])
def test_init_distributions(fn, expected_std):
    w = nn.Parameter(tg.zeros(300, 200))
    assert fn(w) is w
    assert abs(w.numpy().std() - expected_std) < 0.03 * expected_std
    assert w.requires_grad and w.dtype == tg.float32


def test_init_constants_and_errors():
    w = nn.Parameter(tg.zeros(2, 3))
    assert nn.init.ones_(w).numpy().sum() == 6
    assert nn.init.zeros_(w).numpy().sum() == 0
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    # torch's table of linear functions includes the transposed convolutions
    assert [nn.init.calculate_gain(f"conv_transpose{d}d") for d in (1, 2, 3)] == [1.0] * 3
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(nn.Parameter(tg.zeros(3)))
    with pytest.raises(ValueError, match="mode"):
        nn.init.kaiming_normal_(w, mode="fan")


def test_torch_inplace_flags_are_accepted_and_keep_results_out_of_place():
    x = tg.tensor([-1.0, 2.0], requires_grad=True)
    for layer in (nn.ReLU(inplace=True), nn.LeakyReLU(0.1, inplace=True),
                  nn.Dropout(0.5, inplace=True).eval()):
        layer(x)
        assert x.tolist() == [-1.0, 2.0] and x.version == 0  # x itself is never written
    (nn.ReLU(inplace=True)(x) * 3).sum().backward()
    assert x.grad.tolist() == [0.0, 3.0]


def test_module_to_names_a_bad_device_or_dtype():
    with pytest.raises(TypeError, match="'gpu' is neither a dtype .* nor a device"):
        nn.Linear(2, 2).to("gpu")
    assert nn.Linear(2, 2).to("float64").weight.dtype == tg.float64
