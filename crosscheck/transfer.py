"""Copy a Keras model's weights into the matching LightningModule (every parity test uses it).

Layers are matched in order: the Keras layers that own weights (``model.layers`` order, nested
models flattened) against the torch Keras-like layers (:mod:`lightning_models.keras_layers`) in
registration order, which each LightningModule declares in the document's order. Kinds and
shapes are checked, so a mismatch names the layer instead of producing silent garbage.

Conversions (PARITY.md sections 1-5):
- Dense: ``kernel (in, out) -> weight = kernel.T``; a Dense after a Flatten needs nothing more,
  because this project's ``Flatten`` flattens channels-last like Keras.
- Conv2D: ``kernel (kh, kw, in, out) -> weight = kernel.permute(3, 2, 0, 1)``.
- Embedding: same layout. BatchNormalization: gamma, beta, moving mean, moving variance.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from lightning_models.keras_layers import BatchNormalization, Conv2D, Dense, Embedding

TORCH_KINDS = (Dense, Conv2D, Embedding, BatchNormalization)


def keras_weight_layers(model) -> list:
    """Keras layers that own weights, in ``model.layers`` order, nested models flattened."""
    found = []
    for layer in model.layers:
        if hasattr(layer, "layers"):  # a nested Model/Sequential
            found.extend(keras_weight_layers(layer))
        elif layer.weights:
            found.append(layer)
    return found


def torch_weight_layers(module: nn.Module) -> list:
    return [m for m in module.modules() if isinstance(m, TORCH_KINDS)]


def _convert(keras_layer, torch_layer) -> dict[str, np.ndarray]:
    kind = type(keras_layer).__name__
    w = [np.asarray(v) for v in keras_layer.get_weights()]
    if isinstance(torch_layer, Dense) and kind == "Dense":
        out = {"weight": w[0].T}
        if len(w) > 1:
            out["bias"] = w[1]
        return out
    if isinstance(torch_layer, Conv2D) and kind == "Conv2D":
        out = {"weight": w[0].transpose(3, 2, 0, 1)}
        if len(w) > 1:
            out["bias"] = w[1]
        return out
    if isinstance(torch_layer, Embedding) and kind == "Embedding":
        return {"weight": w[0]}
    if isinstance(torch_layer, BatchNormalization) and kind == "BatchNormalization":
        return {"weight": w[0], "bias": w[1], "moving_mean": w[2], "moving_variance": w[3]}
    raise TypeError(f"cannot copy Keras {kind} '{keras_layer.name}' into torch {type(torch_layer).__name__}")


@torch.no_grad()
def transfer_weights(keras_model, torch_module: nn.Module) -> nn.Module:
    """Copy every weight of ``keras_model`` into ``torch_module`` (in place); returns it."""
    keras_layers = keras_weight_layers(keras_model)
    torch_layers = torch_weight_layers(torch_module)
    if len(keras_layers) != len(torch_layers):
        raise ValueError(f"Keras model has {len(keras_layers)} layers with weights "
                         f"({[l.name for l in keras_layers]}), the torch module {len(torch_layers)}")
    for k_layer, t_layer in zip(keras_layers, torch_layers):
        tensors = dict(t_layer.named_parameters(recurse=False))
        tensors.update(dict(t_layer.named_buffers(recurse=False)))
        for name, value in _convert(k_layer, t_layer).items():
            target = tensors[name]
            if tuple(target.shape) != value.shape:
                raise ValueError(f"shape mismatch copying Keras '{k_layer.name}' -> {name}: "
                                 f"{value.shape} vs torch {tuple(target.shape)}")
            target.copy_(torch.from_numpy(np.ascontiguousarray(value)))
    return torch_module
