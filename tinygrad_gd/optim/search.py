"""Zeroth-order baselines: ``RandomSearch`` and ``RandomLocalSearch`` (no gradients at all).

They show what gradients buy: on anything but a tiny problem both are far slower than gradient
descent per evaluation of the loss. Both need a closure returning the loss, keep the best
parameters found in place, and draw from a seeded generator (``seed=``, else the library's CPU
generator, reseeded by ``tg.manual_seed``). The draws are made on the host whatever the
parameters' device (each step already waits for the loss on the host), so a state_dict holds a
plain NumPy generator state, and the same seed gives the same candidates on every device.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..autograd import no_grad
from ..tensor import Tensor
from .optimizer import Optimizer, Params, _check_range


class _Search(Optimizer):
    """Shared loop: evaluate candidates, keep the best (loss and parameters)."""

    def __init__(self, params: Params, defaults: dict[str, Any], seed: int | None) -> None:
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(f"{type(self).__name__} supports a single parameter group")
        self.seed = seed
        self._own_rng = seed is not None
        # a NumPy generator on every device: CuPy's keeps its state on the GPU behind a lock
        # (it can be neither saved nor deep-copied)
        self._rng = (np.random.default_rng(seed) if self._own_rng
                     else backend.generators.get("cpu"))

    def _evaluate(self, closure: Callable[[], Any]) -> float:
        with no_grad():
            value = closure()
        value = float(value.item()) if isinstance(value, Tensor) else float(value)
        return value if math.isfinite(value) else math.inf

    def _noise(self, p: Tensor) -> Any:
        """Standard normal noise of ``p``'s shape and dtype, drawn on the host, on ``p``'s
        device."""
        dtype = p.dtype if p.dtype in (np.float32, np.float64) else np.float32  # NumPy's draws
        noise = self._rng.standard_normal(p.shape, dtype=dtype).astype(p.dtype, copy=False)
        return backend.to_device(noise, p._device)

    def _candidate(self, p: Tensor, group: dict[str, Any]) -> Any:  # pragma: no cover
        raise NotImplementedError

    def step(self, closure: Callable[[], Any] | None = None) -> Tensor:
        """Try ``n_samples`` candidates; keep the best. Returns the best loss so far."""
        if closure is None:
            raise RuntimeError(f"{type(self).__name__}.step() needs a closure that evaluates "
                               "and returns the loss: opt.step(lambda: loss_fn(model(x), y))")
        group = self.param_groups[0]
        params = group["params"]
        state = self.state.setdefault(params[0], {"step": 0})
        if "best_loss" not in state:
            state["best_loss"] = self._evaluate(closure)
        for _ in range(group["n_samples"]):
            best = [p.data.copy() for p in params]
            for p in params:
                p.data[...] = self._candidate(p, group)
                p._version[0] += 1
            value = self._evaluate(closure)
            if value < state["best_loss"]:
                state["best_loss"] = value
            else:  # worse: go back to the best point
                for p, b in zip(params, best):
                    p.data[...] = b
                    p._version[0] += 1
        state["step"] += 1
        p0 = params[0]
        return Tensor._make(backend.xp_of(p0.data).asarray(state["best_loss"], dtype=p0.dtype),
                            p0.device)

    def state_dict(self) -> dict[str, Any]:
        """As ``Optimizer.state_dict``, plus the (host) generator's state, so resuming draws
        the same candidates."""
        sd = super().state_dict()
        sd["rng_state"] = copy.deepcopy(self._rng.bit_generator.state)
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``state_dict()``, including the generator's state where it was saved."""
        sd = dict(state_dict)
        rng_state = sd.pop("rng_state", None)
        super().load_state_dict(sd)
        if rng_state is not None:
            if not self._own_rng:  # never rewind the library's shared generator
                self._rng = np.random.default_rng()
                self._own_rng = True
            self._rng.bit_generator.state = copy.deepcopy(rng_state)


class RandomSearch(_Search):
    """Pure random search: each candidate is drawn afresh, ``x ~ mean + std * N(0, I)``, and
    kept if its loss beats the best so far (CS231n's "strategy #1"). The starting point counts
    as the first candidate.

    >>> import tinygrad_gd as tg
    >>> x = tg.zeros(2, dtype="float64", requires_grad=True)
    >>> opt = tg.optim.RandomSearch([x], std=2.0, seed=0)
    >>> f = lambda: ((x - 1.0) ** 2).sum()
    >>> start = f().item()
    >>> for _ in range(50):
    ...     best = opt.step(f)
    >>> best.item() < start
    True
    """

    def __init__(self, params: Params, std: float = 1.0, mean: float = 0.0, n_samples: int = 1,
                 seed: int | None = None) -> None:
        super().__init__(params, {"std": std, "mean": mean, "n_samples": n_samples}, seed)

    def _validate(self, group):
        super()._validate(group)
        _check_range("std", group["std"], 0.0)
        if not isinstance(group["n_samples"], int) or group["n_samples"] < 1:
            raise ValueError(f"invalid n_samples: {group['n_samples']!r} (must be an int >= 1)")

    def _candidate(self, p, group):
        return group["mean"] + group["std"] * self._noise(p)


class RandomLocalSearch(_Search):
    """Random local search: perturb the best point, ``x' = x + step_size * N(0, I)``, and move
    there if the loss goes down (CS231n's "strategy #2"; a (1+1) evolution strategy with a
    fixed step).

    >>> import tinygrad_gd as tg
    >>> x = tg.zeros(2, dtype="float64", requires_grad=True)
    >>> opt = tg.optim.RandomLocalSearch([x], step_size=0.1, seed=0)
    >>> f = lambda: ((x - 1.0) ** 2).sum()
    >>> for _ in range(300):
    ...     best = opt.step(f)
    >>> best.item() < 0.01
    True
    """

    def __init__(self, params: Params, step_size: float = 1e-2, n_samples: int = 1,
                 seed: int | None = None) -> None:
        super().__init__(params, {"step_size": step_size, "n_samples": n_samples}, seed)

    def _validate(self, group):
        super()._validate(group)
        _check_range("step_size", group["step_size"], 0.0)
        if not isinstance(group["n_samples"], int) or group["n_samples"] < 1:
            raise ValueError(f"invalid n_samples: {group['n_samples']!r} (must be an int >= 1)")

    def _candidate(self, p, group):
        return p.data + group["step_size"] * self._noise(p)
