"""Dtype and device conversions (long, int, half, bool, type_as, ...), dtype questions, the
``new_*`` factories and the in-place random fills (``uniform_``, ``normal_``, ...).

Casts to a float dtype are differentiable; casts to ints and bools carry no gradient (as
``Tensor.to``). ``x.long()``, ``x.float()`` and ``x.double()`` live in ``tensor.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__: list[str] = []  # the tg.X forms (is_tensor, numel, dtypes) live in creation/dtypes

# torch's legacy type names (x.type()), for scripts that compare them
_TYPE_NAMES = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
               "float16": "torch.HalfTensor", "int64": "torch.LongTensor",
               "int32": "torch.IntTensor", "int16": "torch.ShortTensor",
               "int8": "torch.CharTensor", "uint8": "torch.ByteTensor",
               "bool": "torch.BoolTensor"}
_FROM_TYPE_NAME = {v: k for k, v in _TYPE_NAMES.items()}


class ConversionMethods:
    """Mixin of ``Tensor``: dtype and device conversions, ``new_*`` factories, random fills."""

    __slots__ = ()

    # ------------------------------------------------------------------------- casts
    def _cast(self, dtype: Any) -> Tensor:
        return self.to(dtype=dtype)

    def short(self) -> Tensor:
        """Cast to int16 (no gradient)."""
        return self._cast(np.int16)

    def char(self) -> Tensor:
        """Cast to int8 (no gradient)."""
        return self._cast(np.int8)

    def byte(self) -> Tensor:
        """Cast to uint8 (no gradient)."""
        return self._cast(np.uint8)

    def half(self) -> Tensor:
        """Cast to float16 (differentiable)."""
        return self._cast(np.float16)

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:  # noqa: A003
        """Without ``dtype``: torch's type name (``'torch.FloatTensor'``, so scripts comparing
        it keep working); with one (a dtype or such a name): the cast tensor.

        >>> import tinygrad_gd as tg
        >>> tg.tensor([1.0]).type(), tg.tensor([1.0]).type(tg.int64).dtype
        ('torch.FloatTensor', dtype('int64'))
        """
        if dtype is None:
            name = _TYPE_NAMES[self.dtype.name]
            return name if self._device == "cpu" else name.replace("torch.", "torch.cuda.")
        if isinstance(dtype, str) and "Tensor" in dtype:
            key = dtype.replace("torch.cuda.", "torch.").replace("tinygrad_gd.", "torch.")
            if key not in _FROM_TYPE_NAME:
                raise TypeError(f"type: unknown tensor type {dtype!r}; expected one of "
                                f"{sorted(_FROM_TYPE_NAME)}")
            out = self._cast(_FROM_TYPE_NAME[key])
            return out.to("cuda") if "cuda." in dtype else out
        return self._cast(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        """Cast to ``other``'s dtype."""
        return self._cast(other.dtype)

    # ------------------------------------------------------------------ dtype questions
    def is_floating_point(self) -> bool:
        """True for float16/32/64 tensors."""
        return self.dtype.kind == "f"

    def is_complex(self) -> bool:
        """False: complex dtypes are not supported."""
        return self.dtype.kind == "c"

    def element_size(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes of all the elements."""
        return int(self.data.nbytes)

    # ------------------------------------------------------------------- device questions
    @property
    def is_cuda(self) -> bool:
        """True on a GPU."""
        return self._device != "cpu"

    @property
    def is_cpu(self) -> bool:
        """True on the CPU."""
        return self._device == "cpu"

    def get_device(self) -> int:
        """The GPU index, or -1 on the CPU (as torch)."""
        return -1 if self._device == "cpu" else int(self._device.split(":")[1])

    def contiguous(self, memory_format: Any = None) -> Tensor:
        """``self`` when its values are C-contiguous, else a C-contiguous (differentiable) copy,
        as torch's: an expanded or transposed view gets memory of its own, which in-place ops
        may then write (on every device alike)."""
        if self.data.flags.c_contiguous:
            return self
        out = self.clone()
        if not out.data.flags.c_contiguous:  # the copy kept a transposed layout
            out.data = backend.xp_of(out.data).ascontiguousarray(out.data)
        return out

    def is_contiguous(self, memory_format: Any = None) -> bool:
        """Whether the values are C-contiguous in memory."""
        return bool(self.data.flags.c_contiguous)

    # ---------------------------------------------------------------------- new_* factories
    def _new_kw(self, dtype: Any, device: Any) -> dict:
        return {"dtype": self.dtype if dtype is None else dtype,
                "device": self._device if device is None else device}

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
        """Zeros of ``size`` with this tensor's dtype and device (unless given)."""
        from ..creation import zeros

        return zeros(*size, requires_grad=requires_grad, **self._new_kw(dtype, device))

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        """Ones of ``size`` with this tensor's dtype and device (unless given)."""
        from ..creation import ones

        return ones(*size, requires_grad=requires_grad, **self._new_kw(dtype, device))

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
        """An uninitialised (here: zero) tensor of ``size`` like this one."""
        return self.new_zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        """``fill_value`` everywhere, in this tensor's dtype and device (unless given)."""
        from ..creation import full

        return full(size, fill_value, requires_grad=requires_grad,
                    **self._new_kw(dtype, device))

    def new_tensor(self, data: Any, *, dtype: Any = None, device: Any = None,
                   requires_grad: bool = False) -> Tensor:
        """A copy of ``data`` in this tensor's dtype and device (unless given).

        >>> import tinygrad_gd as tg
        >>> tg.zeros(1, dtype=tg.float64).new_tensor([1, 2]).dtype
        dtype('float64')
        """
        from ..creation import tensor

        return tensor(data, requires_grad=requires_grad, **self._new_kw(dtype, device))

    # -------------------------------------------------------------------- random fills
    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with uniform samples from [a, b), in place."""
        from ..random import fill_random_

        self._check_float("uniform_")
        return fill_random_(self, "uniform", generator, a=a, b=b)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with normal samples, in place."""
        from ..random import fill_random_

        self._check_float("normal_")
        return fill_random_(self, "normal", generator, mean=mean, std=std)

    def exponential_(self, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with exponential samples of rate ``lambd``, in place."""
        from ..random import fill_random_

        self._check_float("exponential_")
        if lambd <= 0:
            raise ValueError(f"exponential_: lambd must be positive, got {lambd}")
        return fill_random_(self, "exponential", generator, lambd=lambd)

    def bernoulli_(self, p: Any = 0.5, *, generator: Any = None) -> Tensor:
        """Fill with 0/1 samples (1 with probability ``p``), in place."""
        from ..random import fill_random_

        return fill_random_(self, "bernoulli", generator, p=p)

    def bernoulli(self, p: float | None = None, *, generator: Any = None) -> Tensor:
        """0/1 samples with probabilities ``self`` (or ``p``)."""
        from ..random import bernoulli

        return bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples: int, replacement: bool = False, *,
                    generator: Any = None) -> Tensor:
        """Indices drawn with probabilities proportional to the rows of ``self``."""
        from ..random import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    def random_(self, from_: int = 0, to: int | None = None, *, generator: Any = None) -> Tensor:
        """Fill with integers uniform in ``[from_, to)``; ``random_(to)`` starts at 0; without
        bounds, ``[0, 2**mantissa]`` for floats and the dtype's range for ints (as torch)."""
        from ..random import fill_random_

        if to is None and from_ != 0:
            from_, to = 0, from_
        if to is None:
            kind = self.dtype.kind
            if kind == "f":
                to = 2 ** (np.finfo(self.dtype).nmant + 1) + 1
            elif kind == "b":
                to = 2
            else:
                to = int(np.iinfo(self.dtype).max) + (1 if self.dtype.itemsize < 8 else 0)
        if to <= from_:
            raise ValueError(f"random_: expected from < to, got from={from_}, to={to}")
        return fill_random_(self, "random", generator, low=int(from_), high=int(to))

    def _check_float(self, name: str) -> None:
        if not backend.is_floating(self.dtype):
            raise TypeError(f"{name}: needs a floating-point tensor, got dtype {self.dtype}")

    # torch's names that shadow builtins, defined last so the class body above still sees the
    # builtins int and bool
    def int(self) -> Tensor:  # noqa: A003
        """Cast to int32 (no gradient)."""
        return self._cast(np.int32)

    def bool(self) -> Tensor:  # noqa: A003
        """Cast to bool (no gradient)."""
        return self._cast(np.bool_)
