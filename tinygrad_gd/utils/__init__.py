"""``tg.utils``: torch.utils's paths (``tg.utils.data`` is ``tg.data``'s datasets and loader)."""

from . import data
