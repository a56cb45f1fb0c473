"""Projections (issue 12, item 2): the network's 2-D codes beside PCA(2) and a non-linear method.

- apa-p1-autoencoder / apa-p1-denoising (seed 000, L74-131): the encoder's codes (the document's
  ``codificador``, the ``d2=2`` layer) of the training digits, for the best run (test MSE) of each
  activation, beside PCA(2) of the same digits; PCA's reconstruction MSE next to the
  autoencoders' (the document asks how PCA and a linear autoencoder relate). The reconstructions
  of test digits are drawn too (:func:`.image_views.reconstructions`).
- apa-p2-projection (seed 000, L189-207): the ``rdim`` layer's codes (``ndim = keras.Model(input,
  rdim)``) of the test set, best run per activation (test accuracy), beside PCA(2).
- apa-p7-sentiment-embedding (seed 000, L473-515): t-SNE initialised with PCA of the training
  tweets (question a) and of the network's learned representation (what its output layer sees),
  for the best run of each vocabulary size.

Every figure also has Isomap, the non-linear method of scikit-learn with a ``transform``: fitted
on a 20% sample of the training set and applied to the test set (the document's question "which
method can apply what it learnt on the training data to the test data?"). Points are coloured by
class; one figure per exercise, rows: the reference projections, then one row per framework.
"""

from __future__ import annotations

import os
import warnings
from typing import Optional, Sequence

import numpy as np
from matplotlib.figure import Figure

import lightning_models

from ..runner import Options, exercise_folder
from ..spec import Exercise
from . import register
from ..reports import markdown_table
from .common import (best_rows, class_labels, load_network, point_text, representation, routed_points,
                     run_data, submodel_outputs, write_text)

#: Share of the training set the non-linear method is fitted on (the document's "20 %").
ISOMAP_SAMPLE = 0.2
ISOMAP_NEIGHBOURS = 10
#: t-SNE runs on at most this many training rows (a random sample; t-SNE has no transform).
TSNE_ROWS = 2000
#: Panels per framework row (the best runs by the exercise's metric).
MAX_PANELS = 6


@register("projection")
def projection(exercise: Exercise, options: Options, rows: list[dict]) -> list[str]:
    """``projection.png``, ``projection.md`` and ``projection.npz`` (every panel's coordinates);
    for the autoencoders also ``reconstructions.png`` / ``.csv``."""
    if not rows:
        return []
    code_layer = _code_layer(exercise.networks[0])
    if code_layer is None:
        return sentiment_projection(exercise, options, rows)
    written = codes_projection(exercise, options, rows, code_layer)
    if code_layer == "encoder":
        from .image_views import reconstructions

        written += reconstructions(exercise, options, rows)
    return written


def _code_layer(network: str) -> Optional[str]:
    """The network's 2-D sub-model: ``encoder`` (autoencoders), ``projection`` (the rdim layer)."""
    submodels = getattr(lightning_models.CATALOG[network], "submodels", ())
    return next((name for name in ("encoder", "projection") if name in submodels), None)


# -- the methods ------------------------------------------------------------------------------------
def flat(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).reshape(len(x), -1)


def pca_projection(x_fit: np.ndarray, *shown: np.ndarray) -> tuple:
    """``(PCA(2) fitted on x_fit, its coordinates of each array of shown)``."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2).fit(flat(x_fit))
    return pca, [pca.transform(flat(x)) for x in shown]


def reconstruction_mse(pca, x: np.ndarray) -> float:
    """Mean squared error of PCA's reconstruction (``inverse_transform(transform(x))``), over
    every value, as Keras' MeanSquaredError averages an autoencoder's error."""
    x = flat(x)
    return float(np.mean((x - pca.inverse_transform(pca.transform(x))) ** 2))


def isomap_projection(x_train: np.ndarray, x_test: np.ndarray, seed: int) -> tuple:
    """``(Isomap fitted on a 20% random sample of x_train, sample indices, test coordinates)``."""
    from sklearn.manifold import Isomap

    rng = np.random.default_rng(seed)
    n = min(len(x_train), max(3, int(round(ISOMAP_SAMPLE * len(x_train)))))
    sample = np.sort(rng.choice(len(x_train), size=n, replace=False))
    isomap = Isomap(n_neighbors=min(ISOMAP_NEIGHBOURS, n - 1), n_components=2)
    with warnings.catch_warnings():  # a small sample's neighbour graph may be disconnected
        warnings.simplefilter("ignore", UserWarning)
        isomap.fit(flat(x_train)[sample])
        return isomap, sample, isomap.transform(flat(x_test))


def tsne(x: np.ndarray, seed: int) -> np.ndarray:
    """t-SNE initialised with PCA (seed 000, problem 4 a), perplexity 30 or less on few rows."""
    from sklearn.manifold import TSNE

    x = flat(x)
    perplexity = float(min(30.0, max(1.0, (len(x) - 1) / 3)))
    return TSNE(n_components=2, init="pca", perplexity=perplexity, random_state=seed).fit_transform(x)


def sample_rows(n: int, limit: int, seed: int) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


# -- the figure ------------------------------------------------------------------------------------
def scatter(ax, codes: np.ndarray, labels: np.ndarray, names: Sequence[str], title: str) -> None:
    cmap = _colours(len(names))
    for k, name in enumerate(names):
        mask = labels == k
        if mask.any():
            ax.scatter(codes[mask, 0], codes[mask, 1], s=4, color=cmap[k], label=name, alpha=0.7)
    ax.set_title(title, fontsize=8)
    ax.tick_params(labelsize=6)


def _colours(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def panels_figure(grid: list[list[Optional[tuple]]], names: Sequence[str], title: str) -> Figure:
    """One row per list of ``grid``; each panel ``(codes, labels, title)`` or None (empty)."""
    ncols = max(len(row) for row in grid)
    width, legend = 3.4 * ncols, 1.6  # inches: the panels, the legend on the right
    fig = Figure(figsize=(width + legend, 3.2 * len(grid) + 0.5))
    axes = fig.subplots(len(grid), ncols, squeeze=False)
    for r, row in enumerate(grid):
        for c in range(ncols):
            panel = row[c] if c < len(row) else None
            if panel is None:
                axes[r, c].set_visible(False)
                continue
            scatter(axes[r, c], *panel[:2], names, panel[2])
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=8, markerscale=3, frameon=False)
    fig.suptitle(title, fontsize=10)
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.45 / (width + legend), right=(width - 0.1) / (width + legend),
                        bottom=0.35 / height, top=1 - 0.75 / height, wspace=0.28, hspace=0.45)
    return fig


def _frameworks(rows: Sequence[dict]) -> list[str]:
    return [fw for fw in ("lightning", "keras") if any(r["framework"] == fw for r in rows)]


# -- autoencoders and the rdim layer ----------------------------------------------------------------
def codes_projection(exercise: Exercise, options: Options, rows: list[dict], code_layer: str) -> list[str]:
    folder = exercise_folder(exercise, options)
    points = routed_points(exercise, options)
    autoencoder = code_layer == "encoder"
    metric, lower = ("test_loss", True) if autoencoder else ("test_accuracy", False)
    group = (lambda r: r.get("hp_activation")) if any("hp_activation" in r for r in rows) else (lambda r: r["point"])
    chosen = best_rows(rows, metric, lower, group)
    if not chosen:
        return []
    seed = chosen[0]["seed"]
    point = points[chosen[0]["point"]]
    # The clean data (the denoising runs' training inputs are corrupted; the document projects
    # "the original training data").
    clean = {"corruption": None, "copies": 1, "corrupt_test": False} if "corruption" in point.data else {}
    _, data = run_data(exercise, options, point, seed, **clean)
    names = list(data.info.get("class_names") or [str(k) for k in range(int(class_labels(data.y_train).max()) + 1)])
    shown = "train" if autoencoder else "test"
    x_shown, y_shown = getattr(data, "x_" + shown), class_labels(getattr(data, "y_" + shown))
    y_test = class_labels(data.y_test)
    pca, (pca_codes,) = pca_projection(data.x_train, x_shown)
    isomap, sample, iso_codes = isomap_projection(data.x_train, data.x_test, seed)
    arrays = {"labels_" + shown: y_shown, "labels_test": y_test, "pca": pca_codes,
              "isomap": iso_codes, "isomap_sample": sample}
    grid = [[(pca_codes, y_shown, f"PCA(2), {shown} set"),
             (iso_codes, y_test, f"Isomap fitted on {len(sample)} training rows (20%), test set")]]
    pca_mse = [reconstruction_mse(pca, data.x_train), reconstruction_mse(pca, data.x_test)]
    arrays["pca_reconstruction_mse"] = np.array(pca_mse)  # train, test
    table = [("PCA(2)", "-", "-", *pca_mse, float(pca.explained_variance_ratio_.sum()))] if autoencoder else []
    for framework in _frameworks(chosen):
        ranked = sorted((r for r in chosen if r["framework"] == framework), key=lambda r: r[metric],
                        reverse=not lower)[:MAX_PANELS]
        panels = []
        for row in sorted(ranked, key=chosen.index):
            model = load_network(exercise, options, row, points[row["point"]])
            codes = submodel_outputs(model, framework, code_layer, x_shown)
            arrays[f"{framework}|{row['point']}"] = codes
            score = f"test MSE {row[metric]:.4f}" if autoencoder else f"test acc. {row[metric]:.3f}"
            panels.append((codes, y_shown, f"{framework}: {point_text(row)}\n{score}"))
            table.append((f"{code_layer} ({layer_name(code_layer)})", framework, point_text(row),
                          row.get("train_loss") if autoencoder else row.get("train_accuracy"), row[metric], None))
        grid.append(panels)
    title = f"{exercise.id}: the network's 2-D {layer_name(code_layer)} codes ({shown} set) beside PCA(2) and Isomap"
    fig = panels_figure(grid, names, title)
    fig.savefig(os.path.join(folder, "projection.png"), dpi=100)
    np.savez_compressed(os.path.join(folder, "projection.npz"), **arrays)
    what = "MSE" if autoencoder else "accuracy"
    lines = [f"# {exercise.id}: 2-D projections", "", "![projection](projection.png)", "",
             f"PCA(2) fitted on the training set, shown on the {shown} set; Isomap "
             f"(n_neighbors={isomap.n_neighbors}) fitted on a random {len(sample)} of the "
             f"{len(data.x_train)} training rows (20%) and applied to the {len(data.x_test)} test rows; "
             f"then per framework the {layer_name(code_layer)} codes of the best run (test {what}) "
             f"{'of each activation' if 'hp_activation' in chosen[0] else 'of each grid point'}, "
             f"on the {shown} set. Coordinates: projection.npz.", ""]
    header = ["projection", "framework", "point", f"train {what}", f"test {what}"]
    if autoencoder:
        header.append("PCA explained variance")
        lines += ["PCA's reconstruction MSE (inverse_transform of its 2 components) next to the "
                  "autoencoders' (2-unit code layer):", ""]
    lines += markdown_table(header, [t[:len(header)] for t in table])
    return ["projection.png", "projection.npz", write_text(folder, "projection.md", lines)]


def layer_name(code_layer: str) -> str:
    """The document's name of the 2-D model: ``codificador`` (encoder) or ``ndim`` (rdim layer)."""
    return {"encoder": "codificador", "projection": "ndim/rdim"}.get(code_layer, code_layer)


# -- the tweets: t-SNE -------------------------------------------------------------------------------
SENTIMENT_NAMES = ("negative", "positive or neutral")


def sentiment_projection(exercise: Exercise, options: Options, rows: list[dict]) -> list[str]:
    """Per vocabulary size (``nwords``): PCA(2) and t-SNE (PCA initialisation) of the training
    tweets as word-id vectors (question a), Isomap fitted on 20% of them and applied to the test
    tweets, and t-SNE of each framework's best network's representation of the training tweets."""
    folder = exercise_folder(exercise, options)
    points = routed_points(exercise, options)
    nwords = (lambda r: r.get("hp_nwords", points[r["point"]].data.get("nwords")))
    chosen = best_rows(rows, "test_accuracy", lower_is_better=False, group=nwords)
    if not chosen:
        return []
    grid, arrays, table = [], {}, []
    for words in sorted({nwords(r) for r in chosen}, key=lambda w: (w is None, w)):
        group = [r for r in chosen if nwords(r) == words]
        seed = group[0]["seed"]
        _, data = run_data(exercise, options, points[group[0]["point"]], seed)
        sample = sample_rows(len(data.x_train), TSNE_ROWS, seed)
        x, y = data.x_train[sample], class_labels(data.y_train[sample])
        _, (pca_codes,) = pca_projection(data.x_train, x)
        _, iso_sample, iso_codes = isomap_projection(data.x_train, data.x_test, seed)
        y_test = class_labels(data.y_test)
        raw = tsne(x, seed)
        row_panels = [(pca_codes, y, f"nwords={words}: PCA(2) of the training word ids"),
                      (iso_codes, y_test, f"Isomap fitted on {len(iso_sample)} training rows (20%), test set"),
                      (raw, y, "t-SNE (PCA init.) of the training word ids")]
        arrays.update({f"{words}|labels_train": y, f"{words}|labels_test": y_test, f"{words}|pca": pca_codes,
                       f"{words}|isomap": iso_codes, f"{words}|tsne_inputs": raw, f"{words}|sample": sample})
        for row in sorted(group, key=lambda r: ("lightning", "keras").index(r["framework"])):
            model = load_network(exercise, options, row, points[row["point"]])
            codes = tsne(representation(model, row["framework"], x), seed)
            arrays[f"{words}|{row['framework']}|{row['point']}"] = codes
            row_panels.append((codes, y, f"{row['framework']}: t-SNE of the representation\n"
                               f"{point_text(row)} (test acc. {row['test_accuracy']:.3f})"))
            table.append((words, row["framework"], point_text(row), row.get("train_accuracy"),
                          row["test_accuracy"]))
        grid.append(row_panels)
    fig = panels_figure(grid, SENTIMENT_NAMES, f"{exercise.id}: the training tweets, t-SNE "
                        "(PCA initialisation) of the inputs and of the networks' representation")
    fig.savefig(os.path.join(folder, "projection.png"), dpi=100)
    np.savez_compressed(os.path.join(folder, "projection.npz"), **arrays)
    lines = [f"# {exercise.id}: 2-D projections", "", "![projection](projection.png)", "",
             f"Per vocabulary size: PCA(2) and t-SNE (init='pca') of at most {TSNE_ROWS} training "
             "tweets as word-id vectors (question a); Isomap fitted on a random 20% of the training "
             "tweets, applied to the test tweets; t-SNE of the representation the output layer "
             "sees (the flattened Dense outputs) of each framework's best run (test accuracy). "
             "Coordinates: projection.npz.", ""]
    lines += markdown_table(["nwords", "framework", "point", "train accuracy", "test accuracy"], table)
    return ["projection.png", "projection.npz", write_text(folder, "projection.md", lines)]
