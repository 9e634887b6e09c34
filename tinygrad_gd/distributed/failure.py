"""An exception on one rank ends the job instead of leaving the others hanging.

Without this, the ranks that did not fail block forever in their next collective. While the
process group is up, an uncaught exception prints its traceback once, prefixed with the failing
rank, then ``MPI.COMM_WORLD.Abort`` has ``mpiexec`` kill every rank (the others print nothing).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_STATE: dict[str, Any] = {"comm": None, "previous": None}


def install(comm: Any) -> None:
    """Replace ``sys.excepthook`` with one that reports and aborts (kept until ``uninstall``)."""
    if _STATE["comm"] is None:
        _STATE["previous"] = sys.excepthook
        sys.excepthook = _excepthook
    _STATE["comm"] = comm


def uninstall() -> None:
    """Restore the previous ``sys.excepthook``."""
    if _STATE["comm"] is not None:
        sys.excepthook = _STATE["previous"]
        _STATE["comm"] = None


def abort(message: str, exit_code: int = 1) -> None:
    """Print ``message`` (prefixed with this rank) to stderr once and abort every rank."""
    comm = _STATE["comm"]
    if comm is None:
        from . import _mpi

        comm = _mpi.mpi().COMM_WORLD
    rank = comm.Get_rank()
    text = "".join(f"[rank {rank}] {line}\n" for line in message.rstrip("\n").split("\n"))
    sys.stderr.write(text + f"[rank {rank}] aborting the job (MPI.COMM_WORLD.Abort)\n")
    sys.stderr.flush()
    sys.stdout.flush()
    comm.Abort(exit_code)


def _excepthook(kind: type, value: BaseException, tb: Any) -> None:
    if _STATE["comm"] is None or issubclass(kind, KeyboardInterrupt):
        (_STATE["previous"] or sys.__excepthook__)(kind, value, tb)
        return
    abort("".join(traceback.format_exception(kind, value, tb)))


@contextmanager
def abort_on_error() -> Iterator[None]:
    """Inside: any exception (``SystemExit`` with an error too) aborts the whole job with its
    message, even where a caller would catch it or ``sys.exit`` would bypass the excepthook."""
    try:
        yield
    except SystemExit as exc:
        if exc.code not in (None, 0):
            abort(str(exc.code) if not isinstance(exc.code, int) else f"exit status {exc.code}",
                  exc.code if isinstance(exc.code, int) else 1)
        raise
    except BaseException as exc:  # noqa: BLE001 - every failure must end all ranks
        abort("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        raise
