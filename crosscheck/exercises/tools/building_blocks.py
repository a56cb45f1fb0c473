"""The building blocks of seed 001 (fp-building-blocks, L255-576; issue 12, item 7), each checked
against Keras: the table of activations (Sigmoid, Tanh, Step Function, Softplus, ReLU, Softsign,
ELU, Log of Sigmoid, Swish, Sinc, Leaky ReLU, Mish) on a grid of inputs, the table of losses on
random data, and the document's small networks with their parameter counts.

Step and Sinc are drawn by the table but are no Keras activation (``keras.activations.get``
refuses them, as :func:`lightning_models.keras_layers.get_activation` does); Keras'
``leaky_relu`` has slope 0.2 (the table's formula draws 0.1).
"""

from __future__ import annotations

import numpy as np
import torch

import lightning_models  # before keras (import order: datamodules/_import_guard.py)
from lightning_models.keras_layers import get_activation
from lightning_models.keras_losses import compute_loss

from ..runner import Options, exercise_folder
from ..spec import Exercise
from . import register
from ..reports import markdown_table
from .common import write_text

#: Seed 001's activation table: (the table's name, the Keras name tried).
ACTIVATIONS = (("Sigmoid", "sigmoid"), ("Tanh", "tanh"), ("Step Function", "step"),
               ("Softplus", "softplus"), ("ReLU", "relu"), ("Softsign", "softsign"), ("ELU", "elu"),
               ("Log of Sigmoid", "log_sigmoid"), ("Swish", "swish"), ("Swish (silu)", "silu"),
               ("Sinc", "sinc"), ("Leaky ReLU", "leaky_relu"), ("Mish", "mish"))

#: Seed 001's losses: (name, Keras class, the output activation of a network trained with it).
LOSSES = (("binary_crossentropy", "BinaryCrossentropy", "sigmoid"),
          ("categorical_crossentropy", "CategoricalCrossentropy", "softmax"),
          ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", "softmax"),
          ("mean_squared_error", "MeanSquaredError", "linear"),
          ("mean_absolute_percentage_error", "MeanAbsolutePercentageError", "linear"),
          ("mean_squared_logarithmic_error", "MeanSquaredLogarithmicError", "linear"))

NETWORKS = ("fp.perceptron", "fp.dense_pair", "fp.flatten_binary", "fp.fruit_mlp")


def activation_grid() -> np.ndarray:
    """[-30, 30] in 2001 steps (both tails saturate) and the points either side of 0, float32."""
    return np.concatenate([np.linspace(-30, 30, 2001), [-1e-3, 0.0, 1e-3]]).astype(np.float32)


def activation_rows() -> list[tuple]:
    """``(table name, Keras name, max |keras - torch|)``, None for what Keras does not have."""
    import keras

    x = activation_grid()
    rows = []
    for label, name in ACTIVATIONS:
        try:
            keras_fn = keras.activations.get(name)
        except ValueError:
            rows.append((label, name, None, "not a Keras activation"))
            continue
        expected = np.asarray(keras_fn(x))
        got = get_activation(name)(torch.from_numpy(x)).numpy()
        note = "Keras' slope 0.2 (the table draws 0.1)" if name == "leaky_relu" else ""
        rows.append((label, name, float(np.abs(got - expected).max()), note))
    return rows


def loss_data(name: str, seed: int, n: int = 64, classes: int = 4):
    """``(logits, targets)`` for ``name``: binary / one-hot / sparse labels for the
    cross-entropies, positive and negative regression targets (with zeros) for the others."""
    rng = np.random.default_rng(seed)
    if name == "binary_crossentropy":
        return rng.normal(0, 2, (n, 1)).astype(np.float32), rng.integers(0, 2, (n, 1)).astype(np.float32)
    logits = rng.normal(0, 2, (n, classes)).astype(np.float32)
    if name == "categorical_crossentropy":
        return logits, np.eye(classes, dtype=np.float32)[rng.integers(0, classes, n)]
    if name == "sparse_categorical_crossentropy":
        return logits, rng.integers(0, classes, n).astype(np.int64)
    target = rng.normal(1, 2, (n, classes)).astype(np.float32)
    if name == "mean_squared_logarithmic_error":
        target = np.abs(target)
    if name != "mean_absolute_percentage_error":  # MAPE divides by the target (1e9 at a zero)
        target[:3] = 0.0
    return logits, target


def loss_rows(seed: int) -> list[tuple]:
    """``(loss, output activation, Keras value, Lightning value, |difference|)``: Keras' loss
    class on the output layer's outputs (the activation applied to the logits) against
    :func:`~lightning_models.keras_losses.compute_loss` on the logits."""
    import keras

    rows = []
    for name, keras_class, activation in LOSSES:
        logits, target = loss_data(name, seed)
        outputs = np.asarray(keras.activations.get(activation)(logits))
        expected = float(getattr(keras.losses, keras_class)()(target, outputs))
        got = compute_loss(name, torch.from_numpy(logits), torch.from_numpy(target), activation).item()
        rows.append((name, activation, expected, got, abs(got - expected)))
    return rows


def network_rows(seed: int) -> list[tuple]:
    """``(network, Keras parameters, Lightning parameters, forward max |keras - lightning|)``."""
    import keras_reference
    from keras_reference.training import seed_keras

    from ...parity import forward_parity

    rows = []
    for network in NETWORKS:
        seed_keras(seed)
        keras_model, torch_model = keras_reference.build(network), lightning_models.build(network)
        rows.append((network, int(keras_model.count_params()), int(torch_model.count_params()),
                     forward_parity(keras_model, torch_model)))
    return rows


@register("building_blocks")
def building_blocks(exercise: Exercise, options: Options, rows: list[dict]) -> list[str]:
    """``building_blocks.md``: the three tables."""
    seed = (options.seeds or exercise.seeds)[0]
    lines = [f"# {exercise.id}: seed 001's building blocks, Keras against Lightning", "",
             "## Activations", "",
             "`keras.activations.get(name)` against `lightning_models.keras_layers.get_activation(name)` "
             "on 2004 float32 points of [-30, 30] (and +-1e-3, 0):", ""]
    lines += markdown_table(["table", "name", "max abs(keras - torch)", "note"], activation_rows())
    lines += ["", "## Losses", "",
              f"`keras.losses.<Class>()(y_true, outputs)` against `compute_loss(name, logits, y_true, "
              f"activation)` on 64 random rows (seed {seed}; MSE/MSLE targets include zeros):", ""]
    lines += markdown_table(["loss", "output activation", "Keras", "Lightning", "abs(difference)"], loss_rows(seed))
    lines += ["", "## The document's networks", ""]
    lines += markdown_table(["network", "Keras params", "Lightning params", "forward max abs(keras - lightning)"],
                            network_rows(seed))
    write_text(exercise_folder(exercise, options), "building_blocks.md", lines)
    return ["building_blocks.md"]
