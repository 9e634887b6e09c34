"""MNIST (and Fashion-MNIST): the IDX reader, checksummed downloads, the cache and a bundled subset.

Where the four files are looked for, in order (the first directory holding all four wins):

1. ``root=`` when given, and then only there: files missing there are downloaded into it
   (``download=True``) or an error (``download=False``, or the download fails), never the
   bundled subset; a missing ``root`` directory, or a directory where a file should be, is an
   error too (as torchvision),
2. ``$TINYGRAD_GD_DATA/mnist``,
3. ``~/.cache/tinygrad_gd/mnist``,
4. a download over HTTPS from the public mirrors into the cache, each file checked against the
   published checksums, written atomically,
5. with no ``root`` and nothing found or downloadable: a class-balanced subset bundled in the
   package (5,000 training and 1,000 test images), with a printed notice (``verbose=False``
   silences it, for a second split of the same run).

Files may be gzip-compressed (``train-images-idx3-ubyte.gz``) or raw (``train-images-idx3-ubyte``).
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import struct
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

IMAGES_MAGIC = 0x00000803  # uint8 data, 3 dimensions (count, rows, cols)
LABELS_MAGIC = 0x00000801  # uint8 data, 1 dimension (count)

#: Normalisation of the conventional MNIST pipeline (torchvision's examples): pixels / 255, then
#: minus the training-set mean, divided by its standard deviation.
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081

BUNDLED_SUBSET = Path(__file__).with_name("mnist_subset.npz")


class DatasetError(RuntimeError):
    """A dataset file is missing, truncated, corrupted or of the wrong kind."""


class ChecksumError(DatasetError):
    """A downloaded file does not match any published checksum (it has been deleted)."""


def _default_cache() -> Path:
    return Path.home() / ".cache" / "tinygrad_gd"


class _Spec:
    """What one dataset family looks like: file names, sizes, checksums, mirrors."""

    def __init__(self, folder: str, mirrors: Sequence[str], md5: dict[str, str],
                 sha256: dict[str, str], bundled: Path | None,
                 system_dirs: Sequence[str] = ()) -> None:
        self.folder, self.mirrors, self.md5, self.sha256 = folder, tuple(mirrors), md5, sha256
        self.bundled, self.system_dirs = bundled, tuple(system_dirs)

    files = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000)}


MNIST_SPEC = _Spec(
    "mnist",
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
             "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    # MD5 of the original distribution's gzip files (what the mirrors serve).
    md5={"train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
         "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
         "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
         "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c"},
    # SHA-256 of the decompressed bytes: the same whoever re-compressed the file.
    sha256={"train-images-idx3-ubyte":
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte":
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "t10k-images-idx3-ubyte":
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte":
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
    bundled=BUNDLED_SUBSET,
)

FASHION_MNIST_SPEC = _Spec(
    "fashion-mnist",
    mirrors=("https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",),
    md5={"train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
         "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
         "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
         "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310"},
    # SHA-256 of the decompressed files, from Debian's dataset-fashion-mnist (upstream 55506a9),
    # whose re-compressed .gz files have other MD5s.
    sha256={"train-images-idx3-ubyte":
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte":
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "t10k-images-idx3-ubyte":
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte":
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
    bundled=None,
    system_dirs=("/usr/share/datasets/fashion-mnist",),  # Debian's dataset-fashion-mnist
)


# --------------------------------------------------------------------------------- IDX reading
def _read_bytes(path: Path) -> bytes:
    """The decompressed bytes of ``path`` (gzip detected by its magic bytes, not the name)."""
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise DatasetError(f"{path}: the gzip stream is truncated or corrupted ({exc}); "
                           "delete the file and download it again") from None


def parse_idx(buf: bytes, magic: int, name: str = "<bytes>",
              count: int | None = None) -> np.ndarray:
    """Parse an IDX byte string with the expected ``magic`` into a uint8 array.

    Checks the magic number, the header, ``count`` when given, and that the data is exactly as long
    as the header says.

    >>> import struct
    >>> parse_idx(struct.pack(">II", 0x801, 3) + bytes([7, 1, 4]), 0x801).tolist()
    [7, 1, 4]
    """
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(buf) < header:
        raise DatasetError(f"{name}: {len(buf)} bytes is too short for an IDX header "
                           f"({header} bytes); the file is truncated")
    (found,) = struct.unpack(">I", buf[:4])
    if found != magic:
        raise DatasetError(f"{name}: wrong magic number 0x{found:08x}, expected 0x{magic:08x} "
                           f"({'images' if magic == IMAGES_MAGIC else 'labels'} file); "
                           "is this the right file?")
    dims = struct.unpack(f">{ndim}I", buf[4:header])
    if count is not None and dims[0] != count:
        raise DatasetError(f"{name}: the header says {dims[0]} items, expected {count}")
    size = int(np.prod(dims))
    if len(buf) - header != size:
        state = "truncated" if len(buf) - header < size else "longer than its header says"
        raise DatasetError(f"{name}: {len(buf) - header} data bytes but the header {dims} needs "
                           f"{size}; the file is {state}")
    return np.frombuffer(buf, dtype=np.uint8, offset=header).reshape(dims)


def _find(directory: Path, stem: str) -> Path | None:
    for candidate in (directory / (stem + ".gz"), directory / stem):
        if candidate.is_file():
            return candidate
        if candidate.is_dir():  # not skipped: the user put something there, and it is wrong
            raise DatasetError(f"{candidate} is a directory, expected the {stem} file (.gz "
                               "or raw)")
    return None


def read_split(directory: str | os.PathLike, split: str,
               spec: _Spec = MNIST_SPEC) -> tuple[np.ndarray, np.ndarray]:
    """Read one split's images (N, 28, 28) and labels (N,) from IDX files in ``directory``."""
    images_stem, labels_stem, count = _files(spec, split)
    directory = Path(directory)
    paths = [_find(directory, images_stem), _find(directory, labels_stem)]
    missing = [stem for stem, p in zip((images_stem, labels_stem), paths) if p is None]
    if missing:
        raise DatasetError(f"{directory}: missing {', '.join(missing)} (.gz or raw)")
    images = parse_idx(_read_bytes(paths[0]), IMAGES_MAGIC, str(paths[0]), count)
    labels = parse_idx(_read_bytes(paths[1]), LABELS_MAGIC, str(paths[1]), count)
    if images.shape[1:] != (28, 28):
        raise DatasetError(f"{paths[0]}: images are {images.shape[1:]}, expected (28, 28)")
    if labels.size and labels.max() > 9:
        raise DatasetError(f"{paths[1]}: label {int(labels.max())} is out of range 0..9")
    return images, labels.astype(np.int64)


def _files(spec: _Spec, split: str) -> tuple[str, str, int]:
    if split not in spec.files:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return spec.files[split]


# ----------------------------------------------------------------------------------- download
def _verify(path: Path, stem: str, spec: _Spec) -> None:
    """Accept either published sum: MD5 of the original gzip or SHA-256 of the decompressed data."""
    raw = path.read_bytes()
    md5 = hashlib.md5(raw, usedforsecurity=False).hexdigest()  # an integrity check, not security
    if spec.md5.get(stem) == md5:
        return
    if stem in spec.sha256:
        try:
            body = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        except (EOFError, OSError, zlib.error):
            body = b""
        if hashlib.sha256(body).hexdigest() == spec.sha256[stem]:
            return
    raise ChecksumError(f"{stem}.gz: checksum mismatch (MD5 {md5}, "
                        f"expected {spec.md5.get(stem)}); the download was corrupted or the "
                        "mirror serves another file")


def _fetch(url: str, target: Path, stem: str, spec: _Spec, timeout: float) -> None:
    """Download ``url`` to ``target`` atomically; on any failure nothing is left behind."""
    from tqdm.auto import tqdm

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            received = 0
            with tqdm(total=total, unit="B", unit_scale=True, desc=target.name, leave=False) as bar:
                while chunk := resp.read(1 << 16):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        if total is not None and received != total:
            raise ConnectionError(f"incomplete download: {received} of {total} bytes")
        _verify(tmp, stem, spec)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def download_split(directory: str | os.PathLike, split: str, spec: _Spec = MNIST_SPEC,
                   mirrors: Sequence[str] | None = None, timeout: float = 30.0) -> None:
    """Download one split's two files into ``directory``, trying each mirror base URL in turn.

    Raises ``ChecksumError`` when a mirror served a file that fails the checksum (the file is
    deleted), ``ConnectionError`` when no mirror could be reached.
    """
    directory = Path(directory)
    images_stem, labels_stem, _ = _files(spec, split)
    created = directory  # the top-most folder this call creates, removed again if left empty
    while not created.parent.exists():
        created = created.parent
    created = None if created.exists() else created
    try:
        _download_files(directory, (images_stem, labels_stem), spec, mirrors, timeout)
    except BaseException:
        if created is not None:  # only empty folders go, from the deepest up to `created`
            for folder in [directory, *directory.parents]:
                try:
                    folder.rmdir()
                except OSError:
                    break
                if folder == created:
                    break
        raise


def _download_files(directory: Path, stems: Sequence[str], spec: _Spec,
                    mirrors: Sequence[str] | None, timeout: float) -> None:
    for stem in stems:
        if _find(directory, stem) is not None:
            continue
        errors: list[str] = []
        bad_sum: ChecksumError | None = None
        for base in mirrors if mirrors is not None else spec.mirrors:
            url = base.rstrip("/") + "/" + stem + ".gz"
            try:
                _fetch(url, directory / (stem + ".gz"), stem, spec, timeout)
                break
            except ChecksumError as exc:
                bad_sum = exc
                errors.append(f"{url}: {exc}")
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
                errors.append(f"{url}: {exc}")
        else:
            if bad_sum is not None:
                raise ChecksumError("; ".join(errors))
            raise ConnectionError(f"could not download {stem}.gz: " + "; ".join(errors))


# ------------------------------------------------------------------------------------ dataset
class MNIST:
    """The MNIST digits: ``.images`` uint8 (N, 28, 28), ``.labels`` int64 (N,).

    ``dataset[i]`` is ``(image, label)``; ``as_arrays()`` gives float32 inputs (N, 1, 28, 28),
    scaled to [0, 1] and normalised with the training set's mean 0.1307 and std 0.3081, and the
    labels -- the form ``DataLoader`` puts on the device once.

    ``mirrors`` (base URLs) replaces the public mirror list, e.g. a local server in tests.
    ``subset=True`` skips the search and takes the bundled subset (quick, reproducible runs).

    >>> ds = MNIST("test", subset=True)
    >>> len(ds), ds.images.shape, ds.images.dtype, ds.labels.dtype
    (1000, (1000, 28, 28), dtype('uint8'), dtype('int64'))
    >>> image, label = ds[0]
    >>> image.shape, int(label)
    ((28, 28), 7)
    """

    spec = MNIST_SPEC

    def __init__(self, split: str = "train", root: str | os.PathLike | None = None,
                 download: bool = True, mirrors: Sequence[str] | None = None,
                 timeout: float = 30.0, verbose: bool = True, subset: bool = False) -> None:
        _files(self.spec, split)
        self.split = split
        self.source = ""
        if subset:
            self._bundled(split, False, None)
            return
        found = self._search(split, root)
        offline: Exception | None = None
        if found is None and root is not None and not download:
            # the user named the data: never swap in the bundled subset behind their back
            images_stem, labels_stem, _ = _files(self.spec, split)
            raise DatasetError(f"{type(self).__name__}: root={str(root)!r} does not hold the "
                               f"{split} files ({images_stem}, {labels_stem}, .gz or raw) and "
                               "download=False; put them there or pass download=True")
        if found is None and download:
            target = Path(root) if root is not None else _default_cache() / self.spec.folder
            try:
                download_split(target, split, self.spec, mirrors, timeout)
                found = target
            except ConnectionError as exc:
                if root is not None:  # named data that cannot be fetched: an error, no fallback
                    raise ConnectionError(f"{type(self).__name__}: root={str(root)!r} does not "
                                          f"hold the {split} files and the download failed: "
                                          f"{exc}") from None
                offline = exc  # nothing was specified: fall back to the bundled subset below
        if found is not None:
            self.images, self.labels = read_split(found, split, self.spec)
            self.source = str(found)
            return
        self._bundled(split, verbose, offline)

    def _search(self, split: str, root: str | os.PathLike | None) -> Path | None:
        candidates: list[Path] = []
        if root is not None:  # a named location is the only place looked in
            root = Path(root)
            if not root.is_dir():
                raise FileNotFoundError(f"root={str(root)!r}: no such directory")
            images_stem, labels_stem, _ = _files(self.spec, split)
            found = [_find(root, images_stem), _find(root, labels_stem)]
            return root if all(found) else None
        env = os.environ.get("TINYGRAD_GD_DATA")
        if env:
            candidates.append(Path(env) / self.spec.folder)
        candidates.append(_default_cache() / self.spec.folder)
        candidates.extend(Path(d) for d in self.spec.system_dirs)
        images_stem, labels_stem, _ = _files(self.spec, split)
        for directory in candidates:
            if _find(directory, images_stem) and _find(directory, labels_stem):
                return directory
        return None

    def _bundled(self, split: str, verbose: bool, why: Exception | None) -> None:
        bundle = self.spec.bundled
        if bundle is None or not bundle.is_file():
            raise DatasetError(f"{type(self).__name__} files not found (looked in root=, "
                               f"$TINYGRAD_GD_DATA/{self.spec.folder}, ~/.cache/tinygrad_gd/"
                               f"{self.spec.folder})" + (f" and download failed: {why}" if why
                                                         else " and download=False"))
        with np.load(bundle, allow_pickle=False) as z:
            self.images, self.labels = z[f"{split}_images"], z[f"{split}_labels"].astype(np.int64)
        self.source = str(bundle)
        if verbose:
            print(f"{type(self).__name__}: full dataset not found and not downloadable; using the "
                  f"bundled subset ({len(self.labels)} {split} images)")

    @property
    def is_subset(self) -> bool:
        """True when this is the bundled subset, not the full dataset."""
        return self.source == str(self.spec.bundled)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: Any) -> tuple[np.ndarray, Any]:
        return self.images[index], self.labels[index]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(split={self.split!r}, n={len(self)}, source={self.source!r})"

    def as_arrays(self, normalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Float32 inputs (N, 1, 28, 28) -- normalised with MNIST's mean/std when ``normalize`` --
        and int64 labels (N,)."""
        x = self.images.astype(np.float32)[:, None]
        if normalize:  # (x / 255 - mean) / std, in place: two passes over 188 MB, not four
            x *= np.float32(1.0 / (255.0 * MNIST_STD))
            x -= np.float32(MNIST_MEAN / MNIST_STD)
        else:
            x *= np.float32(1.0 / 255.0)
        return x, self.labels


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST through the same reader (folder ``fashion-mnist``, no subset).

    Looked for as MNIST is (``root=``, ``$TINYGRAD_GD_DATA/fashion-mnist``, the cache), then in
    ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``), then downloaded.

    The normalisation of ``as_arrays`` uses MNIST's constants; pass ``normalize=False`` and
    standardise yourself for other statistics.
    """

    spec = FASHION_MNIST_SPEC
