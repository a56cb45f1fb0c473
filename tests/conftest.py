"""Shared fixtures. torch (via lightning_models) is imported BEFORE keras in every test process:
the reverse order segfaults with tensorflow-cpu 2.21 + torch 2.14+ (PARITY.md)."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import torch  # noqa: E402,F401  (first!)
import lightning_models  # noqa: E402,F401
import keras_reference  # noqa: E402,F401

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def keras_seed(seed: int = 0) -> None:
    import keras

    keras.utils.set_random_seed(seed)


def fashion_available() -> bool:
    return os.path.isfile("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
