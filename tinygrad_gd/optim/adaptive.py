"""More adaptive first-order optimizers with torch's formulas and defaults: ``Adagrad``,
``Adadelta``, ``Adamax``, ``NAdam``, ``RAdam``.

Notation as in ``first_order.py``: ``g_t`` the gradient at step ``t`` (negated with
``maximize=True``), ``x_t`` the parameter, ``lr`` the learning rate; ``d_t = g_t + weight_decay *
x_{t-1}`` (L2 decay folded into the gradient) unless the decay is decoupled.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor
from .first_order import _FirstOrder, _torch_flags
from .optimizer import Params, _check_range, _zeros_like

__all__ = ["Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"]


def _buf(state: dict[str, Any], key: str, p: Tensor) -> Any:
    """The state array ``key`` (zeros, made on first use)."""
    if key not in state:
        state[key] = _zeros_like(p)
    return state[key].data


def _check_betas(betas: Any) -> None:
    if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
        raise ValueError(f"invalid betas: {betas!r} (must be a pair (beta1, beta2))")
    _check_range("beta parameter at index 0", betas[0], 0.0, 1.0)
    _check_range("beta parameter at index 1", betas[1], 0.0, 1.0)


class _Adaptive(_FirstOrder):
    def _validate(self, group):
        super()._validate(group)
        _check_range("eps", group["eps"], 0.0)
        _check_range("weight_decay", group["weight_decay"], 0.0)
        if "betas" in group:
            _check_betas(group["betas"])

    def _decay(self, p: Tensor, g: Any, group: dict[str, Any]) -> Any:
        """The gradient with L2 decay folded in, or ``g`` after a decoupled decay of ``p``."""
        wd = group["weight_decay"]
        if wd and group.get("decoupled_weight_decay", False):
            p.data *= 1.0 - group["lr"] * wd
            return g
        return g + wd * p.data if wd else g


class Adagrad(_Adaptive):
    """Adagrad (Duchi et al., 2011)::

        lr_t = lr / (1 + (t - 1) * lr_decay)
        s_t = s_{t-1} + d_t^2                      (s_0 = initial_accumulator_value)
        x_t = x_{t-1} - lr_t * d_t / (sqrt(s_t) + eps)

    >>> import tinygrad_gd as tg
    >>> x = tg.tensor([1.0], requires_grad=True)
    >>> opt = tg.optim.Adagrad([x], lr=0.5)
    >>> (x ** 2).sum().backward()
    >>> opt.step()                           # 1 - 0.5 * 2 / sqrt(4)
    >>> round(x.item(), 6)
    0.5
    """

    def __init__(self, params: Params, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "eps": eps,
                                  "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  **_torch_flags(maximize, foreach, differentiable,
                                                 fused=fused)})
        for group in self.param_groups:  # torch makes the state at once (state_dict shows it)
            for p in group["params"]:
                xp = backend.xp_of(p.data)
                self.state[p] = {"step": 0, "sum": Tensor._make(
                    xp.full(p.shape, group["initial_accumulator_value"], dtype=p.data.dtype),
                    p.device)}

    def _validate(self, group):
        super()._validate(group)
        _check_range("lr_decay", group["lr_decay"], 0.0)
        _check_range("initial_accumulator_value", group["initial_accumulator_value"], 0.0)

    def _update_param(self, p, g, xp, group):
        state = self.state.setdefault(p, {})
        state["step"] = state.get("step", 0) + 1
        d = self._decay(p, g, group)
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s = _buf(state, "sum", p)
        s += d * d
        p.data -= clr * (d / (xp.sqrt(s) + group["eps"]))


class Adadelta(_Adaptive):
    """Adadelta (Zeiler, 2012)::

        v_t = rho * v_{t-1} + (1 - rho) * d_t^2
        u_t = sqrt(a_{t-1} + eps) / sqrt(v_t + eps) * d_t
        a_t = rho * a_{t-1} + (1 - rho) * u_t^2                (v_0 = a_0 = 0)
        x_t = x_{t-1} - lr * u_t
    """

    def __init__(self, params: Params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                                  **_torch_flags(maximize, foreach, differentiable,
                                                 capturable=capturable)})

    def _validate(self, group):
        super()._validate(group)
        _check_range("rho", group["rho"], 0.0, 1.0, high_open=False)

    def _update_param(self, p, g, xp, group):
        state = self.state.setdefault(p, {})
        state["step"] = state.get("step", 0) + 1
        rho, eps = group["rho"], group["eps"]
        d = self._decay(p, g, group)
        v, a = _buf(state, "square_avg", p), _buf(state, "acc_delta", p)
        v *= rho
        v += (1 - rho) * (d * d)
        u = xp.sqrt(a + eps) / xp.sqrt(v + eps) * d
        a *= rho
        a += (1 - rho) * (u * u)
        p.data -= group["lr"] * u


class Adamax(_Adaptive):
    """Adamax, Adam's infinity-norm variant (Kingma & Ba, 2015)::

        m_t = beta1 * m_{t-1} + (1 - beta1) * d_t
        u_t = max(beta2 * u_{t-1}, |d_t| + eps)                    (m_0 = u_0 = 0)
        x_t = x_{t-1} - lr / (1 - beta1^t) * m_t / u_t
    """

    def __init__(self, params: Params, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay,
                                  **_torch_flags(maximize, foreach, differentiable,
                                                 capturable=capturable)})

    def _update_param(self, p, g, xp, group):
        state = self.state.setdefault(p, {})
        state["step"] = t = state.get("step", 0) + 1
        beta1, beta2 = group["betas"]
        d = self._decay(p, g, group)
        m, u = _buf(state, "exp_avg", p), _buf(state, "exp_inf", p)
        m += (1 - beta1) * (d - m)  # torch's lerp
        xp.maximum(u * beta2, xp.abs(d) + group["eps"], out=u)
        p.data -= (group["lr"] / (1 - beta1 ** t)) * (m / u)


class NAdam(_Adaptive):
    """Adam with Nesterov momentum (Dozat, 2016), torch's form with momentum decay::

        mu_t = beta1 * (1 - 0.96^(t * momentum_decay) / 2),   P_t = mu_1 ... mu_t
        m_t, v_t as in Adam;  s_t = sqrt(v_t / (1 - beta2^t)) + eps
        x_t = x_{t-1} - lr (1 - mu_t) / (1 - P_t) * d_t / s_t
                      - lr mu_{t+1} / (1 - P_t mu_{t+1}) * m_t / s_t

    ``decoupled_weight_decay=True`` shrinks ``x`` by ``lr * weight_decay`` first (NAdamW).
    """

    def __init__(self, params: Params, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay, "momentum_decay": momentum_decay,
                                  "decoupled_weight_decay": decoupled_weight_decay,
                                  **_torch_flags(maximize, foreach, differentiable,
                                                 capturable=capturable)})

    def _validate(self, group):
        super()._validate(group)
        _check_range("momentum_decay", group["momentum_decay"], 0.0)

    def _update_param(self, p, g, xp, group):
        state = self.state.setdefault(p, {})
        state["step"] = t = state.get("step", 0) + 1
        state.setdefault("mu_product", 1.0)
        beta1, beta2 = group["betas"]
        lr, md = group["lr"], group["momentum_decay"]
        d = self._decay(p, g, group)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * md))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * md))
        # torch keeps mu_product as a float32 scalar tensor (its default scalar dtype): round
        # as it does, or trajectories drift apart by ~1e-9 relative
        state["mu_product"] = float(np.float32(state["mu_product"]) * np.float32(mu))
        prod = state["mu_product"]
        m, v = _buf(state, "exp_avg", p), _buf(state, "exp_avg_sq", p)
        m += (1 - beta1) * (d - m)
        v *= beta2
        v += (1 - beta2) * (d * d)
        denom = xp.sqrt(v / (1 - beta2 ** t)) + group["eps"]
        p.data += (-lr * (1.0 - mu) / (1.0 - prod)) * (d / denom)
        p.data += (-lr * mu_next / (1.0 - prod * mu_next)) * (m / denom)


class RAdam(_Adaptive):
    """Rectified Adam (Liu et al., 2020)::

        m_t, v_t as in Adam;  rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        rho_t > 5:  r_t = sqrt((rho_t - 4) (rho_t - 2) rho_inf
                               / ((rho_inf - 4) (rho_inf - 2) rho_t))
                    x_t = x_{t-1} - lr r_t m_t / (1 - beta1^t)
                                  * sqrt(1 - beta2^t) / (sqrt(v_t) + eps)
        otherwise:  x_t = x_{t-1} - lr m_t / (1 - beta1^t)        (plain momentum, warm-up)

    ``decoupled_weight_decay=True`` shrinks ``x`` by ``lr * weight_decay`` first (RAdamW).
    """

    def __init__(self, params: Params, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay,
                                  "decoupled_weight_decay": decoupled_weight_decay,
                                  **_torch_flags(maximize, foreach, differentiable,
                                                 capturable=capturable)})

    def _update_param(self, p, g, xp, group):
        state = self.state.setdefault(p, {})
        state["step"] = t = state.get("step", 0) + 1
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        d = self._decay(p, g, group)
        m, v = _buf(state, "exp_avg", p), _buf(state, "exp_avg_sq", p)
        m += (1 - beta1) * (d - m)
        v *= beta2
        v += (1 - beta2) * (d * d)
        bc1, bc2 = 1 - beta1 ** t, 1 - beta2 ** t
        corrected = m / bc1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2 ** t) / bc2
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = math.sqrt(bc2) / (xp.sqrt(v) + group["eps"])
            p.data += corrected * lr * adaptive * rect * -1.0
        else:
            p.data += corrected * lr * -1.0
