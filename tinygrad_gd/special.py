"""``tg.special``: torch.special's names for the library's special functions (the gamma
family, the error functions, the logistic pair, ...), plus ``entr``, ``ndtr`` and ``log_ndtr``.

>>> import tinygrad_gd as tg
>>> f"{tg.special.gammaln(tg.tensor(5.0, dtype='float64')).item():.10f}"   # log 4!
'3.1780538303'
"""

from __future__ import annotations

import math
from typing import Any

from . import functions as _f
from .methods import extras as _e
from .methods import pointwise as _p
from .tensor import Tensor

__all__ = ["gammaln", "digamma", "psi", "polygamma", "multigammaln", "erf", "erfc", "erfinv",
           "expit", "logit", "xlogy", "sinc", "entr", "ndtr", "log_ndtr", "logsumexp",
           "softmax", "log_softmax", "log1p", "expm1", "exp2", "round"]


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def gammaln(input: Any) -> Tensor:  # noqa: A002
    """log |Gamma(x)| (``lgamma``)."""
    return _t(input).lgamma()


def digamma(input: Any) -> Tensor:  # noqa: A002
    """The derivative of ``gammaln``."""
    return _t(input).digamma()


psi = digamma


def polygamma(n: int, input: Any) -> Tensor:  # noqa: A002
    """The n-th derivative of ``digamma``."""
    return _t(input).polygamma(n)


def multigammaln(input: Any, p: int) -> Tensor:  # noqa: A002
    """The multivariate log-gamma of dimension ``p`` (``mvlgamma``)."""
    return _t(input).mvlgamma(p)


def expit(input: Any) -> Tensor:  # noqa: A002
    """The logistic function 1 / (1 + e^-x) (``sigmoid``)."""
    return _t(input).sigmoid()


def entr(input: Any) -> Tensor:  # noqa: A002
    """``-x log x`` elementwise: 0 at 0, -inf below 0 (torch's)."""
    x = _t(input)._as_float()
    inner = -_e.xlogy(x, x)
    return inner.masked_fill(x < 0, float("-inf"))


def ndtr(input: Any) -> Tensor:  # noqa: A002
    """The standard normal's CDF."""
    x = _t(input)._as_float()
    return 0.5 * (1 + (x * (1 / math.sqrt(2))).erf())


def log_ndtr(input: Any) -> Tensor:  # noqa: A002
    """log of the standard normal's CDF, without underflow far in the left tail (there
    ``log(erfc(-x / sqrt 2) / 2)``, whose erfc does not round to 0 before ~ -26)."""
    x = _t(input)._as_float()
    return ((-x * (1 / math.sqrt(2))).erfc() * 0.5).log()


erf, erfc, erfinv = _p.erf, _p.erfc, _p.erfinv
logit, xlogy, sinc = _e.logit, _e.xlogy, _e.sinc
logsumexp, softmax, log_softmax = _f.logsumexp, _f.softmax, _f.log_softmax
log1p, expm1, exp2, round = _p.log1p, _p.expm1, _p.exp2, _p.round  # noqa: A001
