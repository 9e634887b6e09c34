"""``tg.cuda``: what torch.cuda answers about GPUs (through CuPy).

>>> import tinygrad_gd as tg
>>> isinstance(tg.cuda.is_available(), bool), tg.cuda.device_count() >= 0
(True, True)
"""

from __future__ import annotations

from . import backend

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize",
           "current_device", "get_device_name", "amp", "set_device", "get_device_properties",
           "is_bf16_supported", "empty_cache", "memory_allocated", "memory_reserved"]


def is_available() -> bool:
    """True when CuPy imports and sees a CUDA GPU."""
    return backend.cuda_available()


def device_count() -> int:
    """The number of GPUs CuPy sees (0 without CuPy or a GPU)."""
    if not backend.cuda_available():
        return 0
    return int(backend._cupy.cuda.runtime.getDeviceCount())


def manual_seed(seed: int) -> None:
    """Seed the random draws (the library has one seed for every device: ``tg.manual_seed``)."""
    backend.generators.manual_seed(seed)


manual_seed_all = manual_seed


def synchronize(device: object = None) -> None:
    """Wait for the GPU's queued work to finish (nothing to do without a GPU)."""
    if backend.cuda_available():
        index = 0 if device is None else int(str(backend.parse_device(device)).split(":")[1])
        with backend._cupy.cuda.Device(index):
            backend._cupy.cuda.Device(index).synchronize()


def current_device() -> int:
    """The current GPU's index."""
    if not backend.cuda_available():
        raise RuntimeError("current_device: no CUDA GPU is available")
    return int(backend._cupy.cuda.runtime.getDevice())


def get_device_name(device: object = None) -> str:
    """The GPU's name."""
    if not backend.cuda_available():
        raise RuntimeError("get_device_name: no CUDA GPU is available")
    index = 0 if device is None else (device if isinstance(device, int) else int(
        str(backend.parse_device(device)).split(":")[1]))
    props = backend._cupy.cuda.runtime.getDeviceProperties(index)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def _index(device: object) -> int:
    if device is None:
        return current_device()
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    return int(str(backend.parse_device(device)).split(":")[1])


def set_device(device: object) -> None:
    """Make GPU ``device`` (an index, ``"cuda:N"`` or a ``tg.device``) the current one."""
    if not backend.cuda_available():
        raise RuntimeError("set_device: no CUDA GPU is available")
    backend._cupy.cuda.Device(_index(device)).use()


class _DeviceProperties:
    """What ``get_device_properties`` reports, under torch's attribute names."""

    def __init__(self, props: dict) -> None:
        name = props["name"]
        self.name = name.decode() if isinstance(name, bytes) else str(name)
        self.total_memory = int(props["totalGlobalMem"])
        self.major, self.minor = int(props["major"]), int(props["minor"])
        self.multi_processor_count = int(props.get("multiProcessorCount", 0))

    def __repr__(self) -> str:
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, "
                f"minor={self.minor}, total_memory={self.total_memory >> 20}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def get_device_properties(device: object = None) -> _DeviceProperties:
    """The GPU's name, memory and compute capability."""
    if not backend.cuda_available():
        raise RuntimeError("get_device_properties: no CUDA GPU is available")
    return _DeviceProperties(backend._cupy.cuda.runtime.getDeviceProperties(_index(device)))


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: this library has no bfloat16 (NumPy has none), on any device."""
    return False


def _pool_bytes(device: object, what: str) -> int:
    if not backend.cuda_available():
        return 0  # as torch's before CUDA is initialised
    with backend._cupy.cuda.Device(_index(device)):
        return int(getattr(backend._cupy.get_default_memory_pool(), what)())


def memory_allocated(device: object = None) -> int:
    """Bytes of GPU memory held by arrays now (CuPy's memory pool; 0 without a GPU)."""
    return _pool_bytes(device, "used_bytes")


def memory_reserved(device: object = None) -> int:
    """Bytes of GPU memory the memory pool holds, in use or cached (0 without a GPU)."""
    return _pool_bytes(device, "total_bytes")


def empty_cache() -> None:
    """Return the memory pool's cached, unused blocks to the GPU (nothing to do without one)."""
    if backend.cuda_available():
        backend._cupy.get_default_memory_pool().free_all_blocks()


class amp:  # noqa: N801 - torch's name
    """``torch.cuda.amp`` (deprecated in torch, still common in scripts): ``tg.amp``'s
    ``autocast`` and ``GradScaler`` for the ``"cuda"`` device."""

    @staticmethod
    def autocast(enabled: bool = True, dtype: object = None,
                 cache_enabled: bool = True) -> object:
        """``tg.amp.autocast("cuda", ...)``."""
        from .amp import autocast

        return autocast("cuda", dtype, enabled, cache_enabled)

    @staticmethod
    def GradScaler(init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,  # noqa: N802
                   backoff_factor: float = 0.5, growth_interval: int = 2000,
                   enabled: bool = True) -> object:
        """``tg.amp.GradScaler("cuda", ...)``."""
        from .amp import GradScaler

        return GradScaler("cuda", init_scale, growth_factor, backoff_factor, growth_interval,
                          enabled)
