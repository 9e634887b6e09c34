"""Samplers with torch's names: which indices a DataLoader reads, and in which batches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


def _rng(generator: Any) -> Any:
    """A NumPy generator: the tg.Generator's, or a fresh one seeded from the library's."""
    if generator is not None:
        return generator.rng("cpu") if str(generator.device) == "cpu" else np.random.default_rng(
            int(generator.rng(str(generator.device)).integers(2**62)))
    from .. import backend

    return np.random.default_rng(int(backend.generators.get("cpu").integers(2**62)))


class Sampler:
    """Base class: iterate over dataset indices (subclasses define ``__iter__``)."""

    def __init__(self, data_source: Any = None) -> None:
        pass

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the indices (a new one each pass), or ``num_samples`` draws with
    ``replacement``; from ``generator`` (a ``tg.Generator``) or the library's generator."""

    def __init__(self, data_source: Any, replacement: bool = False,
                 num_samples: int | None = None, generator: Any = None) -> None:
        self.data_source, self.replacement, self.generator = data_source, replacement, generator
        self._num_samples = num_samples
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"RandomSampler: num_samples should be a positive integer, got "
                             f"{self.num_samples!r}")

    @property
    def num_samples(self) -> int:
        """How many indices one pass gives."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, rng = len(self.data_source), _rng(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, self.num_samples).tolist())
        reps = -(-self.num_samples // n)
        order = np.concatenate([rng.permutation(n) for _ in range(reps)])
        return iter(order[:self.num_samples].tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order."""

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices, self.generator = list(indices), generator

    def __iter__(self) -> Iterator[int]:
        order = _rng(self.generator).permutation(len(self.indices))
        return iter([self.indices[i] for i in order])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Any = None) -> None:
        self.weights = np.asarray(weights.tolist() if hasattr(weights, "tolist") else weights,
                                  dtype=np.float64)
        if self.weights.ndim != 1 or (self.weights < 0).any() or self.weights.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be a 1-D sequence of "
                             "non-negative numbers with a positive sum")
        if not replacement and num_samples > np.count_nonzero(self.weights):
            raise ValueError("WeightedRandomSampler: more samples than nonzero weights without "
                             "replacement")
        self.num_samples, self.replacement, self.generator = int(num_samples), replacement, \
            generator

    def __iter__(self) -> Iterator[int]:
        p = self.weights / self.weights.sum()
        out = _rng(self.generator).choice(len(p), self.num_samples, replace=self.replacement, p=p)
        return iter(out.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``).

    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Any, batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or \
                batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, got {batch_size!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), bool(drop_last)

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for i in self.sampler:
            batch.append(int(i))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
