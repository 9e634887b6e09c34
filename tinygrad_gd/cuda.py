"""``tg.cuda``: what torch.cuda answers about GPUs (through CuPy)."""

from __future__ import annotations

__all__: list[str] = []
