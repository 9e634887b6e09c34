"""``tg.save`` / ``tg.load``: checkpoints as ``.npz`` files, never pickle.

A checkpoint is a (nested) dict, list or tuple whose leaves are Tensors, NumPy arrays or plain
JSON values (numbers, strings, booleans, None): a model's ``state_dict()``, or
``{"model": ..., "optimizer": ..., "epoch": 3}``. Every array is stored as its own ``.npy`` member
of the zip, named by its path (``"fc.weight"``, ``"model/fc.weight"``), so ``numpy.load`` can read
the weights too; the structure and the plain values go in one JSON member, ``__tinygrad_gd__``.

* Writes are atomic: the file is written next to its destination under a temporary name and
  renamed over it (``os.replace``), so a crash never leaves a half-written checkpoint behind.
* Loading uses ``allow_pickle=False``: a checkpoint cannot run code.
* GPU tensors are saved from host copies. ``tg.load`` puts tensors on the CPU unless
  ``device=`` (alias ``map_location=``) says otherwise.

>>> import os, tempfile
>>> import tinygrad_gd as tg
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
>>> tg.save({"w": tg.ones(2, 3), "step": 7}, path)
>>> ckpt = tg.load(path)
>>> ckpt["w"].shape, ckpt["step"]
((2, 3), 7)
"""

from __future__ import annotations

import json
import os
import uuid
import zipfile
from typing import Any

import numpy as np

from . import backend
from .tensor import Tensor

__all__ = ["save", "load", "CheckpointError"]

_META = "__tinygrad_gd__"
_FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A file is not a readable tinygrad_gd checkpoint (truncated, foreign, or damaged)."""


def _encode(obj: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    """The JSON description of ``obj``; arrays are moved into ``arrays`` under unique names."""
    if isinstance(obj, (Tensor, np.ndarray)) or backend.is_array(obj):
        kind = "tensor" if isinstance(obj, Tensor) else "array"
        host = obj.numpy() if isinstance(obj, Tensor) else backend.to_numpy(obj)
        if host.dtype.kind not in "biuf":
            raise TypeError(f"save: the array at {path or '<root>'!r} has dtype {host.dtype}; "
                            "only bool, integer and floating arrays can be saved")
        name = path or "root"
        # np.savez adds ".npy" to a name unless it has it: "w.npy" and "w" would share a member
        while name in arrays or name == _META or name.endswith(".npy"):
            name += "_"
        arrays[name] = host
        return {"kind": kind, "name": name}
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"save: dict keys must be str or int, got {key!r} at "
                                f"{path or '<root>'!r}")
            sub = f"{path}/{key}" if path else str(key)
            items.append([key, isinstance(key, int), _encode(value, sub, arrays)])
        return {"kind": "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        return {"kind": type(obj).__name__,
                "items": [_encode(v, f"{path}/{i}" if path else str(i), arrays)
                          for i, v in enumerate(obj)]}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"kind": "value", "value": obj}
    hint = ""
    if hasattr(obj, "state_dict"):  # a Module or an Optimizer: save its state, not the object
        hint = f" (save its .state_dict() instead: a {type(obj).__name__} holds code)"
    raise TypeError(f"save: cannot store a {type(obj).__name__} at {path or '<root>'!r}{hint}; "
                    "checkpoints hold Tensors, arrays, numbers, strings, None, and dicts, lists "
                    "and tuples of them")


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` (a state dict, or nested dicts/lists of tensors and plain values) to ``path``
    as an ``.npz`` file, atomically (temporary file in the same directory, then rename)."""
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(obj, "", arrays)
    meta = json.dumps({"format": "tinygrad_gd", "version": _FORMAT_VERSION, "tree": tree})
    arrays[_META] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    # not mkstemp: its file is private (0600), and the checkpoint would keep that mode after
    # the rename; a file opened normally gets the permissions the user's umask gives
    tmp = os.path.join(directory, f".tmp-{os.getpid()}-{uuid.uuid4().hex}.npz")
    try:
        with open(tmp, "xb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _decode(node: Any, arrays: Any, device: str, path: str) -> Any:
    try:
        kind = node["kind"]
    except (TypeError, KeyError):
        raise CheckpointError(f"{path}: malformed structure entry {node!r}") from None
    if kind in ("tensor", "array"):
        name = node.get("name")
        if name not in arrays.files:
            raise CheckpointError(f"{path}: the array {name!r} named in the structure is missing")
        host = arrays[name]
        if kind == "array":
            return host
        return Tensor(host, device=device)
    if kind == "dict":
        return {(int(k) if is_int else k): _decode(v, arrays, device, path)
                for k, is_int, v in node["items"]}
    if kind in ("list", "tuple"):
        items = [_decode(v, arrays, device, path) for v in node["items"]]
        return items if kind == "list" else tuple(items)
    if kind == "value":
        return node["value"]
    raise CheckpointError(f"{path}: unknown entry kind {kind!r} (written by a newer version?)")


def load(path: str | os.PathLike, device: Any = None, map_location: Any = None) -> Any:
    """Read a checkpoint written by ``tg.save``; tensors go to ``device`` (``"cpu"`` unless
    given; ``map_location`` is an alias, as torch's). Raises ``CheckpointError`` for a truncated,
    damaged or foreign file, and ``FileNotFoundError`` when there is no file."""
    path = os.fspath(path)
    dev = backend.parse_device(device if device is not None else map_location)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no checkpoint at {path!r}")
    try:
        opened = np.load(path, allow_pickle=False)
        if not isinstance(opened, np.lib.npyio.NpzFile):
            raise CheckpointError(f"{path} is a single .npy array, not a tinygrad_gd "
                                  "checkpoint (.npz written by tg.save)")
        with opened as arrays:
            if _META not in arrays.files:
                raise CheckpointError(
                    f"{path} is an .npz file without tinygrad_gd's structure entry {_META!r} "
                    f"(members: {sorted(arrays.files)[:5]}...); it was not written by tg.save "
                    "-- read plain .npz files with numpy.load")
            try:
                meta = json.loads(arrays[_META].tobytes().decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise CheckpointError(f"{path}: the structure entry is damaged ({exc})") from None
            if not isinstance(meta, dict) or meta.get("format") != "tinygrad_gd":
                raise CheckpointError(f"{path}: the structure entry is not tinygrad_gd's")
            if meta.get("version", 0) > _FORMAT_VERSION:
                raise CheckpointError(f"{path}: format version {meta.get('version')} is newer "
                                      f"than this library reads ({_FORMAT_VERSION})")
            return _decode(meta["tree"], arrays, dev, path)
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        # numpy reports a truncated zip as BadZipFile, a pickle as ValueError, a damaged member
        # as a zlib/EOF/ValueError: all mean "this file is not a checkpoint we can read"
        raise CheckpointError(f"{path} is not a readable tinygrad_gd checkpoint (truncated, "
                              f"damaged or another format): {type(exc).__name__}: {exc}") from None
