"""The training path: Keras-named History, epoch means as Keras computes them, curve parity with
Keras fit on identical weights and batches, CLI smoke + resume, NaN guard."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import datamodules
import crosscheck
import keras_reference
import lightning_models
from lightning_models import NonFiniteLossError
from lightning_models.training import evaluate, fit

from conftest import keras_seed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _digits_ae_data(**kwargs):
    dm = datamodules.DigitsDataModule(batch_size=100, targets="inputs", **kwargs)
    dm.setup("fit")
    return dm


def test_history_has_keras_keys_and_val_loss_is_the_final_test_mse():
    torch.manual_seed(0)
    model = lightning_models.build("apa.autoencoder")
    dm = _digits_ae_data(validate_on_test=True)
    history = fit(model, dm, epochs=3)
    assert list(history.history) == ["loss", "val_loss"]
    assert history.epoch == [0, 1, 2]
    x_test = torch.from_numpy(dm.splits.x_test)
    with torch.no_grad():
        mse = torch.mean((model.predict_step(x_test, 0) - x_test) ** 2).item()
    assert abs(history.history["val_loss"][-1] - mse) <= 1e-6
    assert evaluate(model, dm)["loss"] == pytest.approx(mse, abs=1e-6)


def test_epoch_loss_is_the_batch_weighted_mean_of_pre_update_losses():
    """Keras' `loss` is the running mean over the epoch's batches, weighted by batch size (the
    last batch of 1257 rows at batch 100 has 57), each computed before that batch's update."""
    torch.manual_seed(0)
    model = lightning_models.build("apa.autoencoder")
    twin = lightning_models.build("apa.autoencoder")
    twin.load_state_dict(model.state_dict())
    dm = _digits_ae_data(shuffle=False)
    history = fit(model, dm, epochs=1)
    x = torch.from_numpy(dm.splits.x_train)
    optimizer = twin.configure_optimizers()
    total = 0.0
    for start in range(0, len(x), 100):
        xb = x[start:start + 100]
        loss = twin.total_loss(twin(xb), xb)
        total += loss.item() * len(xb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert history.history["loss"][0] == pytest.approx(total / len(x), rel=1e-6)
    for a, b in zip(model.parameters(), twin.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_training_curves_match_keras_fit_on_same_weights_and_batches():
    """Same initial weights, same (unshuffled) batches: Keras' history and ours agree."""
    keras_seed(0)
    keras_model = keras_reference.build("apa.autoencoder", activation="sigmoid")
    model = lightning_models.build("apa.autoencoder", activation="sigmoid")
    crosscheck.transfer_weights(keras_model, model)
    dm = _digits_ae_data(shuffle=False, validate_on_test=True)
    s = dm.splits
    k_hist = keras_model.fit(s.x_train, s.x_train, batch_size=100, epochs=10, shuffle=False,
                             validation_data=(s.x_test, s.x_test), verbose=0).history
    history = fit(model, dm, epochs=10)
    for key in ("loss", "val_loss"):
        ours, theirs = np.array(history.history[key]), np.array(k_hist[key])
        assert np.abs(ours - theirs).max() <= 1e-5 * np.abs(theirs).max(), key


def test_nan_loss_stops_with_a_clear_error():
    model = lightning_models.build("apa.autoencoder", optimizer="sgd", learning_rate=1e6)
    with pytest.raises(NonFiniteLossError, match="lower the learning_rate"):
        fit(model, _digits_ae_data(), epochs=5)


def _cli(args, cwd):
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, "-m", "lightning_models", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_cli_main_job_writes_checkpoint_and_resumes(tmp_path):
    """The README's main job, shortened: trains, checkpoints, and resumes from `last`."""
    config = os.path.join(ROOT, "configs", "apa.autoencoder.yaml")
    first = _cli(["fit", "--config", config, "--trainer.max_epochs", "3"], tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    last = tmp_path / "runs" / "apa.autoencoder" / "version_0" / "checkpoints" / "last.ckpt"
    assert last.is_file()
    ckpt = torch.load(last, weights_only=False)
    assert ckpt["epoch"] == 2 and len(ckpt["keras_history"]["history"]["loss"]) == 3

    resumed = _cli(["fit", "--config", config, "--trainer.max_epochs", "5", "--ckpt_path", "last"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    ckpt = torch.load(last, weights_only=False)
    assert ckpt["epoch"] == 4
    assert ckpt["keras_history"]["epoch"] == [0, 1, 2, 3, 4]


def test_cli_unknown_model_argument_is_reported(tmp_path):
    config = os.path.join(ROOT, "configs", "apa.autoencoder.yaml")
    bad = _cli(["fit", "--config", config, "--model.init_args.width", "3"], tmp_path)
    assert bad.returncode != 0
    assert "width" in bad.stderr


def test_summary_command_prints_both_tables_and_parity():
    out = _cli(["summary", "fp.fashion_mlp"], ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.count("Total params: 101,770") == 2
    figure = float(out.stdout.rsplit("=", 1)[1])
    assert figure <= 1e-5


def test_weight_histograms_reach_tensorboard(tmp_path):
    """Keras' TensorBoard(histogram_freq=1): one histogram per weight per epoch."""
    from lightning.pytorch.loggers import TensorBoardLogger
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from lightning_models import WeightHistograms

    model = lightning_models.build("apa.autoencoder")
    logger = TensorBoardLogger(str(tmp_path), name="ae")
    fit(model, _digits_ae_data(), epochs=2, callbacks=[WeightHistograms(1)], logger=logger)
    events = EventAccumulator(logger.log_dir, size_guidance={"histograms": 0})
    events.Reload()
    tags = events.Tags()["histograms"]
    assert sorted(tags) == sorted(name.replace(".", "/") for name, _ in model.named_parameters())
    assert [e.step for e in events.Histograms("encoder/hidden1/weight")] == [0, 1]
    assert "loss" in events.Tags()["scalars"]


def test_wrong_input_shape_is_reported_clearly():
    model = lightning_models.build("apa.autoencoder")  # 64 inputs
    dm = datamodules.FashionMNISTDataModule(batch_size=32) if os.path.isdir(
        "/usr/share/datasets/fashion-mnist") else None
    if dm is None:
        pytest.skip("Fashion-MNIST not installed")
    with pytest.raises(ValueError, match=r"apa.autoencoder expects inputs of shape \(64,\) per sample, got \(28, 28\)"):
        fit(model, dm, epochs=1, limit_train_batches=1)


def test_keras_progress_prints_the_history_like_fit_verbose_2(capsys):
    from lightning_models import KerasProgress

    model = lightning_models.build("apa.autoencoder")
    history = fit(model, _digits_ae_data(validate_on_test=True), epochs=3,
                  callbacks=[KerasProgress(every_n_epochs=2)])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Epoch ")]
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 2/3", "Epoch 3/3"]
    assert lines[1].endswith(f"loss: {history.history['loss'][2]:.4f} - "
                             f"val_loss: {history.history['val_loss'][2]:.4f}")


def test_steps_per_execution_does_not_change_training():
    """One Lightning step per batch (1) or per 32 batches (the default): same updates."""
    from lightning_models.cli import KerasCLI

    cli = KerasCLI(args=["--config", os.path.join(ROOT, "configs", "apa.autoencoder.yaml"),
                         "--model.init_args.steps_per_execution", "1"], run=False)
    assert cli.model.steps_per_execution == 1 and cli.model.hparams["steps_per_execution"] == 1
    histories = []
    for steps in (1, 32):
        torch.manual_seed(0)
        model = lightning_models.build("apa.autoencoder", steps_per_execution=steps)
        histories.append(fit(model, _digits_ae_data(shuffle_seed=3), epochs=3).history["loss"])
    assert histories[0] == pytest.approx(histories[1], rel=1e-6)


def test_resumed_run_continues_exactly_like_an_uninterrupted_one(tmp_path):
    """Weights, optimiser state, the shuffling generator and the History travel in checkpoints."""
    from lightning.pytorch.callbacks import ModelCheckpoint

    torch.manual_seed(0)
    straight = lightning_models.build("apa.autoencoder")
    twin = lightning_models.build("apa.autoencoder")
    twin.load_state_dict(straight.state_dict())
    full = fit(straight, _digits_ae_data(shuffle_seed=5), epochs=4).history["loss"]

    checkpoint = ModelCheckpoint(dirpath=str(tmp_path), save_last=True)
    fit(twin, _digits_ae_data(shuffle_seed=5), epochs=2, callbacks=[checkpoint])
    resumed_model = lightning_models.build("apa.autoencoder")
    resumed = fit(resumed_model, _digits_ae_data(shuffle_seed=5), epochs=4,
                  ckpt_path=str(tmp_path / "last.ckpt"))
    assert resumed.epoch == [0, 1, 2, 3]
    assert resumed.history["loss"] == pytest.approx(full, rel=1e-6)


def test_a_lower_learning_rate_given_on_resume_is_used(tmp_path):
    from lightning.pytorch.callbacks import ModelCheckpoint

    model = lightning_models.build("apa.autoencoder", learning_rate=0.01)
    fit(model, _digits_ae_data(), epochs=1, callbacks=[ModelCheckpoint(dirpath=str(tmp_path), save_last=True)])
    resumed = lightning_models.build("apa.autoencoder", learning_rate=1e-4)
    fit(resumed, _digits_ae_data(), epochs=2, ckpt_path=str(tmp_path / "last.ckpt"))
    assert resumed.trainer.optimizers[0].param_groups[0]["lr"] == 1e-4


def test_each_fit_returns_a_new_history_and_max_steps_counts_batches():
    model = lightning_models.build("apa.autoencoder")
    fit(model, _digits_ae_data(), epochs=2)
    assert fit(model, _digits_ae_data(), epochs=1).epoch == [0]
    model = lightning_models.build("apa.autoencoder")
    fit(model, _digits_ae_data(), epochs=10, max_steps=3)
    assert model.trainer.global_step == 3


def test_best_checkpoint_through_the_python_api_and_load_weights(tmp_path):
    """The documents' callbacks=[early, ckpt], then model.load_weights(best)."""
    from lightning_models import KerasEarlyStopping, KerasModelCheckpoint

    torch.manual_seed(0)
    model = lightning_models.build("apa.autoencoder", optimizer="sgd", learning_rate=0.5)
    ckpt = KerasModelCheckpoint(str(tmp_path / "best.weights.h5"), monitor="val_loss",
                                save_best_only=True, save_weights_only=True)
    history = fit(model, _digits_ae_data(validate_on_test=True), epochs=6,
                  callbacks=[KerasEarlyStopping(patience=2), ckpt])
    best_epoch = int(np.argmin(history.history["val_loss"]))
    fresh = lightning_models.build("apa.autoencoder", optimizer="sgd", learning_rate=0.5)
    fresh.load_weights(str(tmp_path / "best.ckpt"))
    dm = _digits_ae_data(validate_on_test=True)
    x_test = torch.from_numpy(dm.splits.x_test)
    with torch.no_grad():
        mse = torch.mean((fresh.predict_step(x_test, 0) - x_test) ** 2).item()
    assert mse == pytest.approx(history.history["val_loss"][best_epoch], rel=1e-5)


def test_val_split_on_data_with_its_own_validation_is_refused():
    class WithVal(datamodules.ArrayDataModule):
        def load_splits(self):
            x = np.zeros((10, 2), np.float32)
            return datamodules.ArraySplits(x, x, x_val=x[:2], y_val=x[:2])

    with pytest.raises(datamodules.DataError, match="its own validation split"):
        WithVal(val_split=0.2).setup("fit")


def test_keras_checkpoint_with_an_epoch_template_keeps_one_file_per_epoch(tmp_path):
    from lightning_models import KerasModelCheckpoint

    ckpt = KerasModelCheckpoint(str(tmp_path / "model-{epoch:02d}.keras"))
    fit(lightning_models.build("apa.autoencoder"), _digits_ae_data(), epochs=3, callbacks=[ckpt])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model-00.ckpt", "model-01.ckpt", "model-02.ckpt"]
