"""``nn.utils.parametrizations``: ``weight_norm`` and ``spectral_norm`` as parametrizations
(torch's current API), and the older ``nn.utils.weight_norm`` / ``spectral_norm`` that keep
``weight_g``/``weight_v`` or ``weight_orig`` on the module and recompute ``weight`` before each
forward pass.

- **Weight normalisation** (Salimans and Kingma, 2016): ``w = g v / ||v||``, the norm over every
  dimension but ``dim``.
- **Spectral normalisation** (Miyato et al., 2018): ``w / sigma(w)``, ``sigma`` the largest
  singular value of ``w`` as a matrix (dimension ``dim`` first), estimated by power iteration.
  Its vectors ``u`` and ``v`` are buffers, refined once per access in training mode (and
  fifteen times at registration, in the parametrization API only), and treated as constants by
  the gradient, as torch's. They start
  from the library's random draws, so ``sigma`` converges to the same value as torch's, but not
  through the same iterates.

>>> import tinygrad_gd as tg
>>> from tinygrad_gd.nn.utils.parametrizations import spectral_norm
>>> lin = spectral_norm(tg.nn.Linear(4, 3))
>>> for key in sorted(lin.state_dict()):
...     print(key)
bias
parametrizations.weight.0._u
parametrizations.weight.0._v
parametrizations.weight.original
"""

from __future__ import annotations

import warnings
from typing import Any

from ... import creation
from ...autograd import no_grad
from ...tensor import Tensor
from .. import functional as F
from ..module import Module, Parameter
from .parametrize import register_parametrization

__all__ = ["weight_norm", "spectral_norm"]


def _norm_except_dim(v: Tensor, dim: int | None) -> Tensor:
    """The 2-norm of ``v`` over every dimension but ``dim`` (all of them when None), kept
    broadcastable against ``v``."""
    if dim is None or v.ndim == 0:
        return v.norm()
    dim = dim % v.ndim
    axes = tuple(i for i in range(v.ndim) if i != dim)
    return (v * v).sum(dim=axes, keepdim=True).sqrt() if axes else v.abs()


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        dim = None if self.dim == -1 else self.dim
        return weight_v * (weight_g / _norm_except_dim(weight_v, dim))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        dim = None if self.dim == -1 else self.dim
        return _norm_except_dim(weight, dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Parametrize ``module.<name>`` as ``g v / ||v||``: ``original0`` is ``g``, ``original1``
    is ``v`` (``dim=None``: one norm over the whole tensor)."""
    return register_parametrization(module, name, _WeightNorm(dim), unsafe=True)


class _SpectralNorm(Module):
    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12, warmup: int = 15, v_first: bool = False) -> None:
        super().__init__()
        self.v_first = v_first  # the older API refines v, then u
        ndim = weight.ndim
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            mat = self._matrix(weight)
            h, w = mat.shape
            with no_grad():
                u = creation.randn(h, dtype=mat.dtype, device=mat.device)
                v = creation.randn(w, dtype=mat.dtype, device=mat.device)
                self.register_buffer("_u", F.normalize(u, dim=0, eps=eps))
                self.register_buffer("_v", F.normalize(v, dim=0, eps=eps))
            if warmup:
                self._power_method(mat, warmup)

    def _matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            order = [self.dim] + [d for d in range(weight.ndim) if d != self.dim]
            weight = weight.permute(*order)
        return weight.flatten(1)

    def _power_method(self, mat: Tensor, n: int) -> None:
        with no_grad():
            m = mat.detach()
            for _ in range(n):
                if self.v_first:
                    self._v.copy_(F.normalize(m.T @ self._u, dim=0, eps=self.eps))
                self._u.copy_(F.normalize(m @ self._v, dim=0, eps=self.eps))
                if not self.v_first:
                    self._v.copy_(F.normalize(m.T @ self._u, dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        mat = self._matrix(weight)
        if self.training:
            self._power_method(mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = (u * (mat @ v)).sum()
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def _default_dim(module: Module) -> int:
    from ..conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Parametrize ``module.<name>`` as ``w / sigma(w)`` (``dim``: the output dimension, 1 for
    transposed convolutions and 0 otherwise, as torch's)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"spectral_norm: module {type(module).__name__} has no parameter or "
                         f"buffer named {name!r}")
    dim = _default_dim(module) if dim is None else dim
    return register_parametrization(module, name,
                                    _SpectralNorm(weight, n_power_iterations, dim, eps))


# ------------------------------------------------------------------ the older, hook-based API
class _OldWeightNorm:
    def __init__(self, name: str, dim: int | None) -> None:
        self.name, self.dim = name, dim

    def compute(self, module: Module) -> Tensor:
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    def __call__(self, module: Module, args: Any) -> None:
        object.__setattr__(module, self.name, self.compute(module))


def old_weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """torch's older ``nn.utils.weight_norm``: parameters ``<name>_g`` and ``<name>_v``, and
    ``<name>`` recomputed before each forward pass (deprecated, as torch's)."""
    warnings.warn("tg.nn.utils.weight_norm is deprecated in favor of "
                  "tg.nn.utils.parametrizations.weight_norm", FutureWarning, stacklevel=2)
    weight = getattr(module, name)
    hook = _OldWeightNorm(name, dim)
    del module._parameters[name]
    module.__dict__.pop(name, None)
    module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, dim).detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    object.__setattr__(module, name, hook.compute(module))
    module.__dict__.setdefault("_old_norms", {})[name] = module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``weight_norm``: ``<name>`` is a parameter holding the normalised value again."""
    return _remove_old(module, name, (name + "_g", name + "_v"))


class _OldSpectralNorm:
    def __init__(self, name: str, norm: _SpectralNorm) -> None:
        self.name, self.norm = name, norm

    def compute(self, module: Module, update: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        norm = self.norm
        norm._u, norm._v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        norm.training = update
        return norm(weight)

    def __call__(self, module: Module, args: Any) -> None:
        object.__setattr__(module, self.name, self.compute(module, module.training))


def old_spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                      eps: float = 1e-12, dim: int | None = None) -> Module:
    """torch's older ``nn.utils.spectral_norm``: parameter ``<name>_orig``, buffers
    ``<name>_u`` and ``<name>_v``, and ``<name>`` recomputed before each forward pass."""
    weight = getattr(module, name)
    dim = _default_dim(module) if dim is None else dim
    # as torch's older API: u and v start random, refined only by the forward passes
    norm = _SpectralNorm(weight, n_power_iterations, dim, eps, warmup=0, v_first=True)
    del module._parameters[name]
    module.__dict__.pop(name, None)
    module.register_parameter(name + "_orig", Parameter(weight.detach()))
    module.register_buffer(name + "_u", norm._u)
    module.register_buffer(name + "_v", norm._v)
    hook = _OldSpectralNorm(name, norm)
    with no_grad():
        object.__setattr__(module, name, hook.compute(module, False))
    module.__dict__.setdefault("_old_norms", {})[name] = module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``spectral_norm``: ``<name>`` is a parameter holding the normalised value again."""
    return _remove_old(module, name, (name + "_orig", name + "_u", name + "_v"))


def _remove_old(module: Module, name: str, names: tuple[str, ...]) -> Module:
    handles = module.__dict__.get("_old_norms", {})
    if name not in handles:
        raise ValueError(f"no normalisation of {name!r} in {type(module).__name__}")
    handles.pop(name).remove()
    with no_grad():
        value = getattr(module, name).detach()
    for n in names:
        for reg in module._registries():
            reg.pop(n, None)
        module.__dict__.pop(n, None)
    module.__dict__.pop(name, None)
    module.register_parameter(name, Parameter(value))
    return module
