"""Attention and transformer layers against torch: ``F.scaled_dot_product_attention``,
``nn.MultiheadAttention``, the Transformer encoder/decoder layers and stacks and
``nn.Transformer``. torch's initialised weights are copied in through ``load_state_dict`` (so the
state_dict keys must match exactly), then outputs and every parameter's and input's gradient are
compared in float64; plus masks, shapes, train/eval dropout, errors and gradgradcheck."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F

torch = pytest.importorskip("torch")
tnn, TF = torch.nn, torch.nn.functional

TOL = 1e-10
rng = np.random.default_rng(0)


def _pair(array):
    """The same float64 array as a tinygrad_gd and a torch leaf that require grad."""
    return (tg.tensor(array, requires_grad=True),
            torch.tensor(array, requires_grad=True))


def _mask_pair(array):
    return tg.tensor(array), torch.tensor(array)


def _close(ours, theirs, what, tol=TOL):
    a = ours.detach().numpy() if hasattr(ours, "detach") else np.asarray(ours)
    b = theirs.detach().numpy()
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs torch {b.shape}"
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=what)


def _clone_module(make):
    """``make(ns, **factory)`` built in both libraries (float64), torch's weights copied in;
    the state_dict keys must be identical, in the same order."""
    torch.manual_seed(0)
    theirs = make(tnn, dtype=torch.float64)
    ours = make(nn, dtype=tg.float64)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _backward_both(out_ours, out_theirs):
    """Backpropagate the same random weighting of both outputs."""
    w = rng.standard_normal(tuple(out_theirs.shape))
    (out_ours * tg.tensor(w)).sum().backward()
    (out_theirs * torch.tensor(w)).sum().backward()


def _compare_grads(ours, theirs, inputs=()):
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert tp[name].grad is not None, name
        _close(p.grad, tp[name].grad, f"grad of {name}")
    for i, (a, b) in enumerate(inputs):
        _close(a.grad, b.grad, f"grad of input {i}")


# ----------------------------------------------------------- scaled_dot_product_attention
SDPA_CASES = [
    dict(),
    dict(is_causal=True),
    dict(scale=0.37),
    dict(mask="bool"),
    dict(mask="float"),
    dict(mask="bool_dead_row"),
    dict(mask="bool_broadcast"),
]


@pytest.mark.parametrize("case", SDPA_CASES, ids=lambda c: "-".join(map(str, c.values())) or
                         "plain")
def test_sdpa_matches_torch(case):
    case = dict(case)
    L, S = 3, 4
    (q, tq), (k, tk), (v, tv) = (_pair(rng.standard_normal(s))
                                 for s in [(2, 2, L, 5), (2, 2, S, 5), (2, 2, S, 3)])
    kind = case.pop("mask", None)
    if kind is not None:
        if kind == "float":
            arr = rng.standard_normal((2, 1, L, S))
            arr[0, 0, 1, 2] = -np.inf
        elif kind == "bool_broadcast":
            arr = rng.random((2, 1, 1, S)) > 0.3
            arr[..., 0] = True
        else:
            arr = rng.random((L, S)) > 0.4
            arr[:, 0] = True
            if kind == "bool_dead_row":
                arr[1] = False  # a query that may attend to nothing gives 0 (safe softmax)
        m, tm = _mask_pair(arr)
        case["attn_mask"] = m
        tcase = dict(case, attn_mask=tm)
    else:
        tcase = case
    out = F.scaled_dot_product_attention(q, k, v, **case)
    tout = TF.scaled_dot_product_attention(tq, tk, tv, **tcase)
    _close(out, tout, "output")
    _backward_both(out, tout)
    for a, b, n in ((q, tq, "q"), (k, tk, "k"), (v, tv, "v")):
        _close(a.grad, b.grad, f"grad of {n}")
    assert np.isfinite(q.grad.numpy()).all()


def test_sdpa_causal_rectangular_and_unbatched():
    for L, S in ((4, 2), (2, 4)):
        (q, tq), (k, tk), (v, tv) = (_pair(rng.standard_normal(s)) for s in
                                     [(L, 3), (S, 3), (S, 2)])
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        _close(out, TF.scaled_dot_product_attention(tq, tk, tv, is_causal=True), "causal")


def test_sdpa_gqa():
    (q, tq), (k, tk), (v, tv) = (_pair(rng.standard_normal(s))
                                 for s in [(1, 4, 3, 2), (1, 2, 5, 2), (1, 2, 5, 3)])
    out = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    tout = TF.scaled_dot_product_attention(tq, tk, tv, enable_gqa=True)
    _close(out, tout, "gqa")
    _backward_both(out, tout)
    _close(k.grad, tk.grad, "gqa grad k")


def test_sdpa_float32_and_dropout():
    q = tg.randn(2, 3, 4)
    assert F.scaled_dot_product_attention(q, q, q).dtype == tg.float32
    tg.manual_seed(0)
    v = tg.ones(1, 50, 4)
    qk = tg.zeros(1, 50, 4)
    dropped = F.scaled_dot_product_attention(qk, qk, v, dropout_p=0.5).numpy()
    # uniform weights 1/50, half dropped and the rest scaled by 2: rows average about 1
    assert dropped.shape == (1, 50, 4) and not np.allclose(dropped, 1.0)
    assert abs(dropped.mean() - 1.0) < 0.2
    assert np.allclose(F.scaled_dot_product_attention(qk, qk, v, dropout_p=0.0).numpy(), 1.0)


def test_sdpa_errors():
    q = tg.randn(2, 3, 4)
    with pytest.raises(ValueError, match="is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=tg.ones(3, 3, dtype=bool),
                                       is_causal=True)
    with pytest.raises(ValueError, match="query"):
        F.scaled_dot_product_attention(q, tg.randn(2, 3, 5), q)
    with pytest.raises(TypeError, match="dtype"):
        F.scaled_dot_product_attention(q, q.double(), q)
    with pytest.raises(TypeError, match="bool and floating"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=tg.ones(3, 3, dtype=tg.int64))
    with pytest.raises(ValueError, match="broadcast"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=tg.ones(2, 2, dtype=bool))
    with pytest.raises(ValueError, match="2 dimensions"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=tg.ones(3, dtype=bool))


def test_sdpa_gradgradcheck():
    q, k, v = (tg.tensor(rng.standard_normal(s), requires_grad=True)
               for s in [(2, 2, 3), (2, 3, 3), (2, 3, 2)])
    mask = tg.tensor(np.array([[True, False, True], [True, True, False]]))

    def fn(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=0.7)

    assert tg.autograd.gradcheck(fn, (q, k, v))
    assert tg.autograd.gradgradcheck(fn, (q, k, v))


# ------------------------------------------------------------------- MultiheadAttention
MHA_CASES = [
    dict(),
    dict(batch_first=True),
    dict(bias=False),
    dict(kdim=3, vdim=5),
    dict(add_bias_kv=True),
    dict(add_zero_attn=True, batch_first=True),
    dict(add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=2),
]
CALLS = [
    dict(),
    dict(need_weights=False),
    dict(average_attn_weights=False),
    dict(attn_mask="causal_float"),
    dict(attn_mask="bool", need_weights=False),
    dict(key_padding_mask="bool"),
    dict(key_padding_mask="float", attn_mask="float3d", need_weights=False),
    dict(attn_mask="causal_bool", is_causal=True, need_weights=False),
]


def _mha_masks(call, L, S, N, H):  # noqa: N803 - the shapes' usual names
    call, tcall = dict(call), dict(call)
    am, kpm = call.pop("attn_mask", None), call.pop("key_padding_mask", None)
    tcall.pop("attn_mask", None)
    tcall.pop("key_padding_mask", None)
    if am is not None:
        if am == "causal_float":
            arr = np.triu(np.full((L, S), -np.inf), 1)
        elif am == "causal_bool":
            arr = np.triu(np.ones((L, S), dtype=bool), 1)
        elif am == "bool":
            arr = rng.random((L, S)) > 0.6
            arr[:, 0] = False  # True = not allowed; keep one key per query
        else:
            arr = rng.standard_normal((N * H, L, S))
        call["attn_mask"], tcall["attn_mask"] = _mask_pair(arr)
    if kpm is not None:
        arr = np.zeros((N, S), dtype=bool)
        arr[0, -1] = arr[1, -2:] = True
        if kpm == "float":
            arr = np.where(arr, -np.inf, rng.standard_normal((N, S)))
        call["key_padding_mask"], tcall["key_padding_mask"] = _mask_pair(arr)
    return call, tcall


@pytest.mark.parametrize("ctor", MHA_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in
                                                               c.items()) or "plain")
@pytest.mark.parametrize("call", CALLS, ids=lambda c: "-".join(f"{k}={v}" for k, v in
                                                               c.items()) or "plain")
def test_multihead_attention_matches_torch(ctor, call):
    E, H, L, S, N = 4, 2, 3, 4, 2
    ours, theirs = _clone_module(lambda m, **f: m.MultiheadAttention(E, H, **ctor, **f))
    kdim, vdim = ctor.get("kdim", E), ctor.get("vdim", E)
    bf = ctor.get("batch_first", False)
    shape = (lambda n, d: (N, n, d)) if bf else (lambda n, d: (n, N, d))
    inputs = [_pair(rng.standard_normal(shape(n, d))) for n, d in ((L, E), (S, kdim), (S, vdim))]
    c, tc = _mha_masks(call, L, S, N, H)
    out, w = ours(*(a for a, _ in inputs), **c)
    tout, tw = theirs(*(b for _, b in inputs), **tc)
    _close(out, tout, "attn_output")
    if tw is None:
        assert w is None
    else:
        _close(w, tw, "attn_weights")
    _backward_both(out, tout)
    _compare_grads(ours, theirs, inputs)


def test_multihead_attention_self_attention_unbatched_and_masks():
    ours, theirs = _clone_module(lambda m, **f: m.MultiheadAttention(6, 3, **f))
    x, tx = _pair(rng.standard_normal((4, 6)))
    kpm, tkpm = _mask_pair(np.array([False, False, True, False]))
    am, tam = _mask_pair(rng.standard_normal((3, 4, 4)))
    for kw, tkw in ((dict(key_padding_mask=kpm), dict(key_padding_mask=tkpm)),
                    (dict(attn_mask=am, average_attn_weights=False),
                     dict(attn_mask=tam, average_attn_weights=False))):
        out, w = ours(x, x, x, **kw)
        tout, tw = theirs(tx, tx, tx, **tkw)
        _close(out, tout, "unbatched output")
        _close(w, tw, "unbatched weights")
    _backward_both(out, tout)
    _compare_grads(ours, theirs, [(x, tx)])


def test_multihead_attention_init_repr_dropout_and_errors():
    mha = nn.MultiheadAttention(8, 2, dropout=0.5, add_bias_kv=True, kdim=4)
    keys = ["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "bias_k",
            "bias_v", "out_proj.weight", "out_proj.bias"]
    assert list(mha.state_dict()) == keys
    assert mha.in_proj_weight is None and tuple(mha.k_proj_weight.shape) == (8, 4)
    bound = (6 / (8 + 4)) ** 0.5  # xavier-uniform of (8, 4)
    assert np.abs(mha.k_proj_weight.numpy()).max() <= bound
    assert np.all(mha.in_proj_bias.numpy() == 0) and np.all(mha.out_proj.bias.numpy() == 0)
    assert repr(nn.MultiheadAttention(4, 2)) == repr(tnn.MultiheadAttention(4, 2))
    # dropout acts on the weights in training mode only
    m = nn.MultiheadAttention(4, 1, dropout=0.5)
    x = tg.randn(5, 2, 4)
    _, w_train = m(x, x, x)
    m.eval()
    _, w_eval = m(x, x, x)
    assert np.allclose(w_eval.numpy().sum(-1), 1.0)
    assert not np.allclose(w_train.numpy(), w_eval.numpy())
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(5, 2)
    with pytest.raises(ValueError, match="is_causal"):
        m(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match="embedding dimension"):
        m(tg.randn(5, 2, 3), x, x)
    with pytest.raises(ValueError, match="2-D attn_mask"):
        m(x, x, x, attn_mask=tg.zeros(4, 4))
    with pytest.raises(ValueError, match="key_padding_mask"):
        m(x, x, x, key_padding_mask=tg.zeros(2, 4, dtype=bool))


def test_multihead_attention_nan_for_fully_masked_rows_like_torch():
    ours, theirs = _clone_module(lambda m, **f: m.MultiheadAttention(4, 2, **f))
    x, tx = _pair(rng.standard_normal((3, 2, 4)))
    kpm = np.zeros((2, 3), dtype=bool)
    kpm[0] = True
    for need in (True, False):
        out, _ = ours(x, x, x, key_padding_mask=tg.tensor(kpm), need_weights=need)
        tout, _ = theirs(tx, tx, tx, key_padding_mask=torch.tensor(kpm), need_weights=need)
        np.testing.assert_array_equal(np.isnan(out.detach().numpy()),
                                      np.isnan(tout.detach().numpy()))
        _close(out[:, 1], tout[:, 1], "the unmasked batch element")


# ----------------------------------------------------------------------- transformers
ENCODER_CASES = [
    dict(),
    dict(batch_first=True, norm_first=True),
    dict(activation="gelu", bias=False),
    dict(activation="callable", layer_norm_eps=1e-3),
]


def _act(case, ns):
    case = dict(case)
    if case.get("activation") == "callable":
        case["activation"] = (lambda x: x.tanh()) if ns is nn else torch.tanh
    return case


@pytest.mark.parametrize("case", ENCODER_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in
                                                                    c.items()) or "plain")
def test_transformer_encoder_matches_torch(case):
    d, L, N = 4, 3, 2

    def make(m, **f):
        layer = m.TransformerEncoderLayer(d, 2, dim_feedforward=6, dropout=0.0,
                                          **_act(case, m), **f)
        return m.TransformerEncoder(layer, 2, norm=m.LayerNorm(d, **f),
                                    enable_nested_tensor=False)

    ours, theirs = _clone_module(make)
    bf = case.get("batch_first", False)
    x, tx = _pair(rng.standard_normal((N, L, d) if bf else (L, N, d)))
    kpm = np.zeros((N, L), dtype=bool)
    kpm[1, -1] = True
    causal = nn.Transformer.generate_square_subsequent_mask(L, dtype=tg.float64)
    tcausal = tnn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    for kw, tkw in ((dict(), dict()),
                    (dict(mask=causal, src_key_padding_mask=tg.tensor(kpm)),
                     dict(mask=tcausal, src_key_padding_mask=torch.tensor(kpm))),
                    (dict(mask=causal, is_causal=True), dict(mask=tcausal, is_causal=True))):
        out, tout = ours(x, **kw), theirs(tx, **tkw)
        _close(out, tout, f"encoder output {list(kw)}")
    _backward_both(out, tout)
    _compare_grads(ours, theirs, [(x, tx)])


@pytest.mark.parametrize("case", ENCODER_CASES[:3], ids=lambda c: "-".join(
    f"{k}={v}" for k, v in c.items()) or "plain")
def test_transformer_decoder_matches_torch(case):
    d, T, S, N = 4, 3, 4, 2

    def make(m, **f):
        layer = m.TransformerDecoderLayer(d, 2, dim_feedforward=5, dropout=0.0,
                                          **_act(case, m), **f)
        return m.TransformerDecoder(layer, 2, norm=m.LayerNorm(d, **f))

    ours, theirs = _clone_module(make)
    bf = case.get("batch_first", False)
    x, tx = _pair(rng.standard_normal((N, T, d) if bf else (T, N, d)))
    mem, tmem = _pair(rng.standard_normal((N, S, d) if bf else (S, N, d)))
    kpm = np.zeros((N, S), dtype=bool)
    kpm[0, -2:] = True
    tm = np.triu(np.ones((T, T), dtype=bool), 1)
    out = ours(x, mem, tgt_mask=tg.tensor(tm), memory_key_padding_mask=tg.tensor(kpm))
    tout = theirs(tx, tmem, tgt_mask=torch.tensor(tm), memory_key_padding_mask=torch.tensor(kpm))
    _close(out, tout, "decoder output")
    _backward_both(out, tout)
    _compare_grads(ours, theirs, [(x, tx), (mem, tmem)])


def test_transformer_matches_torch_and_unbatched():
    def make(m, **f):
        return m.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=2,
                             dim_feedforward=6, dropout=0.0, **f)

    ours, theirs = _clone_module(make)
    src, tsrc = _pair(rng.standard_normal((4, 2, 4)))
    tgt, ttgt = _pair(rng.standard_normal((3, 2, 4)))
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=tg.float64)
    tmask = tnn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64)
    out, tout = ours(src, tgt, tgt_mask=mask), theirs(tsrc, ttgt, tgt_mask=tmask)
    _close(out, tout, "transformer output")
    _backward_both(out, tout)
    _compare_grads(ours, theirs, [(src, tsrc), (tgt, ttgt)])
    u, tu = ours(src[:, 0], tgt[:, 0]), theirs(tsrc[:, 0], ttgt[:, 0])
    _close(u, tu, "unbatched transformer output")
    with pytest.raises(ValueError, match="batch number"):
        ours(src, tgt[:, :1])


def test_transformer_init_dropout_and_errors():
    tg.manual_seed(0)
    t = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                       dim_feedforward=16)
    theirs = tnn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                             dim_feedforward=16)
    assert list(t.state_dict()) == list(theirs.state_dict())
    w = t.encoder.layers[0].linear1.weight.numpy()
    bound = (6 / (8 + 16)) ** 0.5  # Transformer re-draws every matrix xavier-uniform
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.5 * bound
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5)
    x = tg.randn(3, 2, 8)
    assert layer(x).shape == (3, 2, 8)
    layer.eval()
    assert np.allclose(layer(x).numpy(), layer(x).numpy())
    layer.train()
    assert not np.allclose(layer(x).numpy(), layer(x).numpy())
    with pytest.raises(ValueError, match="relu/gelu"):
        nn.TransformerEncoderLayer(8, 2, activation="swish")
    with pytest.raises(ValueError, match="is_causal"):
        layer(x, is_causal=True)


@pytest.mark.parametrize("batch_first", [True, False])
def test_transformer_encoder_inference_fast_path_zeros_padding_like_torch(batch_first):
    """torch's eval/no-grad path (nested tensors, batch_first only) leaves zeros at padded
    positions before the final norm; with a gradient, or a padding mask that is not
    left-aligned, the ordinary path."""
    def make(m, **f):
        layer = m.TransformerEncoderLayer(4, 2, dim_feedforward=6, batch_first=batch_first,
                                          **f)
        return m.TransformerEncoder(layer, 2, norm=m.LayerNorm(4, **f))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note that batch_first=False is slower
        ours, theirs = _clone_module(make)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((2, 3, 4) if batch_first else (3, 2, 4))
    for rows in ([[False, False, True], [False, False, False]],
                 [[False, True, False], [False, False, False]]):
        kpm = np.array(rows)
        with tg.no_grad(), torch.no_grad():
            fast = ours(tg.tensor(x), src_key_padding_mask=tg.tensor(kpm))
            tfast = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm))
        _close(fast, tfast, f"eval output, padding {rows}")
        out = ours(tg.tensor(x, requires_grad=True), src_key_padding_mask=tg.tensor(kpm))
        tout = theirs(torch.tensor(x, requires_grad=True),
                      src_key_padding_mask=torch.tensor(kpm))
        _close(out, tout, f"eval output with grad, padding {rows}")
        pos = (0, 2) if batch_first else (2, 0)
        zeroed = batch_first and rows[0] == [False, False, True]
        assert np.allclose(fast.numpy()[pos], out.detach().numpy()[pos]) != zeroed


def test_sdpa_kernel_context_is_accepted():
    from torch.nn.attention import SDPBackend as TBackend

    from tinygrad_gd.nn.attention import SDPBackend, sdpa_kernel
    theirs = {k: int(v) for k, v in TBackend.__members__.items()}
    assert {m.name: int(m) for m in SDPBackend} == theirs
    q = tg.randn(1, 2, 3, 4)
    with sdpa_kernel([SDPBackend.MATH, SDPBackend.FLASH_ATTENTION]):
        inside = F.scaled_dot_product_attention(q, q, q)
    np.testing.assert_array_equal(inside.numpy(), F.scaled_dot_product_attention(q, q, q).numpy())
    with pytest.raises(TypeError, match="SDPBackend"):
        with sdpa_kernel(["math"]):
            pass
