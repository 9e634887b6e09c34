"""Finite-difference checks of analytic derivatives: ``numerical_jacobian``, ``gradcheck`` and
``gradgradcheck``, usable on any function of Tensors (the library's own ops and users' code).

Central differences, ``(f(x + h) - f(x - h)) / 2h``, have error O(h^2); in float64 with h = 1e-6
that leaves about 1e-10 of truncation and round-off error, far below the default tolerances.
In float32 round-off alone is ~1e-2, so a warning says to check in float64.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import backend
from .autograd import no_grad
from .autograd.functional import _as_tuple, jacobian, vjp
from .tensor import Tensor


class GradcheckError(AssertionError):
    """A gradient check failed; the message names the input, element and values."""


def _inputs(inputs: Any) -> tuple[Tensor, ...]:
    ins, _ = _as_tuple(inputs, "inputs")
    return ins


def _all_inputs(inputs: Any) -> tuple[Any, ...]:
    """The arguments of ``func``: Tensors and, as torch allows, plain values passed through."""
    if isinstance(inputs, (tuple, list)):
        return tuple(inputs)
    return (inputs,)


def _warn_precision(ins: Sequence[Any], name: str) -> None:
    for i, t in enumerate(ins):
        if (isinstance(t, Tensor) and backend.is_floating(t.dtype)
                and t.dtype != np.float64):  # (int indices are exact)
            warnings.warn(
                f"{name}: input {i} is {t.dtype}, not float64; finite differences in low "
                "precision are unreliable (pass .double() inputs)", UserWarning, stacklevel=3)


def _flat_outputs(func: Callable, ins: Sequence[Tensor]) -> list[np.ndarray]:
    with no_grad():
        out, _ = _as_tuple(func(*ins), "func's output")
    return [o.numpy().astype(np.float64).ravel() for o in out]


def numerical_jacobian(func: Callable, inputs: Any, eps: float = 1e-6):
    """The Jacobian by central differences, shaped ``output.shape + input.shape`` like
    ``tg.jacobian`` (a tuple per output and input when there are several)."""
    ins = _inputs(inputs)
    with no_grad():
        outs, single_out = _as_tuple(func(*ins), "func's output")
    per_out: list[list[np.ndarray]] = [[] for _ in outs]
    for t in ins:
        if not backend.is_floating(t.dtype):
            raise TypeError(f"numerical_jacobian: inputs must be floating point, got {t.dtype}")
        host = t.numpy().astype(t.dtype)
        cols: list[list[np.ndarray]] = [[] for _ in outs]
        flat = host.reshape(-1)
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + eps
            plus = _flat_outputs(func, _replace(ins, t, host))
            flat[k] = orig - eps
            minus = _flat_outputs(func, _replace(ins, t, host))
            flat[k] = orig
            for j, (p, m) in enumerate(zip(plus, minus)):
                cols[j].append((p - m) / (2 * eps))
        for j, o in enumerate(outs):
            block = np.stack(cols[j], axis=1) if cols[j] else np.zeros((o.numel(), 0))
            per_out[j].append(block.reshape(o.shape + t.shape))
    result = [Tensor(b, dtype=np.float64) for row in per_out for b in row]
    n_in = len(ins)
    rows = [tuple(result[j * n_in:(j + 1) * n_in]) for j in range(len(outs))]
    single_in = isinstance(inputs, Tensor)
    rows = [r[0] if single_in else r for r in rows]
    return rows[0] if single_out else tuple(rows)


def _replace(ins: Sequence[Tensor], target: Tensor, host: np.ndarray) -> list[Tensor]:
    return [Tensor(host.copy(), device=t.device) if t is target else t.detach() for t in ins]


def _compare(analytic: np.ndarray, numeric: np.ndarray, atol: float, rtol: float, label: str,
             input_index: int, raise_exception: bool, out_ndim: int = 0,
             dtype: Any = np.float64) -> bool:
    err = np.abs(analytic - numeric)
    bound = atol + rtol * np.abs(numeric)
    bad = ~(err <= bound)  # also catches nan
    if not bad.any():
        return True
    worst = np.unravel_index(int(np.argmax(np.where(bad, np.nan_to_num(err, nan=np.inf), -1))),
                             err.shape)
    worst = tuple(int(i) for i in worst)
    # the Jacobian's index is the output's index followed by the input's
    where = f"output element {worst[:out_ndim]}, input element {worst[out_ndim:]}"
    msg = (f"{label} mismatch for input {input_index} at element {worst} ({where}): "
           f"analytic {float(analytic[worst])!r}, numerical {float(numeric[worst])!r}, "
           f"error {float(err[worst])!r} > atol {atol} + rtol {rtol} * |numerical| "
           f"({int(bad.sum())} of {bad.size} elements differ)")
    if np.dtype(dtype) != np.float64:  # the likely cause: say so in the failure itself
        msg += (f"; input {input_index} is {np.dtype(dtype)}: finite differences need float64 "
                "inputs (pass .double() tensors)")
    if raise_exception:
        raise GradcheckError(msg)
    warnings.warn(msg, UserWarning, stacklevel=3)
    return False


def gradcheck(func: Callable, inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, **torch_options: Any) -> bool:
    """Compare ``tg.jacobian`` with central differences for every input that requires grad.

    ``inputs`` may mix Tensors with plain values (ints, floats, None, strings), which are passed
    to ``func`` unchanged; Tensors that do not require grad are not checked. torch's further
    options (``nondet_tol``, ``fast_mode``, ``check_undefined_grad``, ...) are accepted and
    change nothing: the check is always the full, slow one.

    >>> import tinygrad_gd as tg
    >>> x = tg.randn(3, dtype="float64", requires_grad=True)
    >>> tg.gradcheck(lambda t: (t.sin() * t).sum(), x)
    True
    """
    _check_options(torch_options, "gradcheck")
    ins = _all_inputs(inputs)
    _warn_precision(ins, "gradcheck")
    diff = [i for i, t in enumerate(ins) if isinstance(t, Tensor) and t.requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    ok = True
    for i in diff:
        def f_i(x: Tensor, i: int = i) -> Any:
            return func(*[x if j == i else t.detach() if isinstance(t, Tensor) else t
                          for j, t in enumerate(ins)])

        analytic = jacobian(f_i, ins[i])
        numeric = numerical_jacobian(f_i, ins[i].detach(), eps=eps)
        analytic = (analytic,) if isinstance(analytic, Tensor) else analytic
        numeric = (numeric,) if isinstance(numeric, Tensor) else numeric
        for k, (a, n) in enumerate(zip(analytic, numeric)):
            label = "gradient" if len(analytic) == 1 else f"gradient of output {k}"
            ok &= _compare(a.numpy().astype(np.float64), n.numpy(), atol, rtol, label, i,
                           raise_exception, out_ndim=a.ndim - ins[i].ndim, dtype=ins[i].dtype)
    return bool(ok)


def gradgradcheck(func: Callable, inputs: Any, grad_outputs: Any = None, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
                  **torch_options: Any) -> bool:
    """Check second derivatives: ``gradcheck`` of the map (inputs, v) -> v^T J, built with
    ``create_graph=True``. ``grad_outputs`` (the ``v``) is random when not given.

    >>> import tinygrad_gd as tg
    >>> x = tg.randn(3, dtype="float64", requires_grad=True)
    >>> tg.gradgradcheck(lambda t: t.tanh(), x)
    True
    """
    _check_options(torch_options, "gradgradcheck")
    ins = _all_inputs(inputs)
    _warn_precision(ins, "gradgradcheck")
    with no_grad():
        outs, _ = _as_tuple(func(*ins), "func's output")
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        vs = tuple(Tensor(rng.standard_normal(o.shape), dtype=o.dtype, device=o.device)
                   .requires_grad_() for o in outs)
    else:
        vs = _inputs(grad_outputs)
        vs = tuple(v.detach().requires_grad_() for v in vs)
    diff = [i for i, t in enumerate(ins) if isinstance(t, Tensor) and t.requires_grad]
    n_in = len(ins)

    def first_derivative(*args: Tensor):
        xs, v = args[:n_in], args[n_in:]

        def of_diff_inputs(*ds: Tensor):  # the others (int indices, constants) stay fixed
            full = list(xs)
            for j, d in zip(diff, ds):
                full[j] = d
            return func(*full)

        _, gs = vjp(of_diff_inputs, tuple(xs[j] for j in diff), tuple(v), create_graph=True)
        return tuple(gs)

    return gradcheck(first_derivative, tuple(ins) + vs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)


_TORCH_OPTIONS = {"nondet_tol", "check_undefined_grad", "check_grad_dtypes", "check_batched_grad",
                  "check_batched_forward_grad", "check_forward_ad", "check_backward_ad",
                  "fast_mode", "masked", "gen_non_contig_grad_outputs", "check_fwd_over_rev",
                  "check_rev_over_rev"}


def _check_options(options: dict[str, Any], name: str) -> None:
    unknown = sorted(set(options) - _TORCH_OPTIONS)
    if unknown:
        raise TypeError(f"{name}() got unexpected keyword arguments: {', '.join(unknown)}")
