"""tg.save / tg.load: round trips, atomic writes, no pickle, clear errors for bad files."""

from __future__ import annotations

import os
import pickle
import zipfile

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn


def test_round_trip_of_nested_checkpoint_keeps_types_dtypes_and_values(tmp_path):
    ckpt = {
        "model": {"w": tg.randn(3, 2), "b": tg.tensor([1, 2], dtype="int64"),
                  "mask": tg.tensor([True, False])},
        "optimizer": {"state": {0: {"step": 3, "exp_avg": tg.randn(2, dtype="float64")}},
                      "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0]}]},
        "raw": np.arange(6, dtype=np.int32).reshape(2, 3),
        "epoch": 7, "name": "run-1", "best": None, "done": False, "loss": float("inf"),
    }
    path = tmp_path / "ckpt.npz"
    tg.save(ckpt, path)
    back = tg.load(path)
    assert back["epoch"] == 7 and back["name"] == "run-1" and back["best"] is None
    assert back["done"] is False and back["loss"] == float("inf")
    for key in ("w", "b", "mask"):
        got, want = back["model"][key], ckpt["model"][key]
        assert isinstance(got, tg.Tensor) and got.dtype == want.dtype and got.device == "cpu"
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    state = back["optimizer"]["state"][0]  # int keys stay ints
    assert state["step"] == 3 and state["exp_avg"].dtype == tg.float64
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert isinstance(back["raw"], np.ndarray) and back["raw"].dtype == np.int32


def test_state_dict_file_is_a_plain_npz_readable_by_numpy(tmp_path):
    net = nn.MLP([3, 4, 2])
    path = tmp_path / "mlp.npz"
    tg.save(net.state_dict(), path)
    with np.load(path, allow_pickle=False) as f:
        np.testing.assert_array_equal(f["0.weight"], net[0].weight.numpy())


def test_keys_ending_in_npy_do_not_overwrite_other_arrays(tmp_path):
    # np.savez stores "w" as the member "w.npy": a key "w.npy" must not land on the same member
    path = tmp_path / "ckpt.npz"
    tg.save({"w.npy": tg.ones(2), "w": tg.zeros(2), "v": tg.full((2,), 2.0),
             "v.npy": tg.full((2,), 3.0)}, path)
    back = tg.load(path)
    assert {k: v.tolist() for k, v in back.items()} == {
        "w.npy": [1.0, 1.0], "w": [0.0, 0.0], "v": [2.0, 2.0], "v.npy": [3.0, 3.0]}


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save({"a": tg.ones(2)}, path)
    with pytest.raises(TypeError, match="cannot store a object"):
        tg.save({"a": tg.zeros(2), "bad": object()}, path)
    # the failed save left the previous checkpoint intact and no temporary file behind
    np.testing.assert_array_equal(tg.load(path)["a"].numpy(), [1.0, 1.0])
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    with pytest.raises(TypeError, match=r"save its .state_dict\(\) instead"):
        tg.save({"model": nn.Linear(2, 2)}, path)
    tg.save({"a": tg.zeros(2)}, path)  # overwrite in place
    np.testing.assert_array_equal(tg.load(path)["a"].numpy(), [0.0, 0.0])
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    # the checkpoint has the mode of a normally created file, not the temporary file's 0600
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


def test_truncated_file_gives_a_clear_error(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save(nn.MLP([30, 40, 2]).state_dict(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(tg.CheckpointError, match="not a readable tinygrad_gd checkpoint"):
        tg.load(path)


def test_foreign_files_give_clear_errors_and_pickles_are_never_run(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(tg.CheckpointError, match="not a readable"):
        tg.load(text)
    npy = tmp_path / "one.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(tg.CheckpointError, match="single .npy array"):
        tg.load(npy)
    npz = tmp_path / "plain.npz"
    np.savez(npz, x=np.ones(2))
    with pytest.raises(tg.CheckpointError, match="not written by tg.save"):
        tg.load(npz)
    pick = tmp_path / "evil.npz"
    pick.write_bytes(pickle.dumps({"boom": os.getcwd}))
    with pytest.raises(tg.CheckpointError, match="not a readable"):
        tg.load(pick)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        tg.load(tmp_path / "missing.npz")


def test_damaged_structure_entry_is_reported(tmp_path):
    path = tmp_path / "ckpt.npz"
    with zipfile.ZipFile(path, "w") as z:
        with z.open("__tinygrad_gd__.npy", "w") as f:
            np.save(f, np.frombuffer(b"{not json", dtype=np.uint8))
    with pytest.raises(tg.CheckpointError, match="damaged"):
        tg.load(path)


def test_device_tensors_are_saved_from_host_copies_and_loaded_where_asked(tmp_path, device):
    t = tg.randn(2, 3, device=device)
    path = tmp_path / "dev.npz"
    tg.save({"t": t}, path)
    on_cpu = tg.load(path)["t"]
    assert on_cpu.device == "cpu"
    np.testing.assert_array_equal(on_cpu.numpy(), t.numpy())
    placed = tg.load(path, map_location=device)["t"]
    assert placed.device.startswith(device)
    assert tg.load(path, device=device)["t"].device == placed.device


def test_torch_load_and_save_arguments_are_accepted(tmp_path):
    """torch.load(path, map_location="cpu", weights_only=True) is what PyTorch scripts write (and
    torch.save(obj, path, pickle_protocol=...)): accepted, and loading is weights-only anyway."""
    model = tg.nn.Linear(3, 2)
    path = tmp_path / "model.pth"
    tg.save(model.state_dict(), path, pickle_protocol=4)
    for kwargs in ({"weights_only": True}, {"weights_only": False}, {"mmap": True},
                   {"map_location": "cpu", "weights_only": True}):
        state = tg.load(path, **kwargs)
        assert sorted(state) == ["bias", "weight"]
        np.testing.assert_array_equal(state["weight"].numpy(), model.weight.detach().numpy())
    assert tg.load(path, "cpu")["bias"].shape == (2,)  # map_location given positionally
