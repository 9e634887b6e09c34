"""Build the MNIST subset bundled with the package (``mnist_subset.npz``).

The subset is class-balanced and deterministic: the first 500 images of each digit in the official
training file (5,000 images) and the first 100 of each digit in the official test file (1,000),
kept in their original order. Arrays are uint8 images and labels plus the int32 indices they came
from, stored with ``numpy.savez_compressed`` (about 1.0 MB)::

    python -m tinygrad_gd.data.make_subset /path/to/dir/with/mnist/idx/files
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np

from .mnist import BUNDLED_SUBSET, read_split

PER_CLASS = {"train": 500, "test": 100}


def balanced_indices(labels: np.ndarray, per_class: int) -> np.ndarray:
    """Indices of the first ``per_class`` items of each class, in their original order.

    >>> balanced_indices(np.array([0, 1, 0, 1, 0]), 2).tolist()
    [0, 1, 2, 3]
    """
    keep = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in np.unique(labels)])
    return np.sort(keep)


def build(source: str | os.PathLike, target: str | os.PathLike = BUNDLED_SUBSET) -> Path:
    """Write the subset of the IDX files in ``source`` to ``target`` atomically."""
    arrays = {}
    for split, per_class in PER_CLASS.items():
        images, labels = read_split(source, split)
        idx = balanced_indices(labels, per_class)
        arrays[f"{split}_images"] = images[idx]
        arrays[f"{split}_labels"] = labels[idx].astype(np.uint8)
        arrays[f"{split}_indices"] = idx.astype(np.int32)
    target = Path(target)
    fd, tmp = tempfile.mkstemp(suffix=".npz", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def main() -> None:
    """Command line: ``python -m tinygrad_gd.data.make_subset SOURCE_DIR [TARGET]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="directory holding the four MNIST IDX files")
    parser.add_argument("target", nargs="?", default=str(BUNDLED_SUBSET))
    args = parser.parse_args()
    path = build(args.source, args.target)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
