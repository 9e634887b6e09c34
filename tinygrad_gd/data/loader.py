"""DataLoader, with torch's signature: whole datasets on the device once, batches as
sliced copies or gathers (never views of the dataset, as torch's); any other dataset through a
sampler and ``collate_fn``.

For a ``TensorDataset`` or a dataset with ``as_arrays()`` (MNIST), and no custom sampler or
collate function, the loader converts its dataset to arrays a single time (MNIST: float32,
scaled to [0, 1] and normalised with mean 0.1307 / std 0.3081; see ``MNIST.as_arrays``), moves
them to the device, and then cuts each batch with one sliced copy (in order) or one gather
(shuffled) on the device -- no Python loop over samples, no per-batch conversion. Any other
map-style dataset is read item by item each epoch (so random augmentations in
``__getitem__`` run anew) and batched with ``collate_fn`` (``default_collate``); an
``IterableDataset`` is read as a stream.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor
from .collate import default_collate
from .dataset import IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader"]


def _fast_arrays(dataset: Any) -> list[Any] | None:
    """The dataset as whole arrays (a TensorDataset, or ``as_arrays()``), or None."""
    if isinstance(dataset, TensorDataset):
        return [t.data for t in dataset.tensors]
    if hasattr(dataset, "as_arrays") and not isinstance(dataset, IterableDataset):
        return list(dataset.as_arrays())
    return None


def _to_device(batch: Any, device: str) -> Any:
    """Move every Tensor of a collated batch to ``device``."""
    if isinstance(batch, Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: _to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(_to_device(v, device) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to_device(v, device) for v in batch)
    return batch


def _positive_int(name: str, value: Any, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int{' or None' if allow_none else ''}, "
                         f"got {value!r}")


class DataLoader:
    """Iterate over a dataset in batches of Tensors on ``device`` (torch's ``DataLoader``).

    - ``batch_size=None``: one batch holding the whole dataset (batch gradient descent; torch
      instead yields unbatched samples); ``batch_size=1``: one sample at a time (SGD).
    - ``shuffle``: a new permutation each epoch, drawn from ``seed`` and the epoch number only, so
      a run is reproducible and ``set_epoch`` / ``load_state_dict`` resume it exactly. With
      ``seed=None`` the seed comes from ``generator`` (a ``tg.Generator``) or the library's
      generator (``tg.manual_seed``).
    - ``sampler`` / ``batch_sampler`` / ``collate_fn``: as torch (``default_collate`` stacks
      Tensors and arrays, Python floats become float64 and ints int64).
    - ``num_workers > 0`` loads in this process all the same (no worker processes);
      ``pin_memory`` and the other worker options are accepted and have no effect.
    - ``transform``: a function applied to each batch's inputs (the first element) on the device.

    >>> import tinygrad_gd as tg
    >>> ds = TensorDataset(tg.arange(10).reshape(5, 2).float(), tg.arange(5))
    >>> loader = DataLoader(ds, batch_size=2, shuffle=True, seed=0)
    >>> len(loader), sorted(y for _, ys in loader for y in ys.tolist())
    (3, [0, 1, 2, 3, 4])
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Any = None, batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Any = None,
                 multiprocessing_context: Any = None, generator: Any = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True, seed: int | None = None,
                 device: Any = "cpu",
                 transform: Callable[[Tensor], Tensor] | None = None) -> None:
        _positive_int("batch_size", batch_size, allow_none=True)
        shuffle = bool(shuffle)
        iterable = isinstance(dataset, IterableDataset)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                             "batch_size, shuffle, sampler, and drop_last")
        if iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError("DataLoader: an IterableDataset takes no shuffle, sampler or "
                             "batch_sampler (it orders its own items)")
        if num_workers < 0:
            raise ValueError(f"num_workers option should be non-negative, got {num_workers}")
        self.dataset = dataset
        self.device = backend.parse_device(device)
        self.num_workers, self.pin_memory, self.generator = num_workers, pin_memory, generator
        self.shuffle, self.drop_last, self.transform = shuffle, drop_last, transform
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.sampler, self.batch_sampler = sampler, batch_sampler
        arrays = None
        if sampler is None and batch_sampler is None and collate_fn is None and not iterable:
            arrays = _fast_arrays(dataset)
        self.tensors = None if arrays is None else [Tensor(a, device=self.device) for a in arrays]
        if self.tensors is not None:
            self.n = self.tensors[0].shape[0]
            if any(t.shape[0] != self.n for t in self.tensors):
                raise ValueError("DataLoader: the dataset's arrays differ in length")
        else:
            self.n = len(dataset) if not iterable or hasattr(dataset, "__len__") else None
        if self.n == 0:
            raise ValueError("DataLoader: the dataset is empty")
        if drop_last and batch_size is not None and self.n is not None and batch_size > self.n \
                and sampler is None:
            # Clamping here would hand out a batch smaller than batch_size, which drop_last
            # promises never to do; an epoch of no batches would train silently on nothing.
            raise ValueError(f"batch_size={batch_size} with drop_last=True: the dataset has only "
                             f"{self.n} samples, so no batch would be complete")
        if batch_size is None:
            self.batch_size = self.n if self.n is not None else None
        else:
            self.batch_size = int(batch_size) if self.n is None or sampler is not None else int(
                min(batch_size, self.n))
        if seed is None:
            source = generator.rng(str(generator.device)) if generator is not None else \
                backend.generators.get("cpu")
            seed = int(source.integers(2**62))
        elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            # checked here: NumPy's seeding would only fail at the first shuffled epoch
            raise ValueError(f"seed must be a non-negative int or None, got {seed!r}")
        self.seed = int(seed)
        self.epoch = 0
        if not iterable and sampler is None and batch_sampler is None:
            # torch's attributes; iteration itself uses permutation(epoch) (seeded per epoch)
            self.sampler = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
            self._own_sampler = True
        else:
            self._own_sampler = False

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None and not self._own_sampler else self.n
        if n is None:
            raise TypeError("len() of a DataLoader over an IterableDataset without __len__")
        bs = self.batch_size or n
        return n // bs if self.drop_last else math.ceil(n / bs)

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

    def __iter__(self) -> Iterator[Any]:
        epoch, self.epoch = self.epoch, self.epoch + 1
        if self.tensors is not None:
            yield from self._fast(epoch)
            return
        for batch in self._index_batches(epoch):
            out = self.collate_fn(batch)
            if self.device != "cpu":
                out = _to_device(out, self.device)
            if self.transform is not None:
                out = self._transformed(out)
            yield out

    def _transformed(self, out: Any) -> Any:
        if isinstance(out, Tensor):
            return self.transform(out)
        out = list(out)
        out[0] = self.transform(out[0])
        return out

    def _index_batches(self, epoch: int) -> Iterator[list]:
        """The samples of each batch (read from the dataset), in order."""
        if isinstance(self.dataset, IterableDataset):
            batch: list = []
            for item in self.dataset:
                batch.append(item)
                if self.batch_size is not None and len(batch) == self.batch_size:
                    yield batch
                    batch = []
            if batch and not (self.drop_last and self.batch_size is not None):
                yield batch
            return
        if self.batch_sampler is not None:
            groups: Any = self.batch_sampler
        elif not self._own_sampler:
            groups = BatchSampler(self.sampler, self.batch_size or len(self.sampler),
                                  self.drop_last)
        else:
            order = self.permutation(epoch).tolist()
            bs = self.batch_size
            count = self.n // bs if self.drop_last else math.ceil(self.n / bs)
            groups = (order[b * bs:(b + 1) * bs] for b in range(count))
        for idx in groups:
            yield [self.dataset[i] for i in idx]

    def _fast(self, epoch: int) -> Iterator[list[Tensor]]:
        order = None
        if self.shuffle:
            order = Tensor(self.permutation(epoch), device=self.device)
        for b in range(len(self)):
            lo, hi = b * self.batch_size, min((b + 1) * self.batch_size, self.n)
            if order is None:
                # a copy, as torch's collate makes: an in-place change to a batch must not
                # reach the dataset (it would compound every epoch)
                batch = [Tensor._make(t.data[lo:hi].copy(), self.device) for t in self.tensors]
            else:  # a gather already makes new arrays
                batch = [t[order[lo:hi]] for t in self.tensors]
            if self.transform is not None:
                batch[0] = self.transform(batch[0])
            yield batch  # a list, as torch's default collate of a TensorDataset

    def __repr__(self) -> str:
        return (f"DataLoader(n={self.n}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, device={self.device!r})")


def get_worker_info() -> None:
    """torch's ``get_worker_info``: None, as in torch's main process (every batch here is loaded
    in the process that iterates, whatever ``num_workers`` says)."""
    return None
