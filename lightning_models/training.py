"""The one training path: a Trainer configured like Keras' ``fit``, used by the CLI, tests and benchmarks.

    history = fit(model, datamodule, epochs=5)           # ~ keras model.fit(...)
    history.history["val_loss"]

``TRAINER_DEFAULTS`` are also the LightningCLI's trainer defaults (lightning_models/cli.py).
"""

from __future__ import annotations

from typing import Iterable, Optional

import lightning.pytorch as pl
from lightning.pytorch.callbacks import ModelCheckpoint

from .base import History, KerasModule

TRAINER_DEFAULTS = {
    # Keras runs no validation before training; Lightning's sanity check would also draw from
    # the RNG and shift dropout streams (PARITY.md s.10).
    "num_sanity_val_steps": 0,
    # Metrics are logged once per epoch (base.py); log every epoch's values.
    "log_every_n_steps": 1,
}


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
    trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path)
    return model.history


def evaluate(model: KerasModule, datamodule: pl.LightningDataModule, **trainer_kwargs) -> dict:
    """Keras' ``model.evaluate`` on the test split: ``{'loss': ..., 'accuracy': ...}``."""
    trainer = keras_trainer(1, **trainer_kwargs)
    (results,) = trainer.test(model, datamodule=datamodule, verbose=False)
    return {key.removeprefix("test_"): value for key, value in results.items()}
