"""Keras originals of the convolutional networks (Lightning versions: lightning_models/cnn.py).

Written in the documents' ``Sequential`` + ``model.add(...)`` style.
"""

from __future__ import annotations

from typing import Optional

import keras
from keras import regularizers

from .registry import keras_optimizer, register

#: Part c: "after the first convolutional layer, more convolutional layers with 16 to 128
#: filters following the powers of 2" (2 to 5 layers in all).
MORE_FILTERS = (16, 32, 64, 128)


def cifar2_model(filters: int = 8, n_conv: int = 1, drop: float = 0.0, l2: float = 0.0,
                 pooling: bool = False, optimizer: Optional[str] = None,
                 learning_rate: Optional[float] = None,
                 optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 000, problem 3: the network of part b, with the convolutions of part c (16, 32, 64,
    128 filters after the first) and the max pooling of part d after every convolution.

    The document writes each variant out; this one builder produces all of them (``n_conv=1``,
    ``pooling=False``, ``l2=0.0`` is part b's listing verbatim). ``l2`` is the factor of the
    penalty on the two hidden Dense layers: part b's ``kernel_regularizer='l2'`` is
    ``l2=0.01`` (Keras' default factor); 0.0 is none. ``metrics=['accuracy']`` is the project's
    choice: the document compiles without metrics but asks for train and test accuracy.
    Layers are named ``conv1``..., ``hidden1``, ``hidden2``, ``output`` (the document names
    none; the Lightning twin uses the same names).
    """
    if not 1 <= n_conv <= 1 + len(MORE_FILTERS):
        raise ValueError(f"n_conv={n_conv}: the exercise uses 1 to {1 + len(MORE_FILTERS)} "
                         f"convolutional layers (filters {filters}, then "
                         f"{', '.join(map(str, MORE_FILTERS))})")
    if isinstance(l2, bool):  # l2=True would be a factor of 1.0, 100 times 'l2'
        raise ValueError("l2 is a penalty factor, not a flag: use 0.01 for Keras' 'l2' and 0.0 for none")
    if l2 == 0.01:
        regularizer = 'l2'                   # part b, as written
    else:
        regularizer = regularizers.l2(l2) if l2 else None

    model = keras.models.Sequential()
    model.add(keras.Input(shape=(32, 32, 3)))
    for i, n_filters in enumerate((filters,) + MORE_FILTERS[:n_conv - 1], start=1):
        model.add(keras.layers.Conv2D(n_filters, (3, 3),
                                      activation='relu', name=f'conv{i}'))
        if pooling:                          # part d
            model.add(keras.layers.MaxPooling2D(pool_size=(2, 2),
                                                strides=(1, 1),
                                                padding='valid'))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dropout(drop))
    model.add(keras.layers.Dense(64, activation='relu',
                                 kernel_regularizer=regularizer, name='hidden1'))
    model.add(keras.layers.Dense(32, activation='relu',
                                 kernel_regularizer=regularizer, name='hidden2'))
    model.add(keras.layers.Dense(1, activation='sigmoid', name='output'))

    model.compile(optimizer=keras_optimizer(optimizer or 'adam', learning_rate, optimizer_options),
                  loss='binary_crossentropy', metrics=['accuracy'])
    return model


@register("apa.cifar2_cnn")
def cifar2_cnn(filters: int = 8, drop: float = 0.0, l2: float = 0.0,
               optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
               optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 000, problem 3b: one Conv2D(filters, (3, 3)), dropout ``drop``, L2 factor ``l2``
    on the hidden Dense layers (the document's ``kernel_regularizer='l2'`` is 0.01)."""
    return cifar2_model(filters, 1, drop, l2, False, optimizer, learning_rate, optimizer_options)


@register("apa.cifar2_deep_cnn")
def cifar2_deep_cnn(n_conv: int = 2, filters: int = 8, drop: float = 0.8, l2: float = 0.01,
                    optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
                    optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 000, problem 3c: ``n_conv`` convolutions (document: 2..5; project's default 2),
    dropout 0.8 + L2 (``kernel_regularizer='l2'``)."""
    return cifar2_model(filters, n_conv, drop, l2, False, optimizer, learning_rate,
                        optimizer_options)


@register("apa.cifar2_pool_cnn")
def cifar2_pool_cnn(n_conv: int = 2, filters: int = 8, drop: float = 0.8, l2: float = 0.01,
                    optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
                    optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 000, problem 3d: as 3c with MaxPooling2D((2, 2), strides (1, 1)) after every
    convolution (project's default ``n_conv=2``)."""
    return cifar2_model(filters, n_conv, drop, l2, True, optimizer, learning_rate,
                        optimizer_options)


@register("apa.olivetti_cnn")
def olivetti_cnn(filters: int = 8, num_classes: int = 40, optimizer: Optional[str] = None,
                 learning_rate: Optional[float] = None,
                 optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 000, "Me quedo con tu cara" c (``filters`` is the document's NEURONS, 1..10;
    project's default 8). The document computes the accuracy after training (``predict`` +
    ``np.argmax``); the project adds ``metrics=['accuracy']`` for that same number (training
    unchanged)."""
    NEURONS = filters
    model = keras.Sequential()
    model.add(keras.Input(shape=(64, 64, 1)))
    model.add(keras.layers.Conv2D(filters=NEURONS, kernel_size=3,
                                  strides=1, activation="relu", name="conv1"))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(num_classes, activation="softmax", name="output"))
    model.compile(optimizer=keras_optimizer(optimizer or "sgd", learning_rate,
                                            optimizer_options),  # keras.optimizers.SGD()
                  loss=keras.losses.CategoricalCrossentropy(), metrics=['accuracy'])
    return model


@register("fp.conv_batchnorm")
def conv_batchnorm(filters: int = 32, num_classes: int = 10, optimizer: Optional[str] = None,
                   learning_rate: Optional[float] = None,
                   optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 003: ``conv_model.add(layers.Conv2D(32, 3, activation='relu'))`` then
    ``conv_model.add(layers.BatchNormalization())``.

    Project's choice around the document's two layers: ``Input(28, 28, 1)`` and the head
    ``Flatten -> Dense(10, softmax)``, compiled as seed 003's Fashion-MNIST model.
    """
    layers = keras.layers
    conv_model = keras.Sequential()
    conv_model.add(keras.Input(shape=(28, 28, 1)))          # project's choice
    conv_model.add(layers.Conv2D(filters, 3, activation='relu', name='conv1'))
    conv_model.add(layers.BatchNormalization(name='batchnorm1'))
    conv_model.add(layers.Flatten())                        # project's choice
    conv_model.add(layers.Dense(num_classes, activation='softmax', name='output'))
    conv_model.compile(optimizer=keras_optimizer(optimizer or "adam", learning_rate,
                                                 optimizer_options),
                       loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    return conv_model
