"""LightningCLI for every catalog network: ``fit``/``validate``/``test``/``predict`` from a YAML.

    python -m lightning_models fit --config configs/apa.autoencoder.yaml
    python -m lightning_models fit --config configs/apa.autoencoder.yaml --ckpt_path last

What every run shares lives here, once, instead of in each YAML (a config keeps only what is
specific to its network and exercise):

- the Trainer defaults of :data:`~.training.TRAINER_DEFAULTS` (no sanity validation pass, as
  Keras' ``fit``) plus ``accelerator: auto``, ``devices: 1``, no tqdm bar, ``seed_everything: 0``;
- two callbacks every run gets, configurable as ``--checkpoint.*`` (Lightning's ModelCheckpoint,
  ``save_last: true``) and ``--progress.*`` (:class:`~.callbacks.KerasProgress`, Keras'
  ``fit(verbose=2)`` epoch lines); a YAML's ``trainer.callbacks`` adds the document's own
  callbacks (EarlyStopping, ModelCheckpoint, TensorBoard histograms);
- where a run writes: ``trainer.default_root_dir`` (default ``runs/<catalog id>``), one
  ``version_N`` folder per run holding its TensorBoard logs, ``config.yaml`` and
  ``checkpoints/``, so runs and variants never mix. ``--ckpt_path last`` resumes the newest
  run that has a ``checkpoints/last.ckpt`` and keeps writing into that run's folder;
- the optimiser is the network's Keras optimiser (``--model.init_args.optimizer``,
  ``learning_rate``, ``optimizer_options``): LightningCLI's own ``--optimizer`` and
  ``--lr_scheduler`` are not offered, since they would silently replace it.

The project's other commands (``summary`` ...) are dispatched by :mod:`crosscheck.cli`, which
``python -m lightning_models`` runs.
"""

from __future__ import annotations

import glob
import importlib
import os
import re
from typing import Optional

from jsonargparse import Namespace
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningCLI

from .base import KerasModule
from .callbacks import KerasProgress
from .training import TRAINER_DEFAULTS, intended_warnings_silenced

#: Trainer settings every CLI run starts from (a YAML or a flag overrides them).
CLI_TRAINER_DEFAULTS = {**TRAINER_DEFAULTS, "accelerator": "auto", "devices": 1,
                        "enable_progress_bar": False}

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


class KerasCLI(LightningCLI):
    """LightningCLI over every catalog network (``model.class_path``) and dataset (``data.class_path``)."""

    def __init__(self, args=None, **kwargs):
        kwargs.setdefault("parser_kwargs", {"description": DESCRIPTION})
        super().__init__(KerasModule, _data_module_base(), subclass_mode_model=True,
                         subclass_mode_data=True, trainer_defaults=CLI_TRAINER_DEFAULTS,
                         seed_everything_default=0, auto_configure_optimizers=False,
                         save_config_kwargs={"overwrite": True}, args=args, **kwargs)

    def add_arguments_to_parser(self, parser) -> None:
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        # One run, one folder: no "-v1" copies of last.ckpt (a resumed run overwrites its own).
        parser.set_defaults({"checkpoint.save_last": True, "checkpoint.enable_version_counter": False})
        parser.add_lightning_class_args(KerasProgress, "progress")

    # -- where the run writes ------------------------------------------------------------------
    def before_instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config
        trainer = config.trainer
        if trainer.default_root_dir is None:
            model_class = _class_of(config.model.class_path)
            trainer.default_root_dir = os.path.join("runs", getattr(model_class, "catalog_id",
                                                                    model_class.__name__))
        root = trainer.default_root_dir
        version = None
        if config.get("ckpt_path") == "last":
            folder = latest_resumable_run(root)
            if folder is None:
                print(f"No run with checkpoints/last.ckpt in {root}: starting a new run.")
                config.ckpt_path = None
            else:
                version = int(os.path.basename(folder).removeprefix("version_"))
                config.ckpt_path = os.path.join(folder, "checkpoints", "last.ckpt")
        if trainer.logger in (None, True):
            trainer.logger = Namespace(
                class_path="lightning.pytorch.loggers.TensorBoardLogger",
                init_args=Namespace(save_dir=root, name="", version=version,
                                    default_hp_metric=False))

    def _results_line(self) -> None:
        trainer = self.trainer
        if trainer.is_global_zero:
            where = trainer.log_dir or trainer.default_root_dir
            print(f"Results: {where} (checkpoints/, config.yaml, TensorBoard logs: "
                  f"tensorboard --logdir {trainer.default_root_dir})", flush=True)

    def after_fit(self) -> None:
        self._results_line()


def main(argv=None, description: str = DESCRIPTION) -> None:
    """The Lightning subcommands alone (``python -m lightning_models`` also has the project's)."""
    with intended_warnings_silenced():
        KerasCLI(args=argv, parser_kwargs={"description": description})


if __name__ == "__main__":
    main()
