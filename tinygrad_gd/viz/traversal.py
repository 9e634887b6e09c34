"""Walking the tape for pictures: values, reachability, and repeated blocks to collapse.

A tensor changed in place inside a graph gets a new node (``tensor._ctx`` moves on), while the
operations recorded before still read the old value: each node keeps the parents it saw in
``fn.edges``. So a *value* in the graph is a ``(tensor, node that made it)`` pair, the node being
None for a leaf. Every walk here is iterative (no recursion limit) and deterministic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

from ..autograd.engine import Primitive
from ..tensor import Tensor

Value = tuple[Tensor, Any]
MAX_PERIOD = 64  # the longest block (in operations) looked for when collapsing repeats


def value_key(value: Value) -> tuple[int, int]:
    """A value is its node (one output per node, whichever tensor object holds it), or for a leaf
    the tensor itself."""
    t, fn = value
    return (0, id(fn)) if fn is not None else (1, id(t))


def op_inputs(fn: Primitive) -> list[Value]:
    """The values an operation read, with the nodes that made them at the time."""
    return list(zip(fn.inputs, fn.edges))


def reachable(roots: Iterable[Value]) -> tuple[set[int], set[tuple[int, int]]]:
    """The ids of the operations and the keys of the values in the graph behind ``roots``."""
    ops: set[int] = set()
    values: set[tuple[int, int]] = set()
    stack = list(roots)
    while stack:
        value = stack.pop()
        if value_key(value) in values:
            continue
        values.add(value_key(value))
        fn = value[1]
        if fn is not None and id(fn) not in ops:
            ops.add(id(fn))
            stack.extend(op_inputs(fn))
    return ops, values


def leaves_requiring_grad(roots: Sequence[Tensor]) -> list[Tensor]:
    """The leaves behind ``roots`` that require grad, nearest the roots first."""
    seen: set[tuple[int, int]] = set()
    leaves: list[Tensor] = []
    queue: deque[Value] = deque((t, t._ctx) for t in roots)
    while queue:
        value = queue.popleft()
        if value_key(value) in seen:
            continue
        seen.add(value_key(value))
        t, fn = value
        if fn is None:
            if t.requires_grad:
                leaves.append(t)
        else:
            queue.extend(op_inputs(fn))
    return leaves


def topological_ops(roots: Sequence[Value]) -> list[Primitive]:
    """The operations behind ``roots``, each after the operations it reads from (depth first,
    arguments in order), so a chain of layers comes out layer by layer."""
    order: list[Primitive] = []
    seen: set[int] = set()
    for _, root in roots:
        if root is None:
            continue
        stack: list[tuple[Primitive, bool]] = [(root, False)]
        while stack:
            fn, done = stack.pop()
            if done:
                order.append(fn)
                continue
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            stack.append((fn, True))
            stack.extend((p, False) for p in reversed(fn.edges)
                         if p is not None and id(p) not in seen)
    return order


def _signature(fn: Primitive) -> tuple:
    """What makes two operations "the same" in a picture: the primitive, and the kind, shape and
    dtype of each input."""
    kinds = tuple(("op" if parent is not None else "param" if t.requires_grad else "const",
                   tuple(t.shape), t.dtype.str) for t, parent in op_inputs(fn))
    return (type(fn).__name__, kinds)


class Region:
    """Repeats of one block of operations, to be drawn as a single note: the operations hidden,
    the values they read from outside, and how many nodes that leaves out."""

    def __init__(self, hidden: list[Primitive], repeats: int, period: int,
                 readers: dict[tuple[int, int], set[int]]) -> None:
        self.ops = {id(fn) for fn in hidden}
        self.made = {(0, id(fn)) for fn in hidden}  # the values the hidden operations made
        external: dict[tuple[int, int], Value] = {}
        self.leaves: set[tuple[int, int]] = set()
        for fn in hidden:
            for value in op_inputs(fn):
                key = value_key(value)
                if key in self.made:
                    continue
                if value[1] is None and readers[key] <= self.ops:
                    self.leaves.add(key)  # a leaf only the hidden blocks read: its parameters
                else:
                    external.setdefault(key, value)
        self.external = list(external.values())
        self.label = (f"{repeats} more repeats of the block of {period} operation"
                      f"{'s' if period > 1 else ''} above\\n({len(self.ops)} operations and "
                      f"{len(self.leaves)} leaf tensors not drawn)")


def find_repeats(roots: Sequence[Value], min_repeats: int = 3) -> Region | None:
    """The longest run of a block of operations repeated at least ``min_repeats`` times in a row
    (in topological order), as a ``Region`` holding all repeats but the first and the last; None
    when nothing repeats."""
    order = topological_ops(roots)
    sigs = [_signature(fn) for fn in order]
    n = len(sigs)
    best: tuple[int, int, int, int] | None = None  # (operations hidden, start, period, repeats)
    for period in range(1, min(MAX_PERIOD, n // min_repeats) + 1):
        start = 0
        while start + min_repeats * period <= n:
            block = sigs[start:start + period]
            k = 1
            while sigs[start + k * period:start + (k + 1) * period] == block:
                k += 1
            if k >= min_repeats and (best is None or (k - 2) * period > best[0]):
                best = ((k - 2) * period, start, period, k)
            start += (k - 1) * period if k > 1 else 1
    if best is None:
        return None
    _, start, period, k = best
    readers: dict[tuple[int, int], set[int]] = {}
    for fn in order:
        for value in op_inputs(fn):
            readers.setdefault(value_key(value), set()).add(id(fn))
    hidden = order[start + period:start + (k - 1) * period]
    return Region(hidden, k - 2, period, readers)
