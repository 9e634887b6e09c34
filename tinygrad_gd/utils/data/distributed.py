"""``tg.utils.data.distributed``: torch's path to ``DistributedSampler``."""

from ...distributed.sampler import DistributedSampler

__all__ = ["DistributedSampler"]
