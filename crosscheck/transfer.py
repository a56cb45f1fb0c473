"""Copy a Keras model's weights into the matching LightningModule (every parity test uses it).

Layers are paired by NAME, shared by construction: each Keras builder names its layers with
``name=`` (the document's own names where it gives them, e.g. iris' ``'Oculto'``/``'salida'``,
otherwise ``hidden1``, ``hidden2``..., ``output``, ``conv1``..., ``embedding``), and the
LightningModule gives its torch layers the same names (attribute names, or the keys of an
``nn.Sequential(OrderedDict(...))``). A torch layer's name is the last part of its module path
(``net.hidden1`` -> ``hidden1``, ``encoder.code`` -> ``code``). So a Lightning class can declare
its layers in the document's order, whatever order Keras lists them in; a name on one side
without its twin on the other, a kind or a shape that differs, is an error naming the layer.

Conversions (docs/keras-vs-torch.md sections 1-5):
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


def keras_weight_layers(model) -> dict:
    """``{name: layer}`` of the Keras layers that own weights, nested models flattened."""
    found: dict = {}
    for layer in model.layers:
        if hasattr(layer, "layers"):  # a nested Model/Sequential
            nested = keras_weight_layers(layer)
        elif layer.weights:
            nested = {layer.name: layer}
        else:
            continue
        for name, sub in nested.items():
            if name in found and found[name] is not sub:
                raise ValueError(f"two Keras layers are named {name!r}: name them apart")
            found[name] = sub
    return found


def torch_weight_layers(module: nn.Module) -> dict:
    """``{name: module}`` of the torch layers that own weights; the name is the last part of the
    module path."""
    found: dict = {}
    for path, sub in module.named_modules():
        if isinstance(sub, TORCH_KINDS):
            name = path.rsplit(".", 1)[-1]
            if name in found and found[name] is not sub:
                raise ValueError(f"two torch layers are named {name!r} ({path}): name them apart")
            found[name] = sub
    return found


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


def layer_pairs(keras_model, torch_module: nn.Module) -> list[tuple[str, object, nn.Module]]:
    """``(name, keras layer, torch layer)`` for every weight layer, in Keras' order."""
    keras_layers = keras_weight_layers(keras_model)
    torch_layers = torch_weight_layers(torch_module)
    only_keras = [n for n in keras_layers if n not in torch_layers]
    only_torch = [n for n in torch_layers if n not in keras_layers]
    if only_keras or only_torch:
        raise ValueError(f"layer names differ: Keras only {only_keras}, torch only {only_torch} "
                         f"(Keras {list(keras_layers)}, torch {list(torch_layers)})")
    covered = {id(p) for layer in torch_layers.values() for p in layer.parameters()}
    uncovered = [n for n, p in torch_module.named_parameters() if id(p) not in covered]
    if uncovered:  # a weight of a kind the transfer does not know would stay random
        raise TypeError(f"torch parameters outside Dense/Conv2D/Embedding/BatchNormalization "
                        f"layers: {uncovered}")
    return [(name, layer, torch_layers[name]) for name, layer in keras_layers.items()]


@torch.no_grad()
def transfer_weights(keras_model, torch_module: nn.Module) -> nn.Module:
    """Copy every weight of ``keras_model`` into ``torch_module`` (in place), layer by name;
    returns it."""
    for name, k_layer, t_layer in layer_pairs(keras_model, torch_module):
        tensors = dict(t_layer.named_parameters(recurse=False))
        tensors.update(dict(t_layer.named_buffers(recurse=False)))
        for key, value in _convert(k_layer, t_layer).items():
            target = tensors[key]
            if tuple(target.shape) != value.shape:
                raise ValueError(f"shape mismatch copying layer {name!r} -> {key}: Keras "
                                 f"{value.shape} vs torch {tuple(target.shape)}")
            target.copy_(torch.from_numpy(np.ascontiguousarray(value)))
    return torch_module
