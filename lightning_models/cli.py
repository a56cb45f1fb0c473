"""The command line: LightningCLI for fit/validate/test/predict, plus ``summary <id>``.

    python -m lightning_models fit --config configs/apa.autoencoder.yaml
    python -m lightning_models fit --config configs/apa.autoencoder.yaml --ckpt_path last
    python -m lightning_models summary fp.fashion_mlp

Trainer defaults that make a run behave like Keras' ``fit`` are in :data:`TRAINER_DEFAULTS`
(no sanity-check validation pass, which would also consume RNG draws: PARITY.md s.10).
"""

from __future__ import annotations

import sys

from lightning.pytorch.cli import LightningCLI

from datamodules import ArrayDataModule

from .base import KerasModule
from .training import TRAINER_DEFAULTS


class KerasCLI(LightningCLI):
    """LightningCLI over every catalog network (``model.class_path``) and dataset (``data.class_path``)."""

    def __init__(self, args=None, **kwargs):
        super().__init__(KerasModule, ArrayDataModule, subclass_mode_model=True,
                         subclass_mode_data=True, trainer_defaults=TRAINER_DEFAULTS,
                         save_config_kwargs={"overwrite": True}, args=args, **kwargs)

    def add_arguments_to_parser(self, parser) -> None:
        parser.add_argument("--steps_per_execution", type=int, default=32,
                            help="optimiser steps per Lightning training step, as Keras' compile "
                                 "argument (results do not depend on it; 1 = one batch per step)")

    def instantiate_classes(self) -> None:
        super().instantiate_classes()
        self.model.steps_per_execution = self._get(self.config, "steps_per_execution")


def main(argv=None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "summary":
        from .summary import main as summary_main

        summary_main(args[1:])
        return
    KerasCLI(args=argv)


if __name__ == "__main__":
    main()
