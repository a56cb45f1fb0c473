"""Evaluation for users (issue 10, items 5 and 6): metrics of a checkpoint on any split, predict
to a file, the stopped epoch, the Olivetti accuracy and the Gaussian network's ``mean_mse``,
and the HParams view. The CLI runs in this process (``lightning_models.cli.main``), on digits
and the offline wages stand-in, for a few epochs."""

import contextlib
import io
import math
import os
import re
import sys

import lightning.pytorch as pl
import numpy as np
import pytest
import torch
from torch import nn

import lightning_models  # before keras (the project's import order)
from datamodules import load
from datamodules.lightning_data import TensorBatches
from lightning_models.cli import main, prediction_columns, write_predictions
from lightning_models.regularization import EarlyStoppingMLP
from lightning_models.tensorboard import log_hparams, read_hparams, tensorboard_without_tensorflow
from lightning_models.training import keras_trainer, quiet_known_notices

import keras  # noqa: E402

from conftest import transferred_pair

# Stops in its 2nd epoch: val_accuracy can never improve by min_delta 1.0 on the 1st epoch's.
DIGITS_CONFIG = """\
trainer:
  max_epochs: 6
  callbacks:
    - class_path: lightning_models.callbacks.KerasEarlyStopping
      init_args: {monitor: val_accuracy, patience: 1, min_delta: 1.0,
                  restore_best_weights: true, verbose: true}
model:
  class_path: lightning_models.regularization.EarlyStoppingMLP
  init_args: {units: 16, input_dim: 64, num_classes: 10, learning_rate: 0.1}
data:
  class_path: datamodules.lightning_data.DigitsDataModule
  init_args: {batch_size: 32, validate_on_test: true, test_size: 0.3}
"""

NUMBER = r"(-?\d+\.\d+)"


def _metrics(line: str) -> dict:
    """``{'loss': 0.1234, ...}`` of an evaluation line ``... : loss: 0.1234 - accuracy: ...``."""
    return {name: float(value) for name, value in re.findall(r"(\w+): " + NUMBER, line)}


def _line(out: str, start: str) -> str:
    (line,) = [line for line in out.splitlines() if line.startswith(start)]
    return line


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """One fit on digits, stopped early in epoch 2; ``(folder, config path, fit's stdout)``."""
    folder = tmp_path_factory.mktemp("digits")
    config = folder / "digits.yaml"
    config.write_text(DIGITS_CONFIG)
    out = _run(folder, ["fit", "--config", str(config)])
    return folder, str(config), out


def _run(folder, argv) -> str:
    """``python -m lightning_models <argv>`` in ``folder``, in this process; its stdout."""
    cwd, buffer, sys_argv = os.getcwd(), io.StringIO(), sys.argv
    os.chdir(folder)
    sys.argv = ["lightning_models"]  # pytest's own arguments are not the command's
    try:
        with contextlib.redirect_stdout(buffer):
            main(argv)
    finally:
        os.chdir(cwd)
        sys.argv = sys_argv
    return buffer.getvalue()


def _independent_metrics(folder, split: str):
    """Loss and accuracy of last.ckpt's weights on a digits split, computed here with torch."""
    (ckpt,) = (folder / "runs" / "slides.early_stopping").glob("version_0/checkpoints/last.ckpt")
    model = EarlyStoppingMLP(units=16, input_dim=64, num_classes=10).eval()
    model.load_state_dict(torch.load(ckpt, weights_only=False)["state_dict"])
    splits = load("digits", test_size=0.3)
    x, y = {"train": (splits.x_train, splits.y_train), "test": (splits.x_test, splits.y_test)}[split]
    with torch.no_grad():
        logits = model(torch.as_tensor(x, dtype=torch.float32))
    labels = torch.as_tensor(y).long()
    loss = nn.functional.cross_entropy(logits, labels).item()
    accuracy = (logits.argmax(1) == labels).float().mean().item()
    return {"loss": loss, "accuracy": accuracy}, logits.softmax(1).numpy(), np.asarray(y), len(y)


# -- the stopped epoch and the HParams view, at the end of fit ----------------------------------
def test_fit_prints_the_stopped_epoch_as_keras_and_the_restored_epoch(digits_run):
    _, _, out = digits_run
    lines = out.splitlines()
    assert "Epoch 2: early stopping" in lines  # Keras' verbose=1 lines, after the last epoch's
    assert "Restoring model weights from the end of the best epoch: 1." in lines
    assert lines.index("Epoch 2: early stopping") > lines.index(_line(out, "Epoch 2/6"))
    summary = _line(out, "EarlyStopping:")
    assert summary.startswith("EarlyStopping: stopped at epoch 2 (no improvement of val_accuracy "
                              "in the last 1 epoch)")
    assert summary.endswith("at epoch 1; restored the weights of epoch 1")
    assert not any(line.startswith("Epoch 3/") for line in lines)


def test_fit_writes_hyperparameters_and_final_metrics_to_the_hparams_view(digits_run):
    folder, _, _ = digits_run
    run = folder / "runs" / "slides.early_stopping" / "version_0"
    history = torch.load(run / "checkpoints" / "last.ckpt", weights_only=False)["keras_history"]
    hparams, metrics = read_hparams(str(run))
    assert metrics == pytest.approx({"final/" + k: float(v[-1]) for k, v in history["history"].items()}
                                    | {"final/epochs": 2.0})
    assert set(metrics) == {"final/loss", "final/accuracy", "final/val_loss",
                            "final/val_accuracy", "final/epochs"}
    assert (hparams["network"], hparams["units"], hparams["optimizer"]) == \
        ("slides.early_stopping", 16, "sgd")
    assert hparams["learning_rate"] == pytest.approx(0.1)
    assert (hparams["batch_size"], hparams["max_epochs"], hparams["seed_everything"]) == (32, 6, 0)


# -- metrics of a checkpoint on any split --------------------------------------------------------
@pytest.mark.parametrize("command, split, expected_split", [
    (["test", "--split", "train"], "train", "train"),
    (["test"], "test", "test"),
    (["validate"], "test", "val"),  # validate_on_test: the val split is the test rows
])
def test_evaluation_on_a_split_equals_an_independent_evaluation(digits_run, command, split,
                                                                expected_split):
    folder, config, _ = digits_run
    out = _run(folder, [*command, "--config", config, "--ckpt_path", "last"])
    line = _line(out, f"{expected_split} split (")
    expected, _, _, n = _independent_metrics(folder, split)
    assert f"({n} examples)" in line and "version_0/checkpoints/last.ckpt" in line
    values = _metrics(line.split(": ", 1)[1])
    assert set(values) == {"loss", "accuracy"}  # Keras' evaluate names, no test_/val_ prefix
    assert values["loss"] == pytest.approx(expected["loss"], abs=6e-5)
    assert values["accuracy"] == pytest.approx(expected["accuracy"], abs=6e-5)


# -- predict to a file ----------------------------------------------------------------------------
def test_predict_writes_probabilities_predicted_and_true_labels(digits_run):
    folder, config, _ = digits_run
    out = _run(folder, ["predict", "--config", config, "--ckpt_path", "last", "--split", "train"])
    path = folder / "runs" / "slides.early_stopping" / "version_0" / "predictions_train_last.csv"
    assert f": {path} (columns: index, prob_0..prob_9, predicted, label)" in out
    table = np.genfromtxt(path, delimiter=",", names=True)
    assert table.dtype.names == ("index", *[f"prob_{k}" for k in range(10)], "predicted", "label")
    expected, probabilities, labels, n = _independent_metrics(folder, "train")
    probs = np.stack([table[f"prob_{k}"] for k in range(10)], axis=1)
    assert len(table) == n and np.array_equal(table["index"], np.arange(n))
    assert np.allclose(probs, probabilities, atol=1e-6)
    assert np.array_equal(table["predicted"], probs.argmax(1))
    assert np.array_equal(table["label"], labels)
    assert np.mean(table["predicted"] == table["label"]) == pytest.approx(expected["accuracy"])

    npz = folder / "preds.npz"
    _run(folder, ["predict", "--config", config, "--ckpt_path", "last", "--split", "train",
                  "--output", str(npz)])
    arrays = np.load(npz)
    assert np.allclose(arrays["probabilities"], probs, atol=1e-7)
    assert np.array_equal(arrays["predicted"], table["predicted"])
    assert np.array_equal(arrays["labels"], labels)


def test_predict_refuses_an_unknown_file_type(digits_run, capsys):
    folder, config, _ = digits_run
    with pytest.raises(SystemExit) as exit_info:
        _run(folder, ["predict", "--config", config, "--output", "preds.txt"])
    assert exit_info.value.code == 2
    assert "error: --output must name a .csv or .npz file, got 'preds.txt'" in capsys.readouterr().err
    assert not (folder / "preds.txt").exists()


def test_gaussian_network_predicts_mean_and_log_variance_and_reports_mean_mse(tmp_path):
    """apa.wages_gaussian_nll on the offline stand-in: ``test`` prints ``mean_mse``, the MSE of
    the first output, equal to the one computed from the predictions file."""
    config = os.path.join(os.path.dirname(os.path.dirname(__file__)), "configs",
                          "apa.wages_gaussian_nll.yaml")
    _run(tmp_path, ["fit", "--config", config, "--trainer.max_epochs", "2"])
    out = _run(tmp_path, ["test", "--config", config, "--ckpt_path", "last"])
    values = _metrics(_line(out, "test split (").split(": ", 1)[1])
    assert set(values) == {"loss", "nllike", "mean_mse"}
    out = _run(tmp_path, ["predict", "--config", config, "--ckpt_path", "last"])
    assert "(columns: index, mean, log_variance, target)" in out
    (path,) = tmp_path.glob("runs/apa.wages_gaussian_nll/version_0/predictions_test_last.csv")
    table = np.genfromtxt(path, delimiter=",", names=True)
    assert np.mean((table["mean"] - table["target"]) ** 2) == pytest.approx(values["mean_mse"],
                                                                             abs=6e-5)


def test_prediction_columns_of_one_sigmoid_unit_and_of_a_regression(tmp_path):
    probs = np.array([[0.2], [0.5], [0.51], [0.9]], np.float32)
    columns = prediction_columns(probs, np.array([0.0, 1.0, 1.0, 1.0]), classifier=True)
    assert list(columns) == ["index", "prob_1", "predicted", "label"]
    assert columns["predicted"].tolist() == [0, 0, 1, 1]  # Keras: p > 0.5
    assert columns["label"].tolist() == [0, 1, 1, 1]
    columns = prediction_columns(np.ones((3, 2)), np.zeros(3))
    assert list(columns) == ["index", "output_0", "output_1", "target"]
    write_predictions(str(tmp_path / "r.csv"), columns)
    assert (tmp_path / "r.csv").read_text().splitlines()[:2] == ["index,output_0,output_1,target",
                                                                "0,1,1,0"]


# -- KerasEarlyStopping's messages are Keras' --------------------------------------------------
class _Scripted(pl.LightningModule):
    """Logs a scripted ``val_loss``; its one weight equals the epoch number."""

    def __init__(self, values):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.values = values

    def training_step(self, batch, batch_idx):
        return (self.w * 0).sum()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.0)

    def validation_step(self, batch, batch_idx):
        pass

    def on_validation_epoch_end(self):
        self.log("val_loss", self.values[self.current_epoch])

    def on_train_epoch_end(self):
        with torch.no_grad():
            self.w.fill_(self.current_epoch)


ES_PRINT_CASES = {
    "stops_and_restores": (dict(patience=1, restore_best_weights=True), [1.0, 0.9, 0.95, 0.5]),
    "stops_without_restoring": (dict(patience=1), [1.0, 0.9, 0.95, 0.5]),
    "never_stops_restores": (dict(patience=2, restore_best_weights=True), [1.0, 0.9, 0.95, 0.97]),
}


@pytest.mark.parametrize("case", list(ES_PRINT_CASES))
def test_keras_early_stopping_prints_what_keras_prints(case, capsys):
    options, values = ES_PRINT_CASES[case]
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    callback = keras.callbacks.EarlyStopping(verbose=1, **options)
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        callback.on_epoch_end(epoch, {"val_loss": value})
        if model.stop_training:
            break
    callback.on_train_end()
    keras_lines = capsys.readouterr().out.splitlines()

    ours = lightning_models.KerasEarlyStopping(verbose=True, **options)
    batches = TensorBatches([torch.zeros(1, 1), torch.zeros(1, 1)], batch_size=1)
    with quiet_known_notices():
        pl.Trainer(max_epochs=len(values), callbacks=[ours], logger=False, num_sanity_val_steps=0,
                   enable_checkpointing=False, enable_progress_bar=False,
                   enable_model_summary=False).fit(_Scripted(values), batches, batches)
    lightning_lines = [line for line in capsys.readouterr().out.splitlines()
                       if line.startswith(("Epoch", "Restoring"))]
    assert keras_lines and lightning_lines == keras_lines


# -- the metrics the project adds: Olivetti accuracy, the Gaussian network's mean_mse ------------
def _lightning_evaluate(model, x, y, batch_size=16) -> dict:
    batches = TensorBatches([torch.as_tensor(x), torch.as_tensor(y)], batch_size=batch_size)
    with quiet_known_notices():
        (results,) = keras_trainer(1).test(model, dataloaders=batches, verbose=False)
    return {key.removeprefix("test_"): value for key, value in results.items()}


@pytest.mark.parametrize("entry_id", ["apa.olivetti_pca_mlp", "apa.olivetti_cnn"])
def test_olivetti_accuracy_is_the_documents_argmax_accuracy_on_both_sides(entry_id, rng):
    keras_model, torch_model = transferred_pair(entry_id)
    n = 24
    x = torch_model.random_input(n, generator=torch.Generator().manual_seed(2)).numpy()
    predicted = keras_model.predict(x, verbose=0).argmax(1)
    labels = np.where(np.arange(n) % 3 == 0, (predicted + 1) % 40, predicted)  # 2/3 right
    y = np.eye(40, dtype=np.float32)[labels]
    document = float(np.mean(predicted == labels))  # np.argmax of predict, as the document
    keras_accuracy = keras_model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)["accuracy"]
    lightning_accuracy = _lightning_evaluate(torch_model, x, y)["accuracy"]
    assert document == pytest.approx(16 / 24)
    assert keras_accuracy == pytest.approx(document) and lightning_accuracy == pytest.approx(document)


def test_gaussian_mean_mse_is_the_mse_of_the_predicted_mean_on_both_sides(rng):
    keras_model, torch_model = transferred_pair("apa.wages_gaussian_nll")
    x = torch_model.random_input(50, generator=torch.Generator().manual_seed(3)).numpy()
    y = rng.normal(1.0, 0.5, 50).astype(np.float32)
    mean = keras_model.predict(x, verbose=0)[:, 0]
    document = float(np.mean((mean - y) ** 2))  # "el primer valor ... la variable objetivo"
    keras_value = keras_model.evaluate(x, y[:, None], batch_size=16, verbose=0,
                                       return_dict=True)["mean_mse"]
    lightning_value = _lightning_evaluate(torch_model, x, y)["mean_mse"]
    assert keras_value == pytest.approx(document, rel=1e-5)
    assert lightning_value == pytest.approx(document, rel=1e-5)


# -- log_hparams for any run folder (the exercise runner's Keras and Lightning runs) -------------
def test_log_hparams_writes_an_entry_tensorboard_reads(tmp_path):
    """Read back with TensorBoard's own EventAccumulator and the HParams plugin's protos."""
    tensorboard_without_tensorflow()
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    (tmp_path / "train").mkdir()  # a Keras TensorBoard run: curves below, the entry at the top
    log_hparams(str(tmp_path), {"neurons": 64, "optimizer": "adam", "learning_rate": None,
                                "optimizer_options": {"momentum": 0.9}, "flatten": True,
                                "hidden_units": [128, 64]},
                {"train_accuracy": 0.875, "test_accuracy": 0.8125}, step=12)
    events = EventAccumulator(str(tmp_path))
    events.Reload()
    content = events.PluginTagToContent(metadata.PLUGIN_NAME)
    start = plugin_data_pb2.HParamsPluginData.FromString(
        content[metadata.SESSION_START_INFO_TAG]).session_start_info
    assert start.hparams["neurons"].number_value == 64
    assert start.hparams["optimizer"].string_value == "adam"
    assert start.hparams["optimizer_options/momentum"].number_value == pytest.approx(0.9)
    assert start.hparams["learning_rate"].string_value == "None"
    assert start.hparams["flatten"].string_value == "True"
    assert start.hparams["hidden_units"].string_value == "[128, 64]"
    experiment = plugin_data_pb2.HParamsPluginData.FromString(
        content[metadata.EXPERIMENT_TAG]).experiment
    assert sorted(m.name.tag for m in experiment.metric_infos) == ["test_accuracy", "train_accuracy"]
    (scalar,) = events.Scalars("test_accuracy")
    assert (scalar.step, scalar.value) == (12, 0.8125)
    assert read_hparams(str(tmp_path))[1] == {"train_accuracy": 0.875, "test_accuracy": 0.8125}
    assert math.isclose(read_hparams(str(tmp_path))[0]["neurons"], 64)
