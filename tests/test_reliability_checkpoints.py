"""tg.save / tg.load under faults (issue 11): stale temporaries of a killed save are removed,
declared sizes are checked before anything is allocated, every malformed checkpoint raises
CheckpointError, and save's errors name the target, not the temporary file."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.serialization import CheckpointError

META = "__tinygrad_gd__"


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, allow_pickle=False)
    return buf.getvalue()


def _craft(path, meta: object, members: dict[str, bytes] | None = None,
           compress: int = zipfile.ZIP_STORED) -> None:
    """A checkpoint written by hand: ``meta`` (JSON text or object) and raw ``.npy`` members."""
    text = meta if isinstance(meta, str) else json.dumps(meta)
    with zipfile.ZipFile(path, "w", compression=compress) as z:
        z.writestr(META + ".npy", _npy(np.frombuffer(text.encode(), dtype=np.uint8)))
        for name, body in (members or {}).items():
            z.writestr(name + ".npy", body)


def _meta(tree: object, version: object = 1) -> dict:
    return {"format": "tinygrad_gd", "version": version, "tree": tree}


TENSOR_W = {"kind": "tensor", "name": "w"}


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# ----------------------------------------------------------------- stale temporaries
@pytest.mark.parametrize("then", ["save", "load"])
def test_stale_temporaries_of_a_killed_save_are_removed_by_the_next_save_or_load(tmp_path, then):
    path = tmp_path / "ckpt.npz"
    tg.save({"w": tg.ones(3)}, path)
    dead = _dead_pid()
    stale = [tmp_path / f".ckpt.npz.tmp-{dead}-{i:032x}.npz" for i in range(3)]
    for p in stale:
        p.write_bytes(b"x" * 1000)
    live = tmp_path / f".ckpt.npz.tmp-{os.getppid()}-{0:032x}.npz"  # a live writer's file
    other = tmp_path / f".other.npz.tmp-{dead}-{0:032x}.npz"  # another target's
    live.write_bytes(b"x")
    other.write_bytes(b"x")
    if then == "save":
        tg.save({"w": tg.zeros(3)}, path)
    else:
        assert tg.load(path)["w"].tolist() == [1.0, 1.0, 1.0]
    assert not any(p.exists() for p in stale)
    assert live.exists() and other.exists()


def test_a_save_killed_with_sigkill_leaves_a_temporary_that_the_next_save_removes(tmp_path):
    path = tmp_path / "big.npz"
    code = ("import os, signal, numpy as np, tinygrad_gd as tg\n"
            "np.savez_orig = np.savez\n"
            "def killer(f, **kw):\n"
            "    f.write(b'partial'); f.flush(); os.kill(os.getpid(), signal.SIGKILL)\n"
            "np.savez = killer\n"
            f"tg.save({{'w': tg.ones(4)}}, {str(path)!r})\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert proc.returncode == -9
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".big.npz.tmp-")]
    assert len(leftovers) == 1
    tg.save({"w": tg.ones(4)}, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.npz"]


# ----------------------------------------------------------------------- size caps
def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    path = tmp_path / "bomb.npz"
    zeros = np.zeros(40_000_000, dtype=np.uint8)  # 40 MB of zeros deflate to ~40 KB
    tree = {"kind": "dict", "items": [["w", False, {"kind": "tensor", "name": "w"}]]}
    _craft(path, _meta(tree), {"w": _npy(zeros)}, compress=zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 1_000_000
    with pytest.raises(CheckpointError, match="zip bomb"):
        tg.load(path)


def test_a_header_claiming_80_gb_is_refused(tmp_path):
    path = tmp_path / "huge.npz"
    body = bytearray(_npy(np.zeros(4, dtype=np.float64)))
    header = body[:body.index(b"\n") + 1].decode("latin1")
    claimed = header.replace("(4,)", "(10000000000,)")
    claimed = claimed[:-1].ljust(len(header) - 1) + "\n"  # keep the header's length
    tree = {"kind": "tensor", "name": "w"}
    _craft(path, _meta(tree), {"w": claimed.encode("latin1") + bytes(body[len(header):])})
    with pytest.raises(CheckpointError, match=r"claims shape \(10000000000,\)"):
        tg.load(path)


def test_a_stored_member_whose_header_lies_about_its_size_is_refused(tmp_path):
    path = tmp_path / "ckpt.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(META + ".npy", _npy(np.frombuffer(json.dumps(_meta(TENSOR_W)).encode(),
                                                     dtype=np.uint8)))
        z.writestr("w.npy", _npy(np.ones(1000)))
        z.filelist[-1].file_size *= 1000  # the central directory will claim 8 MB
    with pytest.raises(CheckpointError, match="declares 8"):
        tg.load(path)


def test_max_bytes_caps_what_a_checkpoint_may_unpack_to(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save({"w": tg.ones(10_000)}, path)
    assert tg.load(path, max_bytes=1 << 20)["w"].shape == (10_000,)
    with pytest.raises(CheckpointError, match="max_bytes=1000"):
        tg.load(path, max_bytes=1000)


# ----------------------------------------------------------------- malformed files
def _deep(n: int) -> str:
    return '{"kind": "list", "items": [' * n + "]}" * n


MALFORMED = {
    "version a string": (_meta(TENSOR_W, version="1"), {"w": _npy(np.ones(2))}),
    "version a float": (_meta(TENSOR_W, version=1.5), {"w": _npy(np.ones(2))}),
    "version null": (_meta(TENSOR_W, version=None), {"w": _npy(np.ones(2))}),
    "items not a list": (_meta({"kind": "list", "items": 5}), {}),
    "dict items not triples": (_meta({"kind": "dict", "items": [5, 6]}), {}),
    "dict key of wrong type": (_meta({"kind": "dict", "items": [[[1], False, TENSOR_W]]}),
                               {"w": _npy(np.ones(2))}),
    "entry not a dict": (_meta([1, 2]), {}),
    "kind not a string": (_meta({"kind": ["tensor"]}), {}),
    "name not a string": (_meta({"kind": "tensor", "name": ["w"]}), {"w": _npy(np.ones(2))}),
    "value a dict": (_meta({"kind": "value", "value": {"a": 1}}), {}),
    "complex member": (_meta(TENSOR_W), {"w": _npy(np.ones(2, dtype=np.complex128))}),
    "unicode member": (_meta(TENSOR_W), {"w": _npy(np.array(["ab", "c"]))}),
    "deeply nested JSON": (json.dumps(_meta("X")).replace('"X"', _deep(100_000)), {}),
    "nested past the limit": (json.dumps(_meta("X")).replace('"X"', _deep(500)), {}),
    "structure not bytes": (None, {}),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_every_malformed_checkpoint_raises_checkpoint_error(tmp_path, case):
    meta, members = MALFORMED[case]
    path = tmp_path / "bad.npz"
    if meta is None:  # the structure member holds float64s, not bytes
        with zipfile.ZipFile(path, "w") as z:
            z.writestr(META + ".npy", _npy(np.ones(3)))
    else:
        _craft(path, meta, members)
    with pytest.raises(CheckpointError):
        tg.load(path)


def test_a_wellformed_crafted_checkpoint_loads(tmp_path):
    # the crafting helper itself makes loadable files: the cases above fail for their flaw
    path = tmp_path / "ok.npz"
    tree = {"kind": "dict", "items": [["w", False, TENSOR_W], [3, True,
                                                               {"kind": "value", "value": 7}]]}
    _craft(path, _meta(tree), {"w": _npy(np.ones(2))})
    back = tg.load(path)
    assert back["w"].tolist() == [1.0, 1.0] and back[3] == 7


# ---------------------------------------------------------------- save's errors
def test_save_errors_name_the_target_not_the_temporary_file(tmp_path):
    missing = tmp_path / "no" / "such" / "ckpt.npz"
    with pytest.raises(FileNotFoundError) as info:
        tg.save({"w": tg.ones(2)}, missing)
    assert str(missing) in str(info.value) and ".tmp-" not in str(info.value)
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory") as info:
        tg.save({"w": tg.ones(2)}, folder)
    assert str(folder) in str(info.value)
    with pytest.raises(IsADirectoryError, match="is a directory"):
        tg.load(folder)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs a non-root POSIX user (root ignores directory modes)")
def test_save_into_a_read_only_directory_names_the_target(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError) as info:
            tg.save({"w": tg.ones(2)}, folder / "ckpt.npz")
        assert str(folder / "ckpt.npz") in str(info.value) and ".tmp-" not in str(info.value)
    finally:
        folder.chmod(0o700)
