"""Convolutional networks of the catalog (seed 000 problems "Es un pájaro, es un avión..." and
"Me quedo con tu cara"; seed 003 batch normalisation).

Images are channels-last ``(N, H, W, C)`` arrays, as in Keras: every network starts with
:class:`~.keras_layers.ChannelsFirst` and flattens with the Keras-ordered
:class:`~.keras_layers.Flatten`. The Keras originals are the functions of the same ids in
:mod:`keras_reference.cnn`.

The three CIFAR-10 airplane-vs-bird networks share one builder, :func:`cifar2_conv_net`:
``apa.cifar2_cnn`` is its one-conv-layer case, ``apa.cifar2_deep_cnn`` adds convolutions and
``apa.cifar2_pool_cnn`` adds a max pooling after every convolution.
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from .base import KerasCompile, KerasModule
from .keras_layers import (BatchNormalization, ChannelsFirst, Conv2D, Dense, Dropout, Flatten,
                           MaxPooling2D)
from .registry import register

#: Filters of the convolutions the exercise adds after the first one (seed 000, 3c: "from 16
#: to 128 following the powers of 2"), so a network has 1 to 5 convolutional layers.
CIFAR2_EXTRA_FILTERS = (16, 32, 64, 128)
CIFAR2_INPUT_SHAPE = (32, 32, 3)


def cifar2_filters(filters: int, n_conv: int) -> tuple[int, ...]:
    """Filters of each convolution: ``filters`` (8 in the document), then 16, 32, 64, 128."""
    if not 1 <= n_conv <= 1 + len(CIFAR2_EXTRA_FILTERS):
        raise ValueError(f"n_conv={n_conv}: the exercise uses 1 to {1 + len(CIFAR2_EXTRA_FILTERS)} "
                         f"convolutional layers (filters {filters}, then "
                         f"{', '.join(map(str, CIFAR2_EXTRA_FILTERS))})")
    return (filters,) + CIFAR2_EXTRA_FILTERS[:n_conv - 1]


def cifar2_conv_net(filters: int = 8, n_conv: int = 1, drop: float = 0.0, l2: float = 0.0,
                    pooling: bool = False) -> nn.Sequential:
    """The CIFAR-2 network of seed 000, problem 3, as a torch ``Sequential`` returning logits.

    ``[Conv2D(f, (3, 3), relu) (-> MaxPooling2D((2, 2), strides (1, 1), 'valid'))] x n_conv
    -> Flatten -> Dropout(drop) -> Dense(64, relu) -> Dense(32, relu) -> Dense(1)``; the two
    hidden Dense layers carry the L2 penalty ``l2 * sum(w**2)`` when ``l2`` > 0 (part b of the
    exercise: ``kernel_regularizer='l2'``, which is ``l2=0.01``; 0.0: none).
    The sigmoid of the output layer is applied by the model (loss and predict). Layers are
    named as in :func:`keras_reference.cnn.cifar2_model`: ``conv1``..., ``hidden1``,
    ``hidden2``, ``output``.
    """
    hidden_regularizer = {"l2": l2} if l2 else None
    height, width, channels = CIFAR2_INPUT_SHAPE
    layers: OrderedDict[str, nn.Module] = OrderedDict(channels_first=ChannelsFirst())
    for i, out_channels in enumerate(cifar2_filters(filters, n_conv), start=1):
        layers[f"conv{i}"] = Conv2D(channels, out_channels, (3, 3), activation="relu")
        height, width, channels = height - 2, width - 2, out_channels          # 'valid' 3x3
        if pooling:
            layers[f"pool{i}"] = MaxPooling2D(pool_size=(2, 2), strides=(1, 1))
            height, width = height - 1, width - 1                              # 2x2, stride 1
    layers["flatten"] = Flatten()
    layers["dropout"] = Dropout(drop)
    layers["hidden1"] = Dense(height * width * channels, 64, activation="relu",
                              kernel_regularizer=hidden_regularizer)
    layers["hidden2"] = Dense(64, 32, activation="relu", kernel_regularizer=hidden_regularizer)
    layers["output"] = Dense(32, 1)  # sigmoid: in the loss and in predict
    return nn.Sequential(layers)


class _Cifar2Network(KerasModule):
    """What the three CIFAR-2 ids share: ``compile(optimizer='adam', loss='binary_crossentropy')``
    on the network of :func:`cifar2_conv_net`.

    ``metrics=['accuracy']`` is the project's choice (the document compiles without metrics but
    asks for the train and test accuracy of every model); the Keras builders add it too.

    It has no ``__init__``: each id builds ``self.net`` from its own arguments, so its saved
    hyperparameters (``model.hparams``) are exactly those and ``load_from_checkpoint`` rebuilds
    it (an ``__init__`` here would add its arguments, e.g. ``pooling``, to every id's).
    """

    keras_compile = KerasCompile(loss="binary_crossentropy", optimizer="adam",
                                 metrics=("accuracy",), output_activation="sigmoid")
    input_shape = CIFAR2_INPUT_SHAPE


#: Part b of the exercise: dropout from 0 to 0.8 in steps of 0.2; then dropout 0 + L2 and 0.8 +
#: L2 (Keras' ``'l2'``, factor 0.01).
CIFAR2_DROP_GRID = ([dict(drop=d) for d in (0.0, 0.2, 0.4, 0.6, 0.8)]
                    + [dict(drop=d, l2=0.01) for d in (0.0, 0.8)])
#: Parts c and d: 1 to 5 convolutional layers (the document trains 2..5; 1 is part b's network
#: with dropout 0.8 + L2, the baseline both sweeps are compared with).
CIFAR2_DEPTH_GRID = [dict(n_conv=n) for n in range(1, 6)]


@register("apa.cifar2_cnn", grid=CIFAR2_DROP_GRID)
class Cifar2CNN(_Cifar2Network):
    """Seed 000, problem 3b (airplane vs bird): ``Input(32, 32, 3) -> Conv2D(filters, (3, 3),
    relu) -> Flatten -> Dropout(drop) -> Dense(64, relu) -> Dense(32, relu) -> Dense(1, sigmoid)``.

    Trained with Adam and binary cross-entropy, 100 epochs, batch 256, validation on the test
    set, EarlyStopping(patience 20) + best checkpoint; ``filters=8`` and ``drop`` in
    {0, .2, .4, .6, .8}, then ``drop`` 0 and 0.8 with ``l2=0.01`` (Keras' ``'l2'`` on the hidden
    Dense layers; the default 0.0 is no penalty).
    """

    def __init__(self, filters: int = 8, drop: float = 0.0, l2: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.net = cifar2_conv_net(filters, 1, drop, l2, pooling=False)


@register("apa.cifar2_deep_cnn", grid=CIFAR2_DEPTH_GRID)
class Cifar2DeepCNN(_Cifar2Network):
    """Seed 000, problem 3c: :class:`Cifar2CNN` with ``n_conv - 1`` more ``Conv2D((3, 3), relu)``
    after the first, with 16, 32, 64, 128 filters; trained as 3b with ``drop=0.8`` and
    ``l2=0.01`` (Keras' ``'l2'``).

    The document trains ``n_conv`` 2..5; the project's default is the first of them, 2.
    """

    def __init__(self, n_conv: int = 2, filters: int = 8, drop: float = 0.8, l2: float = 0.01,
                 **kwargs):
        super().__init__(**kwargs)
        self.net = cifar2_conv_net(filters, n_conv, drop, l2, pooling=False)


@register("apa.cifar2_pool_cnn", grid=CIFAR2_DEPTH_GRID)
class Cifar2PoolCNN(_Cifar2Network):
    """Seed 000, problem 3d: :class:`Cifar2DeepCNN` with ``MaxPooling2D(pool_size=(2, 2),
    strides=(1, 1), padding='valid')`` after every convolution (each trims one row and column).

    The exercise compares curves, accuracies and parameter counts with the networks of 3c;
    ``n_conv`` 1..5 as there (project's default 2, as :class:`Cifar2DeepCNN`).
    """

    def __init__(self, n_conv: int = 2, filters: int = 8, drop: float = 0.8, l2: float = 0.01,
                 **kwargs):
        super().__init__(**kwargs)
        self.net = cifar2_conv_net(filters, n_conv, drop, l2, pooling=True)


@register("apa.olivetti_cnn", grid=[dict(filters=f) for f in range(1, 11)])
class OlivettiCNN(KerasModule):
    """Seed 000, problem "Me quedo con tu cara" c: ``Input(64, 64, 1) -> Conv2D(filters, 3,
    strides 1, relu) -> Flatten -> Dense(40, softmax)`` (the document names ``filters`` NEURONS).

    Compiled with ``keras.optimizers.SGD()`` and categorical cross-entropy on one-hot labels;
    batch 16, 200 epochs; ``filters`` 1..10 (project's default 8). The document computes the
    accuracy after training, with ``np.argmax`` of ``predict``; the project adds
    ``metrics=['accuracy']`` to report that same number (a metric changes no training step).
    Part d explains the parameter counts: ``filters * (3*3*1 + 1)`` for the convolution,
    ``(62*62*filters + 1) * 40`` for the Dense layer.
    """

    keras_compile = KerasCompile(loss="categorical_crossentropy", optimizer="sgd",
                                 metrics=("accuracy",), output_activation="softmax")
    input_shape = (64, 64, 1)

    def __init__(self, filters: int = 8, num_classes: int = 40, **kwargs):
        super().__init__(**kwargs)
        self.net = nn.Sequential(OrderedDict(
            channels_first=ChannelsFirst(),
            conv1=Conv2D(1, filters, kernel_size=3, strides=1, activation="relu"),
            flatten=Flatten(),
            output=Dense(62 * 62 * filters, num_classes),  # softmax: in the loss and in predict
        ))


@register("fp.conv_batchnorm")
class ConvBatchNorm(KerasModule):
    """Seed 003 (batch normalisation): ``Conv2D(32, 3, relu) -> BatchNormalization()``.

    The document shows only these two layers of a ``conv_model``. Project's choice around them:
    a Fashion-MNIST-sized input ``(28, 28, 1)`` and the head ``Flatten -> Dense(10, softmax)``,
    compiled as seed 003's Fashion-MNIST model (adam, sparse categorical cross-entropy,
    accuracy). Keras normalises the last axis (channels) of NHWC; here BatchNormalization
    normalises dim 1 of NCHW, the same channels, with Keras' momentum, epsilon and biased
    moving variance. Keras counts the moving mean and variance as 64 non-trainable parameters;
    here they are buffers (``count_params()`` adds them back).
    """

    keras_compile = KerasCompile(loss="sparse_categorical_crossentropy", optimizer="adam",
                                 metrics=("accuracy",), output_activation="softmax")
    input_shape = (28, 28, 1)

    def __init__(self, filters: int = 32, num_classes: int = 10, **kwargs):
        super().__init__(**kwargs)
        height, width, channels = self.input_shape
        flat = (height - 2) * (width - 2) * filters  # 'valid' 3x3 convolution
        self.net = nn.Sequential(OrderedDict(
            channels_first=ChannelsFirst(),
            conv1=Conv2D(channels, filters, 3, activation="relu"),
            batchnorm1=BatchNormalization(filters),
            flatten=Flatten(),
            output=Dense(flat, num_classes),  # softmax: in the loss and in predict
        ))
