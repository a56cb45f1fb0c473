"""The one LightningModule every catalog network derives from: Keras' ``compile``/``fit`` semantics.

What a subclass writes is only the architecture (``__init__`` building layers, ``forward``
returning logits). This base class supplies what Keras' ``compile(optimizer, loss, metrics)``
and ``fit`` do (docs/keras-vs-torch.md sections 6-10):

- the loss by Keras name, computed from logits exactly as Keras' ``fit`` does;
- Keras regularisation penalties added to ``loss`` AND ``val_loss``;
- metrics by Keras name (``'accuracy'`` follows Keras' shape rules), logged once per epoch as
  ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, batch-size weighted means over the
  epoch (train values in training mode on pre-update weights, as Keras reports them);
- the optimiser by Keras name with Keras' defaults (:func:`~.keras_optim.make_optimizer`);
- ``predict`` returns probabilities (the output activation applied), like ``model.predict``;
- inputs of the wrong shape are a one-line ValueError on every path into ``forward``
  (``model(x)``, fit, evaluate, predict), as Keras checks its ``input_shape``;
- ``self.history`` is a Keras-style History: ``model.history.history['val_loss']``.

Speed (README, "Speed"): the catalog's networks are so small that Lightning's per-batch
machinery (hooks, closures, logging) would cost more than the arithmetic. So, like Keras'
``compile(steps_per_execution=...)``, one Lightning training step runs up to
``steps_per_execution`` optimiser steps (manual optimisation over ``dataloader_iter``). The
batches, updates and epoch means are exactly those of one step per batch; only batch-level
callbacks see groups of batches. Validation likewise runs an epoch's batches in one Lightning
step. On one device in 32-bit precision, with no hook around backward or the optimiser step,
the step calls ``loss.backward()`` and the optimiser directly (:meth:`KerasModule._steps_directly`).
Epoch sums are accumulated as tensors on the device, a Lightning step's batches at once, and
read once per epoch, so a step costs no host synchronisation and no logging call.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Mapping, Optional, Sequence

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.plugins.precision import Precision
from lightning.pytorch.profilers import PassThroughProfiler
from lightning.pytorch.strategies import DDPStrategy, SingleDeviceStrategy
from lightning.pytorch.utilities.model_helpers import is_overridden

from .checkpoints import CLASS_KEY, relocate_callback_states
from .keras_api import KerasModelAPI
from .keras_layers import get_activation, keras_param_count, regularized_layers
from .keras_losses import METRICS, check_loss_name, compute_loss
from .keras_optim import check_optimizer, make_optimizer


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite."""


class History:
    """``keras.callbacks.History``: ``history.history`` maps a metric name to per-epoch values."""

    def __init__(self):
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


def _detached(value):
    """A tensor, or a tuple of tensors (several outputs), detached from the graph."""
    return tuple(_detached(v) for v in value) if isinstance(value, (tuple, list)) else value.detach()


def _concatenated(values: Sequence):
    """Batches (tensors, or tuples of tensors) joined along the batch axis."""
    if isinstance(values[0], (tuple, list)):
        return tuple(_concatenated([v[i] for v in values]) for i in range(len(values[0])))
    return torch.cat(values)


def _compact(values: list, dtype: torch.dtype):
    """A History list as one tensor for a checkpoint (a list when its values are not numbers)."""
    try:
        return torch.tensor(values, dtype=dtype)
    except (TypeError, ValueError, RuntimeError):
        return list(values)


def _listed(values) -> list:
    """A History list read back from a checkpoint: Python ints and floats, as it was."""
    return values.tolist() if isinstance(values, torch.Tensor) else list(values)


class _EpochMeans:
    """Batch-size weighted running sums of the loss and each metric, kept on the device."""

    def __init__(self, names: Sequence[str]):
        self.names = list(names)
        self.reset()

    def reset(self) -> None:
        self.sums: Optional[torch.Tensor] = None
        self.count = 0

    def update(self, loss: torch.Tensor, per_sample: Sequence[torch.Tensor], batch: int) -> None:
        self._add(loss.detach() * batch, per_sample, batch)

    def update_batches(self, batches: Sequence[tuple], metric_values: Callable) -> None:
        """Adds several batches ``(loss, logits, target, batch size)`` at once (a training
        step's, or an epoch's validation batches): the same sums as :meth:`update` batch by
        batch, in a few operations instead of a few per batch; ``metric_values(logits, target)``
        gives the metrics' per-sample values of all their samples together. Logits and targets
        may be tuples (networks with several outputs)."""
        if not batches:
            return
        losses = torch.stack([loss.detach() for loss, _, _, _ in batches])
        sizes = [size for _, _, _, size in batches]
        if len(set(sizes)) == 1:
            total = losses.sum() * sizes[0]
        else:
            total = (losses * losses.new_tensor(sizes)).sum()
        per_sample = []
        if self.names:
            per_sample = metric_values(_concatenated([logits for _, logits, _, _ in batches]),
                                       _concatenated([target for _, _, target, _ in batches]))
        self._add(total, per_sample, sum(sizes))

    def _add(self, total: torch.Tensor, per_sample: Sequence[torch.Tensor], count: int) -> None:
        values = torch.stack([total] + [m.detach().sum() for m in per_sample]) if per_sample \
            else total.reshape(1)
        if self.sums is None:
            self.sums = values  # a new tensor, added to in place from now on
        else:
            self.sums.add_(values)
        self.count += count

    def compute(self, trainer: Optional["pl.Trainer"] = None) -> dict[str, float]:
        """The epoch means. On several devices (``trainer.world_size > 1``) every rank's sums
        and counts are added first (one all-reduce, made by every rank, even one that saw no
        batch), so each rank gets the global epoch's means, the values Keras shows. The
        all-reduce is made in float64 on every rank: a rank without batches has no sums to take
        the dtype from (a 64-bit run's are float64), and the count stays exact."""
        sums, count = self.sums, self.count
        if trainer is not None and trainer.world_size > 1:
            strategy = trainer.strategy
            local = torch.zeros(len(self.names) + 1, dtype=torch.float64,
                                device=strategy.root_device) if sums is None else sums.double()
            total = strategy.reduce(torch.cat([local, local.new_tensor([count])]), reduce_op="sum")
            sums, count = total[:-1], total[-1].item()
            sums = sums if count else None
        if sums is None:
            return {}
        means = (sums / count).tolist()
        return dict(zip(["loss"] + self.names, means))


@dataclasses.dataclass(frozen=True)
class KerasCompile:
    """A network's ``model.compile(...)`` as the document writes it, declared as data on its class.

    ``loss``, ``metrics`` and ``optimizer`` are Keras names; ``output_activation`` is the
    activation of the output layer, which this project applies in the loss and in ``predict``
    (``forward`` returns logits). Validated when the class is declared.
    """

    loss: str
    optimizer: str = "rmsprop"  # keras.Model.compile's own default
    metrics: tuple[str, ...] = ()
    output_activation: str = "linear"
    #: Keras' ``custom_objects``: the document's own functions by name (a custom loss, which the
    #: network computes in ``compute_loss``, and per-sample metric functions).
    custom_objects: Mapping[str, Callable] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if isinstance(self.metrics, str):
            raise ValueError(f"metrics must be a list of names, e.g. ({self.metrics!r},)")
        object.__setattr__(self, "metrics", tuple(self.metrics))
        if self.loss not in self.custom_objects:
            check_loss_name(self.loss)
        known = {**METRICS, **self.custom_objects}
        unknown = [m for m in self.metrics if m not in known]
        if unknown:
            raise ValueError(f"unknown metrics {unknown}; use some of {sorted(known)}")
        get_activation(self.output_activation)
        check_optimizer(self.optimizer)

    def metric_functions(self) -> list[Callable]:
        """The per-sample function of each metric, in order."""
        known = {**METRICS, **self.custom_objects}
        return [known[name] for name in self.metrics]

    def replace(self, **changes) -> "KerasCompile":
        """A copy with ``changes`` (validated), e.g. a hyperparameter that sets the loss."""
        return dataclasses.replace(self, **changes)


class KerasModule(KerasModelAPI, pl.LightningModule):
    """Base class of every network: Keras' ``compile`` settings and ``fit`` semantics.

    A subclass declares ``keras_compile = KerasCompile(...)`` (the document's compile call) and
    ``input_shape``, builds its layers in ``__init__`` from its architecture hyperparameters and
    passes the remaining keyword arguments on (``super().__init__(**kwargs)``), so every network
    takes the arguments below (also from the CLI: ``--model.init_args.optimizer_options``).

    Args:
        optimizer: Keras optimiser name (``'adam'``, ``'rmsprop'``, ``'sgd'``) with Keras'
            defaults; ``None`` keeps the document's (``keras_compile.optimizer``).
        learning_rate: ``None`` keeps the optimiser's Keras default.
        optimizer_options: further Keras optimiser arguments: ``momentum``, ``nesterov``
            (sgd, rmsprop's momentum), ``rho``, ``centered`` (rmsprop), ``beta_1``, ``beta_2``
            (adam), ``epsilon`` (adam, rmsprop); e.g. seed 004's ``SGD(0.01, momentum=0.9)`` is
            ``optimizer="sgd", learning_rate=0.01, optimizer_options={"momentum": 0.9}``.
        steps_per_execution: optimiser steps (batches) per Lightning training step, as Keras'
            ``compile`` argument of that name; results do not depend on it. The project's default
            is 32 (Keras' is 1), see the module docstring.
    """

    #: The document's ``model.compile(...)``; every subclass declares its own.
    keras_compile: KerasCompile = KerasCompile(loss="mean_squared_error")
    #: ``(shape without batch)`` of one input; used for the summary's example input.
    input_shape: tuple = ()

    def __init__(self, optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
                 optimizer_options: Optional[dict] = None, steps_per_execution: int = 32):
        super().__init__()
        # Every network's own __init__ arguments and these are the hyperparameters (checkpoints
        # and LightningCLI rebuild the network from them).
        self.save_hyperparameters()
        self.automatic_optimization = False  # training_step runs the optimiser itself
        if isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int) \
                or steps_per_execution < 1:
            raise ValueError(f"steps_per_execution must be an integer >= 1, got {steps_per_execution!r}")
        if learning_rate is not None and not learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0 (or None for the Keras default), "
                             f"got {learning_rate}")
        self.steps_per_execution = steps_per_execution
        self.keras_compile = type(self).keras_compile
        self.optimizer_name = (optimizer or self.keras_compile.optimizer).lower()
        self.learning_rate = learning_rate
        self.optimizer_options = dict(optimizer_options or {})
        check_optimizer(self.optimizer_name, self.optimizer_options)
        self.history = History()
        self._train_means = _EpochMeans(self.metric_names)
        self._val_means = _EpochMeans(self.metric_names)
        self._regularized: Optional[list] = None

    # -- the compile settings, read from ``self.keras_compile`` ---------------------------------
    @property
    def loss_name(self) -> str:
        return self.keras_compile.loss

    @property
    def metric_names(self) -> list[str]:
        return list(self.keras_compile.metrics)

    @property
    def output_activation(self) -> str:
        return self.keras_compile.output_activation

    def recompile(self, **changes) -> None:
        """For networks whose hyperparameters set the loss or the output activation (iris, the
        autoencoders): ``self.recompile(output_activation=activation)`` in their ``__init__``."""
        self.keras_compile = self.keras_compile.replace(**changes)
        self._train_means = _EpochMeans(self.metric_names)
        self._val_means = _EpochMeans(self.metric_names)

    # -- what subclasses may override ---------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The logits. Most networks build ``self.net``, an ``nn.Sequential`` of the document's
        layers in the document's order; networks with branches or sub-models override this."""
        return self.net(x)

    def compute_loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The data term of the loss (Keras' ``loss``); override for a custom loss function."""
        return compute_loss(self.loss_name, logits, target, self.output_activation)

    def outputs(self, logits: torch.Tensor) -> torch.Tensor:
        """What Keras' model outputs: the output activation applied to the logits."""
        return get_activation(self.output_activation)(logits)

    # -- Keras-like conveniences -------------------------------------------------------------
    @property
    def example_input_array(self) -> Optional[torch.Tensor]:
        return torch.zeros(2, *self.input_shape) if self.input_shape else None

    def random_input(self, n: int, generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """A batch of ``n`` valid random inputs (parity tests); integer-input models override it."""
        return torch.rand(n, *self.input_shape, generator=generator)

    def count_params(self) -> int:
        """Keras' ``model.count_params()`` (BatchNorm moving statistics included)."""
        return keras_param_count(self)

    def regularization_penalty(self) -> torch.Tensor | float:
        """Sum of the Keras regularisers of all layers (Keras' ``model.losses``)."""
        if self._regularized is None:
            self._regularized = regularized_layers(self)
        if not self._regularized:
            return 0.0
        return sum(layer.penalty() for layer in self._regularized)

    def total_loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        loss, penalty = self.compute_loss(logits, target), self.regularization_penalty()
        return loss if isinstance(penalty, float) and penalty == 0.0 else loss + penalty

    def check_input(self, x: torch.Tensor) -> None:
        """A clear error for data of the wrong shape (instead of a matmul size mismatch)."""
        shape = getattr(x, "shape", None)
        if not self.input_shape or shape is None or tuple(shape[1:]) == tuple(self.input_shape):
            return
        name = getattr(self, "catalog_id", type(self).__name__)
        expected = tuple(self.input_shape)
        if tuple(shape) == expected:
            batch_shape = "(N, " + ", ".join(map(str, expected)) + ")"
            raise ValueError(f"{name} expects a batch of inputs of shape {batch_shape}, got one "
                             f"sample of shape {expected}: add the batch axis, x[None]")
        raise ValueError(
            f"{name} expects inputs of shape {expected} per sample, got {tuple(shape[1:])}: "
            "check the data (e.g. its flatten/channel_axis/pca_components options) or the "
            "model's input hyperparameters (input_dim, input_size...)")

    def __call__(self, *args, **kwargs):
        """``model(x)``, as ``nn.Module``'s, after :meth:`check_input` (issue 8, item 5): every
        path into ``forward`` (fit, evaluate, predict, a user's own call) checks the input's
        shape once per batch, here rather than in each step."""
        if args:
            self.check_input(args[0])
        return super().__call__(*args, **kwargs)

    def _metric_values(self, logits: torch.Tensor, target: torch.Tensor) -> list:
        if not self.metric_names:
            return []
        outputs = self.outputs(logits).detach()
        return [metric(outputs, target) for metric in self.keras_compile.metric_functions()]

    # -- Lightning steps ---------------------------------------------------------------------
    def training_step(self, dataloader_iter):
        """Keras' ``train_step`` for the next ``steps_per_execution`` batches: forward, loss
        (+ regularisation), backward, optimiser step; the epoch means see pre-update losses."""
        optimizer = self.optimizers()
        direct = self._direct_steps and hasattr(optimizer, "_on_after_step")
        max_steps = self.trainer.max_steps
        seen = []  # (loss, logits, targets, batch size) of the batches counted in the epoch means
        metrics = bool(self.keras_compile.metrics)  # the logits are kept only for the metrics
        for _ in range(self.steps_per_execution):
            if max_steps >= 0 and self.trainer.global_step >= max_steps:  # counts batches
                break
            try:
                batch, _, _ = next(dataloader_iter)
            except StopIteration:
                break
            if batch[0].device != self.device:  # this step flavour leaves the transfer to us
                batch = self.trainer.strategy.batch_to_device(batch)
            x, y = batch[0], batch[1]
            logits = self(x)  # checks the input's shape (__call__)
            loss = self.total_loss(logits, y)
            optimizer.zero_grad()
            if direct:  # the same backward and step, without Lightning's hook calls
                loss.backward()
                optimizer._on_before_step()  # Lightning's count of optimiser steps (global_step)
                optimizer.optimizer.step()
                optimizer._on_after_step()
            elif len(batch) == 2:
                self.manual_backward(loss)
                optimizer.step()
            else:  # several devices: this rank's share of a global batch and its weight, which
                self.manual_backward(loss * batch[2])  # makes DDP's mean gradient the batch's
                optimizer.step()
            if len(batch) == 2 or batch[2]:  # a share of weight 0 holds other ranks' rows
                seen.append((loss.detach(), _detached(logits) if metrics else None, y, len(x)))
        # The epoch sums of all these batches at once (pre-update losses and outputs).
        self._train_means.update_batches(seen, self._metric_values)

    def validation_step(self, dataloader_iter):
        """Keras' ``test_step`` on every validation batch of the epoch, in one Lightning step (as
        :meth:`training_step`: Lightning's per-batch hooks cost more than a small network's
        forward pass, and validation runs every epoch)."""
        seen = []
        for batch, _, _ in dataloader_iter:
            if self.trainer.sanity_checking:
                continue  # Keras runs no sanity validation; Lightning's batches are consumed
            if batch[0].device != self.device:  # this step flavour leaves the transfer to us
                batch = self.trainer.strategy.batch_to_device(batch)
            x, y = batch[0], batch[1]
            logits = self(x)
            seen.append((self.total_loss(logits, y), logits if self.metric_names else None, y, len(x)))
            if len(seen) == 64:  # a bounded share of the epoch's outputs held at once
                self._val_means.update_batches(seen, self._metric_values)
                seen = []
        self._val_means.update_batches(seen, self._metric_values)

    def test_step(self, batch, batch_idx):
        x, y = batch[0], batch[1]
        logits = self(x)
        self._val_means.update(self.total_loss(logits, y), self._metric_values(logits, y), len(x))

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x = batch[0] if isinstance(batch, (list, tuple)) else batch
        return self.outputs(self(x))

    # -- fit start: a new History per fit (as Keras' fit returns one), resumes keep theirs ------
    def on_fit_start(self) -> None:
        # Several devices: DDP only (docs/choices.md, "Several devices"); the batches are
        # sharded by the DataModule, the epoch means added across ranks (_EpochMeans.compute).
        if self.trainer.world_size > 1 and not isinstance(self.trainer.strategy, DDPStrategy):
            raise ValueError(f"several devices train with --trainer.strategy ddp, not "
                             f"{type(self.trainer.strategy).__name__}")
        if self.trainer.ckpt_path is None:
            self.history = History()

    def on_train_start(self) -> None:
        # A resumed run restores the optimiser's saved learning rate; an explicit one wins, so
        # `--ckpt_path last --model.init_args.learning_rate 1e-4` really lowers it.
        if self.learning_rate is not None:
            for optimizer in self.trainer.optimizers:
                for group in optimizer.param_groups:
                    group["lr"] = self.learning_rate

    def load_weights(self, path: str) -> "KerasModule":
        """Keras' ``model.load_weights``: the weights of a Lightning checkpoint (e.g. the best one
        saved by :class:`~.callbacks.KerasModelCheckpoint`), loaded in place."""
        checkpoint = torch.load(path, map_location=self.device, weights_only=False)
        self.load_state_dict(checkpoint["state_dict"])
        return self

    # -- epoch ends: Keras' logs and History -------------------------------------------------
    def on_train_epoch_start(self) -> None:
        self._train_means.reset()
        self._direct_steps = self._steps_directly()

    #: The hooks Lightning calls around a backward pass and an optimiser step.
    _STEP_HOOKS = ("on_before_backward", "on_after_backward", "on_before_optimizer_step")
    _direct_steps = False  # set each epoch by _steps_directly

    def _steps_directly(self) -> bool:
        """Whether :meth:`training_step` may call ``loss.backward()`` and the optimiser's ``step``
        itself instead of through Lightning (README, "Speed"): one device, 32-bit precision, no
        profiler, and no hook of the network or of a callback that Lightning would call around
        them. The arithmetic is the same; Lightning's hook calls cost as much as a small
        network's step."""
        trainer = self.trainer
        if type(trainer.strategy) is not SingleDeviceStrategy \
                or type(trainer.precision_plugin) is not Precision \
                or not isinstance(trainer.profiler, PassThroughProfiler):
            return False
        if any(is_overridden(hook, self, pl.LightningModule) for hook in self._STEP_HOOKS + ("backward",)):
            return False
        return not any(is_overridden(hook, callback, Callback)
                       for callback in trainer.callbacks for hook in self._STEP_HOOKS)

    def on_validation_epoch_start(self) -> None:
        self._val_means.reset()

    on_test_epoch_start = on_validation_epoch_start

    def _log_means(self, means: dict, prefix: str) -> dict:
        logs = {prefix + k: v for k, v in means.items()}
        for key, value in logs.items():
            self.log(key, value, prog_bar=key in ("loss", "val_loss", "accuracy", "val_accuracy"),
                     batch_size=1)  # already an epoch mean
        return logs

    def on_validation_epoch_end(self) -> None:
        if not self.trainer.sanity_checking:
            self._val_logs = self._log_means(self._val_means.compute(self.trainer), "val_")

    def on_test_epoch_end(self) -> None:
        self._log_means(self._val_means.compute(self.trainer), "test_")

    def on_train_epoch_end(self) -> None:
        logs = self._log_means(self._train_means.compute(self.trainer), "")
        if "loss" in logs and not math.isfinite(logs["loss"]):
            raise NonFiniteLossError(
                f"loss became {logs['loss']} in epoch {self.current_epoch + 1}: lower the "
                "learning_rate or check the inputs for NaN; resume from the last good checkpoint "
                "with `fit --ckpt_path last`")
        logs.update(getattr(self, "_val_logs", {}))
        self._val_logs = {}
        self.history.append(self.current_epoch, logs)
        # Keras hands each epoch's logs to its callbacks; callbacks that print or keep them
        # (KerasProgress) get them here, once they are complete.
        for callback in self.trainer.callbacks:
            if hasattr(callback, "on_keras_epoch_end"):
                callback.on_keras_epoch_end(self.trainer, self, self.current_epoch, dict(logs))

    def configure_optimizers(self):
        return make_optimizer(self.optimizer_name, self.parameters(), self.learning_rate,
                              **self.optimizer_options)

    # -- checkpoints keep the History, so a resumed run continues it --------------------------
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # One tensor per key (epochs int64, values float64: the floats exactly), not a list:
        # torch.save handles a list element by element, which made each epoch's checkpoint
        # grow slower with the History (README, "Speed": +0.85 ms per save per 1000 epochs).
        checkpoint["keras_history"] = {"epoch": _compact(self.history.epoch, torch.int64),
                                       "history": {key: _compact(values, torch.float64)
                                                   for key, values in self.history.history.items()}}
        # The network's class, also in checkpoints written through the Python API (the CLI's
        # hyperparameters name it too): a resume checks it (checkpoints.check_resume).
        checkpoint[CLASS_KEY] = f"{type(self).__module__}.{type(self).__qualname__}"

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if self._trainer is not None:  # a resumed copy of a run folder continues in the copy
            relocate_callback_states(checkpoint, self._trainer)
        saved = checkpoint.get("keras_history")
        if saved:  # tensors (or lists, in checkpoints written before they were tensors)
            self.history.epoch = _listed(saved["epoch"])
            self.history.history = {k: _listed(v) for k, v in saved["history"].items()}
