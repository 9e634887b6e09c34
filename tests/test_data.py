"""MNIST reading, downloading (from a local server only), the bundled subset, and the DataLoader."""

import functools
import gzip
import http.server
import os
import shutil
import struct
import threading
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import data
from tinygrad_gd.data import mnist as M

SHARED = Path(os.environ.get("TINYGRAD_GD_DATA", "/nonexistent")) / "mnist"
needs_full = pytest.mark.skipif(not (SHARED / "t10k-images-idx3-ubyte.gz").is_file(),
                                reason="needs the full MNIST files via $TINYGRAD_GD_DATA")


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No $TINYGRAD_GD_DATA and an empty home, so nothing is found but what a test puts there."""
    monkeypatch.delenv("TINYGRAD_GD_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    root = tmp_path / "root"
    root.mkdir()
    return root


def idx_bytes(array, magic):
    array = np.asarray(array, dtype=np.uint8)
    return struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.tobytes()


def write_split(root, split="test", n=None, gz=True, images=None, labels=None):
    img_stem, lab_stem, count = M.MNIST_SPEC.files[split]
    n = count if n is None else n
    rng = np.random.default_rng(0)
    images = idx_bytes(rng.integers(0, 256, (n, 28, 28)), M.IMAGES_MAGIC) if images is None \
        else images
    labels = idx_bytes(rng.integers(0, 10, n), M.LABELS_MAGIC) if labels is None else labels
    for stem, body in ((img_stem, images), (lab_stem, labels)):
        path = root / (stem + (".gz" if gz else ""))
        path.write_bytes(gzip.compress(body) if gz else body)
    return root / (img_stem + (".gz" if gz else "")), root / (lab_stem + (".gz" if gz else ""))


# ---------------------------------------------------------------------------------- reading
def test_parse_idx_round_trip():
    a = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    out = M.parse_idx(idx_bytes(a, M.IMAGES_MAGIC), M.IMAGES_MAGIC)
    assert out.dtype == np.uint8 and out.shape == (2, 28, 28)
    np.testing.assert_array_equal(out, a)


@pytest.mark.parametrize("gz", [True, False])
def test_reads_gzip_and_raw_files(isolated, gz):
    write_split(isolated, gz=gz)
    ds = data.MNIST("test", root=isolated, download=False)
    assert len(ds) == 10000 and ds.images.shape == (10000, 28, 28)
    assert ds.images.dtype == np.uint8 and ds.labels.dtype == np.int64
    image, label = ds[3]
    assert image.shape == (28, 28) and 0 <= label <= 9
    assert not ds.is_subset


def test_truncated_raw_file(isolated):
    img, _ = write_split(isolated, gz=False)
    img.write_bytes(img.read_bytes()[:-100])
    with pytest.raises(data.DatasetError, match="truncated"):
        data.MNIST("test", root=isolated, download=False)


def test_truncated_gzip_stream(isolated):
    _, lab = write_split(isolated)
    lab.write_bytes(lab.read_bytes()[:-20])
    with pytest.raises(data.DatasetError, match="gzip stream is truncated or corrupted"):
        data.MNIST("test", root=isolated, download=False)


def test_corrupted_gzip_stream(isolated):
    img, _ = write_split(isolated)
    body = bytearray(img.read_bytes())
    body[200:260] = b"\xff" * 60
    img.write_bytes(bytes(body))
    with pytest.raises(data.DatasetError, match="corrupted"):
        data.MNIST("test", root=isolated, download=False)


def test_wrong_magic_number(isolated):
    # the labels file's header in the images file's place: the classic mix-up
    labels = idx_bytes(np.zeros(10000), M.LABELS_MAGIC)
    write_split(isolated, images=labels)
    expected = "wrong magic number 0x00000801, expected 0x00000803"
    with pytest.raises(data.DatasetError, match=expected):
        data.MNIST("test", root=isolated, download=False)


def test_wrong_count_and_header_too_short(isolated):
    write_split(isolated, n=50)
    with pytest.raises(data.DatasetError, match="header says 50 items, expected 10000"):
        data.MNIST("test", root=isolated, download=False)
    with pytest.raises(data.DatasetError, match="too short for an IDX header"):
        M.parse_idx(b"\x00\x00\x08", M.IMAGES_MAGIC)


def test_missing_directory_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such directory"):
        data.MNIST("train", root=tmp_path / "nope")


def test_bad_split():
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        data.MNIST("validation", download=False)


def test_bundled_subset_when_nothing_found(isolated, capsys):
    train = data.MNIST("train", download=False)
    test = data.MNIST("test", download=False)
    assert "bundled subset" in capsys.readouterr().out
    assert (len(train), len(test)) == (5000, 1000) and train.is_subset
    assert np.bincount(train.labels).tolist() == [500] * 10
    assert np.bincount(test.labels).tolist() == [100] * 10
    assert M.BUNDLED_SUBSET.stat().st_size <= 2_000_000


@needs_full
def test_bundled_subset_matches_the_real_files():
    with np.load(M.BUNDLED_SUBSET) as z:
        idx, images = z["test_indices"], z["test_images"]
    full = data.MNIST("test", root=SHARED, download=False)
    np.testing.assert_array_equal(full.images[idx], images)


@needs_full
def test_full_mnist_through_env(monkeypatch):
    ds = data.MNIST("test", download=False)
    assert len(ds) == 10000 and ds.labels[:5].tolist() == [7, 2, 1, 0, 4]
    x, y = ds.as_arrays()
    assert x.shape == (10000, 1, 28, 28) and x.dtype == np.float32
    assert abs(float(x.mean())) < 0.05 and abs(float(x.std()) - 1.0) < 0.05


# ------------------------------------------------------------------- download (127.0.0.1 only)
class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/cut/"):  # promise 100,000 bytes, send 10, hang up
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"\x1f\x8b" + b"\x00" * 8)
            self.close_connection = True
            return
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    """A local HTTP server over tmp_path/srv; yields (base URL, served directory)."""
    served = tmp_path / "srv"
    served.mkdir()
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(served)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", served
    httpd.shutdown()
    httpd.server_close()


def test_download_checksum_mismatch_leaves_nothing(isolated, server):
    url, served = server
    write_split(served)  # well-formed IDX files, but not MNIST's bytes
    target = isolated / "cache"
    target.mkdir()
    with pytest.raises(data.ChecksumError, match="checksum mismatch"):
        data.MNIST("test", root=target, mirrors=[url])
    assert list(target.iterdir()) == []


def test_download_unreachable_falls_back_to_subset(isolated, server, capsys):
    url, _ = server  # serves nothing: every file is a 404
    # a named root is not swapped for the subset (issue 11): the failure is reported
    with pytest.raises(ConnectionError, match="root=.* does not hold the test files"):
        data.MNIST("test", root=isolated, mirrors=[url, "http://127.0.0.1:9/"])
    assert "bundled subset" not in capsys.readouterr().out
    assert list(isolated.iterdir()) == []
    # into the cache: the folders a failed download made are gone again
    ds = data.MNIST("test", mirrors=[url])
    assert ds.is_subset and not (Path.home() / ".cache").exists()


def test_download_cut_short_leaves_nothing(isolated, server, capsys):
    url, _ = server
    with pytest.raises(ConnectionError, match="incomplete download"):
        data.MNIST("test", root=isolated, mirrors=[url + "cut/"])
    assert list(isolated.iterdir()) == []
    with pytest.raises(ConnectionError, match="could not download t10k-images"):
        M.download_split(isolated, "test", mirrors=[url + "cut/"])
    assert list(isolated.iterdir()) == []


@needs_full
def test_download_verifies_and_uses_the_second_mirror(isolated, server):
    url, served = server
    (served / "good").mkdir()
    for stem in M.MNIST_SPEC.files["test"][:2]:
        shutil.copy(SHARED / (stem + ".gz"), served / "good" / (stem + ".gz"))
    ds = data.MNIST("test", root=isolated, mirrors=[url + "missing/", url + "good/"])
    assert len(ds) == 10000 and ds.source == str(isolated)
    assert sorted(p.name for p in isolated.iterdir()) == ["t10k-images-idx3-ubyte.gz",
                                                          "t10k-labels-idx1-ubyte.gz"]


# ------------------------------------------------------------------------------- DataLoader
def _toy(n=10):
    return data.TensorDataset(tg.arange(n * 2).reshape(n, 2).float(), tg.arange(n))


def test_loader_batches_and_len(device):
    ds = _toy(10)
    loader = data.DataLoader(ds, batch_size=4, device=device)
    shapes = [x.shape for x, _ in loader]
    assert len(loader) == 3 and shapes == [(4, 2), (4, 2), (2, 2)]
    assert all(x.device == loader.device for x, _ in loader)
    assert len(data.DataLoader(ds, batch_size=4, drop_last=True)) == 2
    (x, y), = list(data.DataLoader(ds, batch_size=None))
    assert x.shape == (10, 2) and y.tolist() == list(range(10))
    single = list(data.DataLoader(ds, batch_size=1, shuffle=True, seed=1))
    assert len(single) == 10 and sorted(int(y.item()) for _, y in single) == list(range(10))


def test_loader_shuffle_is_seeded_and_changes_each_epoch():
    def epochs(seed, k=2):
        loader = data.DataLoader(_toy(50), batch_size=7, shuffle=True, seed=seed)
        return [np.concatenate([y.numpy() for _, y in loader]) for _ in range(k)]

    a, b, c = epochs(3), epochs(3), epochs(4)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a[0], a[1]) and not np.array_equal(a[0], c[0])
    assert sorted(a[0].tolist()) == list(range(50))
    # rows stay paired with their labels after the gather
    loader = data.DataLoader(_toy(50), batch_size=7, shuffle=True, seed=3)
    for x, y in loader:
        np.testing.assert_array_equal(x.numpy()[:, 0], 2 * y.numpy())


def test_loader_resume_state_and_transform():
    loader = data.DataLoader(_toy(20), batch_size=5, shuffle=True, seed=0,
                             transform=lambda x: x * 0 - 1)
    first = [y.numpy() for _, y in loader]
    second = [y.numpy() for _, y in loader]
    other = data.DataLoader(_toy(20), batch_size=5, shuffle=True, seed=99)
    other.load_state_dict({"seed": 0, "epoch": 1})
    assert all(np.array_equal(u, v.numpy()) for u, (_, v) in zip(second, other))
    assert not all(np.array_equal(u, v) for u, v in zip(first, second))
    assert all((x.numpy() == -1).all() for x, _ in loader)


def test_loader_from_mnist_and_generic_dataset(isolated):
    ds = data.MNIST("test", download=False, verbose=False)
    x, y = next(iter(data.DataLoader(ds, batch_size=32)))
    assert x.shape == (32, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    generic = [(np.full(3, i, dtype=np.float64), i) for i in range(4)]
    x, y = next(iter(data.DataLoader(generic, batch_size=None)))
    # default_collate, as torch: NumPy arrays keep their dtype, Python ints become int64
    assert x.dtype == np.float64 and x.shape == (4, 3) and y.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_loader_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size"):
        data.DataLoader(_toy(), batch_size=bad)


def test_loader_drop_last_never_yields_a_short_batch():
    with pytest.raises(ValueError, match="drop_last=True.*only 10 samples"):
        data.DataLoader(_toy(10), batch_size=11, drop_last=True)
    (x, _), = list(data.DataLoader(_toy(10), batch_size=10, drop_last=True))
    assert x.shape == (10, 2)
    assert [x.shape[0] for x, _ in data.DataLoader(_toy(10), batch_size=11)] == [10]


def test_loader_generic_dataset_ragged_items():
    ragged = [(np.zeros(3), 0), (np.zeros(4), 1)]
    with pytest.raises(RuntimeError, match="stack expects each array to be equal size"):
        list(data.DataLoader(ragged, batch_size=2))


@pytest.mark.parametrize("bad", [-1, 1.5, "0"])
def test_loader_bad_seed(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        data.DataLoader(_toy(), batch_size=2, shuffle=True, seed=bad)


def test_tensor_dataset_mismatched_lengths():
    with pytest.raises(ValueError, match="first dimensions differ"):
        data.TensorDataset(tg.zeros(3, 2), tg.zeros(4))


def test_fashion_mnist_same_reader_no_subset(isolated, monkeypatch):
    monkeypatch.setattr(M.FASHION_MNIST_SPEC, "system_dirs", ())
    write_split(isolated)
    ds = data.FashionMNIST("test", root=isolated, download=False)
    assert len(ds) == 10000 and ds.images.dtype == np.uint8
    with pytest.raises(data.DatasetError, match="FashionMNIST files not found"):
        data.FashionMNIST("test", download=False)


@pytest.mark.skipif(not Path("/usr/share/datasets/fashion-mnist").is_dir(),
                    reason="needs Debian's dataset-fashion-mnist")
def test_fashion_mnist_from_the_debian_package(monkeypatch, tmp_path):
    monkeypatch.delenv("TINYGRAD_GD_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    ds = data.FashionMNIST("test", download=False)
    assert len(ds) == 10000 and ds.labels[:4].tolist() == [9, 2, 1, 1]
    # its decompressed bytes match the published SHA-256 (what a download is checked against)
    for stem in M.FASHION_MNIST_SPEC.files["test"][:2]:
        M._verify(Path(ds.source) / (stem + ".gz"), stem, M.FASHION_MNIST_SPEC)
