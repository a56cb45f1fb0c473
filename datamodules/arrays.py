"""The NumPy splits every loader returns, Keras' ``validation_split``, and the data error.

Every loader in :mod:`datamodules` returns an :class:`ArraySplits` of plain NumPy arrays. Both
frameworks read those same arrays: Keras through ``model.fit(splits.x_train, ...)`` and Lightning
through the DataModules of :mod:`datamodules.lightning_data`, so a parity test compares the two
on identical data. This module imports NumPy only.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional

import numpy as np


class DataError(RuntimeError):
    """Raised when a dataset is missing, corrupt or asked for with impossible options."""


@dataclasses.dataclass
class ArraySplits:
    """The arrays of one dataset: ``x_*`` inputs, ``y_*`` targets, ``val`` optional.

    ``info`` holds what a reader needs to interpret them (class names, source, scaler...).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: Optional[np.ndarray] = None
    y_test: Optional[np.ndarray] = None
    x_val: Optional[np.ndarray] = None
    y_val: Optional[np.ndarray] = None
    info: dict = dataclasses.field(default_factory=dict)

    def sizes(self) -> dict:
        return {name: len(getattr(self, "x_" + name)) for name in ("train", "val", "test")
                if getattr(self, "x_" + name) is not None}


def keras_validation_split(x: np.ndarray, y: np.ndarray, fraction: float):
    """Keras ``fit(validation_split=fraction)``: the LAST fraction, taken before any shuffling.

    ``split_at = floor(N * (1 - fraction))`` (keras/src/trainers/data_adapters/array_slicing.py).
    Returns ``(x_train, y_train, x_val, y_val)``.
    """
    if not 0.0 < fraction < 1.0:
        raise DataError(f"validation_split must be in (0, 1), got {fraction}")
    split_at = int(math.floor(len(x) * (1.0 - fraction)))
    return x[:split_at], y[:split_at], x[split_at:], y[split_at:]
