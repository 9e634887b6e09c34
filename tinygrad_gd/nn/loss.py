"""Loss modules with torch's names, each wrapping its function of ``nn.functional``."""

from __future__ import annotations

__all__: list[str] = []
