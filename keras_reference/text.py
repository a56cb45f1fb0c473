"""Keras originals of the text networks (Lightning versions: lightning_models/text.py)."""

from __future__ import annotations

from typing import Optional

import keras

from lightning_models.text import TWEET_LENGTH, halving_units

from .registry import optimizer as keras_optimizer
from .registry import register


@register("apa.sentiment_embedding_mlp")
def sentiment_embedding_mlp(nwords: int = 500, embedding_size: int = 10,
                            sequence_length: int = TWEET_LENGTH, neurons: int = 128,
                            dense_layers: int = 1, optimizer: str = "adam",
                            learning_rate: Optional[float] = None) -> keras.Model:
    """Seed 000, problem 4 b)-d), the document's Sequential with its names in comments.

    Fixed for Keras 3: ``Embedding(..., input_length=train_x.shape[1])`` is ignored there and
    leaves the model unbuilt, so ``keras.Input(shape=(sequence_length,))`` comes first
    (PARITY.md s.4, s.12). ``dense_layers`` > 1 adds the Dense layers of problem 4 d) (128, 64,
    32, 16 units) before the Flatten. ``metrics=['accuracy']`` is added to the document's
    ``compile`` because the exercise reports accuracies. Defaults ``embedding_size=10`` and
    ``sequence_length=36`` are the project's choice.
    """
    model = keras.Sequential()
    model.add(keras.Input(shape=(sequence_length,)))                 # input_length=train_x.shape[1]
    model.add(keras.layers.Embedding(nwords + 1, embedding_size))    # numwords + 1
    for units in halving_units(neurons, dense_layers):               # nneurons = 128
        model.add(keras.layers.Dense(units, activation="relu"))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer=keras_optimizer(optimizer, learning_rate),
                  metrics=["accuracy"])                              # optimizer=Adam()
    return model
