"""torch's legacy typed-tensor names that older scripts still use: ``tg.FloatTensor([1, 2])``,
``tg.LongTensor(3)``, ``isinstance(x, tg.FloatTensor)``, ``torch.autograd.Variable(x,
requires_grad=True)`` and ``tg.Size``.

``XTensor(data)`` copies ``data`` into that dtype; ``XTensor(*sizes)`` makes a zero tensor of
that shape (torch leaves it uninitialised); ``isinstance`` checks the dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
           "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor", "Size", "Variable"]


class _TypedTensorMeta(type):
    dtype: np.dtype

    def __call__(cls, *args: Any, device: Any = None) -> Any:
        from .creation import tensor, zeros

        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            return tensor(args[0], dtype=cls.dtype, device=device)
        if all(isinstance(a, (int, np.integer)) for a in args):
            return zeros(*args, dtype=cls.dtype, device=device)
        raise TypeError(f"{cls.__name__}(): expected data or sizes (ints), got {args!r}")

    def __instancecheck__(cls, obj: Any) -> bool:
        from .tensor import Tensor

        return isinstance(obj, Tensor) and obj.data.dtype == cls.dtype


def _typed(name: str, dtype: Any) -> type:
    return _TypedTensorMeta(name, (), {"dtype": np.dtype(dtype),
                                       "__doc__": f"torch.{name}: a {dtype} tensor."})


FloatTensor = _typed("FloatTensor", np.float32)
DoubleTensor = _typed("DoubleTensor", np.float64)
HalfTensor = _typed("HalfTensor", np.float16)
LongTensor = _typed("LongTensor", np.int64)
IntTensor = _typed("IntTensor", np.int32)
ShortTensor = _typed("ShortTensor", np.int16)
CharTensor = _typed("CharTensor", np.int8)
ByteTensor = _typed("ByteTensor", np.uint8)
BoolTensor = _typed("BoolTensor", np.bool_)


class Size(tuple):
    """``torch.Size``: a tuple of ints (shapes here are plain tuples, equal to it)."""

    def numel(self) -> int:
        """The product of the sizes."""
        return int(np.prod(self, dtype=np.int64))


def Variable(data: Any, requires_grad: bool = False, volatile: bool = False) -> Any:  # noqa: N802
    """torch's pre-0.4 ``Variable``: the tensor itself (with ``requires_grad`` set)."""
    from .tensor import Tensor

    t = data if isinstance(data, Tensor) else Tensor(data)
    if requires_grad:
        t.requires_grad_(True)
    return t
