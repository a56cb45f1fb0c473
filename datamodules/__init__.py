"""One loader per dataset of the catalog, returning NumPy arrays for BOTH frameworks.

``load(name, data_dir=None, download=False, **options)`` returns an :class:`ArraySplits`; each
dataset also has a LightningDataModule (``DATAMODULES[name]``) that wraps the same loader with
fast in-memory batching (``batch_size``, ``seed``, ``val_split``, ``validate_on_test``,
``targets``, ``num_workers``). Nothing is downloaded unless ``download=True`` is passed; missing
data raises a one-line :class:`DataError` saying where the loader looked and how to get the
data. Sources, options and the offline stand-ins: ``datamodules/README.md``.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from .arrays import ArrayDataModule, ArraySplits, DataError, TensorBatches, keras_validation_split
from .economics import NASDAQ_FEATURES, WAGES_FEATURES, NasdaqDataModule, WagesDataModule, load_nasdaq, load_wages
from .images import (CIFAR10DataModule, FashionMNISTDataModule, MNISTDataModule,
                     OlivettiDataModule, load_cifar10, load_fashion_mnist, load_mnist,
                     load_olivetti)
from .tabular import (DigitsDataModule, IrisDataModule, OptdigitsDataModule, ShippingDataModule,
                      SonarDataModule, load_digits, load_iris, load_optdigits, load_shipping,
                      load_sonar)
from .text import TWEET_LENGTH, AirlineSentimentDataModule, IMDBDataModule, load_airline_sentiment, load_imdb

LOADERS = {
    "digits": load_digits,
    "iris": load_iris,
    "fashion_mnist": load_fashion_mnist,
    "mnist": load_mnist,
    "cifar10": load_cifar10,
    "olivetti": load_olivetti,
    "imdb": load_imdb,
    "wages": load_wages,
    "nasdaq": load_nasdaq,
    "airline_sentiment": load_airline_sentiment,
    "shipping": load_shipping,
    "sonar": load_sonar,
    "optdigits": load_optdigits,
}

DATAMODULES = {
    "digits": DigitsDataModule,
    "iris": IrisDataModule,
    "fashion_mnist": FashionMNISTDataModule,
    "mnist": MNISTDataModule,
    "cifar10": CIFAR10DataModule,
    "olivetti": OlivettiDataModule,
    "imdb": IMDBDataModule,
    "wages": WagesDataModule,
    "nasdaq": NasdaqDataModule,
    "airline_sentiment": AirlineSentimentDataModule,
    "shipping": ShippingDataModule,
    "sonar": SonarDataModule,
    "optdigits": OptdigitsDataModule,
}


def load(name: str, data_dir: Optional[str] = None, download: bool = False,
         validation_split: Optional[float] = None, **options) -> ArraySplits:
    """The arrays of dataset ``name`` (see ``LOADERS``), e.g.
    ``load("fashion_mnist", classes=[0, 2, 6])`` or ``load("mnist", flatten=True, one_hot=True,
    validation_split=0.2)``.

    ``validation_split`` moves the LAST fraction of the training arrays, taken before any
    shuffling, into ``x_val``/``y_val``, as Keras' ``fit(validation_split=...)`` does.
    """
    if name not in LOADERS:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(sorted(LOADERS))}")
    splits = LOADERS[name](data_dir=data_dir, download=download, **options)
    if validation_split:
        if splits.x_val is not None:
            raise DataError(f"{name} already has a validation set; validation_split would "
                            "replace it (use one or the other)")
        x_tr, y_tr, x_va, y_va = keras_validation_split(splits.x_train, splits.y_train,
                                                        validation_split)
        splits = dataclasses.replace(splits, x_train=x_tr, y_train=y_tr, x_val=x_va, y_val=y_va)
    return splits


__all__ = ["load", "WAGES_FEATURES", "NASDAQ_FEATURES", "TWEET_LENGTH", "LOADERS", "DATAMODULES", "ArraySplits", "ArrayDataModule", "TensorBatches",
           "DataError", "keras_validation_split", *sorted(c.__name__ for c in DATAMODULES.values()),
           *sorted(f.__name__ for f in LOADERS.values())]
