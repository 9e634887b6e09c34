"""``nn.utils``: gradient clipping and parameter/vector conversions, as torch's."""

from __future__ import annotations

__all__: list[str] = []
