"""torch.utils.data's API: datasets, samplers, default_collate, random_split and the DataLoader
on generic datasets, compared with torch where it is installed."""

from collections import namedtuple

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    random_split,
)

torch = pytest.importorskip("torch")
tud = pytest.importorskip("torch.utils.data")


class Pairs(Dataset):
    """Items of every kind default_collate handles."""

    def __init__(self, n=7):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": np.full(3, i, dtype=np.float32), "y": i, "w": float(i) / 2,
                "flag": i % 2 == 0, "name": f"s{i}", "pair": (np.int16(i), [i, -i])}


class TorchPairs(Pairs, tud.Dataset):
    pass


def _same(a, b):
    """A tinygrad_gd batch equals torch's (structure, values, dtypes)."""
    if isinstance(b, torch.Tensor):
        assert isinstance(a, tg.Tensor)
        assert a.dtype.name == str(b.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(b, dict):
        assert a.keys() == b.keys()
        for k in b:
            _same(a[k], b[k])
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b):
            _same(u, v)
    else:
        assert a == b


def test_import_paths_are_the_same_objects():
    from tinygrad_gd import data
    from tinygrad_gd.utils import data as udata

    for name in ("DataLoader", "Dataset", "TensorDataset", "random_split", "Subset",
                 "ConcatDataset", "RandomSampler", "default_collate"):
        assert getattr(data, name) is getattr(udata, name)


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (7, False)])
def test_generic_dataset_batches_match_torch(batch_size, drop_last):
    ours = list(DataLoader(Pairs(), batch_size=batch_size, drop_last=drop_last))
    ref = list(tud.DataLoader(TorchPairs(), batch_size=batch_size, drop_last=drop_last))
    assert len(ours) == len(ref) == len(DataLoader(Pairs(), batch_size=batch_size,
                                                   drop_last=drop_last))
    for a, b in zip(ours, ref):
        _same(a, b)


@pytest.mark.parametrize("items", [
    [1.5, 2.0], [1, 2], [True, False], [np.float32(1), np.float32(2)],
    [np.arange(3, dtype=np.uint8), np.arange(3, dtype=np.uint8)],
    [(1.0, 2), (3.0, 4)], [[1, 2], [3, 4]]])
def test_default_collate_dtypes_match_torch(items):
    ref = tud.default_collate([torch.tensor(x) if isinstance(x, torch.Tensor) else x
                               for x in items])
    _same(default_collate(items), ref)


def test_default_collate_tensors_and_namedtuples():
    point = namedtuple("Point", "x y")
    out = default_collate([point(tg.tensor([1.0, 2.0]), 0), point(tg.tensor([3.0, 4.0]), 1)])
    assert isinstance(out, point) and out.x.shape == (2, 2) and out.y.tolist() == [0, 1]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([tg.zeros(2), tg.zeros(3)])
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object(), object()])


def test_collate_keeps_the_graph_of_tensors_that_require_grad():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    default_collate([w * 2, w * 3]).sum().backward()
    assert w.grad.tolist() == [5.0, 5.0]


def test_shuffle_reproducible_and_a_permutation():
    def run(seed):
        tg.manual_seed(seed)
        return [y.tolist() for b in DataLoader(Pairs(20), batch_size=6, shuffle=True)
                for y in [b["y"]]]

    a, b, c = run(1), run(1), run(2)
    assert a == b and a != c
    assert sorted(sum(a, [])) == list(range(20))
    g = tg.Generator().manual_seed(5)
    one = [b["y"].tolist() for b in DataLoader(Pairs(20), batch_size=20, shuffle=True,
                                               generator=g)]
    g.manual_seed(5)
    two = [b["y"].tolist() for b in DataLoader(Pairs(20), batch_size=20, shuffle=True,
                                               generator=g)]
    assert one == two


def test_samplers_match_torch_where_deterministic():
    ds = list(range(10))
    assert list(SequentialSampler(ds)) == list(tud.SequentialSampler(ds))
    for bs, drop in [(3, False), (3, True), (5, True)]:
        ours = BatchSampler(SequentialSampler(ds), bs, drop)
        ref = tud.BatchSampler(tud.SequentialSampler(ds), bs, drop)
        assert list(ours) == list(ref) and len(ours) == len(ref)
    r = list(RandomSampler(ds))
    assert sorted(r) == ds and len(RandomSampler(ds, replacement=True, num_samples=25)) == 25
    assert all(0 <= i < 10 for i in RandomSampler(ds, replacement=True, num_samples=25))
    w = list(WeightedRandomSampler([0, 0, 1.0], 5))
    assert w == [2] * 5
    with pytest.raises(ValueError, match="positive integer"):
        BatchSampler(SequentialSampler(ds), 0, False)
    assert issubclass(RandomSampler, Sampler)


def test_loader_with_sampler_batch_sampler_and_collate_fn():
    ds = Pairs(10)
    out = [b["y"].tolist() for b in DataLoader(ds, batch_size=4, sampler=[9, 8, 7, 6, 5])]
    assert out == [[9, 8, 7, 6], [5]]
    out = [b["y"].tolist() for b in DataLoader(ds, batch_sampler=[[0, 2], [4]])]
    assert out == [[0, 2], [4]]
    assert len(DataLoader(ds, batch_sampler=[[0, 2], [4]])) == 2
    loader = DataLoader(ds, batch_size=3, collate_fn=lambda items: [it["y"] for it in items])
    assert list(loader) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    tds = TensorDataset(tg.arange(6).float(), tg.arange(6))
    custom = list(DataLoader(tds, batch_size=4, collate_fn=default_collate))
    assert [x.tolist() for x, _ in custom] == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0]]
    assert len(DataLoader(ds, batch_size=3, num_workers=2, pin_memory=True)) == 4
    assert isinstance(DataLoader(tds, shuffle=True).sampler, RandomSampler)
    assert len(DataLoader(tds, batch_size=4).sampler) == 6


def test_loader_argument_errors_as_torch():
    ds = Pairs(4)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)


class Stream(IterableDataset):
    def __iter__(self):
        return iter((np.float64(i), i) for i in range(5))


class TorchStream(tud.IterableDataset):
    def __iter__(self):
        return iter((np.float64(i), i) for i in range(5))


@pytest.mark.parametrize("drop_last", [False, True])
def test_iterable_dataset_matches_torch(drop_last):
    ours = list(DataLoader(Stream(), batch_size=2, drop_last=drop_last))
    ref = list(tud.DataLoader(TorchStream(), batch_size=2, drop_last=drop_last))
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        _same(a, b)
    with pytest.raises(TypeError, match="IterableDataset"):
        len(DataLoader(Stream(), batch_size=2))
    with pytest.raises(ValueError, match="IterableDataset"):
        DataLoader(Stream(), shuffle=True)


def test_subset_concat_and_add():
    ds = Subset(list(range(10)), [7, 3, 5])
    assert len(ds) == 3 and ds[0] == 7 and ds[[1, 2]] == [3, 5]
    cat = ConcatDataset([list(range(3)), list(range(10, 14))])
    ref = tud.ConcatDataset([list(range(3)), list(range(10, 14))])
    assert len(cat) == len(ref) == 7
    assert [cat[i] for i in range(-7, 7)] == [ref[i] for i in range(-7, 7)]
    with pytest.raises(IndexError):
        cat[7]
    assert len(Pairs(2) + Pairs(3)) == 5 and (Pairs(2) + Pairs(3))[2]["y"] == 0


@pytest.mark.parametrize("lengths", [[3, 7], [0.5, 0.3, 0.2], [0.33, 0.33, 0.34], [10]])
def test_random_split_sizes_match_torch(lengths):
    ours = random_split(range(10), lengths, generator=tg.Generator().manual_seed(0))
    ref = tud.random_split(range(10), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in ref]
    assert sorted(i for s in ours for i in s) == list(range(10))


def test_random_split_reproducible_and_errors():
    a = [list(s) for s in random_split(range(10), [5, 5], generator=tg.Generator().manual_seed(1))]
    b = [list(s) for s in random_split(range(10), [5, 5], generator=tg.Generator().manual_seed(1))]
    assert a == b
    with pytest.raises(ValueError, match="random_split"):
        random_split(range(10), [3, 3])


def test_loader_moves_generic_batches_and_transform():
    loader = DataLoader(Pairs(4), batch_size=2,
                        collate_fn=lambda items: (tg.tensor([it["w"] for it in items]), 0),
                        transform=lambda x: x * 0 - 1)
    assert all(x.tolist() == [-1.0, -1.0] for x, _ in loader)
