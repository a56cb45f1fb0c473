"""The exercises' own tools (issue 12, items 2-5; crosscheck/exercises/tools/, crosscheck/predict_image.py).

Fast: the slides' exponentially weighted average against a hand computation, and the slides-ewma
tool's numbers; the 5x5 grid's colours and the colour bar's range; the optimiser overlay's lines;
``predict-image`` on an image the test draws (the lab's conversion checked value by value, both
frameworks' top-1 equal after a weight transfer) and the master-own-image tool with and without
trained weights.

Slow (shortened runs, ``--epochs 1`` and the first rows): the projections (PCA against an SVD by
hand, the codes against the saved networks' encoders, Isomap's 20% sample, the reconstruction
MSE against the runs' own test loss), the labelled Fashion grid against the saved network's
predictions, the wages views (the recomputed MSE against the runs' metric, the variance), the
optimiser overlay and the batch-timing table (iterations = epochs x ceil(n / batch)).
"""

import csv
import math
import os
import warnings

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

import crosscheck
import datamodules
import keras_reference
import lightning_models
from conftest import fashion_available, keras_seed
from crosscheck.cli import PROJECT_COMMANDS
from crosscheck.exercises import EXERCISES, runner
from crosscheck.exercises.reports import read_history
from crosscheck.exercises.runner import FINAL_WEIGHTS, Options, first_rows, planned_runs
from crosscheck.exercises.spec import CONFIGS, slug
from crosscheck.exercises.tools import TOOLS
from crosscheck.exercises.tools.image_views import image_with_colour_bar, labelled_grid
from crosscheck.exercises.tools.optimizer_lesson import ewma, noisy_sine, optimizer_label, overlay_figure
from crosscheck.predict_image import main as predict_image_main
from lightning_models.hyperparameters import UsageError

MNIST_CONFIG = os.path.join(CONFIGS, "master.mnist_mlp.yaml")


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def quick(out, **changes):
    return Options(**{"out": str(out), "epochs": 1, "seeds": (0,), "max_points": 1,
                      "log": lambda line: None, **changes})


def test_the_tools_are_registered_and_predict_image_is_a_project_command():
    assert {"projection", "image_views", "own_image", "optimizer_lesson"} <= set(TOOLS)
    assert PROJECT_COMMANDS["predict-image"][0] == "crosscheck.predict_image"


# -- the optimiser lesson -------------------------------------------------------------------------
def test_ewma_is_the_slides_loop_computed_by_hand():
    # v = 0.9 v + 0.1 t from v = 0: 0.1, 0.09 + 0.2, 0.261 + 0.3
    np.testing.assert_allclose(ewma([1.0, 2.0, 3.0], 0.9), [0.1, 0.29, 0.561], rtol=1e-12)
    np.testing.assert_allclose(ewma([1.0, 1.0], 0.98), [0.02, 0.02 * 0.98 + 0.02], rtol=1e-12)


def test_slides_ewma_writes_the_series_and_both_averages(tmp_path):
    rows = runner.run(EXERCISES["slides-ewma"], quick(tmp_path, seeds=(3,)))
    assert rows == []
    folder = tmp_path / "slides-ewma"
    table = read_csv(folder / "ewma.csv")
    x, y = (np.array([float(r[k]) for r in table]) for k in ("x", "y"))
    expected_x, expected_y = noisy_sine(3)
    np.testing.assert_allclose(x, np.linspace(0, 10, 1000), rtol=0, atol=1e-12)
    np.testing.assert_allclose(y, expected_y, rtol=0, atol=1e-12)
    assert np.std(y - np.sin(x)) == pytest.approx(0.3, abs=0.03)  # the slides' noise, scale 0.3
    for beta, column in ((0.9, "ewa90"), (0.98, "ewa98")):
        v, by_hand = 0.0, []
        for t in y:
            v = beta * v + (1 - beta) * t
            by_hand.append(v)
        np.testing.assert_allclose([float(r[column]) for r in table], by_hand, rtol=1e-12)
    assert (folder / "ewma.png").stat().st_size > 0 and "bias correction" in (folder / "ewma.md").read_text()


def test_optimizer_labels_and_the_overlay_draws_every_history():
    rows = [{"hp_optimizer": "sgd", "hp_learning_rate": 0.01, "hp_optimizer_options": {"momentum": 0.9}},
            {"hp_optimizer": "rmsprop", "hp_learning_rate": 0.001}, {"hp_optimizer": "adam"}]
    labels = [optimizer_label(r) for r in rows]
    assert labels == ["SGD(0.01, momentum=0.9)", "RMSprop(0.001)", "Adam"]
    rng = np.random.default_rng(0)
    curves = {(fw, label): {"loss": list(rng.random(4)), "val_accuracy": list(rng.random(4))}
              for fw in ("lightning", "keras") for label in labels}
    fig = overlay_figure(curves, "test")
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["lightning: loss", "lightning: val_accuracy",
                                               "keras: loss", "keras: val_accuracy"]
    for ax in axes:
        framework, name = ax.get_title().split(": ")
        lines = ax.get_lines()
        assert [line.get_label() for line in lines] == labels
        for line, label in zip(lines, labels):
            np.testing.assert_array_equal(line.get_ydata(), curves[(framework, label)][name])


# -- image views without training ----------------------------------------------------------------
def test_the_labelled_grid_is_green_exactly_where_the_prediction_is_right():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 10, 25)
    predicted = np.where(rng.random(25) < 0.6, truth, (truth + 1) % 10)
    names = [f"class {k}" for k in range(10)]
    fig = labelled_grid(rng.random((25, 28, 28)), names, truth, predicted)
    colours = [ax.xaxis.label.get_color() for ax in fig.axes]
    assert colours.count("green") == int((predicted == truth).sum())
    assert [c == "green" for c in colours] == list(predicted == truth)
    assert fig.axes[4].get_xlabel() == f"{names[predicted[4]]} ({names[truth[4]]})"


def test_the_colour_bar_spans_the_image_values():
    image = np.arange(28 * 28, dtype=np.float64).reshape(28, 28) % 256
    fig = image_with_colour_bar(image, "raw")
    image_ax, bar_ax = fig.axes
    assert image_ax.images[0].get_clim() == (0.0, 255.0)
    assert bar_ax.get_ylim() == pytest.approx((0.0, 255.0))


# -- your own image ----------------------------------------------------------------------------------
INK = (20, 20, 90)


def draw_one(path, size=280):
    """A '1': a dark blue vertical bar (columns 120..159, rows 40..239) on white paper."""
    image = Image.new("RGB", (size, size), "white")
    ImageDraw.Draw(image).rectangle([120, 40, 159, 239], fill=INK)
    image.save(path)
    return path


@pytest.fixture(scope="module")
def mnist_weights(tmp_path_factory):
    """master.mnist_mlp's random Keras weights and the same weights on the Lightning side."""
    folder = tmp_path_factory.mktemp("weights")
    keras_seed(0)
    keras_model = keras_reference.build("master.mnist_mlp")
    torch_model = lightning_models.build("master.mnist_mlp")
    crosscheck.transfer_weights(keras_model, torch_model)
    keras_model.save_weights(str(folder / "mnist.weights.h5"))
    torch_model.save_weights(str(folder / "mnist.ckpt"))               # a Lightning checkpoint
    torch.save(torch_model.state_dict(), folder / "final_weights.pt")  # the runner's file
    return folder


def _answers(text):
    """``{framework: (top-1 class, probability)}`` from predict-image's output."""
    found = {}
    for line in text.splitlines():
        for framework in ("lightning", "keras"):
            if line.startswith(framework + " ("):
                answer = line.split("): ", 1)[1]
                label, probability = answer.split("; ")[0].split(" with probability ")
                found[framework] = (label, float(probability))
    return found


def test_predict_image_converts_as_the_lab_and_both_frameworks_agree(tmp_path, mnist_weights, capsys):
    image = draw_one(str(tmp_path / "one.png"))
    Image.open(image).save(tmp_path / "one.jpg", quality=95)
    for path, ckpt in ((image, mnist_weights / "mnist.ckpt"), (str(tmp_path / "one.jpg"), mnist_weights / "final_weights.pt")):
        predict_image_main([path, "--config", MNIST_CONFIG, "--ckpt_path", str(ckpt),
                            "--keras-weights", str(mnist_weights / "mnist.weights.h5"), "--save-input", path + ".seen.png"])
        out = capsys.readouterr().out
        answers = _answers(out)
        assert set(answers) == {"lightning", "keras"}
        assert answers["lightning"][0] == answers["keras"][0]
        assert answers["lightning"][1] == pytest.approx(answers["keras"][1], abs=2e-4)
        assert "top 3: " in out and "28x28, inverted (255 - value), /255" in out
    # The conversion, value by value: 28x28 grey (ITU-R 601 luma), inverted, /255.
    pixels = np.asarray(Image.open(image + ".seen.png"), dtype=np.float64) / 255
    assert pixels.shape == (28, 28)
    assert pixels[:, :10].max() == 0 and pixels[:3].max() == 0            # white paper -> 0
    ink = 255 - (INK[0] * 299 + INK[1] * 587 + INK[2] * 114) / 1000    # blue ink, grey, inverted
    assert np.all(pixels[4:24, 12:16] == np.round(ink) / 255)            # the bar: rows 40..239, x 120..159
    assert pixels.sum() == pytest.approx(20 * 4 * np.round(ink) / 255)    # nothing elsewhere
    from_jpg = np.asarray(Image.open(str(tmp_path / "one.jpg") + ".seen.png"), dtype=np.float64) / 255
    assert np.abs(from_jpg - pixels).max() < 0.05                        # the JPG's artefacts only


def test_predict_image_needs_weights_and_an_image_config(tmp_path, mnist_weights):
    image = draw_one(str(tmp_path / "one.png"))
    with pytest.raises(UsageError, match="give the weights"):
        predict_image_main([image, "--config", MNIST_CONFIG])
    with pytest.raises(UsageError, match="not MNIST or Fashion-MNIST"):
        predict_image_main([image, "--config", os.path.join(CONFIGS, "apa.autoencoder.yaml"),
                            "--ckpt_path", str(mnist_weights / "mnist.ckpt")])
    weights = ["--config", MNIST_CONFIG, "--ckpt_path", str(mnist_weights / "mnist.ckpt")]
    with pytest.raises(FileNotFoundError, match="image nothere.png does not exist"):
        predict_image_main(["nothere.png", *weights])
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(ValueError, match="is not an image Pillow can read"):
        predict_image_main([str(tmp_path / "text.png"), *weights])
    with pytest.raises(ValueError, match="do not fit the config's apa.fashion3_mlp"):
        predict_image_main([image, "--config", os.path.join(CONFIGS, "apa.fashion3_mlp.yaml"),
                            "--ckpt_path", str(mnist_weights / "final_weights.pt")])


def test_own_image_tool_uses_master_mnist_weights_when_there(tmp_path, mnist_weights):
    alone = tmp_path / "alone"
    runner.run(EXERCISES["master-own-image"], quick(alone))
    text = (alone / "master-own-image" / "own_image.md").read_text()
    assert "no trained master-mnist weights" in text and "predict-image" in text
    trained = tmp_path / "trained"
    for framework, name in FINAL_WEIGHTS.items():
        run_dir = trained / "master-mnist" / "runs" / "default" / f"{framework}-seed0"
        run_dir.mkdir(parents=True)
        source = mnist_weights / ("final_weights.pt" if framework == "lightning" else "mnist.weights.h5")
        (run_dir / name).write_bytes(source.read_bytes())
    lines = []
    runner.run(EXERCISES["master-own-image"], quick(trained, log=lines.append))
    answers = _answers("\n".join(lines))
    assert set(answers) == {"lightning", "keras"} and answers["lightning"][0] == answers["keras"][0]
    folder = trained / "master-own-image"
    assert {"sample_digit.png", "own_image.png", "own_image.md"} <= set(os.listdir(folder))


# -- shortened runs ----------------------------------------------------------------------------------
def _point(exercise, options):
    return planned_runs(exercise, options)[0][0]


def _lightning(point, path):
    model = lightning_models.build(point.network, **point.model)
    model.load_state_dict(torch.load(path, weights_only=True))
    return model.eval()


def _keras(point, path):
    model = keras_reference.build(point.network, **point.model)
    with warnings.catch_warnings():  # the file also holds the optimiser's state, unused here
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        model.load_weights(str(path))
    return model


@pytest.mark.slow
def test_autoencoder_projection_against_pca_by_hand_and_the_saved_encoders(tmp_path):
    exercise = EXERCISES["apa-p1-autoencoder"]
    options = quick(tmp_path, max_rows=120)
    rows = runner.run(exercise, options)
    folder = tmp_path / exercise.id
    saved = np.load(folder / "projection.npz")
    data = first_rows(datamodules.load("digits", test_size=0.3), 120)
    x_train, x_test = data.x_train.astype(np.float64), data.x_test.astype(np.float64)
    # PCA by hand: the centred training digits' two leading right singular vectors.
    mean = x_train.mean(axis=0)
    _, _, vt = np.linalg.svd(x_train - mean, full_matrices=False)
    coordinates = (x_train - mean) @ vt[:2].T
    signs = np.sign(np.sum(coordinates * saved["pca"], axis=0))
    np.testing.assert_allclose(saved["pca"] * signs, coordinates, atol=1e-8)
    rebuilt = mean + ((x_test - mean) @ vt[:2].T) @ vt[:2]
    assert saved["pca_reconstruction_mse"][1] == pytest.approx(np.mean((x_test - rebuilt) ** 2), rel=1e-9)
    np.testing.assert_array_equal(saved["labels_train"], data.y_train)
    assert len(saved["isomap_sample"]) == 24 and saved["isomap"].shape == (len(x_test), 2)  # 20% of 120
    # The codes are the saved networks' encoders (the document's codificador) on the training digits.
    point = _point(exercise, options)
    run_dir = folder / "runs" / slug(point.label)
    with torch.no_grad():
        codes = _lightning(point, run_dir / "lightning-seed0" / FINAL_WEIGHTS["lightning"]).encoder(
            torch.from_numpy(data.x_train)).numpy()
    np.testing.assert_allclose(saved[f"lightning|{slug(point.label)}"], codes, rtol=1e-5, atol=1e-6)
    keras_codes = _keras(point, run_dir / "keras-seed0" / FINAL_WEIGHTS["keras"]).encoder.predict(data.x_train, verbose=0)
    np.testing.assert_allclose(saved[f"keras|{slug(point.label)}"], keras_codes, rtol=1e-5, atol=1e-6)
    # The reconstruction MSE over the test digits is the run's own test loss.
    table = read_csv(folder / "reconstructions.csv")
    assert {r["framework"] for r in table} == {"lightning", "keras"} and len(rows) == 2
    for r in table:
        assert float(r["test_mse"]) == pytest.approx(float(r["run_test_loss"]), rel=1e-4)
    assert "| PCA(2) |" in (folder / "projection.md").read_text()


@pytest.mark.slow
def test_denoising_views_show_the_corrupted_digits(tmp_path):
    exercise = EXERCISES["apa-p1-denoising"]
    runner.run(exercise, quick(tmp_path, max_rows=80, frameworks=("lightning",)))
    table = {r["input"]: float(r["test_mse"]) for r in read_csv(tmp_path / exercise.id / "reconstructions.csv")}
    corrupted = first_rows(datamodules.load("digits", corruption=0.1, corrupt_test=True), 80)
    clean = first_rows(datamodules.load("digits"), 80)
    by_hand = float(np.mean((corrupted.x_test - clean.x_test) ** 2))
    assert table["corrupted test digits, not reconstructed"] == pytest.approx(by_hand, rel=1e-6)
    assert by_hand > 0 and set(table) == {"test digits", "corrupted test digits (10%)",
                                          "corrupted test digits, not reconstructed"}


@pytest.mark.slow
@pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST is not on this machine")
def test_fashion_grid_colours_are_the_saved_networks_predictions(tmp_path):
    exercise = EXERCISES["fp-fashion"]
    options = quick(tmp_path, max_rows=100, frameworks=("lightning",))  # Keras' predict: the wages test
    runner.run(exercise, options)
    folder = tmp_path / exercise.id
    table = read_csv(folder / "prediction_grid.csv")
    point = _point(exercise, options)
    data = first_rows(datamodules.load("fashion_mnist"), 100)
    names = data.info["class_names"]
    model = _lightning(point, folder / "runs" / "default" / "lightning-seed0" / FINAL_WEIGHTS["lightning"])
    predicted = model.predict(data.x_test[:25]).argmax(axis=1)
    assert [r["predicted"] for r in table] == [names[p] for p in predicted]
    assert [r["true"] for r in table] == [names[t] for t in data.y_test[:25]]
    assert sum(r["colour"] == "green" for r in table) == int((predicted == data.y_test[:25]).sum())
    for name in ("exploration_image.png", "exploration_grid.png", "prediction_grid_lightning.png"):
        assert (folder / name).stat().st_size > 0


@pytest.mark.slow
@pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST is not on this machine")
def test_rdim_projection_is_the_saved_networks_ndim_model(tmp_path):
    exercise = EXERCISES["apa-p2-projection"]
    options = quick(tmp_path, max_rows=90, frameworks=("lightning",))
    runner.run(exercise, options)
    saved = np.load(tmp_path / exercise.id / "projection.npz")
    point = _point(exercise, options)
    data = first_rows(datamodules.load("fashion_mnist", classes=[0, 2, 6]), 90)
    model = _lightning(point, tmp_path / exercise.id / "runs" / slug(point.label) / "lightning-seed0" / "final_weights.pt")
    with torch.no_grad():
        codes = model.projection(torch.from_numpy(data.x_test)).numpy()
    np.testing.assert_allclose(saved[f"lightning|{slug(point.label)}"], codes, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(saved["labels_test"], data.y_test)


@pytest.mark.slow
def test_sentiment_tsne_of_the_networks_representation(tmp_path):
    from test_datasets import write_tweets
    from test_exercises import many_tweets

    write_tweets(str(tmp_path / "Tweets.csv"), many_tweets(150))  # the longest: 36 words
    exercise = EXERCISES["apa-p7-sentiment-embedding"]
    options = quick(tmp_path / "out", data_dir=str(tmp_path))
    runner.run(exercise, options)
    saved = np.load(tmp_path / "out" / exercise.id / "projection.npz")
    point = _point(exercise, options)
    words = point.data["nwords"]
    n_train = len(datamodules.load("airline_sentiment", data_dir=str(tmp_path)).x_train)
    for name in ("pca", "tsne_inputs", "lightning|" + slug(point.label), "keras|" + slug(point.label)):
        assert saved[f"{words}|{name}"].shape == (n_train, 2), name
    assert np.all(np.isfinite(saved[f"{words}|keras|{slug(point.label)}"]))


@pytest.mark.slow
def test_wages_views_recompute_the_runs_test_mse_and_the_variance(tmp_path):
    wages = EXERCISES["apa-p5-wages"]
    runner.run(wages, quick(tmp_path, frameworks=("lightning",)))  # the linear network
    exercise = EXERCISES["apa-p5-wages-nll"]
    options = quick(tmp_path)
    runner.run(exercise, options)
    table = read_csv(tmp_path / exercise.id / "wages_views.csv")
    assert [r["framework"] for r in table] == ["lightning", "keras"]
    for r in table:
        assert float(r["test_mse"]) == pytest.approx(float(r["run_test_mean_mse"]), rel=1e-4)
    point = _point(exercise, options)
    data = datamodules.load("wages", source="wooldridge_wage1_standin")
    model = _lightning(point, tmp_path / exercise.id / "runs" / slug(point.label) / "lightning-seed0" / "final_weights.pt")
    mean, log_variance = model.predict(data.x_test).T
    assert float(table[0]["test_mse"]) == pytest.approx(np.mean((mean - data.y_test[:, 0]) ** 2), rel=1e-5)
    assert float(table[0]["variance_median"]) == pytest.approx(np.median(np.exp(log_variance)), rel=1e-5)
    lines = read_csv(tmp_path / wages.id / "wages_views.csv")
    assert float(lines[0]["test_mse"]) == pytest.approx(float(lines[0]["run_test_mean_squared_error"]), rel=1e-4)


@pytest.mark.slow
def test_optimizer_overlay_and_batch_timing_tables(tmp_path):
    exercise = EXERCISES["slides-optimizers"]
    rows = runner.run(exercise, quick(tmp_path, epochs=2, max_rows=60, max_points=3, frameworks=("lightning",)))
    text = (tmp_path / exercise.id / "optimizers.md").read_text()
    for label in ("SGD(0.01, momentum=0.9)", "RMSprop(0.001)", "Adam"):
        assert f"| lightning | {label} | 2 |" in text
    history = read_history(tmp_path / exercise.id / rows[0]["run_dir"] / "history.csv")
    assert f"| {history['loss'][-1]:.4g} |" in text
    timing = EXERCISES["slides-batch-timing"]
    rows = runner.run(timing, quick(tmp_path, max_rows=150, max_points=2))
    table = read_csv(tmp_path / timing.id / "timing.csv")
    assert [(r["framework"], r["batch_size"]) for r in table] == [
        ("lightning", "1"), ("lightning", "150"), ("keras", "1"), ("keras", "150")]
    for r in table:
        batch, n = int(r["batch_size"]), int(r["examples"])
        assert n == 150 and int(r["iterations"]) == int(r["epochs"]) * math.ceil(n / batch)
        run = next(x for x in rows if x["framework"] == r["framework"] and x["hp_batch_size"] == batch)
        assert float(r["seconds"]) == run["seconds"] and float(r["test_accuracy"]) == run["test_accuracy"]
