"""``nn.utils``: gradient clipping and parameter/vector conversions, as torch's
(``from tinygrad_gd.nn.utils import clip_grad_norm_`` works as in torch)."""

from __future__ import annotations

from .clip_grad import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from . import rnn  # noqa: E402 - torch.nn.utils.rnn (pad_sequence)

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm",
           "parameters_to_vector", "vector_to_parameters"]
