"""How many intra-op threads torch uses for a run, chosen from the work of one training step.

The catalog's networks are tiny. With torch's default (one thread per core), a training step of a
few MFLOP is split across threads that then wait for each other; when another process keeps a
core busy, they wait for the CPU as well, and an epoch gets several times slower. One thread does
not wait. Larger steps (a CNN on a batch of 256) do gain from more threads. Measured on a 2-core
machine (ms per SGD step of an MLP, 1 vs 2 threads): 13 MFLOP 0.61 vs 0.68; 52 MFLOP 1.34 vs
1.22; 105 MFLOP 1.91 vs 1.26; 838 MFLOP 15.7 vs 8.9. Hence :data:`FLOPS_FOR_MORE_THREADS`.

The policy, applied for the duration of a run on a CPU (:class:`ThreadPolicy`, used by the CLI
and by :func:`lightning_models.training.fit`): the FLOPs of one forward and backward pass of a batch
(``torch.utils.flop_counter``) below 100 MFLOP -> 1 thread, else one per available core. The
user's choice wins: ``--threads N`` on the command line, ``ThreadPolicy(threads=N)``, or the
environment variable ``KLP_NUM_THREADS``. On a GPU the CPU threads are left as they are.
The choice is printed in the run's first lines.
"""

from __future__ import annotations

import os
from typing import Optional

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback
from torch.utils.flop_counter import FlopCounterMode

#: Work per training step (forward + backward FLOPs of one batch) from which more threads pay off.
FLOPS_FOR_MORE_THREADS = 100e6
#: Environment variable that fixes the number of threads (as ``--threads``).
ENV_VAR = "KLP_NUM_THREADS"


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def flops_per_step(model: torch.nn.Module, batch_size: int) -> float:
    """FLOPs of one forward and backward pass of ``model`` on a batch of ``batch_size`` random
    inputs, counted in eval mode (no BatchNorm statistics move, no dropout draw, no RNG used);
    the gradients it makes are dropped."""
    was_training = model.training
    model.eval()
    x = model.random_input(batch_size, generator=torch.Generator().manual_seed(0))
    x = x.to(next(model.parameters()).device)
    try:
        with FlopCounterMode(display=False) as counter:
            outputs = model(x)
            outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
            sum(o.float().sum() for o in outputs).backward()
    finally:
        for p in model.parameters():
            p.grad = None
        model.train(was_training)
    return float(counter.get_total_flops())


def requested_threads(threads: Optional[int] = None) -> Optional[int]:
    """The user's choice: ``threads`` if given, else ``$KLP_NUM_THREADS``, else None."""
    if threads is None and os.environ.get(ENV_VAR):
        try:
            threads = int(os.environ[ENV_VAR])
        except ValueError:
            raise ValueError(f"{ENV_VAR} must be a whole number of threads, got "
                             f"{os.environ[ENV_VAR]!r}") from None
    if threads is not None and threads < 1:
        raise ValueError(f"the number of threads must be >= 1, got {threads}")
    return threads


def choose_threads(model: torch.nn.Module, batch_size: int,
                   threads: Optional[int] = None) -> tuple[int, str]:
    """``(number of intra-op threads, why)`` for training ``model`` on a CPU."""
    chosen = requested_threads(threads)
    if chosen is not None:
        source = "--threads" if threads is not None else ENV_VAR
        return chosen, f"set by {source}"
    flops = flops_per_step(model, batch_size)
    if flops < FLOPS_FOR_MORE_THREADS:
        return 1, f"{flops / 1e6:.1f} MFLOP per step: a small network waits less on one thread"
    cores = available_cores()
    return cores, f"{flops / 1e6:.0f} MFLOP per step: one thread per core ({cores})"


class ThreadPolicy(Callback):
    """Sets torch's intra-op threads when training starts on a CPU (see the module docstring)
    and prints the choice: ``Threads: 1 (13.1 MFLOP per step: ...)``."""

    def __init__(self, threads: Optional[int] = None, verbose: bool = True):
        requested_threads(threads)  # validate now
        self.threads = threads
        self.verbose = verbose
        self.chosen: Optional[int] = None
        self._before: Optional[int] = None

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self._before is not None:  # the choice holds for the run only
            torch.set_num_threads(self._before)
            self._before = None

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if trainer.strategy.root_device.type != "cpu":
            return
        datamodule = trainer.datamodule
        batch_size = getattr(datamodule, "batch_size", None)
        if batch_size is None:  # full batch: the training split (Keras' own default is 32)
            splits = getattr(datamodule, "splits", None)
            batch_size = len(splits.x_train) if splits is not None else 32
        self.chosen, why = choose_threads(pl_module, batch_size, self.threads)
        self._before = torch.get_num_threads()
        torch.set_num_threads(self.chosen)
        if self.verbose and trainer.is_global_zero:
            print(f"Threads: {self.chosen} ({why}; change with --threads N or {ENV_VAR})",
                  flush=True)
