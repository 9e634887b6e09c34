"""examples/train_mnist.py: a short run learns, --resume is exact, bad resumes are refused."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "train_mnist.py"


@pytest.fixture(scope="module")
def train_mnist():
    spec = importlib.util.spec_from_file_location("train_mnist", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """The bundled subset, whatever the machine has: no $TINYGRAD_GD_DATA, an empty home."""
    monkeypatch.delenv("TINYGRAD_GD_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return ["--no-download", "--quiet"]


def weights(result):
    return {k: v.numpy() for k, v in result["model"].state_dict().items()}


def test_short_run_on_the_subset_beats_90_percent(train_mnist, offline, tmp_path, capsys):
    result = train_mnist.main(offline + ["--epochs", "3", "--out", str(tmp_path / "run")])
    assert "bundled subset" in capsys.readouterr().out
    assert result["test_acc"] > 0.90
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert history[-1]["test_acc"] == result["test_acc"]
    # atomic writes leave exactly the two files, no temporaries
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["checkpoint.npz",
                                                                    "history.json"]


@pytest.mark.parametrize("extra", [
    ["--model", "mlp", "--schedule", "cosine", "--limit", "1000"],
    ["--model", "cnn", "--optimizer", "adam", "--limit", "256", "--batch-size", "64"],
])
def test_resume_gives_the_weights_of_an_uninterrupted_run(train_mnist, offline, tmp_path, extra):
    common = offline + extra
    full = train_mnist.main(common + ["--epochs", "3", "--out", str(tmp_path / "full")])
    cut = str(tmp_path / "cut")
    train_mnist.main(common + ["--epochs", "3", "--stop-after", "1", "--out", cut])
    tg.manual_seed(12345)  # disturb the global generator: resume must restore it
    resumed = train_mnist.main(common + ["--epochs", "3", "--out", cut, "--resume"])
    a, b = weights(full), weights(resumed)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    def timeless(history):
        return [{k: v for k, v in h.items() if k != "seconds"} for h in history]

    assert timeless(resumed["history"]) == timeless(full["history"])


def test_resume_from_a_different_model_is_refused(train_mnist, offline, tmp_path):
    out = str(tmp_path / "run")
    train_mnist.main(offline + ["--epochs", "1", "--limit", "300", "--out", out])
    before = (tmp_path / "run" / "checkpoint.npz").read_bytes()
    with pytest.raises(ValueError, match="model: checkpoint 'mlp', this run 'cnn'"):
        train_mnist.main(offline + ["--model", "cnn", "--epochs", "2", "--limit", "300",
                                    "--out", out, "--resume"])
    with pytest.raises(ValueError, match="lr: checkpoint 0.05, this run 0.1"):
        train_mnist.main(offline + ["--lr", "0.1", "--epochs", "2", "--limit", "300",
                                    "--out", out, "--resume"])
    # the refused resumes wrote nothing
    assert (tmp_path / "run" / "checkpoint.npz").read_bytes() == before


def test_resume_without_a_checkpoint(train_mnist, offline, tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        train_mnist.main(offline + ["--out", str(tmp_path / "empty"), "--resume"])
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ValueError):
        train_mnist.main(offline + ["--out", str(tmp_path / "x"), "--resume", str(bad)])


@pytest.mark.parametrize("options", [
    ["--optimizer", "gd"], ["--optimizer", "sgd"], ["--optimizer", "adam"],
    ["--optimizer", "rmsprop"], ["--optimizer", "newton-cg", "--cg-iters", "3"],
    ["--schedule", "step"], ["--schedule", "exponential"], ["--schedule", "warm-restarts"],
    ["--schedule", "cyclic"], ["--schedule", "onecycle"], ["--schedule", "plateau"],
    ["--swa", "--swa-start", "1"], ["--early-stopping", "--patience", "0"],
])
def test_every_option_trains(train_mnist, offline, tmp_path, options):
    result = train_mnist.main(offline + options + ["--epochs", "2", "--limit", "600",
                                                   "--out", str(tmp_path)])
    losses = [h["train_loss"] for h in result["history"]]
    assert losses and all(np.isfinite(losses))
    assert 1 <= len(losses) <= 2
    if "--swa" in options:
        assert 0.0 < result["swa_test_acc"] <= 1.0
    if "--early-stopping" in options:
        assert result["history"][-1].get("early_stop") or len(losses) == 2
    if "--schedule" in options and options[1] in ("step", "exponential", "onecycle"):
        assert result["history"][1]["lr"] != result["history"][0]["lr"]


@pytest.mark.parametrize("options, message", [
    (["--device", "gpu"], "--device: bad device 'gpu'"),
    (["--early-stopping", "--val", "0"], "need validation images"),
    (["--schedule", "plateau", "--val", "0"], "need validation images"),
    (["--swa", "--swa-start", "5", "--epochs", "5"], "--swa-start 5 must be in 0..4"),
    (["--swa", "--epochs", "1"], "--swa-start 1 must be in 0..0"),  # the default start
    (["--stop-after", "0"], "--stop-after must be >= 1"),
    (["--seed", "-1"], "--seed must be >= 0"),
    (["--epochs", "0"], "--epochs >= 1"),
    (["--batch-size", "-1"], "--batch-size and --limit must be >= 0"),
])
def test_bad_options_are_named_before_training(train_mnist, offline, tmp_path, capsys, options,
                                               message):
    out = tmp_path / "never"
    with pytest.raises(SystemExit):
        train_mnist.main(offline + options + ["--out", str(out)])
    assert message in capsys.readouterr().err
    assert not out.exists()
