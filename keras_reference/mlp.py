"""Keras originals of the multilayer perceptrons (Lightning versions: lightning_models/mlp.py)."""

from __future__ import annotations

from typing import Optional

import keras

from .registry import optimizer as keras_optimizer
from .registry import register


@register("fp.fashion_mlp")
def fashion_mlp(units: int = 128, num_classes: int = 10, optimizer: str = "adam",
                learning_rate: Optional[float] = None) -> keras.Model:
    """Seed 001, Fashion-MNIST notebook (``input_shape=`` on the first layer, as written there)."""
    model = keras.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(units, activation="relu"),
        keras.layers.Dense(num_classes, activation="softmax"),
    ])
    model.compile(optimizer=keras_optimizer(optimizer, learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
