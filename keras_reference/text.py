"""Keras originals of the text networks (Lightning versions: lightning_models/text.py)."""

from __future__ import annotations

from typing import Optional

import keras

from datamodules import TWEET_LENGTH

from .registry import keras_optimizer, register


@register("apa.sentiment_embedding_mlp")
def sentiment_embedding_mlp(nwords: int = 500, embedding_size: int = 10,
                            sequence_length: int = TWEET_LENGTH, neurons: int = 128,
                            dense_layers: int = 1, optimizer: Optional[str] = None,
                            learning_rate: Optional[float] = None,
                            optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 000, problem 4 b)-d), the document's Sequential with its names in comments.

    Fixed for Keras 3: ``Embedding(..., input_length=train_x.shape[1])`` is ignored there and
    leaves the model unbuilt, so ``keras.Input(shape=(sequence_length,))`` comes first
    (docs/keras-vs-torch.md s.4, s.12). ``dense_layers`` > 1 adds the Dense layers of problem 4 d) (128, 64,
    32, 16 units) before the Flatten. ``metrics=['accuracy']`` is added to the document's
    ``compile`` because the exercise reports accuracies. Defaults ``embedding_size=10`` and
    ``sequence_length=TWEET_LENGTH`` (36, from :mod:`datamodules`) are the project's choice.
    Layer names (shared with the Lightning version): ``embedding``, ``hidden1``..., ``output``.
    """
    model = keras.Sequential()
    model.add(keras.Input(shape=(sequence_length,)))                 # input_length=train_x.shape[1]
    model.add(keras.layers.Embedding(nwords + 1, embedding_size,     # numwords + 1
                                     name="embedding"))
    nneurons = neurons                                               # 128
    for i in range(1, dense_layers + 1):                             # d): 1 to 4 Dense layers,
        model.add(keras.layers.Dense(nneurons, activation="relu", name=f"hidden{i}"))
        nneurons //= 2                                               # each half the previous
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(1, activation="sigmoid", name="output"))
    model.compile(loss="binary_crossentropy",
                  optimizer=keras_optimizer(optimizer or "adam", learning_rate,
                                            optimizer_options),      # optimizer=Adam()
                  metrics=["accuracy"])
    return model
