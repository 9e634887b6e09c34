"""Datasets (MNIST, Fashion-MNIST), torch's dataset/sampler classes and the DataLoader.

Also importable as ``tinygrad_gd.utils.data`` (torch's path).

>>> from tinygrad_gd import data
>>> loader = data.DataLoader(data.TensorDataset([[0.0], [1.0], [2.0]]), batch_size=2)
>>> [x.shape for (x,) in loader]
[(2, 1), (1, 1)]
"""

from .collate import default_collate, default_convert
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .loader import DataLoader, get_worker_info
from .mnist import MNIST, MNIST_MEAN, MNIST_STD, ChecksumError, DatasetError, FashionMNIST
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)
from ..distributed.sampler import DistributedSampler  # torch: tg.utils.data.distributed

__all__ = ["MNIST", "FashionMNIST", "DataLoader", "TensorDataset", "DatasetError",
           "ChecksumError", "MNIST_MEAN", "MNIST_STD", "Dataset", "IterableDataset", "Subset",
           "ConcatDataset", "random_split", "default_collate", "default_convert", "Sampler",
           "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler", "DistributedSampler", "get_worker_info"]
