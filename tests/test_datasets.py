"""Every loader of ``datamodules`` on tiny fixtures written here in the real file formats
(IDX .gz, CIFAR python pickles, Keras .npz, scikit-learn's olivetti .pkz, CSV): shapes,
dtypes, value ranges, class subsets, train-only fitting, Keras' validation split, NASDAQ
window/label alignment, the digits corruption, and one-line errors for missing or corrupt
data. Nothing here touches the network."""

import gzip
import hashlib
import inspect
import os
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest

import datamodules
from datamodules import DATAMODULES, LOADERS, DataError, load
from datamodules.idx import write_idx

CATALOG_DATASETS = ["digits", "iris", "fashion_mnist", "mnist", "cifar10", "olivetti", "imdb",
                    "wages", "nasdaq", "airline_sentiment", "shipping", "sonar", "optdigits"]


@pytest.fixture(autouse=True)
def isolated_locations(tmp_path, monkeypatch):
    """No real cache (Keras', scikit-learn's, the project's, Debian's) is seen by these tests."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("KLP_DATA_DIR", str(tmp_path / "klp_cache"))
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "sklearn_home"))
    monkeypatch.setattr(datamodules.images, "FASHION_DEBIAN_DIR", str(tmp_path / "debian"))


# -- fixture writers (the real formats) -----------------------------------------------------
def write_idx_set(directory, n_train=40, n_test=20, seed=0, gz=True, names=None):
    """The four MNIST/Fashion-MNIST IDX files; every class 0..9 appears equally often."""
    rng = np.random.default_rng(seed)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": np.arange(n_train, dtype=np.uint8) % 10,
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": np.arange(n_test, dtype=np.uint8) % 10,
    }
    names = names or datamodules.images.IDX_FILES
    for key, stem in names.items():
        write_idx(os.path.join(directory, stem + (".gz" if gz else "")), arrays[key])
    return arrays


def cifar_rows(n, seed):
    """(N, 3072) rows in CIFAR's layout (1024 red, 1024 green, 1024 blue) and their images."""
    images = np.random.default_rng(seed).integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
    return images.transpose(0, 3, 1, 2).reshape(n, -1), images


def write_cifar(directory, per_batch=6):
    folder = os.path.join(directory, "cifar-10-batches-py")
    os.makedirs(folder)
    images, labels = [], []
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        rows, imgs = cifar_rows(per_batch, i)
        labs = [(i * per_batch + j) % 10 for j in range(per_batch)]
        with open(os.path.join(folder, name), "wb") as f:  # python-2 style pickles: bytes keys
            pickle.dump({b"batch_label": name.encode(), b"data": rows, b"labels": labs,
                         b"filenames": [b"x.png"] * per_batch}, f, protocol=2)
        images.append(imgs)
        labels.append(np.array(labs))
    with open(os.path.join(folder, "batches.meta"), "wb") as f:
        pickle.dump({b"label_names": [n.encode() for n in datamodules.images.CIFAR10_CLASSES],
                     b"num_vis": 3072}, f, protocol=2)
    return folder, np.concatenate(images[:5]), np.concatenate(labels[:5]), images[5], labels[5]


def write_imdb(path, n_train=30, n_test=12, vocab=40, seed=0):
    """Keras' imdb.npz layout: object arrays of word-rank lists (no offsets) and 0/1 labels."""
    rng = np.random.default_rng(seed)

    def reviews(n):
        out = np.empty(n, dtype=object)
        out[:] = [list(map(int, rng.integers(1, vocab, rng.integers(3, 15)))) for _ in range(n)]
        return out

    np.savez(path, x_train=reviews(n_train), y_train=np.arange(n_train) % 2,
             x_test=reviews(n_test), y_test=np.arange(n_test) % 2)


def write_tweets(path, rows, label_column="airline_sentiment"):
    pd.DataFrame({"tweet_id": range(len(rows)), label_column: [r[0] for r in rows],
                  "airline": "United", "text": [r[1] for r in rows]}).to_csv(path, index=False)


def shipping_frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    pick = lambda values: [values[i % len(values)] for i in rng.permutation(n)]  # noqa: E731
    return pd.DataFrame({
        "ID": np.arange(1, n + 1), "Warehouse_block": pick(["A", "B", "C", "D", "F"]),
        "Mode_of_Shipment": pick(["Flight", "Road", "Ship"]),
        "Customer_care_calls": rng.integers(2, 8, n), "Customer_rating": rng.integers(1, 6, n),
        "Cost_of_the_Product": rng.integers(96, 311, n), "Prior_purchases": rng.integers(2, 11, n),
        "Product_importance": pick(["low", "medium", "high"]), "Gender": pick(["F", "M"]),
        "Discount_offered": rng.integers(1, 66, n), "Weight_in_gms": rng.integers(1001, 7847, n),
        "Reached.on.Time_Y.N": np.arange(n) % 2})


def write_nasdaq(directory, days=12, seed=0):
    """nasdaq.com exports for the 5 tickers: newest day first, '$' prices, as apafib reads them."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2020-01-01", periods=days)
    table = {}
    for t in datamodules.economics.NASDAQ_TICKERS:
        close = rng.uniform(10, 20, days).round(2)
        high = close + rng.uniform(0, 2, days).round(2)
        low = close - rng.uniform(0, 2, days).round(2)
        volume = rng.integers(1000, 9000, days)
        money = lambda values: [f"${v:.2f}" for v in values]  # noqa: E731
        frame = pd.DataFrame({"Date": dates.strftime("%m/%d/%Y"), "Close/Last": money(close),
                              "Volume": volume, "Open": money(close), "High": money(high),
                              "Low": money(low)})
        frame.iloc[::-1].to_csv(os.path.join(directory, f"HistoricalData_{t}.csv"), index=False)
        table.update({f"{t}-P": close, f"{t}-V": volume.astype(float),
                      f"{t}-GAP": np.abs(high - low)})
    return pd.DataFrame(table, index=dates)


# -- registry and API ------------------------------------------------------------------------
def test_every_catalog_dataset_has_a_loader_and_a_datamodule():
    assert sorted(LOADERS) == sorted(CATALOG_DATASETS)
    assert sorted(DATAMODULES) == sorted(CATALOG_DATASETS)
    for name, cls in DATAMODULES.items():
        assert issubclass(cls, datamodules.ArrayDataModule)
        assert getattr(datamodules, cls.__name__) is cls
        params = inspect.signature(cls.__init__).parameters
        for p in params.values():  # LightningCLI reads typed keywords with defaults
            if p.name not in ("self", "kwargs"):
                assert p.annotation is not inspect.Parameter.empty, (name, p.name)
                assert p.default is not inspect.Parameter.empty, (name, p.name)
        assert "kwargs" in params
        loader = inspect.signature(LOADERS[name]).parameters
        assert "data_dir" in loader and "download" in loader, name
        assert loader["download"].default is False


@pytest.mark.parametrize("name", CATALOG_DATASETS)
def test_lightning_cli_sees_every_datamodule_option(name):
    from jsonargparse import ArgumentParser

    parser = ArgumentParser()
    parser.add_class_arguments(DATAMODULES[name], "data")
    keys = {action.dest for action in parser._actions}
    own = [p for p in inspect.signature(DATAMODULES[name].__init__).parameters
           if p not in ("self", "kwargs")]
    shared = ["batch_size", "val_split", "validate_on_test", "targets", "shuffle", "shuffle_seed",
              "num_workers"]
    assert {f"data.{k}" for k in own + shared} <= keys


def test_datamodules_forward_the_shared_batching_options():
    dm = DATAMODULES["iris"](batch_size=20, val_split=0.2, shuffle_seed=3, num_workers=2,
                             shuffle=False)
    assert (dm.batch_size, dm.val_split, dm.shuffle_seed, dm.num_workers) == (20, 0.2, 3, 2)


# -- seeds: split_seed chooses the rows, shuffle_seed orders the batches ----------------------
def test_seed_has_one_meaning_per_name():
    """No loader or DataModule takes a bare ``seed``: ``split_seed`` is the train/test split's,
    ``shuffle_seed`` the batch order's."""
    for name in CATALOG_DATASETS:
        for function in (LOADERS[name], DATAMODULES[name].__init__):
            assert "seed" not in inspect.signature(function).parameters, name
    assert "shuffle_seed" in inspect.signature(datamodules.ArrayDataModule.__init__).parameters


def test_split_seed_splits_in_the_loader_and_the_datamodule():
    first, other = load("digits", split_seed=0), load("digits", split_seed=1)
    assert not np.array_equal(first.x_train, other.x_train)
    dm = DATAMODULES["digits"](split_seed=1)
    dm.setup("fit")
    np.testing.assert_array_equal(dm.splits.x_train, other.x_train)


@pytest.fixture
def seed_everything(monkeypatch):
    """``lightning.seed_everything``; the global RNGs and ``PL_GLOBAL_SEED`` are restored after."""
    import random

    import torch
    from lightning.pytorch import seed_everything as lightning_seed_everything

    monkeypatch.setenv("PL_GLOBAL_SEED", "0")  # so that monkeypatch restores it
    states = random.getstate(), np.random.get_state(), torch.random.get_rng_state()
    yield lambda seed: lightning_seed_everything(seed, verbose=False)
    random.setstate(states[0])
    np.random.set_state(states[1])
    torch.random.set_rng_state(states[2])


def _first_epoch_inputs(dm):
    dm.setup("fit")
    return np.concatenate([x.numpy() for x, _ in dm.train_dataloader()])


def test_shuffle_seed_none_follows_seed_everything(seed_everything):
    def first_epoch(seed):
        seed_everything(seed)
        return _first_epoch_inputs(DATAMODULES["digits"](batch_size=100))

    np.testing.assert_array_equal(first_epoch(1), first_epoch(1))
    assert not np.array_equal(first_epoch(1), first_epoch(2))
    # the generator is seeded at the first setup, so a DataModule made before seeding follows too
    dm = DATAMODULES["digits"](batch_size=100)
    seed_everything(2)
    np.testing.assert_array_equal(_first_epoch_inputs(dm), first_epoch(2))


def test_an_explicit_shuffle_seed_ignores_the_global_seed(seed_everything):
    def first_epoch(global_seed, shuffle_seed):
        seed_everything(global_seed)
        return _first_epoch_inputs(DATAMODULES["digits"](batch_size=100, shuffle_seed=shuffle_seed))

    np.testing.assert_array_equal(first_epoch(1, 7), first_epoch(2, 7))
    assert not np.array_equal(first_epoch(1, 7), first_epoch(1, 8))


def test_a_resumed_run_continues_the_saved_batch_order(seed_everything, tmp_path):
    """Lightning restores the DataModule's state after its setup: the generator state saved in
    the checkpoint replaces the one seeded from the (here different) global seed."""
    import lightning.pytorch as pl
    import torch
    from lightning.pytorch.callbacks import ModelCheckpoint

    class Recorder(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(4, 1)
            self.seen = []

        def training_step(self, batch, batch_idx):
            x, _ = batch
            self.seen.append(x.clone())
            return self.layer(x).pow(2).mean()

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.0)

    def run(global_seed, epochs, checkpoints=False, **fit_options):
        seed_everything(global_seed)
        model = Recorder()
        saver = ModelCheckpoint(dirpath=str(tmp_path / "ckpt"), save_last=True)
        trainer = pl.Trainer(max_epochs=epochs, accelerator="cpu", logger=False,
                             enable_progress_bar=False, enable_model_summary=False,
                             enable_checkpointing=checkpoints, num_sanity_val_steps=0,
                             default_root_dir=str(tmp_path), callbacks=[saver] * checkpoints)
        trainer.fit(model, DATAMODULES["iris"](batch_size=50), **fit_options)
        return [b.numpy() for b in model.seen]

    straight = run(1, epochs=4)  # 3 batches per epoch
    run(1, epochs=2, checkpoints=True)
    resumed = run(2, epochs=4, checkpoints=True, ckpt_path=str(tmp_path / "ckpt" / "last.ckpt"))
    assert len(resumed) == 6
    for got, expected in zip(resumed, straight[6:]):
        np.testing.assert_array_equal(got, expected)
    assert not all(np.array_equal(a, b) for a, b in zip(run(2, epochs=4)[6:], straight[6:]))


@pytest.mark.parametrize("name", [n for n in CATALOG_DATASETS if n not in ("digits", "iris")])
def test_missing_data_is_a_one_line_error_naming_data_dir_and_the_way_to_get_it(name, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError) as err:
        load(name, data_dir=str(empty))
    message = str(err.value)
    assert "\n" not in message
    assert str(empty) in message
    assert "download=True" in message or "Kaggle" in message


def test_olivetti_missing_names_its_data_home(tmp_path):
    with pytest.raises(DataError, match=str(tmp_path / "nowhere")):
        load("olivetti", data_dir=str(tmp_path / "nowhere"))


def test_unknown_dataset():
    with pytest.raises(KeyError, match="known"):
        load("nope")


# -- Keras validation_split -----------------------------------------------------------------
@pytest.mark.parametrize("n,fraction", [(10, 0.2), (150, 0.2), (1257, 0.3), (7, 0.5), (33, 0.1)])
def test_keras_validation_split_is_the_last_fraction_like_keras(n, fraction):
    from keras.src.trainers.data_adapters.array_slicing import train_validation_split

    x, y = np.arange(n * 2).reshape(n, 2), np.arange(n)
    (kx, ky), (kvx, kvy) = train_validation_split((x, y), fraction)
    ours = datamodules.keras_validation_split(x, y, fraction)
    for a, b in zip(ours, (kx, ky, kvx, kvy)):
        np.testing.assert_array_equal(a, np.asarray(b))


def test_validation_split_in_load_and_in_the_datamodule_take_the_last_rows_unshuffled():
    full = load("iris", one_hot=False)
    split = load("iris", one_hot=False, validation_split=0.2)
    np.testing.assert_array_equal(split.x_val, full.x_train[120:])
    np.testing.assert_array_equal(split.x_train, full.x_train[:120])
    dm = DATAMODULES["iris"](one_hot=False, val_split=0.2, batch_size=None)
    dm.setup("fit")
    (xv, yv), = list(dm.val_dataloader())
    np.testing.assert_array_equal(xv.numpy(), full.x_train[120:])
    # iris is sorted by class: the last 30 rows are virginica
    assert sorted(np.unique(yv.numpy())) == [2]


def test_validation_split_does_not_replace_a_dataset_validation_set(tmp_path):
    write_imdb(str(tmp_path / "imdb.npz"))
    with pytest.raises(DataError, match="already has a validation set"):
        load("imdb", data_dir=str(tmp_path), validation_size=10, validation_split=0.2)


def test_explicit_validation_data_and_validate_on_test():
    dm = DATAMODULES["digits"](validate_on_test=True, batch_size=100)
    dm.setup("fit")
    assert dm.splits.x_val is dm.splits.x_test


# -- digits ----------------------------------------------------------------------------------
def test_digits_split_scaling_and_one_hot():
    s = load("digits", one_hot=True)
    assert s.sizes() == {"train": 1257, "test": 540}
    assert s.x_train.dtype == np.float32 and 0.0 <= s.x_train.min() and s.x_train.max() == 1.0
    assert s.y_train.shape == (1257, 10) and (s.y_train.sum(1) == 1).all()
    raw = load("digits", scale=False)
    np.testing.assert_allclose(raw.x_train / 16.0, s.x_train)


@pytest.mark.parametrize("fraction", [0.1, 0.3])
@pytest.mark.parametrize("copies", [1, 2])
def test_digits_corruption_fraction_copies_and_clean_targets(fraction, copies):
    s = load("digits", corruption=fraction, copies=copies, corruption_seed=1)
    clean = s.info["clean_inputs"]["train"]
    base = load("digits")
    assert s.x_train.shape == clean.shape == (1257 * copies, 64)
    np.testing.assert_array_equal(clean, np.concatenate([base.x_train] * copies))
    np.testing.assert_array_equal(s.y_train, np.concatenate([base.y_train] * copies))
    changed = s.x_train != clean
    assert abs(changed.mean() - fraction) < 0.005
    for part in range(copies):  # every copy is corrupted, each about the same fraction
        assert abs(changed[part * 1257:(part + 1) * 1257].mean() - fraction) < 0.02
    assert 0.0 <= s.x_train.min() and s.x_train.max() <= 1.0
    np.testing.assert_array_equal(s.x_test, base.x_test)  # test inputs stay clean by default
    if copies == 2:
        assert (s.x_train[:1257] != s.x_train[1257:]).any()  # independent corruptions


def test_digits_corrupt_test_and_seeded():
    a = load("digits", corruption=0.3, corrupt_test=True, corruption_seed=5)
    b = load("digits", corruption=0.3, corrupt_test=True, corruption_seed=5)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert abs((a.x_test != a.info["clean_inputs"]["test"]).mean() - 0.3) < 0.01
    with pytest.raises(DataError):
        load("digits", copies=2)


def test_denoising_datamodule_targets_are_the_clean_digits():
    dm = DATAMODULES["digits"](corruption=0.1, copies=2, targets="inputs", batch_size=None,
                               shuffle=False, validate_on_test=True)
    dm.setup("fit")
    (x, y), = list(dm.train_dataloader())
    clean = dm.splits.info["clean_inputs"]["train"]
    np.testing.assert_array_equal(y.numpy(), clean)
    assert (x.numpy() != clean).any()
    (xv, yv), = list(dm.val_dataloader())
    np.testing.assert_array_equal(xv.numpy(), yv.numpy())  # clean test inputs, clean targets


# -- iris ------------------------------------------------------------------------------------
def test_iris_one_hot_and_split_with_train_only_scaler():
    s = load("iris")
    assert s.sizes() == {"train": 150, "test": 150} and s.info["test_is_train"]
    assert s.y_train.dtype == np.float32 and s.y_train.shape == (150, 3)
    np.testing.assert_array_equal(s.y_train.sum(0), [50, 50, 50])
    t = load("iris", test_size=0.3, scaler="standard", one_hot=False, stratify=True)
    assert t.sizes() == {"train": 105, "test": 45}
    np.testing.assert_allclose(t.x_train.mean(0), 0, atol=1e-5)
    np.testing.assert_array_equal(np.bincount(t.y_test), [15, 15, 15])


# -- IDX: Fashion-MNIST and MNIST ------------------------------------------------------------
def test_fashion_mnist_from_idx_gz_with_class_subset(tmp_path):
    arrays = write_idx_set(str(tmp_path))
    s = load("fashion_mnist", data_dir=str(tmp_path))
    assert s.sizes() == {"train": 40, "test": 20}
    assert s.x_train.shape == (40, 28, 28) and s.x_train.dtype == np.float32
    np.testing.assert_allclose(s.x_train, arrays["x_train"] / 255.0, rtol=1e-6)
    assert s.y_train.dtype == np.int64
    sub = load("fashion_mnist", data_dir=str(tmp_path), classes=[0, 2, 6])
    assert sub.sizes() == {"train": 12, "test": 6}
    np.testing.assert_array_equal(np.bincount(sub.y_train), [4, 4, 4])  # balanced, relabelled
    np.testing.assert_array_equal(np.bincount(sub.y_test), [2, 2, 2])
    keep = np.isin(arrays["y_train"], [0, 2, 6])
    np.testing.assert_allclose(sub.x_train, arrays["x_train"][keep] / 255.0, rtol=1e-6)
    assert sub.info["class_names"] == ["T-shirt/top", "Pullover", "Shirt"]
    flat = load("fashion_mnist", data_dir=str(tmp_path), flatten=True, one_hot=True)
    assert flat.x_train.shape == (40, 784) and flat.y_train.shape == (40, 10)
    raw = load("fashion_mnist", data_dir=str(tmp_path), scale=False)
    assert raw.x_train.dtype == np.uint8


def test_fashion_mnist_is_found_in_the_debian_location(tmp_path, monkeypatch):
    debian = tmp_path / "debian"
    write_idx_set(str(debian))
    s = load("fashion_mnist")
    assert s.info["source"] == str(debian) and s.sizes() == {"train": 40, "test": 20}


def test_mnist_torchvision_layout_uncompressed_and_keras_npz(tmp_path):
    raw = tmp_path / "tv" / "MNIST" / "raw"
    arrays = write_idx_set(str(raw), gz=False)
    s = load("mnist", data_dir=str(tmp_path / "tv"), flatten=True, one_hot=True)
    assert s.x_train.shape == (40, 784) and s.y_train.shape == (40, 10)
    np.testing.assert_array_equal(s.y_train.argmax(1), arrays["y_train"])
    keras_dir = tmp_path / "keras_home" / "datasets"
    keras_dir.mkdir(parents=True)
    np.savez(keras_dir / "mnist.npz", **arrays)
    k = load("mnist")  # Keras' cache is a known location
    np.testing.assert_allclose(k.x_test, arrays["x_test"] / 255.0, rtol=1e-6)
    assert k.info["source"].endswith("mnist.npz")


def test_mnist_seed002_preprocessing_with_keras_validation_split(tmp_path):
    write_idx_set(str(tmp_path), n_train=50)
    dm = DATAMODULES["mnist"](data_dir=str(tmp_path), flatten=True, one_hot=True, val_split=0.2,
                              batch_size=128)
    dm.setup("fit")
    full = load("mnist", data_dir=str(tmp_path), flatten=True, one_hot=True)
    np.testing.assert_array_equal(dm.splits.x_val, full.x_train[40:])
    assert len(dm.splits.x_train) == 40


def test_truncated_or_corrupt_idx_files(tmp_path):
    write_idx_set(str(tmp_path))
    path = tmp_path / "train-images-idx3-ubyte.gz"
    data = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(data[:-100]))
    with pytest.raises(DataError, match="truncated or corrupt"):
        load("fashion_mnist", data_dir=str(tmp_path))
    path.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="cannot read"):
        load("fashion_mnist", data_dir=str(tmp_path))


# -- CIFAR-10 --------------------------------------------------------------------------------
def test_cifar10_python_pickles_channels_last_and_two_class_subset(tmp_path):
    _, x_train, y_train, x_test, y_test = write_cifar(str(tmp_path))
    s = load("cifar10", data_dir=str(tmp_path), scale=False)
    assert s.x_train.shape == (30, 32, 32, 3) and s.x_train.dtype == np.uint8
    np.testing.assert_array_equal(s.x_train, x_train)  # (N, 3, 32, 32) rows -> channels-last
    np.testing.assert_array_equal(s.x_test, x_test)
    np.testing.assert_array_equal(s.y_train, y_train)
    assert s.info["class_names"][2] == "bird"
    two = load("cifar10", data_dir=str(tmp_path), classes=[0, 2])
    assert two.x_train.dtype == np.float32 and two.x_train.max() <= 1.0
    np.testing.assert_array_equal(np.bincount(two.y_train), [3, 3])
    np.testing.assert_allclose(two.x_train, x_train[np.isin(y_train, [0, 2])] / 255.0, rtol=1e-6)
    assert two.info["class_names"] == ["airplane", "bird"]
    direct = load("cifar10", data_dir=str(tmp_path / "cifar-10-batches-py"), one_hot=True)
    assert direct.y_test.shape == (6, 10)


def test_cifar10_truncated_batch(tmp_path):
    folder = write_cifar(str(tmp_path))[0]
    path = os.path.join(folder, "data_batch_3")
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
    with pytest.raises(DataError, match="data_batch_3 is corrupt or truncated"):
        load("cifar10", data_dir=str(tmp_path))


# -- Olivetti --------------------------------------------------------------------------------
@pytest.fixture
def olivetti_home(tmp_path):
    """scikit-learn's own cache file (``olivetti_py3.pkz``, joblib) with 400 random faces."""
    import joblib
    from sklearn.datasets._base import _pkl_filepath

    home = tmp_path / "olivetti_home"
    home.mkdir()
    faces = np.random.default_rng(0).integers(0, 256, (400, 4096), dtype=np.uint8)
    joblib.dump(faces, _pkl_filepath(str(home), "olivetti.pkz"), compress=6)
    return str(home)


def test_olivetti_split_scaling_one_hot_and_image_form(olivetti_home):
    s = load("olivetti", data_dir=olivetti_home)
    assert s.sizes() == {"train": 280, "test": 120}
    assert s.x_train.shape == (280, 4096) and s.y_train.shape == (280, 40)
    np.testing.assert_array_equal(s.y_train.sum(0), np.full(40, 7))  # stratified: 7 + 3 each
    assert s.x_train.max() == 1.0 and s.x_train.min() >= 0.0
    img = load("olivetti", data_dir=olivetti_home, images=True, one_hot=False)
    assert img.x_train.shape == (280, 64, 64, 1) and img.y_train.dtype == np.int64
    np.testing.assert_array_equal(img.x_train.reshape(280, -1), s.x_train)
    with pytest.raises(DataError):
        load("olivetti", data_dir=olivetti_home, images=True, pca_components=10)


@pytest.mark.parametrize("k", [10, 20])
def test_olivetti_pca_is_fitted_on_the_training_faces_only(olivetti_home, k):
    plain = load("olivetti", data_dir=olivetti_home)
    s = load("olivetti", data_dir=olivetti_home, pca_components=k)
    pca = s.info["pca"]
    assert s.x_train.shape == (280, k) and s.x_test.shape == (120, k)
    np.testing.assert_allclose(pca.mean_, plain.x_train.mean(0), atol=1e-5)
    assert not np.allclose(pca.mean_, np.concatenate([plain.x_train, plain.x_test]).mean(0),
                           atol=1e-5)
    np.testing.assert_allclose(s.x_test, pca.transform(plain.x_test), atol=1e-4)


def test_olivetti_corrupt_cache(olivetti_home):
    from sklearn.datasets._base import _pkl_filepath

    with open(_pkl_filepath(olivetti_home, "olivetti.pkz"), "wb") as f:
        f.write(b"garbage")
    with pytest.raises(DataError, match="corrupt or truncated"):
        load("olivetti", data_dir=olivetti_home)


# -- IMDB ------------------------------------------------------------------------------------
@pytest.mark.parametrize("num_words", [10, 25, None])
def test_imdb_sequences_reproduce_keras_load_data(tmp_path, monkeypatch, num_words):
    import keras.src.datasets.imdb as keras_imdb

    path = str(tmp_path / "imdb.npz")
    write_imdb(path)
    monkeypatch.setattr(keras_imdb, "get_file", lambda *a, **k: path)
    (kx, ky), (ktx, kty) = keras_imdb.load_data(num_words=num_words)
    (x, y), (tx, ty) = datamodules.text.imdb_sequences(path, num_words=num_words)
    assert [list(s) for s in x] == [list(s) for s in kx]
    assert [list(s) for s in tx] == [list(s) for s in ktx]
    np.testing.assert_array_equal(y, ky)
    np.testing.assert_array_equal(ty, kty)


def test_imdb_multi_hot_and_first_rows_as_validation(tmp_path):
    write_imdb(str(tmp_path / "imdb.npz"))
    (x, y), (tx, _) = datamodules.text.imdb_sequences(str(tmp_path / "imdb.npz"), num_words=20)
    s = load("imdb", data_dir=str(tmp_path), num_words=20, validation_size=10)
    assert s.sizes() == {"train": 20, "val": 10, "test": 12}
    assert s.x_train.dtype == np.float32 and s.x_train.shape == (20, 20)
    assert set(np.unique(s.x_train)) <= {0.0, 1.0} and s.y_train.dtype == np.float32
    for i in range(10):  # validation = the FIRST 10 training reviews
        assert set(np.flatnonzero(s.x_val[i])) == set(x[i])
    for i in range(20):
        assert set(np.flatnonzero(s.x_train[i])) == set(x[10 + i])
    np.testing.assert_array_equal(s.y_val, y[:10])
    assert set(np.flatnonzero(s.x_test[0])) == set(tx[0])
    dm = DATAMODULES["imdb"](data_dir=str(tmp_path), num_words=20, validation_size=10,
                             batch_size=512)
    dm.setup("fit")
    (xv, _), = list(dm.val_dataloader())
    np.testing.assert_array_equal(xv.numpy(), s.x_val)
    with pytest.raises(DataError):
        load("imdb", data_dir=str(tmp_path), num_words=20, validation_size=30)


def test_imdb_corrupt_npz(tmp_path):
    write_imdb(str(tmp_path / "imdb.npz"))
    data = (tmp_path / "imdb.npz").read_bytes()
    (tmp_path / "imdb.npz").write_bytes(data[: len(data) // 3])
    with pytest.raises(DataError, match="corrupt or truncated"):
        load("imdb", data_dir=str(tmp_path))


def test_npz_reader_refuses_code_in_pickles(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    bad = np.empty(1, dtype=object)
    bad[0] = Evil()
    np.savez(tmp_path / "imdb.npz", x_train=bad, y_train=np.zeros(1), x_test=bad,
             y_test=np.zeros(1))
    with pytest.raises(DataError, match="refusing"):
        load("imdb", data_dir=str(tmp_path))


# -- airline tweets --------------------------------------------------------------------------
TWEETS = [
    ("negative", "@united your service is bad, bad BAD!"),
    ("positive", "@VirginAmerica great flight :) thanks"),
    ("neutral", "@united what time is the flight?"),
    ("negative", "@united 2 hours late... bad"),
    ("negative", "@united !!!"),  # no word left: dropped, as apafib does
    ("positive", "great crew, great flight"),
    ("neutral", "is the flight late"),
    ("negative", "late late late"),
    ("positive", "thanks crew"),
    ("negative", "bad service"),
    ("neutral", "time"),
]


def test_airline_tweets_tokenizer_vocabulary_padding_and_split(tmp_path):
    path = str(tmp_path / "Tweets.csv")
    write_tweets(path, TWEETS)
    s = load("airline_sentiment", path=path, nwords=5)
    vocab = s.info["vocabulary"]
    # counts: bad 5, late 5, flight 4, is 3, great 3, ...; ties keep the order of first appearance
    assert list(vocab) == ["bad", "late", "flight", "is", "great"]
    assert list(vocab.values()) == [1, 2, 3, 4, 5]
    # tweets 4 ("!!!"), 8 ("thanks crew") and 10 ("time") keep no word and are dropped; of the 8
    # left, int(8 * 0.8) = 6 train, then 1 validation and 1 test, in file order
    assert s.sizes() == {"train": 6, "val": 1, "test": 1}
    assert s.x_train.dtype == np.int64
    np.testing.assert_array_equal(s.x_train, [[4, 1, 1, 1],   # is bad bad bad (longest: 4)
                                              [0, 0, 5, 3],   # great flight, zero left-padded
                                              [0, 0, 4, 3],   # is flight
                                              [0, 0, 2, 1],   # late bad
                                              [0, 5, 5, 3],   # great great flight
                                              [0, 4, 3, 2]])  # is flight late
    np.testing.assert_array_equal(s.y_train, [0, 1, 1, 0, 1, 1])  # negative = 0, others = 1
    np.testing.assert_array_equal(s.x_val, [[0, 2, 2, 2]])
    np.testing.assert_array_equal(s.y_val, [0])
    np.testing.assert_array_equal(s.x_test, [[0, 0, 0, 1]])  # "bad service": service is unknown
    np.testing.assert_array_equal(s.y_test, [0])


def test_airline_apafib_zip_and_word_ids_within_nwords(tmp_path):
    csv = tmp_path / "Airlines.csv"
    write_tweets(str(csv), TWEETS, label_column="twsentiment")
    with zipfile.ZipFile(tmp_path / "Airlines.zip", "w") as z:
        z.write(csv, "Airlines.csv")
    csv.unlink()
    s = load("airline_sentiment", data_dir=str(tmp_path), nwords=3)
    k = load("airline_sentiment", path=_write_kaggle(tmp_path), nwords=3)
    np.testing.assert_array_equal(s.x_train, k.x_train)
    assert s.x_train.max() <= 3 and s.x_train.min() == 0
    dm = DATAMODULES["airline_sentiment"](data_dir=str(tmp_path), nwords=3, batch_size=512)
    dm.setup("fit")
    assert len(dm.splits.x_val) == 1


def _write_kaggle(tmp_path):
    path = str(tmp_path / "kaggle" / "Tweets.csv")
    os.makedirs(os.path.dirname(path))
    write_tweets(path, TWEETS)
    return path


def test_airline_bad_labels(tmp_path):
    path = str(tmp_path / "Tweets.csv")
    write_tweets(path, [("angry", "bad flight")] * 4)
    with pytest.raises(DataError, match="negative/neutral/positive"):
        load("airline_sentiment", path=path)


# -- shipping --------------------------------------------------------------------------------
def test_shipping_encoding_to_18_inputs_split_and_train_only_scaler(tmp_path):
    frame = shipping_frame()
    frame.to_csv(tmp_path / "Train.csv", index=False)
    s = load("shipping", data_dir=str(tmp_path))
    assert s.sizes() == {"train": 28, "test": 12}  # train_size=0.7 of 40
    assert s.x_train.shape == (28, 18) and s.x_train.dtype == np.float32
    assert s.info["feature_names"] == [
        "Customer_care_calls", "Customer_rating", "Cost_of_the_Product", "Prior_purchases",
        "Gender", "Discount_offered", "Weight_in_gms", "Warehouse_block_A", "Warehouse_block_B",
        "Warehouse_block_C", "Warehouse_block_D", "Warehouse_block_F", "Mode_of_Shipment_Flight",
        "Mode_of_Shipment_Road", "Mode_of_Shipment_Ship", "Product_importance_high",
        "Product_importance_low", "Product_importance_medium"]
    np.testing.assert_allclose(s.x_train.mean(0), 0, atol=1e-5)
    raw = load("shipping", path=str(tmp_path / "Train.csv"), scaler=None)
    np.testing.assert_allclose(s.info["scaler"].mean_, raw.x_train.mean(0), rtol=1e-6)
    np.testing.assert_allclose(s.x_test, s.info["scaler"].transform(raw.x_test), atol=1e-5)
    # the notebook's own preprocessing, step by step
    from sklearn.model_selection import train_test_split

    data = frame.drop("ID", axis=1)
    data["Gender"] = data["Gender"].map({"F": 0, "M": 1})
    for column in ["Warehouse_block", "Mode_of_Shipment", "Product_importance"]:
        dummies = pd.get_dummies(data[column], prefix=column)
        data = pd.concat([data, dummies], axis=1).drop(column, axis=1)
    y = data["Reached.on.Time_Y.N"]
    x = data.drop("Reached.on.Time_Y.N", axis=1)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, train_size=0.7, shuffle=True, random_state=1)
    np.testing.assert_array_equal(raw.x_train, x_tr.to_numpy(dtype=np.float32))
    np.testing.assert_array_equal(raw.y_test, y_te.to_numpy())


def test_shipping_bad_values(tmp_path):
    frame = shipping_frame()
    frame.loc[3, "Warehouse_block"] = "Z"
    frame.to_csv(tmp_path / "Train.csv", index=False)
    with pytest.raises(DataError, match="Warehouse_block"):
        load("shipping", data_dir=str(tmp_path))
    shipping_frame().drop(columns="Gender").to_csv(tmp_path / "Train.csv", index=False)
    with pytest.raises(DataError, match="Gender"):
        load("shipping", data_dir=str(tmp_path))
    with pytest.raises(DataError, match="Kaggle"):
        load("shipping", path=str(tmp_path / "missing.csv"))


# -- sonar and optdigits ---------------------------------------------------------------------
def write_sonar(path, n=20, header=False):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.uniform(0, 1, (n, 60)).round(4))
    frame[60] = ["M" if i % 2 else "R" for i in range(n)]
    frame.to_csv(path, index=False, header=header)
    return frame


@pytest.mark.parametrize("name,header", [("sonar.all-data", False), ("Sonar.csv", True)])
def test_sonar_uci_and_slides_csv(tmp_path, name, header):
    frame = write_sonar(tmp_path / name, header=header)
    s = load("sonar", data_dir=str(tmp_path))
    assert s.sizes() == {"train": 14, "test": 6}
    assert s.x_train.shape == (14, 60) and s.x_train.dtype == np.float32
    assert s.y_train.dtype == np.int64 and set(np.unique(s.y_train)) <= {0, 1}
    x_all = frame.iloc[:, :60].to_numpy(np.float32)
    y_all = (frame[60] == "M").to_numpy().astype(np.int64)
    for row, label in zip(s.x_test, s.y_test):  # every row keeps its own label (Mine = 1)
        assert y_all[np.flatnonzero((x_all == row).all(1))[0]] == label


def test_sonar_bad_label_and_columns(tmp_path):
    frame = write_sonar(tmp_path / "sonar.all-data")
    frame[60] = "X"
    frame.to_csv(tmp_path / "sonar.all-data", index=False, header=False)
    with pytest.raises(DataError, match="M \\(mine\\) or R"):
        load("sonar", data_dir=str(tmp_path))
    (tmp_path / "sonar.all-data").write_text("1,2,3\n4,5,6\n")
    with pytest.raises(DataError, match="3 columns, expected 61"):
        load("sonar", data_dir=str(tmp_path))


def write_optdigits(path, n, seed):
    rng = np.random.default_rng(seed)
    values = np.column_stack([rng.integers(0, 17, (n, 64)), np.arange(n) % 10])
    np.savetxt(path, values, fmt="%d", delimiter=",")
    return values


@pytest.mark.parametrize("names", [("optdigits.tra", "optdigits.tes"),
                                   ("optdigits_train.csv", "optdigits_test.csv")])
def test_optdigits_files(tmp_path, names):
    tra = write_optdigits(tmp_path / names[0], 30, 0)
    tes = write_optdigits(tmp_path / names[1], 20, 1)
    s = load("optdigits", data_dir=str(tmp_path))
    assert s.sizes() == {"train": 30, "test": 20}
    np.testing.assert_array_equal(s.x_train, tra[:, :64])
    np.testing.assert_array_equal(s.y_test.argmax(1), tes[:, 64])
    assert s.y_train.shape == (30, 10) and s.y_train.dtype == np.float32
    scaled = load("optdigits", data_dir=str(tmp_path), scale=True, one_hot=False)
    assert scaled.x_train.max() <= 1.0 and scaled.y_train.dtype == np.int64


def test_optdigits_bad_values(tmp_path):
    values = write_optdigits(tmp_path / "optdigits.tra", 10, 0)
    values[0, 3] = 99
    np.savetxt(tmp_path / "optdigits.tra", values, fmt="%d", delimiter=",")
    write_optdigits(tmp_path / "optdigits.tes", 10, 1)
    with pytest.raises(DataError, match="0..16"):
        load("optdigits", data_dir=str(tmp_path))


# -- wages -----------------------------------------------------------------------------------
def test_wages_csv_minmax_fitted_on_train_only(tmp_path):
    rng = np.random.default_rng(0)
    n = 50
    frame = pd.DataFrame({"age": rng.integers(18, 65, n), "educ": rng.integers(8, 20, n),
                          "sex": rng.choice(["male", "female"], n),
                          "wage": rng.uniform(5, 40, n).round(2)})
    frame["lwage"] = np.log(frame["wage"])
    frame.to_csv(tmp_path / "wages.csv", index=False)
    s = load("wages", data_dir=str(tmp_path))
    assert s.sizes() == {"train": 35, "test": 15}
    assert s.info["feature_names"] == ["age", "educ", "sex_female", "sex_male"]  # no lwage
    np.testing.assert_allclose(s.x_train.min(0), 0, atol=1e-6)
    np.testing.assert_allclose(s.x_train.max(0), 1, atol=1e-6)
    raw = load("wages", data_dir=str(tmp_path), scaler=None)
    np.testing.assert_allclose(s.info["scaler"].data_min_, raw.x_train.min(0))
    np.testing.assert_allclose(s.x_test, s.info["scaler"].transform(raw.x_test), atol=1e-6)
    assert s.y_train.dtype == np.float32 and s.y_train.min() >= 5
    assert s.y_train.shape == (len(s.x_train), 1)  # a column: see load_wages
    t = load("wages", data_dir=str(tmp_path), scale_target=True)
    assert t.y_train.min() == 0.0 and t.y_train.max() == 1.0
    np.testing.assert_allclose(t.info["target_scaler"].inverse_transform(t.y_test),
                               s.y_test, rtol=1e-5)


def test_wages_without_target_column(tmp_path):
    pd.DataFrame({"a": [1, 2, 3, 4, 5]}).to_csv(tmp_path / "wages.csv", index=False)
    with pytest.raises(DataError, match="wage"):
        load("wages", data_dir=str(tmp_path))
    with pytest.raises(DataError, match="source must be"):
        load("wages", source="elsewhere")


# -- NASDAQ ----------------------------------------------------------------------------------
def test_sliding_windows_on_a_hand_made_series():
    # 2 variables over 6 days; variable 0 goes 1, 2, 1, 3, 3, 5
    values = np.array([[1, 10], [2, 20], [1, 30], [3, 40], [3, 50], [5, 60]], dtype=float)
    x, y = datamodules.economics.sliding_windows(values, window=3, label_column=0)
    np.testing.assert_array_equal(x, [[1, 2, 1, 10, 20, 30], [2, 1, 3, 20, 30, 40],
                                      [1, 3, 3, 30, 40, 50]])
    np.testing.assert_array_equal(y, [1, 0, 1])  # day 3 vs 2: 3 > 1; 3 = 3; 5 > 3
    _, y_volume = datamodules.economics.sliding_windows(values, window=3, label_column=1)
    np.testing.assert_array_equal(y_volume, [1, 1, 1])


@pytest.mark.parametrize("label", ["price", "volume"])
def test_nasdaq_exports_split_scaling_windows_and_labels(tmp_path, label):
    table = write_nasdaq(str(tmp_path))
    s = load("nasdaq", data_dir=str(tmp_path), train_days=6, label=label)
    assert s.info["variables"] == list(table.columns) and len(table.columns) == 15
    assert s.sizes() == {"train": 3, "test": 3} and s.x_train.shape == (3, 45)
    values = table.to_numpy()
    lo, hi = values[:6].min(0), values[:6].max(0)  # fitted on the first 6 days only
    scaled = (values - lo) / (hi - lo)
    column = 0 if label == "price" else 1  # GOOGLE-P / GOOGLE-V
    for part, start, x, y in (("train", 0, s.x_train, s.y_train), ("test", 6, s.x_test, s.y_test)):
        for i in range(3):
            days = scaled[start + i: start + i + 3]  # the 3 days before the labelled day
            np.testing.assert_allclose(x[i], days.T.reshape(-1), rtol=1e-5, atol=1e-6)
            t = start + i + 3
            assert y[i] == int(values[t, column] > values[t - 1, column])
    np.testing.assert_allclose([s.x_train.min(), s.x_train.max()], [0, 1], atol=1e-6)
    assert s.info["dates"]["train"][0] == table.index[3]


def test_nasdaq_combined_table_and_errors(tmp_path):
    table = write_nasdaq(str(tmp_path), days=15)
    combined = tmp_path / "combined"
    combined.mkdir()
    table.reset_index(drop=True).to_csv(combined / "NASDAQ.csv", index=False)
    a = load("nasdaq", data_dir=str(tmp_path), train_days=8)
    b = load("nasdaq", data_dir=str(combined), train_days=8)
    np.testing.assert_allclose(a.x_test, b.x_test, rtol=1e-5)
    with pytest.raises(DataError, match="train_days"):
        load("nasdaq", data_dir=str(tmp_path), train_days=14)
    with pytest.raises(DataError, match="label"):
        load("nasdaq", data_dir=str(tmp_path), label="gap")


# -- downloads: checksum verification without a network (file:// URLs) -----------------------
def test_download_verifies_checksums(tmp_path):
    source = tmp_path / "canonical.bin"
    source.write_bytes(b"the canonical bytes")
    good = hashlib.sha256(b"the canonical bytes").hexdigest()
    target = tmp_path / "out" / "file.bin"
    datamodules.common.download(source.as_uri(), str(target), good)
    assert target.read_bytes() == b"the canonical bytes"
    other = tmp_path / "other.bin"
    with pytest.raises(DataError, match="differs from the canonical"):
        datamodules.common.download(source.as_uri(), str(other), "0" * 64)
    assert not other.exists() and not os.path.exists(str(other) + ".part")
    with pytest.raises(DataError, match="downloading"):
        datamodules.common.download((tmp_path / "absent").as_uri(), str(other))


def test_sonar_download_is_content_checked(tmp_path, monkeypatch):
    """A 'download' of a file that is not UCI's 208-row table is rejected."""
    fake = tmp_path / "served.csv"
    write_sonar(fake)
    monkeypatch.setattr(datamodules.tabular, "SONAR_URL", fake.as_uri())
    with pytest.raises(DataError, match="208 rows"):
        load("sonar", data_dir=str(tmp_path / "dl"), download=True)
