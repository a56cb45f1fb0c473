"""Every configs/<catalog id>.yaml: it parses and builds its network and DataModule through the
project's LightningCLI, and one epoch of ``fit`` runs in-process with the History keys the
document's compile(metrics=...) and validation imply.

Configs whose data ships offline (digits, iris, the Debian Fashion-MNIST, the wages / NASDAQ /
optdigits stand-ins) train on that data; the others train on tiny fixtures in the real file
formats, written by tests/test_datasets.py's writers and passed with ``--data.init_args.data_dir``
(the configs themselves would stop with the loaders' DataError until the user supplies data).
"""

import glob
import os

import numpy as np
import pytest

import datamodules
import lightning_models
from datamodules.lightning_data import ArrayDataModule
from lightning_models.cli import KerasCLI

from conftest import fashion_available
from test_datasets import (shipping_frame, write_cifar, write_idx_set, write_imdb, write_sonar,
                           write_tweets)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = sorted(glob.glob(os.path.join(ROOT, "configs", "*.yaml")))
CONFIG_IDS = [os.path.basename(path)[: -len(".yaml")] for path in CONFIGS]

#: Catalog ids without a config, and why. apa.nasdaq_logreg is a scikit-learn model (no
#: LightningModule, so no Lightning config) and is not in lightning_models.CATALOG.
SKIPPED = {
    # Fragments the documents never train and whose input matches no catalog dataset:
    "fp.perceptron": "Input(3) -> Dense(1): the document only counts its 4 parameters",
    "fp.dense_pair": "Input(12) -> Dense(32, relu) -> Dense(32): a layer example, no data",
    "fp.flatten_binary": "Input(12, 12) -> ... -> Dense(1, sigmoid): a layer example, no data",
    "fp.fruit_mlp": "four-fruit 28x28 self-assessment: no fruit images in the documents",
    "slides.dropout_example": "Input(3) -> Dense(6) -> Dropout -> Dense(2): a slide fragment",
    "apa.guide_mlp": "the Keras guide's Input(256) example: X_train/X_val are not given",
    "apa.guide_two_branch": "the Keras guide's two-output Input(256) example: no data",
    # Needs a change outside configs/: FashionMNISTDataModule yields (N, 28, 28) images and has
    # no option for the channel axis the (28, 28, 1) input of this network needs.
}

#: History keys of one epoch: the document's metrics, with val_ twins where it validates.
WITH_VAL = ["loss", "accuracy", "val_loss", "val_accuracy"]
EXPECTED_KEYS = {
    "apa.autoencoder": ["loss", "val_loss"],
    "apa.denoising_autoencoder": ["loss", "val_loss"],
    "apa.fashion3_mlp": WITH_VAL,
    "apa.fashion3_mlp_2d": WITH_VAL,
    "apa.cifar2_cnn": WITH_VAL,
    "apa.cifar2_deep_cnn": WITH_VAL,
    "apa.cifar2_pool_cnn": WITH_VAL,
    "apa.olivetti_pca_mlp": ["loss", "accuracy"],         # accuracy added (the document's argmax), no validation
    "apa.olivetti_cnn": ["loss", "accuracy"],
    "apa.wages_linear": ["loss", "mean_squared_error"],   # metrics='mean_squared_error'
    "apa.wages_mlp": ["loss", "mean_squared_error"],
    "apa.wages_gaussian_nll": ["loss", "nllike", "mean_mse"],  # metrics=nllike, + the mean's MSE
    "apa.nasdaq_mlp": WITH_VAL,
    "apa.sentiment_embedding_mlp": WITH_VAL,
    "fp.shipping_dnn": ["loss", "accuracy"],
    "fp.fashion_mlp": ["loss", "accuracy"],
    "master.mnist_mlp": WITH_VAL,                         # validation_split=0.2
    "fp.imdb_mlp": ["loss", "acc", "val_loss", "val_acc"],  # metrics=['acc']
    "fp.imdb_mlp_l2": ["loss", "acc", "val_loss", "val_acc"],
    "fp.imdb_mlp_dropout": ["loss", "acc", "val_loss", "val_acc"],
    "fp.fashion_mlp_dropout": WITH_VAL,
    "fp.conv_batchnorm": WITH_VAL,
    "fp.dense_batchnorm": WITH_VAL,
    "slides.iris_mlp": ["loss", "accuracy"],
    "slides.optdigits_mlp": ["loss", "accuracy"],
    "slides.early_stopping": WITH_VAL,
    "slides.regularized_dense": WITH_VAL,
    "slides.sonar_mlp": WITH_VAL,
    "slides.fashion_mlp": WITH_VAL,
    "slides.cifar10_softmax": WITH_VAL,
}

FASHION = {"apa.fashion3_mlp", "apa.fashion3_mlp_2d", "fp.fashion_mlp", "fp.fashion_mlp_dropout",
           "fp.conv_batchnorm",
           "slides.fashion_mlp"}
#: Configs that train on fixtures: id -> the fixture writer's dataset name.
FIXTURE_DATA = {
    "apa.cifar2_cnn": "cifar10", "apa.cifar2_deep_cnn": "cifar10", "apa.cifar2_pool_cnn": "cifar10",
    "slides.cifar10_softmax": "cifar10", "apa.olivetti_pca_mlp": "olivetti",
    "apa.olivetti_cnn": "olivetti", "apa.sentiment_embedding_mlp": "airline_sentiment",
    "fp.shipping_dnn": "shipping", "master.mnist_mlp": "mnist", "fp.imdb_mlp": "imdb",
    "fp.imdb_mlp_l2": "imdb", "fp.imdb_mlp_dropout": "imdb", "slides.sonar_mlp": "sonar",
}

QUIET = ["--trainer.enable_progress_bar", "false",
         "--trainer.enable_model_summary", "false"]


@pytest.fixture(autouse=True)
def no_pytest_argv(monkeypatch):
    """LightningCLI(args=...) warns when sys.argv holds pytest's own arguments."""
    monkeypatch.setattr("sys.argv", ["lightning_models"])


def config_path(entry_id: str) -> str:
    return os.path.join(ROOT, "configs", f"{entry_id}.yaml")


# -- the catalog is covered -------------------------------------------------------------------
def test_every_catalog_id_has_a_config_or_a_reason():
    catalog = set(lightning_models.CATALOG)
    assert not set(CONFIG_IDS) - catalog, "configs named after no catalog id"
    assert not set(SKIPPED) - catalog, "SKIPPED names ids that are not in the catalog"
    assert not set(SKIPPED) & set(CONFIG_IDS), "a SKIPPED id has a config: drop it from SKIPPED"
    assert catalog - set(CONFIG_IDS) == set(SKIPPED)
    assert set(EXPECTED_KEYS) == set(CONFIG_IDS)


# -- every config parses and builds -----------------------------------------------------------
@pytest.mark.parametrize("entry_id", CONFIG_IDS)
def test_config_instantiates_its_catalog_network_and_datamodule(entry_id):
    cli = KerasCLI(args=["--config", config_path(entry_id)], run=False)
    assert cli.model.catalog_id == entry_id
    assert isinstance(cli.datamodule, ArrayDataModule)
    assert cli.trainer.max_epochs >= 1
    # `fit --ckpt_path last` needs Lightning's checkpoint with save_last, in the run's folder
    # runs/<id>/version_N/checkpoints (the folder is chosen when the run starts)
    assert [cb.save_last for cb in cli.trainer.checkpoint_callbacks if cb.save_last] == [True]
    assert cli.trainer.default_root_dir == os.path.join("runs", entry_id)
    assert cli.trainer.logger.save_dir == os.path.join("runs", entry_id)


# -- one epoch of fit -------------------------------------------------------------------------
def _fixture_args(dataset: str, directory) -> list:
    """Write a tiny ``dataset`` in its real format under ``directory``; the CLI overrides."""
    directory = str(directory)
    if dataset == "cifar10":
        write_cifar(directory, per_batch=10)
    elif dataset == "mnist":
        write_idx_set(directory, n_train=50, n_test=20)
    elif dataset == "imdb":
        write_imdb(os.path.join(directory, "imdb.npz"), n_train=40, n_test=20)
        return ["--data.init_args.data_dir", directory, "--data.init_args.validation_size", "10"]
    elif dataset == "sonar":
        write_sonar(os.path.join(directory, "sonar.all-data"), n=30)
    elif dataset == "shipping":
        shipping_frame(n=40).to_csv(os.path.join(directory, "Train.csv"), index=False)
    elif dataset == "olivetti":
        import joblib
        from sklearn.datasets._base import _pkl_filepath

        faces = np.random.default_rng(0).integers(0, 256, (400, 4096), dtype=np.uint8)
        joblib.dump(faces, _pkl_filepath(directory, "olivetti.pkz"), compress=3)
    elif dataset == "airline_sentiment":
        words = ["good", "bad", "late", "flight", "crew", "seat", "delay", "thanks"]
        rng = np.random.default_rng(0)
        rows = [(["negative", "neutral", "positive"][i % 3],
                 " ".join(rng.choice(words, rng.integers(2, 9)))) for i in range(60)]
        write_tweets(os.path.join(directory, "Tweets.csv"), rows)
        length = datamodules.load(dataset, data_dir=directory).x_train.shape[1]
        return ["--data.init_args.data_dir", directory,
                "--model.init_args.sequence_length", str(length)]
    return ["--data.init_args.data_dir", directory]


@pytest.mark.parametrize("entry_id", CONFIG_IDS)
def test_one_epoch_of_fit_gives_the_documents_history_keys(entry_id, tmp_path, monkeypatch):
    if entry_id in FASHION and not fashion_available():
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    extra = []
    if entry_id in FIXTURE_DATA:
        data_dir = tmp_path / "data"
        data_dir.mkdir()
        extra = _fixture_args(FIXTURE_DATA[entry_id], data_dir)
    monkeypatch.chdir(tmp_path)
    cli = KerasCLI(args=["fit", "--config", config_path(entry_id), "--trainer.max_epochs", "1",
                         *QUIET, "--trainer.limit_train_batches", "64",
                         "--trainer.limit_val_batches", "16", *extra])
    history = cli.model.history
    assert history.epoch == [0]
    assert list(history.history) == EXPECTED_KEYS[entry_id]
    assert all(np.isfinite(values[0]) for values in history.history.values())
    assert (tmp_path / "runs" / entry_id / "version_0" / "checkpoints" / "last.ckpt").is_file()


def test_keras_checkpoint_beside_lightning_last_and_resume(tmp_path, monkeypatch):
    """apa.cifar2_cnn's KerasModelCheckpoint (best, weights only) writes the run folder's
    best.ckpt next to Lightning's checkpoints/last.ckpt, and `--ckpt_path last` resumes from
    the latter with the early-stopping state and the History."""
    entry_id = "apa.cifar2_cnn"
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    extra = _fixture_args("cifar10", data_dir)
    monkeypatch.chdir(tmp_path)
    args = ["fit", "--config", config_path(entry_id), *QUIET, *extra]
    KerasCLI(args=[*args, "--trainer.max_epochs", "2"])
    run_dir = tmp_path / "runs" / entry_id / "version_0"
    assert (run_dir / "best.ckpt").is_file()
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    cli = KerasCLI(args=[*args, "--trainer.max_epochs", "3", "--ckpt_path", "last"])
    assert cli.model.history.epoch == [0, 1, 2]
    assert cli.trainer.current_epoch == 3
