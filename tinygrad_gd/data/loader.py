"""TensorDataset and DataLoader: whole datasets on the device once, batches as views or gathers.

The loader converts its dataset to arrays a single time (MNIST: float32, scaled to [0, 1] and
normalised with mean 0.1307 / std 0.3081; see ``MNIST.as_arrays``), moves them to the device, and
then cuts each batch with one slice (in order) or one gather (shuffled) on the device -- no Python
loop over samples, no per-batch conversion.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor


class TensorDataset:
    """Tensors (or arrays) sharing their first dimension; item ``i`` is the tuple of their rows.

    >>> import tinygrad_gd as tg
    >>> ds = TensorDataset(tg.arange(6).reshape(3, 2), tg.tensor([0, 1, 0]))
    >>> len(ds), [t.tolist() for t in ds[1]]
    (3, [[2, 3], 1])
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        sizes = [t.shape[0] if t.ndim else None for t in self.tensors]
        if None in sizes or len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: the tensors' first dimensions differ or are missing "
                             f"(shapes {[t.shape for t in self.tensors]})")

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)


def _dataset_arrays(dataset: Any) -> list[Any]:
    """The dataset as whole arrays, once: ``as_arrays()``, a TensorDataset, or stacked items."""
    if isinstance(dataset, TensorDataset):
        return [t.data for t in dataset.tensors]
    if hasattr(dataset, "as_arrays"):
        return list(dataset.as_arrays())
    n = len(dataset)
    if n == 0:
        raise ValueError("DataLoader: the dataset is empty")
    first = dataset[0]
    if not isinstance(first, tuple):
        first = (first,)
    columns: list[list[Any]] = [[] for _ in first]
    for i in range(n):  # generic datasets only: the fast paths above cover MNIST and tensors
        item = dataset[i]
        for col, value in zip(columns, item if isinstance(item, tuple) else (item,)):
            col.append(backend.to_numpy(value.data) if isinstance(value, Tensor) else value)
    arrays = []
    for k, col in enumerate(columns):
        shapes = {np.shape(v) for v in col}
        if len(shapes) > 1:
            raise ValueError(f"DataLoader: the items' element {k} differs in shape across the "
                             f"dataset (shapes {sorted(shapes)}); items must stack into one array")
        arrays.append(np.stack([np.asarray(v) for v in col]))
    return [a.astype(np.float32) if a.dtype.kind == "f" else a for a in arrays]


class DataLoader:
    """Iterate over a dataset in batches of Tensors on ``device``.

    - ``batch_size=None``: one batch holding the whole dataset (batch gradient descent);
      ``batch_size=1``: one sample at a time (stochastic gradient descent, without replacement).
    - ``shuffle``: a new permutation each epoch, drawn from ``seed`` and the epoch number only, so a
      run is reproducible and ``set_epoch`` / ``load_state_dict`` resume it exactly. With
      ``seed=None`` the seed comes from the library's generator (``tg.manual_seed``).
    - ``transform``: a function applied to each batch's inputs (the first tensor) on the device.

    >>> import tinygrad_gd as tg
    >>> ds = TensorDataset(tg.arange(10).reshape(5, 2).float(), tg.arange(5))
    >>> loader = DataLoader(ds, batch_size=2, shuffle=True, seed=0)
    >>> len(loader), sorted(y for _, ys in loader for y in ys.tolist())
    (3, [0, 1, 2, 3, 4])
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: int | None = None, device: Any = "cpu",
                 transform: Callable[[Tensor], Tensor] | None = None) -> None:
        if batch_size is not None and (isinstance(batch_size, bool)
                                       or not isinstance(batch_size, (int, np.integer))
                                       or batch_size < 1):
            raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
        self.dataset = dataset
        self.device = backend.parse_device(device)
        self.tensors = [Tensor(a, device=self.device) for a in _dataset_arrays(dataset)]
        self.n = self.tensors[0].shape[0]
        if any(t.shape[0] != self.n for t in self.tensors):
            raise ValueError("DataLoader: the dataset's arrays differ in length")
        if self.n == 0:
            raise ValueError("DataLoader: the dataset is empty")
        if drop_last and batch_size is not None and batch_size > self.n:
            # Clamping here would hand out a batch smaller than batch_size, which drop_last
            # promises never to do; an epoch of no batches would train silently on nothing.
            raise ValueError(f"batch_size={batch_size} with drop_last=True: the dataset has only "
                             f"{self.n} samples, so no batch would be complete")
        self.batch_size = self.n if batch_size is None else int(min(batch_size, self.n))
        self.shuffle, self.drop_last, self.transform = shuffle, drop_last, transform
        if seed is None:
            seed = int(backend.generators.get("cpu").integers(2**62))
        elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            # checked here: NumPy's seeding would only fail at the first shuffled epoch
            raise ValueError(f"seed must be a non-negative int or None, got {seed!r}")
        self.seed = int(seed)
        self.epoch = 0

    def __len__(self) -> int:
        if self.drop_last:
            return self.n // self.batch_size
        return math.ceil(self.n / self.batch_size)

    def permutation(self, epoch: int) -> np.ndarray:
        """The order of the samples in ``epoch`` (a function of the seed and the epoch only)."""
        if not self.shuffle:
            return np.arange(self.n)
        return np.random.default_rng([self.seed, epoch]).permutation(self.n)

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration use ``epoch``'s permutation (as after ``epoch`` iterations)."""
        self.epoch = int(epoch)

    def state_dict(self) -> dict[str, int]:
        """What resuming needs: the seed and the number of epochs started."""
        return {"seed": self.seed, "epoch": self.epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore ``state_dict()``'s seed and epoch."""
        self.seed, self.epoch = int(state["seed"]), int(state["epoch"])

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        epoch, self.epoch = self.epoch, self.epoch + 1
        order = None
        if self.shuffle:
            order = Tensor(self.permutation(epoch), device=self.device)
        for b in range(len(self)):
            lo, hi = b * self.batch_size, min((b + 1) * self.batch_size, self.n)
            index = slice(lo, hi) if order is None else order[lo:hi]
            batch = [t[index] for t in self.tensors]
            if self.transform is not None:
                batch[0] = self.transform(batch[0])
            yield tuple(batch)

    def __repr__(self) -> str:
        return (f"DataLoader(n={self.n}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, device={self.device!r})")
