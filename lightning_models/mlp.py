"""Multilayer perceptrons of the catalog (classification MLPs on images and vectors).

Each class carries its catalog id; the Keras original is the function of the same id in
:mod:`keras_reference.mlp`. Most are ``[Flatten] -> Dense ... -> Dense`` stacks built by
:func:`mlp`; every ``forward`` returns logits (the output activation is applied by the loss and
by ``predict``, see :class:`~.base.KerasModule`). Where a document leaves the network or its
training open, the docstring says "project's choice". The layers carry the names of their Keras
twins (the document's names where it gives them, otherwise ``hidden1``..., ``output``), which
the weight transfer pairs them by.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Optional, Sequence

from torch import nn

from .base import KerasCompile, KerasModule
from .keras_layers import Activation, ChannelsFirst, Dense, Flatten, RegularizerSpec
from .registry import register


@register("fp.fashion_mlp")
class FashionMLP(KerasModule):
    """Seed 001 (Fashion-MNIST notebook): ``Flatten(28, 28) -> Dense(128, relu) -> Dense(10, softmax)``.

    Compiled as the document: ``optimizer='Adam'``, ``sparse_categorical_crossentropy``,
    ``metrics=['accuracy']``; trained 5 epochs, batch 32 (configs/fp.fashion_mlp.yaml).
    The document reports 101,770 parameters and test accuracy 0.8724.
    """

    keras_compile = KerasCompile(loss="sparse_categorical_crossentropy", optimizer="adam",
                                 metrics=("accuracy",), output_activation="softmax")
    input_shape = (28, 28)

    def __init__(self, units: int = 128, num_classes: int = 10, **kwargs):
        super().__init__(**kwargs)
        self.net = nn.Sequential(OrderedDict(
            flatten=Flatten(),
            hidden1=Dense(28 * 28, units, activation="relu"),
            output=Dense(units, num_classes),  # softmax: in the loss and in predict
        ))


# ============================================================================================
# Shared building blocks of the MLPs below
# ============================================================================================
def dense_stack(input_shape: Sequence[int], hidden_units: Sequence[int],
                activation: Optional[str], kernel_regularizer: RegularizerSpec = None,
                names: Optional[Sequence[str]] = None) -> tuple["OrderedDict[str, nn.Module]", int]:
    """``[Flatten] -> Dense(u, activation) for u in hidden_units``: the named layers and the last width.

    A ``Flatten`` (Keras' order) is put first when the input is not a vector; a channels-last
    image ``(H, W, C)`` first goes through ``ChannelsFirst``, as in every CNN here, because this
    project's ``Flatten`` reads 4-D tensors as NCHW. Every Dense carries ``kernel_regularizer``.
    The Dense layers are named ``names`` (default ``hidden1``, ``hidden2``...): the names the
    Keras builder gives its layers, which the weight transfer pairs them by.
    """
    names = list(names) if names is not None else [f"hidden{i}" for i in range(1, len(hidden_units) + 1)]
    if len(names) != len(hidden_units):
        raise ValueError(f"{len(hidden_units)} hidden layers need {len(hidden_units)} names, got {names}")
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    if len(input_shape) == 3:
        layers["channels_first"] = ChannelsFirst()
    if len(input_shape) > 1:
        layers["flatten"] = Flatten()
    width = math.prod(input_shape)
    for name, units in zip(names, hidden_units):
        layers[name] = Dense(width, units, activation=activation, kernel_regularizer=kernel_regularizer)
        width = units
    return layers, width


def mlp(input_shape: Sequence[int], hidden_units: Sequence[int], activation: Optional[str],
        outputs: int, kernel_regularizer: RegularizerSpec = None,
        names: Optional[Sequence[str]] = None, output_name: str = "output") -> nn.Sequential:
    """``[Flatten] -> Dense(u, activation)... -> Dense(outputs)``: an MLP returning logits (the
    output activation is the model's ``output_activation``, applied in the loss and predict).
    ``kernel_regularizer`` goes on every Dense, the output one included (as the wages listings).
    Layers are named as in :func:`dense_stack`, the last one ``output_name``."""
    layers, width = dense_stack(input_shape, hidden_units, activation, kernel_regularizer, names)
    layers[output_name] = Dense(width, outputs, kernel_regularizer=kernel_regularizer)
    return nn.Sequential(layers)


# ============================================================================================
# Seed 000, problem 2: Fashion-MNIST, three classes (T-shirt, Pullover, Shirt)
# ============================================================================================
FASHION3_ACTIVATIONS = ("linear", "sigmoid", "relu")
#: (NN1, NN2) pairs the grid tries: "not a large value", with NN2 < NN1 (project's choice).
FASHION3_SIZES = ((64, 32), (128, 64), (32, 16))
FASHION3_GRID = [dict(NN1=nn1, NN2=nn2, activation=act)
                 for nn1, nn2 in FASHION3_SIZES for act in FASHION3_ACTIVATIONS]


@register("apa.fashion3_mlp", grid=FASHION3_GRID)
class Fashion3MLP(KerasModule):
    """Seed 000, problem 2b: ``Input(28, 28) -> Flatten -> Dense(NN1, act) -> Dense(NN2, act)
    -> Dense(3, softmax)``; ``adam``, ``sparse_categorical_crossentropy``, ``accuracy``, with
    the test set as ``validation_data``.

    The exercise sweeps ``activation`` over linear, sigmoid and relu and the hidden sizes with
    ``NN2 < NN1`` ("not a large value"); the defaults ``NN1=64, NN2=32`` are the project's
    choice, ``activation='linear'`` is the document's ``act = 'linear'``.
    """

    keras_compile = KerasCompile(loss="sparse_categorical_crossentropy", optimizer="adam",
                                 metrics=("accuracy",), output_activation="softmax")
    input_shape = (28, 28)

    def __init__(self, NN1: int = 64, NN2: int = 32, activation: str = "linear",  # noqa: N803
                 **kwargs):
        super().__init__(**kwargs)
        self.net = mlp(self.input_shape, (NN1, NN2), activation, 3)


@register("apa.fashion3_mlp_2d", grid=FASHION3_GRID)
class Fashion3MLP2D(KerasModule):
    """Seed 000, problem 2c: apa.fashion3_mlp with ``rdim = Dense(2, act)`` inserted between the
    two hidden layers: ``Flatten -> Dense(NN1, act) -> Dense(2, act) -> Dense(NN2, act) ->
    Dense(3, softmax)``; trained as apa.fashion3_mlp. Layers named ``hidden1``, ``rdim`` (the
    document's variable), ``hidden2``, ``output``: apa.fashion3_mlp's names for the same layers.

    ``self.projection`` is the document's ``ndim = keras.Model(input, rdim)``: the layers up to
    ``rdim``, sharing their weights with the classifier, so ``model.projection(x)`` gives
    the 2-D coordinates of the images (activated) to plot coloured by class. Defaults as
    apa.fashion3_mlp (``NN1=64, NN2=32`` project's choice).
    """

    keras_compile = KerasCompile(loss="sparse_categorical_crossentropy", optimizer="adam",
                                 metrics=("accuracy",), output_activation="softmax")
    input_shape = (28, 28)
    submodels = ("projection",)

    def __init__(self, NN1: int = 64, NN2: int = 32, activation: str = "linear",  # noqa: N803
                 **kwargs):
        super().__init__(**kwargs)
        layers, width = dense_stack(self.input_shape, (NN1, 2), activation,
                                    names=("hidden1", "rdim"))
        self.projection = nn.Sequential(layers)        # ndim = keras.Model(input, rdim)
        self.classifier = mlp((width,), (NN2,), activation, 3, names=("hidden2",))

    def forward(self, x):
        return self.classifier(self.projection(x))


# ============================================================================================
# Seed 000, problem "Me quedo con tu cara": Olivetti faces reduced by PCA
# ============================================================================================
@register("apa.olivetti_pca_mlp", grid=[dict(input_size=k, neurons=n)
                                        for k in (10, 20) for n in (25, 50, 75, 100)])
class OlivettiPCAMLP(KerasModule):
    """Seed 000 (Olivetti faces, part b): ``Input(INPUT_SIZE) -> Dense(NEURONS, relu) ->
    Dense(40, softmax)`` on the first 10 or 20 PCA components of the faces.

    Compiled as the document: ``keras.optimizers.SGD()`` defaults (learning rate 0.01) and
    ``CategoricalCrossentropy()`` on one-hot labels; batch 16, 200 epochs. The document computes
    the train and test accuracy after training, from ``predict`` + ``np.argmax``; the project
    adds ``metrics=['accuracy']`` to report that same number (a metric changes no training
    step). The exercise sweeps ``input_size`` in {10, 20} and ``neurons`` from 25 to 100 in
    steps of 25 (the grid); the defaults 10 and 50 are the project's choice.
    """

    keras_compile = KerasCompile(loss="categorical_crossentropy", optimizer="sgd",
                                 metrics=("accuracy",), output_activation="softmax")

    def __init__(self, input_size: int = 10, neurons: int = 50, **kwargs):
        super().__init__(**kwargs)
        self.input_shape = (input_size,)
        self.net = mlp(self.input_shape, (neurons,), "relu", 40)


# ============================================================================================
# Seed 001: the vocational unit's networks
# ============================================================================================
@register("fp.shipping_dnn")
class ShippingDNN(KerasModule):
    """Seed 001 (E-commerce shipping): ``Input(18) -> Dense(128, tanh) -> Dense(320, tanh) ->
    Dense(512, tanh) -> Dense(320, tanh) -> Dense(128, tanh) -> Dense(1, sigmoid)``.

    Compiled as the document: ``optimizer='Adam'``, ``binary_crossentropy``, ``accuracy``;
    10 epochs, batch 32. The document reports test accuracy 0.6839 and loss 0.5044.
    """

    keras_compile = KerasCompile(loss="binary_crossentropy", optimizer="adam",
                                 metrics=("accuracy",), output_activation="sigmoid")
    input_shape = (18,)
    hidden_units = (128, 320, 512, 320, 128)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.net = mlp(self.input_shape, self.hidden_units, "tanh", 1)


@register("fp.perceptron")
class Perceptron(KerasModule):
    """Seed 001 (the perceptron): ``Dense(units=1, input_shape=[3])``, 3 weights + 1 bias = 4
    parameters, no activation.

    The document never compiles it; ``optimizer='sgd'`` and ``loss='mse'`` (a linear unit fitted
    by least squares) are the project's choice.
    """

    keras_compile = KerasCompile(loss="mean_squared_error", optimizer="sgd")
    input_shape = (3,)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.net = mlp(self.input_shape, (), None, 1)


@register("fp.dense_pair")
class DensePair(KerasModule):
    """Seed 001 (the Dense layer): ``Dense(32, relu, input_shape=(12,)) -> Dense(32)``, 12 inputs
    and two layers of 32 neurons, the second without activation.

    The document never compiles it; ``optimizer='adam'`` and ``loss='mse'`` (32 linear outputs:
    a regression) are the project's choice.
    """

    keras_compile = KerasCompile(loss="mean_squared_error", optimizer="adam")
    input_shape = (12,)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.net = mlp(self.input_shape, (32,), "relu", 32)


@register("fp.flatten_binary")
class FlattenBinary(KerasModule):
    """Seed 001 (the Flatten layer): ``Flatten(input_shape=(12, 12)) -> Dense(64, relu) ->
    Dense(1, sigmoid)``; 144 inputs after flattening.

    The document never compiles it; ``optimizer='adam'``, ``binary_crossentropy`` and
    ``accuracy`` (one sigmoid output: a binary classifier) are the project's choice.
    """

    keras_compile = KerasCompile(loss="binary_crossentropy", optimizer="adam",
                                 metrics=("accuracy",), output_activation="sigmoid")
    input_shape = (12, 12)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.net = mlp(self.input_shape, (64,), "relu", 1)


@register("fp.fruit_mlp")
class FruitMLP(KerasModule):
    """Seed 001 (self-assessment, four fruits): ``Flatten(input_shape=(28, 28)) -> Dense(128,
    relu) -> Dense(4, softmax)``, the blanks filled as the document's hint says.

    The document never compiles it; ``optimizer='adam'``, ``sparse_categorical_crossentropy``
    and ``accuracy`` (as the same unit's Fashion-MNIST notebook) are the project's choice.
    """

    keras_compile = KerasCompile(loss="sparse_categorical_crossentropy", optimizer="adam",
                                 metrics=("accuracy",), output_activation="softmax")
    input_shape = (28, 28)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.net = mlp(self.input_shape, (128,), "relu", 4)


# ============================================================================================
# Seed 002: master's lab 1, MNIST
# ============================================================================================
@register("master.mnist_mlp", grid=[dict(hidden_units=(128,)), dict(hidden_units=(512,)),
                                    dict(hidden_units=(256, 128)), dict(optimizer="adam"),
                                    dict(optimizer="sgd")])
class MnistMLP(KerasModule):
    """Seed 002: ``Input(784) -> Dense(256, relu) -> Dense(10, softmax)`` on flattened MNIST
    scaled to [0, 1]; ``rmsprop``, ``categorical_crossentropy`` on one-hot labels, ``accuracy``;
    10 epochs, batch 128, ``validation_split=0.2``.

    Exercise 2 tries "other configurations": ``hidden_units`` lists the hidden layers (more
    neurons, another hidden layer), ``optimizer`` changes the optimiser; exercise 3 trains the
    same network on Fashion-MNIST (also 784 inputs, 10 classes).
    """

    keras_compile = KerasCompile(loss="categorical_crossentropy", optimizer="rmsprop",
                                 metrics=("accuracy",), output_activation="softmax")
    input_shape = (784,)

    def __init__(self, hidden_units: Sequence[int] = (256,), **kwargs):
        super().__init__(**kwargs)
        self.net = mlp(self.input_shape, tuple(hidden_units), "relu", 10)


# ============================================================================================
# Seed 004: slides on the multilayer perceptron
# ============================================================================================
#: The seven ways seed 004 writes the iris network: ``sequential`` is the training slides'
#: ``model.add(Dense(2, input_shape=[4], activation='tanh'))``; the other six are the slides
#: "DEFINICIÓN DE MODELOS": ``model.add`` with separate activation layers, a list (with
#: activations in the Dense layers, or apart), functional (likewise), layer objects.
IRIS_DEFINITIONS = ("sequential", "activations", "list", "list_activations", "functional",
                    "functional_activations", "layers")
#: The three training set-ups of the slides: (output activation, loss, SGD learning rate).
IRIS_VARIANTS = (
    {},                                                        # Keras_IRIS: sgd, mse
    dict(loss="binary_crossentropy", learning_rate=0.1),       # Keras_IRIS_SGD
    dict(output_activation="softmax", loss="categorical_crossentropy", learning_rate=0.1),
)


@register("slides.iris_mlp", grid=[dict(variant, definition=definition)
                                   for variant in IRIS_VARIANTS for definition in IRIS_DEFINITIONS])
class IrisMLP(KerasModule):
    """Seed 004: ``Input(4) -> Dense(2, tanh) -> Dense(3, sigmoid)``, 10 + 9 = 19 parameters, on
    iris with one-hot (LabelBinarizer) targets; 100 epochs, batch 20, metric ``accuracy``.

    The slides' three set-ups, all with Keras' SGD: ``loss='mse'`` (default);
    ``SGD(learning_rate=0.1)`` + ``binary_crossentropy``; ``softmax`` output +
    ``SGD(learning_rate=0.1)`` + ``categorical_crossentropy``. ``loss`` and ``output_activation``
    are this network's hyperparameters (they change its compile settings), ``learning_rate`` the
    base class' (:class:`~.base.KerasModule`).

    ``definition`` picks how the network is written (same layers, same 19 parameters):
    ``sequential`` (``nn.Sequential`` filled with ``add_module``, like ``model.add``),
    ``activations`` (the same with tanh as a separate :class:`Activation` module, the slides'
    ``FunH``), ``list`` and ``list_activations`` (an ``nn.Sequential`` of named layers, without
    and with ``FunH``), ``functional``, ``functional_activations`` and ``layers`` (layer
    objects called in ``forward``, ``FunH`` apart in the second; torch has a single way to write
    ``functional`` and ``layers``). In every definition the layers are named as the slides name
    them, ``Oculto`` and ``salida`` (the ``functional_activations`` slide writes ``'Oculata'``:
    ``Oculto`` here and in Keras, so weights pair by name across the ways), and the output
    activation (the slides' ``Activation('sigmoid')``, ``FunO``, in the forms with separate
    activations) is the model's ``output_activation``, so ``forward`` returns logits as in every
    network here.
    """

    keras_compile = KerasCompile(loss="mse", optimizer="sgd", metrics=("accuracy",),
                                 output_activation="sigmoid")
    input_shape = (4,)

    def __init__(self, output_activation: str = "sigmoid", loss: str = "mse",
                 definition: str = "sequential", **kwargs):
        super().__init__(**kwargs)
        self.recompile(output_activation=output_activation, loss=loss)
        if definition not in IRIS_DEFINITIONS:
            raise ValueError(f"definition={definition!r}; use one of {IRIS_DEFINITIONS}")
        self.definition = definition
        if definition == "sequential":
            self.net = nn.Sequential()
            self.net.add_module("Oculto", Dense(4, 2, activation="tanh"))
            self.net.add_module("salida", Dense(2, 3))
        elif definition == "activations":
            self.net = nn.Sequential()
            self.net.add_module("Oculto", Dense(4, 2))
            self.net.add_module("FunH", Activation("tanh"))
            self.net.add_module("salida", Dense(2, 3))
        elif definition == "list":
            self.net = nn.Sequential(OrderedDict(Oculto=Dense(4, 2, activation="tanh"),
                                                 salida=Dense(2, 3)))
        elif definition == "list_activations":
            self.net = nn.Sequential(OrderedDict(Oculto=Dense(4, 2), FunH=Activation("tanh"),
                                                 salida=Dense(2, 3)))
        elif definition == "functional_activations":
            self.Oculto = Dense(4, 2)
            self.FunH = Activation("tanh")
            self.salida = Dense(2, 3)
        else:  # functional / layers: the layers are objects applied to the input
            self.Oculto = Dense(4, 2, activation="tanh")
            self.salida = Dense(2, 3)

    def forward(self, x):
        if self.definition in ("functional", "layers"):
            return self.salida(self.Oculto(x))  # red = salida(oculta(I))
        if self.definition == "functional_activations":
            return self.salida(self.FunH(self.Oculto(x)))  # Dense -> Activation -> Dense
        return self.net(x)


@register("slides.optdigits_mlp", grid=[dict(hidden_units=(32,)), dict(hidden_units=(128,))])
class OptdigitsMLP(KerasModule):
    """Seed 004 (handwritten digits, "optdigits" 8x8): an MLP on the 64 pixel counts with 10
    softmax outputs and one-hot targets; the slides compare full-batch with mini-batches of 150.

    The slides leave the network open; ``Input(64) -> Dense(64, relu) -> Dense(10, softmax)``,
    ``adam``, ``categorical_crossentropy``, ``accuracy`` are the project's choice.
    """

    keras_compile = KerasCompile(loss="categorical_crossentropy", optimizer="adam",
                                 metrics=("accuracy",), output_activation="softmax")
    input_shape = (64,)

    def __init__(self, hidden_units: Sequence[int] = (64,), **kwargs):
        super().__init__(**kwargs)
        self.net = mlp(self.input_shape, tuple(hidden_units), "relu", 10)


@register("slides.sonar_mlp")
class SonarMLP(KerasModule):
    """Seed 004 ("Roca o mina"): a binary MLP on the 60 sonar energies, Mine vs Rock, 70/30.

    The slides leave the network open; ``Input(60) -> Dense(30, relu) -> Dense(1, sigmoid)``,
    ``adam``, ``binary_crossentropy``, ``accuracy`` are the project's choice.
    """

    keras_compile = KerasCompile(loss="binary_crossentropy", optimizer="adam",
                                 metrics=("accuracy",), output_activation="sigmoid")
    input_shape = (60,)

    def __init__(self, hidden_units: Sequence[int] = (30,), **kwargs):
        super().__init__(**kwargs)
        self.net = mlp(self.input_shape, tuple(hidden_units), "relu", 1)


@register("slides.fashion_mlp")
class SlidesFashionMLP(KerasModule):
    """Seed 004 (Fashion MNIST: "design and train a network that classifies the 10 garments").

    The slides leave the network open; ``Input(28, 28) -> Flatten -> Dense(256, relu) ->
    Dense(128, relu) -> Dense(10, softmax)``, ``adam``, ``sparse_categorical_crossentropy``,
    ``accuracy`` are the project's choice (two hidden layers, unlike fp.fashion_mlp's one).
    """

    keras_compile = KerasCompile(loss="sparse_categorical_crossentropy", optimizer="adam",
                                 metrics=("accuracy",), output_activation="softmax")
    input_shape = (28, 28)

    def __init__(self, hidden_units: Sequence[int] = (256, 128), **kwargs):
        super().__init__(**kwargs)
        self.net = mlp(self.input_shape, tuple(hidden_units), "relu", 10)


@register("slides.cifar10_softmax", grid=[dict(l2=0.01), dict(l2=0.001)])
class Cifar10Softmax(KerasModule):
    """Seed 004 (CIFAR-10, notebooks ``Keras_CIFAR10_softmax`` and ``..._softmax_L2``): a softmax
    classifier of the 32x32x3 images, and the same with L2 regularisation.

    The slides only name the notebooks; ``Input(32, 32, 3) -> Flatten -> Dense(10, softmax)``
    (multinomial logistic regression on the 3072 pixels) with ``kernel_regularizer=L2(l2)``
    when ``l2`` > 0 (0.0: no penalty; the grid tries 0.01 and 0.001), ``sgd``,
    ``sparse_categorical_crossentropy`` on the integer labels and ``accuracy`` are the
    project's choice.
    """

    keras_compile = KerasCompile(loss="sparse_categorical_crossentropy", optimizer="sgd",
                                 metrics=("accuracy",), output_activation="softmax")
    input_shape = (32, 32, 3)

    def __init__(self, l2: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.net = mlp(self.input_shape, (), None, 10,
                       kernel_regularizer={"l2": l2} if l2 else None)  # ChannelsFirst, Flatten, Dense
