"""``tg.nn.parallel``: torch's path to ``DistributedDataParallel`` (see ``tg.distributed``).

Resolved on first use: ``tg.distributed`` imports ``nn``, so importing it here eagerly would be
circular.
"""

from typing import Any

__all__ = ["DistributedDataParallel"]  # noqa: F822 - resolved by __getattr__


def __getattr__(name: str) -> Any:
    if name == "DistributedDataParallel":
        from ..distributed.ddp import DistributedDataParallel

        return DistributedDataParallel
    raise AttributeError(f"module 'tinygrad_gd.nn.parallel' has no attribute {name!r}")
