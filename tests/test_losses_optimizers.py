"""Keras vs torch: each loss the documents use (<= 1e-6) and 20 optimiser steps (<= 1e-6 relative)."""

import numpy as np
import pytest
import torch

from lightning_models.keras_losses import compute_loss, keras_accuracy
from lightning_models.keras_optim import make_optimizer

LOSS_TOLERANCE = 1e-6
STEP_TOLERANCE = 1e-6


def _keras_loss(name, y, probs):
    """The reduced loss object Keras' compile(loss=name) builds, on plain values."""
    import keras

    classes = {"mean_squared_error": keras.losses.MeanSquaredError,
               "binary_crossentropy": keras.losses.BinaryCrossentropy,
               "categorical_crossentropy": keras.losses.CategoricalCrossentropy}
    return float(classes[name]()(y, probs))


@pytest.fixture
def logits(rng):
    return rng.normal(0, 3, size=(64, 5)).astype(np.float32)


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_sparse_categorical_crossentropy(rng, logits):
    y = rng.integers(0, 5, size=64)
    import keras

    # Keras' fit computes it from the softmax's logits (no clipping): from_logits=True is that path.
    expected = float(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, logits))
    got = compute_loss("sparse_categorical_crossentropy", torch.from_numpy(logits), torch.from_numpy(y), "softmax")
    assert abs(got.item() - expected) <= LOSS_TOLERANCE


def test_categorical_crossentropy(rng, logits):
    y = np.eye(5, dtype=np.float32)[rng.integers(0, 5, size=64)]
    import keras

    expected = float(keras.losses.CategoricalCrossentropy(from_logits=True)(y, logits))
    got = compute_loss("categorical_crossentropy", torch.from_numpy(logits), torch.from_numpy(y), "softmax")
    assert abs(got.item() - expected) <= LOSS_TOLERANCE


def test_binary_crossentropy(rng):
    z = rng.normal(0, 3, size=(64, 1)).astype(np.float32)
    y = rng.integers(0, 2, size=64).astype(np.float32)
    import keras

    expected = float(keras.losses.BinaryCrossentropy(from_logits=True)(y[:, None], z))
    got = compute_loss("binary_crossentropy", torch.from_numpy(z), torch.from_numpy(y), "sigmoid")
    assert abs(got.item() - expected) <= LOSS_TOLERANCE


@pytest.mark.parametrize("activation", ["linear", "sigmoid", "relu"])
def test_mean_squared_error(rng, activation):
    z = rng.normal(size=(32, 64)).astype(np.float32)
    y = rng.random((32, 64)).astype(np.float32)
    out = {"linear": z, "sigmoid": _sigmoid(z), "relu": np.maximum(z, 0)}[activation]
    expected = _keras_loss("mean_squared_error", y, out)
    got = compute_loss("mse", torch.from_numpy(z), torch.from_numpy(y), activation)
    assert abs(got.item() - expected) <= LOSS_TOLERANCE


def test_mse_on_column_output_does_not_broadcast(rng):
    """(N, 1) predictions against (N,) targets: Keras matches ranks, torch would broadcast to (N, N)."""
    z = rng.normal(size=(16, 1)).astype(np.float32)
    y = rng.normal(size=16).astype(np.float32)
    expected = _keras_loss("mean_squared_error", y[:, None], z)
    got = compute_loss("mean_squared_error", torch.from_numpy(z), torch.from_numpy(y), "linear")
    assert abs(got.item() - expected) <= LOSS_TOLERANCE


def test_crossentropy_on_non_matching_activation_uses_keras_clipping(rng):
    """CE after a non-softmax output: Keras clips probabilities to [1e-7, 1 - 1e-7]."""
    z = rng.normal(0, 3, size=(64, 3)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, size=64)]
    expected = _keras_loss("categorical_crossentropy", y, _sigmoid(z))
    got = compute_loss("categorical_crossentropy", torch.from_numpy(z), torch.from_numpy(y), "sigmoid")
    assert abs(got.item() - expected) <= LOSS_TOLERANCE
    expected_b = _keras_loss("binary_crossentropy", y, _sigmoid(z).astype(np.float32))
    got_b = compute_loss("binary_crossentropy", torch.from_numpy(z), torch.from_numpy(y), "linear")
    # linear output fed to BCE: Keras clips the raw values themselves
    expected_lin = _keras_loss("binary_crossentropy", y, z)
    assert abs(got_b.item() - expected_lin) <= 1e-5
    assert expected_b != pytest.approx(expected_lin)


@pytest.mark.parametrize("kind", ["binary", "sparse", "categorical"])
def test_accuracy_follows_keras_shape_rules(rng, kind):
    import keras

    if kind == "binary":
        p = rng.random((50, 1)).astype(np.float32)
        y = rng.integers(0, 2, size=(50, 1)).astype(np.float32)
        metric = keras.metrics.BinaryAccuracy()
    elif kind == "sparse":
        p = _softmax(rng.normal(size=(50, 4))).astype(np.float32)
        y = rng.integers(0, 4, size=50)
        metric = keras.metrics.SparseCategoricalAccuracy()
    else:
        p = _softmax(rng.normal(size=(50, 4))).astype(np.float32)
        y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=50)]
        metric = keras.metrics.CategoricalAccuracy()
    metric.update_state(y, p)
    got = keras_accuracy(torch.from_numpy(p), torch.from_numpy(y)).mean().item()
    assert got == pytest.approx(float(metric.result()), abs=1e-7)


# ---------------------------------------------------------------------------------------------
# Optimisers: same initial weights, same 20 gradients, Keras apply_gradients vs torch step
# ---------------------------------------------------------------------------------------------
OPTIMIZERS = {
    "sgd": {},
    "sgd_momentum": {"momentum": 0.9},
    "sgd_nesterov": {"momentum": 0.9, "nesterov": True},
    "rmsprop": {},
    "rmsprop_momentum": {"momentum": 0.5},
    "rmsprop_centered": {"centered": True},
    "adam": {},
}


@pytest.mark.parametrize("case", sorted(OPTIMIZERS))
@pytest.mark.parametrize("grad_scale", [1.0, 1e-3])
def test_optimizer_steps_match_keras(rng, case, grad_scale):
    import keras

    name = case.split("_")[0]
    options = OPTIMIZERS[case]
    shapes = [(7, 5), (5,)]
    w0 = [rng.normal(size=s).astype(np.float32) for s in shapes]
    grads = [[(rng.normal(size=s) * grad_scale).astype(np.float32) for s in shapes] for _ in range(20)]

    k_vars = [keras.Variable(w) for w in w0]
    k_opt = keras.optimizers.get({"class_name": name, "config": options})
    t_params = [torch.nn.Parameter(torch.from_numpy(w.copy())) for w in w0]
    t_opt = make_optimizer(name, t_params, **options)
    for step_grads in grads:
        k_opt.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in step_grads], k_vars))
        for p, g in zip(t_params, step_grads):
            p.grad = torch.from_numpy(g.copy())
        t_opt.step()
    for kv, tp, w in zip(k_vars, t_params, w0):
        k, t = np.asarray(kv), tp.detach().numpy()
        moved = np.abs(k - w).max()
        assert moved > 0
        assert np.abs(k - t).max() <= STEP_TOLERANCE * max(1.0, np.abs(k).max())
        # relative to how far the weights moved, too: the updates themselves agree
        assert np.abs(k - t).max() <= 1e-4 * moved


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("grad_scale", [1.0, 1e-6])
def test_both_keras_adam_implementations_match_keras(rng, fused, grad_scale):
    """KerasAdam's two implementations (keras_optim.py): torch's fused kernel with
    eps_t = eps / sqrt(1 - beta_2^t), and Keras' formula in _foreach kernels; 60 steps, also
    with gradients so small that epsilon dominates, and a gradient that is not contiguous."""
    import keras

    from lightning_models.keras_optim import KerasAdam

    w0 = [rng.normal(size=s).astype(np.float32) for s in [(6, 4), (4,)]]
    k_vars = [keras.Variable(w) for w in w0]
    k_opt = keras.optimizers.Adam()
    t_params = [torch.nn.Parameter(torch.from_numpy(w.copy())) for w in w0]
    t_opt = KerasAdam(t_params, fused=fused)
    for step in range(60):
        step_grads = [(rng.normal(size=w.shape) * grad_scale).astype(np.float32) for w in w0]
        k_opt.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in step_grads], k_vars))
        for p, g in zip(t_params, step_grads):
            p.grad = torch.from_numpy(g.copy())
        assert t_opt._use_fused(t_params, [p.grad for p in t_params]) == fused
        if step == 30:  # a transposed view: same values, another memory order (not fused)
            t_params[0].grad = torch.from_numpy(step_grads[0].T.copy()).t()
        t_opt.step()
    for kv, tp, w in zip(k_vars, t_params, w0):
        k, t = np.asarray(kv), tp.detach().numpy()
        moved = np.abs(k - w).max()
        assert moved > 0.001
        assert np.abs(k - t).max() <= STEP_TOLERANCE * max(1.0, np.abs(k).max())
        assert np.abs(k - t).max() <= 1e-4 * moved


def test_stock_torch_adam_differs_where_keras_adam_does_not(rng):
    """Why KerasAdam exists: torch.optim.Adam(eps=1e-7) puts epsilon elsewhere (docs/keras-vs-torch.md s.6)."""
    import keras

    w0 = rng.normal(size=(10,)).astype(np.float32)
    grads = [(rng.normal(size=10) * 1e-6).astype(np.float32) for _ in range(20)]
    kv = keras.Variable(w0)
    k_opt = keras.optimizers.Adam()
    stock = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    ours = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    stock_opt = torch.optim.Adam([stock], lr=1e-3, eps=1e-7)
    ours_opt = make_optimizer("adam", [ours])
    for g in grads:
        k_opt.apply_gradients([(keras.ops.convert_to_tensor(g), kv)])
        for p, o in ((stock, stock_opt), (ours, ours_opt)):
            p.grad = torch.from_numpy(g.copy())
            o.step()
    keras_moved = np.asarray(kv) - w0
    ours_err = np.abs(ours.detach().numpy() - w0 - keras_moved).max() / np.abs(keras_moved).max()
    stock_err = np.abs(stock.detach().numpy() - w0 - keras_moved).max() / np.abs(keras_moved).max()
    assert ours_err < 1e-3
    assert stock_err > 0.5


def test_keras_default_hyperparameters():
    """The defaults come from Keras' get_config, not from torch."""
    import keras

    p = [torch.nn.Parameter(torch.zeros(1))]
    for name in ("sgd", "rmsprop", "adam"):
        config = keras.optimizers.get(name).get_config()
        group = make_optimizer(name, p).param_groups[0]
        assert group["lr"] == pytest.approx(config["learning_rate"])
    assert make_optimizer("rmsprop", p).param_groups[0]["rho"] == keras.optimizers.RMSprop().rho
    assert make_optimizer("adam", p).param_groups[0]["epsilon"] == keras.optimizers.Adam().epsilon


@pytest.mark.parametrize("activation", ["linear", "sigmoid", "relu"])
def test_sparse_crossentropy_on_non_softmax_outputs(rng, activation):
    """Keras: clip, log, then a softmax cross-entropy of those logs (no normalisation first)."""
    import keras

    z = rng.normal(0, 2, size=(64, 4)).astype(np.float32)
    y = rng.integers(0, 4, size=64)
    out = {"linear": z, "sigmoid": _sigmoid(z), "relu": np.maximum(z, 0)}[activation].astype(np.float32)
    expected = float(keras.losses.SparseCategoricalCrossentropy()(y, out))
    got = compute_loss("sparse_categorical_crossentropy", torch.from_numpy(z), torch.from_numpy(y), activation)
    assert abs(got.item() - expected) <= 1e-5


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_embedding_second_moment_sums_each_lookups_square_as_keras(optimizer):
    """Keras' embedding gradient is sparse (one row per lookup), and Adam/RMSprop square it lookup
    by lookup: rows looked up several times in a batch get the sum of the squares in their second
    moment (keras_layers.Embedding). Ten steps on batches with repeated ids agree with Keras;
    squaring the summed (dense) gradient instead moves those rows measurably differently."""
    import keras

    from lightning_models.keras_layers import LOOKUP_SQUARES, Dense, Embedding

    ids = np.array([[0, 0, 1, 2], [0, 3, 3, 3], [4, 4, 4, 4], [1, 2, 3, 0]], dtype=np.int64)
    y = np.array([[1.0], [-1.0], [0.5], [2.0]], dtype=np.float32)
    keras.utils.set_random_seed(0)
    keras_model = keras.Sequential([keras.Input((4,), dtype="int64"), keras.layers.Embedding(5, 3),
                                    keras.layers.Flatten(), keras.layers.Dense(1)])
    keras_model.compile(optimizer=keras.optimizers.get({"class_name": optimizer,
                                                         "config": {"learning_rate": 0.05}}), loss="mse")

    def torch_embedding(lookup_squares: bool) -> np.ndarray:
        embedding, dense = Embedding(5, 3), Dense(12, 1)
        embedding.weight.data = torch.tensor(keras_model.layers[0].get_weights()[0])
        kernel, bias = keras_model.layers[2].get_weights()
        dense.weight.data, dense.bias.data = torch.tensor(kernel.T.copy()), torch.tensor(bias)
        params = [embedding.weight, dense.weight, dense.bias]
        opt = make_optimizer(optimizer, params, learning_rate=0.05)
        if not lookup_squares:
            delattr(embedding.weight, LOOKUP_SQUARES)  # the dense square of the summed gradient
        for _ in range(10):
            opt.zero_grad()
            out = dense(embedding(torch.tensor(ids)).flatten(1))
            torch.mean((out - torch.tensor(y)) ** 2).backward()
            opt.step()
        return embedding.weight.detach().numpy()

    start = keras_model.layers[0].get_weights()[0]
    ours, dense_squares = torch_embedding(True), torch_embedding(False)
    for _ in range(10):
        keras_model.train_on_batch(ids, y)
    keras_weights = keras_model.layers[0].get_weights()[0]
    moved = np.abs(keras_weights - start).max()
    assert np.abs(ours - keras_weights).max() <= 1e-5 * moved
    assert np.abs(dense_squares - keras_weights).max() >= 0.05 * moved


def test_embedding_squares_are_recorded_only_for_a_training_step():
    """The per-lookup squares are recorded in training mode only (the thread policy's FLOP count
    runs backward in eval mode) and cleared by zero_grad and by a new optimiser."""
    from lightning_models.keras_layers import LOOKUP_SQUARES, Embedding

    embedding = Embedding(5, 3)
    optimizer = make_optimizer("adam", embedding.parameters())
    ids = torch.tensor([[0, 0, 1]])
    embedding.eval()
    embedding(ids).sum().backward()
    assert getattr(embedding.weight, LOOKUP_SQUARES) is None
    embedding.train()
    embedding(ids).sum().backward()
    assert getattr(embedding.weight, LOOKUP_SQUARES)[0].tolist() == [2.0, 2.0, 2.0]  # 1 + 1
    optimizer.zero_grad()
    assert getattr(embedding.weight, LOOKUP_SQUARES) is None
    embedding(ids).sum().backward()
    make_optimizer("rmsprop", embedding.parameters())
    assert getattr(embedding.weight, LOOKUP_SQUARES) is None
