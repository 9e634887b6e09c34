"""nn.Module's torch API and the containers, compared with torch on the same structures."""

from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn

torch = pytest.importorskip("torch")


def build(lib):
    """One structure, written against either library: every container, buffers of both kinds."""
    n = lib.nn

    class Block(n.Module):
        def __init__(self):
            super().__init__()
            self.lin = n.Linear(3, 3)
            self.register_buffer("stat", lib.zeros(3))
            self.register_buffer("scratch", lib.zeros(2), persistent=False)

        def forward(self, x):
            return self.lin(x).relu() + self.stat

    class Net(n.Module):
        def __init__(self):
            super().__init__()
            self.seq = n.Sequential(OrderedDict([("first", n.Linear(3, 3)), ("act", n.ReLU())]))
            self.blocks = n.ModuleList([Block(), Block()])
            self.heads = n.ModuleDict({"b": n.Linear(3, 1), "a": n.Linear(3, 2)})
            self.plist = n.ParameterList([n.Parameter(lib.ones(2)), lib.zeros(1)])
            self.pdict = n.ParameterDict({"z": lib.ones(1), "y": n.Parameter(lib.ones(2))})
            self.scale = n.Parameter(lib.ones(()))

        def forward(self, x):
            x = self.seq(x)
            for b in self.blocks:
                x = b(x)
            return self.heads["a"](x) * self.scale

    return Net()


def test_state_dict_keys_and_names_match_torch():
    ours, theirs = build(tg), build(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [k for k, _ in ours.named_parameters()] == [k for k, _ in theirs.named_parameters()]
    assert [k for k, _ in ours.named_buffers()] == [k for k, _ in theirs.named_buffers()]
    assert [k for k, _ in ours.named_modules()] == [k for k, _ in theirs.named_modules()]
    assert [k for k, _ in ours.named_children()] == [k for k, _ in theirs.named_children()]
    assert "blocks.0.scratch" not in ours.state_dict()
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert list(ours.state_dict(prefix="m.")) == list(theirs.state_dict(prefix="m."))


def test_load_state_dict_from_torch_values_and_keys_result():
    ours, theirs = build(tg), build(torch)
    sd = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    result = ours.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == repr(theirs.load_state_dict(theirs.state_dict()))
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(tg.tensor(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    del sd["scale"]
    res = ours.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["scale"]


def test_load_state_dict_assign_replaces_the_tensors():
    net = nn.Linear(2, 2)
    w = tg.ones(2, 2)
    net.load_state_dict({"weight": w, "bias": tg.zeros(2)}, assign=True)
    assert isinstance(net.weight, nn.Parameter) and net.weight.requires_grad
    assert net.weight is net._parameters["weight"]
    assert net.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_state_dict_keep_vars_and_destination():
    net = nn.Linear(2, 2)
    sd = net.state_dict(keep_vars=True)
    assert sd["weight"] is net.weight
    dest = OrderedDict()
    assert net.state_dict(destination=dest, prefix="lin.") is dest
    assert list(dest) == ["lin.weight", "lin.bias"]
    assert net.state_dict()["weight"] is not net.weight


def run_hooks(lib):
    lin = lib.nn.Linear(2, 2)
    log = []

    def pre(module, args):
        log.append(("pre", tuple(args[0].shape)))
        return (args[0] * 2,)  # replaces the input

    def post(module, args, output):
        log.append(("post", tuple(output.shape)))
        return output + 1  # replaces the output

    h1 = lin.register_forward_pre_hook(pre)
    h2 = lin.register_forward_hook(post)
    x = lib.ones(3, 2)
    hooked = lin(x)
    h1.remove()
    h2.remove()
    plain = lin(x)
    with_kwargs = lin.register_forward_hook(lambda m, a, kw, out: out * 0, with_kwargs=True)
    zero = lin(x)
    with_kwargs.remove()
    return log, hooked, plain, zero, lin


def test_forward_hooks_match_torch():
    log, hooked, plain, zero, lin = run_hooks(tg)
    log_t, hooked_t, plain_t, zero_t, lin_t = run_hooks(torch)
    assert [(k, tuple(s)) for k, s in log] == [(k, tuple(s)) for k, s in log_t]
    w, b = lin.weight.numpy(), lin.bias.numpy()
    np.testing.assert_allclose(hooked.detach().numpy(), 2 * np.ones((3, 2)) @ w.T + b + 1,
                               rtol=1e-6)
    np.testing.assert_allclose(plain.detach().numpy(), np.ones((3, 2)) @ w.T + b, rtol=1e-6)
    assert zero.abs().sum().item() == 0.0 == zero_t.abs().sum().item()


def test_pre_hook_prepend_order():
    lin = nn.Linear(2, 2)
    order = []
    lin.register_forward_pre_hook(lambda m, a: order.append("a"))
    lin.register_forward_pre_hook(lambda m, a: order.append("b"), prepend=True)
    lin(tg.ones(1, 2))
    assert order == ["b", "a"]


def test_submodule_parameter_lookup_and_registration_errors():
    net, net_t = build(tg), build(torch)
    assert type(net.get_submodule("blocks.1.lin")).__name__ == "Linear"
    assert net.get_parameter("blocks.0.lin.bias") is net.blocks[0].lin.bias
    assert net.get_buffer("blocks.1.stat") is net.blocks[1].stat
    for model in (net, net_t):
        with pytest.raises(AttributeError):
            model.get_submodule("blocks.7")
        with pytest.raises(KeyError):
            model.register_buffer("a.b", None)
        with pytest.raises(KeyError):
            model.register_buffer("forward", None)
        with pytest.raises(TypeError):
            model.register_parameter("w", model.get_buffer("blocks.0.stat"))
    net.register_module("extra", nn.ReLU())
    assert net.extra is net._modules["extra"]


def test_apply_train_eval_requires_grad_zero_grad():
    net = build(tg)
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen[-1] == "Net" and seen[0] == "Linear"
    assert net.eval() is net and not any(m.training for m in net.modules())
    assert net.train() is net and all(m.training for m in net.modules())
    with pytest.raises(ValueError):
        net.train("yes")
    net(tg.ones(2, 3)).sum().backward()
    assert net.scale.grad is not None
    net.zero_grad()  # torch's default: set_to_none=True
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_dtype_and_device_conversions_return_self():
    net = build(tg)
    assert net.double() is net and net.scale.dtype == np.float64
    assert net.half() is net and net.blocks[0].stat.dtype == np.float16
    assert net.float() is net and net.seq[0].weight.dtype == np.float32
    assert net.to(tg.float64) is net and net.plist[0].dtype == np.float64
    assert net.cpu() is net and str(net.scale.device) == "cpu"


def test_repr_matches_torch():
    for make in (lambda n: n.Sequential(n.Linear(2, 3), n.ReLU()),
                 lambda n: n.ModuleDict({"a": n.Sequential(n.Tanh())}),
                 lambda n: n.ModuleList([n.ReLU(), n.ReLU(), n.Sequential(n.Linear(2, 2)),
                                         n.Sequential(n.Linear(2, 2)), n.Tanh()]),
                 lambda n: n.ModuleList()):
        assert repr(make(nn)) == repr(make(torch.nn))

    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.ReLU()

        def extra_repr(self):
            return "k=3"

    assert repr(WithExtra()) == "WithExtra(\n  k=3\n  (inner): ReLU()\n)"


def seq_ops(lib):
    n = lib.nn
    s = n.Sequential(n.Linear(2, 2), n.ReLU(), n.Linear(2, 3))
    del s[1]
    s.insert(1, n.Tanh())
    popped = s.pop(0)
    s.extend([n.ReLU()])
    s.append(n.Sigmoid())
    s[0] = n.GELU()
    names = [type(m).__name__ for m in s]
    sliced = s[1:3]
    return (names, list(s._modules), type(popped).__name__, type(sliced).__name__,
            list(sliced._modules), len(s), type(s[-1]).__name__,
            list((s + n.Sequential(n.ReLU()))._modules))


def test_sequential_operations_match_torch():
    assert seq_ops(tg) == seq_ops(torch)


def test_sequential_from_ordered_dict_keeps_names():
    s = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(s.state_dict()) == ["fc.weight", "fc.bias"]
    assert s.fc is s[0]


def modlist_ops(lib):
    n = lib.nn
    m = n.ModuleList([n.ReLU(), n.Tanh()])
    m += [n.Sigmoid()]
    m.append(n.Linear(1, 1))
    del m[0]
    m.insert(0, n.GELU())
    popped = m.pop(1)
    both = m + n.ModuleList([n.ReLU()])
    return ([type(x).__name__ for x in m], list(m._modules), type(popped).__name__,
            type(m[1:]).__name__, [type(x).__name__ for x in m[-2:]], len(both),
            list(both.state_dict()))


def test_module_list_operations_match_torch():
    assert modlist_ops(tg) == modlist_ops(torch)


def moddict_ops(lib):
    n = lib.nn
    d = n.ModuleDict({"x": n.ReLU(), "w": n.Linear(1, 1)})
    d["y"] = n.Tanh()
    d.update([("z", n.Linear(2, 2))])
    popped = d.pop("x")
    has = ("y" in d, "x" in d)
    return (list(d.keys()), [type(v).__name__ for v in d.values()], type(popped).__name__, has,
            len(d), list(d.state_dict()), [k for k, _ in d.items()])


def test_module_dict_operations_match_torch():
    assert moddict_ops(tg) == moddict_ops(torch)


def param_container_ops(lib):
    n = lib.nn
    pl = n.ParameterList([n.Parameter(lib.ones(2)), lib.zeros(3)])
    pl.append(lib.ones(1))
    pl[0] = lib.zeros(2)
    pd = n.ParameterDict({"b": lib.ones(1), "a": lib.zeros(2)})
    pd["c"] = lib.ones(3)
    pd.update(OrderedDict([("e", lib.ones(1)), ("d", lib.ones(1))]))
    popped = pd.pop("b")
    return (len(pl), [type(p).__name__ for p in pl], [p.requires_grad for p in pl],
            list(dict(pl.named_parameters())), list(pd.keys()), "a" in pd,
            tuple(popped.shape), [tuple(v.shape) for v in pd.values()],
            type(pl[0:2]).__name__)


def test_parameter_containers_match_torch():
    ours, theirs = param_container_ops(tg), param_container_ops(torch)
    assert ours[:6] == theirs[:6] and ours[8] == theirs[8]
    assert ours[6] == tuple(theirs[6]) and ours[7] == [tuple(s) for s in theirs[7]]


def test_container_errors():
    with pytest.raises(TypeError, match="nn.Module"):
        nn.ModuleList([1])
    with pytest.raises(IndexError):
        nn.Sequential(nn.ReLU())[3]
    with pytest.raises(TypeError, match="Tensor or nn.Parameter"):
        nn.ParameterList([3.0])
    with pytest.raises(KeyError):
        nn.ModuleDict({"a.b": nn.ReLU()})
