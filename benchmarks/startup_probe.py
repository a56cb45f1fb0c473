"""A callback for the start-up rows of ``bench_training.py``: the wall-clock time of the first
training step, written to the file named by ``$KLP_BENCH_FIRST_STEP``.

    python -m lightning_models fit --config configs/apa.autoencoder.yaml --trainer.max_epochs 1 \\
        --trainer.callbacks+=benchmarks.startup_probe.FirstStep

(run from the repository root, so that ``benchmarks`` is importable).
"""

from __future__ import annotations

import os
import time

from lightning.pytorch.callbacks import Callback

VARIABLE = "KLP_BENCH_FIRST_STEP"


class FirstStep(Callback):
    """Writes ``time.time()`` just before the first training step to ``$KLP_BENCH_FIRST_STEP``."""

    def __init__(self):
        self.written = False

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        path = os.environ.get(VARIABLE)
        if path and not self.written:
            with open(path, "w") as file:
                file.write(repr(time.time()))
            self.written = True
