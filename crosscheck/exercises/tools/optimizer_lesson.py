"""The optimiser lesson of the multilayer-perceptron slides (seed 004; issue 12, item 5).

- slides-optimizers (L1204-1417): SGD(0.01, momentum 0.9), RMSprop(0.001) and Adam trained on
  one network (the grid); their curves overlaid, one row per framework (``optimizers.png``).
- slides-ewma (L1283-1360): the slides' exponentially weighted averages, ``v = beta * v + (1 -
  beta) * t`` from ``v = 0`` with beta 0.9 and 0.98, over ``sin(x) + N(0, 0.3)`` on 1000 points
  of [0, 10]; the slides' plot (``ewma.png``). The slides show no bias correction (Adam's
  ``v / (1 - beta^t)``): the averages start near 0, which ``ewma.md`` measures.
- slides-batch-timing (L937-953): one example per update against mini-batches of 150 (the grid):
  iterations, seconds and accuracy of both frameworks in one table (``timing.md``).
"""

from __future__ import annotations

import math
import os
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

from ..reports import read_history
from ..runner import Options, exercise_folder
from ..spec import Exercise
from . import register
from ..reports import markdown_table
from .common import routed_points, run_data, write_text


@register("optimizer_lesson")
def optimizer_lesson(exercise: Exercise, options: Options, rows: list[dict]) -> list[str]:
    lessons = {"slides-optimizers": optimizer_curves, "slides-ewma": ewma_lesson,
               "slides-batch-timing": batch_timing}
    if exercise.id not in lessons:
        raise ValueError(f"{exercise.id}: the optimizer_lesson tool knows {sorted(lessons)}")
    return lessons[exercise.id](exercise, options, rows)


# -- slides-optimizers --------------------------------------------------------------------------------
#: Keras' class names of the optimiser strings.
OPTIMIZER_NAMES = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam", "adagrad": "Adagrad",
                   "adadelta": "Adadelta", "adamax": "Adamax", "nadam": "Nadam"}


def optimizer_label(row: dict) -> str:
    """``SGD(0.01, momentum=0.9)``, ``RMSprop(0.001)``, ``Adam`` (Keras' defaults unwritten)."""
    name = row.get("hp_optimizer")
    if name is None:
        return row["point"]
    args = [] if row.get("hp_learning_rate") is None else [f"{row['hp_learning_rate']:g}"]
    extra = row.get("hp_optimizer_options") or {}
    if isinstance(extra, str):  # a table read back from CSV
        import ast

        extra = ast.literal_eval(extra)
    args += [f"{k}={v:g}" if isinstance(v, (int, float)) else f"{k}={v}" for k, v in extra.items()]
    label = OPTIMIZER_NAMES.get(str(name).lower(), str(name))
    return f"{label}({', '.join(args)})" if args else label


def overlay_figure(curves: dict, title: str) -> Figure:
    """``curves[(framework, label)] = history``: per framework one row, per metric (``loss``,
    ``val_loss``, ``accuracy``, ``val_accuracy``, those present) one panel, one line per label
    (the same colour for a label in every panel)."""
    frameworks = [fw for fw in ("lightning", "keras") if any(k[0] == fw for k in curves)]
    labels = list(dict.fromkeys(label for _, label in curves))
    names = [n for n in ("loss", "val_loss", "accuracy", "val_accuracy")
             if any(n in h for h in curves.values())]
    fig = Figure(figsize=(4 * len(names), 3.2 * len(frameworks) + 0.3))
    axes = fig.subplots(len(frameworks), len(names), squeeze=False)
    colours = {label: f"C{i}" for i, label in enumerate(labels)}
    for r, framework in enumerate(frameworks):
        for c, name in enumerate(names):
            ax = axes[r, c]
            for (fw, label), history in curves.items():
                if fw == framework and history.get(name):
                    ax.plot(np.arange(1, len(history[name]) + 1), history[name], color=colours[label],
                            label=label)
            ax.set(xlabel="epoch", title=f"{framework}: {name}")
            ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def optimizer_curves(exercise: Exercise, options: Options, rows: list[dict]) -> list[str]:
    """``optimizers.png`` (the overlay) and ``optimizers.md`` (last epoch and test accuracy)."""
    folder = exercise_folder(exercise, options)
    curves, table = {}, []
    several_seeds = len({r["seed"] for r in rows}) > 1
    for row in rows:
        label = optimizer_label(row) + (f" seed {row['seed']}" if several_seeds else "")
        history = read_history(os.path.join(folder, row["run_dir"], "history.csv"))
        curves[(row["framework"], label)] = history
        last = {k: v[-1] for k, v in history.items() if v}
        table.append((row["framework"], label, row["epochs_run"], last.get("loss"), last.get("val_loss"),
                      last.get("val_accuracy"), row.get("test_accuracy"), row.get("seconds")))
    if not curves:
        return []
    overlay_figure(curves, f"{exercise.id}: the optimisers on {', '.join(exercise.networks)}"
                   ).savefig(os.path.join(folder, "optimizers.png"), dpi=100)
    lines = [f"# {exercise.id}: optimisers compared", "", "![optimizers](optimizers.png)", ""]
    lines += markdown_table(["framework", "optimizer", "epochs", "last loss", "last val_loss",
                             "last val_accuracy", "test accuracy", "seconds"], table)
    return ["optimizers.png", write_text(folder, "optimizers.md", lines)]


# -- slides-ewma ------------------------------------------------------------------------------------
BETAS = (0.9, 0.98)


def ewma(series: Sequence[float], beta: float) -> np.ndarray:
    """The slides' loop: ``v = 0; for t in y: v = beta * v + (1 - beta) * t`` (no bias correction)."""
    v, out = 0.0, []
    for t in series:
        v = beta * v + (1 - beta) * t
        out.append(v)
    return np.asarray(out)


def noisy_sine(seed: int, n: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """The slides' series: ``x = linspace(0, 1, 1000) * 10``, ``y = sin(x) + normal(scale=0.3)``
    (the slides draw the noise unseeded; here from ``default_rng(seed)``)."""
    x = np.linspace(0.0, 1.0, num=n) * 10
    noise = np.random.default_rng(seed).normal(scale=0.3, size=len(x))
    return x, np.sin(x) + noise


def ewma_lesson(exercise: Exercise, options: Options, rows: list[dict]) -> list[str]:
    """``ewma.png`` (the series and both averages), ``ewma.csv`` (the numbers) and ``ewma.md``."""
    folder = exercise_folder(exercise, options)
    seed = (options.seeds or exercise.seeds)[0]
    x, y = noisy_sine(seed)
    averages = {beta: ewma(y, beta) for beta in BETAS}
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    ax.scatter(x, y, s=4, color="0.6", label="y = sin(x) + noise")
    for beta, colour in zip(BETAS, ("C3", "C2")):
        ax.plot(x, averages[beta], color=colour, lw=2, label=f"EWA beta={beta} (~{1 / (1 - beta):.0f} points)")
    ax.set(xlabel="x", ylabel="y", title="Exponentially weighted averages (EWA)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "ewma.png"), dpi=100)
    with open(os.path.join(folder, "ewma.csv"), "w") as f:
        f.write("x,y," + ",".join(f"ewa{round(100 * b)}" for b in BETAS) + "\n")
        for i in range(len(x)):
            f.write(f"{float(x[i])!r},{float(y[i])!r}," + ",".join(repr(float(averages[b][i])) for b in BETAS) + "\n")
    table = []
    for beta in BETAS:
        v = averages[beta]
        window = int(round(1 / (1 - beta)))
        table.append((beta, window, float(v[0]), float(np.mean(np.abs(v - np.sin(x)))),
                      float(np.mean(np.abs(v[window:] - np.sin(x[window:])))),
                      float(np.std(y - v))))
    lines = [f"# {exercise.id}: exponentially weighted averages", "", "![ewma](ewma.png)", "",
             f"The slides' series (1000 points, noise seed {seed}) and loop, from v = 0 without "
             "bias correction, as the slides show it (Adam's v_t / (1 - beta^t) is not on them): "
             "the first averages are pulled towards 0 (v_1 = (1 - beta) y_1), which costs little "
             "here because the series starts at sin(0) = 0. The average remembers about "
             "1/(1 - beta) points: beta = 0.98 is smoother (less of the noise left) but lags "
             "further behind the sine. Numbers: ewma.csv.", ""]
    lines += markdown_table(["beta", "~points averaged", "v_1", "mean abs(v - sin x)",
                             "same, after the first ~1/(1-beta) points", "sd of y - v"], table)
    return ["ewma.png", "ewma.csv", write_text(folder, "ewma.md", lines)]


# -- slides-batch-timing -------------------------------------------------------------------------------
def batch_timing(exercise: Exercise, options: Options, rows: list[dict]) -> list[str]:
    """``timing.md`` and ``timing.csv``: per framework and batch size the training examples,
    batches per epoch (Keras' ``ceil(n / batch)``, the last one partial), epochs, iterations
    (optimiser steps), the seconds ``fit`` took, and train / test accuracy."""
    folder = exercise_folder(exercise, options)
    points = routed_points(exercise, options)
    table = []
    sizes: dict = {}
    for row in sorted(rows, key=lambda r: (("lightning", "keras").index(r["framework"]),
                                           points[r["point"]].data.get("batch_size") or 0)):
        point = points[row["point"]]
        if row["point"] not in sizes:
            splits, _ = run_data(exercise, options, point, row["seed"])
            sizes[row["point"]] = len(splits.x_train)
        n = sizes[row["point"]]
        batch = point.data.get("batch_size") or n
        per_epoch = math.ceil(n / batch)
        iterations = per_epoch * row["epochs_run"]
        table.append((row["framework"], batch, n, per_epoch, row["epochs_run"], iterations, row["seconds"],
                      1000 * row["seconds"] / iterations, row.get("train_accuracy"), row.get("test_accuracy")))
    header = ["framework", "batch size", "examples", "batches per epoch", "epochs", "iterations",
              "seconds", "ms per iteration", "train accuracy", "test accuracy"]
    with open(os.path.join(folder, "timing.csv"), "w") as f:
        f.write(",".join(h.replace(" ", "_") for h in header) + "\n")
        f.writelines(",".join("" if v is None else str(v) for v in t) + "\n" for t in table)
    lines = [f"# {exercise.id}: one example per update against mini-batches", "",
             "The slides (3823 examples): batch 1, 21 epochs, 80283 iterations, 3.21 s; batch 150, "
             "25 batches, 32 epochs, 800 iterations, 0.147 s.", ""]
    lines += markdown_table(header, table)
    lines += ["", "Seconds: the wall-clock time of fit on this machine (the slides' machine differs); "
              "Keras' include building its train function on the first epoch, a fixed cost that "
              "weighs most in a short run."]
    return ["timing.csv", write_text(folder, "timing.md", lines)]
