"""Image datasets: Fashion-MNIST (and, with the same IDX format, MNIST).

Source order: ``data_dir`` (files as the original distribution names them, ``.gz`` or not,
also torchvision's ``FashionMNIST/raw/`` layout), then the Debian package location
``/usr/share/datasets/fashion-mnist/`` (``apt-get install dataset-fashion-mnist``), then, only
with ``download=True``, torchvision's downloader (which verifies the files' MD5 checksums).
"""

from __future__ import annotations

import os
from typing import Optional, Sequence

import numpy as np

from .arrays import ArrayDataModule, ArraySplits, DataError
from .idx import read_idx

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]
FASHION_DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"


def _find_idx(directory: str, stem: str) -> Optional[str]:
    for sub in ("", "raw", os.path.join("FashionMNIST", "raw"), os.path.join("MNIST", "raw")):
        for name in (stem + ".gz", stem):
            path = os.path.join(directory, sub, name)
            if os.path.isfile(path):
                return path
    return None


def read_idx_dir(directory: str) -> Optional[dict]:
    """The four arrays from ``directory`` if all four IDX files are there, else ``None``."""
    paths = {key: _find_idx(directory, stem) for key, stem in IDX_FILES.items()}
    if any(p is None for p in paths.values()):
        return None
    arrays = {key: read_idx(path) for key, path in paths.items()}
    for part in ("train", "test"):
        if len(arrays["x_" + part]) != len(arrays["y_" + part]):
            raise DataError(f"{directory}: {part} images and labels differ in length "
                            f"({len(arrays['x_' + part])} vs {len(arrays['y_' + part])})")
    return arrays


def select_classes(x: np.ndarray, y: np.ndarray, classes: Sequence[int]):
    """Keep the samples of ``classes`` and relabel them 0..k-1 in the given order."""
    classes = list(classes)
    keep = np.isin(y, classes)
    relabel = np.zeros(int(max(classes)) + 1, dtype=np.int64)
    relabel[classes] = np.arange(len(classes))
    return x[keep], relabel[y[keep]]


def load_fashion_mnist(data_dir: Optional[str] = None, download: bool = False,
                       classes: Optional[Sequence[int]] = None, scale: bool = True) -> ArraySplits:
    """Fashion-MNIST, 60000 train / 10000 test images of 28x28.

    Args:
        classes: keep only these classes, relabelled 0..k-1 in this order; seed 000 uses
            ``[0, 2, 6]`` (T-shirt, Pullover, Shirt -> 0, 1, 2), 18000 train / 3000 test.
        scale: divide by 255 into float32 [0, 1] (every document does); else raw uint8.
    """
    searched = [d for d in (data_dir, FASHION_DEBIAN_DIR) if d]
    arrays = None
    for directory in searched:
        arrays = read_idx_dir(directory)
        if arrays is not None:
            source = directory
            break
    if arrays is None and download:
        from torchvision.datasets import FashionMNIST

        root = data_dir or os.path.join(os.path.expanduser("~"), ".cache", "fashion_mnist")
        for train in (True, False):
            FashionMNIST(root, train=train, download=True)
        arrays, source = read_idx_dir(root), "torchvision download (MD5 verified)"
    if arrays is None:
        raise DataError(
            f"Fashion-MNIST not found in {' or '.join(searched)}: run "
            "`apt-get install dataset-fashion-mnist`, put the four *-ubyte.gz files in data_dir, "
            "or pass download=True")
    x_train, y_train = arrays["x_train"], arrays["y_train"].astype(np.int64)
    x_test, y_test = arrays["x_test"], arrays["y_test"].astype(np.int64)
    names = FASHION_CLASSES
    if classes is not None:
        x_train, y_train = select_classes(x_train, y_train, classes)
        x_test, y_test = select_classes(x_test, y_test, classes)
        names = [FASHION_CLASSES[c] for c in classes]
    if scale:
        x_train = x_train.astype(np.float32) / 255.0
        x_test = x_test.astype(np.float32) / 255.0
    return ArraySplits(x_train, y_train, x_test, y_test,
                       info={"source": source, "class_names": names})


class FashionMNISTDataModule(ArrayDataModule):
    """Fashion-MNIST as :func:`load_fashion_mnist` returns it (seed 001; seed 000 problem 2)."""

    def __init__(self, data_dir: Optional[str] = None, download: bool = False,
                 classes: Optional[list[int]] = None, **kwargs):
        super().__init__(**kwargs)
        self.data_dir, self.download, self.classes = data_dir, download, classes

    def load_splits(self) -> ArraySplits:
        return load_fashion_mnist(self.data_dir, self.download, self.classes)
