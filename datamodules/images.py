"""Image datasets: Fashion-MNIST, MNIST, CIFAR-10 and the Olivetti faces.

Images are channels-last NumPy arrays (N, H, W[, C]) for both frameworks. Every loader takes
``data_dir`` and ``download``: an explicit ``data_dir`` is the only folder looked in; without one
the search order is the project's download folder (``$KLP_DATA_DIR/<name>``, default
``~/.cache/klp-datasets/<name>``), then the dataset's known offline locations.
``download=True`` calls the real downloader, which verifies checksums (torchvision: MD5 of
every file; scikit-learn: SHA-256 of the Olivetti ``.mat``). CIFAR-10's pickles and
Olivetti's cache are read by a NumPy-only unpickler (:mod:`.common`): nothing in them runs.

Options shared by the 28x28 and CIFAR loaders (see :func:`finish_images`): ``classes`` (keep
and relabel a subset), ``scale`` (/255 into float32 [0, 1]), ``flatten`` (one vector per
image) and ``one_hot`` (float32 one-hot labels, Keras' ``to_categorical``).
"""

from __future__ import annotations

import os
import pickle
import zlib
from typing import Optional, Sequence

import numpy as np

from .arrays import ArraySplits, DataError
from .common import (corrupt, data_dirs, default_data_dir, find_file, fit_on_train,
                     keras_cache_dir, load_numpy_pickle, not_found, one_hot as to_one_hot,
                     read_joblib_array, read_npz, split)
from .idx import read_idx

# -- MNIST-format (IDX) files ----------------------------------------------------------------
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]
MNIST_CLASSES = [str(d) for d in range(10)]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck"]
FASHION_DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"


def _find_idx(directory: str, stem: str, subdirs: Sequence[str]) -> Optional[str]:
    # "train-images.idx3-ubyte" (a dot) is how some mirrors name the same files
    dotted = stem.replace("-idx", ".idx")
    names = [stem + ".gz", stem, dotted + ".gz", dotted]
    return find_file([os.path.join(directory, s) for s in subdirs], names)


def read_idx_dir(directory: str, subdirs: Sequence[str] = ("", "raw")) -> Optional[dict]:
    """The four arrays from ``directory`` (or its ``subdirs``) if all four IDX files are there,
    else ``None``."""
    paths = {key: _find_idx(directory, stem, subdirs) for key, stem in IDX_FILES.items()}
    if any(p is None for p in paths.values()):
        return None
    arrays = {key: read_idx(path) for key, path in paths.items()}
    for part in ("train", "test"):
        x, y = arrays["x_" + part], arrays["y_" + part]
        if x.ndim != 3 or y.ndim != 1:
            raise corrupt(paths["x_" + part], f"IDX shapes {x.shape} / {y.shape} are not "
                          "images (N, H, W) and labels (N,)")
        if len(x) != len(y):
            raise DataError(f"{directory}: {part} images and labels differ in length "
                            f"({len(x)} vs {len(y)}); one of the files is truncated or wrong")
    return arrays


def _read_keras_npz(path: str) -> dict:
    arrays = read_npz(path, list(IDX_FILES))
    if arrays["x_train"].ndim != 3 or len(arrays["x_train"]) != len(arrays["y_train"]):
        raise corrupt(path, "x_train/y_train are not (N, 28, 28) images with N labels")
    return arrays


# -- shared post-processing ------------------------------------------------------------------
def select_classes(x: np.ndarray, y: np.ndarray, classes: Sequence[int]):
    """Keep the samples of ``classes`` and relabel them 0..k-1 in the given order
    (seed 000: Fashion {0, 2, 6} -> {0, 1, 2}; CIFAR-10 {0, 2} -> {0, 1})."""
    classes = [int(c) for c in classes]
    if len(set(classes)) != len(classes) or min(classes) < 0:
        raise DataError(f"classes must be distinct non-negative labels, got {classes}")
    y = np.asarray(y).reshape(-1).astype(np.int64)
    keep = np.isin(y, classes)
    relabel = np.zeros(max(int(y.max(initial=0)), max(classes)) + 1, dtype=np.int64)
    relabel[classes] = np.arange(len(classes))
    return x[keep], relabel[y[keep]]


def finish_images(x_train, y_train, x_test, y_test, names: Sequence[str], source: str,
                  classes: Optional[Sequence[int]] = None, scale: bool = True,
                  flatten: bool = False, one_hot: bool = False,
                  channel_axis: bool = False) -> ArraySplits:
    """Class subset (relabelled), /255 scaling, flattening and one-hot labels, in that order.
    ``channel_axis`` gives grey images a trailing channel, ``X.reshape(-1, 28, 28, 1)`` as the
    documents do before a Conv2D (colour images already have one)."""
    y_train = np.asarray(y_train).reshape(-1).astype(np.int64)
    y_test = np.asarray(y_test).reshape(-1).astype(np.int64)
    names = list(names)
    if classes is not None:
        if len(classes) == 0 or max(classes) >= len(names):
            raise DataError(f"classes {list(classes)} out of range 0..{len(names) - 1}")
        x_train, y_train = select_classes(x_train, y_train, classes)
        x_test, y_test = select_classes(x_test, y_test, classes)
        names = [names[c] for c in classes]
    image_shape = tuple(x_train.shape[1:])
    if scale:
        x_train = x_train.astype(np.float32) / 255.0
        x_test = x_test.astype(np.float32) / 255.0
    if flatten:
        x_train = x_train.reshape(len(x_train), -1)
        x_test = x_test.reshape(len(x_test), -1)
    elif channel_axis and x_train.ndim == 3:
        x_train, x_test = x_train[..., None], x_test[..., None]
    if one_hot:
        y_train, y_test = to_one_hot(y_train, len(names)), to_one_hot(y_test, len(names))
    return ArraySplits(x_train, y_train, x_test, y_test,
                       info={"source": source, "class_names": names, "image_shape": image_shape,
                             "scale": 255.0 if scale else 1.0})


def _idx_dataset(name: str, data_dir: Optional[str], download: bool, known: Sequence[str],
                 subdirs: Sequence[str], torchvision_class: str, how: str,
                 keras_npz: Optional[str] = None):
    """Arrays of an MNIST-format dataset from the first folder holding them (the IDX files,
    or Keras' ``keras_npz`` cache file), else downloaded by torchvision."""
    searched = data_dirs(data_dir, default_data_dir(name), *known)
    for directory in searched:
        arrays = read_idx_dir(directory, subdirs)
        if arrays is not None:
            return arrays, directory
        if keras_npz and os.path.isfile(os.path.join(directory, keras_npz)):
            npz = os.path.join(directory, keras_npz)
            return _read_keras_npz(npz), npz
    if download:
        from ._import_guard import load_triton_first

        load_triton_first()  # torchvision loads triton, which must not follow TensorFlow
        import torchvision.datasets

        root = data_dir or default_data_dir(name)
        for train in (True, False):  # torchvision verifies each file's MD5
            getattr(torchvision.datasets, torchvision_class)(root, train=train, download=True)
        arrays = read_idx_dir(root, subdirs)
        if arrays is not None:
            return arrays, f"torchvision download into {root} (MD5 verified)"
    raise not_found(name, searched, how, data_dir)


# -- Fashion-MNIST ---------------------------------------------------------------------------
def load_fashion_mnist(data_dir: Optional[str] = None, download: bool = False,
                       classes: Optional[Sequence[int]] = None, scale: bool = True,
                       flatten: bool = False, one_hot: bool = False,
                       channel_axis: bool = False) -> ArraySplits:
    """Fashion-MNIST, 60000 train / 10000 test images of 28x28 (seeds 000, 001, 002, 003, 004).

    Sources: ``data_dir`` (the four ``*-ubyte[.gz]`` files, also torchvision's
    ``FashionMNIST/raw``), the Debian package ``dataset-fashion-mnist``
    (``/usr/share/datasets/fashion-mnist``), Keras' cache, or ``download=True``
    (torchvision, MD5-checked).

    Args:
        classes: keep only these classes, relabelled 0..k-1 in this order; seed 000 uses
            ``[0, 2, 6]`` (T-shirt, Pullover, Shirt -> 0, 1, 2): 18000 train / 3000 test.
        scale: divide by 255 into float32 [0, 1] (every document does); else raw uint8.
        flatten: (N, 784) vectors instead of (N, 28, 28) images.
        one_hot: float32 one-hot labels instead of integer labels.
    """
    arrays, source = _idx_dataset(
        "fashion_mnist", data_dir, download,
        known=(FASHION_DEBIAN_DIR, os.path.join(keras_cache_dir(), "fashion-mnist")),
        subdirs=("", "raw", os.path.join("FashionMNIST", "raw")), torchvision_class="FashionMNIST",
        how="run `apt-get install dataset-fashion-mnist`, put the four *-ubyte.gz files "
            "in data_dir, or pass download=True (torchvision, MD5-checked)")
    return finish_images(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"],
                         FASHION_CLASSES, source, classes, scale, flatten, one_hot, channel_axis)


# -- MNIST -----------------------------------------------------------------------------------
def load_mnist(data_dir: Optional[str] = None, download: bool = False,
               classes: Optional[Sequence[int]] = None, scale: bool = True,
               flatten: bool = False, one_hot: bool = False,
               channel_axis: bool = False) -> ArraySplits:
    """MNIST digits, 60000 train / 10000 test images of 28x28 (seed 002).

    Sources: ``data_dir`` (the four IDX files, ``.gz`` or not, also torchvision's
    ``MNIST/raw``, or Keras' ``mnist.npz``), Keras' cache (``~/.keras/datasets/mnist.npz``), or
    ``download=True`` (torchvision, MD5-checked). Seed 002 (master.mnist_mlp) flattens to 784,
    divides by 255, one-hot encodes the labels and trains with ``validation_split=0.2``: use
    ``flatten=True, one_hot=True`` and the DataModule's ``val_split=0.2`` (Keras' last 20%).
    """
    arrays, source = _idx_dataset(
        "mnist", data_dir, download, known=(keras_cache_dir(),),
        subdirs=("", "raw", os.path.join("MNIST", "raw")), torchvision_class="MNIST",
        keras_npz="mnist.npz",
        how="put the four MNIST *-ubyte.gz files (or Keras' mnist.npz) in data_dir, "
            "or pass download=True (torchvision, MD5-checked)")
    return finish_images(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"],
                         MNIST_CLASSES, source, classes, scale, flatten, one_hot, channel_axis)


# -- CIFAR-10 --------------------------------------------------------------------------------
CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_TRAIN = [f"data_batch_{i}" for i in range(1, 6)]


def read_cifar_batch(path: str) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR python-pickle batch as (N, 32, 32, 3) uint8 images and (N,) labels, read by
    the NumPy-only unpickler (a batch whose pickle names anything else is refused, unrun)."""
    try:
        with open(path, "rb") as f:
            batch = load_numpy_pickle(f, encoding="bytes")
        batch = {(k.decode() if isinstance(k, bytes) else k): v for k, v in batch.items()}
        data = np.asarray(batch["data"], dtype=np.uint8)
        labels = np.asarray(batch["labels"], dtype=np.int64)
    except (pickle.UnpicklingError, EOFError, OSError, KeyError, AttributeError, TypeError,
            ValueError, IndexError) as err:
        raise corrupt(path, "not a CIFAR python-pickle batch", err) from err
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise corrupt(path, f"data {data.shape} / labels {labels.shape} are not (N, 3072) / (N,)")
    # rows are 1024 red, 1024 green, 1024 blue values: (N, 3, 32, 32) -> channels-last
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def _download_cifar10(root: str) -> Optional[str]:
    """torchvision's download of the CIFAR-10 archive into ``root`` (MD5 of the archive and of
    every batch checked); the batches are then read here, by the NumPy-only unpickler, rather
    than by torchvision's ``CIFAR10`` dataset (which unpickles them with ``pickle.load``)."""
    from torchvision.datasets import CIFAR10
    from torchvision.datasets.utils import check_integrity, download_and_extract_archive

    download_and_extract_archive(CIFAR10.url, root, filename=CIFAR10.filename, md5=CIFAR10.tgz_md5)
    folder = os.path.join(root, CIFAR10.base_folder)
    for name, md5 in CIFAR10.train_list + CIFAR10.test_list:
        if not check_integrity(os.path.join(folder, name), md5):
            raise DataError(f"{os.path.join(folder, name)} does not have CIFAR-10's MD5 after the "
                            "download: delete the folder and download again")
    return _cifar_folder(root)


def _cifar_folder(directory: str) -> Optional[str]:
    for sub in (CIFAR10_FOLDER, os.path.join("cifar-10-batches-py-target", CIFAR10_FOLDER), ""):
        folder = os.path.join(directory, sub)
        if all(os.path.isfile(os.path.join(folder, f)) for f in CIFAR10_TRAIN + ["test_batch"]):
            return folder
    return None


def load_cifar10(data_dir: Optional[str] = None, download: bool = False,
                 classes: Optional[Sequence[int]] = None, scale: bool = True,
                 flatten: bool = False, one_hot: bool = False,
                 channel_axis: bool = False) -> ArraySplits:
    """CIFAR-10, 50000 train / 10000 test colour images (N, 32, 32, 3) (seeds 000 and 004).

    Sources: the python-pickle batches (``data_batch_1..5``, ``test_batch``, ``batches.meta``)
    in ``data_dir/cifar-10-batches-py`` (or ``data_dir`` itself), Keras' cache, or
    ``download=True`` (torchvision, which checks the archive's and every batch's MD5).
    Seed 000 keeps classes ``[0, 2]`` (airplane, bird -> 0, 1) and divides by 255; the slides
    of seed 004 use all 10 classes.
    """
    searched = data_dirs(data_dir, default_data_dir("cifar10"), keras_cache_dir())
    folder = next((f for f in map(_cifar_folder, searched) if f), None)
    source = folder
    if folder is None and download:
        root = data_dir or default_data_dir("cifar10")
        folder, source = _download_cifar10(root), f"torchvision download into {root} (MD5 verified)"
    if folder is None:
        raise not_found("cifar10", searched,
                        "extract cifar-10-python.tar.gz "
                        "(https://www.cs.toronto.edu/~kriz/cifar.html) into data_dir, "
                        "or pass download=True (torchvision, MD5-checked)", data_dir)
    parts = [read_cifar_batch(os.path.join(folder, name)) for name in CIFAR10_TRAIN]
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    x_test, y_test = read_cifar_batch(os.path.join(folder, "test_batch"))
    names = CIFAR10_CLASSES
    meta = os.path.join(folder, "batches.meta")
    if os.path.isfile(meta):
        try:
            with open(meta, "rb") as f:
                label_names = load_numpy_pickle(f, encoding="bytes").get(b"label_names")
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in label_names]
        except (pickle.UnpicklingError, EOFError, OSError, AttributeError, TypeError,
                ValueError, IndexError, KeyError) as err:
            raise corrupt(meta, "not CIFAR's batches.meta pickle", err) from err
    if y_train.size and max(y_train.max(), y_test.max()) >= len(names):
        raise corrupt(folder, f"labels exceed the {len(names)} class names")
    return finish_images(x_train, y_train, x_test, y_test, names, source, classes, scale,
                         flatten, one_hot, channel_axis)


# -- Olivetti faces --------------------------------------------------------------------------
OLIVETTI_CACHE = "olivetti_py3.pkz"  # scikit-learn's name for its joblib cache of the faces


def olivetti_home(data_dir: Optional[str] = None) -> str:
    """scikit-learn's data home: ``data_dir``, else ``$SCIKIT_LEARN_DATA`` or
    ``~/scikit_learn_data`` (as ``sklearn.datasets.get_data_home``, without creating it)."""
    if data_dir is not None:
        return os.fspath(data_dir)
    return os.path.expanduser(os.environ.get("SCIKIT_LEARN_DATA",
                                             os.path.join("~", "scikit_learn_data")))


def read_olivetti_cache(path: str) -> np.ndarray:
    """The (400, 4096) float32 faces of scikit-learn's ``olivetti_py3.pkz`` (a ``joblib.dump``
    of the original 400 x 4096 pixels), read by the NumPy-only reader, then processed exactly
    as ``fetch_olivetti_faces`` does: min-max scaled into [0, 1], each 64x64 image transposed."""
    try:
        faces = read_joblib_array(path)
        if faces.size != 400 * 64 * 64:
            raise ValueError(f"{faces.shape} holds {faces.size} pixels, not 400 x 4096")
        faces = np.float32(faces)
        faces = faces - faces.min()
        faces /= faces.max()
    except (ValueError, EOFError, KeyError, TypeError, IndexError, AttributeError, OSError,
            pickle.UnpicklingError, zlib.error) as err:
        raise corrupt(path, "not scikit-learn's cache of 400 faces of 64x64", err) from err
    return faces.reshape((400, 64, 64)).transpose(0, 2, 1).reshape(400, -1)


def load_olivetti(data_dir: Optional[str] = None, download: bool = False,
                  test_size: float = 0.3, split_seed: int = 0, stratify: bool = True,
                  scale: bool = True, one_hot: bool = True,
                  pca_components: Optional[int] = None, images: bool = False) -> ArraySplits:
    """The Olivetti faces: 400 images of 64x64 of 40 people, 10 each (seed 000, problem 2.1).

    The data is scikit-learn's ``fetch_olivetti_faces``: its cache ``olivetti_py3.pkz`` in
    ``data_dir`` (default scikit-learn's data home, ``$SCIKIT_LEARN_DATA`` or
    ``~/scikit_learn_data``) is read here by a NumPy-only reader and processed as
    ``fetch_olivetti_faces(shuffle=False)`` does (pixels float32 in [0, 1]); ``download=True``
    calls ``fetch_olivetti_faces`` itself, which checks the SHA-256 of the original
    ``olivettifaces.mat`` and writes the cache.

    Args:
        test_size, split_seed, stratify: the 70/30 split, ``train_test_split(test_size=0.3,
            random_state=split_seed)``; ``stratify`` (project's choice, the document leaves it open)
            keeps 7 faces of every person for training and 3 for test: 280 / 120.
        scale: divide by the maximum pixel value of the training faces ("/max").
        one_hot: float32 one-hot labels of the 40 people (the document's ``OneHotEncoder``,
            for categorical cross-entropy); ``False`` gives integer labels.
        pca_components: PCA features (10 and 20 in the document) fitted on the training faces
            only; the fitted ``PCA`` is in ``info["pca"]``.
        images: (N, 64, 64, 1) images for the CNN (``X.reshape(-1, 64, 64, 1)``) instead of
            (N, 4096) vectors.
    """
    if pca_components and images:
        raise DataError("pca_components and images=True exclude each other: PCA gives vectors")
    home = olivetti_home(data_dir)
    cache = os.path.join(home, OLIVETTI_CACHE)
    if os.path.isfile(cache):
        x = read_olivetti_cache(cache)
    elif download:
        from sklearn.datasets import fetch_olivetti_faces

        try:  # downloads the .mat (SHA-256-checked) and writes the cache; returns the faces
            faces = fetch_olivetti_faces(data_home=home, shuffle=False, download_if_missing=True)
        except (OSError, ValueError) as err:
            raise DataError(f"downloading the Olivetti faces into {home} failed ({err}); check "
                            "the connection or copy olivetti_py3.pkz there") from err
        x = faces.data.astype(np.float32)
    else:
        how = ("pass download=True (scikit-learn's fetch_olivetti_faces, SHA-256-checked) or "
               "copy olivetti_py3.pkz from a scikit_learn_data folder")
        raise not_found("olivetti", [home], how, data_dir)
    y = np.arange(400, dtype=np.int64) // 10  # 10 faces per person, in file order
    x_train, x_test, y_train, y_test = split(x, y, test_size, split_seed, stratify)
    info = {"source": f"{cache} (scikit-learn's fetch_olivetti_faces cache)",
            "class_names": [f"person {i}" for i in range(40)], "image_shape": (64, 64)}
    if scale:
        top = float(x_train.max()) or 1.0
        x_train, x_test, info["scale"] = x_train / top, x_test / top, top
    if pca_components:
        from sklearn.decomposition import PCA

        info["pca"], x_train, x_test = fit_on_train(
            PCA(n_components=int(pca_components), svd_solver="full"), x_train, x_test)
    elif images:
        x_train, x_test = x_train.reshape(-1, 64, 64, 1), x_test.reshape(-1, 64, 64, 1)
    if one_hot:
        y_train, y_test = to_one_hot(y_train, 40), to_one_hot(y_test, 40)
    return ArraySplits(x_train, y_train, x_test, y_test, info=info)
