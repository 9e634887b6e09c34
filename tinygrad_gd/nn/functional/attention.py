"""Attention, composed from differentiable Tensor ops (matmul, softmax, masked_fill), so every
derivative, second order included, comes from the ops it is built of:
``scaled_dot_product_attention`` and ``multi_head_attention_forward`` with torch's signatures.

>>> import tinygrad_gd as tg
>>> from tinygrad_gd.nn import functional as F
>>> q = k = v = tg.ones(1, 2, 3, 4)
>>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
(1, 2, 3, 4)
"""

from __future__ import annotations

import math
from typing import Any

from ...creation import ones, zeros
from ...functions import cat
from ...tensor import Tensor
from .layer import dropout, linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_NEG_INF = float("-inf")


def _check_mask_dtype(mask: Tensor, name: str, query: Tensor) -> None:
    if mask.dtype != bool and not mask.is_floating_point():
        raise TypeError(f"{name}: only bool and floating masks are supported, got {mask.dtype}")
    if mask.is_floating_point() and mask.dtype != query.dtype:
        raise TypeError(f"{name}: a float attn_mask must have the query's dtype {query.dtype}, "
                        f"got {mask.dtype}")


def _safe_softmax(scores: Tensor) -> Tensor:
    """Softmax over the last dimension, with rows that are ``-inf`` everywhere (nothing may be
    attended) giving 0 and a zero gradient, as torch's ``_safe_softmax`` (not NaN)."""
    dead = scores.detach().isneginf().all(-1, keepdim=True)
    if not bool(dead.data.any()):  # on the array: a guard under tg.jit, not a value read
        return scores.softmax(-1)
    # replace the dead rows by finite values first: softmax of all -inf would be NaN, and a
    # NaN kept behind a mask still poisons the gradient (0 * NaN)
    return scores.masked_fill(dead, 0.0).softmax(-1).masked_fill(dead, 0.0)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(query @ key^T * scale + bias) @ value`` over the last two dimensions, as
    torch's: ``query (..., L, E)``, ``key (..., S, E)``, ``value (..., S, Ev)`` give
    ``(..., L, Ev)``; leading dimensions broadcast. ``scale`` defaults to ``1/sqrt(E)``.

    ``attn_mask`` broadcasts to ``(..., L, S)``: a bool mask says which positions take part
    (True), a float mask is added to the scores. ``is_causal`` masks out keys after each query
    (the top-left aligned lower triangle of an ``L x S`` matrix) and excludes ``attn_mask``.
    A query that may attend to nothing gives 0 (torch's safe softmax). ``dropout_p`` drops
    attention weights (always, as torch: pass 0 in eval mode). ``enable_gqa`` lets key and value
    have fewer heads (dimension -3) than the query, each shared by a group of query heads.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> q, k = tg.zeros(1, 2, 4), tg.zeros(1, 3, 4)
    >>> v = tg.tensor([[[1.0], [2.0], [3.0]]])
    >>> F.scaled_dot_product_attention(q, k, v).tolist()
    [[[2.0], [2.0]]]
    >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).tolist()
    [[[1.0], [1.5]]]
    """
    name = "scaled_dot_product_attention"
    for t, what in ((query, "query"), (key, "key"), (value, "value")):
        if not isinstance(t, Tensor) or t.ndim < 2:
            raise ValueError(f"{name}: {what} must be a Tensor of at least 2 dimensions "
                             f"(..., seq, features), got {getattr(t, 'shape', type(t))}")
    if not (query.dtype == key.dtype == value.dtype) or not query.is_floating_point():
        raise TypeError(f"{name}: query, key and value must share one floating dtype, got "
                        f"{query.dtype}, {key.dtype} and {value.dtype}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{name}: expected query (..., L, E), key (..., S, E) and value "
                         f"(..., S, Ev), got {tuple(query.shape)}, {tuple(key.shape)} and "
                         f"{tuple(value.shape)}")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{name}: dropout_p must be in [0, 1], got {dropout_p}")
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hk != hv or hq % hk:
            raise ValueError(f"{name}: with enable_gqa the query's heads ({hq}) must be a "
                             f"multiple of the key's ({hk}) and value's ({hv}), which match")
        key = key.repeat_interleave(hq // hk, dim=-3)
        value = value.repeat_interleave(hq // hv, dim=-3)
    n_q, n_k = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    scores = query.matmul(key.transpose(-2, -1)) * scale
    if is_causal:
        if attn_mask is not None:
            raise ValueError(f"{name}: an explicit attn_mask must not be set when "
                             "is_causal=True")
        scores = scores.masked_fill(_causal_keep(n_q, n_k, scores).logical_not(), _NEG_INF)
    elif attn_mask is not None:
        _check_mask_dtype(attn_mask, name, query)
        if attn_mask.ndim < 2:
            raise ValueError(f"{name}: attn_mask needs at least 2 dimensions (..., L, S), as "
                             f"torch's, got shape {tuple(attn_mask.shape)}")
        try:
            if attn_mask.dtype == bool:
                scores = scores.masked_fill(attn_mask.logical_not(), _NEG_INF)
            else:
                scores = scores + attn_mask
        except ValueError:
            raise ValueError(f"{name}: attn_mask of shape {tuple(attn_mask.shape)} does not "
                             f"broadcast to the scores' shape {tuple(scores.shape)}") from None
    weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights.matmul(value)


def _causal_keep(n_q: int, n_k: int, like: Tensor) -> Tensor:
    """The bool ``n_q x n_k`` lower triangle (True: may attend), on ``like``'s device."""
    return ones(n_q, n_k, dtype=bool, device=like.device).tril()


def _canonical_mask(mask: Tensor | None, name: str, like: Tensor) -> Tensor | None:
    """torch's MHA convention: a bool mask is True where attention is NOT allowed; it becomes
    a float mask with ``-inf`` there. A float mask is kept (added to the scores)."""
    if mask is None:
        return None
    if mask.dtype != bool and not mask.is_floating_point():
        raise TypeError(f"multi_head_attention_forward: only bool and floating types of "
                        f"{name} are supported, got {mask.dtype}")
    if mask.dtype == bool:
        return zeros(*mask.shape, dtype=like.dtype, device=like.device).masked_fill(
            mask, _NEG_INF)
    return mask


def _pad_last(mask: Tensor | None) -> Tensor | None:
    """One more (zero: attended) column at the end of a float mask."""
    if mask is None:
        return None
    return cat([mask, zeros(*mask.shape[:-1], 1, dtype=mask.dtype, device=mask.device)], -1)


def _in_projection(query: Tensor, key: Tensor, value: Tensor, embed_dim: int,
                   in_proj_weight: Tensor | None, in_proj_bias: Tensor | None,
                   separate: bool, qkv_weights: tuple) -> tuple[Tensor, Tensor, Tensor]:
    """q, k, v from the packed ``(3E, E)`` weight (or the three separate ones)."""
    if in_proj_bias is None:
        bq = bk = bv = None
    else:
        bq, bk, bv = in_proj_bias.chunk(3)
    if separate:
        wq, wk, wv = qkv_weights
        if wq is None or wk is None or wv is None:
            raise ValueError("multi_head_attention_forward: use_separate_proj_weight needs "
                             "q_proj_weight, k_proj_weight and v_proj_weight")
    else:
        if in_proj_weight is None:
            raise ValueError("multi_head_attention_forward: in_proj_weight is None (pass "
                             "use_separate_proj_weight=True with the three weights)")
        wq, wk, wv = in_proj_weight.chunk(3)
    return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)


def _check_shapes(query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Any,
                  attn_mask: Any, num_heads: int) -> bool:
    """torch's ``_mha_shape_check``: True for batched (3-D) inputs, False for unbatched."""
    name = "multi_head_attention_forward"
    if query.ndim not in (2, 3):
        raise ValueError(f"{name}: query should be unbatched 2-D or batched 3-D, got "
                         f"{query.ndim}-D")
    batched = query.ndim == 3
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise ValueError(f"{name}: for a {query.ndim}-D query, expected {query.ndim}-D key and "
                         f"value, got {key.ndim}-D and {value.ndim}-D")
    if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
        raise ValueError(f"{name}: for a {query.ndim}-D query, expected key_padding_mask to be "
                         f"None or {query.ndim - 1}-D, got {key_padding_mask.ndim}-D")
    if attn_mask is not None:
        if attn_mask.ndim not in (2, 3):
            raise ValueError(f"{name}: expected attn_mask to be None, 2-D or 3-D, got "
                             f"{attn_mask.ndim}-D")
        if not batched and attn_mask.ndim == 3:
            want = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != want:
                raise ValueError(f"{name}: expected attn_mask of shape {want}, got "
                                 f"{tuple(attn_mask.shape)}")
    return batched


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
        out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """torch's multi-head attention on ``(L, N, E)`` inputs (or unbatched ``(L, E)``); returns
    ``(attn_output (L, N, E), attn_weights)``, the weights ``(N, L, S)`` averaged over heads (or
    ``(N, H, L, S)``), None unless ``need_weights``. Bool masks are True where attention is NOT
    allowed (MHA's convention, the opposite of ``scaled_dot_product_attention``'s); float masks
    are added. ``is_causal`` is torch's hint: ``attn_mask`` must then be given, and without
    ``key_padding_mask`` and ``need_weights`` the causal mask replaces it.
    With ``need_weights`` a query that may attend to nothing gives NaN, as in torch; without,
    0 (torch's safe softmax)."""
    name = "multi_head_attention_forward"
    batched = _check_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query)
    if is_causal and attn_mask is None:
        raise ValueError(f"{name}: need attn_mask if specifying the is_causal hint; "
                         "Transformer.generate_square_subsequent_mask makes one")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # as torch: the hint replaces the mask by the causal one
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", query)
        is_causal = False
    if embed_dim != embed_dim_to_check:
        raise ValueError(f"{name}: expected embedding dimension {embed_dim_to_check}, got "
                         f"{embed_dim} (query of shape {tuple(query.shape)})")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise ValueError(f"{name}: embed_dim {embed_dim} not divisible by num_heads "
                         f"{num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise ValueError(f"{name}: key's sequence and batch dimensions {key.shape[:2]} do "
                             f"not match value's {value.shape[:2]}")
    elif key.shape != value.shape:
        raise ValueError(f"{name}: key shape {tuple(key.shape)} does not match value shape "
                         f"{tuple(value.shape)}")
    q, k, v = _in_projection(query, key, value, embed_dim, in_proj_weight, in_proj_bias,
                             use_separate_proj_weight,
                             (q_proj_weight, k_proj_weight, v_proj_weight))
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise ValueError(f"{name}: the 2-D attn_mask has shape "
                                 f"{tuple(attn_mask.shape)}, but should be "
                                 f"{(tgt_len, src_len)}")
            attn_mask = attn_mask.unsqueeze(0)
        elif tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise ValueError(f"{name}: the 3-D attn_mask has shape {tuple(attn_mask.shape)}, "
                             f"but should be {(bsz * num_heads, tgt_len, src_len)}")
    if (bias_k is None) != (bias_v is None):
        raise ValueError(f"{name}: bias_k and bias_v must be given together")
    if bias_k is not None:
        if static_k is not None or static_v is not None:
            raise ValueError(f"{name}: bias cannot be added to a static key or value")
        k = cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, bsz * num_heads, head_dim, "static_k")
    v = _heads(v, static_v, bsz * num_heads, head_dim, "static_v")
    if add_zero_attn:
        k = cat([k, zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype, device=k.device)], 1)
        v = cat([v, zeros(bsz * num_heads, 1, head_dim, dtype=v.dtype, device=v.device)], 1)
        attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise ValueError(f"{name}: expected key_padding_mask of shape {(bsz, src_len)}, "
                             f"got {tuple(key_padding_mask.shape)}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(
            bsz, num_heads, 1, src_len).reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        scores = (q * math.sqrt(1.0 / head_dim)).matmul(k.transpose(-2, -1))
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = scores.softmax(-1)  # plain softmax: NaN rows where nothing is allowed, as torch
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        out = weights.matmul(v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        attn_mask = (attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1
                     else attn_mask.reshape(bsz, num_heads, -1, src_len))
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    return (out if batched else out.squeeze(1)), None


def _heads(t: Tensor, static: Tensor | None, bh: int, head_dim: int, name: str) -> Tensor:
    """``(S, N, E)`` -> ``(N*H, S, head_dim)``, or the given ``static_k``/``static_v``."""
    if static is None:
        return t.reshape(t.shape[0], bh, head_dim).transpose(0, 1)
    if static.shape[0] != bh or static.shape[2] != head_dim:
        raise ValueError(f"multi_head_attention_forward: expected {name} of shape "
                         f"({bh}, S, {head_dim}), got {tuple(static.shape)}")
    return static
