"""Datasets (MNIST, Fashion-MNIST) and the DataLoader.

>>> from tinygrad_gd import data
>>> loader = data.DataLoader(data.TensorDataset([[0.0], [1.0], [2.0]]), batch_size=2)
>>> [x.shape for (x,) in loader]
[(2, 1), (1, 1)]
"""

from .loader import DataLoader, TensorDataset
from .mnist import MNIST, MNIST_MEAN, MNIST_STD, ChecksumError, DatasetError, FashionMNIST

__all__ = ["MNIST", "FashionMNIST", "DataLoader", "TensorDataset", "DatasetError",
           "ChecksumError", "MNIST_MEAN", "MNIST_STD"]
