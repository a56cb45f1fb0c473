"""Regression networks and small MLPs of seed 000: wages (individual problem 2), NASDAQ
(individual problem 3) and the two examples of the Keras guide (chapter 3.1).

The Keras original of each class is the function of the same catalog id in
:mod:`keras_reference.regression`:

- ``apa.wages_linear``: least squares with L2 (ridge) as a one-unit Dense layer;
- ``apa.wages_mlp``: ``Dense(n) -> Dense(n//2) -> Dense(1)``, ReLU and L2 everywhere;
- ``apa.wages_gaussian_nll``: one shared layer and two branches predicting the mean and the
  log-variance of a Gaussian, trained on its negative log-likelihood (:func:`nllike`);
- ``apa.nasdaq_mlp``: the MLP on NASDAQ windows (architecture open in the document);
- ``apa.guide_mlp`` and ``apa.guide_two_branch``: the guide's Sequential and functional examples;
- ``apa.nasdaq_logreg`` stays a scikit-learn ``LogisticRegression`` (:func:`nasdaq_logreg`,
  listed in :data:`SKLEARN_MODELS`, not in the LightningModule registry).
"""

from __future__ import annotations

from typing import Sequence, Union

import torch

from datamodules import NASDAQ_FEATURES, WAGES_FEATURES

from .base import KerasCompile, KerasModule
from .keras_layers import Dense, get_activation
from .keras_losses import compute_loss
from .mlp import mlp
from .registry import register

#: The guide's input size, ``keras.Input(shape=(256))``.
GUIDE_FEATURES = 256


# ------------------------------------------------------------------------------------------
# Problem 2, "Ajuste de salario": wages
# ------------------------------------------------------------------------------------------
@register("apa.wages_linear")
class WagesLinear(KerasModule):
    """Seed 000, individual problem 2 b): ``Input(d) -> Dense(1, linear, kernel_regularizer='l2')``.

    Ridge regression as a one-layer perceptron, compiled as the document: Adam, MSE and the
    metric ``'mean_squared_error'``; trained with batch 64 for 150 epochs. ``input_dim``
    defaults to :data:`datamodules.WAGES_FEATURES` (project's choice; the document writes
    ``X_train.shape[1]``).
    """

    keras_compile = KerasCompile(loss="mean_squared_error", optimizer="adam",
                                 metrics=("mean_squared_error",))

    def __init__(self, input_dim: int = WAGES_FEATURES, **kwargs):
        super().__init__(**kwargs)
        self.input_shape = (input_dim,)
        self.net = mlp((input_dim,), (), None, 1, kernel_regularizer="l2")


@register("apa.wages_mlp", grid=[dict(neurons=2 ** k) for k in range(5, 11)])
class WagesMLP(KerasModule):
    """Seed 000, individual problem 2 b): ``Dense(n, relu) -> Dense(n//2, relu) -> Dense(1, linear)``,
    every layer with ``kernel_regularizer='l2'``; trained like :class:`WagesLinear`.

    The document sweeps ``neurons`` over the powers of 2 from 32 to 1024 (the grid); the
    default 64 is the project's choice.
    """

    keras_compile = KerasCompile(loss="mean_squared_error", optimizer="adam",
                                 metrics=("mean_squared_error",))

    def __init__(self, neurons: int = 64, input_dim: int = WAGES_FEATURES, **kwargs):
        super().__init__(**kwargs)
        self.input_shape = (input_dim,)
        self.net = mlp((input_dim,), (neurons, neurons // 2), "relu", 1, kernel_regularizer="l2")


def nllike(y_hat: torch.Tensor, y: torch.Tensor, per_sample: bool = False) -> torch.Tensor:
    """The document's ``nllike(y, y_hat)``: the Gaussian negative log-likelihood (up to
    constants) of ``y`` under mean ``y_hat[:, 0]`` and log-variance ``y_hat[:, 1]``::

        mean((mean - y)^2 / (exp(logvar) + 1e-3) + logvar)

    ``y`` of shape ``(N,)`` is taken as the column ``(N, 1)``. Keras does NOT reshape targets
    for a custom loss, so there the document's function with a 1-D ``y`` broadcasts
    ``mean - y`` to ``(N, N)`` (mean over all pairs): give Keras the targets as a column.
    ``per_sample=True`` returns the ``(N,)`` terms (the metric's epoch means are built from them;
    Keras averages the metric per batch, which differs only when the last batch is partial).
    Note the argument order (``y_hat`` first) of the torch losses here, unlike Keras' ``(y, y_hat)``.
    """
    mean, logvar = torch.split(y_hat, 1, dim=-1)
    if y.dim() == mean.dim() - 1:
        y = y.unsqueeze(-1)
    terms = (mean - y.to(mean.dtype)).square() / (logvar.exp() + 1e-3) + logvar
    return terms.mean(-1) if per_sample else terms.mean()


def nllike_per_sample(outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The metric ``nllike``: the ``(N,)`` terms of :func:`nllike`, as every per-sample metric."""
    return nllike(outputs, target, per_sample=True)


def mean_mse(outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The metric ``mean_mse`` (project's addition): per sample, the squared error of the
    predicted mean ``outputs[:, 0]``; its mean over a split is the "error cuadrático" that
    problem 2 c) asks for after training ("el primer valor es el que corresponde a la variable
    objetivo"). Same function as ``keras_reference.regression.mean_mse``."""
    mean = outputs[..., :1]
    if target.dim() == mean.dim() - 1:
        target = target.unsqueeze(-1)
    return (mean - target.to(mean.dtype)).square().mean(-1)


@register("apa.wages_gaussian_nll", grid=[dict(neurons=2 ** k) for k in range(5, 11)])
class WagesGaussianNLL(KerasModule):
    """Seed 000, individual problem 2 c): a shared ``Dense(n, relu)`` and two branches
    ``Dense(n//2, relu) -> Dense(1, linear)``, one for the mean and one for the log-variance,
    concatenated into ``(N, 2)``; every layer with ``kernel_regularizer='l2'``.

    Trained on :func:`nllike` with Adam (batch 64, 150 epochs), metric ``nllike`` (the document
    compiles ``loss=nllike, metrics=nllike``: the History key is the function's name). The
    document computes the MSE of the predicted mean on the test set after training; the project
    adds it as the metric :func:`mean_mse` (``mean_mse``, ``val_mean_mse``; a metric changes no
    training step). ``mean(x)``
    and ``log_variance(x)`` are the two branches (``keras.Model(input, output1)`` and
    ``keras.Model(input, output2)`` on the Keras side); the predicted variance is
    ``exp(log_variance(x))``. The document sweeps ``neurons`` over 32..1024 (the grid); the
    default 64 is the project's choice.

    Layers in the document's order, named by its variables: the shared ``net``, then the mean
    branch ``output1_hidden1 -> output1`` and the log-variance branch ``output2_hidden1 ->
    output2`` (the document's ``output1``/``output2`` first hold each branch's hidden layer).
    """

    keras_compile = KerasCompile(loss="nllike", optimizer="adam", metrics=("nllike", "mean_mse"),
                                 custom_objects={"nllike": nllike_per_sample, "mean_mse": mean_mse})
    submodels = ("mean", "log_variance")
    #: ``get_weights()`` in Keras' order (Keras lists a functional model's layers by depth).
    keras_layer_order = ("net", "output1_hidden1", "output2_hidden1", "output1", "output2")
    #: Names of the two output columns (``predict`` writes them so).
    output_names = ("mean", "log_variance")

    def __init__(self, neurons: int = 64, input_dim: int = WAGES_FEATURES, **kwargs):
        super().__init__(**kwargs)
        self.input_shape = (input_dim,)
        half = neurons // 2
        self.net = Dense(input_dim, neurons, activation="relu", kernel_regularizer="l2")
        self.output1_hidden1 = Dense(neurons, half, activation="relu", kernel_regularizer="l2")
        self.output1 = Dense(half, 1, kernel_regularizer="l2")  # the mean
        self.output2_hidden1 = Dense(neurons, half, activation="relu", kernel_regularizer="l2")
        self.output2 = Dense(half, 1, kernel_regularizer="l2")  # the log-variance

    def mean(self, x: torch.Tensor) -> torch.Tensor:
        """The first output: the predicted mean of the wage, ``(N, 1)``."""
        return self.output1(self.output1_hidden1(self.net(x)))

    def log_variance(self, x: torch.Tensor) -> torch.Tensor:
        """The second output: the predicted log-variance, ``(N, 1)``."""
        return self.output2(self.output2_hidden1(self.net(x)))

    def forward(self, x):
        net = self.net(x)
        output1 = self.output1(self.output1_hidden1(net))
        output2 = self.output2(self.output2_hidden1(net))
        return torch.cat([output1, output2], dim=-1)  # keras.layers.Concatenate(axis=-1)

    def compute_loss(self, logits, target):
        return nllike(logits, target)


# ------------------------------------------------------------------------------------------
# Problem 3, "Perder hasta la camisa": NASDAQ up/down
# ------------------------------------------------------------------------------------------
@register("apa.nasdaq_mlp", grid=[dict(hidden_units=[32]),
                                  dict(hidden_units=[128, 64], activation="tanh", l2=0.001),
                                  dict(hidden_units=[16, 16, 16], activation="sigmoid", l2=0.01,
                                       learning_rate=0.01)])
class NasdaqMLP(KerasModule):
    """Seed 000, individual problem 3 c): an MLP classifying whether Google's price (or volume) goes up.

    The document leaves the network open (hidden sizes, activation, learning rate and
    regularisation chosen by Bayesian search); this architecture is the project's choice:
    ``Input(45) -> Dense(h, act) for h in hidden_units -> Dense(1, sigmoid)``, binary
    cross-entropy, Adam, accuracy; 45 inputs (:data:`datamodules.NASDAQ_FEATURES`) = windows of
    3 days x 15 variables. ``l2`` is the L2 factor of every kernel (0.0: none).
    ``hidden_units``, ``activation``, ``l2`` and the base class' ``learning_rate`` are the
    hyperparameters to search.
    """

    keras_compile = KerasCompile(loss="binary_crossentropy", optimizer="adam",
                                 metrics=("accuracy",), output_activation="sigmoid")

    def __init__(self, hidden_units: Sequence[int] = (64,), activation: str = "relu",
                 l2: float = 0.0, input_dim: int = NASDAQ_FEATURES, **kwargs):
        super().__init__(**kwargs)
        self.input_shape = (input_dim,)
        self.net = mlp((input_dim,), tuple(hidden_units), activation, 1,
                       kernel_regularizer={"l2": l2} if l2 else None)


def nasdaq_logreg(C: float = 1.0, max_iter: int = 1000, **options):
    """``apa.nasdaq_logreg`` (seed 000, individual problem 3 b): the logistic-regression baseline.

    It stays a scikit-learn model in both "frameworks": ``LogisticRegression(C=C)`` on the
    MinMax-scaled windows; the document searches its hyperparameters (mainly ``C``: the space is
    declared by the exercise apa-p6-nasdaq-logreg, crosscheck/exercises/seed000.py) with Bayesian
    optimisation and cross-validation. Other ``LogisticRegression`` arguments pass through ``options``.
    """
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=max_iter, **options)


#: Catalog ids that are scikit-learn models (not LightningModules): id -> factory.
SKLEARN_MODELS = {"apa.nasdaq_logreg": nasdaq_logreg}


# ------------------------------------------------------------------------------------------
# Chapter 3.1 of seed 000, the Keras guide: a Sequential and a functional example
# ------------------------------------------------------------------------------------------
@register("apa.guide_mlp")
class GuideMLP(KerasModule):
    """Seed 000, chapter 3.1 (Sequential example): ``Input(256) -> Dense(128, relu) ->
    Dense(16, relu) -> Dense(2, linear)``.

    The guide compiles its examples with ``'sparse_categorical_crossentropy'``/``'adam'``; for
    two linear outputs the project's choice is MSE and Adam. The guide trains with batch 64, 100
    epochs, EarlyStopping(val_loss, patience 10) and a best-only ModelCheckpoint.
    """

    keras_compile = KerasCompile(loss="mean_squared_error", optimizer="adam")

    def __init__(self, input_dim: int = GUIDE_FEATURES, **kwargs):
        super().__init__(**kwargs)
        self.input_shape = (input_dim,)
        self.net = mlp((input_dim,), (128, 16), "relu", 2)


Targets = Union[torch.Tensor, Sequence[torch.Tensor]]


@register("apa.guide_two_branch")
class GuideTwoBranch(KerasModule):
    """Seed 000, chapter 3.1 (functional example): two branches from ``Input(256)``,
    ``rama1 = Dense(128, relu) -> Dense(64, relu) -> Dense(1, linear)`` and
    ``rama2 = Dense(64, relu) -> Dense(32, relu) -> Dense(1, tanh)``: a model with two outputs.

    ``forward`` returns the pair of logits and :meth:`outputs` applies linear/tanh, so
    ``predict`` gives ``(output1, output2)`` like Keras' ``predict`` gives a list of two arrays.
    The guide shows no compile for it; the project's choice is ``compile(loss='mse',
    optimizer='adam')``, which in Keras sums the MSE of each output: :meth:`compute_loss` does
    the same. Targets are a pair ``(y1, y2)`` or one ``(N, 2)`` tensor whose columns are y1, y2.
    ``branch1(x)`` / ``branch2(x)`` are the two outputs alone (Keras sub-models of the same names).

    Layers in the guide's order, named by its variables: ``rama1_hidden1 -> rama1_hidden2 ->
    output1``, then ``rama2_hidden1 -> rama2_hidden2 -> output2`` (``rama1``/``rama2`` each hold
    two layers there, so their layers get the branch as prefix).
    """

    keras_compile = KerasCompile(loss="mean_squared_error", optimizer="adam")
    submodels = ("branch1", "branch2")
    output_activations = ("linear", "tanh")
    #: ``get_weights()`` in Keras' order (Keras lists a functional model's layers by depth).
    keras_layer_order = ("rama1_hidden1", "rama2_hidden1", "rama1_hidden2", "rama2_hidden2",
                         "output1", "output2")

    def __init__(self, input_dim: int = GUIDE_FEATURES, **kwargs):
        super().__init__(**kwargs)
        self.input_shape = (input_dim,)
        self.rama1_hidden1 = Dense(input_dim, 128, activation="relu")
        self.rama1_hidden2 = Dense(128, 64, activation="relu")
        self.output1 = Dense(64, 1)  # linear
        self.rama2_hidden1 = Dense(input_dim, 64, activation="relu")
        self.rama2_hidden2 = Dense(64, 32, activation="relu")
        self.output2 = Dense(32, 1)  # tanh, applied in outputs()

    def forward(self, x):
        output1 = self.output1(self.rama1_hidden2(self.rama1_hidden1(x)))
        output2 = self.output2(self.rama2_hidden2(self.rama2_hidden1(x)))
        return output1, output2  # logits: outputs() applies linear and tanh

    def outputs(self, logits):
        return tuple(get_activation(act)(z) for z, act in zip(logits, self.output_activations))

    def branch1(self, x: torch.Tensor) -> torch.Tensor:
        """``keras.Model(input, output1)``: the linear output alone."""
        return self.outputs(self(x))[0]

    def branch2(self, x: torch.Tensor) -> torch.Tensor:
        """``keras.Model(input, output2)``: the tanh output alone."""
        return self.outputs(self(x))[1]

    def compute_loss(self, logits, target: Targets):
        if isinstance(target, torch.Tensor):
            target = target.split(1, dim=-1)
        return sum(compute_loss(self.loss_name, z, y, act)
                   for z, y, act in zip(logits, target, self.output_activations))
