"""Resampling: ``interpolate`` (``"nearest"``, ``"nearest-exact"``, ``"linear"``,
``"bilinear"``, ``"trilinear"``, ``"area"``) of ``(N, C, L)``, ``(N, C, H, W)`` and
``(N, C, D, H, W)`` inputs, and torch's older names
``upsample``, ``upsample_nearest``, ``upsample_bilinear``.

Nearest modes gather rows and columns (the gradient adds up the copies); linear modes multiply
by one small interpolation matrix per axis, ``out = M_h @ x @ M_w.T``, since bilinear (and
trilinear) interpolation is separable.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import backend
from ...tensor import Tensor
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d
from .volumetric import adaptive_avg_pool3d

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear", "area")
_LINEAR_NDIM = {"linear": 3, "bilinear": 4, "trilinear": 5}


def _out_sizes(in_sizes: tuple[int, ...], size: Any, scale_factor: Any
               ) -> tuple[tuple[int, ...], tuple[float | None, ...]]:
    k = len(in_sizes)
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: exactly one of size and scale_factor must be given")
    if size is not None:
        sizes = (size,) * k if isinstance(size, (int, np.integer)) else tuple(size)
        if len(sizes) != k:
            raise ValueError(f"interpolate: size {size!r} must have {k} entries for a "
                             f"{k + 2}-D input")
        return tuple(int(s) for s in sizes), (None,) * k
    scales = ((scale_factor,) * k if isinstance(scale_factor, (int, float, np.number))
              else tuple(scale_factor))
    if len(scales) != k:
        raise ValueError(f"interpolate: scale_factor {scale_factor!r} must have {k} entries for "
                         f"a {k + 2}-D input")
    return tuple(int(math.floor(n * float(s))) for n, s in zip(in_sizes, scales)), tuple(
        float(s) for s in scales)


def _nearest_index(n_in: int, n_out: int, scale: float | None, exact: bool) -> np.ndarray:
    """torch's source index, computed in float32 as its kernels do."""
    s = np.float32(n_in / n_out if scale is None else 1.0 / scale)
    dst = np.arange(n_out, dtype=np.float32)
    if exact:
        dst = dst + np.float32(0.5)
    return np.minimum(np.floor(dst * s).astype(np.int64), n_in - 1)


def _linear_matrix(n_in: int, n_out: int, scale: float | None, align_corners: bool
                   ) -> np.ndarray:
    """``(n_out, n_in)`` weights of linear interpolation along one axis (torch's source index:
    ``align_corners`` maps the corner pixels' centres onto each other)."""
    dst = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        s = n_in / n_out if scale is None else 1.0 / scale
        src = np.maximum(s * (dst + 0.5) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    w1 = src - i0
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(m, (rows, i0), 1.0 - w1)
    np.add.at(m, (rows, i1), w1)
    return m


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,  # noqa: A002
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize ``input (N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)`` to ``size`` or by
    ``scale_factor`` (``"linear"``, ``"bilinear"``, ``"trilinear"`` for 3-, 4-, 5-D inputs).

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.interpolate(tg.tensor([[[1.0, 2.0]]]), scale_factor=2).tolist()
    [[[1.0, 1.0, 2.0, 2.0]]]
    >>> F.interpolate(tg.tensor([[[1.0, 2.0]]]), size=3, mode="linear",
    ...               align_corners=True).tolist()
    [[[1.0, 1.5, 2.0]]]
    """
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not implemented; expected one "
                                  f"of {_MODES}")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not implemented")
    if input.ndim not in (3, 4, 5):
        raise ValueError(f"interpolate: expected a 3-D (N, C, L), 4-D (N, C, H, W) or 5-D "
                         f"(N, C, D, H, W) input, got shape {tuple(input.shape)}")
    linear = mode in _LINEAR_NDIM
    if align_corners is not None and not linear:
        raise ValueError("interpolate: align_corners option can only be set with the "
                         "interpolating modes: linear | bilinear | bicubic | trilinear")
    if linear and input.ndim != _LINEAR_NDIM[mode]:
        raise ValueError(f"interpolate: mode {mode!r} expects a {_LINEAR_NDIM[mode]}-D input, "
                         f"got shape {tuple(input.shape)}")
    in_sizes = tuple(input.shape[2:])
    out_sizes, scales = _out_sizes(in_sizes, size, scale_factor)
    if min(out_sizes) < 1:
        raise ValueError(f"interpolate: output size {out_sizes} must be positive")
    if recompute_scale_factor:
        scales = (None,) * len(scales)
    if mode == "area":
        pool = {3: adaptive_avg_pool1d, 4: adaptive_avg_pool2d}.get(input.ndim,
                                                                    adaptive_avg_pool3d)
        return pool(input, out_sizes)
    xp = backend.xp_of(input.data)
    out = input
    for axis, (n_in, n_out, scale) in enumerate(zip(in_sizes, out_sizes, scales)):
        dim = 2 + axis
        if linear:
            if n_in == n_out and (scale is None or scale == 1.0):
                continue
            m = _linear_matrix(n_in, n_out, scale, bool(align_corners))
            const = input._const(xp.asarray(m, dtype=input.dtype))
            # the last axis: x @ M.T; the one before: M @ x; depth: moved last and back
            if dim == input.ndim - 1:
                out = out.matmul(const.T)
            elif dim == input.ndim - 2:
                out = const.matmul(out)
            else:
                out = out.movedim(dim, -1).matmul(const.T).movedim(-1, dim)
        else:
            idx = _nearest_index(n_in, n_out, scale, mode == "nearest-exact")
            if n_in == n_out and (idx == np.arange(n_in)).all():
                continue
            out = out[(slice(None),) * dim + (xp.asarray(idx),)]
    return out


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None,  # noqa: A002
             mode: str = "nearest", align_corners: bool | None = None) -> Tensor:
    """torch's older name of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None,  # noqa: A002
                     scale_factor: Any = None) -> Tensor:
    """``interpolate(..., mode="nearest")``."""
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(input: Tensor, size: Any = None,  # noqa: A002
                      scale_factor: Any = None) -> Tensor:
    """``interpolate(..., mode="bilinear", align_corners=True)`` (torch's old default)."""
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)
