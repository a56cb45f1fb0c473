"""LightningCLI for every catalog network: ``fit``/``validate``/``test``/``predict`` from a YAML.

    python -m lightning_models fit --config configs/apa.autoencoder.yaml
    python -m lightning_models fit --config configs/apa.autoencoder.yaml --ckpt_path last

What every run shares lives here, once, instead of in each YAML (a config keeps only what is
specific to its network and exercise):

- the Trainer defaults of :data:`~.training.TRAINER_DEFAULTS` (no sanity validation pass, as
  Keras' ``fit``) plus ``accelerator: auto``, ``devices: 1``, no tqdm bar, ``seed_everything: 0``;
- two callbacks every run gets, configurable as ``--checkpoint.*`` (Lightning's ModelCheckpoint,
  ``save_last: true``, serialised once per epoch: :class:`~.callbacks.RunCheckpoint`) and
  ``--progress.*`` (:class:`~.callbacks.KerasProgress`, Keras' ``fit(verbose=2)`` epoch lines);
  a YAML's ``trainer.callbacks`` adds the document's own callbacks (EarlyStopping,
  ModelCheckpoint, TensorBoard histograms);
- where a run writes: ``trainer.default_root_dir`` (default ``runs/<catalog id>``), one
  ``version_N`` folder per run holding its TensorBoard logs, ``config.yaml`` and
  ``checkpoints/``, so runs and variants never mix. ``--ckpt_path last`` resumes the newest
  run that has a ``checkpoints/last.ckpt`` and keeps writing into that run's folder;
- the optimiser is the network's Keras optimiser (``--model.init_args.optimizer``,
  ``learning_rate``, ``optimizer_options``): LightningCLI's own ``--optimizer`` and
  ``--lr_scheduler`` are not offered, since they would silently replace it;
- the end of ``fit`` prints where each :class:`~.callbacks.KerasEarlyStopping` stopped (and the
  epoch ``restore_best_weights`` restored) and writes the network's hyperparameters with the
  last epoch's metrics (``final/loss``, ``final/val_accuracy``...) into TensorBoard's HParams
  view (:func:`~.tensorboard.log_hparams`).

Evaluation (issue 10, item 5): ``validate``, ``test`` and ``predict`` take ``--split
train|val|test`` (defaults: ``val``, ``test``, ``test``), the split of the configured data they
run on. ``validate``/``test`` print the metrics under Keras' ``evaluate`` names (``loss``,
``accuracy``...), the weights being those of ``--ckpt_path`` (``last``: the newest run's);
``--verbose true`` adds Lightning's table. ``predict`` writes one row per example
(:func:`prediction_columns`) to ``--output`` (``.csv`` or ``.npz``; default
``predictions_<split>_<checkpoint>.csv`` in the checkpoint's run folder) and prints where.

Errors (README, "Errors and recovery"): values are checked when the objects are built, before
anything is printed or written; a user's mistake ends the command with ``error: <one line>``
(and at most one ``hint:`` line) on stderr and exit status 2 for usage and configuration errors
(a bad value, an unknown name or option), 1 for runtime errors (missing or corrupt data or
checkpoint, a non-finite loss), without a traceback; ``KLP_TRACEBACK=1`` shows the traceback.
A run that fails before its first training step leaves no run folder behind.

The project's other commands (``summary`` ...) are dispatched by :mod:`crosscheck.cli`, which
``python -m lightning_models`` runs.
"""

from __future__ import annotations

import contextlib
import glob
import importlib
import logging
import os
import re
import shutil
import sys
import time
import traceback
from argparse import ArgumentError, RawDescriptionHelpFormatter
from typing import Iterator, Literal, Optional, Sequence

import numpy as np
import torch
from jsonargparse import DefaultHelpFormatter, Namespace
from lightning.pytorch.cli import LightningCLI
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities.exceptions import MisconfigurationException

from .base import KerasModule
from .callbacks import KerasEarlyStopping, KerasProgress, RunCheckpoint, early_stopping_summary
from .checkpoints import check_resume_config
from .hyperparameters import UsageError, check_hyperparameters, init_arguments
from .keras_losses import ALIASES
from .tensorboard import log_hparams, tensorboard_without_tensorflow
from .threads import ENV_VAR as THREADS_ENV_VAR
from .training import TRAINER_DEFAULTS, quiet_known_notices

#: Trainer settings every CLI run starts from (a YAML or a flag overrides them).
CLI_TRAINER_DEFAULTS = {**TRAINER_DEFAULTS, "accelerator": "auto", "devices": 1,
                        "enable_progress_bar": False}

#: How the command line is called (usage lines and hints).
PROG = "python -m lightning_models"

#: Top of ``--help`` (``python -m lightning_models --help`` adds the project's commands).
DESCRIPTION = """\
The networks of five Keras teaching documents, in PyTorch Lightning, with their Keras originals.

Train or evaluate a catalog network from its config (LightningCLI subcommands below):
  python -m lightning_models fit --config configs/<catalog id>.yaml [--ckpt_path last]
  python -m lightning_models test --config configs/<catalog id>.yaml --ckpt_path last
"""


def _data_module_base():
    # Imported here so that `import lightning_models` does not load the datasets' modules.
    from datamodules.lightning_data import ArrayDataModule

    return ArrayDataModule


def _class_of(class_path: str) -> type:
    module, _, name = class_path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def run_folders(root: str) -> list[str]:
    """The ``version_N`` folders of ``root``, oldest first."""
    def number(path: str) -> int:
        return int(re.fullmatch(r"version_(\d+)", os.path.basename(path)).group(1))

    folders = [p for p in glob.glob(os.path.join(root, "version_*"))
               if os.path.isdir(p) and re.fullmatch(r"version_\d+", os.path.basename(p))]
    return sorted(folders, key=number)


def latest_resumable_run(root: str) -> Optional[str]:
    """The newest run folder of ``root`` with a ``checkpoints/last.ckpt``, or None."""
    for folder in reversed(run_folders(root)):
        if os.path.isfile(os.path.join(folder, "checkpoints", "last.ckpt")):
            return folder
    return None


# -- a user's mistakes: one line on stderr, no traceback (README, "Errors and recovery") ---------
#: Exit status of a usage or configuration error (a bad value, an unknown name or option) and of
#: a runtime error (missing or corrupt data or checkpoint, a non-finite loss).
USAGE_ERROR, RUNTIME_ERROR = 2, 1

#: Set to 1 to get Python's full traceback instead of the one-line message.
TRACEBACK_VARIABLE = "KLP_TRACEBACK"


def _runtime_errors() -> tuple:
    from datamodules.arrays import DataError  # NumPy only; imported here like the DataModules

    from .base import NonFiniteLossError
    from .checkpoints import CheckpointError

    return DataError, NonFiniteLossError, CheckpointError, OSError


def exit_status(error: BaseException) -> Optional[int]:
    """1 for runtime errors, 2 for usage and configuration errors, None for anything else (a
    bug, whose traceback is kept)."""
    if isinstance(error, _runtime_errors()):
        return RUNTIME_ERROR
    if isinstance(error, (ValueError, ArgumentError, MisconfigurationException)):
        return USAGE_ERROR
    return None


def one_line(text: str) -> str:
    """A message's lines joined into one."""
    return " ".join(line.strip() for line in str(text).splitlines() if line.strip())


def _causes(error: BaseException) -> list[BaseException]:
    """``error`` and the exceptions it was raised from, outermost first."""
    chain = [error]
    while True:
        last = chain[-1]
        cause = last.__cause__ or (None if last.__suppress_context__ else last.__context__)
        if cause is None or cause in chain:
            return chain
        chain.append(cause)


def _raised_outside_the_project(error: BaseException) -> bool:
    frames = list(traceback.walk_tb(error.__traceback__))
    if not frames:
        return False
    filename = os.path.abspath(frames[-1][0].f_code.co_filename)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return not filename.startswith(root + os.sep) or "site-packages" in filename


_JSONARGPARSE_SCAFFOLDING = ("Does not validate against any of the Union subtypes", "Subtypes:",
                             "Errors:", "Given value type:", "Given value: NestedArg",
                             "- Expected a <class 'NoneType'>")


def _parser_message(error: BaseException, help_hint: str) -> tuple[str, Optional[str]]:
    """jsonargparse's nested report (usage, union subtypes, given values) as one line: the
    option, what is wrong with it, and a hint (the accepted arguments, or ``--help``)."""
    option, class_path, after_class, previous = "", None, False, None
    for cause in _causes(error):
        text = str(cause).strip()
        if text == previous:
            continue
        previous = text
        first = text.split("\n", 1)[0]
        key = re.match(r'Parser key "([^"]+)":', first)
        given_class = re.match(r"Problem with given class_path '([^']+)':", first)
        if key:
            option = key.group(1) if not option else \
                option + (".init_args." if after_class else ".") + key.group(1)
            after_class = False
        elif given_class:
            class_path, after_class = given_class.group(1), True
    lines = [line.strip().removeprefix("- ") for line in str(_causes(error)[-1]).splitlines()]
    reason = "; ".join(line for line in lines if line and not line.startswith(
        _JSONARGPARSE_SCAFFOLDING) and not re.match(r'(Parser key "[^"]+"|Problem with given '
                                                    r"class_path '[^']+'):$", line))
    expected = re.fullmatch(r"Expected a <class '(\w+)'>\. Got value: (.*)", reason)
    if expected:
        reason = f"expected {expected.group(1)}, got {expected.group(2)!r}"
    hint = help_hint
    unknown = re.fullmatch(r"Option '([^']+)' is not accepted", reason)
    if unknown and class_path:
        cls = _class_of_or_none(class_path)
        if cls is not None:
            reason = f"{cls.__name__} takes no argument {unknown.group(1)!r}"
            hint = f"{cls.__name__} takes {', '.join(init_arguments(cls))}"
    if unknown and after_class:
        option += ".init_args"
    elif after_class and not option.endswith("class_path"):
        option += ".class_path"
    return (f"--{option}: {reason}" if option else reason), hint


def _class_of_or_none(class_path: str) -> Optional[type]:
    try:
        return _class_of(class_path)
    except (ImportError, AttributeError, ValueError):
        return None


def describe_error(error: BaseException, help_hint: str = "") -> tuple[str, Optional[str]]:
    """The ``error:`` line and the optional ``hint:`` line of a user's mistake."""
    if isinstance(error, ArgumentError):
        return _parser_message(error, help_hint or f"{PROG} --help lists the options")
    hint = getattr(error, "hint", None)
    if hint is None and _raised_outside_the_project(_causes(error)[-1]):
        hint = f"{TRACEBACK_VARIABLE}=1 shows where it was raised"
    return one_line(str(error) or type(error).__name__), hint


@contextlib.contextmanager
def report_errors(argv: Optional[Sequence[str]] = None) -> Iterator[None]:
    """Around a command: a user's mistake (:func:`exit_status`) ends the process with
    ``error: <one line>`` (and at most one ``hint:`` line) on stderr and exit status 2 (usage,
    configuration) or 1 (data, checkpoint, non-finite loss), without a traceback; other
    exceptions, and every exception when ``KLP_TRACEBACK=1``, keep Python's traceback.
    ``argv`` (default ``sys.argv[1:]``) names the command for the ``--help`` hint."""
    try:
        yield
    except Exception as error:
        status = exit_status(error)
        if status is None or os.environ.get(TRACEBACK_VARIABLE, "") not in ("", "0"):
            raise
        args = list(sys.argv[1:] if argv is None else argv)
        command = next((a for a in args if not a.startswith("-")), "")
        command = command if command in LightningCLI.subcommands() else ""
        message, hint = describe_error(error, f"{PROG} {command} --help lists its options"
                                       if command else "")
        sys.stdout.flush()
        print(f"error: {message}", file=sys.stderr)
        if hint:
            print(f"hint: {hint}", file=sys.stderr)
        sys.stderr.flush()
        raise SystemExit(status) from None


class _HelpFormatter(RawDescriptionHelpFormatter, DefaultHelpFormatter):
    """jsonargparse's help, with the description's line breaks kept."""


class KerasCLI(LightningCLI):
    """LightningCLI over every catalog network (``model.class_path``) and dataset (``data.class_path``)."""

    def __init__(self, args=None, **kwargs):
        kwargs.setdefault("parser_kwargs", {"description": DESCRIPTION})
        kwargs["parser_kwargs"].setdefault("formatter_class", _HelpFormatter)
        kwargs["parser_kwargs"].setdefault("prog", PROG)
        super().__init__(KerasModule, _data_module_base(), subclass_mode_model=True,
                         subclass_mode_data=True, trainer_defaults=CLI_TRAINER_DEFAULTS,
                         seed_everything_default=0, auto_configure_optimizers=False,
                         save_config_kwargs={"overwrite": True}, args=args, **kwargs)

    def add_arguments_to_parser(self, parser) -> None:
        parser.add_lightning_class_args(RunCheckpoint, "checkpoint")
        # One run, one folder: no "-v1" copies of last.ckpt (a resumed run overwrites its own).
        parser.set_defaults({"checkpoint.save_last": True, "checkpoint.enable_version_counter": False})
        parser.add_lightning_class_args(KerasProgress, "progress")
        parser.add_argument("--threads", type=Optional[int], default=None,
                            help="torch intra-op threads (default: chosen from the work per step, "
                                 f"lightning_models/threads.py; also ${THREADS_ENV_VAR})")

    def _prepare_subcommand_parser(self, klass: type, subcommand: str, **kwargs):
        """LightningCLI's, plus ``--split`` for the evaluation subcommands, ``--output`` for
        ``predict``, and ``verbose: false`` for ``validate``/``test`` (their Keras-named line
        replaces Lightning's table, whose ``test_`` names would also head a train split)."""
        parser = super()._prepare_subcommand_parser(klass, subcommand, **kwargs)
        if subcommand in DEFAULT_SPLIT:
            parser.add_argument("--split", type=Optional[Literal["train", "val", "test"]],
                                default=None, help=f"the data split to {subcommand} on "
                                f"(default: {DEFAULT_SPLIT[subcommand]})")
        if subcommand in ("validate", "test"):
            parser.set_defaults(verbose=False)
        if subcommand == "predict":
            parser.add_argument("--output", type=Optional[str], default=None,
                                help="where to write the predictions, a .csv or .npz file "
                                     "(default: predictions_<split>_<checkpoint>.csv in the "
                                     "checkpoint's run folder)")
        return parser

    def _parse_ckpt_path(self) -> None:
        """LightningCLI's own step would replace the configured model by the checkpoint's
        hyperparameters (silently; and it fails on checkpoints written through the Python API).
        Here the configured model stays, and ``check_resume_config`` (below) refuses a
        checkpoint of another model, naming the differences (checkpoints.py)."""

    # -- values no run can use: refused before anything is built, printed or written ----------
    def _check_values(self, config) -> None:
        """What the parser's types let through but no run can use: a negative
        ``trainer.max_epochs`` (Keras' ``epochs``; Lightning's -1, "forever", is not offered) and
        a network's impossible hyperparameters (:func:`check_hyperparameters`). The networks,
        DataModules and callbacks check their own names and ranges when they are built."""
        max_epochs = config.trainer.get("max_epochs")
        if max_epochs is not None and max_epochs < 0:
            raise UsageError(f"--trainer.max_epochs must be >= 0 (Keras' epochs), got {max_epochs}")
        init_args = config.model.get("init_args")
        check_hyperparameters(_class_of(config.model.class_path),
                              init_args.as_dict() if init_args is not None else {})
        output = config.get("output")
        if output is not None and os.path.splitext(output)[1].lower() not in (".csv", ".npz"):
            raise UsageError(f"--output must name a .csv or .npz file, got {output!r}")

    def _set_seed(self) -> None:
        """LightningCLI's, with its "Seed set to N" line held back until the objects are built:
        a refused value is then the only line a failed start prints."""
        with _quiet_seed_log():
            super()._set_seed()

    def instantiate_classes(self) -> None:
        """LightningCLI's, where a value refused by a constructor (a ValueError or DataError
        raised in a network's, DataModule's or callback's ``__init__``, which jsonargparse
        reports inside its union-type report) becomes a one-line :class:`UsageError` naming the
        class."""
        try:
            super().instantiate_classes()
        except Exception as error:
            root = _causes(error)[-1]
            if root is error or exit_status(root) is None:
                raise
            if isinstance(root, OSError):
                raise root
            where = _class_being_built(root)
            raise UsageError((f"{where}: " if where else "") + one_line(str(root)),
                             hint=getattr(root, "hint", None)) from error
        seed = self._get(self.config, "seed_everything")
        if seed is not False and seed is not None:
            _SEED_LOG.info(f"Seed set to {seed}")

    # -- a failed start leaves no run folder -------------------------------------------------
    def _run_subcommand(self, subcommand: str) -> None:
        """LightningCLI's; when the run fails before its first training step (missing data...),
        the ``version_N`` folder it created (and the empty folders above it that it created)
        are removed, unless a checkpoint was written there."""
        logger = self.trainer.logger
        folder = os.path.abspath(logger.log_dir) if logger is not None and logger.log_dir else None
        if folder is None or os.path.exists(folder):  # no logger folder, or a resumed run's
            return super()._run_subcommand(subcommand)
        existing = os.path.dirname(folder)
        while not os.path.isdir(existing) and os.path.dirname(existing) != existing:
            existing = os.path.dirname(existing)
        try:
            super()._run_subcommand(subcommand)
        except BaseException:
            if self.trainer.global_step == 0:
                _remove_run_folder(folder, existing)
            raise

    # -- where the run writes ------------------------------------------------------------------
    def before_instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config
        self._check_values(config)
        trainer = config.trainer
        if trainer.default_root_dir is None:
            model_class = _class_of(config.model.class_path)
            trainer.default_root_dir = os.path.join("runs", getattr(model_class, "catalog_id",
                                                                    model_class.__name__))
        root = trainer.default_root_dir
        version = None
        if config.get("ckpt_path") == "last":
            folder = latest_resumable_run(root) if trainer.logger is not False else root
            last = os.path.join(folder or root, "checkpoints", "last.ckpt")
            if folder is None or not os.path.isfile(last):
                if self.subcommand != "fit":  # evaluating an untrained network is no answer
                    raise UsageError(f"no run with checkpoints/last.ckpt in {root} to "
                                     f"{self.subcommand}", hint="train one first with fit, or "
                                     "give --ckpt_path <file> (and --trainer.default_root_dir)")
                print(f"No run with checkpoints/last.ckpt in {root}: starting a new run.")
                config.ckpt_path = None
            else:
                config.ckpt_path = last
                if trainer.logger is not False:
                    version = int(os.path.basename(folder).removeprefix("version_"))
        elif config.get("ckpt_path"):  # a checkpoint of one of this root's runs continues that run
            run = os.path.dirname(os.path.dirname(os.path.abspath(config.ckpt_path)))
            if os.path.dirname(run) == os.path.abspath(root) and re.fullmatch(r"version_\d+", os.path.basename(run)):
                version = int(os.path.basename(run).removeprefix("version_"))
        if version is not None:
            # This invocation's settings go beside the run's first config.yaml, not over it.
            self.save_config_kwargs["config_filename"] = f"config.{self.subcommand}.{_timestamp()}.yaml"
        # A missing, damaged or other model's checkpoint: one-line error, nothing written yet.
        check_resume_config(config.get("ckpt_path"), config.model, self.subcommand)
        callbacks = list(trainer.get("callbacks") or [])
        if not any(str(getattr(c, "class_path", "")).endswith("ThreadPolicy") for c in callbacks):
            callbacks.append(Namespace(class_path="lightning_models.threads.ThreadPolicy",
                                       init_args=Namespace(threads=config.get("threads"), verbose=True)))
        trainer.callbacks = callbacks
        if trainer.logger in (None, True):
            tensorboard_without_tensorflow()  # a Lightning-only run needs no TensorFlow
            trainer.logger = Namespace(
                class_path="lightning.pytorch.loggers.TensorBoardLogger",
                init_args=Namespace(save_dir=root, name="", version=version,
                                    default_hp_metric=False))

    def _results_line(self) -> None:
        trainer = self.trainer
        log_dir = trainer.log_dir  # on every rank: a broadcast on several devices
        if trainer.is_global_zero:
            if trainer.logger is None:
                print(f"Results: {trainer.default_root_dir} (checkpoints/)", flush=True)
                return
            print(f"Results: {log_dir} (checkpoints/, config.yaml, TensorBoard logs: "
                  f"tensorboard --logdir {trainer.default_root_dir})", flush=True)

    def after_fit(self) -> None:
        trainer = self.trainer
        if trainer.is_global_zero:
            for callback in trainer.callbacks:
                if isinstance(callback, KerasEarlyStopping):
                    print(early_stopping_summary(callback, trainer.current_epoch), flush=True)
            self._log_hparams()
        self._results_line()

    def _log_hparams(self) -> None:
        """The network's hyperparameters (with the batch size, epochs and seed) and the last
        epoch's metrics as ``final/<Keras name>``, plus ``final/epochs`` (epochs run), into the
        run's HParams view; a run without a TensorBoardLogger or without an epoch writes none."""
        trainer, model = self.trainer, self.model
        logger = trainer.logger
        history = getattr(model, "history", None)
        if not isinstance(logger, TensorBoardLogger) or history is None or not history.epoch:
            return
        hparams = {"network": getattr(model, "catalog_id", type(model).__name__),
                   **{k: v for k, v in model.hparams.items() if not k.startswith("_")},
                   # the optimiser and learning rate in effect (None in hparams: Keras' default)
                   "optimizer": model.optimizer_name,
                   "learning_rate": trainer.optimizers[0].param_groups[0]["lr"]
                   if trainer.optimizers else model.learning_rate,
                   "batch_size": getattr(self.datamodule, "batch_size", None),
                   "max_epochs": trainer.max_epochs,
                   "seed_everything": self._get(self.config, "seed_everything")}
        metrics = {f"final/{name}": values[-1] for name, values in history.history.items()}
        metrics["final/epochs"] = len(history.epoch)
        log_hparams(logger.log_dir, hparams, metrics, step=trainer.global_step)

    # -- evaluation: any split, Keras' names, predictions to a file (issue 10, item 5) --------
    def _split(self, subcommand: str) -> str:
        return self._get(self.config, "split") or DEFAULT_SPLIT[subcommand]

    def validate(self, model, datamodule=None, **kwargs) -> None:
        self._evaluate("validate", model, datamodule, **kwargs)

    def test(self, model, datamodule=None, **kwargs) -> None:
        self._evaluate("test", model, datamodule, **kwargs)

    def _evaluate(self, subcommand: str, model, datamodule, **kwargs) -> None:
        """``trainer.validate``/``trainer.test`` on the chosen split; prints Keras' names."""
        split = self._split(subcommand)
        serve_split(datamodule, "val_dataloader" if subcommand == "validate" else "test_dataloader",
                    split)
        (results,) = getattr(self.trainer, subcommand)(model, datamodule=datamodule, **kwargs)
        if self.trainer.is_global_zero:
            prefix = "val_" if subcommand == "validate" else "test_"
            values = " - ".join(f"{name.removeprefix(prefix)}: {value:.4f}"
                                for name, value in results.items())
            print(f"{split} split ({_split_size(datamodule, split)} examples), "
                  f"{_weights(kwargs.get('ckpt_path'))}: {values}", flush=True)

    def predict(self, model, datamodule=None, **kwargs) -> None:
        """``trainer.predict`` on the chosen split; the outputs, predicted labels and true labels
        (:func:`prediction_columns`) written to ``--output``."""
        split = self._split("predict")
        if self.trainer.world_size > 1:
            raise UsageError("predict writes its file from one device: use --trainer.devices 1")
        serve_split(datamodule, "predict_dataloader", split)
        kwargs["return_predictions"] = True
        batches = self.trainer.predict(model, datamodule=datamodule, **kwargs)
        outputs = torch_cat_numpy(batches)
        splits = getattr(datamodule, "splits", None)
        labels = getattr(datamodule, "targets", "labels") == "labels"
        targets = getattr(splits, "y_" + split, None) if splits is not None and labels else None
        columns = prediction_columns(outputs, targets, is_classifier(model) and labels,
                                     getattr(model, "output_names", None))
        ckpt_path = kwargs.get("ckpt_path")
        path = self._get(self.config, "output") or os.path.join(
            _run_folder_of(ckpt_path) or self.trainer.log_dir or self.trainer.default_root_dir,
            f"predictions_{split}_{_checkpoint_name(ckpt_path)}.csv")
        write_predictions(path, columns)
        print(f"Predictions of the {len(outputs)} {split} examples, {_weights(ckpt_path)}: "
              f"{path} (columns: {', '.join(_column_names(columns))})", flush=True)


#: The split each evaluation subcommand runs on unless ``--split`` names another.
DEFAULT_SPLIT = {"validate": "val", "test": "test", "predict": "test"}


def serve_split(datamodule, hook: str, split: str) -> None:
    """Make the DataModule's ``hook`` (``test_dataloader``...) serve ``split``, unshuffled:
    how ``--split`` reaches Lightning's evaluation loops, the DataModule staying attached."""
    def dataloader():
        return datamodule._batches(split, False)

    setattr(datamodule, hook, dataloader)


def _split_size(datamodule, split: str) -> str:
    x = getattr(getattr(datamodule, "splits", None), "x_" + split, None)
    return "?" if x is None else str(len(x))


def _weights(ckpt_path) -> str:
    return f"weights of {ckpt_path}" if ckpt_path else "initial weights (no --ckpt_path)"


def _checkpoint_name(ckpt_path) -> str:
    if not ckpt_path:
        return "initial"
    return os.path.basename(os.fspath(ckpt_path)).removesuffix(".ckpt")


def _run_folder_of(ckpt_path) -> Optional[str]:
    """The run folder of a checkpoint: the folder above its ``checkpoints/``, else its own."""
    if not ckpt_path:
        return None
    folder = os.path.dirname(os.path.abspath(ckpt_path))
    return os.path.dirname(folder) if os.path.basename(folder) == "checkpoints" else folder


def torch_cat_numpy(batches) -> np.ndarray:
    """The batches ``trainer.predict`` returns, as one float NumPy array on the CPU."""
    return torch.cat([b.detach().float().cpu() for b in batches]).numpy()


def is_classifier(model) -> bool:
    """A network whose outputs are class probabilities: a cross-entropy loss or Keras'
    ``'accuracy'`` metric (iris' MSE on sigmoid units counts, by its metric)."""
    loss = ALIASES.get(model.loss_name, model.loss_name)
    return "crossentropy" in loss or any(m in ("accuracy", "acc") for m in model.metric_names)


def prediction_columns(outputs, targets=None, classifier: bool = False,
                       output_names: Optional[Sequence[str]] = None) -> dict:
    """What ``predict`` writes, one row per example, as ``{column: array}``: ``index`` (the row
    in its split), then

    - a classifier: ``prob_<k>`` per output unit, ``predicted`` (argmax; with one sigmoid unit
      ``prob_1 > 0.5``, Keras' rule for ``'accuracy'``) and ``label`` (the true class: the
      label, or the argmax of a one-hot row), when ``targets`` are known;
    - any other network: ``output`` (one unit) or ``output_<k>`` (or the network's
      ``output_names``, e.g. the Gaussian network's ``mean``, ``log_variance``) and ``target``
      or ``target_<k>`` when ``targets`` are known (not for autoencoders: their target is the
      input)."""
    outputs = np.asarray(outputs).reshape(len(outputs), -1)
    units = outputs.shape[1]
    columns = {"index": np.arange(len(outputs))}
    if targets is not None:
        targets = np.asarray(targets).reshape(len(targets), -1)
    if classifier:
        if units == 1:
            columns["prob_1"] = outputs[:, 0]
            columns["predicted"] = (outputs[:, 0] > 0.5).astype(np.int64)
        else:
            columns.update((f"prob_{k}", outputs[:, k]) for k in range(units))
            columns["predicted"] = outputs.argmax(1)
        if targets is not None:
            columns["label"] = (targets.argmax(1) if targets.shape[1] > 1 else targets[:, 0]).astype(np.int64)
        return columns
    names = list(output_names) if output_names and len(output_names) == units else \
        (["output"] if units == 1 else [f"output_{k}" for k in range(units)])
    columns.update(zip(names, outputs.T))
    if targets is not None:
        width = targets.shape[1]
        columns.update(zip(["target"] if width == 1 else [f"target_{k}" for k in range(width)],
                           targets.T))
    return columns


def _column_names(columns: dict) -> list[str]:
    """The column names, runs of ``prob_0 .. prob_39`` shortened to ``prob_0..prob_39``."""
    names, out = list(columns), []
    i = 0
    while i < len(names):
        stem = names[i].rpartition("_")[0]
        j = i
        while j + 1 < len(names) and names[j + 1].rpartition("_")[0] == stem and stem:
            j += 1
        out.append(names[i] if j - i < 2 else f"{names[i]}..{names[j]}")
        i = j + 1
    return out


def write_predictions(path: str, columns: dict) -> None:
    """``columns`` as a CSV with a header (integers as integers), or, for a ``.npz`` path, as
    NumPy arrays: ``probabilities``/``outputs`` (N, units), ``predicted``, ``labels``/``targets``."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if path.lower().endswith(".npz"):
        def stack(prefix):
            keys = [k for k in columns if k == prefix or k.startswith(prefix + "_")]
            return np.stack([columns[k] for k in keys], axis=1) if keys else None

        arrays = {"index": columns["index"]}
        if "predicted" in columns:
            arrays.update(probabilities=stack("prob"), predicted=columns["predicted"])
            if "label" in columns:
                arrays["labels"] = columns["label"]
        else:
            output_keys = [k for k in columns if k != "index" and not k.startswith("target")]
            arrays["outputs"] = np.stack([columns[k] for k in output_keys], axis=1)
            arrays["output_names"] = np.array(output_keys)
            if stack("target") is not None:
                arrays["targets"] = stack("target")
        np.savez(path, **arrays)
        return
    table = np.column_stack([np.asarray(v, dtype=np.float64) for v in columns.values()])
    formats = ["%d" if np.issubdtype(np.asarray(v).dtype, np.integer) else "%.8g"
               for v in columns.values()]
    np.savetxt(path, table, fmt=formats, delimiter=",", header=",".join(columns), comments="")


def _timestamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


#: Where Lightning's ``seed_everything`` logs "Seed set to N".
_SEED_LOG = logging.getLogger("lightning.fabric.utilities.seed")


@contextlib.contextmanager
def _quiet_seed_log() -> Iterator[None]:
    level = _SEED_LOG.level
    _SEED_LOG.setLevel(logging.WARNING)
    try:
        yield
    finally:
        _SEED_LOG.setLevel(level)


def _class_being_built(error: BaseException) -> Optional[str]:
    """The class whose ``__init__`` raised ``error`` (the outermost one: the network, not
    KerasModule), or None."""
    for frame, _ in traceback.walk_tb(error.__traceback__):
        if frame.f_code.co_name == "__init__" and "self" in frame.f_locals:
            return type(frame.f_locals["self"]).__name__
    return None


def _remove_run_folder(folder: str, keep: str) -> None:
    """Remove the run folder of a run that failed before its first training step, unless it
    holds a checkpoint, and the folders above it that this run created (up to ``keep``)."""
    if not os.path.isdir(folder) or glob.glob(os.path.join(folder, "**", "*.ckpt"), recursive=True):
        return
    shutil.rmtree(folder, ignore_errors=True)
    parent = os.path.dirname(folder)
    while parent != keep and parent.startswith(keep + os.sep) and os.path.isdir(parent) \
            and not os.listdir(parent):
        os.rmdir(parent)
        parent = os.path.dirname(parent)


def main(argv=None, description: str = DESCRIPTION) -> None:
    """The Lightning subcommands alone (``python -m lightning_models`` also has the project's),
    a user's mistake reported in one line (:func:`report_errors`)."""
    with report_errors(argv), quiet_known_notices():
        KerasCLI(args=argv, parser_kwargs={"description": description, "exit_on_error": False})


if __name__ == "__main__":
    main()
