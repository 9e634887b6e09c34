"""Random factories and samplers (``tg.rand``, ``tg.normal``, ``tg.multinomial``, ...).

Every draw comes from the library's seeded generators (``tg.manual_seed``), or from a
``tg.Generator`` passed as ``generator=``, so a seeded run is reproducible. The streams are
NumPy's (CuPy's on a GPU): the same seed gives other numbers than torch's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import backend
from .devices import as_device
from .dtypes import DEFAULT_FLOAT
from .tensor import Tensor, int64

__all__ = ["Generator", "manual_seed", "initial_seed", "rand", "randn", "randint", "rand_like",
           "randn_like", "randint_like", "randperm", "normal", "bernoulli", "multinomial"]


def manual_seed(seed: int) -> None:
    """Seed every random draw of the library (all devices), like ``torch.manual_seed``.

    Returns None (torch returns its default generator), so a bare ``tg.manual_seed(0)`` prints
    nothing at a prompt.

    >>> import tinygrad_gd as tg
    >>> tg.manual_seed(0); a = tg.randn(3)
    >>> tg.manual_seed(0); b = tg.randn(3)
    >>> (a == b).all().item()
    True
    """
    backend.generators.manual_seed(_seed64("manual_seed", seed))


def _seed64(name: str, seed: Any) -> int:
    """``seed`` as torch takes it: any int in [-2**63, 2**64), a negative one wrapped to its
    unsigned 64-bit value (torch.manual_seed(-1) seeds with 2**64 - 1); NumPy refuses
    negative seeds at the first draw, so they are mapped here."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name}: seed must be an int, got {type(seed).__name__} {seed!r}")
    seed = int(seed)
    if not -(1 << 63) <= seed < (1 << 64):
        raise ValueError(f"{name}: seed {seed} is out of range [-2**63, 2**64)")
    return seed % (1 << 64)


def initial_seed() -> int | None:
    """The seed of the last ``tg.manual_seed`` (None when never seeded)."""
    return backend.generators.seed


class Generator:
    """A random generator of its own (``torch.Generator``), for ``generator=`` arguments.

    >>> import tinygrad_gd as tg
    >>> g = tg.Generator().manual_seed(3)
    >>> a = tg.rand(2, generator=g); _ = g.manual_seed(3)
    >>> (a == tg.rand(2, generator=g)).all().item()
    True
    """

    def __init__(self, device: Any = "cpu") -> None:
        self.device = as_device(backend.parse_device(device))
        self.manual_seed(int(np.random.SeedSequence().entropy % (1 << 63)))

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed``; returns self (as torch)."""
        self._seed = _seed64("Generator.manual_seed", seed)
        xp = backend.get_xp(self.device)
        self._rng = np.random.default_rng(self._seed) if xp is np else xp.random.default_rng(
            self._seed)
        return self

    def initial_seed(self) -> int:
        """The seed the stream started from."""
        return self._seed

    def seed(self) -> int:
        """Reseed from fresh entropy; returns the new seed."""
        s = int(np.random.SeedSequence().entropy % (1 << 63))
        self.manual_seed(s)
        return s

    def rng(self, device: str) -> Any:
        """The NumPy/CuPy generator to draw from for ``device``."""
        return self._rng


def _cast_on(device: str, array: Any, dtype: Any) -> Any:
    """``array.astype(dtype)`` run on ``device`` (on GPU N, CuPy's cast must run there)."""
    with backend.on_device(device):
        return array.astype(dtype)


def _draw(device: str, generator: Generator | None, fn: Callable[[Any], Any]) -> Any:
    """``fn(rng)`` with the right generator, its result moved to ``device``."""
    if generator is None:
        return fn(backend.generators.get(device))
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a tg.Generator, got {type(generator).__name__}")
    return backend.to_device(fn(generator.rng(str(generator.device))), device)


def _shape(size: tuple, name: str = "size") -> tuple[int, ...]:
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        if not isinstance(size[0], (tuple, list)) and not hasattr(size[0], "__len__"):
            raise TypeError(f"{name}: size must be ints or a tuple of ints, got "
                            f"{type(size[0]).__name__} {size[0]!r}")
        size = tuple(size[0])
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in size):
        raise ValueError(f"{name}: a tensor's size must be non-negative integers, got {size}")
    return tuple(int(s) for s in size)


def _finish(array: Any, device: str, requires_grad: bool) -> Tensor:
    t = Tensor._make(array, device)
    if requires_grad:
        t.requires_grad_()
    return t


def _float_dtype(name: str, dtype: Any) -> np.dtype:
    dt = backend.parse_dtype(dtype) if dtype is not None else DEFAULT_FLOAT[0]
    if not backend.is_floating(dt):
        raise TypeError(f"{name}: dtype must be floating point, got {dt} (use randint for ints)")
    return dt


def _size_of(size: tuple, kw: dict, name: str) -> tuple[int, ...]:
    if "size" in kw:
        size = (kw.pop("size"),)
    kw.pop("layout", None), kw.pop("pin_memory", None)
    if kw:
        raise TypeError(f"{name}() got unexpected keyword arguments {sorted(kw)}")
    return _shape(size, name)


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False, **kw: Any) -> Tensor:
    """Uniform samples from [0, 1)."""
    dev, dt, shape = backend.parse_device(device), _float_dtype("rand", dtype), _size_of(
        size, kw, "rand")
    array = _draw(dev, generator, lambda g: g.random(shape, dtype=np.float64))
    array = _cast_on(dev, array, dt)
    return _finish(array, dev, requires_grad)


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False, **kw: Any) -> Tensor:
    """Standard normal samples."""
    dev, dt, shape = backend.parse_device(device), _float_dtype("randn", dtype), _size_of(
        size, kw, "randn")
    array = _draw(dev, generator, lambda g: g.standard_normal(shape, dtype=np.float64))
    array = _cast_on(dev, array, dt)
    return _finish(array, dev, requires_grad)


def randint(low: int = 0, high: Any = None, size: Any = None, *,
            generator: Generator | None = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    """Integers uniform in ``[low, high)``: ``randint(high, size)`` or ``randint(low, high,
    size)``, int64 unless ``dtype``.

    >>> import tinygrad_gd as tg
    >>> x = tg.randint(3, 6, (4,))
    >>> x.dtype, bool(((x >= 3) & (x < 6)).all())
    (dtype('int64'), True)
    """
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high  # randint(high, size)
    elif high is None:
        low, high = 0, low  # randint(high, size=...)
    if high is None or size is None:
        raise TypeError("randint: expected randint(high, size) or randint(low, high, size)")
    low, high = int(low), int(high)
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    dev, shape = backend.parse_device(device), _shape((size,), "randint")
    dt = backend.parse_dtype(dtype) if dtype is not None else int64
    array = _draw(dev, generator, lambda g: g.integers(low, high, size=shape))
    array = _cast_on(dev, array, dt)
    return _finish(array, dev, requires_grad)


def _like(t: Any, dtype: Any, device: Any) -> tuple[tuple, Any, Any]:
    if not isinstance(t, Tensor):
        raise TypeError(f"expected a Tensor, got {type(t).__name__}")
    return t.shape, (t.dtype if dtype is None else dtype), t._device if device is None else device


def rand_like(input: Tensor, *, generator: Generator | None = None,  # noqa: A002
              dtype: Any = None, device: Any = None, requires_grad: bool = False,
              **kw: Any) -> Tensor:
    """Uniform [0, 1) samples with ``input``'s shape, dtype and device."""
    kw.pop("memory_format", None)
    shape, dt, dev = _like(input, dtype, device)
    return rand(shape, generator=generator, dtype=dt, device=dev, requires_grad=requires_grad,
                **kw)


def randn_like(input: Tensor, *, generator: Generator | None = None,  # noqa: A002
               dtype: Any = None, device: Any = None, requires_grad: bool = False,
               **kw: Any) -> Tensor:
    """Standard normal samples with ``input``'s shape, dtype and device."""
    kw.pop("memory_format", None)
    shape, dt, dev = _like(input, dtype, device)
    return randn(shape, generator=generator, dtype=dt, device=dev, requires_grad=requires_grad,
                 **kw)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *,  # noqa: A002
                 generator: Generator | None = None, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
    """Integers in ``[low, high)`` (``randint_like(x, high)`` starts at 0) with ``input``'s
    shape, dtype and device."""
    if high is None:
        low, high = 0, low
    shape, dt, dev = _like(input, dtype, device)
    return randint(low, high, shape, generator=generator, dtype=dt, device=dev,
                   requires_grad=requires_grad)


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype``)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    dev = backend.parse_device(device)
    dt = backend.parse_dtype(dtype) if dtype is not None else int64
    array = _draw(dev, generator, lambda g: g.permutation(int(n)))
    array = _cast_on(dev, array, dt)
    return _finish(array, dev, requires_grad)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *,
           generator: Generator | None = None, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Normal samples: ``normal(mean_tensor, std_tensor)`` (broadcast), ``normal(mean_tensor,
    std=1.0)``, ``normal(mean, std_tensor)``, or ``normal(mean, std, size)`` with numbers.

    Samples carry no gradient (as torch's, whose derivative is zero).
    """
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not tm and not ts:
        if size is None:
            raise TypeError("normal: with number mean and std, give size= (normal(0, 1, (2, 3)))")
        if not float(std) >= 0:  # torch refuses a negative (or NaN) std too
            raise ValueError(f"normal: std must be >= 0, got {std}")
        z = randn(size, generator=generator, dtype=dtype, device=device)
        out = z * float(std) + float(mean) if (std, mean) != (1.0, 0.0) else z
        return _finish(out.data, out._device, requires_grad)
    if size is not None:
        raise TypeError("normal: size= is only for number mean and std")
    ref = mean if tm else std
    if not backend.is_floating(ref.dtype):
        raise TypeError(f"normal: mean/std must be floating point, got {ref.dtype}")
    m = mean.data if tm else mean
    s = std.data if ts else std
    if ts and bool((std.data < 0).any()):
        raise ValueError("normal: std must be non-negative")
    shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    z = _draw(ref._device, generator, lambda g: g.standard_normal(shape, dtype=np.float64))
    out = (m + s * z).astype(ref.dtype)
    return _finish(out, ref._device, requires_grad)


def bernoulli(input: Tensor, p: float | None = None, *,  # noqa: A002
              generator: Generator | None = None) -> Tensor:
    """0/1 samples, 1 with probability ``input`` (or ``p``), in ``input``'s dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli: expected a Tensor, got {type(input).__name__}")
    prob = input.data if p is None else p
    if p is None and not backend.is_floating(input.dtype):
        raise TypeError(f"bernoulli: probabilities must be floating point, got {input.dtype}")
    xp = backend.xp_of(input.data)
    if bool(((xp.asarray(prob) < 0) | (xp.asarray(prob) > 1)).any()):
        raise ValueError("bernoulli: probabilities must lie in [0, 1]")
    u = _draw(input._device, generator, lambda g: g.random(input.shape, dtype=np.float64))
    return Tensor._make((u < prob).astype(input.dtype), input._device)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator: Generator | None = None) -> Tensor:
    """Indices drawn with probabilities proportional to the (non-negative) weights in each row
    of ``input`` (1-D or 2-D); without ``replacement`` each index at most once.

    >>> import tinygrad_gd as tg
    >>> tg.multinomial(tg.tensor([0.0, 1.0, 0.0]), 2, replacement=True).tolist()
    [1, 1]
    """
    if not isinstance(input, Tensor) or input.ndim not in (1, 2):
        raise ValueError("multinomial: input must be a 1-D or 2-D tensor of weights")
    w = backend.to_numpy(input.data).astype(np.float64)
    rows = w.reshape(1, -1) if w.ndim == 1 else w
    n = rows.shape[1]
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise ValueError("multinomial: weights must be finite and non-negative")
    if (rows.sum(axis=1) <= 0).any():
        raise ValueError("multinomial: each row of weights must have a positive sum")
    if not replacement and num_samples > n:
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement "
                         f"from {n} categories")
    if not replacement and (np.count_nonzero(rows, axis=1) < num_samples).any():
        raise ValueError("multinomial: fewer categories with nonzero weight than num_samples")

    def draw(g: Any) -> np.ndarray:
        out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
        for i, r in enumerate(rows):
            u = np.asarray(backend.to_numpy(g.random(num_samples if replacement else n)))
            if replacement:
                cdf = np.cumsum(r / r.sum())
                out[i] = np.minimum(np.searchsorted(cdf, u, side="right"), n - 1)
            else:  # Gumbel-top-k with exponential keys: weighted sampling without replacement
                keys = np.where(r > 0, -np.log(np.maximum(u, 1e-300)) / np.maximum(r, 1e-300),
                                np.inf)
                out[i] = np.argsort(keys, kind="stable")[:num_samples]
        return out

    out = _draw("cpu", generator, draw) if generator is None or generator.device == "cpu" else (
        _draw(str(generator.device), generator, draw))
    out = out[0] if w.ndim == 1 else out
    return Tensor._make(backend.to_device(out, input._device), input._device)


def fill_random_(t: Tensor, kind: str, generator: Generator | None = None, **kw: Any) -> Tensor:
    """Fill ``t`` in place with ``kind`` samples (the ``uniform_``, ``normal_``, ... methods)."""
    shape, dev = t.shape, t._device
    if kind == "uniform":
        lo, hi = kw["a"], kw["b"]
        array = _draw(dev, generator, lambda g: g.uniform(lo, hi, shape))
    elif kind == "normal":
        array = _draw(dev, generator, lambda g: g.normal(kw["mean"], kw["std"], shape))
    elif kind == "exponential":
        array = _draw(dev, generator, lambda g: g.exponential(1.0 / kw["lambd"], shape))
    elif kind == "bernoulli":
        p = kw["p"].data if isinstance(kw["p"], Tensor) else kw["p"]
        array = _draw(dev, generator, lambda g: g.random(shape)) < p
    else:  # random_: integers in [low, high)
        array = _draw(dev, generator, lambda g: g.integers(kw["low"], kw["high"], shape))
    array = array.astype(t.dtype)
    if t._check_inplace():  # inside a graph: the new values are constants (no gradient)
        return t._rebase(Tensor._make(array, dev))
    t.data[...] = array
    t._version[0] += 1
    return t
