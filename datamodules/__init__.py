"""One loader per dataset of the catalog, returning NumPy arrays for BOTH frameworks.

``load(name, data_dir=None, **options)`` returns an :class:`ArraySplits`; each dataset also has a
LightningDataModule (``DATAMODULES[name]``) that wraps the same loader with fast in-memory
batching. Nothing is downloaded unless ``download=True`` is passed.
"""

from __future__ import annotations

from .arrays import ArrayDataModule, ArraySplits, DataError, TensorBatches, keras_validation_split
from .images import FashionMNISTDataModule, load_fashion_mnist
from .tabular import DigitsDataModule, load_digits

LOADERS = {
    "digits": load_digits,
    "fashion_mnist": load_fashion_mnist,
}

DATAMODULES = {
    "digits": DigitsDataModule,
    "fashion_mnist": FashionMNISTDataModule,
}


def load(name: str, data_dir: str | None = None, **options) -> ArraySplits:
    """The arrays of dataset ``name`` (see ``LOADERS``), e.g. ``load("fashion_mnist", classes=[0, 2, 6])``."""
    if name not in LOADERS:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(sorted(LOADERS))}")
    return LOADERS[name](data_dir=data_dir, **options)


__all__ = ["load", "LOADERS", "DATAMODULES", "ArraySplits", "ArrayDataModule", "TensorBatches",
           "DataError", "keras_validation_split", "DigitsDataModule", "FashionMNISTDataModule"]
