"""``tg.jit`` over the whole op table (``tests/test_ops.py``): for every row, a jitted function
computing the op and its gradient (``tg.autograd.grad``, with a fixed cotangent) is traced on one
draw and replayed on other values of the same shapes; the replay must equal the eager run on
those values. Never a stale value from the trace."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_ops import ROWS, SETTINGS, TG, _as_tuple, _draw

import tinygrad_gd as tg
from tinygrad_gd.jit import JitError

JIT_SETTINGS = settings(SETTINGS, max_examples=2)

# rows that read values into NumPy themselves (to fix the signs of eigenvectors and singular
# vectors): tracing them must refuse, by design
REFUSED = {"eigh", "svd", "qr"}


def _program(row, params, seed):
    """The op's outputs and the gradient of ``sum(c_k * out_k)`` for fixed cotangents ``c``."""
    rng = np.random.default_rng(seed)
    cots: dict[int, tg.Tensor] = {}

    def f(*xs):
        outs = _as_tuple(row.fn(TG, *xs, **params))
        total = None
        for k, o in enumerate(outs):
            if not isinstance(o, tg.Tensor) or not o.dtype.kind == "f" or not o.requires_grad:
                continue
            if k not in cots:
                cots[k] = tg.tensor(rng.standard_normal(o.shape), device=o.device)
            term = (o * cots[k]).sum()
            total = term if total is None else total + term
        grads = () if total is None else tg.autograd.grad(total, xs, allow_unused=True)
        return tuple(outs) + tuple(g for g in grads if g is not None)
    return f


def _run(fn, arrays, device="cpu"):
    xs = [tg.tensor(a, dtype="float64", requires_grad=True, device=device) for a in arrays]
    return [o.detach().numpy() if isinstance(o, tg.Tensor) else o for o in fn(*xs)]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
@JIT_SETTINGS
@given(data=st.data())
def test_replay_equals_eager_on_new_values(row, data, device):
    """On a GPU: the trace's host dry run, then a plain replay, a replay capturing CUDA graphs
    and one launching them, each equal to the eager run."""
    arrays, params = _draw(row, data)
    # the replay's inputs: every value scaled by 1.01, so each output changes (a stale value from
    # the trace shows) while the branches the library takes on values (zeros, ties, signs, the
    # domain checks) stay those of the trace: its guards must pass
    again = [a * 1.01 for a in arrays]
    f = _program(row, params, 0)
    _run(f, arrays, device)  # makes the cotangents (a tensor made while tracing must not be kept)
    jitted = tg.jit(f)
    if row.name in REFUSED:
        with pytest.raises(JitError, match="reads a tensor's values"):
            _run(jitted, arrays, device)
        return
    _run(jitted, arrays, device)
    runs = [_run(jitted, again, device) for _ in range(1 if device == "cpu" else 2)]
    assert jitted.traces == 1, f"{row.name}: traced again on the same signature"
    want = _run(f, again, device)
    for got in runs:
        assert len(got) == len(want)
        for k, (g, w) in enumerate(zip(got, want)):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12,
                                       err_msg=f"{row.name}: output {k} of the replay")
