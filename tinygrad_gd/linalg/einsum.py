"""``einsum``: Einstein summation built from diagonals, sums, permutes, reshapes and matmul.

Every subscript form torch accepts: explicit (``"ij,jk->ik"``) or implicit output (the letters
seen once, in alphabetical order), ``...`` with broadcasting, a letter repeated within one operand
(a diagonal: ``"ii->i"``, ``"ii"``), letters summed out, any number of operands (contracted
pairwise, left to right) given as varargs or as one list, and the sublist form
``einsum(a, [0, 1], b, [1, 2], [0, 2])``. Sizes of 1 broadcast against other sizes, as in torch.
"""

# Matrices keep their math names (A, B, U, S, Vh), which are also torch's keyword names.
# ruff: noqa: N803, N806
from __future__ import annotations

import math
import string
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor, _promote

__all__ = ["einsum", "diagonal"]

_LETTERS = set(string.ascii_letters)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonal (shifted by ``offset``) of the ``dim1``/``dim2`` planes, appended as the
    last dimension (torch.linalg.diagonal). A view in torch; a differentiable copy here.

    >>> import tinygrad_gd as tg
    >>> tg.linalg.diagonal(tg.tensor([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [1.0, 4.0]
    """
    nd = A.ndim
    if nd < 2:
        raise ValueError(f"diagonal: needs at least 2 dimensions, got shape {tuple(A.shape)}")
    for d in (dim1, dim2):
        if not -nd <= d < nd:
            raise IndexError(f"diagonal: dim {d} out of range for {nd} dimensions")
    d1, d2 = dim1 % nd, dim2 % nd
    if d1 == d2:
        raise ValueError(f"diagonal: dim1 and dim2 must differ, got {dim1} and {dim2}")
    rest = [i for i in range(nd) if i not in (d1, d2)]
    x = A.permute(rest + [d1, d2]) if rest + [d1, d2] != list(range(nd)) else A
    x = x[..., :, offset:] if offset >= 0 else x[..., -offset:, :]
    k = min(x.shape[-2], x.shape[-1])
    x = x[..., :k, :k]
    # the diagonal of a k x k block is every (k + 1)-th element of its flattened form
    flat = x.reshape(x.shape[:-2] + (k * k,))
    return flat[..., ::k + 1]


def _sublist_equation(args: Sequence[Any]) -> tuple[str, list]:
    """``(a, [0, 1], b, [1, 2], [0, 2])`` -> ``("ab,bc->ac", [a, b])``."""
    def letters(sub: Sequence[Any]) -> str:
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, (int, np.integer)) and 0 <= s < 52:
                out.append(string.ascii_letters[s])
            else:
                raise ValueError(f"einsum: sublist entries must be ints in [0, 52) or ..., "
                                 f"got {s!r}")
        return "".join(out)

    ops, terms = list(args[0::2]), list(args[1::2])
    n = len(args) // 2
    eq = ",".join(letters(t) for t in terms[:n])
    if len(args) % 2:
        eq += "->" + letters(args[-1])
    return eq, ops[:n]


def _parse_term(term: str, ndim: int, i: int) -> list:
    """A term's labels: its letters, and ints for ``...`` (its distance from the right end)."""
    if term.count("...") > 1 or term.replace("...", "").count(".") > 0:
        raise ValueError(f"einsum: invalid subscript {term!r} (at most one '...' per operand)")
    bad = set(term.replace("...", "")) - _LETTERS
    if bad:
        raise ValueError(f"einsum: subscripts must be letters a-z, A-Z; got {sorted(bad)} in "
                         f"{term!r}")
    if "..." in term:
        pre, post = term.split("...")
        k = ndim - len(pre) - len(post)
        if k < 0:
            raise ValueError(f"einsum: operand {i} has {ndim} dimensions, fewer than the "
                             f"{len(pre) + len(post)} letters of {term!r}")
        return list(pre) + list(range(k - 1, -1, -1)) + list(post)
    if len(term) != ndim:
        raise ValueError(f"einsum: the subscript {term!r} has {len(term)} letters but operand "
                         f"{i} has {ndim} dimensions")
    return list(term)


def einsum(*args: Any) -> Tensor:
    """Einstein summation, as ``torch.einsum(equation, *operands)``.

    >>> import tinygrad_gd as tg
    >>> a, b = tg.ones(2, 3), tg.ones(3, 4)
    >>> tg.einsum("ij,jk->ik", a, b).shape
    (2, 4)
    >>> tg.einsum("ii", tg.eye(3)).item()
    3.0
    """
    if not args:
        raise ValueError("einsum: expected an equation and operands")
    if isinstance(args[0], str):
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    else:
        equation, operands = _sublist_equation(args)
    if not operands:
        raise ValueError("einsum: expected at least one operand")
    ops = [t if isinstance(t, Tensor) else Tensor(t) for t in operands]
    ref = ops[0]
    for t in ops[1:]:  # one dtype for all (torch's promotion)
        if t.dtype != ref.dtype:
            ref = _promote(ref, t)[0]
    ops = [t.to(ref.dtype) for t in ops]
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    if "->" in rhs:
        raise ValueError(f"einsum: more than one '->' in {equation!r}")
    terms = lhs.split(",")
    if len(terms) != len(ops):
        raise ValueError(f"einsum: {equation!r} has {len(terms)} operand subscripts but "
                         f"{len(ops)} operands were given")
    labels = [_parse_term(t, op.ndim, i) for i, (t, op) in enumerate(zip(terms, ops))]
    n_ell = max((sum(isinstance(x, int) for x in ls) for ls in labels), default=0)
    counts = Counter(x for ls in labels for x in ls)
    if arrow:
        out_nd = len(rhs.replace("...", "")) + (n_ell if "..." in rhs else 0)
        out_labels = _parse_term(rhs, out_nd, -1)
        seen = [x for x in out_labels if isinstance(x, str)]
        if len(set(seen)) != len(seen):
            raise ValueError(f"einsum: output subscript {rhs!r} repeats a letter")
        missing = [x for x in seen if x not in counts]
        if missing:
            raise ValueError(f"einsum: output letter(s) {missing} do not appear in any operand")
    else:
        out_labels = list(range(n_ell - 1, -1, -1)) + sorted(
            x for x, c in counts.items() if isinstance(x, str) and c == 1)
    sizes: dict = {}
    for i, (ls, op) in enumerate(zip(labels, ops)):
        for x, s in zip(ls, op.shape):
            prev = sizes.get(x, 1)
            if s != 1 and prev != 1 and s != prev:
                name = "..." if isinstance(x, int) else repr(x)
                raise ValueError(f"einsum: subscript {name} has size {s} in operand {i} but "
                                 f"{prev} in another operand; sizes must match or be 1")
            sizes[x] = max(prev, s) if s != 1 else prev
    items = [_take_diagonals(op, ls) for op, ls in zip(ops, labels)]
    # letters needed after operand i: those of the output and of the operands after it
    keep_after = [set(out_labels)]
    for _, ls in reversed(items[1:]):
        keep_after.insert(0, keep_after[0] | set(ls))
    t, ls = _sum_out(*items[0], keep_after[0])
    for i in range(1, len(items)):
        t, ls = _contract(t, ls, *items[i], keep_after[i])
    t, ls = _sum_out(t, ls, set(out_labels))
    if ls != out_labels:
        t = t.permute([ls.index(x) for x in out_labels])
    return t


def _take_diagonals(t: Tensor, ls: list) -> tuple[Tensor, list]:
    """Collapse each letter repeated within one operand to its diagonal ("ii" -> "i")."""
    ls = list(ls)
    while True:
        rep = next((x for x, c in Counter(ls).items() if c > 1), None)
        if rep is None:
            return t, ls
        i = ls.index(rep)
        j = ls.index(rep, i + 1)
        n1, n2 = t.shape[i], t.shape[j]
        if n1 != n2 and 1 not in (n1, n2):
            raise ValueError(f"einsum: letter {rep!r} repeats with sizes {n1} and {n2}")
        if n1 != n2:  # a size-1 copy broadcasts against the other: just drop it
            drop = i if n1 == 1 else j
            t = t.squeeze(drop)
            del ls[drop]
            continue
        t = diagonal(t, dim1=i, dim2=j)
        ls = [x for k, x in enumerate(ls) if k not in (i, j)] + [rep]


def _sum_out(t: Tensor, ls: list, keep: set) -> tuple[Tensor, list]:
    axes = tuple(k for k, x in enumerate(ls) if x not in keep)
    if not axes:
        return t, ls
    return t.sum(dim=axes), [x for x in ls if x in keep]


def _contract(a: Tensor, la: list, b: Tensor, lb: list, keep: set) -> tuple[Tensor, list]:
    """One pairwise step: shared letters still needed are batch dims of a matmul, the others
    are contracted; the rest become its rows and columns."""
    a, la = _sum_out(a, la, keep | set(lb))
    b, lb = _sum_out(b, lb, keep | set(la))
    shared = [x for x in la if x in lb]
    for x in [x for x in shared if x not in keep]:
        sa, sb = a.shape[la.index(x)], b.shape[lb.index(x)]
        if sa != sb:  # a size-1 side broadcasts: sum the other side alone, drop this one
            if sa == 1:
                a, la = a.squeeze(la.index(x)), [y for y in la if y != x]
                b, lb = _sum_out(b, lb, set(lb) - {x})
            else:
                b, lb = b.squeeze(lb.index(x)), [y for y in lb if y != x]
                a, la = _sum_out(a, la, set(la) - {x})
    batch = [x for x in la if x in lb and x in keep]
    contract = [x for x in la if x in lb and x not in keep]
    left = [x for x in la if x not in lb]
    right = [x for x in lb if x not in la]
    a = _arrange(a, la, batch + left + contract)
    b = _arrange(b, lb, batch + contract + right)
    nb = len(batch)
    a_left = a.shape[nb:nb + len(left)]
    b_right = b.shape[nb + len(contract):]
    k = math.prod(a.shape[nb + len(left):])
    a3 = a.reshape(a.shape[:nb] + (math.prod(a_left), k))
    b3 = b.reshape(b.shape[:nb] + (k, math.prod(b_right)))
    out = a3 @ b3
    out = out.reshape(out.shape[:nb] + tuple(a_left) + tuple(b_right))
    return out, batch + left + right


def _arrange(t: Tensor, ls: list, order: list) -> Tensor:
    perm = [ls.index(x) for x in order]
    return t.permute(perm) if perm != list(range(len(perm))) else t
