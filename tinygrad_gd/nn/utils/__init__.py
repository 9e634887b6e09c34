"""``nn.utils``: gradient clipping, parameter/vector conversions, parametrizations (weight and
spectral normalisation), as torch's (``from tinygrad_gd.nn.utils import clip_grad_norm_``
works as in torch)."""

from __future__ import annotations

from .clip_grad import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from . import rnn  # noqa: E402 - torch.nn.utils.rnn (pad_sequence)
from . import parametrizations, parametrize  # noqa: E402
from .parametrizations import old_spectral_norm as spectral_norm  # noqa: E402
from .parametrizations import old_weight_norm as weight_norm  # noqa: E402
from .parametrizations import remove_spectral_norm, remove_weight_norm  # noqa: E402

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm",
           "parameters_to_vector", "vector_to_parameters", "weight_norm", "spectral_norm",
           "remove_weight_norm", "remove_spectral_norm", "parametrize", "parametrizations"]
