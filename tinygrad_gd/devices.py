"""``tg.device``: torch's device objects, as strings that know their ``type`` and ``index``.

A ``device`` is a ``str`` (``"cpu"``, ``"cuda"``, ``"cuda:0"``), so it is accepted wherever a
device string is, compares equal to that string, and hashes like it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["device"]


class device(str):  # noqa: N801 - torch's name
    """A device: ``tg.device("cpu")``, ``tg.device("cuda", 0)``, ``tg.device("cuda:0")``.

    >>> import tinygrad_gd as tg
    >>> d = tg.device("cuda", 1)
    >>> d, d.type, d.index, d == "cuda:1"
    (device(type='cuda', index=1), 'cuda', 1, True)
    """

    __slots__ = ()

    def __new__(cls, type: Any, index: int | None = None) -> device:  # noqa: A002
        if isinstance(type, device) and index is None:
            return type
        if isinstance(type, int) and not isinstance(type, bool):  # torch: device(0) is cuda:0
            type, index = "cuda", type  # noqa: A001
        text = str(type).strip().lower()
        kind, _, tail = text.partition(":")
        if kind not in ("cpu", "cuda") or (tail and not tail.isdigit()):
            raise ValueError(f"bad device {type!r}; expected 'cpu', 'cuda' or 'cuda:N'")
        if index is not None:
            if tail:
                raise ValueError(f"device: {type!r} already names an index; do not pass "
                                 f"index={index}")
            if not isinstance(index, int) or index < 0:
                raise ValueError(f"device: the index must be a non-negative int, got {index!r}")
            tail = str(index)
        return str.__new__(cls, f"{kind}:{tail}" if tail else kind)

    @property
    def type(self) -> str:
        """``'cpu'`` or ``'cuda'``."""
        return self.partition(":")[0]

    @property
    def index(self) -> int | None:
        """The device's number, or None when not given."""
        tail = self.partition(":")[2]
        return int(tail) if tail else None

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    __hash__ = str.__hash__


_CACHE: dict[str, device] = {}


def as_device(name: str) -> device:
    """The (cached) ``device`` for a normalised device string (``Tensor.device``)."""
    d = _CACHE.get(name)
    if d is None:
        d = _CACHE[name] = device(name)
    return d
