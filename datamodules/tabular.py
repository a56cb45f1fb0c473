"""Small tabular datasets bundled with scikit-learn: digits (8x8) and iris."""

from __future__ import annotations

from typing import Optional

import numpy as np
from sklearn.model_selection import train_test_split

from .arrays import ArrayDataModule, ArraySplits


def load_digits(data_dir: Optional[str] = None, test_size: float = 0.3, seed: int = 0,
                scale: bool = True) -> ArraySplits:
    """scikit-learn's digits: 1797 images of 8x8 as 64 values in 0..16 (bundled, offline).

    Seed 000 problem 1: a 70/30 split and scaling to [0, 1] by dividing by 16 (the pixels'
    maximum). The document does not fix the split's seed; the project uses
    ``train_test_split(test_size=0.3, random_state=seed)`` with ``seed=0`` (1257 / 540).
    ``data_dir`` is accepted for a uniform API; the data ships with scikit-learn.
    """
    from sklearn.datasets import load_digits as sklearn_digits

    x, y = sklearn_digits(return_X_y=True)
    x = x.astype(np.float32) / 16.0 if scale else x.astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(x, y.astype(np.int64), test_size=test_size,
                                                        random_state=seed)
    return ArraySplits(x_train, y_train, x_test, y_test,
                       info={"source": "sklearn.datasets.load_digits", "scale": 16.0 if scale else 1.0})


class DigitsDataModule(ArrayDataModule):
    """Digits as :func:`load_digits` returns them; ``targets='inputs'`` for the autoencoders."""

    def __init__(self, test_size: float = 0.3, split_seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.test_size, self.split_seed = test_size, split_seed

    def load_splits(self) -> ArraySplits:
        return load_digits(test_size=self.test_size, seed=self.split_seed)
