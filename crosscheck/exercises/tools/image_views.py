"""Image views (issue 12, item 3): what the documents draw of a trained network's test set.

- :func:`reconstructions` (apa-p1-autoencoder, apa-p1-denoising; seed 000, L74-131): test digits
  and their reconstructions as 8x8 images; for the denoising autoencoder clean / corrupted /
  reconstructed from the corrupted digits. Called by the projection tool of those exercises.
- fp-fashion (seed 001, L621-866): the data exploration (``plt.imshow(train_images[10]);
  plt.colorbar()`` and the 5x5 grid of training images named by class) and the 5x5 grid of test
  images labelled ``predicted (true)``, green when right and red when wrong, per framework.
- apa-p5-wages / apa-p5-wages-nll (seed 000, L369-453): the best network's test predictions
  against the truth, its error against the truth and the error's distribution; for the Gaussian
  likelihood network (outputs ``[mean, log-variance]``) also the predicted variance against the
  target, and its mean against the best apa-p5-wages network's predictions when that exercise
  was run into the same folder.
"""

from __future__ import annotations

import csv
import os
from typing import Optional, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from ..runner import Options, exercise_folder
from ..spec import Exercise
from . import register
from ..reports import markdown_table
from .common import (best_rows, class_labels, load_network, point_text, predict, routed_points, run_data,
                     write_text)

#: How many test digits the reconstruction figure shows.
DIGITS_SHOWN = 10


@register("image_views")
def image_views(exercise: Exercise, options: Options, rows: list[dict]) -> list[str]:
    if not rows:
        return []
    data = exercise.data_name
    if data == "wages":
        return wages_views(exercise, options, rows)
    if data in ("fashion_mnist", "mnist"):
        return labelled_views(exercise, options, rows)
    if data == "digits":
        return reconstructions(exercise, options, rows)
    raise ValueError(f"{exercise.id}: the image_views tool draws images, labelled grids or "
                     f"regression views; nothing for {data} data")


def write_csv(path: str, header: Sequence[str], table: Sequence[Sequence]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(table)


# -- autoencoders ---------------------------------------------------------------------------------
def reconstructions(exercise: Exercise, options: Options, rows: list[dict]) -> list[str]:
    """``reconstructions.png`` and ``reconstructions.csv``: the best run of each framework (test
    MSE) reconstructing the first test digits; the MSE over the whole test set, against the clean
    digits, next to the run's own ``test_loss``."""
    folder = exercise_folder(exercise, options)
    points = routed_points(exercise, options)
    chosen = sorted(best_rows(rows, "test_loss"), key=lambda r: ("lightning", "keras").index(r["framework"]))
    if not chosen:
        return []
    image_rows, table = [], []
    clean_test = None
    for row in chosen:
        point = points[row["point"]]
        splits, _ = run_data(exercise, options, point, row["seed"])
        clean_test = splits.y_test  # targets="inputs": the clean digits
        model = load_network(exercise, options, row, point)
        out = predict(model, row["framework"], splits.x_test)
        mse = float(np.mean((out - clean_test) ** 2))
        table.append((row["framework"], row["point"], "test digits", mse, row["test_loss"]))
        label = f"{row['framework']}\n{point_text(row)}"
        if point.data.get("corruption"):
            corrupted, _ = run_data(exercise, options, point, row["seed"], corrupt_test=True)
            noisy_out = predict(model, row["framework"], corrupted.x_test)
            table.append((row["framework"], row["point"], f"corrupted test digits ({point.data['corruption']:.0%})",
                          float(np.mean((noisy_out - clean_test) ** 2)), None))
            table.append((row["framework"], row["point"], "corrupted test digits, not reconstructed",
                          float(np.mean((corrupted.x_test - clean_test) ** 2)), None))
            image_rows += [(f"corrupted\n({point.data['corruption']:.0%}, {row['framework']})", corrupted.x_test),
                           (f"denoised by\n{label}", noisy_out)]
        else:
            image_rows.append((f"reconstructed by\n{label}", out))
    image_rows.insert(0, ("clean test digits", clean_test))
    fig = digit_rows_figure(image_rows, min(DIGITS_SHOWN, len(clean_test)))
    fig.suptitle(f"{exercise.id}: test digits and their reconstructions", fontsize=9)
    fig.savefig(os.path.join(folder, "reconstructions.png"), dpi=100)
    write_csv(os.path.join(folder, "reconstructions.csv"),
              ["framework", "point", "input", "test_mse", "run_test_loss"], table)
    return ["reconstructions.png", "reconstructions.csv"]


def digit_rows_figure(image_rows: Sequence[tuple], n: int) -> Figure:
    """Rows of 8x8 digits (``(label, images)`` each; the first ``n`` images, values in [0, 1],
    dark ink on white) as one mosaic, a white line between digits, each row named on the left."""
    gap = 1
    mosaic = np.full((len(image_rows) * (8 + gap) - gap, n * (8 + gap) - gap), np.nan)
    for r, (_, images) in enumerate(image_rows):
        for c in range(n):
            top, left = r * (8 + gap), c * (8 + gap)
            mosaic[top:top + 8, left:left + 8] = np.clip(np.asarray(images[c]).reshape(8, 8), 0, 1)
    fig = Figure(figsize=(0.75 * n + 2.0, 0.8 * len(image_rows) + 0.5))
    ax = fig.add_axes((1.9 / (0.75 * n + 2.0), 0.02, 1 - 2.0 / (0.75 * n + 2.0), 0.86))
    cmap = colormaps["gray_r"].with_extremes(bad="white")
    ax.imshow(mosaic, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([r * (8 + gap) + 3.5 for r in range(len(image_rows))],
                  [label for label, _ in image_rows], fontsize=7)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.tick_params(length=0)
    return fig


# -- fp-fashion -------------------------------------------------------------------------------------
def labelled_grid(images: np.ndarray, names: Sequence[str], truth: np.ndarray,
                  predicted: Optional[np.ndarray] = None, title: str = "") -> Figure:
    """The documents' 5x5 grid (``plt.subplot(5, 5, i + 1)``, ``cmap=plt.cm.binary``): each image
    named by its class; with ``predicted``, ``"predicted (true)"`` in green when right, red when
    wrong (seed 001, L849-864)."""
    n = min(25, len(images))
    fig = Figure(figsize=(10, 10))
    axes = fig.subplots(5, 5).ravel()
    for i, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.set_visible(False)
            continue
        ax.imshow(images[i].reshape(28, 28), cmap="binary")
        if predicted is None:
            ax.set_xlabel(names[truth[i]])
        else:
            color = "green" if predicted[i] == truth[i] else "red"
            ax.set_xlabel(f"{names[predicted[i]]} ({names[truth[i]]})", color=color)
    if title:
        fig.suptitle(title)
    fig.subplots_adjust(left=0.03, right=0.97, bottom=0.04, top=0.93, wspace=0.15, hspace=0.35)
    return fig


def image_with_colour_bar(image: np.ndarray, title: str) -> Figure:
    """``plt.figure(); plt.imshow(train_images[10]); plt.colorbar()`` (seed 001, L669-671)."""
    fig = Figure(figsize=(5, 4))
    ax = fig.subplots()
    shown = ax.imshow(image)
    fig.colorbar(shown, ax=ax)
    ax.set_title(title, fontsize=9)
    return fig


def labelled_views(exercise: Exercise, options: Options, rows: list[dict]) -> list[str]:
    """``exploration_image.png`` (a training image, raw pixel values 0..255, with its colour bar),
    ``exploration_grid.png`` (25 training images named), ``prediction_grid_<framework>.png`` and
    ``prediction_grid.csv`` (the first 25 test images, predicted and true class)."""
    folder = exercise_folder(exercise, options)
    points = routed_points(exercise, options)
    chosen = best_rows(rows, "test_accuracy", lower_is_better=False)
    if not chosen:
        return []
    _, data = run_data(exercise, options, points[chosen[0]["point"]], chosen[0]["seed"])
    names = list(data.info["class_names"])
    scale = float(data.info.get("scale", 1.0))
    index = 10 if len(data.x_train) > 10 else 0  # the document's train_images[10]
    raw = np.asarray(data.x_train[index]).reshape(28, 28) * scale
    y_train = class_labels(data.y_train)
    image_with_colour_bar(raw, f"training image {index} ({names[y_train[index]]}), pixel values"
                          ).savefig(os.path.join(folder, "exploration_image.png"), dpi=100)
    labelled_grid(data.x_train, names, y_train, title="the first 25 training images"
                  ).savefig(os.path.join(folder, "exploration_grid.png"), dpi=80)
    written = ["exploration_image.png", "exploration_grid.png"]
    table = []
    truth = class_labels(data.y_test)[:25]
    for row in sorted(chosen, key=lambda r: ("lightning", "keras").index(r["framework"])):
        model = load_network(exercise, options, row, points[row["point"]])
        predicted = predict(model, row["framework"], data.x_test[:25]).argmax(axis=1)
        right = int((predicted == truth).sum())
        name = f"prediction_grid_{row['framework']}.png"
        labelled_grid(data.x_test, names, truth, predicted,
                      title=f"{row['framework']}: predicted (true), {right} of {len(truth)} right"
                      ).savefig(os.path.join(folder, name), dpi=80)
        written.append(name)
        table += [(row["framework"], i, names[p], names[t], "green" if p == t else "red")
                  for i, (p, t) in enumerate(zip(predicted, truth))]
    write_csv(os.path.join(folder, "prediction_grid.csv"),
              ["framework", "test_index", "predicted", "true", "colour"], table)
    return written + ["prediction_grid.csv"]


# -- wages ------------------------------------------------------------------------------------------
#: The test metric each wages network is chosen by (the MSE of the prediction or of the mean).
WAGES_METRICS = ("test_mean_squared_error", "test_mean_mse")


def _wages_metric(rows: Sequence[dict]) -> str:
    return next(m for m in WAGES_METRICS + ("test_loss",) if any(m in r for r in rows))


def wages_predictions(exercise: Exercise, options: Options, row: dict, points: dict) -> dict:
    """The run's test truth, prediction (the mean, for the Gaussian likelihood network) and, when
    the network predicts it, the variance ``exp(log-variance)``."""
    point = points[row["point"]]
    splits, _ = run_data(exercise, options, point, row["seed"])
    out = predict(load_network(exercise, options, row, point), row["framework"], splits.x_test)
    out = out.reshape(len(out), -1)
    found = {"truth": np.asarray(splits.y_test, dtype=np.float64).reshape(-1), "predicted": out[:, 0]}
    if out.shape[1] == 2:  # [mean, log-variance] concatenated (apa.wages_gaussian_nll)
        found["variance"] = np.exp(out[:, 1])
    return found


def wages_views(exercise: Exercise, options: Options, rows: list[dict]) -> list[str]:
    """``wages_views.png`` (one row per framework) and ``wages_views.csv`` (test MSE recomputed
    from the predictions beside the run's metric, error statistics, variance statistics)."""
    folder = exercise_folder(exercise, options)
    points = routed_points(exercise, options)
    metric = _wages_metric(rows)
    chosen = sorted(best_rows(rows, metric), key=lambda r: ("lightning", "keras").index(r["framework"]))
    if not chosen:
        return []
    mlp = _best_mlp_predictions(options) if exercise.id != "apa-p5-wages" else {}
    found = {row["framework"]: wages_predictions(exercise, options, row, points) for row in chosen}
    ncols = 3 + ("variance" in next(iter(found.values()))) + bool(mlp)
    fig = Figure(figsize=(3.6 * ncols, 3.3 * len(chosen)))
    axes = fig.subplots(len(chosen), ncols, squeeze=False)
    table = []
    for r, row in enumerate(chosen):
        got = found[row["framework"]]
        truth, predicted = got["truth"], got["predicted"]
        error = predicted - truth
        mse = float(np.mean(error ** 2))
        name = f"{row['framework']} {point_text(row)}"
        ax = axes[r, 0]
        ax.scatter(truth, predicted, s=6)
        low, high = float(min(truth.min(), predicted.min())), float(max(truth.max(), predicted.max()))
        ax.plot([low, high], [low, high], "k--", lw=0.8)
        ax.set(xlabel="true wage", ylabel="predicted", title=f"{name}\ntest MSE {mse:.3f}")
        axes[r, 1].scatter(truth, error, s=6)
        axes[r, 1].axhline(0, color="k", lw=0.8)
        axes[r, 1].set(xlabel="true wage", ylabel="error (predicted - true)", title="error against the truth")
        axes[r, 2].hist(error, bins=30)
        axes[r, 2].set(xlabel="error (predicted - true)", ylabel="test rows",
                       title=f"error distribution (mean {error.mean():.2f}, sd {error.std():.2f})")
        extra = {}
        col = 3
        if "variance" in got:
            variance = got["variance"]
            axes[r, col].scatter(truth, variance, s=6)
            axes[r, col].set(xlabel="true wage", ylabel="predicted variance exp(log-variance)",
                             title="predicted variance against the target")
            extra = {"variance_median": float(np.median(variance)),
                     "variance_target_correlation": float(np.corrcoef(truth, variance)[0, 1])
                     if variance.std() > 0 and truth.std() > 0 else None}
            col += 1
        if mlp:
            other = mlp.get(row["framework"])
            if other is not None and np.array_equal(other["truth"], truth):
                axes[r, col].scatter(other["predicted"], predicted, s=6)
                lo = float(min(other["predicted"].min(), predicted.min()))
                hi = float(max(other["predicted"].max(), predicted.max()))
                axes[r, col].plot([lo, hi], [lo, hi], "k--", lw=0.8)
                axes[r, col].set(xlabel="prediction of the best apa-p5-wages network", ylabel="predicted mean")
                axes[r, col].set_title(f"against {other['point']}", fontsize=8)
            else:
                axes[r, col].set_visible(False)
        table.append((row["framework"], row["point"], len(truth), mse, row.get(metric), float(error.mean()),
                      float(error.std()), extra.get("variance_median"), extra.get("variance_target_correlation")))
    fig.suptitle(f"{exercise.id}: test predictions of the best network ({metric.removeprefix('test_')})",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "wages_views.png"), dpi=100)
    header = ["framework", "point", "test_rows", "test_mse", f"run_{metric}", "error_mean", "error_sd",
              "variance_median", "variance_target_correlation"]
    write_csv(os.path.join(folder, "wages_views.csv"), header, table)
    lines = [f"# {exercise.id}: test predictions", "", "![wages views](wages_views.png)", "",
             f"The best run of each framework by {metric}; the test MSE recomputed from its "
             "predictions (the mean, for the likelihood network) beside the run's own metric.", ""]
    lines += markdown_table(header, table)
    return ["wages_views.png", "wages_views.csv", write_text(folder, "wages_views.md", lines)]


def _best_mlp_predictions(options: Options) -> dict:
    """``{framework: predictions}`` of apa-p5-wages' best run per framework, when that exercise was
    run into the same ``--out`` (question c compares the two networks' predictions)."""
    from .. import EXERCISES
    from ..reports import collect

    other = EXERCISES["apa-p5-wages"]
    folder = exercise_folder(other, options)
    if not os.path.isdir(os.path.join(folder, "runs")):
        return {}
    rows = collect(folder)
    points = routed_points(other, options)
    found = {}
    for row in best_rows(rows, _wages_metric(rows) if rows else "test_loss"):
        if row["point"] in points:
            settings = ", ".join(f"{k.removeprefix('hp_')}={v}" for k, v in row.items()
                                 if k.startswith("hp_") and k != "hp_network")
            found[row["framework"]] = {**wages_predictions(other, options, row, points),
                                       "point": f"{row['network']}" + (f" ({settings})" if settings else "")}
    return found
