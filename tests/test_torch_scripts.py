"""Ordinary PyTorch scripts, ported by swapping the imports only, agree with torch.

Each script below is plain PyTorch code. It runs twice: as written, under torch, and with its
import lines rewritten to tinygrad_gd's (``import torch`` -> ``import tinygrad_gd as torch`` and so
on, nothing else changed). Both runs are in float64 and start from the same weights (drawn with
NumPy and copied in), so they must leave the same numbers in ``result``.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

# The only changes a user makes: the imports.
SWAPS = [
    ("import torch.nn.functional as F", "from tinygrad_gd.nn import functional as F"),
    ("import torch.nn as nn", "from tinygrad_gd import nn"),
    ("from torch import nn", "from tinygrad_gd import nn"),
    ("from torch.utils.data import", "from tinygrad_gd.utils.data import"),
    ("from torch.optim.swa_utils import", "from tinygrad_gd.optim.swa_utils import"),
    ("import torch\n", "import tinygrad_gd as torch\n"),
]

PRELUDE = """
import numpy as np
import torch
torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(0)

def init_(model, scale=0.3):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)) * scale))
"""


def port(source: str) -> str:
    """The script with its imports swapped to tinygrad_gd's."""
    for old, new in SWAPS:
        source = source.replace(old, new)
    return source


def run(source: str, tmp_path, ported: bool) -> dict:
    code = textwrap.dedent(PRELUDE) + textwrap.dedent(source)
    if ported:
        code = port(code)
    scope: dict = {"__name__": "__script__", "TMP": str(tmp_path)}
    torch = pytest.importorskip("torch")
    before = torch.get_default_dtype()
    try:
        exec(compile(code, "<script>", "exec"), scope)  # noqa: S102 - the scripts are ours
    finally:
        torch.set_default_dtype(before)  # the tg run's default is restored by conftest
    return scope["result"]


def as_numpy(value):
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "numpy"):
        return np.asarray(value.numpy(), dtype=np.float64)
    return np.asarray(value, dtype=np.float64)


SCRIPTS = {}

SCRIPTS["micrograd_style"] = """
# A two-layer net written with raw tensors and a hand-written SGD step.
X = torch.tensor(rng.standard_normal((16, 3)))
y = torch.tensor(rng.standard_normal(16))
W1 = torch.tensor(rng.standard_normal((3, 8)) * 0.5, requires_grad=True)
b1 = torch.zeros(8, requires_grad=True)
W2 = torch.tensor(rng.standard_normal((8, 1)) * 0.5, requires_grad=True)
losses = []
for step in range(20):
    h = torch.tanh(X @ W1 + b1)
    pred = (h @ W2).squeeze(-1)
    loss = ((pred - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for p in (W1, b1, W2):
            p -= 0.1 * p.grad
            p.grad.zero_()
    losses.append(loss.item())
result = {"losses": losses, "W1": W1.detach().numpy(), "size": list(W1.size()),
          "n": W1.numel(), "rows": W1.size(0)}
"""

SCRIPTS["logistic_regression"] = """
import torch.nn as nn
X = torch.from_numpy(rng.standard_normal((64, 4)))
w_true = torch.tensor([1.5, -2.0, 0.5, 0.0])
y = (X @ w_true > 0).float().double()
model = nn.Linear(4, 1)
init_(model)
criterion = nn.BCEWithLogitsLoss()
opt = torch.optim.SGD(model.parameters(), lr=0.5)
for epoch in range(30):
    opt.zero_grad()
    logits = model(X).squeeze(1)
    loss = criterion(logits, y)
    loss.backward()
    opt.step()
with torch.no_grad():
    acc = ((model(X).squeeze(1) > 0).float() == y).float().mean().item()
result = {"loss": loss.item(), "acc": acc, "w": model.weight.detach().numpy()}
"""

SCRIPTS["mlp_dataloader"] = """
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
X = torch.tensor(rng.standard_normal((60, 5)))
labels = torch.tensor(rng.integers(0, 3, 60))
loader = DataLoader(TensorDataset(X, labels), batch_size=16, shuffle=False)
model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 3))
init_(model)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
history = []
for epoch in range(3):
    total, correct = 0.0, 0
    for xb, yb in loader:
        opt.zero_grad()
        out = model(xb)
        loss = F.cross_entropy(out, yb)
        loss.backward()
        opt.step()
        total += loss.item() * xb.size(0)
        correct += (out.argmax(dim=1) == yb).sum().item()
    history.append(total / len(loader.dataset))
probs = F.softmax(model(X), dim=1)
values, indices = probs.max(dim=1)
result = {"history": history, "correct": correct, "values": values.detach().numpy(),
          "indices": indices.numpy(), "len": len(loader)}
"""

SCRIPTS["cnn_checkpoint"] = """
import os
import torch.nn as nn
import torch.nn.functional as F

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 8, 3)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 2 * 2, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc(x)

model = Net()
init_(model)
x = torch.tensor(rng.standard_normal((6, 1, 12, 12)))
t = torch.tensor(rng.integers(0, 3, 6))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for step in range(5):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), t)
    loss.backward()
    opt.step()
path = os.path.join(TMP, "model.pt")
torch.save({"model": model.state_dict(), "step": 5}, path)
restored = Net()
checkpoint = torch.load(path)
restored.load_state_dict(checkpoint["model"])
restored.eval()
with torch.no_grad():
    out = restored(x)
result = {"loss": loss.item(), "out": out.numpy(), "step": checkpoint["step"],
          "keys": sorted(checkpoint["model"].keys())}
"""

SCRIPTS["gradient_penalty_and_function"] = """
import torch.nn as nn

class ClippedReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, hi):
        ctx.save_for_backward(x)
        ctx.hi = hi
        return x.clamp(min=0, max=hi)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        mask = (x > 0) & (x < ctx.hi)
        return grad_output * mask, None

critic = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
init_(critic)
real = torch.tensor(rng.standard_normal((10, 3)))
fake = torch.tensor(rng.standard_normal((10, 3)))
alpha = torch.rand(10, 1) * 0 + 0.3
interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
score = critic(interp)
grads = torch.autograd.grad(outputs=score, inputs=interp, grad_outputs=torch.ones_like(score),
                            create_graph=True, retain_graph=True)[0]
penalty = ((grads.norm(2, dim=1) - 1) ** 2).mean()
clipped = ClippedReLU.apply(critic(real), 0.5).mean()
loss = clipped - critic(fake).mean() + 10 * penalty
loss.backward()
result = {"penalty": penalty.item(), "loss": loss.item(),
          "g0": critic[0].weight.grad.numpy(), "g2": critic[2].bias.grad.numpy()}
"""

SCRIPTS["residual_layernorm_clipping"] = """
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))

    def forward(self, x):
        return x + self.ff(self.norm(x))

class ResNet(nn.Module):
    def __init__(self, d, depth):
        super().__init__()
        self.blocks = nn.ModuleList([Block(d) for _ in range(depth)])
        self.head = nn.Linear(d, 1)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.head(x).squeeze(-1)

model = ResNet(6, 3)
init_(model)
X = torch.tensor(rng.standard_normal((32, 6)))
y = torch.tensor(rng.standard_normal(32))
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
norms = []
for step in range(10):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(X), y)
    loss.backward()
    norms.append(float(nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)))
    opt.step()
    sched.step()
n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
result = {"loss": loss.item(), "norms": norms, "lr": sched.get_last_lr(), "n_params": n_params}
"""

SCRIPTS["tensor_manipulation"] = """
x = torch.arange(24, dtype=torch.float64).reshape(2, 3, 4)
y = x.permute(2, 0, 1).contiguous().view(4, -1)
z = torch.cat([y, y * 2], dim=1)
s = torch.stack([x, x + 1], dim=0).sum(dim=0)
top = torch.topk(z, k=3, dim=1)
srt, order = torch.sort(z[:, :5], dim=1, descending=True)
g = torch.gather(z, 1, torch.tensor([[0, 1], [2, 3], [4, 5], [6, 7]]))
m = z.masked_fill(z > 20, -1.0)
e = torch.einsum("bij,bjk->bik", x, x.transpose(1, 2))
w = torch.where(x > 10, x, torch.zeros_like(x))
c = torch.cumsum(x, dim=2)
tri = torch.tril(torch.ones(4, 4))
sel = torch.index_select(z, 0, torch.tensor([3, 0]))
u = x.unsqueeze(1).expand(2, 5, 3, 4).mean(dim=1)
a, b = x.chunk(2, dim=2)
result = {"y": y, "z": z, "s": s, "top": top.values, "topi": top.indices, "srt": srt,
          "order": order, "g": g, "m": m, "e": e, "w": w, "c": c, "tri": tri, "sel": sel,
          "u": u, "a": a, "b": b, "shape": list(e.shape), "amax": x.amax(dim=(0, 2)),
          "std": x.std(dim=1), "argmax": x.argmax(dim=-1), "flip": x.flip(0)}
"""

SCRIPTS["early_stopping_swa"] = """
import torch.nn as nn
from torch.optim.swa_utils import AveragedModel, SWALR
X = torch.tensor(rng.standard_normal((40, 4)))
y = X @ torch.tensor([1.0, -1.0, 2.0, 0.5]) + 0.1 * torch.tensor(rng.standard_normal(40))
Xv, yv = X[30:], y[30:]
X, y = X[:30], y[:30]
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
init_(model)
swa_model = AveragedModel(model)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
swa_sched = SWALR(opt, swa_lr=0.01, anneal_epochs=2)
loss_fn = nn.MSELoss()
best, bad, patience, stopped = float("inf"), 0, 3, None
for epoch in range(25):
    model.train()
    opt.zero_grad()
    loss = loss_fn(model(X).squeeze(1), y)
    loss.backward()
    opt.step()
    if epoch >= 5:
        swa_model.update_parameters(model)
        swa_sched.step()
    model.eval()
    with torch.no_grad():
        val = loss_fn(model(Xv).squeeze(1), yv).item()
    if val < best - 1e-4:
        best, bad = val, 0
    else:
        bad += 1
        if bad >= patience:
            stopped = epoch
            break
with torch.no_grad():
    swa_val = loss_fn(swa_model(Xv).squeeze(1), yv).item()
result = {"best": best, "stopped": -1 if stopped is None else stopped, "swa_val": swa_val,
          "n_averaged": int(swa_model.n_averaged)}
"""


SCRIPTS["transformer_lstm_sequence_model"] = """
import torch.nn as nn
import torch.nn.functional as F

class SeqModel(nn.Module):
    # Embedding -> causal Transformer encoder -> LSTM -> next-token logits.
    def __init__(self, vocab, d, heads):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=2 * d, dropout=0.0,
                                           batch_first=True, activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.lstm = nn.LSTM(d, d, batch_first=True)
        self.head = nn.Linear(d, vocab)

    def forward(self, tokens, pad):
        L = tokens.size(1)
        mask = nn.Transformer.generate_square_subsequent_mask(L)
        x = self.encoder(self.embed(tokens), mask=mask, src_key_padding_mask=pad)
        x, (h, c) = self.lstm(x)
        return self.head(x), h

model = SeqModel(vocab=7, d=8, heads=2)
init_(model)
tokens = torch.tensor(rng.integers(0, 7, size=(3, 6)))
pad = torch.zeros(3, 6, dtype=torch.bool)
pad[2, 4:] = True
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
losses = []
for step in range(5):
    opt.zero_grad()
    logits, h = model(tokens[:, :-1], pad[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, 7), tokens[:, 1:].reshape(-1))
    loss.backward()
    opt.step()
    losses.append(loss.item())
attn = nn.MultiheadAttention(8, 2, batch_first=True)
init_(attn)
q = torch.tensor(rng.standard_normal((2, 3, 8)))
out, weights = attn(q, q, q)
sdpa = F.scaled_dot_product_attention(q, q, q, is_causal=True)
result = {"losses": losses, "h": h.detach(), "head": model.head.weight.detach(),
          "keys": list(model.state_dict())[:6], "attn": out.detach(), "weights": weights.detach(),
          "sdpa": sdpa}
"""

SCRIPTS["quickstart_device_and_flags"] = """
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

# PyTorch's quick start: the device from torch.accelerator, a flag for torch's own kernels
torch.backends.cudnn.benchmark = True
device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"

class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3))

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))

model = NeuralNetwork().to(device)
init_(model)
X = torch.tensor(rng.standard_normal((12, 4, 4)))
Y = torch.tensor(rng.integers(0, 3, 12))
loader = DataLoader(TensorDataset(X, Y), batch_size=4)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)
losses = []
for epoch in range(2):
    model.train()
    for batch, (x, y) in enumerate(loader):
        x, y = x.to(device), y.to(device)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
model.eval()
correct = 0
with torch.no_grad():
    for x, y in loader:
        pred = model(x.to(device))
        correct += (pred.argmax(1) == y.to(device)).type(torch.float).sum().item()
result = {"losses": losses, "correct": correct, "device": [device]}
"""


SCRIPTS["amp_grad_scaler_with_clipping"] = """
import torch
import torch.nn as nn

# the usual AMP loop: a scaler, autocast switched by a flag, clipping on the unscaled gradients
use_amp = False
model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
init_(model)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
scaler = torch.amp.GradScaler("cpu", init_scale=256.0, growth_interval=2)
x = torch.tensor(rng.standard_normal((16, 4)))
y = torch.tensor(rng.standard_normal((16, 1)))
losses, scales = [], []
for step in range(6):
    opt.zero_grad()
    with torch.autocast(device_type="cpu", enabled=use_amp):
        loss = nn.functional.mse_loss(model(x), y)
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    scaler.step(opt)
    scaler.update()
    losses.append(loss.item())
    scales.append(scaler.get_scale())
result = {"losses": losses, "scales": scales, "w": model[0].weight.detach()}
"""


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_ported_script_agrees_with_torch(name, tmp_path):
    pytest.importorskip("torch")
    (tmp_path / "torch").mkdir()
    (tmp_path / "tg").mkdir()
    want = run(SCRIPTS[name], tmp_path / "torch", ported=False)
    got = run(SCRIPTS[name], tmp_path / "tg", ported=True)
    assert sorted(got) == sorted(want)
    for key in want:
        if isinstance(want[key], list) and want[key] and isinstance(want[key][0], str):
            assert got[key] == want[key], key
            continue
        np.testing.assert_allclose(as_numpy(got[key]), as_numpy(want[key]), rtol=1e-7,
                                   atol=1e-9, err_msg=f"{name}: {key}")


def test_port_changes_only_the_imports():
    source = "import torch\nimport torch.nn as nn\nx = torch.zeros(2)\n"
    assert port(source) == "import tinygrad_gd as torch\nfrom tinygrad_gd import nn\n" \
                           "x = torch.zeros(2)\n"
