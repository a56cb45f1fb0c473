"""Keras originals of the regularisation and evaluation networks (seeds 003 and 004).

Lightning versions: lightning_models/regularization.py (same ids, hyperparameters, defaults).
"""

from __future__ import annotations

from typing import Optional

import keras
from keras import layers, models, regularizers

from .registry import keras_optimizer, register


# --------------------------------------------------------------------------------------------
# Seed 003: the IMDB review classifier, plain, with L2 weight decay and with Dropout
# --------------------------------------------------------------------------------------------
def _imdb_mlp(units: int, input_dim: int, l2: float, dropout: float,
              optimizer: Optional[str], learning_rate: Optional[float],
              optimizer_options: Optional[dict]) -> keras.Model:
    """The document's three IMDB listings in one: ``kernel_regularizer=regularizers.l2(l2)`` on
    the hidden layers when ``l2`` > 0 (section 2.2; 0.0: none), a ``Dropout(dropout)`` after each
    when ``dropout`` is set (section 2.3). ``input_shape=`` on the first layer, as written there.
    Layers named ``hidden1``, ``hidden2``, ``output`` (the document names none)."""
    def penalty():
        return regularizers.l2(l2) if l2 else None

    model = models.Sequential()
    model.add(layers.Dense(units, kernel_regularizer=penalty(), activation="relu",
                           input_shape=(input_dim,), name="hidden1"))
    if dropout:
        model.add(layers.Dropout(dropout))
    model.add(layers.Dense(units, kernel_regularizer=penalty(), activation="relu",
                           name="hidden2"))
    if dropout:
        model.add(layers.Dropout(dropout))
    model.add(layers.Dense(1, activation="sigmoid", name="output"))
    model.compile(optimizer=keras_optimizer(optimizer or "rmsprop", learning_rate,
                                            optimizer_options),
                  loss="binary_crossentropy",
                  metrics=["acc"])
    return model


@register("fp.imdb_mlp")
def imdb_mlp(units: int = 16, input_dim: int = 10000, optimizer: Optional[str] = None,
             learning_rate: Optional[float] = None,
             optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 003, section 1: ``Dense(16, relu) -> Dense(16, relu) -> Dense(1, sigmoid)``."""
    return _imdb_mlp(units, input_dim, l2=0.0, dropout=0.0, optimizer=optimizer,
                     learning_rate=learning_rate, optimizer_options=optimizer_options)


@register("fp.imdb_mlp_l2")
def imdb_mlp_l2(units: int = 16, input_dim: int = 10000, l2: float = 0.001,
                optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
                optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 003, section 2.2: ``kernel_regularizer=regularizers.l2(0.001)`` on both hidden layers."""
    return _imdb_mlp(units, input_dim, l2=l2, dropout=0.0, optimizer=optimizer,
                     learning_rate=learning_rate, optimizer_options=optimizer_options)


@register("fp.imdb_mlp_dropout")
def imdb_mlp_dropout(units: int = 16, input_dim: int = 10000, dropout: float = 0.5,
                     optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
                     optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 003, section 2.3: ``layers.Dropout(0.5)`` after each hidden layer."""
    return _imdb_mlp(units, input_dim, l2=0.0, dropout=dropout, optimizer=optimizer,
                     learning_rate=learning_rate, optimizer_options=optimizer_options)


# --------------------------------------------------------------------------------------------
# Seed 003: Fashion-MNIST with Dropout (TensorBoard section) and the BatchNormalization fragment
# --------------------------------------------------------------------------------------------
@register("fp.fashion_mlp_dropout")
def fashion_mlp_dropout(units: int = 512, num_classes: int = 10, dropout: float = 0.2,
                        optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
                        optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 003, TensorBoard section: the document's ``create_model()`` compiled as ``train_model()``
    does (the TensorBoard callback belongs to ``fit``)."""
    model = keras.models.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(units, activation="relu", name="hidden1"),
        keras.layers.Dropout(dropout),
        keras.layers.Dense(num_classes, activation="softmax", name="output"),
    ])
    model.compile(optimizer=keras_optimizer(optimizer or "adam", learning_rate, optimizer_options),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@register("fp.dense_batchnorm")
def dense_batchnorm(units: int = 32, input_dim: int = 64, num_classes: int = 10,
                    optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
                    optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 003, batch-normalisation section: ``dense_model.add(layers.Dense(32, activation='relu'))``
    then ``dense_model.add(layers.BatchNormalization())``.

    Project's choice (the document shows only those two layers): ``Input(64)`` (the digits) and a
    ``Dense(10, softmax)`` head; adam, sparse categorical cross-entropy, accuracy.
    """
    dense_model = models.Sequential()
    dense_model.add(keras.Input(shape=(input_dim,)))  # project's choice
    dense_model.add(layers.Dense(units, activation="relu", name="hidden1"))
    dense_model.add(layers.BatchNormalization(name="batchnorm1"))
    dense_model.add(layers.Dense(num_classes, activation="softmax",
                                 name="output"))  # project's choice
    dense_model.compile(optimizer=keras_optimizer(optimizer or "adam", learning_rate,
                                                  optimizer_options),
                        loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return dense_model


# --------------------------------------------------------------------------------------------
# Seed 004 (slides): keras.regularizers, Dropout and EarlyStopping
# --------------------------------------------------------------------------------------------
#: The slides' regularisers. ``regularizers.l1_l2`` is the class ``L1L2``: with explicit factors,
#: as the slide writes it, it works in Keras 3; ``l1_l2()`` alone penalises nothing and the
#: string ``'l1_l2'`` raises (docs/keras-vs-torch.md s.7, s.12).
REGULARIZERS = {
    "l2": lambda: regularizers.l2(0.01),
    "l1": lambda: regularizers.l1(0.01),
    "l1_l2": lambda: regularizers.l1_l2(l1=0.01, l2=0.01),
}


@register("slides.regularized_dense")
def regularized_dense(regularizer: str = "l2", units: int = 32, input_dim: int = 64,
                      num_classes: int = 10, optimizer: Optional[str] = None,
                      learning_rate: Optional[float] = None,
                      optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 004, slide "keras.regularizers": ``Dense(32, kernel_regularizer=l2(0.01),
    bias_regularizer=l2(0.01))``, or ``l1(0.01)``, or ``l1_l2(l1=0.01, l2=0.01)``.

    Project's choice (the slide writes ``model.add(...)`` after ``...``): ``Input(64)`` (the
    digits), ``activation='relu'`` on the regularised layer and a ``Dense(10, softmax)`` head;
    adam, sparse categorical cross-entropy, accuracy.
    """
    if regularizer not in REGULARIZERS:
        raise ValueError(f"regularizer must be one of {sorted(REGULARIZERS)}, got {regularizer!r}")
    make = REGULARIZERS[regularizer]
    model = models.Sequential()
    model.add(keras.Input(shape=(input_dim,)))  # project's choice
    model.add(layers.Dense(units, activation="relu",  # relu: project's choice
                           kernel_regularizer=make(), bias_regularizer=make(), name="hidden1"))
    model.add(layers.Dense(num_classes, activation="softmax", name="output"))  # project's choice
    model.compile(optimizer=keras_optimizer(optimizer or "adam", learning_rate, optimizer_options),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@register("slides.dropout_example")
def dropout_example(dropout: float = 0.5, optimizer: Optional[str] = None,
                    learning_rate: Optional[float] = None,
                    optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 004, slide "Keras Dropout", as written there.

    Project's choice (the slide does not compile it): mean squared error with Keras' SGD.
    """
    model = models.Sequential()
    model.add(layers.Dense(6, input_shape=[3], name="hidden1"))
    model.add(layers.Dropout(dropout))
    model.add(layers.Dense(2, name="output"))
    model.compile(optimizer=keras_optimizer(optimizer or "sgd", learning_rate, optimizer_options),
                  loss="mean_squared_error")
    return model


@register("slides.early_stopping")
def early_stopping_mlp(units: int = 32, input_dim: int = 64, num_classes: int = 10,
                       optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
                       optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 004, slide "Parada temprana" (``model = ...`` there).

    Project's choice: ``Input(64) -> Dense(32, relu) -> Dense(10, softmax)``, SGD, sparse
    categorical cross-entropy, accuracy. Fit it as the slide does with
    :func:`document_early_stopping`: ``model.fit(X_train, Y_train, epochs=4000, batch_size=20,
    validation_data=(X_test, Y_test), callbacks=[es])``.
    """
    model = models.Sequential([
        keras.Input(shape=(input_dim,)),
        layers.Dense(units, activation="relu", name="hidden1"),
        layers.Dense(num_classes, activation="softmax", name="output"),
    ])
    model.compile(optimizer=keras_optimizer(optimizer or "sgd", learning_rate, optimizer_options),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def document_early_stopping(**overrides) -> keras.callbacks.EarlyStopping:
    """The slide's ``EarlyStopping(monitor='val_accuracy', patience=30, min_delta=0.0001)``."""
    options = dict(monitor="val_accuracy", patience=30, min_delta=0.0001)
    return keras.callbacks.EarlyStopping(**{**options, **overrides})
