"""Train an MLP or a small CNN on MNIST, with checkpoints that resume to the exact same weights.

    python examples/train_mnist.py                      # MLP, SGD momentum, 5 epochs, cosine
    python examples/train_mnist.py --model cnn --epochs 15 --schedule cosine
    python examples/train_mnist.py --optimizer adam --lr 1e-3 --swa --epochs 10
    python examples/train_mnist.py --out runs/a --epochs 10 --resume   # continue a stopped run

Each epoch shows a progress bar with the running loss and accuracy, then evaluates on the test set
and writes, atomically, ``history.json`` and ``checkpoint.npz`` in ``--out``. The checkpoint
(``tg.save``: an ``.npz`` loaded without pickle) holds the model, the optimizer, the scheduler,
the SWA and early-stopping state, the loader's and the library's (CPU) random-number state, the
epoch and the options, so ``--resume`` finishes with exactly the weights of an uninterrupted run
(on a GPU, dropout draws from the GPU's generator, whose state is not saved: the CNN resumes
exactly on the CPU only).
Resuming with options that change the run (another model, optimizer, learning rate...) is refused
with the list of differences; ``--epochs`` may grow unless the schedule or SWA depends on it.

MNIST is found as ``tinygrad_gd.data.MNIST`` finds it (``--data-root``, ``$TINYGRAD_GD_DATA``, the
cache, a download); offline with nothing found it trains on the bundled 5,000-image subset.
Inputs are normalised with MNIST's mean and std (``MNIST.as_arrays``). ``--schedule plateau`` and
``--early-stopping`` watch the loss on a validation set held out from the end of the training set
(``--val``, default 10% of it when either is on), never the test set.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

import tinygrad_gd as tg
from tinygrad_gd import backend, data, nn, optim
from tinygrad_gd.nn import functional as F

OPTIMIZERS = ["gd", "sgd", "momentum", "adam", "rmsprop", "newton-cg"]
SCHEDULES = ["none", "step", "exponential", "cosine", "warm-restarts", "cyclic", "onecycle",
             "plateau"]
DEFAULT_LR = {"gd": 0.5, "sgd": 0.1, "momentum": 0.05, "adam": 1e-3, "rmsprop": 1e-3,
              "newton-cg": 1.0}
# Options that define the run: a checkpoint only resumes a run made with the same ones.
RUN_KEYS = ["dataset", "model", "optimizer", "batch_size", "lr", "momentum", "weight_decay",
            "damping", "cg_iters", "schedule", "swa", "swa_start", "swa_lr", "early_stopping",
            "patience", "seed", "subset", "limit", "val", "data"]
EPOCH_SCHEDULES = {"step", "cosine", "warm-restarts", "onecycle"}


# ------------------------------------------------------------------------------ the pieces
def build_model(name: str) -> nn.Module:
    """``mlp``: 784-256-256-10 with ReLU. ``cnn``: two 3x3 conv + max-pool blocks (32 and 64
    channels), a 128-unit hidden layer and dropout."""
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256),
                             nn.ReLU(), nn.Linear(256, 10))
    if name == "cnn":
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Dropout(0.25), nn.Linear(1600, 128), nn.ReLU(), nn.Dropout(0.5),
                             nn.Linear(128, 10))
    raise ValueError(f"unknown model {name!r}; expected 'mlp' or 'cnn'")


def build_optimizer(args: argparse.Namespace, params: list) -> optim.Optimizer:
    """The optimizer named by ``--optimizer`` with ``--lr`` (and momentum, weight decay)."""
    name, lr, wd = args.optimizer, args.lr, args.weight_decay
    if name == "gd":
        return optim.GD(params, lr=lr)
    if name == "sgd":
        return optim.SGD(params, lr=lr, weight_decay=wd)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=args.momentum, weight_decay=wd)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=wd)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, weight_decay=wd)
    if name == "newton-cg":
        return optim.Newton(params, lr=lr, damping=args.damping, solver="cg",
                            cg_max_iter=args.cg_iters, line_search="backtracking")
    raise ValueError(f"unknown optimizer {name!r}; expected one of {OPTIMIZERS}")


def build_scheduler(args: argparse.Namespace, opt: optim.Optimizer, steps_per_epoch: int):
    """``(scheduler, per_batch)``: the schedule of ``--schedule`` and whether it steps per batch."""
    name, epochs, lr = args.schedule, args.epochs, args.lr
    if name == "none":
        return None, False
    from tinygrad_gd.optim import lr_scheduler as sch
    if name == "step":
        return sch.StepLR(opt, step_size=max(1, epochs // 3), gamma=0.1), False
    if name == "exponential":
        return sch.ExponentialLR(opt, gamma=0.8), False
    if name == "cosine":
        return sch.CosineAnnealingLR(opt, T_max=epochs), False
    if name == "warm-restarts":
        return sch.CosineAnnealingWarmRestarts(opt, T_0=max(1, epochs // 3)), False
    if name == "cyclic":
        return sch.CyclicLR(opt, base_lr=lr / 10, max_lr=lr,
                            step_size_up=max(1, steps_per_epoch // 2), cycle_momentum=False), True
    if name == "onecycle":
        return sch.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch,
                              cycle_momentum=False), True
    if name == "plateau":
        return sch.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1), False
    raise ValueError(f"unknown schedule {name!r}; expected one of {SCHEDULES}")


@tg.no_grad()
def evaluate(model: nn.Module, loader: data.DataLoader) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` over ``loader``."""
    was_training = model.training
    model.eval()
    total_loss, correct, n = 0.0, 0, 0
    for x, y in loader:
        logits = model(x)
        total_loss += F.cross_entropy(logits, y, reduction="sum").item()
        correct += int((logits.argmax(axis=1) == y).sum().item())
        n += len(y)
    model.train(was_training)
    return total_loss / n, correct / n


# ------------------------------------------------------------------------------ checkpoints
def load_checkpoint(path: Path) -> dict[str, Any]:
    """``tg.load`` a checkpoint written by this script (no pickle anywhere)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    ck = tg.load(path)
    if not isinstance(ck, dict) or "args" not in ck or "model" not in ck:
        raise ValueError(f"{path} is not a train_mnist.py checkpoint")
    return ck


def write_json(path: Path, obj: Any) -> None:
    """``json.dump`` to a temporary file in the same folder, then ``os.replace``: atomic."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=1)
        os.chmod(tmp, _file_mode(path.parent))  # mkstemp's files are 0600
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _file_mode(folder: Path) -> int:
    """The checkpoint's permissions (a file opened normally: what the umask gives), for the
    files written beside it."""
    try:
        return os.stat(folder / "checkpoint.npz").st_mode & 0o777
    except OSError:
        mask = os.umask(0o022)
        os.umask(mask)
        return 0o666 & ~mask


def _state(obj: Any) -> Any:
    return None if obj is None else obj.state_dict()


def _rng_state() -> dict[str, Any]:
    return backend.generators.get("cpu").bit_generator.state


def _check_same_run(saved: dict[str, Any], args: argparse.Namespace, path: Path) -> None:
    keys = [k for k in RUN_KEYS if k in saved or k != "data"]  # "data": not in old checkpoints
    if args.schedule in EPOCH_SCHEDULES or args.swa:
        keys.append("epochs")  # their learning rates depend on the number of epochs
    diffs = [f"{k}: checkpoint {saved.get(k)!r}, this run {getattr(args, k)!r}"
             for k in keys if saved.get(k) != getattr(args, k)]
    if diffs:
        raise ValueError(f"cannot resume from {path}: it was made by a different run ("
                         + "; ".join(diffs) + "). Repeat the original options, or start afresh "
                         "in another --out")


# ------------------------------------------------------------------------------- training
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    p = argparse.ArgumentParser(description="Train an MLP or a CNN on MNIST with tinygrad_gd.")
    p.add_argument("--dataset", choices=["mnist", "fashion"], default="mnist",
                   help="fashion: Fashion-MNIST, same format (no bundled subset)")
    p.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="momentum")
    p.add_argument("--batch-size", type=int, default=None,
                   help="0 = full batch; default 128 (gd: full batch, newton-cg: 1000)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--lr", type=float, default=None, help=f"default per optimizer: {DEFAULT_LR}")
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--damping", type=float, default=1e-2, help="newton-cg's damping")
    p.add_argument("--cg-iters", type=int, default=10, help="newton-cg's CG iterations per step")
    p.add_argument("--schedule", choices=SCHEDULES, default="cosine")
    p.add_argument("--swa", action="store_true", help="stochastic weight averaging")
    p.add_argument("--swa-start", type=int, default=None, help="epoch (default: 75%% of them)")
    p.add_argument("--swa-lr", type=float, default=None, help="default: lr / 2")
    p.add_argument("--early-stopping", action="store_true")
    p.add_argument("--patience", type=int, default=3)
    p.add_argument("--val", type=int, default=None,
                   help="validation images held out of the training set (default: 10%% with "
                        "--early-stopping or --schedule plateau, else 0)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, default=0, help="train on the first N images only")
    p.add_argument("--data-root", default=None, help="folder with the IDX files")
    p.add_argument("--no-download", action="store_true")
    p.add_argument("--subset", action="store_true",
                   help="train and test on the bundled 5,000/1,000-image subset")
    p.add_argument("--out", default="runs/train_mnist")
    p.add_argument("--resume", nargs="?", const="", default=None, metavar="CHECKPOINT",
                   help="continue from CHECKPOINT (default: OUT/checkpoint.npz)")
    p.add_argument("--stop-after", type=int, default=None, metavar="N",
                   help="stop after epoch N, as an interruption would (then --resume)")
    p.add_argument("--plot", action="store_true",
                   help="save learning curves to OUT/history.png (needs matplotlib)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--distributed", action="store_true",
                   help="data-parallel over the ranks of mpiexec -n N (see the end of this file)")
    p.add_argument("--jit", action="store_true",
                   help="trace the training step once and replay it (tg.jit)")
    args = p.parse_args(argv)
    if args.lr is None:
        args.lr = DEFAULT_LR[args.optimizer]
    if args.batch_size is None:
        args.batch_size = {"gd": 0, "newton-cg": 1000}.get(args.optimizer, 128)
    if args.subset and args.dataset != "mnist":
        p.error("--subset: only MNIST has a bundled subset")
    if args.batch_size < 0 or args.epochs < 1 or args.limit < 0:
        p.error("--batch-size and --limit must be >= 0, --epochs >= 1")
    if args.seed < 0:
        p.error(f"--seed must be >= 0, got {args.seed}")
    if args.stop_after is not None and args.stop_after < 1:
        p.error(f"--stop-after must be >= 1, got {args.stop_after}")
    if args.val == 0 and (args.early_stopping or args.schedule == "plateau"):
        # both watch the validation loss: without a validation set there is nothing to watch
        p.error("--val 0: --early-stopping and --schedule plateau need validation images")
    if Path(args.out).exists() and not Path(args.out).is_dir():
        p.error(f"--out {args.out!r} is an existing file; --out names a directory (for "
                "checkpoint.npz and history.json)")
    try:  # checked here, so a bad device fails before any data is read or folder made
        args.device = backend.parse_device(args.device)
    except (ValueError, RuntimeError) as exc:
        p.error(f"--device: {exc}")
    if args.jit and (args.optimizer == "newton-cg" or args.distributed):
        p.error("--jit: the traced step runs without --distributed, and not with newton-cg "
                "(its closure is differentiated twice)")
    if args.swa_start is None:
        args.swa_start = max(1, int(0.75 * args.epochs)) if args.swa else 0
    if args.swa and not 0 <= args.swa_start < args.epochs:
        p.error(f"--swa-start {args.swa_start} must be in 0..{args.epochs - 1} (--epochs "
                f"{args.epochs}), or SWA would average nothing")
    if args.swa_lr is None:
        args.swa_lr = args.lr / 2 if args.swa else 0.0
    return args


def load_arrays(args: argparse.Namespace):
    """Train / validation / test arrays (float32 normalised inputs, int64 labels)."""
    where: dict[str, Any] = {"root": args.data_root, "download": not args.no_download}
    if args.dataset == "mnist":
        dataset, where["subset"] = data.MNIST, args.subset
    else:
        dataset = data.FashionMNIST
    train = dataset("train", **where)
    test = dataset("test", verbose=False, **where)
    x, y = train.as_arrays()
    if args.limit:
        x, y = x[:args.limit], y[:args.limit]
    if args.val is None:
        args.val = len(y) // 10 if (args.early_stopping or args.schedule == "plateau") else 0
    if not 0 <= args.val < len(y):
        raise ValueError(f"--val {args.val} must leave training images (there are {len(y)})")
    cut = len(y) - args.val
    # which data the run trains on (the bundled subset may stand in for MNIST when nothing is
    # found): --resume refuses a checkpoint made on other data
    args.data = f"{'bundled subset' if train.is_subset else args.dataset} ({len(y)} images)"
    return (x[:cut], y[:cut]), (x[cut:], y[cut:]), test.as_arrays(), train.is_subset


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Run (or resume) the training described by ``args``; return the history and the model."""
    tg.manual_seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (x, y), (xv, yv), (xt, yt), subset = load_arrays(args)
    device = args.device
    model = build_model(args.model).to(device)
    if args.distributed:  # DDP: rank 0's weights everywhere, gradients averaged in backward
        model = _wrap_distributed(model)
    opt = build_optimizer(args, list(model.parameters()))
    batch = None if args.batch_size == 0 else args.batch_size
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=batch, shuffle=True,
                             seed=args.seed, device=device)
    if args.distributed:  # this rank's shard, a 1/N share of every global batch
        loader = ShardLoader(x, y, batch, args.seed, device)
    test_loader = data.DataLoader(data.TensorDataset(xt, yt), batch_size=1000, device=device)
    val_loader = data.DataLoader(data.TensorDataset(xv, yv), batch_size=1000,
                                 device=device) if len(yv) else None
    sched, per_batch = build_scheduler(args, opt, len(loader))
    swa_model = swa_sched = stopper = None
    if args.swa:
        swa_model = optim.swa_utils.AveragedModel(model)
        swa_sched = optim.swa_utils.SWALR(opt, swa_lr=args.swa_lr, anneal_epochs=1)
    if args.early_stopping:
        stopper = optim.EarlyStopping(patience=args.patience, mode="min", restore_best=True)

    history: list[dict[str, Any]] = []
    start, stopped = 0, False
    if args.resume is not None:
        path = Path(args.resume) if args.resume else out / "checkpoint.npz"
        ck = load_checkpoint(path)
        _check_same_run(ck["args"], args, path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        for obj, key in ((sched, "scheduler"), (swa_model, "swa_model"), (swa_sched, "swa_sched"),
                         (stopper, "early_stopping")):
            if obj is not None:
                obj.load_state_dict(ck[key])
        loader.load_state_dict(ck["loader"])
        backend.generators.get("cpu").bit_generator.state = ck["rng"]
        history, start, stopped = ck["history"], ck["epoch"], ck["stopped"]
        print(f"resumed from {path} after epoch {start}")

    print(f"{args.model} on {len(y)} {args.dataset} training images"
          f"{' (bundled subset)' if subset else ''}, "
          f"{args.optimizer} lr {args.lr}, batch {batch or 'full'}, {args.epochs} epochs, "
          f"schedule {args.schedule}{', SWA' if args.swa else ''} on {device}")
    epoch = start
    jit_step = _jitted_step(model, opt) if args.jit else None
    while epoch < args.epochs and not stopped:
        seconds, train_loss, train_acc, lr = _train_epoch(args, model, opt, loader, sched,
                                                          per_batch, epoch, jit_step)
        epoch += 1
        record: dict[str, Any] = {"epoch": epoch, "lr": lr, "seconds": seconds,
                                  "train_loss": train_loss, "train_acc": train_acc}
        if val_loader is not None:
            record["val_loss"], record["val_acc"] = evaluate(model, val_loader)
        record["test_loss"], record["test_acc"] = evaluate(model, test_loader)
        if args.swa and epoch > args.swa_start:
            swa_model.update_parameters(model)
            swa_sched.step()
        elif args.schedule == "plateau":
            sched.step(record["val_loss"])
        elif sched is not None and not per_batch:
            sched.step()
        if stopper is not None and stopper.step(record["val_loss"], model):
            stopped = True
            record["early_stop"] = True
        history.append(record)
        tqdm.write(f"epoch {epoch}: train loss {train_loss:.4f} acc {train_acc:.4f} | "
                   + (f"val loss {record['val_loss']:.4f} | " if val_loader else "")
                   + f"test loss {record['test_loss']:.4f} acc {record['test_acc']:.4f} | "
                   f"lr {lr:.3g} | {seconds:.2f} s" + (" | early stop" if stopped else ""))
        state = {"args": {k: getattr(args, k) for k in RUN_KEYS + ["epochs"]}, "epoch": epoch,
                 "stopped": stopped, "model": model.state_dict(), "optimizer": opt.state_dict(),
                 "scheduler": _state(sched), "swa_model": _state(swa_model),
                 "swa_sched": _state(swa_sched), "early_stopping": _state(stopper),
                 "loader": loader.state_dict(), "rng": _rng_state(), "history": history}
        _check_finite(model, epoch)  # a NaN weight must never overwrite the last good checkpoint
        if _is_main_rank(args):  # distributed: rank 0 writes; the others hold the same state
            tg.save(state, out / "checkpoint.npz")
            write_json(out / "history.json", history)
        if args.stop_after is not None and epoch >= args.stop_after:
            print(f"stopped after epoch {epoch} (--stop-after); continue with --resume")
            break

    result: dict[str, Any] = {"history": history, "model": model, "test_acc":
                              history[-1]["test_acc"] if history else math.nan}
    if stopped and stopper is not None:
        result["test_loss"], result["test_acc"] = evaluate(model, test_loader)  # best weights
        print(f"early stopping restored the best weights: test acc {result['test_acc']:.4f}")
    if swa_model is not None and epoch > args.swa_start:
        result["swa_test_loss"], result["swa_test_acc"] = evaluate(swa_model, test_loader)
        print(f"SWA average of epochs {args.swa_start + 1}..{epoch}: test acc "
              f"{result['swa_test_acc']:.4f} (last iterate {history[-1]['test_acc']:.4f})")
    result["swa_model"] = swa_model
    if args.plot and history:
        print(f"learning curves: {save_plot(history, out / 'history.png')}")
    return result


def save_plot(history: list[dict[str, Any]], path: Path) -> Path:
    """Loss and accuracy per epoch (``viz.plot_history``), saved as a PNG atomically."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    from tinygrad_gd import viz

    curves = [{k: v for k, v in h.items() if k == "epoch" or k.endswith(("_loss", "_acc"))}
              for h in history]
    fig = viz.plot_history(curves)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=100)
        os.chmod(tmp, _file_mode(path.parent))  # mkstemp's files are 0600
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


class DivergedError(RuntimeError):
    """The loss or the weights became non-finite: training stops, the last checkpoint stays."""


def _check_finite(model: nn.Module, epoch: int) -> None:
    bad = [name for name, p in model.state_dict().items()
           if backend.is_floating(p.dtype) and not bool(p.isfinite().all().item())]
    if bad:
        raise DivergedError(f"non-finite weights after epoch {epoch} ({', '.join(bad[:3])}"
                            f"{', ...' if len(bad) > 3 else ''}): the run diverged (try a "
                            "smaller --lr)")


def _jitted_step(model: nn.Module, opt: optim.Optimizer) -> Any:
    """The training step under ``tg.jit``: traced once per batch shape (the last, smaller batch
    traces again), then replayed; the scheduler's ``lr`` is read at each replay."""
    @tg.jit
    def step(xb, yb):
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss, logits.detach()
    return step


def _train_epoch(args, model, opt, loader, sched, per_batch, epoch, jit_step=None):
    """One pass over ``loader``; returns (seconds, mean loss, accuracy, lr at the start)."""
    model.train()
    lr = opt.param_groups[0]["lr"]
    step_sched = sched is not None and per_batch and not (args.swa and epoch >= args.swa_start)
    total_loss, correct, seen = 0.0, 0, 0
    start = time.perf_counter()
    bar = tqdm(loader, desc=f"epoch {epoch + 1}/{args.epochs}", leave=False, disable=args.quiet,
               dynamic_ncols=True)
    for i, (xb, yb) in enumerate(bar):
        if args.optimizer == "newton-cg":
            def closure(xb=xb, yb=yb):  # Newton differentiates it itself (twice)
                return F.cross_entropy(model(xb), yb)
            loss = opt.step(closure)
            with tg.no_grad():
                logits = model(xb)
        elif jit_step is not None:
            loss, logits = jit_step(xb, yb)
        else:
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        if step_sched:
            sched.step()
        n = len(yb)
        value = loss.item()
        if not math.isfinite(value):
            raise DivergedError(f"the loss became {value} at epoch {epoch + 1}, batch {i + 1}: "
                                "the run diverged (try a smaller --lr)")
        total_loss += value * n
        correct += int((logits.argmax(axis=1) == yb).sum().item())
        seen += n
        if i % 20 == 0 or i == len(loader) - 1:
            bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.4f}")
    return time.perf_counter() - start, total_loss / seen, correct / seen, lr


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Command-line entry point; returns ``train``'s result (for tests and notebooks)."""
    args = parse_args(argv)
    if args.distributed:
        return _main_distributed(args)
    tg.backend.reuse_freed_memory()  # each step's arrays reuse the last step's memory
    try:
        return train(args)
    except KeyboardInterrupt:  # Ctrl-C: one line, no traceback; checkpoints are atomic
        print(f"\ntrain_mnist.py: interrupted; {Path(args.out) / 'checkpoint.npz'} holds the last "
              "finished epoch (continue with --resume)", file=sys.stderr)
        sys.exit(130)
    except DivergedError as exc:
        if argv is not None:
            raise
        ckpt = Path(args.out) / "checkpoint.npz"
        sys.exit(f"train_mnist.py: error: {exc}; " + (
            f"{ckpt} keeps the last finite epoch's weights" if ckpt.is_file() else
            "no checkpoint was written"))
    except (ValueError, OSError, RuntimeError) as exc:  # bad options, files, devices
        if argv is not None:
            raise
        sys.exit(f"train_mnist.py: error: {exc}")


# --------------------------------------------------------------------- data-parallel (MPI)
# mpiexec -n N python examples/train_mnist.py --distributed [options]: every rank builds the
# same run; DistributedDataParallel broadcasts rank 0's weights and averages the gradients during
# backward, and each rank reads its share of every global batch (DistributedSampler's shard).
# Rank 0 alone shows progress, prints, and writes history and checkpoints (the model's plain
# state dict: it resumes with or without --distributed). Train loss/accuracy are rank 0's shard;
# evaluation runs the whole test set on every rank (same weights, same result).
class ShardLoader:
    """This rank's batches: ``DistributedSampler``'s shard of the epoch, in batches of
    ``batch / N`` (``--batch-size`` stays the global batch), with the DataLoader's
    ``state_dict`` (seed, epoch) so ``--resume`` continues the same sequence."""

    def __init__(self, x: Any, y: Any, batch: int | None, seed: int, device: str) -> None:
        from tinygrad_gd import distributed as dist

        n = dist.get_world_size()
        if batch is not None and batch % n:
            raise ValueError(f"--batch-size {batch} (the global batch) must be a multiple of "
                             f"the {n} ranks")
        self.sampler = dist.DistributedSampler(range(len(y)), seed=seed, drop_last=True)
        self.x, self.y, self.device, self.seed, self.epoch = x, y, device, seed, 0
        self.batch = len(self.sampler) if batch is None else batch // n

    def __len__(self) -> int:
        return -(-len(self.sampler) // self.batch)

    def __iter__(self):
        self.sampler.set_epoch(self.epoch)
        self.epoch += 1
        order = list(self.sampler)
        for i in range(0, len(order), self.batch):
            idx = order[i:i + self.batch]
            yield (tg.tensor(self.x[idx], device=self.device),
                   tg.tensor(self.y[idx], device=self.device))

    def state_dict(self) -> dict[str, int]:
        """The seed and the number of epochs started (as ``DataLoader.state_dict``)."""
        return {"seed": self.seed, "epoch": self.epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from ``state_dict()``."""
        self.seed, self.epoch = int(state["seed"]), int(state["epoch"])
        self.sampler.seed = self.seed


def _wrap_distributed(model: nn.Module) -> nn.Module:
    from tinygrad_gd.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model)


def _is_main_rank(args: argparse.Namespace) -> bool:
    from tinygrad_gd import distributed as dist

    return not args.distributed or dist.get_rank() == 0


def _main_distributed(args: argparse.Namespace) -> dict[str, Any]:
    """Join the MPI job; the other ranks stay silent; any rank's error ends the whole job."""
    if args.optimizer == "newton-cg" or args.swa:
        sys.exit("train_mnist.py: error: --distributed does not support "
                 + ("--optimizer newton-cg" if args.optimizer == "newton-cg" else "--swa"))
    from tinygrad_gd import distributed as dist

    dist.init_process_group("mpi")
    if dist.get_rank() != 0:
        args.quiet = True
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    tg.backend.reuse_freed_memory()
    with dist.abort_on_error():  # without it, the other ranks would wait in an allreduce
        result = train(args)
    dist.destroy_process_group()
    return result


if __name__ == "__main__":
    main()
