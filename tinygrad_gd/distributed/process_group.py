"""The default process group: every process that ``mpiexec`` started (``MPI.COMM_WORLD``).

Its rank and size come from ``mpiexec``; ``init_process_group`` also makes an exception on any
rank end the whole job (``failure.py``), since the other ranks would otherwise wait forever in
their next collective.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from . import _mpi, failure


class ProcessGroup:
    """A group of ranks with a communicator (only the world group exists here)."""

    def __init__(self, comm: Any) -> None:
        self.comm = comm

    def rank(self) -> int:
        """This process's rank in the group."""
        return self.comm.Get_rank()

    def size(self) -> int:
        """The number of ranks in the group."""
        return self.comm.Get_size()

    def __repr__(self) -> str:
        return f"ProcessGroup(backend='mpi', rank={self.rank()}, size={self.size()})"


_WORLD: list[ProcessGroup | None] = [None]


class _Group:
    """torch's ``dist.group``: ``group.WORLD`` is the default group once initialised."""

    @property
    def WORLD(self) -> ProcessGroup | None:  # noqa: N802 - torch's name
        return _WORLD[0]


group = _Group()


def is_available() -> bool:
    """True when the ``[distributed]`` extra (mpi4py) is installed."""
    return _mpi.available()


def is_mpi_available() -> bool:
    """torch's name: whether the MPI backend can be used (mpi4py importable)."""
    return _mpi.available()


def is_initialized() -> bool:
    """Whether ``init_process_group`` has been called (and not destroyed)."""
    return _WORLD[0] is not None


def init_process_group(backend: str | None = "mpi", init_method: str | None = None,
                       timeout: timedelta | None = None, world_size: int = -1, rank: int = -1,
                       store: Any = None, group_name: str = "", pg_options: Any = None,
                       device_id: Any = None, abort_on_error: bool = True) -> None:
    """Join the default group of the processes started by ``mpiexec -n N``.

    Rank and world size come from MPI; ``world_size``/``rank``, when given, must agree with it.
    Only the ``"mpi"`` backend exists (``init_method``, ``store`` and the timeout have nothing
    to configure with MPI). With ``abort_on_error`` (the default) an uncaught exception on any
    rank prints that rank's traceback once and aborts every rank (``MPI.COMM_WORLD.Abort``).
    """
    if _WORLD[0] is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    if backend not in (None, "mpi"):
        raise ValueError(f"init_process_group: backend {backend!r} is not available; "
                         "tinygrad_gd.distributed runs on MPI only (backend='mpi')")
    MPI = _mpi.mpi()  # noqa: N806 - the module's own name
    comm = MPI.COMM_WORLD
    if world_size not in (-1, None) and world_size != comm.Get_size():
        raise ValueError(f"init_process_group: world_size={world_size}, but mpiexec started "
                         f"{comm.Get_size()} processes")
    if rank not in (-1, None) and rank != comm.Get_rank():
        raise ValueError(f"init_process_group: rank={rank}, but MPI says this is rank "
                         f"{comm.Get_rank()}")
    _WORLD[0] = ProcessGroup(comm)
    if abort_on_error:
        failure.install(comm)


def _world(group: Any = None, what: str = "") -> ProcessGroup:
    pg = _WORLD[0]
    if pg is None:
        raise RuntimeError(f"{what or 'tinygrad_gd.distributed'}: default process group has not "
                           "been initialized, please make sure to call init_process_group.")
    if group is not None and group is not pg:
        raise NotImplementedError(f"{what}: only the default (world) group is supported")
    return pg


def get_rank(group: Any = None) -> int:
    """This process's rank (0 .. world size - 1)."""
    return _world(group, "get_rank").rank()


def get_world_size(group: Any = None) -> int:
    """The number of processes in the job."""
    return _world(group, "get_world_size").size()


def get_backend(group: Any = None) -> str:
    """``"mpi"``."""
    _world(group, "get_backend")
    return "mpi"


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None) -> None:
    """Wait until every rank has reached this call."""
    _world(group, "barrier").comm.Barrier()


def destroy_process_group(group: Any = None) -> None:
    """Leave the default group (MPI itself is finalised when the process exits)."""
    _world(group, "destroy_process_group")
    failure.uninstall()
    _WORLD[0] = None
