"""Keras originals of the autoencoders (Lightning versions: lightning_models/autoencoders.py)."""

from __future__ import annotations

from typing import Optional

import keras

from .registry import keras_optimizer, register


@register("apa.autoencoder")
def autoencoder(d1: int = 16, d2: int = 2, activation: str = "linear", input_dim: int = 64,
                optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
                optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 000, problem 1, with the document's Spanish names.

    The document's encoder sub-model ``codificador`` shares the layers; it is returned as the
    attribute ``autocodificador.encoder`` (the document keeps it in a second variable).
    (The document's listing writes ``activation=actuar`` for three layers, a typo for ``act``.)
    Layer names (shared with the Lightning version): ``hidden1``, ``codificar`` (the variable
    that ends up holding the code layer, ``codificador``'s output), ``hidden2``, ``output``.
    """
    act = activation
    entrada = keras.Input(shape=(input_dim,))
    codificar = keras.layers.Dense(d1, activation=act, name="hidden1")(entrada)
    codificar = keras.layers.Dense(d2, activation=act, name="codificar")(codificar)
    decodificar = keras.layers.Dense(d1, activation=act, name="hidden2")(codificar)
    decodificar = keras.layers.Dense(input_dim, activation=act, name="output")(decodificar)

    autocodificador = keras.Model(entrada, decodificar)
    codificador = keras.Model(entrada, codificar)

    autocodificador.compile(optimizer=keras_optimizer(optimizer or "adam", learning_rate,
                                                      optimizer_options),  # Adam()
                            loss=keras.losses.MeanSquaredError())
    autocodificador.encoder = codificador
    return autocodificador


@register("apa.denoising_autoencoder")
def denoising_autoencoder(d1: int = 32, d2: int = 2, activation: str = "sigmoid",
                          input_dim: int = 64, optimizer: Optional[str] = None,
                          learning_rate: Optional[float] = None,
                          optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 000, problem 1 c): the best :func:`autoencoder`, trained on corrupted digits with the
    clean digits as targets. Same network; the defaults (32, 2, 32), sigmoid, are the project's
    choice of "the best" one (the same defaults as the Lightning version)."""
    return autoencoder(d1=d1, d2=d2, activation=activation, input_dim=input_dim,
                       optimizer=optimizer, learning_rate=learning_rate,
                       optimizer_options=optimizer_options)
