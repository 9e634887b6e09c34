"""tinygrad_gd.distributed: collectives, DistributedDataParallel and failure handling, run for
real under ``mpiexec -n 2`` (``tests/test_distributed_worker.py``); DistributedSampler against
torch's; the library without mpi4py."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.distributed import DistributedSampler

WORKER = Path(__file__).with_name("test_distributed_worker.py")
HAVE_MPI4PY = importlib.util.find_spec("mpi4py") is not None


def _mpiexec() -> str | None:
    here = Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else shutil.which("mpiexec")


need_mpi = pytest.mark.skipif(
    not HAVE_MPI4PY or _mpiexec() is None,
    reason="mpi4py/mpiexec not installed: pip install -e '.[distributed]' (mpi4py + mpich)")


def _launch(tmp: Path, *cases: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    return subprocess.run([_mpiexec(), "-n", "2", sys.executable, str(WORKER),
                           str(tmp / "out.json"), *cases], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """One mpiexec job runs every case; a list with each rank's results."""
    tmp = tmp_path_factory.mktemp("dist")
    proc = _launch(tmp, "grad", "sgd", "no_sync", "collectives", "order")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((tmp / "out.json").read_text())


@need_mpi
def test_split_batch_gives_full_batch_gradient(results: list[dict]) -> None:
    for r in results:
        g = r["grad"]
        assert g["grad_diff"] <= 1e-5
        assert g["param_diff"] == 0.0  # rank 1 built other weights: rank 0's were broadcast
        assert g["buckets"] == 3  # bucket_cap_mb=0.0005 splits the 1,740 bytes of gradients
        assert g["bytes"] == 4 * (6 * 16 + 16 + 16 * 16 + 16 + 16 * 3 + 3)
        assert g["state_dict_keys"] and g["module"]


@need_mpi
def test_sgd_momentum_steps_identical_and_equal_to_one_process(results: list[dict]) -> None:
    for r in results:
        assert r["sgd"]["across_ranks"] == 0.0
        assert r["sgd"]["vs_single"] <= 1e-5


@need_mpi
def test_no_sync_accumulates(results: list[dict]) -> None:
    for r in results:
        ns = r["no_sync"]
        assert ns["inside_local_diff"] == 0.0  # inside no_sync: this rank's gradient only
        assert ns["inside_ranks_differ"] > 1e-3  # ... so the ranks differ
        assert ns["after_diff"] <= 1e-5  # the next synced backward averages the sums


@need_mpi
def test_buckets_follow_readiness_order_and_equal_blocking_average(results: list[dict]) -> None:
    for r in results:
        for mode, o in r["order"].items():
            assert o["progress"] == mode
            first, second = o["steps"]
            # one layer's weight gradient is ready before its bias: Linear(6,16), (16,16),
            # (16,3) are parameters 0..5, ready as 4, 5, 2, 3, 0, 1
            assert first["seen"] == first["recorded"] == [4, 5, 2, 3, 0, 1]
            assert second["seen"] == second["recorded"] == first["seen"]
            # construction: reverse registration order, cut at 524 bytes; bucket 0 waits for
            # bias 3, which comes after weight 2: it starts only with bucket 1
            assert o["initial"] == [[5, 4, 3], [2], [1, 0]]
            assert first["launched_at"] == [4, 4, 6]
            # rebuilt in readiness order: each bucket starts as soon as its last gradient
            assert o["rebuilt"] == [[4, 5], [2], [3, 0, 1]]
            assert second["launched_at"] == [2, 3, 6]
            for step in (first, second):  # the overlapped averages are the blocking ones
                assert step["grad_diff"] == 0.0


@need_mpi
def test_collectives_in_place(results: list[dict]) -> None:
    r0, r1 = results[0]["collectives"], results[1]["collectives"]
    for c in (r0, r1):
        assert c["all_reduce_SUM"] == c["all_reduce_sum"] == [3.0, 8.0]
        assert c["all_reduce_MAX"] == [2.0, 5.0] and c["all_reduce_MIN"] == [1.0, 3.0]
        assert c["all_reduce_AVG"] == [1.5, 4.0] and c["all_reduce_product"] == [2.0, 15.0]
        assert c["all_reduce_int"] == [3, 4] and c["version_bumped"]
        assert c["broadcast"] == [1.0, 11.0]
        assert c["all_gather"] == [[0.0, 0.5], [1.0, 1.5]]
        assert c["async"] and c["staged"] == [3.0, 4.0]  # the device-array stand-in, staged
    # the non-contiguous view's columns 1..2 are summed, the rest of the base stays per rank
    base0 = np.arange(12.0).reshape(3, 4)
    want0 = base0.copy()
    want0[:, 1:3] *= 3
    assert r0["noncontig"] == want0.tolist()
    assert r0["reduce_rank0"] == [3.0] and r1["reduce_rank1"] == [2.0]  # only dst gets it


@need_mpi
def test_failing_rank_aborts_the_job_with_its_message(tmp_path: Path) -> None:
    start = time.perf_counter()
    proc = _launch(tmp_path, "fail", timeout=30)
    elapsed = time.perf_counter() - start
    assert proc.returncode != 0
    assert elapsed < 15, f"the job took {elapsed:.1f} s to end"
    assert proc.stderr.count("ValueError: boom from rank 1") == 1, proc.stderr
    assert "[rank 1]" in proc.stderr and not (tmp_path / "out.json").exists()


# ------------------------------------------------------------------------ DistributedSampler
@pytest.mark.parametrize("n,replicas,drop_last", [(10, 2, False), (11, 2, False), (11, 2, True),
                                                  (5, 4, False), (5, 4, True), (2, 5, False),
                                                  (12, 3, True)])
def test_sampler_partitions_and_pads_as_torch(n: int, replicas: int, drop_last: bool) -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
        assert (ours.num_samples, ours.total_size) == (theirs.num_samples, theirs.total_size)
    del torch


@pytest.mark.parametrize("n,replicas,drop_last", [(11, 2, False), (11, 3, True), (3, 5, False)])
def test_sampler_shuffles_one_permutation_for_all_ranks(n: int, replicas: int,
                                                         drop_last: bool) -> None:
    for epoch in (0, 1):
        parts = []
        for rank in range(replicas):
            s = DistributedSampler(list(range(n)), replicas, rank, seed=3, drop_last=drop_last)
            s.set_epoch(epoch)
            parts.append(list(s))
        order = np.random.default_rng(3 + epoch).permutation(n).tolist()
        total = len(parts[0]) * replicas
        padded = (order * (total // n + 1))[:total]  # torch's rule: repeat from the start
        interleaved = [parts[r][i] for i in range(len(parts[0])) for r in range(replicas)]
        assert interleaved == padded
        assert all(len(p) == len(parts[0]) for p in parts)
    a = DistributedSampler(range(20), 2, 0, seed=1)
    b = DistributedSampler(range(20), 2, 0, seed=1)
    b.set_epoch(1)
    assert list(a) != list(b)  # set_epoch changes the order


def test_sampler_errors_and_import_paths() -> None:
    with pytest.raises(ValueError, match="Invalid rank 2"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))  # no process group here
    from tinygrad_gd.utils.data.distributed import DistributedSampler as FromUtils

    assert FromUtils is tg.data.DistributedSampler is tg.utils.data.DistributedSampler \
        is DistributedSampler
    from tinygrad_gd.nn.parallel import DistributedDataParallel

    assert DistributedDataParallel is tg.distributed.DistributedDataParallel
    loader = tg.data.DataLoader(tg.data.TensorDataset(np.arange(7.0)), batch_size=2,
                                sampler=DistributedSampler(range(7), 2, 1, shuffle=False))
    assert [b[0].tolist() for b in loader] == [[1.0, 3.0], [5.0, 0.0]]


# ---------------------------------------------------------------------- without mpi4py
def test_library_works_without_mpi4py(monkeypatch: pytest.MonkeyPatch) -> None:
    if "mpi4py" in sys.modules:
        pytest.skip("mpi4py already imported in this process")
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py now fails
    import tinygrad_gd.distributed as dist

    assert not dist.is_initialized()
    with pytest.raises(ImportError, match=r"tinygrad_gd\[distributed\]"):
        dist.init_process_group("mpi")
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.get_rank()
    with pytest.raises(ValueError, match="MPI only"):
        dist.init_process_group("nccl")


def test_post_accumulate_grad_hook_as_torch() -> None:
    torch = pytest.importorskip("torch")
    seen: dict[str, list] = {}
    for lib in (tg, torch):
        order = seen.setdefault(lib.__name__, [])
        w1 = lib.tensor([1.0, 2.0], requires_grad=True)
        w2 = lib.tensor([3.0, 4.0], requires_grad=True)
        h = w1.register_post_accumulate_grad_hook(
            lambda t, order=order: order.append(("w1", np.round(t.grad.tolist(), 5).tolist())))
        w2.register_post_accumulate_grad_hook(
            lambda t, order=order: order.append(("w2", np.round(t.grad.tolist(), 5).tolist())))
        (((w1 * 2).sin() * 3).cos() * w2).sum().backward()  # w2's gradient is ready first
        (w1 * 3 + w1).sum().backward()  # two uses: one call, with the whole gradient
        h.remove()
        (w1 * w2).sum().backward()
        with pytest.raises(RuntimeError, match="non-leaf"):
            (w1 * 2).register_post_accumulate_grad_hook(lambda t: None)
        with pytest.raises(RuntimeError, match="doesn't require"):
            lib.zeros(2).register_post_accumulate_grad_hook(lambda t: None)
    assert seen["tinygrad_gd"] == seen["torch"]
    assert [name for name, _ in seen["torch"]] == ["w2", "w1", "w1", "w2"]
