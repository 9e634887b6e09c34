"""Pin the BLAS thread pools to ``--threads N`` (default 1), before NumPy is imported.

NumPy's BLAS reads its thread count once, when it loads, so a benchmark imports this module first.
One process holding two thread pools (NumPy's BLAS and PyTorch's OpenMP) on a small shared machine
makes them fight over the cores; the benchmarks give both the same, explicit count.
"""

from __future__ import annotations

import os
import sys


def pin_threads(default: int = 1) -> int:
    """Read ``--threads N`` / ``--threads=N`` from ``sys.argv``, export it to the BLAS libraries'
    environment variables, and return it (for ``torch.set_num_threads``)."""
    n = default
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            n = int(sys.argv[i + 1])
        elif arg.startswith("--threads="):
            n = int(arg.split("=", 1)[1])
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    return n
