"""Autoencoders of the catalog (seed 000, problem "Predecirme a mí mismo").

The Keras original is the function of the same id in :mod:`keras_reference.autoencoders`.
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from .base import KerasCompile, KerasModule
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

    The layers are named as their Keras twins: ``hidden1``, ``codificar`` (the document's
    variable holding the code layer, the output of ``codificador``), ``hidden2``, ``output``.
    """

    keras_compile = KerasCompile(loss="mean_squared_error", optimizer="adam")
    submodels = ("encoder",)

    def __init__(self, d1: int = 16, d2: int = 2, activation: str = "linear", input_dim: int = 64,
                 **kwargs):
        super().__init__(**kwargs)
        self.recompile(output_activation=activation)  # the output layer uses act too
        self.input_shape = (input_dim,)
        self.encoder = nn.Sequential(OrderedDict(
            hidden1=Dense(input_dim, d1, activation=activation),
            codificar=Dense(d1, d2, activation=activation),
        ))
        self.decoder = nn.Sequential(OrderedDict(
            hidden2=Dense(d2, d1, activation=activation),
            output=Dense(d1, input_dim),  # its activation is the output activation
        ))

    def forward(self, x):
        return self.decoder(self.encoder(x))


@register("apa.denoising_autoencoder", grid=[dict(activation=act) for act in ("linear", "relu")]
          + [dict(d1=16)])
class DenoisingAutoencoder(Autoencoder):
    """Seed 000, problem 1 c): "the best network of the previous question" trained as a
    denoising autoencoder: corrupted digits in, clean digits as targets.

    The architecture and hyperparameters are those of :class:`Autoencoder`; what makes it
    denoising is the data: a fraction (10 %, 30 %) of each training example's positions replaced
    by U[0, 1] values, then two corrupted copies of the training set concatenated, always with
    the clean digits as targets (the data module's ``targets='inputs'`` with ``clean_inputs``).
    ``model.encoder`` then gives the 2-D codes of the clean data. The defaults, (32, 2, 32) with
    sigmoid activations, are the project's choice of "the best" :class:`Autoencoder`; set
    ``d1``/``activation`` to the best of your own sweep.
    """

    def __init__(self, d1: int = 32, d2: int = 2, activation: str = "sigmoid", input_dim: int = 64,
                 **kwargs):
        super().__init__(d1=d1, d2=d2, activation=activation, input_dim=input_dim, **kwargs)
