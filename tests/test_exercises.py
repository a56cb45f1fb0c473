"""The exercise runner (issue 10, crosscheck/exercises): every exercise of docs/exercises.md.

Fast: every exercise id of docs/exercises.md is declared, and nothing else; every grid point of
a training exercise routes; every network exists on both sides; the exercises that only have a
tool (issue 12) say so; ``exercise --list`` and an unknown id on the command line.

Slow: every training exercise end to end in a shortened form (``--epochs 1``, the first grid
point, the first 64 rows; fixtures in the real formats for the data that is not offline, and
for Fashion-MNIST), both
frameworks, with the numbers that mean something checked: the report's accuracy is the
network's accuracy metric, the confusion matrix counts the test split, the train metrics are
those of the saved weights, a re-run re-runs nothing, a killed sweep re-runs only what was
killed, and the Keras side draws a new batch order every epoch with seeded initial weights.
"""

import csv
import dataclasses
import json
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

import keras_reference
import lightning_models
from crosscheck.exercises import EXERCISES, runner
from crosscheck.exercises.catalog import data_available
from crosscheck.exercises.runner import FINAL_WEIGHTS, Options, planned_runs
from crosscheck.exercises.spec import REPORTS, TOOLS, network_settings, slug
from test_datasets import (TWEETS, shipping_frame, write_cifar, write_idx_set, write_imdb,
                           write_sonar, write_tweets)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAINING = [e.id for e in EXERCISES.values() if e.trains]
TOOL_ONLY = [e.id for e in EXERCISES.values() if not e.trains]


def documented_ids() -> list[str]:
    """The ids of the tables of docs/exercises.md, in the documents' order."""
    pattern = re.compile(r"^\|\s*`?([a-z][a-z0-9]*(?:-[a-z0-9]+)+)`?\s*\|")
    with open(os.path.join(ROOT, "docs", "exercises.md")) as f:
        return [m.group(1) for m in map(pattern.match, f) if m]


def _cli(args, env=None, timeout=600):
    env = {**os.environ, "PYTHONPATH": ROOT, "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "lightning_models", "exercise", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout)


# -- declarations (no training) -----------------------------------------------------------------
def test_every_documented_exercise_is_declared_once_in_the_documents_order():
    ids = documented_ids()
    assert len(ids) == 42 and len(set(ids)) == 42
    assert list(EXERCISES) == ids


@pytest.mark.parametrize("exercise_id", TRAINING)
def test_every_grid_point_routes(exercise_id):
    exercise = EXERCISES[exercise_id]
    runs = planned_runs(exercise, Options())
    points = exercise.points()
    assert len(runs) == len(points) * len(exercise.seeds) * len(exercise.frameworks)
    routed = [point for point, framework, seed in runs[::len(exercise.seeds) * len(exercise.frameworks)]]
    assert len({slug(p.label) for p in routed}) == len(points), "two points would share a run folder"
    for point in routed:
        assert point.network in exercise.networks
        assert point.epochs >= 1
        assert set(point.callbacks) <= {"early_stopping", "checkpoint", "tensorboard"}
    assert set(exercise.reports) <= set(REPORTS)


@pytest.mark.parametrize("exercise_id", list(EXERCISES))
def test_every_network_exists_on_both_sides(exercise_id):
    exercise = EXERCISES[exercise_id]
    if exercise.frameworks == ("scikit-learn",):  # apa.nasdaq_logreg: the same model on both sides
        from lightning_models.regression import SKLEARN_MODELS

        assert set(exercise.networks) <= set(SKLEARN_MODELS) and not exercise.trains
        return
    for network in exercise.networks:
        assert network in lightning_models.CATALOG and network in keras_reference.CATALOG
        if exercise.trains:
            assert network_settings(network)["epochs"] >= 1  # its config reads


@pytest.mark.parametrize("exercise_id", TOOL_ONLY)
def test_an_exercise_without_training_is_its_tool(exercise_id, tmp_path, monkeypatch):
    """Declared with a tool (issue 12); the runner trains nothing for it, and says so while its
    tool is not registered."""
    exercise = EXERCISES[exercise_id]
    assert exercise.tool in TOOLS and exercise.grid == ({},)
    monkeypatch.setattr("crosscheck.exercises.tools.TOOLS", {})
    with pytest.raises(ValueError, match=f"{exercise_id} trains no network .*{exercise.tool}"):
        runner.run(exercise, Options(out=str(tmp_path)))
    assert not os.path.exists(tmp_path / exercise_id / "runs")


#: Datasets whose data is on this machine without a download (scikit-learn, stand-ins, Debian).
OFFLINE = {"digits", "iris", "wages", "nasdaq", "optdigits"} | (
    {"fashion_mnist"} if os.path.isfile("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") else set())


def test_exercise_list_names_every_exercise_and_whether_its_data_is_offline(tmp_path):
    # no cache of a previous download is seen: the column is this project's offline data alone
    homes = {name: str(tmp_path / name) for name in ("KERAS_HOME", "KLP_DATA_DIR", "SCIKIT_LEARN_DATA")}
    done = _cli(["--list"], env=homes)
    assert done.returncode == 0, done.stderr
    header, *lines = done.stdout.strip().splitlines()
    assert header.split()[:4] == ["exercise", "doc", "data", "offline"]
    table = {line.split()[0]: line.split() for line in lines}
    assert list(table) == list(EXERCISES)
    for exercise in EXERCISES.values():
        _, document, data, offline, *_ = table[exercise.id]
        assert document == exercise.document
        assert data == (exercise.data_name or "-")
        expected = not exercise.trains or data in OFFLINE
        assert offline == ("yes" if expected else "no"), exercise.id


def test_an_unknown_exercise_is_a_one_line_error_naming_the_close_ids():
    done = _cli(["apa-p1-autoencodr", "--epochs", "1"])
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: unknown exercise 'apa-p1-autoencodr'; did you mean apa-p1-autoencoder")
    assert done.stdout == ""


# -- fixtures in the real formats, for the data that is not offline ------------------------------
def write_olivetti(home):
    """scikit-learn's own cache of the faces (``olivetti_py3.pkz``, joblib): 400 random faces."""
    import joblib
    from sklearn.datasets._base import _pkl_filepath

    faces = np.random.default_rng(0).integers(0, 256, (400, 4096), dtype=np.uint8)
    joblib.dump(faces, _pkl_filepath(home, "olivetti.pkz"), compress=1)


def many_tweets(n=90):
    """``n`` tweets made of the words of test_datasets' tweets, the three labels in turn; the
    longest has 36 words, as the document's (``sequence_length`` of apa.sentiment_embedding_mlp)."""
    rng = np.random.default_rng(0)
    words = sorted({w for _, text in TWEETS for w in re.findall(r"[a-z]+", text.lower())})
    labels = ["negative", "positive", "neutral"]
    lengths = [36] + list(rng.integers(2, 8, n - 1))
    return [(labels[i % 3], " ".join(rng.choice(words, k))) for i, k in enumerate(lengths)]


WRITERS = {
    "mnist": lambda d: write_idx_set(d, n_train=100, n_test=40),
    "fashion_mnist": lambda d: write_idx_set(d, n_train=100, n_test=40),
    "cifar10": lambda d: write_cifar(d, per_batch=20),  # classes 0 and 2: 20 train, 4 test rows
    "olivetti": write_olivetti,
    "imdb": lambda d: write_imdb(os.path.join(d, "imdb.npz"), n_train=120, n_test=40),
    "airline_sentiment": lambda d: write_tweets(os.path.join(d, "Tweets.csv"), many_tweets()),
    "shipping": lambda d: shipping_frame(n=120).to_csv(os.path.join(d, "Train.csv"), index=False),
    "sonar": lambda d: write_sonar(os.path.join(d, "sonar.all-data"), n=80),
}
#: The exercises of these datasets run on fixtures (``--data-dir``), as on a user's data; Fashion-MNIST
#: too, offline as it is: loading its 70000 images costs seconds per run (its offline loading is
#: tested in test_datasets_offline.py, its place in ``--list`` above).
FIXTURE_DATA = set(WRITERS)


@pytest.fixture(scope="module")
def data_dirs(tmp_path_factory):
    folders = {}

    def data_dir(dataset):
        if dataset not in FIXTURE_DATA:
            return None
        if dataset not in folders:
            folders[dataset] = str(tmp_path_factory.mktemp(dataset))
            WRITERS[dataset](folders[dataset])
        return folders[dataset]

    return data_dir


# -- every training exercise, shortened -----------------------------------------------------------
#: A few exercises run two grid points: overlays of several points, two networks in one sweep.
POINTS = {"apa-p5-wages": 2, "fp-batchnorm": 2, "slides-iris": 2}
#: Two of the exercises that keep a best checkpoint run 2 epochs: the restored weights may be older.
EPOCHS = {"apa-p3-dropout": 2, "apa-p7-sentiment-embedding": 2}
#: The document's 10000 IMDB validation rows would leave none of the fixture's 120 to train on.
DATA = {"fp-imdb": {"validation_size": 40}, "fp-imdb-regularization": {"validation_size": 40}}
#: Exercises whose train metrics are checked against an evaluation of the saved weights: one of
#: each kind (iris' three losses, autoencoder, regularised CNNs with a restored best checkpoint,
#: BatchNormalization, two-output Gaussian likelihood, embedding, binary classifier).
INDEPENDENT = {"slides-iris", "apa-p1-autoencoder", "apa-p3-dropout", "apa-p3-l2", "fp-batchnorm",
               "apa-p5-wages-nll", "apa-p7-sentiment-embedding", "fp-shipping"}


def shortened(exercise_id, out, data_dir):
    """The exercise (with :data:`DATA`'s changes) and the options of its shortened run."""
    exercise = EXERCISES[exercise_id]
    if exercise_id in DATA:
        exercise = dataclasses.replace(exercise, data={**exercise.data, **DATA[exercise_id]})
    options = Options(out=str(out), epochs=EPOCHS.get(exercise_id, 1), seeds=(0,), max_rows=64,
                      max_points=POINTS.get(exercise_id, 1), log=lambda line: None)
    folders = {data_dir(point.dataset) for point, _, _ in planned_runs(exercise, options)} - {None}
    assert len(folders) <= 1  # one --data-dir per sweep
    return exercise, dataclasses.replace(options, data_dir=folders.pop() if folders else None)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _accuracy_metric(result, split):
    names = [f"{split}_{n}" for n in ("accuracy", "acc", "binary_accuracy", "categorical_accuracy",
                                       "sparse_categorical_accuracy")]
    return next((result[n] for n in names if n in result), None)


@pytest.mark.slow
@pytest.mark.parametrize("exercise_id", TRAINING)
def test_exercise_runs(exercise_id, tmp_path, data_dirs, monkeypatch):
    """One row per (point, framework, seed), every file, the reports' numbers, equal parameter
    counts on both sides; for :data:`INDEPENDENT`, the train metrics of the saved weights."""
    monkeypatch.setattr("crosscheck.exercises.tools.TOOLS", {})  # the tools have their own tests
    exercise, options = shortened(exercise_id, tmp_path, data_dirs)
    if options.data_dir is not None:
        assert data_available(exercise, options.data_dir) == (True, "")
    rows = runner.run(exercise, options)
    runs = planned_runs(exercise, options)
    folder = tmp_path / exercise_id
    table = read_csv(folder / "results.csv")
    expected = {(slug(p.label), fw, str(s)) for p, fw, s in runs}
    assert len(rows) == len(table) == len(runs) == len(expected) == 2 * POINTS.get(exercise_id, 1)
    assert {(r["point"], r["framework"], r["seed"]) for r in table} == expected
    for name in ("results.md", "index.md", "overlay_lightning.png", "overlay_keras.png",
                 "keras_vs_lightning.png"):
        assert (folder / name).stat().st_size > 0, name
    index = (folder / "index.md").read_text()
    params, arrays = {}, {}
    for point, framework, seed in runs:
        if (slug(point.label), seed) not in arrays:  # the arrays both frameworks were given
            arrays[slug(point.label), seed] = runner.make_datamodule(exercise, point, seed, options).splits
        splits = arrays[slug(point.label), seed]
        run_dir = folder / "runs" / slug(point.label) / f"{framework}-seed{seed}"
        assert f"runs/{slug(point.label)}/{framework}-seed{seed}/result.json" in index
        result = json.loads((run_dir / "result.json").read_text())
        assert result["epochs_run"] == options.epochs or result["stopped_epoch"] == result["epochs_run"]
        assert len(read_csv(run_dir / "history.csv")) == result["epochs_run"]
        for name in ("curves.png", FINAL_WEIGHTS[framework]):
            assert (run_dir / name).stat().st_size > 0, name
        assert np.isfinite(result["train_loss"]) and np.isfinite(result["test_loss"])
        params.setdefault(slug(point.label), {})[framework] = result["params"]
        check_reports(exercise, splits, result, run_dir)
        if exercise_id in INDEPENDENT:
            check_saved_weights(point, splits, framework, result, run_dir)
    for point, counts in params.items():  # Keras' count_params, both sides
        assert counts["lightning"] == counts["keras"] > 0, point


def check_reports(exercise, splits, result, run_dir):
    """The reports the exercise asks for, and their numbers against the run's own metrics."""
    if not exercise.reports:
        assert "report_accuracy" not in result
        return
    accuracy = _accuracy_metric(result, "test")
    if accuracy is not None:  # argmax (or > 0.5) of the saved predictions = the network's metric
        assert result["report_accuracy"] == pytest.approx(accuracy, abs=1e-6)
    if "classification_report" in exercise.reports:
        text = (run_dir / "classification_report.txt").read_text()
        assert "precision" in text and "accuracy" in text
    if "confusion_matrix" in exercise.reports:
        with open(run_dir / "confusion_matrix.csv", newline="") as f:
            matrix = np.array([row[1:] for row in csv.reader(f)][1:], dtype=int)
        assert matrix.sum() == len(splits.x_test)
        assert np.trace(matrix) / matrix.sum() == pytest.approx(result["report_accuracy"], abs=1e-9)
        assert (run_dir / "confusion_matrix.png").stat().st_size > 0
    if "binary_metrics" in exercise.reports:
        for name in ("test_precision", "test_recall", "test_f1", "test_roc_auc", "test_pr_auc"):
            assert 0 <= result[name] <= 1, name
        assert (run_dir / "roc_pr.png").stat().st_size > 0


def check_saved_weights(point, splits, framework, result, run_dir):
    """The train metrics of result.json are those of the saved final (or restored best) weights,
    evaluated here on the same training arrays in one batch by a fresh model of each framework."""
    x, y = splits.x_train, splits.y_train
    path = str(run_dir / FINAL_WEIGHTS[framework])
    if framework == "lightning":
        import lightning.pytorch as pl
        from torch.utils.data import DataLoader, TensorDataset

        model = lightning_models.build(point.network, **point.model)
        model.load_state_dict(torch.load(path, weights_only=True))
        tensors = [torch.from_numpy(np.ascontiguousarray(a)) for a in (x, y)]
        tensors = [t.float() if t.is_floating_point() else t for t in tensors]
        trainer = pl.Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False,
                             enable_checkpointing=False, accelerator="cpu")
        (values,) = trainer.test(model, DataLoader(TensorDataset(*tensors), batch_size=len(x)), verbose=False)
        values = {k.removeprefix("test_"): float(v) for k, v in values.items()}
    else:
        model = keras_reference.build(point.network, **point.model)
        with warnings.catch_warnings():  # the file holds the trained optimizer's state too
            warnings.filterwarnings("ignore", "Skipping variable loading for optimizer")
            model.load_weights(path)
        values = model.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)
    train = {k.removeprefix("train_"): v for k, v in result.items()
             if k.startswith("train_")}
    assert set(values) == set(train)
    for name, value in values.items():
        assert train[name] == pytest.approx(float(value), rel=1e-5, abs=1e-7), name


# -- resuming -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory):
    """slides-iris, two seeds, both frameworks, 1 epoch: four finished runs."""
    out = tmp_path_factory.mktemp("sweep")
    options = Options(out=str(out), epochs=1, seeds=(0, 1), max_points=1, log=lambda line: None)
    runner.run(EXERCISES["slides-iris"], options)
    return options


def _results(options):
    folder = os.path.join(options.out, "slides-iris", "runs")
    return {os.path.relpath(os.path.join(d, "result.json"), folder): os.stat(os.path.join(d, "result.json")).st_mtime_ns
            for d, _, files in os.walk(folder) if "result.json" in files}


def _rerun(options, **changes):
    lines = []
    runner.run(EXERCISES["slides-iris"], dataclasses.replace(options, log=lines.append, **changes))
    skipped = [line for line in lines if line.endswith("done before, skipped")]
    return skipped, [line for line in lines if line not in skipped]


@pytest.mark.slow
def test_a_rerun_of_a_finished_sweep_reruns_nothing(finished_sweep):
    before = _results(finished_sweep)
    assert len(before) == 4
    skipped, ran = _rerun(finished_sweep)
    assert (len(skipped), ran) == (4, [])
    assert _results(finished_sweep) == before
    assert len(read_csv(os.path.join(finished_sweep.out, "slides-iris", "results.csv"))) == 4


@pytest.mark.slow
def test_a_killed_sweep_reruns_only_the_unfinished_run(finished_sweep):
    before = _results(finished_sweep)
    killed = "loss=mse/keras-seed1/result.json"
    os.remove(os.path.join(finished_sweep.out, "slides-iris", "runs", killed))
    skipped, ran = _rerun(finished_sweep)
    assert len(skipped) == 3 and len(ran) == 1 and "keras seed 1" in ran[0]
    after = _results(finished_sweep)
    assert after.keys() == before.keys()
    assert {k for k in after if after[k] != before[k]} == {killed}


@pytest.mark.slow
def test_force_reruns_finished_runs(finished_sweep):
    before = _results(finished_sweep)
    skipped, ran = _rerun(finished_sweep, force=True, frameworks=("lightning",))
    assert (skipped, len(ran)) == ([], 2)
    after = _results(finished_sweep)
    assert {k for k in after if after[k] != before[k]} == {"loss=mse/lightning-seed0/result.json",
                                                          "loss=mse/lightning-seed1/result.json"}


# -- the Keras side's seeding ---------------------------------------------------------------------
def _batch_orders(seed_with, epochs=3, n=32):
    """The row order of each epoch of keras_reference.training.fit, recorded by a layer that
    keeps the inputs it sees (the model runs eagerly so that it can)."""
    import keras

    from keras_reference.training import fit

    class Recorder(keras.layers.Layer):
        seen = []

        def call(self, x):
            if not isinstance(x, keras.KerasTensor):
                Recorder.seen.append(keras.ops.convert_to_numpy(x)[:, 0].astype(int))
            return x

    seed_with(0)
    model = keras.Sequential([keras.Input((1,)), Recorder(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    x = np.arange(n, dtype="float32")[:, None]
    fit(model, x, np.zeros((n, 1), "float32"), epochs, batch_size=4)
    orders = np.concatenate(Recorder.seen).reshape(epochs, n)
    for order in orders:
        assert sorted(order) == list(range(n))  # each epoch sees every row once
    return orders


@pytest.mark.slow
def test_keras_draws_a_new_batch_order_every_epoch_after_seed_keras():
    import keras

    from keras_reference.training import seed_keras

    orders = _batch_orders(seed_keras)
    assert len({tuple(o) for o in orders}) == len(orders)
    # the reason for seed_keras: Keras' own seeding replays one order every epoch
    frozen = _batch_orders(keras.utils.set_random_seed)
    assert len({tuple(o) for o in frozen}) == 1, "Keras now reshuffles after set_random_seed: " \
        "keras_reference.training.seed_keras may no longer be needed"


def test_seed_keras_fixes_the_initial_weights():
    from keras_reference.training import seed_keras

    def initial(seed):
        seed_keras(seed)
        return keras_reference.build("slides.iris_mlp").get_weights()

    first, again, other = initial(3), initial(3), initial(4)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


# -- the command line ---------------------------------------------------------------------------
@pytest.mark.slow
def test_the_command_runs_an_exercise_on_the_users_data(tmp_path):
    data = tmp_path / "sonar"
    data.mkdir()
    write_sonar(str(data / "sonar.all-data"), n=80)
    out = tmp_path / "results"
    done = _cli(["slides-metrics", "--framework", "lightning", "--epochs", "2", "--max-rows", "40",
                 "--seeds", "0", "1", "--data-dir", str(data), "--out", str(out)])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == \
        f"slides-metrics: 2 runs -> {out / 'slides-metrics' / 'index.md'}"
    table = read_csv(out / "slides-metrics" / "results.csv")
    assert [(r["framework"], r["seed"], r["epochs_run"]) for r in table] == [("lightning", "0", "2"),
                                                                            ("lightning", "1", "2")]
    assert table[0]["train_loss"] != table[1]["train_loss"]  # two seeds, two runs
    for seed in (0, 1):
        assert (out / "slides-metrics" / "runs" / "default" / f"lightning-seed{seed}" / "roc_pr.png").is_file()
