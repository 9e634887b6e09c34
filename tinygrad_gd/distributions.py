"""``tg.distributions``: torch's probability distributions that training scripts use most:
``Normal``, ``Categorical``, ``Bernoulli``, ``Uniform``, and ``kl_divergence`` between two of a
kind.

Each has torch's shapes (``sample_shape + batch_shape + event_shape``), its ``log_prob``,
``entropy``, ``mean``, ``mode``, ``variance`` and ``stddev``, and differentiable parameters:
``log_prob`` and ``entropy`` give gradients (a policy gradient), and ``rsample`` (``Normal``,
``Uniform``) draws with the reparameterisation trick, so its samples carry gradients too (a
VAE). Samples come from the library's generator: ``tg.manual_seed`` makes them repeat (they are
not torch's draws). Arguments are validated as torch validates them by default: a parameter
outside its constraint, or a ``log_prob`` value outside the support, raises ``ValueError``
(``validate_args=False`` skips the checks).

>>> import tinygrad_gd as tg
>>> from tinygrad_gd.distributions import Categorical
>>> logits = tg.tensor([0.0, 1.0, 2.0], requires_grad=True)
>>> policy = Categorical(logits=logits)
>>> loss = -policy.log_prob(tg.tensor(2))       # REINFORCE's loss for a chosen action
>>> loss.backward()
>>> [round(g, 4) for g in logits.grad.tolist()]  # softmax - onehot
[0.09, 0.2447, -0.3348]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import creation
from .autograd import no_grad
from .nn import functional as F
from .tensor import Tensor

__all__ = ["Distribution", "Normal", "Categorical", "Bernoulli", "Uniform", "kl_divergence"]


def _tensor(value: Any, like: Tensor | None = None) -> Tensor:
    """``value`` as a float tensor (a Python number takes ``like``'s dtype and device)."""
    if isinstance(value, Tensor):
        return value if value.dtype.kind == "f" else value.float()
    if like is not None:
        return creation.tensor(value, dtype=like.dtype, device=like.device)
    t = creation.tensor(value)
    return t if t.dtype.kind == "f" else t.float()


def _broadcast(*values: Any) -> list[Tensor]:
    """The parameters as float tensors of one broadcast shape (Python numbers take the
    tensors' dtype, as torch's ``broadcast_all``)."""
    like = next((v for v in values if isinstance(v, Tensor)), None)
    tensors = [_tensor(v, like) for v in values]
    shape = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return [t if tuple(t.shape) == shape else t.expand(*shape) for t in tensors]


def _shape(sample_shape: Any) -> tuple[int, ...]:
    return tuple(int(s) for s in sample_shape)


class Distribution:
    """The base class: shapes, argument validation and the generic methods."""

    has_rsample = False
    _validate_default = True

    def __init__(self, batch_shape: tuple = (), event_shape: tuple = (),
                 validate_args: bool | None = None) -> None:
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        self._validate = self._validate_default if validate_args is None else validate_args

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Switch the default argument validation on or off (on, as torch's)."""
        Distribution._validate_default = bool(value)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """The shape over which parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self) -> tuple[int, ...]:
        """The shape of one sample."""
        return self._event_shape

    @property
    def stddev(self) -> Tensor:
        """The standard deviation."""
        return self.variance.sqrt()

    def _extended_shape(self, sample_shape: Any = ()) -> tuple[int, ...]:
        return _shape(sample_shape) + self._batch_shape + self._event_shape

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Draw values of shape ``sample_shape + batch_shape + event_shape``, without
        gradient."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """A reparameterised draw (gradients flow to the parameters)."""
        raise NotImplementedError(f"{type(self).__name__} has no rsample (its samples are "
                                  "discrete); use sample() and log_prob()")

    def _check(self, name: str, value: Tensor, ok: Any, constraint: str) -> None:
        if self._validate and not bool(ok.all().item()):
            raise ValueError(f"Expected parameter {name} (Tensor of shape {tuple(value.shape)}) "
                             f"of distribution {self!r} to satisfy the constraint "
                             f"{constraint}, but found invalid values:\n{value}")

    def _check_value(self, value: Tensor, ok: Any, support: str) -> None:
        if self._validate and not bool(ok.all().item()):
            raise ValueError(f"Expected value argument (Tensor of shape {tuple(value.shape)}) "
                             f"to be within the support ({support}) of the distribution "
                             f"{self!r}, but found invalid values:\n{value}")

    def _support(self, values: Tensor, expand: bool) -> Tensor:
        """``values`` (the support) shaped ``(K,) + batch_shape``, or ``(K, 1, ...)``."""
        values = values.reshape(-1, *((1,) * len(self._batch_shape)))
        return values.expand(values.shape[0], *self._batch_shape) if expand else values

    def perplexity(self) -> Tensor:
        """``exp(entropy)``."""
        return self.entropy().exp()

    def __repr__(self) -> str:
        params = ", ".join(f"{k}: {tuple(getattr(self, k).shape)}" for k in self._params)
        return f"{type(self).__name__}({params})"

    _params: tuple[str, ...] = ()


class Normal(Distribution):
    """The normal distribution N(``loc``, ``scale``^2)."""

    has_rsample = True
    _params = ("loc", "scale")

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = _broadcast(loc, scale)
        super().__init__(tuple(self.loc.shape), (), validate_args)
        self._check("loc", self.loc, self.loc == self.loc, "Real()")
        self._check("scale", self.scale, self.scale > 0, "GreaterThan(lower_bound=0.0)")

    mean = property(lambda self: self.loc, doc="The mean, ``loc``.")
    mode = property(lambda self: self.loc, doc="The mode, ``loc``.")
    stddev = property(lambda self: self.scale, doc="The standard deviation, ``scale``.")
    variance = property(lambda self: self.scale ** 2, doc="The variance, ``scale**2``.")

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """``loc + scale * eps`` with standard normal ``eps``."""
        shape = self._extended_shape(sample_shape)
        eps = creation.randn(*shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value: Any) -> Tensor:
        """The log density at ``value``."""
        value = _tensor(value, self.loc)
        self._check_value(value, value == value, "Real()")
        var = self.scale ** 2
        return (-((value - self.loc) ** 2) / (2 * var) - self.scale.log()
                - math.log(math.sqrt(2 * math.pi)))

    def entropy(self) -> Tensor:
        """``0.5 + 0.5 log(2 pi) + log(scale)``."""
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

    def cdf(self, value: Any) -> Tensor:
        """``P(X <= value)``."""
        value = _tensor(value, self.loc)
        return 0.5 * (1 + ((value - self.loc) * (1 / math.sqrt(2)) / self.scale).erf())

    def icdf(self, value: Any) -> Tensor:
        """The quantile function."""
        value = _tensor(value, self.loc)
        return self.loc + self.scale * (2 * value - 1).erfinv() * math.sqrt(2)


class Categorical(Distribution):
    """A distribution over ``{0, ..., K-1}`` from ``probs`` (normalised over the last dimension)
    or ``logits`` (log-probabilities up to a constant), exactly one of them."""

    _params = ("probs",)

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            probs = _tensor(probs)
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            self.logits = self.probs.clamp(min=_tiny(self.probs)).log()
        else:
            logits = _tensor(logits)
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
            self.probs = self.logits.softmax(-1)
        self._num_events = self.probs.shape[-1]
        super().__init__(tuple(self.probs.shape[:-1]), (), validate_args)
        if probs is not None:
            self._check("probs", self.probs, (self.probs >= 0)
                        & ((self.probs.sum(-1) - 1).abs() < 1e-6).unsqueeze(-1), "Simplex()")
        else:
            self._check("logits", self.logits, self.logits == self.logits,
                        "IndependentConstraint(Real(), 1)")

    param_shape = property(lambda self: tuple(self.probs.shape), doc="The parameters' shape.")

    @property
    def mean(self) -> Tensor:
        """Undefined for categories: NaN, as torch."""
        return creation.full(self._batch_shape, float("nan"), dtype=self.probs.dtype,
                             device=self.probs.device)

    variance = mean

    @property
    def mode(self) -> Tensor:
        """The most probable category."""
        return self.probs.argmax(-1)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Category indices (int64) of shape ``sample_shape + batch_shape``."""
        shape = _shape(sample_shape)
        n = int(np.prod(shape)) if shape else 1
        with no_grad():
            flat = self.probs.reshape(-1, self._num_events)
            drawn = creation.multinomial(flat, n, replacement=True)  # (rows, n)
            return drawn.T.reshape(*(shape + self._batch_shape))

    def log_prob(self, value: Any) -> Tensor:
        """``log p(value)`` for category indices ``value`` (broadcast against the batch)."""
        value = value if isinstance(value, Tensor) else creation.tensor(value)
        ok = (value >= 0) & (value < self._num_events)
        if value.dtype.kind not in "iu":
            ok = ok & (value == value.round())
        self._check_value(value, ok, f"IntegerInterval(lower_bound=0, "
                                     f"upper_bound={self._num_events - 1})")
        value = value.long()
        shape = np.broadcast_shapes(tuple(value.shape), self._batch_shape)
        logits = self.logits.expand(*shape, self._num_events)
        index = value.expand(*shape).unsqueeze(-1)
        return logits.gather(-1, index).squeeze(-1)

    def entropy(self) -> Tensor:
        """``-sum p log p`` over the categories."""
        logits = self.logits.clamp(min=float(np.finfo(self.logits.dtype).min))
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """Every category, shaped ``(K,) + batch_shape`` (``(K, 1, ...)`` without expand)."""
        return self._support(creation.arange(self._num_events, device=self.probs.device),
                             expand)


class Bernoulli(Distribution):
    """A distribution over {0, 1} from ``probs`` (of 1) or ``logits``, exactly one of them."""

    _params = ("probs",)

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.probs,) = _broadcast(probs)
            eps = _tiny(self.probs, "eps")
            clamped = self.probs.clamp(eps, 1 - eps)
            self.logits = clamped.log() - (-clamped).log1p()
        else:
            (self.logits,) = _broadcast(logits)
            self.probs = self.logits.sigmoid()
        super().__init__(tuple(self.probs.shape), (), validate_args)
        if probs is not None:
            self._check("probs", self.probs, (self.probs >= 0) & (self.probs <= 1),
                        "Interval(lower_bound=0.0, upper_bound=1.0)")
        else:
            self._check("logits", self.logits, self.logits == self.logits, "Real()")

    mean = property(lambda self: self.probs, doc="The mean, ``probs``.")
    variance = property(lambda self: self.probs * (1 - self.probs),
                        doc="The variance, ``p (1 - p)``.")

    @property
    def mode(self) -> Tensor:
        """1 where ``probs > 0.5``, 0 below, NaN at exactly 0.5 (as torch)."""
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return mode.masked_fill(self.probs == 0.5, float("nan"))

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Zeros and ones (the parameters' float dtype) of ``sample_shape + batch_shape``."""
        with no_grad():
            return creation.bernoulli(self.probs.expand(*self._extended_shape(sample_shape)))

    def log_prob(self, value: Any) -> Tensor:
        """``value log p + (1 - value) log(1 - p)``, computed stably from the logits."""
        value = _tensor(value, self.probs)
        self._check_value(value, (value == 0) | (value == 1), "Boolean()")
        logits, value = _broadcast(self.logits, value)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self) -> Tensor:
        """``-p log p - (1 - p) log(1 - p)``."""
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """``[0, 1]`` shaped ``(2,) + batch_shape`` (``(2, 1, ...)`` without expand)."""
        return self._support(creation.tensor([0.0, 1.0], dtype=self.probs.dtype,
                                             device=self.probs.device), expand)


class Uniform(Distribution):
    """The uniform distribution on ``[low, high)``."""

    has_rsample = True
    _params = ("low", "high")

    def __init__(self, low: Any, high: Any, validate_args: bool | None = None) -> None:
        self.low, self.high = _broadcast(low, high)
        super().__init__(tuple(self.low.shape), (), validate_args)
        if self._validate and not bool((self.low < self.high).all().item()):
            raise ValueError("Uniform is not defined when low>= high")

    mean = property(lambda self: (self.high + self.low) / 2, doc="The mean.")
    mode = property(lambda self: self.low * float("nan"), doc="Undefined: NaN, as torch.")
    variance = property(lambda self: (self.high - self.low) ** 2 / 12, doc="The variance.")
    stddev = property(lambda self: (self.high - self.low) / 12 ** 0.5, doc="The standard "
                      "deviation.")

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """``low + u (high - low)`` with ``u`` uniform on [0, 1)."""
        shape = self._extended_shape(sample_shape)
        u = creation.rand(*shape, dtype=self.low.dtype, device=self.low.device)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value: Any) -> Tensor:
        """``-log(high - low)`` inside the interval (values outside are refused)."""
        value = _tensor(value, self.low)
        inside = (self.low <= value) & (value < self.high)
        self._check_value(value, inside, "Interval(lower_bound=low, upper_bound=high)")
        lb = (self.low <= value).to(self.low.dtype)
        ub = (self.high > value).to(self.low.dtype)
        return (lb * ub).log() - (self.high - self.low).log()

    def entropy(self) -> Tensor:
        """``log(high - low)``."""
        return (self.high - self.low).log()

    def cdf(self, value: Any) -> Tensor:
        """``P(X <= value)``, clamped to [0, 1]."""
        value = _tensor(value, self.low)
        return ((value - self.low) / (self.high - self.low)).clamp(0, 1)

    def icdf(self, value: Any) -> Tensor:
        """The quantile function."""
        value = _tensor(value, self.low)
        return value * (self.high - self.low) + self.low


def _tiny(t: Tensor, which: str = "tiny") -> float:
    return float(getattr(np.finfo(t.dtype), which))


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """``KL(p || q)`` for two distributions of one kind (Normal, Categorical, Bernoulli,
    Uniform), in closed form; differentiable in both."""
    if type(p) is not type(q):
        raise NotImplementedError(f"kl_divergence: no closed form for {type(p).__name__} and "
                                  f"{type(q).__name__} here (only two of one kind)")
    if isinstance(p, Normal):
        var_ratio = (p.scale / q.scale) ** 2
        t1 = ((p.loc - q.loc) / q.scale) ** 2
        return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())
    if isinstance(p, Categorical):
        t = p.probs * (p.logits - q.logits)
        t = t.masked_fill((q.probs == 0).expand(*t.shape), float("inf"))
        t = t.masked_fill((p.probs == 0).expand(*t.shape), 0.0)
        return t.sum(-1)
    if isinstance(p, Bernoulli):
        t1 = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
        t1 = t1.masked_fill(q.probs == 0, float("inf")).masked_fill(p.probs == 0, 0.0)
        t2 = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
        t2 = t2.masked_fill(q.probs == 1, float("inf")).masked_fill(p.probs == 1, 0.0)
        return t1 + t2
    if isinstance(p, Uniform):
        result = ((q.high - q.low) / (p.high - p.low)).log()
        outside = (q.low > p.low) | (q.high < p.high)
        return result.masked_fill(outside, float("inf"))
    raise NotImplementedError(f"kl_divergence: {type(p).__name__} is not supported")
