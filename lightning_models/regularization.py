"""Regularisation and evaluation networks of the catalog (seeds 003 and 004).

Weight penalties (L1, L2, L1+L2), Dropout, BatchNormalization and early stopping, on the
networks the documents use to show them. Each class carries its catalog id; the Keras original
is the function of the same id in :mod:`keras_reference.regularization`.

Keras adds a layer's ``kernel_regularizer``/``bias_regularizer`` penalty to the training loss and
to ``val_loss``; :class:`~.base.KerasModule` does the same with the penalties of the
:mod:`~.keras_layers` layers (``model.regularization_penalty()`` is Keras' ``sum(model.losses)``).
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from .base import KerasCompile, KerasModule
from .callbacks import KerasEarlyStopping
from .keras_layers import BatchNormalization, Dense, Dropout, Flatten
from .registry import register


# --------------------------------------------------------------------------------------------
# Seed 003: the IMDB review classifier, plain, with L2 weight decay and with Dropout
# --------------------------------------------------------------------------------------------
def imdb_net(units: int, input_dim: int, l2: float = 0.0, dropout: float = 0.0) -> nn.Sequential:
    """The one network behind ``fp.imdb_mlp``, ``fp.imdb_mlp_l2`` and ``fp.imdb_mlp_dropout``.

    ``Input(input_dim) -> Dense(units, relu) [-> Dropout] -> Dense(units, relu) [-> Dropout]
    -> Dense(1)`` returning logits (the sigmoid is applied by the model). ``l2`` is the factor
    of ``regularizers.l2(l2)`` on both hidden kernels (0.0: no penalty); ``dropout`` the rate of
    the Dropout after each hidden layer (0: no Dropout layer). Layers are named ``hidden1``,
    ``hidden2``, ``output`` (``dropout1``, ``dropout2``), as in the Keras builder.
    """
    penalty = {"l2": l2} if l2 else None
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    layers["hidden1"] = Dense(input_dim, units, activation="relu", kernel_regularizer=penalty)
    if dropout:
        layers["dropout1"] = Dropout(dropout)
    layers["hidden2"] = Dense(units, units, activation="relu", kernel_regularizer=penalty)
    if dropout:
        layers["dropout2"] = Dropout(dropout)
    layers["output"] = Dense(units, 1)  # sigmoid: in the loss and in predict
    return nn.Sequential(layers)


class _ImdbMLP(KerasModule):
    """What the three IMDB ids share: the network of :func:`imdb_net`, compiled as the document:
    ``optimizer='rmsprop'``, ``loss='binary_crossentropy'``, ``metrics=['acc']`` (so the History
    keys are ``acc`` and ``val_acc``, as in the document's output).

    It has no ``__init__``: each id builds ``self.net`` from its own arguments, so its saved
    hyperparameters (``model.hparams``) are exactly those and ``load_from_checkpoint`` rebuilds
    it (an ``__init__`` here would add ``l2`` and ``dropout`` to every id's).
    """

    keras_compile = KerasCompile(loss="binary_crossentropy", optimizer="rmsprop",
                                 metrics=("acc",), output_activation="sigmoid")


@register("fp.imdb_mlp")
class ImdbMLP(_ImdbMLP):
    """Seed 003, section 1 (IMDB reviews as 10,000-word multi-hot vectors):
    ``Dense(16, relu) -> Dense(16, relu) -> Dense(1, sigmoid)``; rmsprop, binary cross-entropy,
    ``metrics=['acc']``. Trained 20 epochs, batch 512, on 15,000 reviews with the first 10,000 as
    validation: ``val_acc`` peaks about 0.891 at epoch 4 and overfits afterwards.
    """

    def __init__(self, units: int = 16, input_dim: int = 10000, **kwargs):
        super().__init__(**kwargs)
        self.input_shape = (input_dim,)
        self.net = imdb_net(units, input_dim)


@register("fp.imdb_mlp_l2")
class ImdbMLPL2(_ImdbMLP):
    """Seed 003, section 2.2 (weight decay): :class:`ImdbMLP` with
    ``kernel_regularizer=regularizers.l2(0.001)`` on both hidden layers; the penalty
    ``l2 * sum(w**2)`` is added to ``loss`` and ``val_loss`` as Keras does.
    """

    def __init__(self, units: int = 16, input_dim: int = 10000, l2: float = 0.001, **kwargs):
        super().__init__(**kwargs)
        self.input_shape = (input_dim,)
        self.net = imdb_net(units, input_dim, l2=l2)


@register("fp.imdb_mlp_dropout", grid=[dict(dropout=0.2)])
class ImdbMLPDropout(_ImdbMLP):
    """Seed 003, section 2.3 (Dropout): :class:`ImdbMLP` with ``Dropout(0.5)`` after each hidden
    layer. The document says the rate "usually lies between 0.2 and 0.5"; the grid has both.
    """

    def __init__(self, units: int = 16, input_dim: int = 10000, dropout: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.input_shape = (input_dim,)
        self.net = imdb_net(units, input_dim, dropout=dropout)


# --------------------------------------------------------------------------------------------
# Seed 003: Fashion-MNIST with Dropout (TensorBoard section) and the BatchNormalization fragment
# --------------------------------------------------------------------------------------------
@register("fp.fashion_mlp_dropout", grid=[dict(dropout=0.5)])
class FashionMLPDropout(KerasModule):
    """Seed 003, TensorBoard section (``create_model``): ``Flatten(28, 28) -> Dense(512, relu)
    -> Dropout(0.2) -> Dense(10, softmax)``; adam, sparse categorical cross-entropy, accuracy;
    5 epochs validated on the test set (epoch 5 ``val_accuracy`` about 0.878). The grid adds the
    other end of the document's "0.2 to 0.5" range of Dropout rates.
    """

    keras_compile = KerasCompile(loss="sparse_categorical_crossentropy", optimizer="adam",
                                 metrics=("accuracy",), output_activation="softmax")
    input_shape = (28, 28)

    def __init__(self, units: int = 512, num_classes: int = 10, dropout: float = 0.2, **kwargs):
        super().__init__(**kwargs)
        self.net = nn.Sequential(OrderedDict(
            flatten=Flatten(),
            hidden1=Dense(28 * 28, units, activation="relu"),
            dropout=Dropout(dropout),
            output=Dense(units, num_classes),  # softmax: in the loss and in predict
        ))


@register("fp.dense_batchnorm")
class DenseBatchNorm(KerasModule):
    """Seed 003, batch-normalisation section: the fragment
    ``Dense(32, relu) -> BatchNormalization()``.

    Project's choice (the document shows only those two layers): the 64 pixels of the digits as
    input and a ``Dense(10, softmax)`` head; adam, sparse categorical cross-entropy, accuracy.
    :class:`~.keras_layers.BatchNormalization` updates its moving statistics as Keras does
    (momentum 0.99, epsilon 1e-3, biased batch variance); Keras' ``count_params()`` adds the
    2 x 32 moving statistics to this module's parameters.
    """

    keras_compile = KerasCompile(loss="sparse_categorical_crossentropy", optimizer="adam",
                                 metrics=("accuracy",), output_activation="softmax")

    def __init__(self, units: int = 32, input_dim: int = 64, num_classes: int = 10, **kwargs):
        super().__init__(**kwargs)
        self.input_shape = (input_dim,)
        self.net = nn.Sequential(OrderedDict(
            hidden1=Dense(input_dim, units, activation="relu"),
            batchnorm1=BatchNormalization(units),
            output=Dense(units, num_classes),  # project's head; softmax in the loss and in predict
        ))


# --------------------------------------------------------------------------------------------
# Seed 004 (slides): keras.regularizers, Dropout and EarlyStopping
# --------------------------------------------------------------------------------------------
#: The slides' three regularisers, each on kernel AND bias. ``'l1_l2'`` is the slides'
#: ``l1_l2(l1=0.01, l2=0.01)`` (Keras 3 rejects the string 'l1_l2'; docs/keras-vs-torch.md s.7, s.12).
REGULARIZERS = {
    "l2": {"l2": 0.01},
    "l1": {"l1": 0.01},
    "l1_l2": {"l1": 0.01, "l2": 0.01},
}


def _regularizer(name: str) -> dict:
    if name not in REGULARIZERS:
        raise ValueError(f"regularizer must be one of {sorted(REGULARIZERS)}, got {name!r}")
    return REGULARIZERS[name]


@register("slides.regularized_dense", grid=[dict(regularizer="l1"), dict(regularizer="l1_l2")])
class RegularizedDense(KerasModule):
    """Seed 004, slide "keras.regularizers": ``Dense(32, kernel_regularizer=r,
    bias_regularizer=r)`` with ``r`` = ``l2(0.01)`` (default), ``l1(0.01)`` or
    ``l1_l2(l1=0.01, l2=0.01)`` (hyperparameter ``regularizer``: 'l2', 'l1', 'l1_l2').

    Project's choice (the slide shows the layer alone): the 64 pixels of the digits as input, a
    ReLU on the regularised layer and a ``Dense(10, softmax)`` head; adam, sparse categorical
    cross-entropy, accuracy. The training loss is the data loss + ``regularization_penalty()``.
    """

    keras_compile = KerasCompile(loss="sparse_categorical_crossentropy", optimizer="adam",
                                 metrics=("accuracy",), output_activation="softmax")

    def __init__(self, regularizer: str = "l2", units: int = 32, input_dim: int = 64,
                 num_classes: int = 10, **kwargs):
        super().__init__(**kwargs)
        self.input_shape = (input_dim,)
        penalty = _regularizer(regularizer)
        self.net = nn.Sequential(OrderedDict(
            hidden1=Dense(input_dim, units, activation="relu", kernel_regularizer=penalty,
                          bias_regularizer=penalty),
            output=Dense(units, num_classes),  # project's head; softmax in the loss and in predict
        ))


@register("slides.dropout_example")
class DropoutExample(KerasModule):
    """Seed 004, slide "Keras Dropout": ``Dense(6, input_shape=[3]) -> Dropout(0.5) -> Dense(2)``
    ("50% of the inputs will be zeroed").

    Project's choice (the slide does not compile it): linear outputs, so mean squared error with
    Keras' SGD. Layers as the slide writes them, without activations.
    """

    keras_compile = KerasCompile(loss="mean_squared_error", optimizer="sgd",
                                 output_activation="linear")
    input_shape = (3,)

    def __init__(self, dropout: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.net = nn.Sequential(OrderedDict(
            hidden1=Dense(3, 6),
            dropout=Dropout(dropout),
            output=Dense(6, 2),
        ))


@register("slides.early_stopping")
class EarlyStoppingMLP(KerasModule):
    """Seed 004, slide "Parada temprana": the digits MLP trained with
    ``EarlyStopping(monitor='val_accuracy', patience=30, min_delta=0.0001)``, up to 4000 epochs,
    batch 20, validated on the test set; the slide prints ``es.stopped_epoch``.

    Project's choice (the slide writes ``model = ...``): ``Input(64) -> Dense(32, relu) ->
    Dense(10, softmax)``, Keras' SGD (learning rate 0.01), sparse categorical cross-entropy,
    accuracy. :func:`document_early_stopping` gives the slide's callback.
    """

    keras_compile = KerasCompile(loss="sparse_categorical_crossentropy", optimizer="sgd",
                                 metrics=("accuracy",), output_activation="softmax")

    def __init__(self, units: int = 32, input_dim: int = 64, num_classes: int = 10, **kwargs):
        super().__init__(**kwargs)
        self.input_shape = (input_dim,)
        self.net = nn.Sequential(OrderedDict(
            hidden1=Dense(input_dim, units, activation="relu"),
            output=Dense(units, num_classes),  # softmax: in the loss and in predict
        ))


def document_early_stopping(**overrides) -> KerasEarlyStopping:
    """The slide's ``EarlyStopping(monitor='val_accuracy', patience=30, min_delta=0.0001)``."""
    options = dict(monitor="val_accuracy", patience=30, min_delta=0.0001)
    return KerasEarlyStopping(**{**options, **overrides})
