"""The one training path: a Trainer configured like Keras' ``fit``, used by the CLI, tests and benchmarks.

    history = fit(model, datamodule, epochs=5)           # ~ keras model.fit(...)
    history.history["val_loss"]

``TRAINER_DEFAULTS`` are also the LightningCLI's trainer defaults (lightning_models/cli.py).
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Iterable, Iterator, Optional

import lightning.pytorch as pl
from lightning.pytorch.callbacks import ModelCheckpoint

from .base import History, KerasModule

TRAINER_DEFAULTS = {
    # Keras runs no validation before training; Lightning's sanity check would also draw from
    # the RNG and shift dropout streams (docs/keras-vs-torch.md s.10).
    "num_sanity_val_steps": 0,
    # Metrics are logged once per epoch (base.py); log every epoch's values.
    "log_every_n_steps": 1,
}


#: Lightning warnings about this project's deliberate choices, silenced while it trains:
#: training_step takes ``dataloader_iter`` (steps_per_execution, base.py) and the in-memory
#: batches need no worker processes; a dataset without validation data returns no batches.
INTENDED_WARNINGS = (
    ".*`dataloader_iter`.*",
    ".*does not have many workers.*",
    "Total length of `list` across ranks is zero",
)


@contextlib.contextmanager
def intended_warnings_silenced() -> Iterator[None]:
    """Silence :data:`INTENDED_WARNINGS` inside the block only (no global filter at import)."""
    with warnings.catch_warnings():
        for message in INTENDED_WARNINGS:
            warnings.filterwarnings("ignore", message=message)
        yield


def keras_trainer(epochs: int, callbacks: Iterable = (), **trainer_kwargs) -> pl.Trainer:
    """A ``Trainer`` for ``epochs`` epochs with the project's defaults; ``trainer_kwargs`` override."""
    callbacks = list(callbacks)
    options = {**TRAINER_DEFAULTS, "max_epochs": epochs, "callbacks": callbacks,
               "enable_progress_bar": False, "enable_model_summary": False, "logger": False,
               "enable_checkpointing": any(isinstance(c, ModelCheckpoint) for c in callbacks),
               **trainer_kwargs}
    return pl.Trainer(**options)


def fit(model: KerasModule, datamodule: pl.LightningDataModule, epochs: int, callbacks: Iterable = (),
        ckpt_path: Optional[str] = None, **trainer_kwargs) -> History:
    """Keras' ``model.fit``: trains ``model`` and returns its History."""
    trainer = keras_trainer(epochs, callbacks, **trainer_kwargs)
    with intended_warnings_silenced():
        trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path)
    return model.history


def evaluate(model: KerasModule, datamodule: pl.LightningDataModule, **trainer_kwargs) -> dict:
    """Keras' ``model.evaluate`` on the test split: ``{'loss': ..., 'accuracy': ...}``."""
    trainer = keras_trainer(1, **trainer_kwargs)
    with intended_warnings_silenced():
        (results,) = trainer.test(model, datamodule=datamodule, verbose=False)
    return {key.removeprefix("test_"): value for key, value in results.items()}
