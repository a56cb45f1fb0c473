"""The one training path: a Trainer configured like Keras' ``fit``, used by the CLI, tests and benchmarks.

    history = fit(model, datamodule, epochs=5)           # ~ keras model.fit(...)
    history.history["val_loss"]

``TRAINER_DEFAULTS`` are also the LightningCLI's trainer defaults (lightning_models/cli.py).
A resume (``ckpt_path=``) first checks the checkpoint (:func:`~.checkpoints.check_resume`).
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from typing import Iterable, Iterator, Optional

import lightning.pytorch as pl
from lightning.pytorch.callbacks import ModelCheckpoint

from .base import History, KerasModule
from .checkpoints import AtomicCheckpointIO, check_resume
from .threads import ThreadPolicy

TRAINER_DEFAULTS = {
    # Keras runs no validation before training; Lightning's sanity check would also draw from
    # the RNG and shift dropout streams (docs/keras-vs-torch.md s.10).
    "num_sanity_val_steps": 0,
    # Metrics are logged once per epoch (base.py); log every epoch's values.
    "log_every_n_steps": 1,
    # Checkpoints are written beside their target and renamed over it: a kill never leaves a
    # truncated one, on any filesystem (checkpoints.py). Written as a class path, so that the
    # CLI's config.yaml can hold it; keras_trainer builds the object.
    "plugins": [{"class_path": "lightning_models.checkpoints.AtomicCheckpointIO"}],
}


#: Lightning warnings about this project's deliberate choices, silenced while it trains:
#: training_step takes ``dataloader_iter`` (steps_per_execution, base.py) and the in-memory
#: batches need no worker processes; a dataset without validation data returns no batches.
#: The treespec one is raised inside lightning 2.6 itself with torch >= 2.14 (not this code's).
#: A checkpoint folder that is not empty is a resumed run's own (or the run folder holding a
#: KerasModelCheckpoint's file), and Keras' ModelCheckpoint overwrites without a word too.
INTENDED_WARNINGS = (
    ".*`dataloader_iter`.*",
    ".*does not have many workers.*",
    "Total length of `list` across ranks is zero",
    r"`isinstance\(treespec, LeafSpec\)` is deprecated",
    "Checkpoint directory .* exists and is not empty",
    # Several devices: the epoch means are already every rank's (base.py, _EpochMeans.compute).
    r"It is recommended to use `self.log\(.*sync_dist=True\)",
)


class _NoAdvertisements(logging.Filter):
    """Drops Lightning's "💡 Tip: ... try installing litlogger/litmodels" lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("💡 Tip:")


@contextlib.contextmanager
def quiet_known_notices() -> Iterator[None]:
    """Inside the block only (no global change at import): silence :data:`INTENDED_WARNINGS`
    and Lightning's advertisements, so a run's stderr holds real warnings and Lightning's own
    status lines ("Seed set to 0", "`Trainer.fit` stopped: ...")."""
    handlers = logging.getLogger("lightning.pytorch").handlers
    no_ads = _NoAdvertisements()
    for handler in handlers:
        handler.addFilter(no_ads)
    try:
        with warnings.catch_warnings():
            for message in INTENDED_WARNINGS:
                warnings.filterwarnings("ignore", message=message)
            yield
    finally:
        for handler in handlers:
            handler.removeFilter(no_ads)


def keras_trainer(epochs: int, callbacks: Iterable = (), **trainer_kwargs) -> pl.Trainer:
    """A ``Trainer`` for ``epochs`` epochs with the project's defaults; ``trainer_kwargs`` override."""
    callbacks = list(callbacks)
    if not any(isinstance(c, ThreadPolicy) for c in callbacks):
        callbacks.append(ThreadPolicy(verbose=False))  # threads chosen from the work per step
    options = {**TRAINER_DEFAULTS, "plugins": [AtomicCheckpointIO()], "max_epochs": epochs,
               "callbacks": callbacks, "enable_progress_bar": False, "enable_model_summary": False,
               "logger": False, "enable_checkpointing": any(isinstance(c, ModelCheckpoint) for c in callbacks),
               **trainer_kwargs}
    return pl.Trainer(**options)


def fit(model: KerasModule, datamodule: pl.LightningDataModule, epochs: int, callbacks: Iterable = (),
        ckpt_path: Optional[str] = None, **trainer_kwargs) -> History:
    """Keras' ``model.fit``: trains ``model`` and returns its History; ``ckpt_path`` resumes a
    checkpoint of the same network (an explicit ``learning_rate`` of ``model`` replaces its own)."""
    if ckpt_path is not None:
        check_resume(ckpt_path, type(model), model.hparams)
    # Keras' fit always trains with training=True (dropout on, BatchNormalization on the batch's
    # statistics); Lightning would keep a module left in eval mode (e.g. after predict) as it is.
    model.train()
    with quiet_known_notices():
        trainer = keras_trainer(epochs, callbacks, **trainer_kwargs)
        trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path)
    return model.history


def evaluate(model: KerasModule, datamodule: pl.LightningDataModule, **trainer_kwargs) -> dict:
    """Keras' ``model.evaluate`` on the test split: ``{'loss': ..., 'accuracy': ...}``."""
    with quiet_known_notices():
        trainer = keras_trainer(1, **trainer_kwargs)
        (results,) = trainer.test(model, datamodule=datamodule, verbose=False)
    return {key.removeprefix("test_"): value for key, value in results.items()}
