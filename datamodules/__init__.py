"""One loader per dataset of the catalog, returning NumPy arrays for BOTH frameworks.

``load(name, data_dir=None, download=False, **options)`` returns an :class:`ArraySplits` and
imports neither torch nor lightning (Keras users need neither). Nothing is downloaded unless
``download=True`` is passed; missing data raises a one-line :class:`DataError` saying where the
loader looked and how to get the data. Sources, options and the offline stand-ins:
``datamodules/README.md``.

Each dataset also has a LightningDataModule (``datamodule_class(name)``, ``DATAMODULES[name]``,
or by class name, ``datamodules.DigitsDataModule``) that wraps the same loader with fast
in-memory batching (``batch_size``, ``shuffle``, ``shuffle_seed``, ``val_split``,
``validate_on_test``, ``targets``, ``num_workers``). They live in
:mod:`datamodules.lightning_data`, imported (with torch and lightning) the first time one of
those names is asked for.

Seeds: ``split_seed`` (loaders and DataModules) is the ``random_state`` of the train/test split;
``shuffle_seed`` (DataModules) seeds the batch order, and its default ``None`` follows
``lightning.seed_everything`` (the CLI's ``--seed_everything``).
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Optional

from .arrays import ArraySplits, DataError, keras_validation_split
from .economics import NASDAQ_FEATURES, WAGES_FEATURES, load_nasdaq, load_wages
from .images import load_cifar10, load_fashion_mnist, load_mnist, load_olivetti
from .tabular import load_digits, load_iris, load_optdigits, load_shipping, load_sonar
from .text import TWEET_LENGTH, load_airline_sentiment, load_imdb

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


# -- the LightningDataModules, imported on first use (PEP 562) --------------------------------
#: The names :mod:`datamodules.lightning_data` provides to this package.
LIGHTNING_NAMES = ("DATAMODULES", "ArrayDataModule", "TensorBatches",
                   "AirlineSentimentDataModule", "CIFAR10DataModule", "DigitsDataModule",
                   "FashionMNISTDataModule", "IMDBDataModule", "IrisDataModule",
                   "MNISTDataModule", "NasdaqDataModule", "OlivettiDataModule",
                   "OptdigitsDataModule", "ShippingDataModule", "SonarDataModule",
                   "WagesDataModule")


def datamodule_class(name: str):
    """The LightningDataModule class of dataset ``name`` (imports torch and lightning)."""
    if name not in LOADERS:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(sorted(LOADERS))}")
    from .lightning_data import DATAMODULES

    return DATAMODULES[name]


def __getattr__(attr: str):
    """``datamodules.DigitsDataModule``, ``datamodules.DATAMODULES``...: imported from
    :mod:`datamodules.lightning_data` when first asked for (so jsonargparse class paths such as
    ``datamodules.DigitsDataModule`` resolve), then kept as ordinary attributes."""
    if attr not in LIGHTNING_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
    value = getattr(importlib.import_module(".lightning_data", __name__), attr)
    globals()[attr] = value
    return value


def __dir__() -> list:
    return sorted({*globals(), *LIGHTNING_NAMES})


__all__ = ["load", "LOADERS", "datamodule_class", "ArraySplits", "DataError",
           "keras_validation_split", "WAGES_FEATURES", "NASDAQ_FEATURES", "TWEET_LENGTH",
           *sorted(f.__name__ for f in LOADERS.values()), *LIGHTNING_NAMES]
