"""Regularisation family (seeds 003, 004) beyond forward parity: Keras' weight penalties,
BatchNormalization's moving statistics, EarlyStopping's stopping epoch and restored weights,
and the IMDB model's Keras metric names in the History."""

import lightning.pytorch as pl
import numpy as np
import pytest
import torch
from torch import nn

import crosscheck
import keras_reference
import lightning_models
from datamodules import TensorBatches
from keras_reference.regularization import document_early_stopping as keras_document_es
from lightning_models.keras_layers import BatchNormalization
from lightning_models.regularization import document_early_stopping as lightning_document_es

from conftest import keras_seed

import keras  # noqa: E402  (after torch, via conftest)


def _trainer(**options) -> pl.Trainer:
    defaults = dict(enable_progress_bar=False, logger=False, enable_checkpointing=False,
                    enable_model_summary=False, num_sanity_val_steps=0)
    return pl.Trainer(**{**defaults, **options})


def _pair_with_random_weights(entry_id, point, seed=0, **torch_options):
    """Keras model with random (non-zero bias) weights and the torch model holding the same."""
    keras_seed(seed)
    keras_model = keras_reference.build(entry_id, **point)
    rng = np.random.default_rng(seed)
    keras_model.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32)
                             for w in keras_model.get_weights()])
    torch_model = lightning_models.build(entry_id, **point, **torch_options)
    crosscheck.transfer_weights(keras_model, torch_model)
    return keras_model, torch_model


# --------------------------------------------------------------------------------------------
# Regularisers: Keras' sum(model.losses) == regularization_penalty(), and it is in the loss
# --------------------------------------------------------------------------------------------
PENALTY_CASES = [pytest.param("slides.regularized_dense", dict(regularizer=r), id=r)
                 for r in ("l2", "l1", "l1_l2")]
PENALTY_CASES.append(pytest.param("fp.imdb_mlp_l2", {}, id="imdb_l2"))


@pytest.mark.parametrize("entry_id, point", PENALTY_CASES)
def test_penalty_equals_keras_model_losses(entry_id, point):
    keras_model, torch_model = _pair_with_random_weights(entry_id, point)
    keras_penalty = float(sum(np.asarray(loss, dtype=np.float64) for loss in keras_model.losses))
    with torch.no_grad():
        torch_penalty = float(torch_model.regularization_penalty())
    assert keras_penalty > 0
    assert abs(torch_penalty - keras_penalty) <= 1e-6 * keras_penalty


def test_l1_l2_is_the_sum_of_l1_and_l2():
    """The slide's ``l1_l2(l1=0.01, l2=0.01)``: not the zero penalty of Keras 3's ``l1_l2()``."""
    penalties = {}
    for name in ("l1", "l2", "l1_l2"):
        _, torch_model = _pair_with_random_weights("slides.regularized_dense", dict(regularizer=name))
        with torch.no_grad():
            penalties[name] = float(torch_model.regularization_penalty())
    assert penalties["l1_l2"] == pytest.approx(penalties["l1"] + penalties["l2"], rel=1e-6)
    with pytest.raises(ValueError, match="regularizer must be one of"):
        lightning_models.build("slides.regularized_dense", regularizer="l1l2")


@pytest.mark.parametrize("regularizer", ["l2", "l1", "l1_l2"])
def test_lightning_loss_includes_the_penalty(regularizer):
    """The training loss = data loss + penalty = Keras' ``evaluate`` loss, and the logged
    ``loss``/``val_loss`` of a fit (one batch, learning rate 1e-12: no visible update, as
    learning rates must be > 0) are that same value."""
    keras_model, torch_model = _pair_with_random_weights(
        "slides.regularized_dense", dict(regularizer=regularizer), learning_rate=1e-12)
    rng = np.random.default_rng(1)
    x = rng.random((40, 64), dtype=np.float32)
    y = rng.integers(0, 10, 40)
    keras_loss = keras_model.evaluate(x, y, batch_size=40, verbose=0)[0]

    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    with torch.no_grad():
        data_loss = float(torch_model.compute_loss(torch_model(xt), yt))
        penalty = float(torch_model.regularization_penalty())
        step_loss = float(torch_model.total_loss(torch_model(xt), yt))  # what training_step minimises
    assert penalty > 0.05 * data_loss  # the penalty is not negligible here
    assert step_loss == pytest.approx(data_loss + penalty, rel=1e-6)
    assert step_loss == pytest.approx(keras_loss, rel=1e-5)

    batches = TensorBatches([xt, yt], batch_size=40)
    _trainer(max_epochs=1).fit(torch_model, batches, batches)
    history = torch_model.history.history
    assert history["loss"][0] == pytest.approx(keras_loss, rel=1e-5)
    assert history["val_loss"][0] == pytest.approx(keras_loss, rel=1e-5)


# --------------------------------------------------------------------------------------------
# BatchNormalization: Keras' moving statistics (biased variance), not nn.BatchNorm1d's
# --------------------------------------------------------------------------------------------
def test_batchnorm_moving_statistics_match_keras_not_stock_torch():
    rng = np.random.default_rng(0)
    batches = [rng.normal(3.0, 2.0, (16, 32)).astype(np.float32) for _ in range(5)]
    keras_bn = keras.layers.BatchNormalization()
    keras_bn.build((None, 32))
    torch_bn = BatchNormalization(32).train()
    stock_bn = nn.BatchNorm1d(32, eps=1e-3, momentum=0.01).train()
    for batch in batches:
        keras_out = np.asarray(keras_bn(batch, training=True))
        with torch.no_grad():
            torch_out = torch_bn(torch.from_numpy(batch)).numpy()
            stock_bn(torch.from_numpy(batch))
        np.testing.assert_allclose(torch_out, keras_out, atol=1e-5)
    keras_mean, keras_var = np.asarray(keras_bn.moving_mean), np.asarray(keras_bn.moving_variance)
    np.testing.assert_allclose(torch_bn.moving_mean.numpy(), keras_mean, atol=1e-5)
    np.testing.assert_allclose(torch_bn.moving_variance.numpy(), keras_var, atol=1e-5)
    # Stock torch: same moving mean, but it averages the UNbiased batch variance (n / (n - 1)).
    np.testing.assert_allclose(stock_bn.running_mean.numpy(), keras_mean, atol=1e-5)
    assert np.abs(stock_bn.running_var.numpy() - keras_var).max() > 1e-3


def test_dense_batchnorm_model_statistics_after_training_mode_steps():
    """fp.dense_batchnorm: after training-mode passes in both frameworks, the moving statistics
    and the eval-mode predictions still agree."""
    keras_seed(0)
    keras_model = keras_reference.build("fp.dense_batchnorm")
    torch_model = lightning_models.build("fp.dense_batchnorm")
    crosscheck.transfer_weights(keras_model, torch_model)
    rng = np.random.default_rng(2)
    torch_model.train()
    for _ in range(4):
        x = rng.random((20, 64), dtype=np.float32)
        keras_model(x, training=True)
        with torch.no_grad():
            torch_model(torch.from_numpy(x))
    keras_bn = next(l for l in keras_model.layers if isinstance(l, keras.layers.BatchNormalization))
    torch_bn = next(m for m in torch_model.modules() if isinstance(m, BatchNormalization))
    np.testing.assert_allclose(torch_bn.moving_mean.numpy(), np.asarray(keras_bn.moving_mean), atol=1e-5)
    np.testing.assert_allclose(torch_bn.moving_variance.numpy(),
                               np.asarray(keras_bn.moving_variance), atol=1e-5)
    x = rng.random((8, 64), dtype=np.float32)
    torch_model.eval()
    with torch.no_grad():
        torch_probs = torch_model.predict_step(torch.from_numpy(x), 0).numpy()
    np.testing.assert_allclose(torch_probs, keras_model.predict(x, verbose=0), atol=1e-5)


# --------------------------------------------------------------------------------------------
# EarlyStopping: KerasEarlyStopping stops where keras.callbacks.EarlyStopping stops
# --------------------------------------------------------------------------------------------
def _document_accuracy() -> list:
    """Rises to 0.89 by epoch 19; wobbles of 5e-5 (< min_delta) until a 2e-4 step at epoch 40;
    then wobbles of 9e-5: with patience 30 the slide's callback stops at epoch 70."""
    acc = [0.70 + 0.01 * t for t in range(20)]
    acc += [0.89 + 5e-5 * (t % 2) for t in range(20, 40)]
    acc += [0.8902 + 9e-5 * (t % 2) for t in range(40, 100)]
    return acc


NAN = float("nan")
# (callback options, monitored sequence, expected stopped_epoch, expected best_epoch)
ES_CASES = {
    "keras_defaults_val_loss": (dict(monitor="val_loss"), [1.0, 0.9, 0.95, 0.5], 2, 1),
    "val_accuracy_patience_3": (dict(monitor="val_accuracy", patience=3),
                                [0.50, 0.60, 0.60, 0.55, 0.70, 0.69, 0.68, 0.71, 0.70, 0.69,
                                 0.60, 0.72], 10, 7),
    "val_accuracy_min_delta": (dict(monitor="val_accuracy", patience=2, min_delta=0.05),
                               [0.50, 0.54, 0.56, 0.60, 0.62, 0.66, 0.64, 0.70], 6, 4),
    "val_loss_with_nan": (dict(monitor="val_loss", patience=3),
                          [1.0, 0.8, NAN, 0.9, 0.7, NAN, NAN, 0.75, 0.72, 0.69, 0.71], 7, 4),
    "never_stops": (dict(monitor="val_accuracy", patience=1), [0.1, 0.2, 0.3, 0.4], 0, 3),
    "document_slide": ("document", _document_accuracy(), 70, 40),
}


def _logs(monitor: str, value: float) -> dict:
    other = "val_loss" if monitor != "val_loss" else "val_accuracy"
    return {monitor: value, other: 0.5}


def _run_keras(options: dict, values: list):
    """Drive keras.callbacks.EarlyStopping by hand; the weights of epoch e are all e."""
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    model.evaluate(np.zeros((2, 2)), np.zeros((2, 1)), verbose=0)  # builds the metrics ('auto' mode)
    callback = keras_document_es(restore_best_weights=True) if options == "document" else \
        keras.callbacks.EarlyStopping(restore_best_weights=True, **options)
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin()
    epochs_run = 0
    for epoch, value in enumerate(values):
        model.set_weights([np.full(w.shape, epoch, np.float32) for w in model.get_weights()])
        callback.on_epoch_end(epoch, _logs(callback.monitor, value))
        epochs_run += 1
        if model.stop_training:
            break
    callback.on_train_end()
    restored = {float(v) for w in model.get_weights() for v in np.ravel(w)}
    return epochs_run, callback.stopped_epoch, callback.best_epoch, restored


class _Scripted(pl.LightningModule):
    """Logs the scripted validation metrics; its one weight equals the epoch number."""

    def __init__(self, monitor: str, values: list):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(2))
        self.monitor, self.values = monitor, values
        self.epochs_run = 0

    def training_step(self, batch, batch_idx):
        return (self.w * 0).sum()

    def validation_step(self, batch, batch_idx):
        pass

    def on_validation_epoch_end(self):
        for key, value in _logs(self.monitor, self.values[self.current_epoch]).items():
            self.log(key, value)

    def on_train_epoch_end(self):  # runs before the monitoring callbacks' epoch end
        with torch.no_grad():
            self.w.fill_(self.current_epoch)
        self.epochs_run += 1

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.0)


def _run_lightning(options: dict, values: list):
    callback = lightning_document_es(restore_best_weights=True) if options == "document" else \
        lightning_models.KerasEarlyStopping(restore_best_weights=True, **options)
    module = _Scripted(callback.monitor, values)
    batches = TensorBatches([torch.zeros(1, 1)], batch_size=1)
    _trainer(max_epochs=len(values), callbacks=[callback]).fit(module, batches, batches)
    restored = {float(v) for v in module.w.detach()}
    return module.epochs_run, callback.stopped_epoch, callback.best_epoch, restored


@pytest.mark.parametrize("case", list(ES_CASES))
def test_early_stopping_stops_at_the_same_epoch(case):
    options, values, stopped_epoch, best_epoch = ES_CASES[case]
    keras_result = _run_keras(options, values)
    lightning_result = _run_lightning(options, values)
    expected_run = stopped_epoch + 1 if stopped_epoch else len(values)
    # (epochs run, stopped_epoch, best_epoch, the restored weights = the best epoch's)
    assert keras_result == (expected_run, stopped_epoch, best_epoch, {float(best_epoch)})
    assert lightning_result == keras_result


def test_early_stopping_nan_in_first_epoch():
    """Keras takes a NaN in the FIRST epoch as the best value (its best starts as None, so
    anything 'improves'), and nothing ever beats NaN afterwards: it stops after `patience`."""
    options, values = dict(monitor="val_accuracy", patience=2), [NAN, 0.5, 0.6, 0.7, 0.8]
    assert _run_lightning(options, values) == _run_keras(options, values)


# --------------------------------------------------------------------------------------------
# IMDB: 1-epoch smoke fit; the History uses the document's metric name 'acc'
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("entry_id", ["fp.imdb_mlp", "fp.imdb_mlp_l2", "fp.imdb_mlp_dropout"])
def test_imdb_fit_history_has_acc_keys(entry_id):
    generator = torch.Generator().manual_seed(0)
    x = (torch.rand(96, 10000, generator=generator) < 0.02).float()  # multi-hot reviews
    y = torch.randint(0, 2, (96,), generator=generator).float()
    model = lightning_models.build(entry_id)
    train = TensorBatches([x[:64], y[:64]], batch_size=32, shuffle=True, generator=generator)
    val = TensorBatches([x[64:], y[64:]], batch_size=32)
    _trainer(max_epochs=1).fit(model, train, val)
    history = model.history.history
    assert set(history) == {"loss", "acc", "val_loss", "val_acc"}
    assert all(len(values) == 1 and np.isfinite(values[0]) for values in history.values())
