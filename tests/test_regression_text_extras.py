"""Checks beyond the catalog-wide parity test (tests/test_network_parity.py) for the wages,
NASDAQ, guide and sentiment networks and the denoising autoencoder: the Gaussian NLL loss and
the L2 penalties against Keras, the losses of the two-output guide model, Keras' evaluate()
against the torch loss, the scikit-learn baseline, and one Lightning epoch on random data."""

import lightning.pytorch as pl
import numpy as np
import pytest
import torch

import keras_reference
import lightning_models
from datamodules.lightning_data import TensorBatches
from keras_reference.regression import nllike as keras_nllike
from lightning_models.regression import SKLEARN_MODELS, nllike

from conftest import transferred_pair

TOLERANCE = 1e-6


_pair = transferred_pair


def _relative(a, b):
    return abs(float(a) - float(b)) / max(abs(float(b)), 1e-12)


# --------------------------------------------------------------------------------------------
# apa.wages_gaussian_nll: the document's nllike, the L2 penalties and evaluate()
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("target_shape", [(64, 1), (64,)])
def test_torch_nllike_equals_the_documents_tensorflow_function(rng, target_shape):
    import keras

    y_hat = rng.normal(size=(64, 2)).astype(np.float32)
    y = rng.uniform(size=target_shape).astype(np.float32)
    # torch brings (N,) targets to (N, 1); Keras does not (next test), so give it the column.
    y_keras = keras.ops.convert_to_numpy(keras_nllike(y.reshape(64, 1), y_hat))
    y_torch = nllike(torch.from_numpy(y_hat), torch.from_numpy(y)).item()
    assert abs(y_torch - float(y_keras)) <= TOLERANCE
    per_sample = nllike(torch.from_numpy(y_hat), torch.from_numpy(y), per_sample=True)
    assert per_sample.shape == (64,) and abs(per_sample.mean().item() - y_torch) <= TOLERANCE


def test_keras_nllike_broadcasts_one_dimensional_targets(rng):
    """The document's pitfall, pinned down: Keras hands a custom loss the targets as given, so
    ``mean - y`` with ``mean`` (N, 1) and ``y`` (N,) broadcasts to (N, N). Wages targets must be
    a column (N, 1) for Keras; the torch ``nllike`` reshapes (N,) itself."""
    keras_model, torch_model = _pair("apa.wages_gaussian_nll", neurons=32)
    x = rng.uniform(size=(20, torch_model.input_shape[0])).astype(np.float32)
    y = rng.uniform(size=(20,)).astype(np.float32)
    y_hat = keras_model.predict(x, verbose=0)
    loss_1d = keras_model.evaluate(x, y, batch_size=20, verbose=0, return_dict=True)["nllike"]
    mean, logvar = y_hat[:, :1], y_hat[:, 1:]
    pairwise = ((mean - y[None, :]) ** 2 / (np.exp(logvar) + 1e-3) + logvar).mean()
    assert abs(loss_1d - pairwise) <= 1e-5
    assert abs(loss_1d - nllike(torch.from_numpy(y_hat), torch.from_numpy(y)).item()) > 1e-4


@pytest.mark.parametrize("neurons", [32, 1024])
def test_gaussian_nll_l2_penalties_and_evaluate_match_keras(rng, neurons):
    keras_model, torch_model = _pair("apa.wages_gaussian_nll", neurons=neurons)
    keras_penalty = float(sum(float(np.asarray(p)) for p in keras_model.losses))
    assert len(keras_model.losses) == 5  # one kernel regulariser per Dense
    assert _relative(torch_model.regularization_penalty().item(), keras_penalty) <= TOLERANCE

    x = rng.uniform(size=(50, torch_model.input_shape[0])).astype(np.float32)
    y = rng.uniform(size=(50, 1)).astype(np.float32)  # a column: see the test above
    logs = keras_model.evaluate(x, y, batch_size=50, verbose=0, return_dict=True)
    with torch.no_grad():
        logits = torch_model(torch.from_numpy(x))
        loss = torch_model.total_loss(logits, torch.from_numpy(y)).item()
        metric = torch_model._metric_values(logits, torch.from_numpy(y))[0].mean().item()
    assert _relative(loss, logs["loss"]) <= 1e-5            # nllike + penalty, float32 sums
    assert abs(metric - logs["nllike"]) <= 1e-5             # metric: nllike without penalty
    # The two branches are the two columns of the output.
    with torch.no_grad():
        both = torch.cat([torch_model.mean(torch.from_numpy(x)),
                          torch_model.log_variance(torch.from_numpy(x))], dim=-1)
    assert torch.allclose(both, logits)


@pytest.mark.parametrize("entry_id, hparams", [
    ("apa.wages_linear", {}),
    ("apa.wages_mlp", dict(neurons=128)),
    ("apa.nasdaq_mlp", dict(hidden_units=[32, 16], l2=0.001)),
    ("apa.guide_mlp", {}),
])
def test_evaluate_loss_matches_keras(rng, entry_id, hparams):
    keras_model, torch_model = _pair(entry_id, **hparams)
    x = rng.uniform(size=(40, *torch_model.input_shape)).astype(np.float32)
    units = keras_model.output_shape[-1]
    if entry_id == "apa.nasdaq_mlp":
        y = rng.integers(0, 2, size=(40, 1)).astype(np.float32)
    else:
        y = rng.normal(size=(40, units)).astype(np.float32)
    keras_loss = keras_model.evaluate(x, y, batch_size=40, verbose=0, return_dict=True)["loss"]
    with torch.no_grad():
        torch_loss = torch_model.total_loss(torch_model(torch.from_numpy(x)), torch.from_numpy(y))
    assert _relative(torch_loss.item(), keras_loss) <= 1e-5
    keras_penalty = sum(float(np.asarray(p)) for p in keras_model.losses)
    with torch.no_grad():
        torch_penalty = float(torch_model.regularization_penalty())
    assert abs(torch_penalty - keras_penalty) <= TOLERANCE * max(keras_penalty, 1.0)


# --------------------------------------------------------------------------------------------
# apa.guide_two_branch: two outputs, the loss is the sum of both MSEs
# --------------------------------------------------------------------------------------------
def test_two_branch_loss_is_the_sum_of_keras_per_output_losses(rng):
    keras_model, torch_model = _pair("apa.guide_two_branch")
    x = rng.uniform(size=(30, 256)).astype(np.float32)
    y1 = rng.normal(size=(30, 1)).astype(np.float32)
    y2 = rng.uniform(-1, 1, size=(30, 1)).astype(np.float32)
    logs = keras_model.evaluate(x, [y1, y2], batch_size=30, verbose=0, return_dict=True)
    with torch.no_grad():
        logits = torch_model(torch.from_numpy(x))
        as_pair = torch_model.total_loss(logits, (torch.from_numpy(y1), torch.from_numpy(y2)))
        as_columns = torch_model.total_loss(logits, torch.from_numpy(np.hstack([y1, y2])))
    assert _relative(as_pair.item(), logs["loss"]) <= 1e-5
    assert abs(as_pair.item() - as_columns.item()) <= TOLERANCE
    # Keras' layer order is by depth; the torch layers were created in that order.
    names = [type(l).__name__ for l in keras_model.layers]
    assert names == ["InputLayer"] + ["Dense"] * 6


# --------------------------------------------------------------------------------------------
# apa.sentiment_embedding_mlp
# --------------------------------------------------------------------------------------------
def test_sentiment_inputs_are_word_ids_and_the_loss_matches_keras(rng):
    keras_model, torch_model = _pair("apa.sentiment_embedding_mlp", nwords=50, embedding_size=5,
                                     sequence_length=12, dense_layers=3)
    x = torch_model.random_input(200, generator=torch.Generator().manual_seed(0))
    assert x.dtype == torch.int64 and int(x.min()) == 0 and int(x.max()) == 50
    y = rng.integers(0, 2, size=200).astype(np.float32)
    logs = keras_model.evaluate(x.numpy(), y, batch_size=200, verbose=0, return_dict=True)
    with torch.no_grad():
        logits = torch_model(x)
        loss = torch_model.total_loss(logits, torch.from_numpy(y)).item()
        accuracy = torch_model._metric_values(logits, torch.from_numpy(y))[0].mean().item()
    assert _relative(loss, logs["loss"]) <= 1e-5
    assert abs(accuracy - logs["accuracy"]) <= 1e-6
    # Dense layers of 128, 64, 32 units on each of the 12 positions, then Flatten.
    assert [tuple(l.output.shape) for l in keras_model.layers][1:4] == \
        [(None, 12, 128), (None, 12, 64), (None, 12, 32)]


# --------------------------------------------------------------------------------------------
# apa.nasdaq_logreg (scikit-learn) and apa.denoising_autoencoder
# --------------------------------------------------------------------------------------------
def test_nasdaq_logreg_is_a_scikit_learn_model_outside_the_lightning_registries(rng):
    assert "apa.nasdaq_logreg" not in lightning_models.CATALOG
    assert "apa.nasdaq_logreg" not in keras_reference.CATALOG
    model = SKLEARN_MODELS["apa.nasdaq_logreg"](C=10.0)
    x = rng.uniform(size=(200, 45))
    y = (x[:, 0] > 0.5).astype(int)
    model.fit(x, y)
    assert model.C == 10.0 and model.score(x, y) > 0.9


def test_denoising_autoencoder_is_the_autoencoder_with_the_projects_defaults():
    from lightning_models.autoencoders import Autoencoder

    model = lightning_models.build("apa.denoising_autoencoder")
    assert isinstance(model, Autoencoder)
    assert (model.hparams.d1, model.hparams.d2, model.hparams.activation) == (32, 2, "sigmoid")
    keras_model = keras_reference.build("apa.denoising_autoencoder")
    assert keras_model.count_params() == model.count_params() == 64 * 32 + 32 + 32 * 2 + 2 + 2 * 32 + 32 + 32 * 64 + 64
    assert tuple(model.encoder(torch.rand(5, 64)).shape) == (5, 2)


# --------------------------------------------------------------------------------------------
# One Lightning epoch on random data
# --------------------------------------------------------------------------------------------
def _fit_one_epoch(model, x, y, batch_size):
    data = TensorBatches([x, y], batch_size=batch_size, shuffle=True,
                         generator=torch.Generator().manual_seed(0))
    val = TensorBatches([x, y], batch_size=batch_size)
    trainer = pl.Trainer(max_epochs=1, enable_progress_bar=False, logger=False,
                         enable_checkpointing=False, enable_model_summary=False,
                         num_sanity_val_steps=0)
    trainer.fit(model, data, val)
    return model.history.history


def test_one_lightning_epoch_gaussian_nll():
    torch.manual_seed(0)
    model = lightning_models.build("apa.wages_gaussian_nll", neurons=32)
    x, y = torch.rand(200, 10), torch.rand(200)
    history = _fit_one_epoch(model, x, y, batch_size=64)
    assert set(history) == {"loss", "nllike", "mean_mse", "val_loss", "val_nllike", "val_mean_mse"}
    assert all(np.isfinite(v[0]) for v in history.values())


def test_one_lightning_epoch_sentiment_embedding():
    torch.manual_seed(0)
    model = lightning_models.build("apa.sentiment_embedding_mlp", nwords=100, sequence_length=20)
    x = model.random_input(300, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 2, (300,)).float()
    history = _fit_one_epoch(model, x, y, batch_size=128)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert 0.0 <= history["val_accuracy"][0] <= 1.0 and np.isfinite(history["loss"][0])
