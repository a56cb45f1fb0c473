"""An exercise's files: per run (history, curves, the reports it asks for) and per exercise
(``results.csv`` / ``results.md``, overlaid curves, Keras against Lightning, ``index.md``).

The reports are scikit-learn's (``classification_report``, ``confusion_matrix``,
``precision_recall_fscore_support``, ``roc_curve``, ``precision_recall_curve``, ``roc_auc_score``,
``average_precision_score``) on the test split's predictions with the final (or restored best)
weights; the figures use matplotlib's object API (no pyplot state, works headless).
"""

from __future__ import annotations

import csv
import glob
import json
import os
from typing import Optional, Sequence

import numpy as np
from matplotlib.figure import Figure

from .spec import Exercise

#: Columns that come first in the results table; the hyperparameters (hp_*) and metrics follow.
LEADING = ("exercise", "point", "framework", "seed", "network", "params", "epochs_run",
           "stopped_epoch", "restored_best", "seconds")


# -- labels ---------------------------------------------------------------------------------------
def labels(predictions: Optional[np.ndarray], y_true: np.ndarray) -> Optional[tuple]:
    """``(true labels, predicted labels, positive-class scores or None)`` for a classifier's
    predictions: argmax of several outputs (one-hot or sparse truth), ``> 0.5`` of one sigmoid
    output, as the documents turn ``predict`` into classes; ``None`` for regression/autoencoders."""
    if predictions is None:
        return None
    p = np.asarray(predictions)
    y = np.asarray(y_true)
    if p.ndim == 2 and p.shape[1] > 1:
        if y.ndim == 2 and y.shape[1] == p.shape[1] and np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all():
            truth = y.argmax(axis=1)  # one-hot labels
        elif y.ndim == 1 and np.issubdtype(y.dtype, np.integer):
            truth = y
        else:
            return None  # an autoencoder's reconstruction, several regression outputs
        return truth, p.argmax(axis=1), (p[:, 1] if p.shape[1] == 2 else None)
    scores = p.reshape(len(p), -1)
    if scores.shape[1] != 1:
        return None
    truth = y.reshape(len(y), -1)
    if truth.shape[1] != 1 or not np.isin(truth, (0, 1)).all():
        return None  # regression
    return truth[:, 0].astype(int), (scores[:, 0] > 0.5).astype(int), scores[:, 0]


# -- one run ------------------------------------------------------------------------------------
def write_run_outputs(exercise: Exercise, result: dict, run_dir: str) -> None:
    """``history.csv``, ``curves.png`` and the exercise's reports; their numbers go into ``result``."""
    history = result.get("history") or {}
    write_history(history, os.path.join(run_dir, "history.csv"))
    if history:
        from lightning_models.plots import plot_history

        plot_history(history, title=f"{exercise.id} {result['point']} ({result['framework']}, "
                     f"seed {result['seed']})", path=os.path.join(run_dir, "curves.png"))
    if result.get("predictions") is None:
        return
    got = labels(result["predictions"], result["y_test"])
    if got is None or not exercise.reports:
        return
    truth, predicted, scores = got
    result["report_accuracy"] = float((truth == predicted).mean())
    if "classification_report" in exercise.reports:
        from sklearn.metrics import classification_report

        with open(os.path.join(run_dir, "classification_report.txt"), "w") as f:
            f.write(classification_report(truth, predicted, digits=4, zero_division=0))
    if "confusion_matrix" in exercise.reports:
        write_confusion_matrix(truth, predicted, run_dir, f"{exercise.id} {result['point']} "
                               f"({result['framework']})")
    if "binary_metrics" in exercise.reports and scores is not None:
        result.update(binary_metrics(truth, predicted, scores, run_dir))


def write_history(history: dict, path: str) -> None:
    names = list(history)
    epochs = max((len(v) for v in history.values()), default=0)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["epoch", *names])
        for i in range(epochs):
            writer.writerow([i + 1, *(history[n][i] if i < len(history[n]) else "" for n in names)])


def read_history(path: str) -> dict:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {}
    return {k: [float(r[k]) for r in rows if r[k] != ""] for k in rows[0] if k != "epoch"}


def write_confusion_matrix(truth, predicted, run_dir: str, title: str) -> np.ndarray:
    from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix

    classes = np.unique(np.concatenate([truth, predicted]))
    matrix = confusion_matrix(truth, predicted, labels=classes)
    with open(os.path.join(run_dir, "confusion_matrix.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["true \\ predicted", *classes])
        for label, row in zip(classes, matrix):
            writer.writerow([label, *row])
    fig = Figure(figsize=(5, 4.5))
    ax = fig.subplots()
    ConfusionMatrixDisplay(matrix, display_labels=classes).plot(ax=ax, colorbar=False)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(run_dir, "confusion_matrix.png"), dpi=100)
    return matrix


def binary_metrics(truth, predicted, scores, run_dir: str) -> dict:
    """Precision, recall, F1, ROC-AUC and PR-AUC (slides-metrics) and the two curves' figure."""
    from sklearn.metrics import (average_precision_score, f1_score, precision_recall_curve,
                                 precision_score, recall_score, roc_auc_score, roc_curve)

    values = {"precision": precision_score(truth, predicted, zero_division=0),
              "recall": recall_score(truth, predicted, zero_division=0),
              "f1": f1_score(truth, predicted, zero_division=0)}
    if len(np.unique(truth)) == 2:
        values["roc_auc"] = roc_auc_score(truth, scores)
        values["pr_auc"] = average_precision_score(truth, scores)
        fig = Figure(figsize=(9, 4))
        roc_ax, pr_ax = fig.subplots(1, 2)
        fpr, tpr, _ = roc_curve(truth, scores)
        roc_ax.plot(fpr, tpr, label=f"AUC {values['roc_auc']:.3f}")
        roc_ax.plot([0, 1], [0, 1], "k--", lw=0.8)
        roc_ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
        precision, recall, _ = precision_recall_curve(truth, scores)
        pr_ax.plot(recall, precision, label=f"AP {values['pr_auc']:.3f}")
        pr_ax.set(xlabel="recall", ylabel="precision", title="precision-recall")
        for ax in (roc_ax, pr_ax):
            ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(run_dir, "roc_pr.png"), dpi=100)
    return {f"test_{k}": float(v) for k, v in values.items()}


def headline(result: dict) -> str:
    """``loss 0.0520 / 0.0537 (train / test), 2000 epochs, 41.2 s`` for the progress line."""
    parts = []
    for name in ("loss", "accuracy", "acc", "mse", "mean_mse"):
        if f"train_{name}" in result or f"test_{name}" in result:
            parts.append(f"{name} {_fmt(result.get(f'train_{name}'))} / {_fmt(result.get(f'test_{name}'))}")
    stop = f", stopped at epoch {result['stopped_epoch']}" if result.get("stopped_epoch") else ""
    return (", ".join(parts) + " (train / test)" if parts else "") + \
        f", {result['epochs_run']} epochs{stop}, {result['seconds']:.1f} s"


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4f}"


# -- the exercise -------------------------------------------------------------------------------
def collect(folder: str, order: Sequence[str] = ()) -> list[dict]:
    """The finished runs' results (``runs/*/*/result.json``): the run folders of ``order`` first,
    in that order (the sweep's), then any others (of earlier sweeps) by name."""
    rows = []
    for path in sorted(glob.glob(os.path.join(folder, "runs", "*", "*", "result.json"))):
        with open(path) as f:
            row = json.load(f)
        row["run_dir"] = os.path.relpath(os.path.dirname(path), folder)
        rows.append(row)
    rank = {run_dir: i for i, run_dir in enumerate(order)}
    return sorted(rows, key=lambda row: (rank.get(row["run_dir"], len(rank)), row["run_dir"]))


def columns(rows: list[dict]) -> list[str]:
    keys = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    hps = [k for k in keys if k.startswith("hp_")]
    metrics = sorted(k for k in keys if k.startswith(("train_", "test_", "report_")))
    rest = [k for k in keys if k not in LEADING and k not in hps and k not in metrics and k != "run_dir"]
    return [k for k in LEADING if k in keys] + hps + metrics + rest + ["run_dir"]


def write_exercise_outputs(exercise: Exercise, rows: list[dict], folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    cols = columns(rows)
    with open(os.path.join(folder, "results.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, cols, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    with open(os.path.join(folder, "results.md"), "w") as f:
        f.write(results_markdown(rows, [c for c in cols if c not in ("exercise", "run_dir")]))
    figures = overlay_figures(exercise, rows, folder)
    write_index(exercise, rows, folder, figures)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence], empty: str = "-") -> list[str]:
    """A Markdown table's lines (every table the exercises write): floats to 4 significant
    digits, ``None`` as ``empty``."""
    def cell(value):
        if isinstance(value, (float, np.floating)):
            return f"{value:.4g}"
        return empty if value is None else str(value)

    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + \
        ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]


def results_markdown(rows: list[dict], cols: list[str]) -> str:
    """``results.csv``'s rows as Markdown: the columns ``cols`` (``hp_`` prefixes dropped)."""
    table = markdown_table([c.removeprefix("hp_") for c in cols], [[row.get(c) for c in cols] for row in rows], "")
    return "\n".join(table) + "\n"


def _curve_name(history: dict) -> str:
    return "val_loss" if "val_loss" in history else "loss"


def overlay_figures(exercise: Exercise, rows: list[dict], folder: str) -> list[str]:
    """``overlay_<framework>.png`` (every point's curve, one framework) and
    ``keras_vs_lightning.png`` (per point, both frameworks' curves on one panel)."""
    histories = {}
    for row in rows:
        path = os.path.join(folder, row["run_dir"], "history.csv")
        if os.path.isfile(path):
            histories[(row["point"], row["framework"], row["seed"])] = read_history(path)
    written = []
    for framework in sorted({fw for _, fw, _ in histories}):
        fig = Figure(figsize=(7, 4.5))
        ax = fig.subplots()
        for (point, fw, seed), history in histories.items():
            if fw == framework and history:
                name = _curve_name(history)
                ax.plot(np.arange(1, len(history[name]) + 1), history[name], label=f"{point} s{seed}")
        ax.set(xlabel="epoch", ylabel="val_loss (or loss)", title=f"{exercise.id}: {framework}")
        ax.legend(fontsize=6)
        fig.tight_layout()
        name = f"overlay_{framework}.png"
        fig.savefig(os.path.join(folder, name), dpi=100)
        written.append(name)
    points = sorted({p for p, _, _ in histories})
    if {fw for _, fw, _ in histories} >= {"keras", "lightning"} and points:
        shown = points[:12]
        ncols = min(3, len(shown))
        nrows = -(-len(shown) // ncols)
        fig = Figure(figsize=(5 * ncols, 3.4 * nrows))
        axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
        for ax, point in zip(axes, shown):
            for (p, fw, seed), history in histories.items():
                if p == point and history:
                    name = _curve_name(history)
                    ax.plot(np.arange(1, len(history[name]) + 1), history[name],
                            "-" if fw == "lightning" else "--", label=f"{fw} s{seed} {name}")
            ax.set_title(point, fontsize=8)
            ax.set_xlabel("epoch")
            ax.legend(fontsize=6)
        for ax in axes[len(shown):]:
            ax.set_visible(False)
        fig.tight_layout()
        fig.savefig(os.path.join(folder, "keras_vs_lightning.png"), dpi=100)
        written.append("keras_vs_lightning.png")
    return written


def write_index(exercise: Exercise, rows: list[dict], folder: str, figures: list[str]) -> None:
    from .catalog import command

    lines = [f"# {exercise.id}", "",
             f"Seed {exercise.document} ({exercise.lines}): {exercise.asks}", "",
             f"Networks: {', '.join(exercise.networks)}. Command: `{command(exercise)}`", ""]
    if exercise.note:
        lines += [f"Choices: {exercise.note}", ""]
    lines += ["## Results", "", "[results.csv](results.csv) · [results.md](results.md)", ""]
    lines += [results_markdown(rows, ["point", "framework", "seed", "epochs_run", "stopped_epoch",
                                    *[c for c in columns(rows) if c.startswith(("train_", "test_", "report_"))]])]
    lines += ["## Figures", ""] + [f"![{name}]({name})" for name in figures] + [""]
    lines += ["## Runs", ""]
    for row in rows:
        run_dir = row["run_dir"]
        files = sorted(os.listdir(os.path.join(folder, run_dir)))
        links = " · ".join(f"[{name}]({run_dir}/{name})" for name in files if not name.endswith(".tmp"))
        lines.append(f"- `{row['point']}` {row['framework']} seed {row['seed']}: {links}")
    with open(os.path.join(folder, "index.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
