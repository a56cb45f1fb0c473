"""Keras originals of the regression networks and small MLPs of seed 000 (Lightning versions:
lightning_models/regression.py): wages (individual problem 2), NASDAQ (individual problem 3),
the Keras guide (3.1).

``apa.nasdaq_logreg`` is a scikit-learn model, the same in both frameworks: it has no Keras
builder (see lightning_models/regression.py). The input sizes of the data sets come from
:mod:`datamodules` (``WAGES_FEATURES``, ``NASDAQ_FEATURES``).
"""

from __future__ import annotations

from typing import Optional, Sequence

import keras
import tensorflow as tf

from datamodules import NASDAQ_FEATURES, WAGES_FEATURES

from .registry import keras_optimizer, register


# ------------------------------------------------------------------------------------------
# Problem 2, "Ajuste de salario"
# ------------------------------------------------------------------------------------------
@register("apa.wages_linear")
def wages_linear(input_dim: int = WAGES_FEATURES, optimizer: Optional[str] = None,
                 learning_rate: Optional[float] = None,
                 optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 000, individual problem 2 b): ridge regression as a one-unit Dense layer.

    Fixed for Keras 3: ``keras.Input(shape=(X_train.shape[1]))`` -> ``shape=(input_dim,)`` and
    ``metrics='mean_squared_error'`` -> ``['mean_squared_error']`` (docs/keras-vs-torch.md s.12).
    ``input_dim`` defaults to the project's choice of 10 wage predictors.
    """
    model = keras.Sequential()
    model.add(keras.Input(shape=(input_dim,)))
    model.add(keras.layers.Dense(1, activation="linear",
                                 kernel_regularizer="l2", name="output"))
    model.compile(loss="mean_squared_error",
                  optimizer=keras_optimizer(optimizer or "adam", learning_rate, optimizer_options),
                  metrics=["mean_squared_error"])
    return model


@register("apa.wages_mlp")
def wages_mlp(neurons: int = 64, input_dim: int = WAGES_FEATURES, optimizer: Optional[str] = None,
              learning_rate: Optional[float] = None,
              optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 000, individual problem 2 b): two ReLU layers (n, n//2) and a linear output, all with L2.

    The document's listing stops before ``compile``; "the same training as the previous model"
    is compiled here as :func:`wages_linear`. ``neurons`` 32..1024; default 64 (project's choice).
    """
    model = keras.Sequential()
    model.add(keras.Input(shape=(input_dim,)))
    model.add(keras.layers.Dense(neurons, activation="relu",
                                 kernel_regularizer="l2", name="hidden1"))
    model.add(keras.layers.Dense(neurons // 2, activation="relu",
                                 kernel_regularizer="l2", name="hidden2"))
    model.add(keras.layers.Dense(1, activation="linear",
                                 kernel_regularizer="l2", name="output"))
    model.compile(loss="mean_squared_error",
                  optimizer=keras_optimizer(optimizer or "adam", learning_rate, optimizer_options),
                  metrics=["mean_squared_error"])
    return model


def nllike(y, y_hat):
    """The document's Gaussian negative log-likelihood: ``y_hat`` = [mean, log-variance].

    Keras passes the targets of a custom loss as given: ``y`` must be a column ``(N, 1)``; a
    1-D ``y`` broadcasts ``mean - y`` to ``(N, N)`` (the document does not say which it uses).
    """
    mean, logvar = tf.split(y_hat, 2, -1)
    square = tf.square(mean - y)
    sigsq = tf.add(tf.exp(logvar), 1e-3)
    ms = tf.add(tf.divide(square, sigsq), logvar)
    return tf.reduce_mean(ms)


def mean_mse(y, y_hat):
    """The metric ``mean_mse`` (project's addition): per sample, the squared error of the
    predicted mean ``y_hat[:, 0]``, the "error cuadrático" problem 2 c) computes after training.
    Per-sample values, so Keras' epoch mean weighs every example alike; ``y`` as ``(N,)`` or
    ``(N, 1)``."""
    mean = y_hat[:, :1]
    y = tf.reshape(tf.cast(y, y_hat.dtype), (-1, 1))
    return tf.reduce_mean(tf.square(mean - y), axis=-1)


@register("apa.wages_gaussian_nll")
def wages_gaussian_nll(neurons: int = 64, input_dim: int = WAGES_FEATURES,
                       optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
                       optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 000, individual problem 2 c): shared layer, a mean branch and a log-variance branch.

    Fixed for Keras 3: ``shape=(input_dim,)`` and ``metrics=[nllike]`` (a bare function raises,
    like a bare string; docs/keras-vs-torch.md s.12). The two branches are also returned as sub-models
    ``model.mean = keras.Model(input, output1)`` and ``model.log_variance = keras.Model(input,
    output2)`` (the document reads them as ``model.predict(X)[:, 0]`` and ``[:, 1]``). The
    document computes the MSE of the predicted mean after training; the project adds it as the
    metric :func:`mean_mse` (training unchanged).
    Layers are named by the document's variables: ``net``, ``output1``, ``output2``, and each
    branch's hidden layer ``output1_hidden1``/``output2_hidden1``.
    """
    input = keras.Input(shape=(input_dim,))
    net = keras.layers.Dense(neurons, activation='relu',
                             kernel_regularizer='l2', name='net')(input)
    output1 = keras.layers.Dense(neurons // 2, activation='relu',
                                 kernel_regularizer='l2', name='output1_hidden1')(net)
    output1 = keras.layers.Dense(1, activation="linear",
                                 kernel_regularizer='l2', name='output1')(output1)
    output2 = keras.layers.Dense(neurons // 2, activation='relu',
                                 kernel_regularizer='l2', name='output2_hidden1')(net)
    output2 = keras.layers.Dense(1, activation='linear',
                                 kernel_regularizer='l2', name='output2')(output2)
    cout = keras.layers.Concatenate(axis=-1)([output1, output2])
    model = keras.Model(inputs=input, outputs=cout)

    model.compile(loss=nllike,
                  optimizer=keras_optimizer(optimizer or "adam", learning_rate,
                                            optimizer_options),  # Adam()
                  metrics=[nllike, mean_mse])  # mean_mse: project's addition
    model.mean = keras.Model(input, output1)
    model.log_variance = keras.Model(input, output2)
    return model


# ------------------------------------------------------------------------------------------
# Problem 3, "Perder hasta la camisa"
# ------------------------------------------------------------------------------------------
@register("apa.nasdaq_mlp")
def nasdaq_mlp(hidden_units: Sequence[int] = (64,), activation: str = "relu", l2: float = 0.0,
               input_dim: int = NASDAQ_FEATURES, optimizer: Optional[str] = None,
               learning_rate: Optional[float] = None,
               optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 000, individual problem 3 c): the document leaves the MLP open (Bayesian search over its
    hyperparameters); this one is the project's choice: ``Dense(h, activation)`` per entry of
    ``hidden_units``, then ``Dense(1, sigmoid)``, every kernel with ``L2(l2)`` (0.0: none);
    binary cross-entropy, Adam, accuracy. 45 inputs = 3-day windows x 15 variables.
    """
    regularizer = keras.regularizers.L2(l2) if l2 else None
    model = keras.Sequential()
    model.add(keras.Input(shape=(input_dim,)))
    for i, units in enumerate(hidden_units, start=1):
        model.add(keras.layers.Dense(units, activation=activation, kernel_regularizer=regularizer,
                                     name=f"hidden{i}"))
    model.add(keras.layers.Dense(1, activation="sigmoid", kernel_regularizer=regularizer,
                                 name="output"))
    model.compile(loss="binary_crossentropy",
                  optimizer=keras_optimizer(optimizer or "adam", learning_rate, optimizer_options),
                  metrics=["accuracy"])
    return model


# ------------------------------------------------------------------------------------------
# Chapter 3.1, the Keras guide
# ------------------------------------------------------------------------------------------
@register("apa.guide_mlp")
def guide_mlp(input_dim: int = 256, optimizer: Optional[str] = None,
              learning_rate: Optional[float] = None,
              optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 000, chapter 3.1, the Sequential example (``shape=(256)`` -> ``(256,)`` for Keras 3).

    The guide's compile example uses ``'sparse_categorical_crossentropy'``; for two linear
    outputs the project's choice is ``loss='mse'`` with ``optimizer='adam'``.
    """
    model = keras.Sequential()
    model.add(keras.Input(shape=(input_dim,)))
    model.add(keras.layers.Dense(128, activation='relu', name='hidden1'))
    model.add(keras.layers.Dense(16, activation='relu', name='hidden2'))
    model.add(keras.layers.Dense(2, activation='linear', name='output'))
    model.compile(loss="mse",
                  optimizer=keras_optimizer(optimizer or "adam", learning_rate, optimizer_options))
    return model


@register("apa.guide_two_branch")
def guide_two_branch(input_dim: int = 256, optimizer: Optional[str] = None,
                     learning_rate: Optional[float] = None,
                     optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 000, chapter 3.1, the functional example with two outputs.

    Fixed for Keras 3: ``shape=(256,)`` and ``keras.Model(inputs=input, outputs=[...])`` (the
    guide's ``input=``/``output=`` raise). The guide does not compile it; the project's choice is
    ``loss='mse'``, ``optimizer='adam'`` (Keras sums the two outputs' MSE). The branches are also
    sub-models ``model.branch1`` (``rama1`` -> ``output1``) and ``model.branch2``. Layers are
    named by the guide's variables: ``output1``, ``output2``, and ``rama1_hidden1``,
    ``rama1_hidden2``, ``rama2_hidden1``, ``rama2_hidden2`` for the two layers each ``rama`` holds.
    """
    input = keras.Input(shape=(input_dim,))
    rama1 = keras.layers.Dense(128, activation='relu', name='rama1_hidden1')(input)
    rama1 = keras.layers.Dense(64, activation='relu', name='rama1_hidden2')(rama1)
    output1 = keras.layers.Dense(1, activation='linear', name='output1')(rama1)
    rama2 = keras.layers.Dense(64, activation='relu', name='rama2_hidden1')(input)
    rama2 = keras.layers.Dense(32, activation='relu', name='rama2_hidden2')(rama2)
    output2 = keras.layers.Dense(1, activation='tanh', name='output2')(rama2)

    model = keras.Model(inputs=input, outputs=[output1, output2])
    model.compile(loss="mse",
                  optimizer=keras_optimizer(optimizer or "adam", learning_rate, optimizer_options))
    model.branch1 = keras.Model(input, output1)
    model.branch2 = keras.Model(input, output2)
    return model
