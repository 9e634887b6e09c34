"""``nn.utils.rnn``: ``pad_sequence`` and ``unpad_sequence`` (batches of variable-length
sequences as one padded tensor, differentiable). ``PackedSequence`` and
``pack_padded_sequence`` are not implemented: the recurrent layers take padded batches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...functions import stack
from ...tensor import Tensor

__all__ = ["pad_sequence", "unpad_sequence"]


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes ``(L_i, *)`` into ``(L_max, B, *)`` (``(B, L_max, *)`` with
    ``batch_first``), filling with ``padding_value`` on the ``padding_side``.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn.utils.rnn import pad_sequence
    >>> pad_sequence([tg.tensor([1.0, 2.0]), tg.tensor([3.0])], batch_first=True).tolist()
    [[1.0, 2.0], [3.0, 0.0]]
    """
    if padding_side not in ("left", "right"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got "
                         f"{padding_side!r}")
    seqs = list(sequences)
    if not seqs:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    trailing = tuple(seqs[0].shape[1:])
    for s in seqs:
        if s.ndim == 0 or tuple(s.shape[1:]) != trailing:
            raise ValueError(f"pad_sequence: every sequence must be (L, {trailing}), got "
                             f"{[tuple(t.shape) for t in seqs]}")
    longest = max(s.shape[0] for s in seqs)
    tail = (0, 0) * len(trailing)
    padded = []
    for s in seqs:
        extra = longest - s.shape[0]
        widths = (0, extra) if padding_side == "right" else (extra, 0)
        padded.append(s.pad(tail + widths, value=padding_value) if extra else s)
    return stack(padded, dim=0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False
                   ) -> list[Tensor]:
    """The sequences of a padded batch, each cut to its length (``lengths``: ints or a
    tensor)."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    lens = lengths.tolist() if hasattr(lengths, "tolist") else list(lengths)
    return [x[i, :int(n)] for i, n in enumerate(lens)]
