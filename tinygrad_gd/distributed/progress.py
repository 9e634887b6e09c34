"""Making non-blocking allreduces progress while the backward pass computes.

MPI moves a non-blocking collective forward only inside MPI calls: an ``Iallreduce`` started
before a long matmul sits untouched until the next call, and the whole exchange then happens in
the final wait, hidden behind nothing. Measured here (MPICH 5 ch4, 2 ranks, a 274 KB bucket
started before a 0.4 ms matmul of the backward pass, one BLAS thread per rank):

- no MPI call until the wait: about 9% of the allreduce hidden;
- one ``Test`` right after the start (what a post-accumulate hook can do): 30-48%;
- ``MPICH_ASYNC_PROGRESS=1`` (MPICH's own progress thread, which spins): worse than nothing,
  it takes a core from the two busy ranks (a blocking 274 KB allreduce went from 0.06 to
  0.08-15 ms under load);
- a helper thread that calls ``Testall`` every 100 us while a bucket is in flight and sleeps
  otherwise: about 93%.

So :class:`Poller` is that helper thread (the default), and ``TINYGRAD_GD_MPI_PROGRESS=test``
selects the hook-only pokes (``none``: no pokes). The thread needs ``MPI_THREAD_MULTIPLE``
(mpi4py's default); with a lower thread level the hooks poke instead.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from . import _mpi

#: Seconds between two ``Testall`` calls of the polling thread while requests are in flight.
POLL_INTERVAL = 100e-6


def mode() -> str:
    """``"thread"`` (default), ``"test"`` or ``"none"``: how in-flight buckets are progressed,
    from ``TINYGRAD_GD_MPI_PROGRESS``; ``"thread"`` falls back to ``"test"`` when MPI was not
    initialised with ``MPI_THREAD_MULTIPLE``."""
    wanted = os.environ.get("TINYGRAD_GD_MPI_PROGRESS", "thread").strip().lower() or "thread"
    if wanted not in ("thread", "test", "none"):
        raise ValueError(f"TINYGRAD_GD_MPI_PROGRESS={wanted!r}: expected 'thread', 'test' or "
                         "'none'")
    if wanted == "thread":
        mpi = _mpi.mpi()
        if mpi.Query_thread() < mpi.THREAD_MULTIPLE:
            return "test"
    return wanted


class Poller:
    """A daemon thread that drives the requests handed to :meth:`add` with ``Testall`` every
    ``interval`` seconds until they are complete, then sleeps until the next :meth:`add`.

    The requests are touched by this thread only while it holds the lock, and :meth:`take`
    removes them under the same lock, so after ``take()`` the caller owns them again (MPI
    forbids testing one request from two threads at once)."""

    def __init__(self, interval: float = POLL_INTERVAL) -> None:
        self.interval = interval
        self.polls = 0  # Testall calls made (the benchmark reports them)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._requests: list[Any] = []
        self._thread: threading.Thread | None = None

    def add(self, request: Any) -> None:
        """Poll ``request`` from now on (starting the thread on first use)."""
        with self._lock:
            self._requests.append(request)
        self._wake.set()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tinygrad_gd-mpi-progress",
                                            daemon=True)
            self._thread.start()

    def take(self) -> list[Any]:
        """Stop polling; the requests handed over since the last ``take`` (to wait on)."""
        with self._lock:
            requests, self._requests = self._requests, []
            self._wake.clear()
        return requests

    def _run(self) -> None:
        test_all = _mpi.mpi().Request.Testall
        while True:
            self._wake.wait()
            with self._lock:
                if self._requests:
                    self.polls += 1
                    if test_all(self._requests):
                        self._requests = []  # all complete: the owner still holds them
                if not self._requests:
                    self._wake.clear()
                    continue
            time.sleep(self.interval)


_POLLER: list[Poller | None] = [None]


def poller() -> Poller:
    """The process's one polling thread (created on first use)."""
    if _POLLER[0] is None:
        _POLLER[0] = Poller()
    return _POLLER[0]
