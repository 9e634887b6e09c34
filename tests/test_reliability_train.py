"""examples/train_mnist.py and tg.data.MNIST under misuse and faults (issue 11): a named but
missing data location is an error (the bundled subset only when nothing was named, with a
notice), --resume refuses other data, a diverging run stops and keeps the last finite
checkpoint, Ctrl-C exits with one line and status 130, --out naming a file is refused, and
history.json/.png get the checkpoint's mode."""

from __future__ import annotations

import importlib.util
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import data

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "train_mnist.py"


@pytest.fixture(scope="module")
def train_mnist():
    spec = importlib.util.spec_from_file_location("train_mnist_reliability", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """No $TINYGRAD_GD_DATA and an empty home: only the bundled subset is around."""
    monkeypatch.delenv("TINYGRAD_GD_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return ["--no-download", "--quiet", "--limit", "300"]


def _env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TINYGRAD_GD_DATA"}
    env["HOME"] = str(tmp_path / "home")
    env["PYTHONPATH"] = str(SCRIPT.parents[1])
    return env


# ---------------------------------------------------------------------------- MNIST
def test_a_named_root_without_the_files_is_an_error_not_the_subset(offline, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(data.DatasetError, match="does not hold the train files"):
        data.MNIST("train", root=empty, download=False)
    assert "bundled subset" not in capsys.readouterr().out


def test_a_directory_where_a_file_should_be_is_an_error(offline, tmp_path):
    root = tmp_path / "root"
    (root / "t10k-images-idx3-ubyte").mkdir(parents=True)
    with pytest.raises(data.DatasetError, match="is a directory"):
        data.MNIST("test", root=root, download=False)


def test_the_subset_stands_in_only_when_nothing_was_named_and_says_so(offline, capsys):
    ds = data.MNIST("test", download=False)
    assert ds.is_subset and "bundled subset" in capsys.readouterr().out


def test_train_mnist_prints_the_subset_notice_once_and_refuses_a_named_missing_root(
        train_mnist, offline, tmp_path, capsys):
    train_mnist.main(offline + ["--epochs", "1", "--out", str(tmp_path / "run")])
    assert capsys.readouterr().out.count("using the bundled subset") == 1  # test split quiet
    empty = tmp_path / "data"
    empty.mkdir()
    with pytest.raises(data.DatasetError):
        train_mnist.main(offline + ["--epochs", "1", "--data-root", str(empty),
                                    "--out", str(tmp_path / "named")])


def test_resume_on_other_data_is_refused(train_mnist, offline, tmp_path, monkeypatch):
    out = str(tmp_path / "run")
    train_mnist.main(offline + ["--epochs", "2", "--stop-after", "1", "--out", out])
    before = (tmp_path / "run" / "checkpoint.npz").read_bytes()
    # the same options, but now "the full MNIST" is found (a fake: the subset's 5,000 images
    # presented as full files): the run would continue on other data
    real = data.MNIST.__init__

    def found_full(self, *args, **kwargs):
        real(self, *args, **kwargs)
        self.source = "/somewhere/mnist"

    monkeypatch.setattr(data.MNIST, "__init__", found_full)
    with pytest.raises(ValueError, match="data: checkpoint 'bundled subset"):
        train_mnist.main(offline + ["--epochs", "2", "--out", out, "--resume"])
    assert (tmp_path / "run" / "checkpoint.npz").read_bytes() == before


# -------------------------------------------------------------------- diverging runs
def test_a_diverging_run_stops_and_keeps_the_last_finite_checkpoint(train_mnist, offline,
                                                                     tmp_path, monkeypatch):
    out = tmp_path / "run"
    train_mnist.main(offline + ["--epochs", "3", "--stop-after", "1", "--out", str(out)])
    before = (out / "checkpoint.npz").read_bytes()
    cross_entropy = train_mnist.F.cross_entropy

    def poisoned(logits, target, **kw):  # training losses turn NaN (as after a blow-up)
        loss = cross_entropy(logits, target, **kw)
        return loss * float("nan") if logits.requires_grad else loss

    monkeypatch.setattr(train_mnist.F, "cross_entropy", poisoned)
    with pytest.raises(train_mnist.DivergedError, match="the loss became nan at epoch 2"):
        train_mnist.main(offline + ["--epochs", "3", "--out", str(out), "--resume"])
    assert (out / "checkpoint.npz").read_bytes() == before
    weights = tg.load(out / "checkpoint.npz")["model"]
    assert all(np.isfinite(w.numpy()).all() for w in weights.values())


def test_non_finite_weights_after_a_finite_loss_are_not_saved(train_mnist, offline, tmp_path,
                                                              monkeypatch):
    out = tmp_path / "run"
    step = train_mnist.optim.SGD.step

    def blow_up(self, closure=None):  # the last update of the epoch makes a weight infinite
        result = step(self, closure)
        self.param_groups[0]["params"][0].data[0, 0] = np.inf
        return result

    monkeypatch.setattr(train_mnist.optim.SGD, "step", blow_up)
    with pytest.raises(train_mnist.DivergedError, match="non-finite weights after epoch 1"):
        train_mnist.main(offline + ["--epochs", "1", "--out", str(out)])
    assert not (out / "checkpoint.npz").exists()


def test_a_diverging_run_exits_non_zero_with_one_clear_line(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--no-download", "--quiet", "--optimizer", "sgd",
         "--lr", "1e6", "--limit", "300", "--epochs", "2", "--out", str(out)],
        capture_output=True, text=True, env=_env(tmp_path), timeout=300)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "the run diverged" in proc.stderr.strip().splitlines()[-1]


# ------------------------------------------------------------------ the command line
def test_ctrl_c_exits_with_one_line_and_status_130_and_the_checkpoint_intact(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--no-download", "--quiet", "--limit", "500",
         "--epochs", "1000", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path))
    deadline = time.time() + 120
    while not (out / "history.json").exists() and time.time() < deadline:
        time.sleep(0.1)
    assert (out / "history.json").exists(), proc.communicate()[1]
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if line.strip()] == [
        line for line in err.splitlines() if "interrupted" in line]
    assert tg.load(out / "checkpoint.npz")["epoch"] >= 1


def test_out_naming_an_existing_file_is_refused(tmp_path):
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me")
    proc = subprocess.run([sys.executable, str(SCRIPT), "--out", str(existing)],
                          capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    assert proc.returncode == 2 and "is an existing file" in proc.stderr
    assert "Traceback" not in proc.stderr and existing.read_text() == "keep me"


def test_history_files_get_the_checkpoints_mode(train_mnist, offline, tmp_path):
    pytest.importorskip("matplotlib")
    old = os.umask(0o022)
    try:
        out = tmp_path / "run"
        train_mnist.main(offline + ["--epochs", "1", "--plot", "--out", str(out)])
    finally:
        os.umask(old)
    modes = {name: stat.S_IMODE((out / name).stat().st_mode)
             for name in ("checkpoint.npz", "history.json", "history.png")}
    assert modes["checkpoint.npz"] == 0o644
    assert modes["history.json"] == modes["history.png"] == modes["checkpoint.npz"]
