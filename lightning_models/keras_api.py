"""Keras' model API on every LightningModule of the catalog (issue 12, item 6; slides-iris-weights).

The slides and the guide use a trained model the Keras way; :class:`KerasModelAPI`, a base of
:class:`~.base.KerasModule`, gives every network the same calls:

- ``model.predict(x)``: NumPy in (as Keras gets it: channels-last images, word ids...), NumPy
  out, the output activation applied (probabilities for classifiers);
- ``model.evaluate(x, y)``: ``[loss, *metrics]`` (the loss alone without metrics), batch-size
  weighted means over the batches with the regularisation penalties in the loss, as Keras';
- ``model.get_weights()`` / ``model.set_weights(weights)``: the arrays of Keras'
  ``model.weights``, kernels in Keras' layout (:class:`~.keras_layers.KerasWeights`), and
  ``model.get_layer(name)`` for seed 004's ``W1, b1 = capaOculto.get_weights()``;
- ``model.save(path)`` and :func:`load_model` (seed 004's "OPCION 1"); ``model.save_weights(path)``
  and ``model.load_weights(path)`` (base.py; "OPCION 2").

Files are Lightning checkpoints (``torch.save`` of a dict with ``state_dict``), whatever their
name: Keras 3 wants ``.keras`` / ``.weights.h5`` (docs/keras-vs-torch.md section 12), seed 004
writes ``"miModelo"``; here any name is the file's name. ``save`` also writes the class and
the hyperparameters, so :func:`load_model` rebuilds the network without its code being named;
it reads the checkpoints that ``fit`` writes too. The optimiser state is not saved (Keras'
``save`` keeps it): a model continues training with a fresh optimiser.
"""

from __future__ import annotations

import os
from typing import Optional, Sequence, Union

import lightning
import numpy as np
import torch

from .checkpoints import CLASS_KEY, AtomicCheckpointIO, _class_of, _try_load
from .keras_layers import KerasWeights

Arrays = Union[np.ndarray, torch.Tensor, Sequence[np.ndarray]]


def _as_tensor(a) -> torch.Tensor:
    """An array as Keras takes it: floating point as float32 (Keras' floatx), integers kept."""
    t = a if isinstance(a, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(a))
    return t.float() if t.is_floating_point() else t


def _as_tensors(a) -> Union[torch.Tensor, tuple]:
    """Targets: one array, or one per output (a tuple/list, e.g. apa.guide_two_branch)."""
    if isinstance(a, (list, tuple)):
        return tuple(_as_tensor(item) for item in a)
    return _as_tensor(a)


def _rows(a, start: int, stop: int):
    return tuple(item[start:stop] for item in a) if isinstance(a, tuple) else a[start:stop]


def _batch_size(batch_size: Optional[int]) -> int:
    if batch_size is None:  # Keras' default
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1 (None is 32), got {batch_size!r}")
    return batch_size


def _checkpoint(model, weights_only: bool) -> dict:
    """What :meth:`KerasModelAPI.save` / ``save_weights`` write: a Lightning checkpoint without
    optimiser (``Class.load_from_checkpoint`` reads it as well)."""
    checkpoint = {"pytorch-lightning_version": lightning.__version__,
                  "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()}}
    if not weights_only:
        checkpoint["hyper_parameters"] = dict(model.hparams)
    model.on_save_checkpoint(checkpoint)  # the class path and the History (base.py)
    return checkpoint


class KerasModelAPI:
    """Mixin of :class:`~.base.KerasModule`: Keras' ``predict``, ``evaluate``, ``get_weights``,
    ``set_weights``, ``get_layer``, ``save`` and ``save_weights`` (see the module docstring).

    ``keras_layer_order``: the names of the weight layers in the order of Keras'
    ``model.weights``, for a class that declares them in another order (a functional model with
    branches, which Keras lists by depth); ``None`` (the default) is the declaration order.
    """

    keras_layer_order: Optional[tuple[str, ...]] = None

    # -- layers and weights ------------------------------------------------------------------
    def get_layer(self, name: str) -> torch.nn.Module:
        """Keras' ``model.get_layer(name)``: the layer of that name (the last part of its module
        path; the names the Keras builders give, e.g. iris' ``'Oculto'``)."""
        layers = {path.rsplit(".", 1)[-1]: module for path, module in self.named_modules() if path}
        if name not in layers:
            raise ValueError(f"No such layer: {name}. Existing layers are: {list(layers)}.")
        return layers[name]

    def keras_weight_layers(self) -> list[tuple[str, KerasWeights]]:
        """``(name, layer)`` of the layers that own weights, in Keras' ``model.weights`` order."""
        found: dict[str, KerasWeights] = {}
        for path, module in self.named_modules():
            if isinstance(module, KerasWeights):
                name = path.rsplit(".", 1)[-1]
                if name in found and found[name] is not module:
                    raise ValueError(f"two layers are named {name!r} ({path}): name them apart")
                found[name] = module
        covered = {id(p) for layer in found.values() for p in layer.parameters()}
        outside = [n for n, p in self.named_parameters() if id(p) not in covered]
        if outside:  # get_weights would silently leave them out
            raise TypeError(f"parameters outside the Keras weight layers: {outside}")
        order = self.keras_layer_order or tuple(found)
        if sorted(order) != sorted(found):
            raise ValueError(f"keras_layer_order {list(order)} must name the weight layers "
                             f"{list(found)} once each")
        return [(name, found[name]) for name in order]

    def get_weights(self) -> list[np.ndarray]:
        """Keras' ``model.get_weights()``: every weight as a NumPy array, layer by layer in
        Keras' order, kernels in Keras' layout (BatchNormalization's moving statistics included)."""
        return [w for _, layer in self.keras_weight_layers() for w in layer.get_weights()]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Keras' ``model.set_weights(weights)``: the list ``get_weights`` returns (or Keras'
        own ``keras_model.get_weights()`` of the same network)."""
        layers = self.keras_weight_layers()
        sizes = [len(layer.keras_tensors()) for _, layer in layers]
        if len(weights) != sum(sizes):
            name = getattr(self, "catalog_id", type(self).__name__)
            raise ValueError(f"You called `set_weights(weights)` on layer '{name}' with a weight "
                             f"list of length {len(weights)}, but the layer was expecting "
                             f"{sum(sizes)} weights.")
        start = 0
        for (name, layer), size in zip(layers, sizes):
            layer.set_weights(weights[start:start + size], layer_name=name)
            start += size

    # -- predict / evaluate ------------------------------------------------------------------
    def _batches(self, n: int, batch_size: Optional[int]):
        size = _batch_size(batch_size)
        return [(start, min(start + size, n)) for start in range(0, n, size)]

    @torch.no_grad()
    def predict(self, x: Arrays, batch_size: Optional[int] = None, verbose="auto"):
        """Keras' ``model.predict(x)``: the outputs as NumPy, the output activation applied;
        a list of arrays for a model with several outputs. Evaluation mode (no dropout,
        BatchNormalization's moving statistics). ``verbose`` is accepted and ignored (no
        progress bar)."""
        inputs = _as_tensor(x)
        was_training = self.training
        self.eval()
        try:
            parts = [self.predict_step(inputs[start:stop].to(self.device), i)
                     for i, (start, stop) in enumerate(self._batches(len(inputs), batch_size))]
        finally:
            self.train(was_training)
        if parts and isinstance(parts[0], (list, tuple)):
            return [torch.cat(out).cpu().numpy() for out in zip(*parts)]
        return torch.cat(parts).cpu().numpy()

    @torch.no_grad()
    def evaluate(self, x: Arrays, y: Arrays, batch_size: Optional[int] = None, verbose="auto",
                 return_dict: bool = False):
        """Keras' ``model.evaluate(x, y)``: the loss (penalties included), then the compiled
        metrics, each the batch-size weighted mean over the batches; ``[loss, *metrics]``, the
        loss alone when there are no metrics, or ``{'loss': ..., name: ...}`` with
        ``return_dict``. Evaluation mode; ``verbose`` is accepted and ignored."""
        from .base import _EpochMeans  # the epoch means of fit's logs (base imports this module)

        inputs, targets = _as_tensor(x), _as_tensors(y)
        means = _EpochMeans(self.metric_names)
        was_training = self.training
        self.eval()
        try:
            for start, stop in self._batches(len(inputs), batch_size):
                xb = inputs[start:stop].to(self.device)
                yb = _rows(targets, start, stop)
                yb = tuple(t.to(self.device) for t in yb) if isinstance(yb, tuple) else yb.to(self.device)
                logits = self(xb)
                means.update(self.total_loss(logits, yb), self._metric_values(logits, yb), len(xb))
        finally:
            self.train(was_training)
        logs = means.compute()
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # -- files ----------------------------------------------------------------------------------
    def save(self, path: Union[str, os.PathLike]) -> None:
        """Keras' ``model.save(path)``: class, hyperparameters, weights and History in one file,
        which :func:`load_model` turns back into the model."""
        AtomicCheckpointIO().save_checkpoint(_checkpoint(self, weights_only=False), path)

    def save_weights(self, path: Union[str, os.PathLike]) -> None:
        """Keras' ``model.save_weights(path)``: the weights alone; ``model.load_weights(path)``
        loads them into a model built the same way (seed 004: "Requiere definir el modelo")."""
        AtomicCheckpointIO().save_checkpoint(_checkpoint(self, weights_only=True), path)


def load_model(path: Union[str, os.PathLike]):
    """Keras' ``keras.models.load_model(path)``: the network saved by ``model.save(path)``
    (or a checkpoint ``fit`` wrote), rebuilt from its class and hyperparameters with its
    weights and History, on the CPU."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no model file {path} (write one with model.save(path))")
    checkpoint, reason = _try_load(path)
    if checkpoint is None:
        raise ValueError(f"{path} {reason}")
    hparams = checkpoint.get("hyper_parameters") if isinstance(checkpoint, dict) else None
    if hparams is None or "state_dict" not in checkpoint:
        raise ValueError(f"{path} is not a saved model (model.save(path)); a file of "
                         f"model.save_weights holds only weights: model.load_weights(path)")
    model_class = _class_of(checkpoint.get(CLASS_KEY) or hparams.get("_class_path"))
    if model_class is None:
        raise ValueError(f"{path} does not name an importable network class "
                         f"({checkpoint.get(CLASS_KEY) or hparams.get('_class_path')!r})")
    model = model_class(**{k: v for k, v in hparams.items() if not k.startswith("_")})
    model.load_state_dict(checkpoint["state_dict"])
    model.on_load_checkpoint(checkpoint)  # the History (base.py)
    return model
