"""Multilayer perceptrons of the catalog (classification MLPs on images and vectors).

Each class carries its catalog id; the Keras original is the function of the same id in
:mod:`keras_reference.mlp`.
"""

from __future__ import annotations

from typing import Optional

from torch import nn

from .base import KerasModule
from .keras_layers import Dense, Flatten
from .registry import register


@register("fp.fashion_mlp")
class FashionMLP(KerasModule):
    """Seed 001 (Fashion-MNIST notebook): ``Flatten(28, 28) -> Dense(128, relu) -> Dense(10, softmax)``.

    Compiled as the document: ``optimizer='Adam'``, ``sparse_categorical_crossentropy``,
    ``metrics=['accuracy']``; trained 5 epochs, batch 32 (configs/fp.fashion_mlp.yaml).
    The document reports 101,770 parameters and test accuracy 0.8724.
    """

    input_shape = (28, 28)

    def __init__(self, units: int = 128, num_classes: int = 10, optimizer: str = "adam",
                 learning_rate: Optional[float] = None):
        super().__init__(loss="sparse_categorical_crossentropy", optimizer=optimizer,
                         learning_rate=learning_rate, metrics=["accuracy"],
                         output_activation="softmax")
        self.net = nn.Sequential(
            Flatten(),
            Dense(28 * 28, units, activation="relu"),
            Dense(units, num_classes),  # softmax: in the loss and in predict
        )

    def forward(self, x):
        return self.net(x)
