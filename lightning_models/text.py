"""Text networks of the catalog: seed 000, problem 4 (airline tweets, sentiment).

The Keras original is the function of the same id in :mod:`keras_reference.text`.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Optional

import torch
from torch import nn

from datamodules import TWEET_LENGTH

from .base import KerasCompile, KerasModule
from .keras_layers import Dense, Embedding, Flatten
from .registry import register


def halving_units(neurons: int, dense_layers: int) -> list[int]:
    """Problem 4 d): the first Dense has ``neurons`` units, each further one half the previous."""
    return [neurons // 2 ** i for i in range(dense_layers)]


@register("apa.sentiment_embedding_mlp",
          grid=[dict(nwords=nwords, embedding_size=size) for nwords in (500, 1500, 3000)
                for size in range(5, 31, 5)]
          + [dict(dense_layers=n) for n in (2, 3, 4)])
class SentimentEmbeddingMLP(KerasModule):
    """Seed 000, problem 4 b)-d): ``Embedding(nwords + 1, embedding_size) -> Dense(128, relu)
    -> Flatten -> Dense(1, sigmoid)`` on tweets as padded sequences of word ids in [0, nwords].

    The Dense layers act on every position's embedding (a Dense on a 3-D tensor works on the
    last axis), then Flatten joins the positions. ``dense_layers`` 1..4 stacks Dense layers of
    128, 64, 32, 16 units before the Flatten (problem 4 d). Compiled with binary cross-entropy
    and Adam (batch 512, at most 50 epochs, EarlyStopping patience 10 and a best checkpoint);
    ``'accuracy'`` is added because the exercise reports accuracies. The document sweeps
    ``nwords`` (500, 1500, 3000) x ``embedding_size`` (5..30 step 5); the defaults
    ``embedding_size=10`` and ``sequence_length=36`` (:data:`datamodules.TWEET_LENGTH`) are the
    project's choice. The layers are named as their Keras twins: ``embedding``, ``hidden1``...,
    ``output``.
    """

    keras_compile = KerasCompile(loss="binary_crossentropy", optimizer="adam",
                                 metrics=("accuracy",), output_activation="sigmoid")

    def __init__(self, nwords: int = 500, embedding_size: int = 10,
                 sequence_length: int = TWEET_LENGTH, neurons: int = 128, dense_layers: int = 1,
                 **kwargs):
        super().__init__(**kwargs)
        self.nwords = nwords
        self.input_shape = (sequence_length,)
        layers: OrderedDict[str, nn.Module] = OrderedDict(
            embedding=Embedding(nwords + 1, embedding_size))
        width = embedding_size
        for i, units in enumerate(halving_units(neurons, dense_layers), start=1):
            layers[f"hidden{i}"] = Dense(width, units, activation="relu")
            width = units
        layers["flatten"] = Flatten()
        layers["output"] = Dense(sequence_length * width, 1)  # sigmoid: loss and predict
        self.net = nn.Sequential(layers)

    def random_input(self, n: int, generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """Word ids in [0, nwords] (0 is the padding), as ``load_sentiment`` returns them."""
        return torch.randint(0, self.nwords + 1, (n, *self.input_shape), generator=generator)
