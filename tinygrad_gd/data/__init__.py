"""Datasets (MNIST) and the DataLoader."""
