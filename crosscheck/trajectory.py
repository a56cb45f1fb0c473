"""Trajectory parity (issue 11, item 1): a Keras model and its Lightning twin, started from the
same weights and fed the same batches in the same order, must train along the same curve.

    keras_model, torch_model = transferred_pair("fp.fashion_mlp")   # Keras weights copied in
    orders = epoch_orders(len(data.x), epochs=3, seed=0)              # one permutation per epoch
    keras_run = keras_trajectory(keras_model, data, orders, batch_size=32)
    torch_run = lightning_trajectory(torch_model, data, orders, batch_size=32)
    history_differences(keras_run.history, torch_run.history)  # {'loss': worst relative diff, ...}
    weight_differences(keras_model, torch_model)               # {'hidden1/weight': ..., ...}

Keras trains with its own ``fit`` (its own epoch means, validation and EarlyStopping): all
epochs' batches go in as ONE ``tf.data`` stream with ``steps_per_epoch`` = batches per epoch, so
Keras reads on across epochs and never reshuffles. Lightning trains with the project's
:func:`lightning_models.training.fit` on :class:`OrderedBatches`, a DataModule whose epoch ``e``
yields the rows in ``orders[e]`` order. The shuffle order is the one input the frameworks cannot
share through a seed (different RNGs, docs/keras-vs-torch.md s.10), so both are given it.

Dropout masks cannot be shared at all: trajectories run with rate 0, and dropout on is compared
statistically (:func:`dropout_losses`: the spread of training-mode losses over many masks).

``dtype="float64"`` runs both frameworks in double precision (Keras' ``floatx``, the module's
``.double()``). Float32 rounding then drops out, so what is left is any difference in the
arithmetic itself: that is how the tolerances of the float32 tests are told apart from bugs.
In that mode Keras still rounds Python constants through float32 (``ops.cast(0.999, "float64")``
and ``L2(0.01)`` on the TensorFlow backend), so networks with regularisers differ by ~1e-8 there.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Callable, Iterator, Optional, Sequence

import lightning.pytorch as pl
import numpy as np
import torch

import keras_reference
import lightning_models
from datamodules.lightning_data import TensorBatches
from lightning_models.callbacks import KerasEarlyStopping
from lightning_models.threads import ThreadPolicy
from lightning_models.training import fit as lightning_fit

from .transfer import _convert, layer_pairs, transfer_weights

import keras  # noqa: E402  (after lightning: triton before TensorFlow, see crosscheck/__init__.py)
import tensorflow as tf  # noqa: E402


# -- data and the two models ------------------------------------------------------------------
@dataclasses.dataclass
class TrajectoryData:
    """Training and (optional) validation arrays, the same for both frameworks.

    ``keras_targets`` turns a target array into what Keras' ``fit`` takes where that differs
    from the LightningModule's targets (apa.guide_two_branch: Keras wants ``(y1, y2)``, one per
    output; the LightningModule one ``(N, 2)`` array).
    """

    x: np.ndarray
    y: np.ndarray
    x_val: Optional[np.ndarray] = None
    y_val: Optional[np.ndarray] = None
    keras_targets: Callable = staticmethod(lambda y: y)

    @property
    def has_validation(self) -> bool:
        return self.x_val is not None

    def astype(self, dtype: str) -> "TrajectoryData":
        """The floating-point arrays in ``dtype`` (integer word ids and labels stay)."""
        def cast(a):
            return a.astype(dtype) if a is not None and a.dtype.kind == "f" else a
        return dataclasses.replace(self, x=cast(self.x), y=cast(self.y), x_val=cast(self.x_val),
                                   y_val=cast(self.y_val))


@contextlib.contextmanager
def keras_floatx(dtype: str) -> Iterator[None]:
    """Keras' ``floatx`` and global dtype policy set to ``dtype`` inside the block only (the
    policy too: Keras caches it from ``floatx`` the first time a layer asks for it)."""
    before = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx(dtype)
    keras.config.set_dtype_policy(dtype)
    try:
        yield
    finally:
        keras.config.set_floatx(before[0])
        keras.config.set_dtype_policy(before[1])


def transferred_pair(entry_id: str, seed: int = 0, dtype: str = "float32", **hparams):
    """The Keras model of ``entry_id`` (seeded with ``seed``) and its LightningModule with the
    Keras weights copied in, both in ``dtype``; the module is left in training mode, as Keras'
    ``fit`` trains."""
    with keras_floatx(dtype):
        keras.utils.set_random_seed(seed)
        keras_model = keras_reference.build(entry_id, **hparams)
    torch_model = lightning_models.build(entry_id, **hparams).to(getattr(torch, dtype))
    transfer_weights(keras_model, torch_model)
    return keras_model, torch_model.train()


def epoch_orders(n_rows: int, epochs: int, seed: int = 0) -> list[np.ndarray]:
    """One permutation of ``range(n_rows)`` per epoch, from a NumPy generator."""
    rng = np.random.default_rng(seed)
    return [rng.permutation(n_rows) for _ in range(epochs)]


def batches_per_epoch(n_rows: int, batch_size: int) -> int:
    return -(-n_rows // batch_size)  # the last partial batch is kept, as Keras does


# -- the two trainings --------------------------------------------------------------------------
@dataclasses.dataclass
class Run:
    """One framework's training: its Keras-style ``history``, and when an EarlyStopping ran,
    the 0-based epoch it stopped at (0: it did not stop, as Keras) and its best epoch."""

    history: dict
    stopped_epoch: int = 0
    best_epoch: Optional[int] = None

    @property
    def epochs_run(self) -> int:
        return len(self.history["loss"])


def _keras_stream(data: TrajectoryData, orders: Sequence[np.ndarray], batch_size: int):
    """Every epoch's batches, in order, as one ``tf.data.Dataset`` (no batch spans two epochs)."""
    stream = None
    for order in orders:
        epoch = tf.data.Dataset.from_tensor_slices(
            (data.x[order], data.keras_targets(data.y[order]))).batch(batch_size)
        stream = epoch if stream is None else stream.concatenate(epoch)
    return stream


def keras_trajectory(model: keras.Model, data: TrajectoryData, orders: Sequence[np.ndarray],
                     batch_size: int, callbacks: Sequence = ()) -> Run:
    """Keras' own ``fit`` on the given batch orders (validation in batches of ``batch_size``)."""
    validation = (data.x_val, data.keras_targets(data.y_val)) if data.has_validation else None
    # fit builds the compiled loss and the optimiser in the floatx of the moment: the model's
    with keras_floatx(str(model.weights[0].dtype)):
        history = model.fit(_keras_stream(data, orders, batch_size), epochs=len(orders),
                            steps_per_epoch=batches_per_epoch(len(data.x), batch_size),
                            validation_data=validation, validation_batch_size=batch_size,
                            shuffle=False, callbacks=list(callbacks), verbose=0)
    stopper = next((c for c in callbacks if isinstance(c, keras.callbacks.EarlyStopping)), None)
    return Run(history={k: [float(v) for v in vs] for k, vs in history.history.items()},
               stopped_epoch=stopper.stopped_epoch if stopper else 0,
               best_epoch=stopper.best_epoch if stopper else None)


class _EpochBatches:
    """The training batches of the trainer's current epoch, in ``orders[epoch]`` order."""

    def __init__(self, datamodule: "OrderedBatches"):
        self.datamodule = datamodule

    def __len__(self) -> int:
        return batches_per_epoch(len(self.datamodule.x), self.datamodule.batch_size)

    def __iter__(self):
        dm = self.datamodule
        order = torch.from_numpy(dm.orders[dm.trainer.current_epoch])
        x, y = dm.x[order], dm.y[order]
        for start in range(0, len(x), dm.batch_size):
            yield [x[start:start + dm.batch_size], y[start:start + dm.batch_size]]


def _tensor(a: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(a))
    return t.to(dtype) if t.is_floating_point() else t  # integer word ids and labels stay


class OrderedBatches(pl.LightningDataModule):
    """A DataModule whose epoch ``e`` yields the training rows in ``orders[e]`` order, in
    batches of ``batch_size`` (last partial batch kept), and the validation rows unshuffled."""

    def __init__(self, data: TrajectoryData, orders: Sequence[np.ndarray], batch_size: int,
                 dtype: torch.dtype = torch.float32):
        super().__init__()
        self.x, self.y = _tensor(data.x, dtype), _tensor(data.y, dtype)
        self.val = ([_tensor(data.x_val, dtype), _tensor(data.y_val, dtype)]
                    if data.has_validation else None)
        self.orders = list(orders)
        self.batch_size = batch_size

    def train_dataloader(self):
        return _EpochBatches(self)

    def val_dataloader(self):
        return TensorBatches(self.val, self.batch_size) if self.val is not None else []


def lightning_trajectory(model, data: TrajectoryData, orders: Sequence[np.ndarray],
                         batch_size: int, callbacks: Sequence = ()) -> Run:
    """:func:`lightning_models.training.fit` on the given batch orders, on one CPU thread.

    The module is put in training mode first: Keras' ``fit`` always trains with
    ``training=True``, while Lightning keeps a submodule's eval mode (a BatchNormalization left
    in eval mode would train on its moving statistics).
    """
    callbacks = list(callbacks) + [ThreadPolicy(threads=1, verbose=False)]
    dtype = next(model.parameters()).dtype
    history = lightning_fit(model.train(), OrderedBatches(data, orders, batch_size, dtype),
                            epochs=len(orders), callbacks=callbacks, accelerator="cpu", devices=1)
    stopper = next((c for c in callbacks if isinstance(c, KerasEarlyStopping)), None)
    return Run(history={k: list(v) for k, v in history.history.items()},
               stopped_epoch=stopper.stopped_epoch if stopper else 0,
               best_epoch=stopper.best_epoch if stopper else None)


# -- comparisons --------------------------------------------------------------------------------
def relative_difference(reference, other, floor: float = 1e-12) -> float:
    """Worst ``|reference - other| / max(|reference|, floor)`` over paired values."""
    a, b = np.asarray(reference, dtype=np.float64), np.asarray(other, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a), floor))) if a.size else 0.0


def history_differences(keras_history: dict, lightning_history: dict) -> dict[str, float]:
    """``{key: worst relative difference over the epochs}`` for every key the Lightning History
    logs; a key Keras does not log, or another number of epochs, is an error."""
    missing = [k for k in lightning_history if k not in keras_history]
    if missing:
        raise KeyError(f"Lightning logs {missing}, Keras does not (Keras: {sorted(keras_history)})")
    return {k: relative_difference(keras_history[k], lightning_history[k])
            for k in lightning_history}


def weight_differences(keras_model, torch_model) -> dict[str, float]:
    """``{layer/weight: max |keras - torch| / largest |keras| weight of the layer}`` for every
    weight, BatchNormalization's moving statistics included; Keras' arrays in torch's layout
    (:mod:`crosscheck.transfer`).

    The scale is the LAYER's largest weight, not the tensor's own: a bias whose exact gradient
    is zero (a Dense or Conv2D before a BatchNormalization, which subtracts the batch mean) is
    moved by rounding alone, to ~1e-6 of its kernel, and on that scale the two frameworks'
    rounding disagree completely; elementwise ratios would blow up the same way near zero.
    """
    differences = {}
    for name, k_layer, t_layer in layer_pairs(keras_model, torch_model):
        tensors = dict(t_layer.named_parameters(recurse=False))
        tensors.update(dict(t_layer.named_buffers(recurse=False)))
        keras_arrays = _convert(k_layer, t_layer)
        scale = max(max(float(np.abs(a).max()) for a in keras_arrays.values()), 1e-12)
        for key, keras_value in keras_arrays.items():
            ours = tensors[key].detach().cpu().double().numpy()
            differences[f"{name}/{key}"] = float(np.abs(ours - keras_value).max()) / scale
    return differences


def keras_weights(keras_model) -> list[np.ndarray]:
    """Copies of all the Keras model's weights (``model.get_weights()``)."""
    return [np.array(w) for w in keras_model.get_weights()]


def largest_change(keras_model, before: list[np.ndarray]) -> float:
    """The largest change of any weight since ``before``, relative to that weight's scale: shows
    that training moved the weights (a trajectory test of weights that stay put proves nothing)."""
    return max(float(np.abs(now - old).max()) / max(float(np.abs(old).max()), 1e-12)
               for now, old in zip(keras_weights(keras_model), before))


# -- dropout on: a statistical comparison -------------------------------------------------------
def dropout_losses(keras_model, torch_model, x: np.ndarray, y: np.ndarray,
                   draws: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """The training-mode loss of one batch ``(x, y)`` under ``draws`` independent dropout masks,
    in each framework, from the same weights: ``(keras losses, lightning losses)``.

    The batch is repeated ``draws`` times and passed once (every copy gets its own masks), then
    the loss (each network's compiled loss, regularisation included) is taken per copy.
    """
    n = len(x)
    x_all = np.concatenate([x] * draws)
    keras_out = keras_model(x_all, training=True)
    keras_losses = np.array([float(keras_model.compute_loss(
        x=x, y=y, y_pred=keras_out[i * n:(i + 1) * n], training=True)) for i in range(draws)])
    torch_model.train()
    dtype = next(torch_model.parameters()).dtype
    with torch.no_grad():
        logits = torch_model(_tensor(x_all, dtype))
        target = _tensor(y, dtype)
        torch_losses = np.array([float(torch_model.total_loss(logits[i * n:(i + 1) * n], target))
                                 for i in range(draws)])
    return keras_losses, torch_losses


def mean_z_score(a: np.ndarray, b: np.ndarray) -> float:
    """``(mean a - mean b)`` in units of its standard error (two independent samples)."""
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    return float((a.mean() - b.mean()) / se)
