"""Optimizers: gradient descent in all its forms, Newton's method, schedules, early stopping, SWA."""
