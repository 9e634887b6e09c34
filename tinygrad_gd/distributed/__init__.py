"""``tinygrad_gd.distributed``: data-parallel training over MPI, with torch's names.

Needs the ``[distributed]`` extra (mpi4py and MPICH: ``pip install 'tinygrad_gd[distributed]'``);
mpi4py is imported only when a process group is initialised, so the library works without it.
Launch one process per rank with ``mpiexec -n N python train.py``::

    import tinygrad_gd.distributed as dist
    dist.init_process_group("mpi")                       # rank and size from mpiexec
    model = dist.DistributedDataParallel(model)          # gradients averaged during backward
    sampler = dist.DistributedSampler(dataset)           # this rank's shard
    dist.all_reduce(t, op=dist.ReduceOp.SUM)             # in place, as torch

See ``ddp.py`` for how the averaging overlaps the backward pass, and ``failure.py`` for how an
exception on one rank ends the job.
"""

from .collectives import (ReduceOp, Work, all_gather, all_gather_object, all_reduce, broadcast,
                          broadcast_object_list, reduce)
from .ddp import DistributedDataParallel
from .failure import abort, abort_on_error
from .process_group import (ProcessGroup, barrier, destroy_process_group, get_backend, get_rank,
                            get_world_size, group, init_process_group, is_available,
                            is_initialized, is_mpi_available)
from .sampler import DistributedSampler

__all__ = ["ReduceOp", "Work", "all_gather", "all_gather_object", "all_reduce", "broadcast",
           "broadcast_object_list", "reduce", "DistributedDataParallel", "abort",
           "abort_on_error", "ProcessGroup", "barrier", "destroy_process_group", "get_backend",
           "get_rank", "get_world_size", "group", "init_process_group", "is_available",
           "is_initialized", "is_mpi_available", "DistributedSampler"]
