"""First-order optimizers: ``GD``, ``SGD``, ``RMSprop``, ``Adam``, ``AdamW``.

Every update runs in place on the backend arrays (``param.data``) with the array module's ufuncs and
``out=`` buffers, so a step costs a handful of vectorised passes per parameter and allocates nothing
after the first one. The formulas and defaults are PyTorch's, so the same hyper-parameters give the
same trajectory. Notation in the docstrings: ``g_t`` the gradient at step ``t`` (t = 1, 2, ...),
``x_t`` the parameter, ``lr`` the learning rate.
"""

from __future__ import annotations

import math
import weakref
from typing import Any

from .. import backend
from ..tensor import Tensor
from .optimizer import Optimizer, Params, _check_range, _zeros_like


def _torch_flags(maximize: bool, foreach: bool | None, differentiable: bool,
                 **more: Any) -> dict[str, Any]:
    """torch's keyword-only options, stored in every group as torch stores them.

    ``maximize`` ascends the objective (the gradient is negated first, before weight decay, as
    torch). ``foreach``, ``capturable`` and ``fused`` select torch kernels; every update here is
    already a few vectorised in-place passes, so they change nothing. ``differentiable=True``
    (autograd through the update itself) is not supported: the updates are in place on the
    arrays, outside the graph.
    """
    if differentiable:
        raise NotImplementedError("differentiable=True (autograd through the optimizer step) is "
                                  "not supported: updates run in place outside the graph")
    return {"maximize": bool(maximize), "foreach": foreach, "differentiable": False, **more}


class _FirstOrder(Optimizer):
    """Shared plumbing: scratch buffers (not state: they carry nothing between steps) and the
    loop over parameters that have a gradient."""

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        super().__init__(params, defaults)
        self._scratch: dict[tuple[int, Any, str], Any] = {}
        # (id(param), k) -> (a weak reference to the param's array, its view of the k-th buffer)
        self._views: dict[tuple[int, int], tuple[Any, Any]] = {}

    def _tmp(self, p: Tensor, k: int = 0) -> Any:
        """The k-th scratch array shaped like ``p``; its contents are garbage.

        Parameters are updated one after another, so all of them share one flat buffer per
        ``k`` (as large as the largest parameter): it stays in cache, where a buffer per
        parameter would not. Each parameter's view of it is made once, for the array
        ``p.data`` is then (another one, after ``model.double()`` or ``.to("cuda")``, gets its
        own view: an ``out=`` must match its dtype and device).
        """
        made = self._views.get((id(p), k))
        if made is not None and made[0]() is p.data:
            return made[1]
        key = (k, p.data.dtype, p.device)
        buf = self._scratch.get(key)
        n = p.data.size
        if buf is None or buf.size < n:
            size = max(q.numel() for g in self.param_groups for q in g["params"]
                       if q.dtype == p.dtype and q.device == p.device)
            buf = backend.xp_of(p.data).empty(max(size, n), dtype=p.data.dtype)
            self._scratch[key] = buf
            self._views = {key_: v for key_, v in self._views.items() if key_[1] != k}
        view = buf[:n].reshape(p.data.shape)
        self._views[(id(p), k)] = (weakref.ref(p.data), view)
        return view

    def _update(self, group: dict[str, Any]) -> None:
        maximize = group.get("maximize", False)
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            g = grad.data
            if g.shape != p.data.shape:
                raise ValueError(f"{type(self).__name__}: a gradient of shape {g.shape} for a "
                                 f"parameter of shape {p.data.shape}")
            xp = backend.xp_of(p.data)
            with backend.on_device(p._device):  # on GPU N, every kernel runs there
                if maximize:
                    g = xp.negative(g, out=self._tmp(p, 2))
                self._update_param(p, g, xp, group)
            p._version[0] += 1  # in place: a graph that saved p must notice

    def _update_param(self, p: Tensor, g: Any, xp: Any, group: dict[str, Any]) -> None:
        raise NotImplementedError  # pragma: no cover - abstract

    def _with_weight_decay(self, p: Tensor, g: Any, xp: Any, wd: float) -> Any:
        """``g + wd * x`` (L2 regularisation folded into the gradient), in a scratch buffer."""
        if wd == 0:
            return g
        out = self._tmp(p, 1)
        xp.multiply(p.data, wd, out=out)
        out += g
        return out


class GD(_FirstOrder):
    """Plain (full-batch) gradient descent: ``x_{t} = x_{t-1} - lr * g_t``.

    With the gradient of the loss over the whole training set this is batch gradient descent;
    ``SGD`` adds momentum, dampening, Nesterov and weight decay.

    >>> import tinygrad_gd as tg
    >>> x = tg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = tg.optim.GD([x], lr=0.25)
    >>> (x ** 2).sum().backward()        # g = 2x = [2, -4]
    >>> opt.step()
    >>> x.tolist()
    [0.5, -1.0]
    """

    def __init__(self, params: Params, lr: float = 1e-2) -> None:
        super().__init__(params, {"lr": lr})

    def _update_param(self, p, g, xp, group):
        step = self._tmp(p)
        xp.multiply(g, group["lr"], out=step)
        p.data -= step


class SGD(_FirstOrder):
    """Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (torch's
    conventions)::

        d_t = g_t + weight_decay * x_{t-1}
        b_1 = d_1;   b_t = momentum * b_{t-1} + (1 - dampening) * d_t      (momentum != 0)
        u_t = d_t + momentum * b_t   if nesterov   else   b_t              (u_t = d_t: no momentum)
        x_t = x_{t-1} - lr * u_t

    Note the learning rate multiplies the buffer (torch's form), unlike Sutskever's
    ``v = momentum * v - lr * g``; the two agree while ``lr`` is constant. ``maximize=True``
    uses ``-g_t`` (every optimizer here); ``lr`` defaults to 1e-3 as in torch 2.13.

    >>> import tinygrad_gd as tg
    >>> x = tg.tensor([1.0], requires_grad=True)
    >>> opt = tg.optim.SGD([x], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     (x ** 2).sum().backward()
    ...     opt.step()
    >>> round(x.item(), 6)      # 1 - 0.1*2 = 0.8; then b = 0.9*2 + 1.6 = 3.4, 0.8 - 0.34
    0.46
    """

    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov,
                                  **_torch_flags(maximize, foreach, differentiable,
                                                 fused=fused)})

    def _validate(self, group):
        super()._validate(group)
        _check_range("momentum", group["momentum"], 0.0, 1.0)
        _check_range("dampening", group["dampening"], 0.0, 1.0, high_open=False)
        _check_range("weight_decay", group["weight_decay"], 0.0)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening")

    def _update_param(self, p, g, xp, group):
        momentum, lr = group["momentum"], group["lr"]
        d = self._with_weight_decay(p, g, xp, group["weight_decay"])
        if momentum != 0:
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = {}
            kept = state.get("momentum_buffer")
            if kept is None:
                state["momentum_buffer"] = Tensor._make(d.copy(), p.device)
                buf = state["momentum_buffer"].data
            else:
                buf = kept.data
                buf *= momentum
                if group["dampening"] == 0:
                    buf += d
                else:
                    tmp = self._tmp(p)
                    xp.multiply(d, 1.0 - group["dampening"], out=tmp)
                    buf += tmp
            if group["nesterov"]:
                u = self._tmp(p)
                xp.multiply(buf, momentum, out=u)
                u += d
            else:
                u = buf
        else:
            u = d
        step = self._tmp(p)
        xp.multiply(u, lr, out=step)  # u may be `step` itself: a ufunc may write over its input
        p.data -= step


class RMSprop(_FirstOrder):
    """RMSprop (Hinton's lecture 6e, torch's variant)::

        d_t = g_t + weight_decay * x_{t-1}
        v_t = alpha * v_{t-1} + (1 - alpha) * d_t^2                       (v_0 = 0)
        centered:  m_t = alpha * m_{t-1} + (1 - alpha) * d_t,  s_t = sqrt(v_t - m_t^2) + eps
        otherwise: s_t = sqrt(v_t) + eps
        momentum > 0:  b_t = momentum * b_{t-1} + d_t / s_t,   x_t = x_{t-1} - lr * b_t
        otherwise:     x_t = x_{t-1} - lr * d_t / s_t
    """

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps,
                                  "weight_decay": weight_decay, "momentum": momentum,
                                  "centered": centered,
                                  **_torch_flags(maximize, foreach, differentiable,
                                                 capturable=capturable)})

    def _validate(self, group):
        super()._validate(group)
        _check_range("alpha", group["alpha"], 0.0, 1.0, high_open=False)
        _check_range("eps", group["eps"], 0.0)
        _check_range("weight_decay", group["weight_decay"], 0.0)
        _check_range("momentum", group["momentum"], 0.0, 1.0)

    def _update_param(self, p, g, xp, group):
        alpha, momentum = group["alpha"], group["momentum"]
        state = self.state.setdefault(p, {})
        if "square_avg" not in state:
            state["step"] = 0
            state["square_avg"] = _zeros_like(p)
            if momentum > 0:
                state["momentum_buffer"] = _zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = _zeros_like(p)
        state["step"] += 1
        d = self._with_weight_decay(p, g, xp, group["weight_decay"])
        tmp = self._tmp(p)
        v = state["square_avg"].data
        v *= alpha
        xp.multiply(d, d, out=tmp)
        tmp *= 1.0 - alpha
        v += tmp
        if group["centered"]:
            m = state["grad_avg"].data
            m *= alpha
            xp.multiply(d, 1.0 - alpha, out=tmp)
            m += tmp
            xp.multiply(m, m, out=tmp)
            xp.subtract(v, tmp, out=tmp)
            xp.sqrt(tmp, out=tmp)
        else:
            xp.sqrt(v, out=tmp)
        tmp += group["eps"]
        xp.divide(d, tmp, out=tmp)
        if momentum > 0:
            b = state["momentum_buffer"].data
            b *= momentum
            b += tmp
            xp.multiply(b, group["lr"], out=tmp)
        else:
            tmp *= group["lr"]
        p.data -= tmp


class Adam(_FirstOrder):
    """Adam (Kingma & Ba, 2015), with torch's defaults; ``weight_decay`` is L2 added to the
    gradient (``decoupled_weight_decay=True`` makes it ``AdamW``)::

        d_t = g_t + weight_decay * x_{t-1}
        m_t = beta1 * m_{t-1} + (1 - beta1) * d_t                        (m_0 = v_0 = 0)
        v_t = beta2 * v_{t-1} + (1 - beta2) * d_t^2
        v^_t = max(v^_{t-1}, v_t)  if amsgrad  else  v_t
        x_t = x_{t-1} - lr / (1 - beta1^t) * m_t / (sqrt(v^_t / (1 - beta2^t)) + eps)

    >>> import tinygrad_gd as tg
    >>> x = tg.tensor([1.0], requires_grad=True)
    >>> opt = tg.optim.Adam([x], lr=0.1)
    >>> (x ** 2).sum().backward()
    >>> opt.step()                # the first step has length lr whatever the gradient's scale
    >>> round(x.item(), 6)
    0.9
    """

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay, "amsgrad": amsgrad,
                                  **_torch_flags(maximize, foreach, differentiable,
                                                 capturable=capturable, fused=fused,
                                                 decoupled_weight_decay=decoupled_weight_decay)})

    def _validate(self, group):
        super()._validate(group)
        betas = group["betas"]
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(f"invalid betas: {betas!r} (must be a pair (beta1, beta2))")
        _check_range("beta parameter at index 0", betas[0], 0.0, 1.0)
        _check_range("beta parameter at index 1", betas[1], 0.0, 1.0)
        _check_range("eps", group["eps"], 0.0)
        _check_range("weight_decay", group["weight_decay"], 0.0)

    def _update_param(self, p, g, xp, group):
        beta1, beta2 = group["betas"]
        lr, wd = group["lr"], group["weight_decay"]
        state = self.state.setdefault(p, {})
        if "exp_avg" not in state:
            state["step"] = 0
            state["exp_avg"] = _zeros_like(p)
            state["exp_avg_sq"] = _zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = _zeros_like(p)
        state["step"] += 1
        t = state["step"]
        if group["decoupled_weight_decay"]:
            p.data *= 1.0 - lr * wd
            d = g
        else:
            d = self._with_weight_decay(p, g, xp, wd)
        tmp = self._tmp(p)
        m, v = state["exp_avg"].data, state["exp_avg_sq"].data
        m *= beta1
        xp.multiply(d, 1.0 - beta1, out=tmp)
        m += tmp
        v *= beta2
        xp.multiply(d, d, out=tmp)
        tmp *= 1.0 - beta2
        v += tmp
        if group["amsgrad"]:
            vmax = state["max_exp_avg_sq"].data
            xp.maximum(vmax, v, out=vmax)
            v = vmax
        xp.sqrt(v, out=tmp)
        tmp *= 1.0 / math.sqrt(1.0 - beta2 ** t)
        tmp += group["eps"]
        xp.divide(m, tmp, out=tmp)
        tmp *= lr / (1.0 - beta1 ** t)
        p.data -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): the parameter shrinks by
    ``lr * weight_decay`` before the Adam step, and the decay never enters ``m`` or ``v``::

        x'_{t-1} = (1 - lr * weight_decay) * x_{t-1}
        m_t, v_t, v^_t as in Adam with d_t = g_t
        x_t = x'_{t-1} - lr / (1 - beta1^t) * m_t / (sqrt(v^_t / (1 - beta2^t)) + eps)

    Defaults as torch (``weight_decay=1e-2``).
    """

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
