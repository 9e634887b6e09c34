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

import errno
import json
import math
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


def save(obj: Any, path: str | os.PathLike, pickle_module: Any = None, pickle_protocol: Any = None,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Write ``obj`` (a state dict, or nested dicts/lists of tensors and plain values) to ``path``
    as an ``.npz`` file, atomically (temporary file in the same directory, then rename).

    Temporary files a killed process left for the same target are removed first. torch's pickle
    arguments are accepted for torch scripts and change nothing (nothing is pickled)."""
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(obj, "", arrays)
    meta = json.dumps({"format": "tinygrad_gd", "version": _FORMAT_VERSION, "tree": tree})
    arrays[_META] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"save: {path!r} is a directory; give a file name "
                                "such as 'checkpoint.npz'", path)
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, f"save: cannot write {path!r}: the directory "
                                f"{directory!r} does not exist", path)
    _remove_stale_temporaries(path)
    # not mkstemp: its file is private (0600), and the checkpoint would keep that mode after
    # the rename; a file opened normally gets the permissions the user's umask gives. The name
    # holds the target's and the pid, so the next save/load can tell a dead writer's leftovers
    tmp = os.path.join(directory, f"{_tmp_prefix(path)}{os.getpid()}-{uuid.uuid4().hex}.npz")
    try:
        with open(tmp, "xb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        # name the target, not the temporary file the user never asked for
        raise type(exc)(exc.errno, f"save: cannot write {path!r}: {exc.strerror}",
                        path) from None
    except BaseException:
        _discard(tmp)
        raise


def _discard(tmp: str) -> None:
    try:
        os.remove(tmp)
    except OSError:
        pass


def _tmp_prefix(path: str) -> str:
    return f".{os.path.basename(path)}.tmp-"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # this process's own file may be in the middle of a write (a thread)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's live process (or we cannot tell): leave its file alone
    return True


def _remove_stale_temporaries(path: str) -> None:
    """Delete ``.<name>.tmp-<pid>-*.npz`` files of this target whose writer is dead (a kill -9
    during ``save`` leaves one behind; each is as large as the checkpoint)."""
    directory = os.path.dirname(os.path.abspath(path))
    prefix = _tmp_prefix(path)
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".npz")):
            continue
        pid = name[len(prefix):].split("-", 1)[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            _discard(os.path.join(directory, name))


_MAX_DEPTH = 200  # nesting a checkpoint may have (a state dict is 3-4 levels deep)
_MAX_RATIO = 200  # a compressed member may inflate this much (deflate reaches ~1000 on zeros)


def _decode(node: Any, arrays: Any, device: str, path: str, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        raise CheckpointError(f"{path}: the structure is nested more than {_MAX_DEPTH} deep")
    kind = node.get("kind") if isinstance(node, dict) else None
    if not isinstance(kind, str):
        raise CheckpointError(f"{path}: malformed structure entry {_short(node)}")
    if kind in ("tensor", "array"):
        name = node.get("name")
        if not isinstance(name, str) or name == _META or name not in arrays.files:
            raise CheckpointError(f"{path}: the array {_short(name)} named in the structure is "
                                  "missing")
        host = arrays[name]
        if host.dtype.kind not in "biuf" or host.dtype.name not in backend.DTYPES:
            raise CheckpointError(f"{path}: the array {name!r} has dtype {host.dtype}; "
                                  "checkpoints hold bool, integer and floating arrays only")
        if kind == "array":
            return host
        return Tensor(host, device=device)
    if kind in ("dict", "list", "tuple"):
        items = node.get("items")
        if not isinstance(items, list):
            raise CheckpointError(f"{path}: a {kind} entry's items must be a list, got "
                                  f"{_short(items)}")
        if kind != "dict":
            out = [_decode(v, arrays, device, path, depth + 1) for v in items]
            return out if kind == "list" else tuple(out)
        result = {}
        for item in items:
            if not (isinstance(item, list) and len(item) == 3 and isinstance(item[1], bool)
                    and (isinstance(item[0], int) if item[1] else isinstance(item[0], str))
                    and not isinstance(item[0], bool)):
                raise CheckpointError(f"{path}: malformed dict item {_short(item)} (expected "
                                      "[key, key_is_int, value])")
            key, _, value = item
            result[key] = _decode(value, arrays, device, path, depth + 1)
        return result
    if kind == "value":
        value = node.get("value")
        if value is not None and not isinstance(value, (bool, int, float, str)):
            raise CheckpointError(f"{path}: a plain value must be a number, string, bool or "
                                  f"null, got {_short(value)}")
        return value
    raise CheckpointError(f"{path}: unknown entry kind {kind!r} (written by a newer version?)")


def _short(obj: Any) -> str:
    text = repr(obj)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_sizes(path: str, max_bytes: int | None) -> None:
    """Refuse, before anything is allocated, a zip whose members claim more than the file can
    hold: a stored member larger than its bytes in the file, a compressed one inflating more
    than ``_MAX_RATIO`` times, an ``.npy`` header whose shape needs more bytes than its member
    holds, or a total beyond ``max_bytes``."""
    file_size = os.path.getsize(path)
    total = 0
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            declared, packed = info.file_size, info.compress_size
            if info.compress_type == zipfile.ZIP_STORED and declared != packed:
                raise CheckpointError(f"{path}: member {info.filename!r} declares {declared} "
                                      f"bytes but holds {packed}; the file is damaged")
            if packed > file_size or declared > _MAX_RATIO * packed + (1 << 20):
                raise CheckpointError(f"{path}: member {info.filename!r} declares {declared} "
                                      f"bytes from {packed} in a {file_size}-byte file; refused "
                                      "(damaged, or a zip bomb)")
            total += declared
            if info.filename.endswith(".npy"):
                with z.open(info) as f:
                    _check_npy_header(path, info.filename, f, declared)
    if max_bytes is not None and total > max_bytes:
        raise CheckpointError(f"{path}: the checkpoint unpacks to {total} bytes, more than "
                              f"max_bytes={max_bytes}")


def _check_npy_header(path: str, name: str, f: Any, declared: int) -> None:
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        header = f.tell() if hasattr(f, "tell") else 0
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as exc:
        raise CheckpointError(f"{path}: member {name!r} has a damaged .npy header "
                              f"({exc})") from None
    need = math.prod(shape) * dtype.itemsize
    if need > declared - header:
        raise CheckpointError(f"{path}: member {name!r} claims shape {shape} of {dtype} "
                              f"({need} bytes) but holds {declared - header}; the file is "
                              "damaged")


def load(path: str | os.PathLike, device: Any = None, map_location: Any = None, *,
         max_bytes: int | None = None, weights_only: bool | None = None, mmap: Any = None,
         pickle_module: Any = None) -> Any:
    """Read a checkpoint written by ``tg.save``; tensors go to ``device`` (``"cpu"`` unless
    given; ``map_location`` is an alias, as torch's). Raises ``CheckpointError`` for a truncated,
    damaged, oversized (see ``max_bytes``) or foreign file, and ``FileNotFoundError`` when there
    is no file. Every member's declared size is checked against the file before reading.

    torch's ``weights_only``, ``mmap`` and ``pickle_module`` are accepted for torch scripts and
    change nothing: a checkpoint here never holds pickled code, so loading is always what torch
    calls weights-only."""
    path = os.fspath(path)
    dev = backend.parse_device(device if device is not None else map_location)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no checkpoint at {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"load: {path!r} is a directory, not a "
                                "checkpoint file", path)
    _remove_stale_temporaries(path)
    try:
        if zipfile.is_zipfile(path):
            _check_sizes(path, max_bytes)
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
            raw = arrays[_META]
            if raw.dtype != np.uint8 or raw.ndim != 1:
                raise CheckpointError(f"{path}: the structure entry is not a byte string "
                                      f"(dtype {raw.dtype}, shape {raw.shape})")
            try:
                meta = json.loads(raw.tobytes().decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
                raise CheckpointError(f"{path}: the structure entry is damaged "
                                      f"({type(exc).__name__}: {_short(str(exc))})") from None
            if not isinstance(meta, dict) or meta.get("format") != "tinygrad_gd":
                raise CheckpointError(f"{path}: the structure entry is not tinygrad_gd's")
            version = meta.get("version")
            if isinstance(version, bool) or not isinstance(version, int) or version < 1:
                raise CheckpointError(f"{path}: the format version {_short(version)} is not a "
                                      "positive integer")
            if version > _FORMAT_VERSION:
                raise CheckpointError(f"{path}: format version {version} is newer "
                                      f"than this library reads ({_FORMAT_VERSION})")
            return _decode(meta.get("tree"), arrays, dev, path)
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, TypeError,
            RecursionError, MemoryError, AttributeError, IndexError,
            NotImplementedError) as exc:
        # numpy reports a truncated zip as BadZipFile, a pickle as ValueError, a damaged member
        # as a zlib/EOF/ValueError: all mean "this file is not a checkpoint we can read"
        raise CheckpointError(f"{path} is not a readable tinygrad_gd checkpoint (truncated, "
                              f"damaged or another format): {type(exc).__name__}: "
                              f"{_short(str(exc))}") from None
