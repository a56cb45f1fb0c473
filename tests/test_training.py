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
    assert ckpt["keras_history"]["epoch"].tolist() == [0, 1, 2, 3, 4]


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


def test_direct_steps_train_exactly_like_lightnings_own_backward_and_step():
    """training_step calls backward and the optimiser itself when no hook needs Lightning's
    path (base.py, _steps_directly): the same weights, History and global_step as through
    manual_backward and LightningOptimizer.step, which a callback with a backward hook gets."""
    from lightning.pytorch.callbacks import Callback

    class AfterBackward(Callback):
        calls = 0

        def on_after_backward(self, trainer, pl_module):
            AfterBackward.calls += 1

    results = []
    for callbacks in ([], [AfterBackward()]):
        torch.manual_seed(0)
        model = lightning_models.build("fp.dense_batchnorm")  # accuracy metric, BatchNorm
        dm = datamodules.DigitsDataModule(batch_size=64, validate_on_test=True, shuffle_seed=1)
        fit(model, dm, epochs=2, callbacks=callbacks)
        results.append((model, model.trainer.global_step, model._direct_steps))
    (direct, steps, used), (hooked, hooked_steps, hooked_used) = results
    assert used and not hooked_used and AfterBackward.calls == steps == hooked_steps == 2 * 20
    assert direct.history.history == hooked.history.history
    for (name, a), b in zip(direct.state_dict().items(), hooked.state_dict().values()):
        assert torch.equal(a, b), name


def test_epoch_sums_of_several_batches_at_once_equal_batch_by_batch():
    """_EpochMeans.update_batches (a Lightning step's batches together) against update (one
    batch at a time): batches of unequal size, a metric, and a network with two outputs."""
    from lightning_models.base import _EpochMeans

    generator = torch.Generator().manual_seed(0)
    model = lightning_models.build("fp.fashion_mlp")
    sizes = [32, 32, 7]
    batches = [(torch.rand((), generator=generator), torch.randn(n, 10, generator=generator),
                torch.randint(0, 10, (n,), generator=generator), n) for n in sizes]
    one, together = _EpochMeans(["accuracy"]), _EpochMeans(["accuracy"])
    for loss, logits, y, n in batches:
        one.update(loss, model._metric_values(logits, y), n)
    together.update_batches(batches, model._metric_values)
    assert together.count == one.count == sum(sizes)
    assert together.compute() == pytest.approx(one.compute(), rel=1e-6)

    pair = lightning_models.build("apa.guide_two_branch")
    batches = [(torch.rand((), generator=generator), (torch.randn(n, 1), torch.randn(n, 1)),
                torch.randn(n, 2), n) for n in sizes]
    one, together = _EpochMeans([]), _EpochMeans([])
    for loss, logits, y, n in batches:
        one.update(loss, pair._metric_values(logits, y), n)
    together.update_batches(batches, pair._metric_values)
    assert together.compute() == pytest.approx(one.compute(), rel=1e-6)


def test_validation_in_one_step_keeps_lightnings_batch_limits_and_sanity_check():
    """validation_step takes an epoch's validation batches in one Lightning step over
    ``dataloader_iter`` (base.py); Lightning's limits are those of the iterator, so they still
    hold: ``limit_val_batches`` as a count (3 of the 6 batches) and as a fraction (0.7 -> 4),
    and a sanity check (``num_sanity_val_steps=2``) consumes its batches but counts none, as
    Keras runs no sanity validation: the History equals the run's without it."""
    def run(**trainer_kwargs):
        torch.manual_seed(0)
        model = lightning_models.build("apa.autoencoder")
        dm = _digits_ae_data(validate_on_test=True)  # 540 validation rows, 6 batches of 100
        fit(model, dm, epochs=2, **trainer_kwargs)
        return model, dm

    for limit, batches in ((3, 3), (0.7, 4)):
        model, dm = run(limit_val_batches=limit)
        rows = min(540, 100 * batches)
        assert model._val_means.count == rows
        x = torch.from_numpy(dm.splits.x_test[:rows])
        with torch.no_grad():  # the mean over the first `batches` batches, on the final weights
            mse = torch.mean((model.predict_step(x, 0) - x) ** 2).item()
        assert model.history.history["val_loss"][-1] == pytest.approx(mse, rel=1e-5)
    plain, _ = run()
    sanity, _ = run(num_sanity_val_steps=2)
    assert plain._val_means.count == sanity._val_means.count == 540
    assert sanity.history.history == plain.history.history


def _comparable(value, folder: str):
    """A loaded checkpoint with tensors as lists and ``folder`` in paths as ``<dir>``."""
    if isinstance(value, dict):
        return {_comparable(k, folder): _comparable(v, folder) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_comparable(v, folder) for v in value]
    if isinstance(value, str):
        return value.replace(folder, "<dir>")
    return value.tolist() if isinstance(value, torch.Tensor) else value


def test_run_checkpoint_writes_lightnings_two_files_with_one_serialisation(tmp_path, monkeypatch):
    """RunCheckpoint, the CLI's --checkpoint (callbacks.py): the files and contents of Lightning's
    ModelCheckpoint(save_last=True) (the epoch's file and last.ckpt, the state under
    ModelCheckpoint's key), but one serialisation per epoch, last.ckpt being a byte copy; the
    History travels as one tensor per key, exactly."""
    from lightning.pytorch.callbacks import ModelCheckpoint
    from lightning_models.callbacks import RunCheckpoint
    from lightning_models.checkpoints import AtomicCheckpointIO

    saves, save = [], AtomicCheckpointIO.save_checkpoint

    def counted(self, checkpoint, path, **options):
        saves.append(path)
        save(self, checkpoint, path, **options)

    monkeypatch.setattr(AtomicCheckpointIO, "save_checkpoint", counted)
    loaded, counts = {}, {}
    for name, callback in (("lightning", ModelCheckpoint), ("run", RunCheckpoint)):
        folder = tmp_path / name
        torch.manual_seed(0)
        model = lightning_models.build("apa.autoencoder")
        saves.clear()
        fit(model, _digits_ae_data(validate_on_test=True), epochs=3,
            callbacks=[callback(dirpath=str(folder), save_last=True, enable_version_counter=False)])
        counts[name] = len(saves)
        assert sorted(os.listdir(folder)) == ["epoch=2-step=39.ckpt", "last.ckpt"]
        loaded[name] = {file: _comparable(torch.load(folder / file, weights_only=True), str(folder))
                        for file in os.listdir(folder)}
    assert counts == {"lightning": 6, "run": 3}
    run = tmp_path / "run"
    assert (run / "last.ckpt").read_bytes() == (run / "epoch=2-step=39.ckpt").read_bytes()
    assert loaded["run"] == loaded["lightning"]
    history = torch.load(run / "last.ckpt", weights_only=True)["keras_history"]
    assert history["epoch"].dtype == torch.int64 and history["history"]["loss"].dtype == torch.float64
    assert {k: v.tolist() for k, v in history["history"].items()} == model.history.history


def test_history_in_a_checkpoint_round_trips_and_old_lists_still_load():
    model = lightning_models.build("apa.autoencoder")
    model.history.append(0, {"loss": 0.1 + 1e-12, "val_loss": float("nan")})
    model.history.append(1, {"loss": 1 / 3, "val_loss": 2.5})
    checkpoint = {}
    model.on_save_checkpoint(checkpoint)
    resumed = lightning_models.build("apa.autoencoder")
    resumed.on_load_checkpoint(checkpoint)
    assert resumed.history.epoch == [0, 1] and type(resumed.history.epoch[0]) is int
    assert resumed.history.history["loss"] == [0.1 + 1e-12, 1 / 3]  # exactly
    assert np.isnan(resumed.history.history["val_loss"][0]) and resumed.history.history["val_loss"][1] == 2.5
    old = lightning_models.build("apa.autoencoder")  # a checkpoint written with lists
    old.on_load_checkpoint({"keras_history": {"epoch": [0, 1], "history": {"loss": [0.5, 0.25]}}})
    assert old.history.epoch == [0, 1] and old.history.history == {"loss": [0.5, 0.25]}


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
