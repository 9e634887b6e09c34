"""The stand-in's ``cupy.random``: a ``Generator`` that draws on its device, refuses what CuPy's
does (a generator used on another device, a deep copy: it holds a lock), and offers only the
draws CuPy implements."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from . import _array as A
from . import _runtime as rt


def _cupy() -> Any:
    """The assembled stand-in module (built in _namespace, which imports this file)."""
    from ._namespace import module

    return module


class _BitGenerator:
    """CuPy's cuRAND bit generator: its state lives on the device that made it, guarded by a
    ``threading.Lock`` (so it cannot be pickled or deep-copied), and ``state`` is a method."""

    def __init__(self, seed: Any = None) -> None:
        self.lock = threading.Lock()
        self._seed_seq = np.random.SeedSequence(seed)
        self._current_device_id = rt.current()
        self._np = np.random.Generator(np.random.PCG64(self._seed_seq))

    def _check_device(self) -> None:
        if rt.current() != self._current_device_id:
            raise RuntimeError("This Generator state is allocated in a different device")

    def state(self) -> int:
        self._check_device()
        return id(self._np)


class Generator:
    """``cupy.random.Generator``: only the distributions CuPy implements, drawn on the current
    device after the bit generator's device check."""

    def __init__(self, bit_generator: _BitGenerator) -> None:
        self.bit_generator = bit_generator

    def _gen(self) -> np.random.Generator:
        from . import _graph

        if _graph.capturing():
            _graph.refuse("a random draw (a graph would replay its numbers)")
        self.bit_generator.state()  # the device check every launch makes
        return self.bit_generator._np

    def random(self, size: Any = None, dtype: Any = np.float64, out: Any = None) -> A.ndarray:
        dt = np.dtype(dtype)
        if dt.char not in "fd":
            raise TypeError(f"Unsupported dtype {dt.name} for random")
        r = A.wrap(np.asarray(self._gen().random(size, dtype=dt)))
        if out is not None:
            A.check_out(out)._a[...] = r._a
            return out
        return r

    def uniform(self, low: Any = 0.0, high: Any = 1.0, size: Any = None,
                dtype: Any = np.float64) -> A.ndarray:
        low = _cupy().asarray(low)  # CuPy copies the bounds to the device (host-to-device)
        high = _cupy().asarray(high)
        lo, hi = low._a, high._a
        rt.check_peer(low._dev)
        rt.check_peer(high._dev)
        r = self._gen().random(size if size is not None else np.broadcast_shapes(
            lo.shape, hi.shape))
        return A.wrap(np.asarray(lo + (hi - lo) * r).astype(dtype, copy=False))

    def integers(self, low: Any, high: Any = None, size: Any = None, dtype: Any = np.int64,
                 endpoint: bool = False) -> A.ndarray:
        lo, hi = (0, int(low)) if high is None else (int(low), int(high))
        return A.wrap(np.asarray(self._gen().integers(lo, hi, size, dtype=dtype,
                                                      endpoint=endpoint)))

    def standard_normal(self, size: Any = None, dtype: Any = np.float64,
                        out: Any = None) -> A.ndarray:
        dt = np.dtype(dtype)
        if dt.char not in "fd":
            raise TypeError(f"Unsupported dtype {dt.name} for standard_normal")
        r = A.wrap(np.asarray(self._gen().standard_normal(size, dtype=dt)))
        if out is not None:
            A.check_out(out)._a[...] = r._a
            return out
        return r

    def standard_exponential(self, size: Any = None, dtype: Any = np.float64,
                             method: str = "inv", out: Any = None) -> A.ndarray:
        return A.wrap(np.asarray(self._gen().standard_exponential(size, dtype=dtype)))

    def exponential(self, scale: Any = 1.0, size: Any = None) -> A.ndarray:
        return A.wrap(np.asarray(self._gen().exponential(_host(scale), size)))

    def poisson(self, lam: Any = 1.0, size: Any = None) -> A.ndarray:
        return A.wrap(np.asarray(self._gen().poisson(_host(lam), size)))

    def binomial(self, n: Any, p: Any, size: Any = None) -> A.ndarray:
        return A.wrap(np.asarray(self._gen().binomial(_host(n), _host(p), size)))

    def geometric(self, p: Any, size: Any = None) -> A.ndarray:
        return A.wrap(np.asarray(self._gen().geometric(_host(p), size)))

    def gamma(self, shape: Any, scale: Any = 1.0, size: Any = None) -> A.ndarray:
        return A.wrap(np.asarray(self._gen().gamma(_host(shape), _host(scale), size)))

    def standard_gamma(self, shape: Any, size: Any = None, dtype: Any = np.float64,
                       out: Any = None) -> A.ndarray:
        return A.wrap(np.asarray(self._gen().standard_gamma(_host(shape), size, dtype=dtype)))

    def beta(self, a: Any, b: Any, size: Any = None) -> A.ndarray:
        return A.wrap(np.asarray(self._gen().beta(_host(a), _host(b), size)))


def _host(x: Any) -> Any:
    """A distribution parameter: device arrays are read on the device (no copy counted)."""
    if isinstance(x, A.ndarray):
        rt.check_peer(x._dev)
        return x._a
    if isinstance(x, np.ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    return x


def default_rng(seed: Any = None) -> Generator:
    if isinstance(seed, A.ndarray):
        seed = seed.get()
    return Generator(_BitGenerator(seed))
