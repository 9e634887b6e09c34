"""``tg.utils``: torch.utils's paths (``tg.utils.data`` is ``tg.data``'s datasets and loader;
``tg.utils.checkpoint`` is activation checkpointing)."""

from . import checkpoint, data
