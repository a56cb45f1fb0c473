"""Shared fixtures. lightning_models is imported before keras_reference, the project's import
order (either order works: both packages keep triton ahead of TensorFlow, see
datamodules/_import_guard.py and tests/test_import_order.py)."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import lightning_models  # noqa: E402,F401
import keras_reference  # noqa: E402,F401
import crosscheck  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

# One thread per framework, as the project's thread policy picks for these tiny networks
# (lightning_models/threads.py): the suite then keeps its speed on a busy machine.
torch.set_num_threads(1)
keras_reference.use_threads(1)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def keras_seed(seed: int = 0) -> None:
    import keras

    keras.utils.set_random_seed(seed)


def transferred_pair(entry_id: str, seed: int = 0, **hparams):
    """(Keras model, LightningModule in eval mode) of ``entry_id`` with the Keras weights copied in."""
    keras_seed(seed)
    keras_model = keras_reference.build(entry_id, **hparams)
    torch_model = lightning_models.build(entry_id, **hparams)
    crosscheck.transfer_weights(keras_model, torch_model)
    return keras_model, torch_model.eval()


def fashion_available() -> bool:
    return os.path.isfile("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
