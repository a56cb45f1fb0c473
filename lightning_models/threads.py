"""How many intra-op threads torch uses for a run: chosen from the work per step and the load.

The catalog's networks are tiny. With torch's default (one thread per core), a training step of a
few MFLOP is split across threads that then wait for each other; when another process keeps a
core busy, they wait for the CPU as well, and an epoch gets several times slower. One thread does
not wait. Larger steps (a CNN on a batch of 256) do gain from more threads, on idle cores.
Measured on the project's 2-core machine, ms per training step, 1 vs 2 threads:

- quiet (SGD step of an MLP): 13 MFLOP 0.61 vs 0.68; 52 MFLOP 1.34 vs 1.22; 105 MFLOP 1.91 vs
  1.26; 838 MFLOP 15.7 vs 8.9. Hence :data:`FLOPS_FOR_MORE_THREADS`.
- with other processes busy (2026-11-24, load average 2.4-5.7 on the 2 cores; Adam step of a
  784-h-10 MLP at batch 128): 2 threads were 3.4-9x SLOWER than 1 at every size from 26 to
  838 MFLOP (h = 256, master.mnist_mlp's 105 MFLOP: 5.1 vs 44.6 ms; one more spinning process:
  13.0 vs 122.9 ms); the catalog's own steps too: master.mnist_mlp 7.1 vs 54.4 ms, fp.imdb_mlp
  (329 MFLOP) 17.5 vs 103.1, apa.cifar2_cnn (910 MFLOP) 34.3 vs 254.1, apa.cifar2_pool_cnn
  (2.6 GFLOP) 247 vs 541. A thread that has to share its core stalls every other one.

So more threads only on cores that are idle. The policy, applied for the duration of a run on
a CPU (:class:`ThreadPolicy`, used by the CLI and by :func:`lightning_models.training.fit`): the
FLOPs of one forward and backward pass of a batch (``torch.utils.flop_counter``) below 100 MFLOP
-> 1 thread; else one per idle core (:func:`idle_cores`: the available cores less the machine's
load average over the last minute, rounded; at least 1), read once when training starts. The
user's choice wins: ``--threads N`` on the command line, ``ThreadPolicy(threads=N)``, or the
environment variable ``KLP_NUM_THREADS`` (also to keep a large network's results independent of
the load: the thread count can change a float sum's last bits). On a GPU the CPU threads are
left as they are. The choice and its reason are printed in the run's first lines.
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


def idle_cores() -> tuple[int, Optional[float]]:
    """``(cores not kept busy by other processes, their load)``: the available cores less their
    share of the machine's 1-minute load average (all of it when the process may use every
    core), rounded, at least 1; all cores (and None) where the system reports no load average."""
    cores = available_cores()
    try:
        load = os.getloadavg()[0] * cores / (os.cpu_count() or cores)
    except (AttributeError, OSError):  # not on a Unix
        return cores, None
    return max(1, min(cores, cores - round(load))), load


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
    idle, load = idle_cores()
    if load is None:
        return idle, f"{flops / 1e6:.0f} MFLOP per step: one thread per core ({idle})"
    return idle, (f"{flops / 1e6:.0f} MFLOP per step: one thread per idle core ({idle} of "
                  f"{available_cores()}, load average {load:.1f})")


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
