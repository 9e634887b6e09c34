"""``tg.backends``: the switches torch scripts set for torch's own kernels (cuDNN, TF32, MPS,
oneDNN), accepted so such scripts run.

None of those kernels exists here: convolutions and products are NumPy's or CuPy's, always in
the tensors' own precision, and each operation is already deterministic, so the flags are
recorded and read back and change no result. The ``is_available()`` answers are true ones: no
cuDNN, MPS or oneDNN is used.

>>> import tinygrad_gd as tg
>>> tg.backends.cudnn.benchmark = True
>>> tg.backends.cudnn.benchmark, tg.backends.mps.is_available()
(True, False)
"""

from __future__ import annotations

from . import backend

__all__ = ["cudnn", "cuda", "mps", "mkldnn", "openmp", "mkl"]


class _Flags:
    """A namespace of recorded flags with an ``is_available()`` that says False."""

    def __init__(self, name: str, **flags: object) -> None:
        self.__dict__.update(flags)
        self._name = name

    def is_available(self) -> bool:
        """False: this library does not use that backend."""
        return False

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        return f"tg.backends.{self._name}({shown})"


class _CuDNN(_Flags):
    def version(self) -> None:
        """None: cuDNN is not used (CuPy's kernels run the GPU work)."""
        return None


class _MPS(_Flags):
    def is_built(self) -> bool:
        """False: Apple's Metal is not a device here."""
        return False


class _CUDA(_Flags):
    def is_built(self) -> bool:
        """True when CuPy imports (the library's CUDA path)."""
        return backend._cupy is not None

    def is_available(self) -> bool:
        """True when CuPy sees a GPU."""
        return backend.cuda_available()


cudnn = _CuDNN("cudnn", enabled=True, benchmark=False, deterministic=False, allow_tf32=True)
cuda = _CUDA("cuda", matmul=_Flags("cuda.matmul", allow_tf32=False,
                                   allow_fp16_reduced_precision_reduction=True,
                                   allow_bf16_reduced_precision_reduction=True))
mps = _MPS("mps")
mkldnn = _Flags("mkldnn", enabled=True)
mkl = _Flags("mkl")
openmp = _Flags("openmp")
