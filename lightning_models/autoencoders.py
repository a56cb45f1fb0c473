"""Autoencoders of the catalog (seed 000, problem "Predecirme a mí mismo").

The Keras original is the function of the same id in :mod:`keras_reference.autoencoders`.
"""

from __future__ import annotations

from typing import Optional

from torch import nn

from .base import KerasModule
from .keras_layers import Dense
from .registry import register


@register("apa.autoencoder", grid=[dict(d1=d1, activation=act) for d1 in (8, 16, 32)
                                   for act in ("linear", "sigmoid", "relu")])
class Autoencoder(KerasModule):
    """Seed 000, problem 1: ``Input(64) -> Dense(d1, act) -> Dense(d2, act) -> Dense(d1, act)
    -> Dense(64, act)``, trained with Adam and MSE on digits scaled to [0, 1].

    ``self.encoder`` is the document's ``codificador = keras.Model(entrada, codificar)``: the
    first two layers, sharing their weights with the autoencoder, so ``model.encoder(x)`` gives
    the ``d2``-dimensional codes after (or during) training. The document fixes ``d2=2`` and
    sweeps ``d1`` over powers of 2 and ``activation`` over linear/sigmoid/relu; the project's
    default ``d1=16`` is the document's example "(16,2,16)".
    """

    submodels = ("encoder",)

    def __init__(self, d1: int = 16, d2: int = 2, activation: str = "linear", input_dim: int = 64,
                 optimizer: str = "adam", learning_rate: Optional[float] = None):
        super().__init__(loss="mean_squared_error", optimizer=optimizer,
                         learning_rate=learning_rate, output_activation=activation)
        self.input_shape = (input_dim,)
        self.encoder = nn.Sequential(
            Dense(input_dim, d1, activation=activation),
            Dense(d1, d2, activation=activation),
        )
        self.decoder = nn.Sequential(
            Dense(d2, d1, activation=activation),
            Dense(d1, input_dim),  # its activation is the output activation
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))
