"""CUDA graphs in the stand-in: ``Stream.begin_capture`` / ``end_capture`` and ``Graph.launch``,
with the semantics that make graph code easy to get wrong (CUDA's programming guide, CuPy's
``cupy/cuda/stream.pyx``):

- Nothing runs while a stream captures. The stand-in does run each operation, to know its
  result's shape, but at ``end_capture`` it puts back every array that existed before the
  capture and fills every array made during it with NaN (or its dtype's largest value): code
  that reads a result before launching the graph reads garbage, as on a GPU.
- A launch runs the captured operations again, in order, on the *same* arrays: a result made
  during the capture is rewritten in place (its memory is the graph's), never made anew.
- Capturing on the null stream, reading a value on the host (``.get()``, ``bool()``...), a
  host-to-device copy and a random draw during a capture raise, as CUDA refuses the first three
  and a captured draw would replay the same numbers.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np


class _State:
    stream: Any = None  # the capturing stream, or None
    depth = 0  # > 0 inside a logged operation (its inner calls are part of it)
    replaying = False
    log: list = []
    before: list = []  # (array, its values) of the arrays that existed before the capture
    seen: set = set()  # ids of the arrays met so far in this capture


STATE = _State()


def capturing() -> bool:
    return STATE.stream is not None and not STATE.replaying


def refuse(what: str) -> None:
    """Raise as CUDA does for an operation a capturing stream does not permit."""
    from ._runtime import CUDARuntimeError

    raise CUDARuntimeError(f"cudaErrorStreamCaptureUnsupported: {what} is not permitted while "
                           "a stream is capturing (stand-in)")


def _arrays(x: Any) -> list:
    from ._array import ndarray

    if isinstance(x, ndarray):
        return [x]
    if isinstance(x, (tuple, list)):
        return [a for v in x for a in _arrays(v)]
    if isinstance(x, dict):
        return [a for v in x.values() for a in _arrays(v)]
    return []


def kernel(fn: Any) -> Any:
    """Mark a stand-in operation on device arrays: logged, not counted as run, under capture."""
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        st = STATE
        if st.stream is None or st.depth or st.replaying:
            return fn(*args, **kwargs)
        for a in _arrays((args, kwargs)):
            if id(a) not in st.seen:  # existed before the capture: its values come back
                st.seen.add(id(a))
                st.before.append((a, a._a.copy()))
        st.depth += 1
        try:
            result = fn(*args, **kwargs)
        finally:
            st.depth -= 1
        for a in _arrays(result):
            st.seen.add(id(a))
        st.log.append((fn, args, kwargs, result))
        return result
    return run


class Graph:
    """A captured sequence of operations (``cupy.cuda.Graph``)."""

    def __init__(self, log: list) -> None:
        self._log = log

    def launch(self, stream: Any = None) -> None:
        """Run the captured operations again, writing into the arrays made at capture time."""
        if STATE.stream is not None:
            refuse("launching a graph")
        STATE.replaying = True
        try:
            for fn, args, kwargs, result in self._log:
                fresh = fn(*args, **kwargs)
                for old, new in zip(_arrays(result), _arrays(fresh)):
                    if new is not old:
                        np.copyto(old._a, new._a)
        finally:
            STATE.replaying = False

    def upload(self, stream: Any = None) -> None:
        """Nothing to upload in the stand-in."""


def begin(stream: Any) -> None:
    if stream is None or getattr(stream, "_null", False):
        raise RuntimeError("cannot capture on the default (legacy) stream")
    if STATE.stream is not None:
        raise RuntimeError("a stream is already capturing (stand-in: one capture at a time)")
    STATE.stream, STATE.log, STATE.before, STATE.seen = stream, [], [], set()


def end(stream: Any) -> Graph:
    if STATE.stream is not stream:
        raise RuntimeError("end_capture on a stream that is not capturing")
    log, before = STATE.log, STATE.before
    STATE.stream, STATE.log, STATE.before, STATE.seen = None, [], [], set()
    for a, values in reversed(before):  # nothing ran: the old arrays hold what they held
        np.copyto(a._a, values)
    old = [a._a for a, _ in before]
    for _, _, _, result in log:  # what the capture made holds garbage until a launch
        for a in _arrays(result):
            if a._a.dtype.kind in "fcbiu" and not any(np.shares_memory(a._a, o) for o in old):
                a._a[...] = _garbage(a._a.dtype)
    return Graph(log)


def _garbage(dtype: np.dtype) -> Any:
    if dtype.kind in "fc":
        return np.nan
    if dtype.kind == "b":
        return True
    return np.iinfo(dtype).max  # (other kinds, structured views, are left as they are)
