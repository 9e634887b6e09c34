"""torch's named tuples of results (``torch.return_types.max`` and friends).

Each is a ``tuple`` subclass with named fields, so both ``values, indices = x.max(1)`` and
``x.max(1).values`` work, as in torch.

>>> import tinygrad_gd as tg
>>> r = tg.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
>>> r.values.tolist(), r.indices.tolist()
([5.0, 7.0], [1, 0])
>>> isinstance(r, tuple), type(r).__name__
(True, 'max')
"""

from __future__ import annotations

from typing import Any

__all__ = ["max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax",
           "cummin", "aminmax"]


class _ReturnType(tuple):
    """A tuple with named fields, built from one sequence as torch's ``return_types``."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def __new__(cls, sequence: Any = ()) -> Any:
        items = tuple(sequence)
        if len(items) != len(cls._fields):
            raise TypeError(f"{cls.__name__} takes a sequence of {len(cls._fields)} items "
                            f"({', '.join(cls._fields)}), got {len(items)}")
        return super().__new__(cls, items)

    def __reduce__(self) -> tuple:
        return (type(self), (tuple(self),))

    def __repr__(self) -> str:
        fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"tinygrad_gd.return_types.{type(self).__name__}(\n{fields})"


def _named(name: str, fields: tuple[str, ...]) -> type:
    body: dict[str, Any] = {"__slots__": (), "_fields": fields, "__module__": __name__,
                            "__doc__": f"The named tuple ``({', '.join(fields)})`` that "
                                       f"``{name}`` returns."}
    for i, field in enumerate(fields):
        body[field] = property(lambda self, i=i: tuple.__getitem__(self, i),
                               doc=f"Item {i}.")
    cls = type(name, (_ReturnType,), body)
    cls.__qualname__ = name
    return cls


# Module attributes named after the functions, as torch.return_types (they shadow builtins here,
# which this module never uses after this point).
max = _named("max", ("values", "indices"))  # noqa: A001
min = _named("min", ("values", "indices"))  # noqa: A001
sort = _named("sort", ("values", "indices"))
topk = _named("topk", ("values", "indices"))
kthvalue = _named("kthvalue", ("values", "indices"))
median = _named("median", ("values", "indices"))
nanmedian = _named("nanmedian", ("values", "indices"))
mode = _named("mode", ("values", "indices"))
cummax = _named("cummax", ("values", "indices"))
cummin = _named("cummin", ("values", "indices"))
aminmax = _named("aminmax", ("min", "max"))
