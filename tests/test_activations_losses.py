"""What the documents' tables list, on both sides (issue 12, item 7): seed 001's activation
functions, its regression losses MeanAbsolutePercentageError and MeanSquaredLogarithmicError,
the guide's Conv1D (seed 000, chapter 3.2) and seed 004's two iris definitions with separate
Activation layers. Each compared with Keras by the worst absolute difference."""

import numpy as np
import pytest
import torch

import keras_reference
import lightning_models
from lightning_models.keras_layers import Conv1D, Dense, get_activation
from lightning_models.keras_losses import compute_loss

from conftest import keras_seed

#: Seed 001's table (Sigmoid, Tanh, Step Function, Softplus / ReLU, Softsign, ELU, Log of
#: Sigmoid / Swish, Sinc, Leaky ReLU, Mish) without the two that Keras lacks.
TABLE_ACTIVATIONS = ["sigmoid", "tanh", "softplus", "relu", "softsign", "elu", "log_sigmoid",
                     "swish", "silu", "leaky_relu", "mish"]


def _keras():
    import keras

    return keras


# --------------------------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------------------------
def test_table_activations_compute_as_keras():
    """Every activation on [-30, 30] (both tails) in float32: max |keras - torch| <= 1e-6."""
    keras = _keras()
    x = np.concatenate([np.linspace(-30, 30, 2001), [-1e-3, 0.0, 1e-3]]).astype(np.float32)
    for name in TABLE_ACTIVATIONS:
        expected = np.asarray(keras.activations.get(name)(x))
        got = get_activation(name)(torch.from_numpy(x)).numpy()
        assert np.abs(got - expected).max() <= 1e-6 * max(1.0, np.abs(expected).max()), name


@pytest.mark.parametrize("name", TABLE_ACTIVATIONS)
def test_dense_with_each_activation_matches_keras(name):
    """``Dense(5, activation=name)`` with Keras' weights (set_weights in Keras' layout)."""
    keras = _keras()
    keras_seed(0)
    layer = keras.layers.Dense(5, activation=name)
    x = np.random.default_rng(0).normal(0, 2, (16, 7)).astype(np.float32)
    expected = np.asarray(layer(x))
    dense = Dense(7, 5, activation=name)
    dense.set_weights(layer.get_weights())
    with torch.no_grad():
        assert np.abs(dense(torch.from_numpy(x)).numpy() - expected).max() <= 1e-5


@pytest.mark.parametrize("name", ["step", "sinc"])
def test_step_and_sinc_are_not_keras_activations(name):
    """The table draws them; Keras has no activation of that name, nor has this project."""
    with pytest.raises(ValueError, match="Could not interpret activation"):
        _keras().activations.get(name)
    with pytest.raises(ValueError, match="is not a Keras activation"):
        get_activation(name)


def test_leaky_relu_has_keras_slope_not_the_tables():
    """Keras' 'leaky_relu' has negative_slope 0.2; the table's formula draws max(0.1x, x)."""
    assert get_activation("leaky_relu")(torch.tensor([-1.0])).item() == pytest.approx(-0.2)


# --------------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------------
LOSS_NAMES = [("mean_absolute_percentage_error", "MeanAbsolutePercentageError", "mape"),
              ("mean_squared_logarithmic_error", "MeanSquaredLogarithmicError", "msle")]


@pytest.mark.parametrize("names", LOSS_NAMES, ids=["mape", "msle"])
def test_regression_losses_compute_as_keras(names):
    """Targets with zeros and negatives, predictions with negatives (Keras clips both at
    epsilon); ``(N, 3)`` and ``(N,)`` targets against ``(N, 3)`` / ``(N, 1)`` outputs."""
    keras = _keras()
    rng = np.random.default_rng(0)
    pred = rng.normal(1, 2, (64, 3)).astype(np.float32)
    target = rng.normal(1, 2, (64, 3)).astype(np.float32)
    target[:5] = 0.0
    for rows in (slice(None), slice(5, None)):  # with zero targets (MAPE ~1e8), without
        expected = float(keras.losses.get(names[1])(target[rows], pred[rows]))
        for name in names:
            got = compute_loss(name, torch.from_numpy(pred[rows]), torch.from_numpy(target[rows]),
                               "linear").item()
            assert abs(got - expected) <= 1e-6 * max(1.0, abs(expected)), name
    expected = float(keras.losses.get(names[1])(target[:, 0], pred[:, :1]))
    got = compute_loss(names[2], torch.from_numpy(pred[:, :1]), torch.from_numpy(target[:, 0]),
                       "linear").item()
    assert abs(got - expected) <= 1e-6 * max(1.0, abs(expected))


@pytest.mark.parametrize("loss", ["mape", "MeanSquaredLogarithmicError"])
def test_iris_compiled_with_the_table_losses_evaluates_as_keras(loss):
    """The losses through ``compile(loss=...)``: iris (sigmoid outputs) on both sides with the
    same weights, ``evaluate`` on 150 rows."""
    from sklearn.datasets import load_iris

    x, labels = load_iris(return_X_y=True)
    x, y = x.astype(np.float32), np.eye(3, dtype=np.float32)[labels]
    keras_seed(0)
    keras_model = keras_reference.build("slides.iris_mlp", loss=loss)
    torch_model = lightning_models.build("slides.iris_mlp", loss=loss)
    torch_model.set_weights(keras_model.get_weights())
    got, expected = torch_model.evaluate(x, y), keras_model.evaluate(x, y, verbose=0)
    assert np.abs(np.array(got) - np.array(expected)).max() <= 1e-6 * max(1.0, expected[0])


# --------------------------------------------------------------------------------------------
# Conv1D (seed 000's guide: filters, kernel size, strides, border treatment, activation)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("padding, strides, kernel_size", [
    ("valid", 1, 3), ("valid", 2, 4), ("same", 1, 4), ("same", 3, 4), ("causal", 1, 3)])
def test_conv1d_matches_keras(padding, strides, kernel_size):
    """Channels-last ``(N, steps, channels)`` in and out, Keras' kernel ``(k, in, filters)``
    through set_weights; 2 samples of 11 steps and 3 channels, 5 relu filters."""
    keras = _keras()
    keras_seed(0)
    layer = keras.layers.Conv1D(5, kernel_size, strides=strides, padding=padding, activation="relu",
                                bias_initializer="random_normal")
    x = np.random.default_rng(0).normal(size=(2, 11, 3)).astype(np.float32)
    expected = np.asarray(layer(x))
    conv = Conv1D(3, 5, kernel_size, strides=strides, padding=padding, activation="relu")
    assert [w.shape for w in conv.get_weights()] == [w.shape for w in layer.get_weights()]
    conv.set_weights(layer.get_weights())
    with torch.no_grad():
        got = conv(torch.from_numpy(x)).numpy()
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= 1e-5
    assert all(np.array_equal(g, e) for g, e in zip(conv.get_weights(), layer.get_weights()))


def test_conv1d_flatten_dense_matches_keras():
    """Conv1D -> Flatten -> Dense: the flattened features in Keras' (steps, filters) order."""
    keras = _keras()
    keras_seed(1)
    model = keras.Sequential([keras.Input((20, 2)), keras.layers.Conv1D(4, 5, activation="tanh"),
                              keras.layers.Flatten(), keras.layers.Dense(3)])
    x = np.random.default_rng(1).normal(size=(6, 20, 2)).astype(np.float32)
    conv, dense = Conv1D(2, 4, 5, activation="tanh"), Dense(16 * 4, 3)
    conv.set_weights(model.layers[0].get_weights())
    dense.set_weights(model.layers[2].get_weights())
    with torch.no_grad():
        got = dense(lightning_models.keras_layers.Flatten()(conv(torch.from_numpy(x)))).numpy()
    assert np.abs(got - np.asarray(model(x))).max() <= 1e-5


def test_conv1d_initialises_as_keras():
    """glorot_uniform: U(-l, l) with l = sqrt(6 / (k*in + k*out)), zero bias; a large layer's
    weights fill the interval (std l/sqrt(3) within 3%)."""
    torch.manual_seed(0)
    conv = Conv1D(64, 128, 5)
    kernel, bias = conv.get_weights()
    limit = np.sqrt(6 / (5 * 64 + 5 * 128))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.99 * limit
    assert kernel.std() == pytest.approx(limit / np.sqrt(3), rel=0.03)
    assert not bias.any()
    with pytest.raises(ValueError, match="padding must be 'valid', 'same' or 'causal'"):
        Conv1D(1, 1, 3, padding="full")


# --------------------------------------------------------------------------------------------
# Seed 004: the iris network's two ways with separate Activation layers
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("definition", ["list_activations", "functional_activations"])
def test_iris_definitions_with_separate_activations(definition):
    """The slides' summaries (Dense 10, Activation 0, Dense 9, Activation 0, named Oculto,
    FunH, salida, FunO) and the same outputs as Keras with its weights."""
    keras_seed(0)
    keras_model = keras_reference.build("slides.iris_mlp", definition=definition)
    rows = [(type(layer).__name__, layer.name, layer.count_params()) for layer in keras_model.layers
            if type(layer).__name__ != "InputLayer"]
    assert rows == [("Dense", "Oculto", 10), ("Activation", "FunH", 0), ("Dense", "salida", 9),
                    ("Activation", "FunO", 0)]
    torch_model = lightning_models.build("slides.iris_mlp", definition=definition)
    assert type(torch_model.get_layer("FunH")).__name__ == "Activation"
    torch_model.set_weights(keras_model.get_weights())
    x = np.random.default_rng(0).uniform(0, 8, (16, 4)).astype(np.float32)
    assert np.abs(torch_model.predict(x) - np.asarray(keras_model(x))).max() <= 1e-6
