"""``tg.linalg``: torch.linalg's functions, differentiable where torch's are."""

from __future__ import annotations

__all__: list[str] = []
