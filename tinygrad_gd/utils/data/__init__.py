"""``tg.utils.data``: the same objects as ``tinygrad_gd.data``, at torch's import path."""

from ...data import *  # noqa: F403
