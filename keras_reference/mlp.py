"""Keras originals of the multilayer perceptrons (Lightning versions: lightning_models/mlp.py).

Every Dense layer gets a ``name=`` shared with its Lightning twin (the weight transfer pairs
layers by name): the document's own names where it gives them (iris' ``'Oculto'``/``'salida'``,
the variable ``rdim``), otherwise ``hidden1``, ``hidden2``... and ``output`` for the last one.
"""

from __future__ import annotations

from typing import Optional, Sequence

import keras

from .registry import keras_optimizer, register


@register("fp.fashion_mlp")
def fashion_mlp(units: int = 128, num_classes: int = 10, optimizer: Optional[str] = None,
                learning_rate: Optional[float] = None,
                optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 001, Fashion-MNIST notebook (``input_shape=`` on the first layer, as written there)."""
    model = keras.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(units, activation="relu", name="hidden1"),
        keras.layers.Dense(num_classes, activation="softmax", name="output"),
    ])
    model.compile(optimizer=keras_optimizer(optimizer or "adam", learning_rate, optimizer_options),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _sequential_mlp(input_shape: Sequence[int], hidden_units: Sequence[int], activation: str,
                    outputs: int, output_activation: str) -> keras.Model:
    """``Input -> [Flatten] -> Dense(u, activation)... -> Dense(outputs, output_activation)``:
    the plain Sequential MLP of the open-architecture entries (project's choice)."""
    model = keras.Sequential()
    model.add(keras.Input(shape=tuple(input_shape)))
    if len(input_shape) > 1:
        model.add(keras.layers.Flatten())
    for i, units in enumerate(hidden_units, start=1):
        model.add(keras.layers.Dense(units, activation=activation, name=f"hidden{i}"))
    model.add(keras.layers.Dense(outputs, activation=output_activation, name="output"))
    return model


# --------------------------------------------------------------------------------------------
# Seed 000
# --------------------------------------------------------------------------------------------
@register("apa.fashion3_mlp")
def fashion3_mlp(NN1: int = 64, NN2: int = 32, activation: str = "linear",  # noqa: N803
                 optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
                 optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 000, problem 2b, as written (``act``, ``input``, ``model``, ``nn``). ``NN1=64`` and
    ``NN2=32`` are the project's defaults; the document asks to experiment with ``NN2 < NN1``."""
    act = activation
    input = keras.Input(shape=(28, 28))  # noqa: A001  (the document's name)
    model = keras.layers.Flatten()(input)
    model = keras.layers.Dense(NN1, activation=act, name="hidden1")(model)
    model = keras.layers.Dense(NN2, activation=act, name="hidden2")(model)
    model = keras.layers.Dense(3, activation="softmax", name="output")(model)
    nn = keras.Model(input, model)

    nn.compile(optimizer=keras_optimizer(optimizer or "adam", learning_rate,
                                         optimizer_options),  # 'adam'
               loss="sparse_categorical_crossentropy",
               metrics=["accuracy"])
    return nn


@register("apa.fashion3_mlp_2d")
def fashion3_mlp_2d(NN1: int = 64, NN2: int = 32, activation: str = "linear",  # noqa: N803
                    optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
                    optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 000, problem 2c: ``rdim = Dense(2, act)`` inserted between the hidden layers, and the
    document's second model ``ndim = keras.Model(input, rdim)`` (sharing the layers), returned
    as the attribute ``nn.projection``. ``NN1``/``NN2`` defaults: project's choice."""
    act = activation
    input = keras.Input(shape=(28, 28))  # noqa: A001
    model = keras.layers.Flatten()(input)
    model = keras.layers.Dense(NN1, activation=act, name="hidden1")(model)
    rdim = keras.layers.Dense(2, activation=act, name="rdim")(model)
    model = keras.layers.Dense(NN2, activation=act, name="hidden2")(rdim)
    model = keras.layers.Dense(3, activation="softmax", name="output")(model)
    nn = keras.Model(input, model)
    ndim = keras.Model(input, rdim)

    nn.compile(optimizer=keras_optimizer(optimizer or "adam", learning_rate,
                                         optimizer_options),  # 'adam'
               loss="sparse_categorical_crossentropy",
               metrics=["accuracy"])
    nn.projection = ndim
    return nn


@register("apa.olivetti_pca_mlp")
def olivetti_pca_mlp(input_size: int = 10, neurons: int = 50, optimizer: Optional[str] = None,
                     learning_rate: Optional[float] = None,
                     optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 000, "Me quedo con tu cara" b), as written (``INPUT_SIZE`` PCA components,
    ``NEURONS`` hidden units; defaults 10 and 50 are the project's choice). ``SGD()`` and
    ``CategoricalCrossentropy()`` as the document compiles it; the document computes the
    accuracy after training (``predict`` + ``np.argmax``), the project adds
    ``metrics=['accuracy']`` for that same number (training unchanged)."""
    INPUT_SIZE, NEURONS = input_size, neurons  # noqa: N806
    model = keras.Sequential()
    model.add(keras.Input(shape=(INPUT_SIZE,)))
    model.add(keras.layers.Dense(NEURONS, activation="relu", name="hidden1"))
    model.add(keras.layers.Dense(40, activation="softmax", name="output"))

    model.compile(optimizer=keras_optimizer(optimizer or "sgd", learning_rate,
                                            optimizer_options),  # keras.optimizers.SGD()
                  loss=keras.losses.CategoricalCrossentropy(),
                  metrics=["accuracy"])  # project's addition (the document: np.argmax afterwards)
    return model


# --------------------------------------------------------------------------------------------
# Seed 001
# --------------------------------------------------------------------------------------------
@register("fp.shipping_dnn")
def shipping_dnn(optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
                 optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 001, E-commerce shipping notebook, as written (``input_shape=`` on the first layer)."""
    model = keras.Sequential()
    model.add(keras.layers.Dense(128, activation="tanh", input_shape=(18,), name="hidden1"))
    model.add(keras.layers.Dense(320, activation="tanh", name="hidden2"))
    model.add(keras.layers.Dense(512, activation="tanh", name="hidden3"))
    model.add(keras.layers.Dense(320, activation="tanh", name="hidden4"))
    model.add(keras.layers.Dense(128, activation="tanh", name="hidden5"))
    model.add(keras.layers.Dense(1, activation="sigmoid", name="output"))

    model.compile(optimizer=keras_optimizer(optimizer or "adam", learning_rate,
                                            optimizer_options),  # 'Adam'
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


@register("fp.perceptron")
def perceptron(optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
               optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 001, the perceptron with 3 inputs (4 parameters), as written. The document does not
    compile it: ``sgd`` + ``mse`` is the project's choice."""
    model = keras.Sequential([
        keras.layers.Dense(units=1, input_shape=[3], name="output")
    ])
    model.compile(optimizer=keras_optimizer(optimizer or "sgd", learning_rate, optimizer_options),
                  loss="mse")
    return model


@register("fp.dense_pair")
def dense_pair(optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
               optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 001, two Dense layers of 32 on 12 inputs, as written. The document does not compile
    it: ``adam`` + ``mse`` is the project's choice."""
    model = keras.models.Sequential()
    model.add(keras.layers.Dense(32, activation="relu", input_shape=(12,), name="hidden1"))
    model.add(keras.layers.Dense(32, name="output"))
    model.compile(optimizer=keras_optimizer(optimizer or "adam", learning_rate, optimizer_options),
                  loss="mse")
    return model


@register("fp.flatten_binary")
def flatten_binary(optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
                   optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 001, the Flatten example on 12x12 inputs, as written. The document does not compile
    it: ``adam`` + ``binary_crossentropy`` + ``accuracy`` is the project's choice."""
    model = keras.Sequential()
    model.add(keras.layers.Flatten(input_shape=(12, 12)))
    model.add(keras.layers.Dense(64, activation="relu", name="hidden1"))
    model.add(keras.layers.Dense(1, activation="sigmoid", name="output"))
    model.compile(optimizer=keras_optimizer(optimizer or "adam", learning_rate, optimizer_options),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


@register("fp.fruit_mlp")
def fruit_mlp(optimizer: Optional[str] = None, learning_rate: Optional[float] = None,
              optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 001, the four-fruit self-assessment with its blanks filled (Flatten of 28x28, 4
    softmax outputs). Not compiled there: ``adam`` + ``sparse_categorical_crossentropy`` +
    ``accuracy`` (as the unit's Fashion-MNIST notebook) is the project's choice."""
    model = keras.Sequential()
    model.add(keras.layers.Flatten(input_shape=(28, 28)))
    model.add(keras.layers.Dense(128, activation="relu", name="hidden1"))
    model.add(keras.layers.Dense(4, activation="softmax", name="output"))
    model.compile(optimizer=keras_optimizer(optimizer or "adam", learning_rate, optimizer_options),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


# --------------------------------------------------------------------------------------------
# Seed 002
# --------------------------------------------------------------------------------------------
@register("master.mnist_mlp")
def mnist_mlp(hidden_units: Sequence[int] = (256,), optimizer: Optional[str] = None,
              learning_rate: Optional[float] = None,
              optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 002 (described in prose, no listing): 784 inputs, ``Dense(256, relu)``,
    ``Dense(10, softmax)``; ``rmsprop``, ``categorical_crossentropy``, ``accuracy``.
    ``hidden_units`` and ``optimizer`` are exercise 2's "other configurations"."""
    model = keras.Sequential()
    model.add(keras.Input(shape=(784,)))
    for i, units in enumerate(hidden_units, start=1):
        model.add(keras.layers.Dense(units, activation="relu", name=f"hidden{i}"))
    model.add(keras.layers.Dense(10, activation="softmax", name="output"))
    model.compile(optimizer=keras_optimizer(optimizer or "rmsprop", learning_rate,
                                            optimizer_options),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


# --------------------------------------------------------------------------------------------
# Seed 004
# --------------------------------------------------------------------------------------------
def _iris_network(definition: str, output_activation: str) -> keras.Model:
    """The 4-2-3 iris network written in one of the slides' ways (names as in the slides; the
    layers are ``'Oculto'`` and ``'salida'`` in every way, as the slides name them where they
    name them)."""
    Sequential, Model = keras.models.Sequential, keras.models.Model  # noqa: N806
    Input, Dense, Activation = keras.layers.Input, keras.layers.Dense, keras.layers.Activation  # noqa: N806
    if definition == "sequential":        # Keras_IRIS.ipynb
        model = Sequential()
        model.add(Dense(2, input_shape=[4], activation="tanh", name="Oculto"))
        model.add(Dense(3, activation=output_activation, name="salida"))
    elif definition == "activations":     # "Indicando la función de activación por separado"
        model = Sequential()
        model.add(Input(shape=[4]))
        model.add(Dense(2, name="Oculto"))
        model.add(Activation("tanh", name="FunH"))
        model.add(Dense(3, name="salida"))
        model.add(Activation(output_activation, name="FunO"))
    elif definition == "list":            # "Usando una lista"
        model = Sequential([
            Input(shape=[4]),
            Dense(2, activation="tanh", name="Oculto"),
            Dense(3, activation=output_activation, name="salida")])
    elif definition == "list_activations":  # "Usando una lista", activations apart
        model = Sequential([
            Input(shape=[4]),
            Dense(2, name="Oculto"),
            Activation("tanh", name="FunH"),
            Dense(3, name="salida"),
            Activation(output_activation, name="FunO")])
    elif definition == "functional":      # "Funcional"
        I = Input(shape=(4,), name="Entrada")  # noqa: E741
        L = Dense(units=2, activation="tanh", name="Oculto")(I)
        salida = Dense(units=3, activation=output_activation, name="salida")(L)
        model = Model(inputs=I, outputs=salida)
    elif definition == "functional_activations":  # "Funcional", activations apart
        # The slide names the hidden layer 'Oculata' and passes `outputs = salida` for its
        # `Salida`: 'Oculto' as in every other way (the weight transfer pairs by name), Salida.
        I = Input(shape=(4,), name="entrada")  # noqa: E741
        L = Dense(units=2, name="Oculto")(I)
        L = Activation("tanh", name="FunH")(L)
        L = Dense(units=3, name="salida")(L)
        Salida = Activation(output_activation, name="FunO")(L)  # noqa: N806
        model = Model(inputs=I, outputs=Salida)
    elif definition == "layers":          # "Definiendo capas"
        I = Input(shape=(4,), name="entrada")  # noqa: E741
        oculta = Dense(units=2, activation="tanh", name="Oculto")
        salida = Dense(units=3, activation=output_activation, name="salida")
        red = salida(oculta(I))
        model = Model(inputs=I, outputs=red)
    else:
        raise ValueError(f"definition={definition!r}; use one of sequential, activations, list, "
                         "list_activations, functional, functional_activations, layers")
    return model


@register("slides.iris_mlp")
def iris_mlp(output_activation: str = "sigmoid", loss: str = "mse",
             definition: str = "sequential", optimizer: Optional[str] = None,
             learning_rate: Optional[float] = None,
             optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 004, iris: ``Dense(2, tanh) -> Dense(3, sigmoid)`` (19 parameters).

    The three set-ups of the slides: ``compile(optimizer='sgd', loss='mse')`` (default);
    ``SGD(learning_rate=0.1)`` + ``binary_crossentropy``; ``Dense(3, activation='softmax')`` +
    ``SGD(learning_rate=0.1)`` + ``categorical_crossentropy``; always ``metrics=['accuracy']``.
    ``definition`` writes the network as the slides do: ``sequential`` (``model.add``, the
    training slides), ``activations``, ``list``, ``list_activations``, ``functional``,
    ``functional_activations``, ``layers`` (the slides "DEFINICIÓN DE MODELOS", seven ways;
    all have the same 19 parameters).
    """
    model = _iris_network(definition, output_activation)
    model.compile(optimizer=keras_optimizer(optimizer or "sgd", learning_rate, optimizer_options),
                  loss=loss, metrics=["accuracy"])
    return model


@register("slides.optdigits_mlp")
def optdigits_mlp(hidden_units: Sequence[int] = (64,), optimizer: Optional[str] = None,
                  learning_rate: Optional[float] = None,
                  optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 004, optdigits (open): ``Input(64) -> Dense(64, relu) -> Dense(10, softmax)``,
    ``adam``, ``categorical_crossentropy`` on one-hot labels: project's choice."""
    model = _sequential_mlp((64,), hidden_units, "relu", 10, "softmax")
    model.compile(optimizer=keras_optimizer(optimizer or "adam", learning_rate, optimizer_options),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


@register("slides.sonar_mlp")
def sonar_mlp(hidden_units: Sequence[int] = (30,), optimizer: Optional[str] = None,
              learning_rate: Optional[float] = None,
              optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 004, "Roca o mina" (open): ``Input(60) -> Dense(30, relu) -> Dense(1, sigmoid)``,
    ``adam``, ``binary_crossentropy``: project's choice."""
    model = _sequential_mlp((60,), hidden_units, "relu", 1, "sigmoid")
    model.compile(optimizer=keras_optimizer(optimizer or "adam", learning_rate, optimizer_options),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


@register("slides.fashion_mlp")
def slides_fashion_mlp(hidden_units: Sequence[int] = (256, 128), optimizer: Optional[str] = None,
                       learning_rate: Optional[float] = None,
                       optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 004, Fashion MNIST exercise (open): ``Flatten -> Dense(256, relu) -> Dense(128,
    relu) -> Dense(10, softmax)``, ``adam``, ``sparse_categorical_crossentropy``: project's
    choice."""
    model = _sequential_mlp((28, 28), hidden_units, "relu", 10, "softmax")
    model.compile(optimizer=keras_optimizer(optimizer or "adam", learning_rate, optimizer_options),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@register("slides.cifar10_softmax")
def cifar10_softmax(l2: float = 0.0, optimizer: Optional[str] = None,
                    learning_rate: Optional[float] = None,
                    optimizer_options: Optional[dict] = None) -> keras.Model:
    """Seed 004, CIFAR-10 softmax and softmax + L2 notebooks (open): ``Flatten -> Dense(10,
    softmax, kernel_regularizer=L2(l2))`` (0.0: no penalty), ``sgd``,
    ``sparse_categorical_crossentropy``: project's choice."""
    regularizer = keras.regularizers.L2(l2) if l2 else None
    model = keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax", kernel_regularizer=regularizer, name="output"),
    ])
    model.compile(optimizer=keras_optimizer(optimizer or "sgd", learning_rate, optimizer_options),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
