"""Keras' EarlyStopping and ModelCheckpoint, with Keras' argument names and semantics, on Lightning.

Both run at the end of each epoch after validation, as Keras' ``on_epoch_end`` (docs/keras-vs-torch.md s.10):

- :class:`KerasEarlyStopping`: Keras defaults (``patience=0``, ``mode='auto'``), NaN counts as
  "no improvement" and a missing monitor only warns, as in Keras; ``restore_best_weights``
  restores the best epoch's weights when training ends, even if it never stopped early;
  ``verbose`` prints Keras' two lines ("Epoch N: early stopping", "Restoring model weights
  from the end of the best epoch: M."). :func:`early_stopping_summary` says the same for the
  end of a CLI run, whatever ``verbose``.
- :class:`KerasModelCheckpoint`: ``save_best_only`` / ``save_weights_only`` as Keras'.
- :class:`RunCheckpoint`: the CLI's checkpoints (the epoch's file and ``last.ckpt``), written once.
- :class:`WeightHistograms`: Keras' ``TensorBoard(histogram_freq=1)`` weight histograms
  (seed 003), written through the run's TensorBoardLogger.
- :class:`KerasProgress`: one line per epoch like ``fit(verbose=2)``.
"""

from __future__ import annotations

import os
import shutil
import time
from typing import Optional

import lightning.pytorch as pl
from lightning.pytorch.callbacks import Callback, EarlyStopping, ModelCheckpoint
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_warn

_MAXIMISED = ("acc", "auc", "precision", "recall")


def keras_mode(monitor: str, mode: str = "auto") -> str:
    """Keras' ``mode='auto'``: minimise losses and errors, maximise accuracy-like metrics."""
    if mode in ("min", "max"):
        return mode
    if mode != "auto":
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if monitor.endswith("loss"):
        return "min"
    return "max" if any(word in monitor for word in _MAXIMISED) else "min"


class KerasEarlyStopping(EarlyStopping):
    """``keras.callbacks.EarlyStopping(monitor, min_delta, patience, verbose, mode,
    restore_best_weights)`` on Lightning's EarlyStopping.

    After ``fit``, as in Keras: ``stopped_epoch`` is the 0-based epoch it stopped in (0 when it
    never stopped), ``best_epoch`` the 0-based epoch of the best monitored value, and
    ``restored_epoch`` the epoch whose weights ``restore_best_weights`` put back (else None).
    ``verbose`` prints Keras' ``verbose=1`` lines when training ends, not Lightning's messages
    of every epoch.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 verbose: bool = False, mode: str = "auto", restore_best_weights: bool = False):
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience must be an integer >= 0 (epochs without improvement "
                             f"before stopping), got {patience!r}")
        super().__init__(monitor=monitor, min_delta=abs(min_delta), patience=patience,
                         verbose=False, mode=keras_mode(monitor, mode), strict=False,
                         check_finite=False, check_on_train_epoch_end=True)
        self.keras_verbose = bool(verbose)  # Keras' messages (Lightning's own stay off)
        self.restore_best_weights = restore_best_weights
        self.best_weights: Optional[dict] = None
        self.best_epoch: Optional[int] = None
        self.restored_epoch: Optional[int] = None
        self._seen_first = False
        self._improved = False

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.current_epoch == 0:  # a fresh fit (not a resumed one) starts afresh, as Keras'
            self._seen_first, self.best_weights, self.best_epoch = False, None, None
            self.wait_count, self.stopped_epoch = 0, 0
        self.restored_epoch = None

    def _validate_condition_metric(self, logs) -> bool:
        # Keras warns about a missing monitor whatever its verbose (Lightning only when verbose).
        if logs.get(self.monitor) is None:
            rank_zero_warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                           f"available. Available metrics are: {','.join(logs)}",
                           category=RuntimeWarning)
            return False
        return True

    def _evaluate_stopping_criteria(self, current):
        # Keras' best starts as None: the FIRST value is always the best so far, even NaN (after
        # which nothing improves). Lightning's best starts at +-inf and would skip a NaN.
        if not self._seen_first:
            self._seen_first = True
            self.best_score, self.wait_count = current.detach().clone(), 0
            should_stop, reason = False, None
        else:
            should_stop, reason = super()._evaluate_stopping_criteria(current)
        self._improved = self.wait_count == 0
        return should_stop, reason

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._improved = False
        super().on_train_epoch_end(trainer, pl_module)
        if self._improved:
            self.best_epoch = trainer.current_epoch
            if self.restore_best_weights:
                self.best_weights = {k: v.detach().to("cpu", copy=True)
                                     for k, v in pl_module.state_dict().items()}

    def state_dict(self) -> dict:  # the best weights travel in checkpoints: resumes restore them
        return {**super().state_dict(), "seen_first": self._seen_first,
                "best_epoch": self.best_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        self._seen_first = state_dict.get("seen_first", True)
        self.best_epoch = state_dict.get("best_epoch")
        self.best_weights = state_dict.get("best_weights")

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            pl_module.load_state_dict(self.best_weights)
            self.restored_epoch = self.best_epoch

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # Keras prints these in its on_train_end, after the last epoch's progress line; here
        # on_fit_end comes after every callback's on_train_end (KerasProgress' last line).
        if self.keras_verbose and trainer.is_global_zero:
            if self.stopped_epoch > 0:
                print(f"Epoch {self.stopped_epoch + 1}: early stopping", flush=True)
            if self.restored_epoch is not None:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.restored_epoch + 1}.", flush=True)


def early_stopping_summary(callback: KerasEarlyStopping, epochs_run: int) -> str:
    """One line for the end of a run: where ``callback`` stopped (Keras' ``stopped_epoch + 1``)
    or that it never did, its best epoch, and the epoch ``restore_best_weights`` restored; epochs
    count from 1, as Keras prints them."""
    if callback.stopped_epoch > 0:
        waited = callback.wait_count
        line = (f"EarlyStopping: stopped at epoch {callback.stopped_epoch + 1} (no improvement of "
                f"{callback.monitor} in the last {waited} epoch{'s' if waited != 1 else ''})")
    else:
        line = f"EarlyStopping: did not stop ({epochs_run} epochs run)"
    if callback.best_epoch is not None:
        best = callback.best_score
        line += f"; best {callback.monitor} {float(best):.4f} at epoch {callback.best_epoch + 1}"
    if callback.restored_epoch is not None:
        line += f"; restored the weights of epoch {callback.restored_epoch + 1}"
    elif callback.restore_best_weights:
        line += "; no weights to restore (the monitor was never logged)"
    return line


class KerasModelCheckpoint(ModelCheckpoint):
    """``keras.callbacks.ModelCheckpoint(filepath, monitor, save_best_only, save_weights_only,
    mode)``: ``filepath`` names the file (extension replaced by ``.ckpt``); a relative one is
    placed in the run's folder (``trainer.log_dir``, e.g. ``runs/<id>/version_0/best.ckpt``). A template such as
    ``"model-{epoch:02d}"`` keeps one file per epoch, as in Keras, but Lightning's ``epoch``
    counts from 0 (Keras' from 1). Load a file with ``model.load_weights(path)``."""

    def __init__(self, filepath: str = "checkpoints/model", monitor: str = "val_loss",
                 verbose: bool = False, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto"):
        dirpath, filename = os.path.split(filepath)
        for ext in (".weights.h5", ".keras", ".h5", ".ckpt"):
            if filename.endswith(ext):
                filename = filename[: -len(ext)]
        per_epoch_files = "{" in filename and not save_best_only
        self.keras_dirpath = dirpath  # a relative folder is taken inside the run's folder (setup)
        super().__init__(dirpath=dirpath if os.path.isabs(dirpath) else None, filename=filename,
                         monitor=monitor if save_best_only else None,
                         mode=keras_mode(monitor, mode), save_top_k=-1 if per_epoch_files else 1,
                         save_weights_only=save_weights_only, verbose=verbose,
                         save_on_train_epoch_end=True, enable_version_counter=False,
                         auto_insert_metric_name=False)

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if not os.path.isabs(self.keras_dirpath):
            # Keras writes a relative filepath under the working directory; here every output of
            # a run stays in that run's folder (the logger's version folder, or default_root_dir).
            run_folder = trainer.log_dir or trainer.default_root_dir
            self.dirpath = os.path.join(run_folder, self.keras_dirpath)
        super().setup(trainer, pl_module, stage)


class RunCheckpoint(ModelCheckpoint):
    """Lightning's ``ModelCheckpoint`` as every CLI run gets it (``--checkpoint.*``; the CLI sets
    ``save_last: true``): the epoch's file (``epoch=N-step=M.ckpt``) and ``checkpoints/last.ckpt``,
    the file ``--ckpt_path last`` resumes and the other one the copy a damaged ``last.ckpt`` is
    recovered from (README, "Errors and recovery"). Lightning serialises the whole state twice
    for them; here ``last.ckpt`` is a byte copy of the file just written at the same step,
    replaced atomically (README, "Speed": a few ms per epoch). Same files, same contents: the one
    field that differs, ``last_model_path``, is set before the first file is written."""

    def _generate_state_key(self, **kwargs) -> str:
        # ModelCheckpoint's key: runs written before this class existed resume with their state
        return "ModelCheckpoint" + repr(kwargs)

    def _constant_last_path(self) -> Optional[str]:
        """``<dirpath>/last.ckpt`` when ``save_last`` writes a copy to one fixed local file."""
        if self.save_last is not True or self._enable_version_counter or self.dirpath is None \
                or "{" in self.CHECKPOINT_NAME_LAST or "://" in str(self.dirpath):
            return None
        return self.format_checkpoint_name({}, self.CHECKPOINT_NAME_LAST)

    def _save_checkpoint(self, trainer: pl.Trainer, filepath: str) -> None:
        last = self._constant_last_path()
        if last is not None and filepath != last:
            self.last_model_path = last  # as _save_last_checkpoint will set it, right after
        super()._save_checkpoint(trainer, filepath)

    def _save_last_checkpoint(self, trainer: pl.Trainer, monitor_candidates: dict) -> None:
        last, source = self._constant_last_path(), self._last_checkpoint_saved
        if last is None or not source or source == last \
                or self._last_global_step_saved != trainer.global_step:
            return super()._save_last_checkpoint(trainer, monitor_candidates)
        # The checkpoint of this very step was just written to `source`: copy its bytes.
        self.last_model_path = last
        if trainer.is_global_zero:
            temporary = last + ".tmp"
            shutil.copyfile(source, temporary)
            os.replace(temporary, last)
        trainer.strategy.barrier()
        self._last_checkpoint_saved = last


class WeightHistograms(Callback):
    """Every ``histogram_freq`` epochs, a TensorBoard histogram of each weight, named
    ``<layer>/<weight>`` (Keras' ``TensorBoard(histogram_freq=...)``). Needs a TensorBoardLogger."""

    def __init__(self, histogram_freq: int = 1):
        self.histogram_freq = histogram_freq

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        epoch = trainer.current_epoch
        if not self.histogram_freq or (epoch + 1) % self.histogram_freq:
            return
        for logger in trainer.loggers:
            if isinstance(logger, TensorBoardLogger):
                for name, weight in pl_module.named_parameters():
                    logger.experiment.add_histogram(name.replace(".", "/"), weight.detach().cpu(), epoch)


class KerasProgress(Callback):
    """Prints ``Epoch 5/5 - 4.1s - loss: 0.2956 - accuracy: 0.8906 - val_loss: ...`` every
    ``every_n_epochs`` epochs and for the last epoch, as Keras' ``fit(verbose=2)`` does every epoch.

    The line needs the epoch's complete logs (training and validation means), which exist only
    after the module's own epoch end; the module hands them over through
    :meth:`on_keras_epoch_end` (as Keras hands ``logs`` to its callbacks), so the last epoch's
    line comes before Lightning's "`Trainer.fit` stopped" line."""

    def __init__(self, every_n_epochs: int = 1):
        if every_n_epochs < 1:
            raise ValueError(f"every_n_epochs must be >= 1, got {every_n_epochs}")
        self.every_n_epochs = every_n_epochs
        self._started = time.perf_counter()
        self._last_line: Optional[tuple[int, str]] = None
        self._printed_epoch: Optional[int] = None

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._started = time.perf_counter()

    def on_keras_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, epoch: int,
                           logs: dict) -> None:
        if not trainer.is_global_zero:  # several devices: rank 0 prints the lines
            return
        values = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
        line = f"Epoch {epoch + 1}/{trainer.max_epochs} - {time.perf_counter() - self._started:.1f}s - {values}"
        self._last_line = (epoch, line)
        if (epoch + 1) % self.every_n_epochs == 0 or epoch + 1 == trainer.max_epochs:
            self._print(epoch, line)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._last_line is not None and self._printed_epoch != self._last_line[0]:
            self._print(*self._last_line)  # an early stop between two printed epochs

    def _print(self, epoch: int, line: str) -> None:
        print(line, flush=True)
        self._printed_epoch = epoch
