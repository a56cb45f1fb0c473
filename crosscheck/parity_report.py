"""``python -m lightning_models parity-report``: how far each catalog network's Keras and
Lightning versions agree, level by level, with the number of each level (issue 11, item 3).

    python -m lightning_models parity-report                  # every id, the quick levels (~5 min)
    python -m lightning_models parity-report --ids fp.fashion_mlp --trained   # + trained metric
    python -m lightning_models parity-report --markdown       # the README's table, from the file

Levels, per catalog id (docs/catalog.md; ``apa.nasdaq_logreg`` is scikit-learn on both sides):

- ``parameters``: Keras' ``count_params()`` and the LightningModule's, at every grid point;
- ``forward``: max |keras - lightning| of the outputs (sub-models too) with the Keras weights
  copied in, 16 random inputs, worst over the grid points (:func:`crosscheck.parity.forward_parity`);
- ``loss``: the network's compiled loss, regularisers included (Keras ``model.compute_loss``,
  the LightningModule's ``total_loss``), in training mode, on the first batch of its trajectory
  case's data (:mod:`crosscheck.trajectory_cases`) with the copied weights: relative difference;
- ``optimizer_step``: one step of the network's own optimiser on that batch, from the same
  weights, through each framework's own ``fit``: max |keras - lightning| weight over the layer's
  largest weight (:func:`crosscheck.trajectory.weight_differences`);
- ``trajectory``: the trajectory cases (the same as tests/test_trajectory_parity.py: a few
  epochs on the same batches): worst relative per-epoch loss/metric difference and worst final
  weight difference; the cases that show a known difference (``Case.xfail``) are listed apart;
- ``dropout_on`` (dropout networks): the training-mode loss of one batch under 200 masks per
  framework: |z| of the means' difference, and the ratio of the spreads;
- ``trained_metric``: the documents' settings, several seeds per framework
  (:func:`crosscheck.trained.measure`); only with ``--trained`` (minutes per network), and kept
  from the file by a run without it.

The report (default ``results/parity.json``) is the format :mod:`crosscheck.teach` reads::

    {"measured": "...", "versions": {...},
     "networks": {id: {level: {"value", "keras", "lightning", "metric", "tolerance", "passed",
                               "what", "measured", ...}}}}

A run updates the ids it measures and keeps every other id and level of the file.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import os
import platform
import sys
import time
import warnings
from typing import Optional, Sequence

import numpy as np
import torch

import lightning_models  # before keras_reference (import order: datamodules/_import_guard.py)
import keras_reference
from datamodules import DataError
from lightning_models.hyperparameters import UsageError
from lightning_models.registry import GRIDS

from . import trained
from .parity import forward_parity
from .summary import _ArgumentParser, check_arguments
from .teach import FORWARD_TOLERANCE, catalog_facts
from .trajectory import (TrajectoryData, _tensor, history_differences, keras_trajectory,
                         lightning_trajectory, mean_z_score, relative_difference,
                         transferred_pair, weight_differences)
from .trajectory_cases import (LOSS_TOLERANCE, ROUNDING_ONLY_WEIGHTS, SD_RATIO, WEIGHT_TOLERANCE,
                               Z_BOUND, Case, cases_of, dropout_case_losses, run_case,
                               tolerance_class)

import keras  # noqa: E402  (after lightning: see crosscheck/__init__.py)

DEFAULT_OUT = os.path.join("results", "parity.json")
#: The levels in issue 11's order, then the extra one; the Markdown table shows the first six.
LEVELS = ("parameters", "forward", "loss", "optimizer_step", "trajectory", "trained_metric",
          "dropout_on")
QUICK_LEVELS = tuple(level for level in LEVELS if level != "trained_metric")
#: The data sets on this machine without a download (docs/catalog.md, "available offline?").
OFFLINE_DATA = ("digits", "iris", "fashion_mnist")
#: Catalog ids that are not neural networks: the same scikit-learn model on both sides.
SKLEARN_IDS = ("apa.nasdaq_logreg",)

# TOLERANCES of the one-batch levels. Measured 2026-11-24 over every catalog id (Keras 3.15.1 /
# TensorFlow 2.21 CPU, torch 2.14.1), float32, on the batch described at each level:
#   loss: relative difference <= 2.0e-7 with dense layers only (apa.fashion3_mlp_2d), 6.4e-7 with
#   a Conv2D or BatchNormalization (fp.conv_batchnorm); 0 exactly for 22 of the 37 networks.
#   optimizer_step: <= 6.8e-6 of the layer's largest weight (fp.fruit_mlp) with dense layers,
#   1.3e-3 (fp.conv_batchnorm's output layer) with Conv2D / BatchNormalization; the embedding's
#   3.0e-2 is the known Adam difference (trajectory_cases.KERAS_EMBEDDING_ADAM).
# Adam's (and RMSprop's) first step is lr * g / (|g| + 3.2e-6): a gradient near zero, where
# float32 rounding is most of it, gets a step anywhere up to ~lr, so a 784- or 21632-input layer
# shows its rounding here. In float64 (the level's ``float64`` figure) the same step agrees to
# <= 1.6e-14 (4.5e-12 with fp.conv_batchnorm's 21632-input layer), 1e-10 .. 1.3e-7 where Keras
# rounds a regulariser's factor through float32 (apa.cifar2_deep_cnn's L2 0.01). Each tolerance is the
# measured worst times 3 to 5: below what a real difference does to these levels (torch's own
# Adam epsilon, a missed regulariser, a mean over another axis: 1e-3 .. 1e-1).
LOSS_LEVEL_TOLERANCE = {"dense": 1e-6, "long_sums": 3e-6}
OPTIMIZER_STEP_TOLERANCE = {"dense": 3e-5, "long_sums": 5e-3}


def _round(value: float, digits: int = 3) -> float:
    """``value`` to ``digits`` significant digits (the report's numbers are differences)."""
    return float(f"{value:.{digits - 1}e}")


def today() -> str:
    return datetime.date.today().isoformat()


def catalog_ids() -> list[str]:
    """Every catalog id in docs/catalog.md's order."""
    return list(catalog_facts()[1])


def check_ids(ids: Sequence[str]) -> list[str]:
    """The ids, checked: an unknown one is a one-line :class:`UsageError` naming the close ones."""
    known = catalog_ids()
    for entry_id in ids:
        if entry_id not in known:
            check_arguments(entry_id, {})  # raises the summary's error (close ids, all ids)
    return list(dict.fromkeys(ids))


# -- parameters and forward ---------------------------------------------------------------------
def structure_levels(entry_id: str) -> dict:
    """``parameters`` and ``forward``, worst over the id's grid points (GRIDS)."""
    points = GRIDS[entry_id]
    counts, worst = [], 0.0
    for point in points:
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        keras_model = keras_reference.build(entry_id, **point)
        torch_model = lightning_models.build(entry_id, **point)
        counts.append((int(keras_model.count_params()), int(torch_model.count_params())))
        worst = max(worst, float(forward_parity(keras_model, torch_model)))
    grid = f"{len(points)} grid point{'s' if len(points) > 1 else ''}"
    return {
        "parameters": {"keras": counts[0][0], "lightning": counts[0][1],
                       "passed": all(k == t for k, t in counts),
                       "what": f"count_params() at the document defaults, as Keras counts (BatchNormalization's "
                               f"moving statistics included); equal at all {grid}" if all(k == t for k, t in counts)
                               else f"count_params(); differ at {sum(k != t for k, t in counts)} of {grid}"},
        "forward": {"value": _round(worst), "tolerance": FORWARD_TOLERANCE, "passed": worst <= FORWARD_TOLERANCE,
                    "what": f"max |keras - lightning| of every output and sub-model, Keras weights copied in, "
                            f"16 random inputs, worst over {grid}"},
    }


# -- one batch: the loss and one optimiser step ------------------------------------------------
def main_case(entry_id: str) -> Case:
    """The id's first float32 trajectory case (dropout rate 0 where the network has dropout)."""
    return next(c for c in cases_of(entry_id) if c.dtype == "float32" and not c.dropout_rows)


def first_batch(case: Case) -> TrajectoryData:
    """The first ``batch_size`` training rows of the case's data, without validation rows."""
    data = case.data().astype("float32")
    rows = min(case.batch_size, len(data.x))
    return TrajectoryData(data.x[:rows], data.y[:rows], keras_targets=data.keras_targets)


def loss_level(case: Case, batch: TrajectoryData) -> dict:
    """The compiled loss (+ regularisers) of one batch in training mode, same weights."""
    keras_model, torch_model = transferred_pair(case.entry_id, seed=0, **case.hparams)
    x, y = batch.x, batch.y
    keras_loss = float(keras_model.compute_loss(x=x, y=batch.keras_targets(y),
                                                y_pred=keras_model(x, training=True), training=True))
    with torch.no_grad():
        torch_loss = float(torch_model.total_loss(torch_model.train()(_tensor(x, torch.float32)),
                                                  _tensor(y, torch.float32)))
    kind = tolerance_class(case, torch_model)
    difference = relative_difference(keras_loss, torch_loss)
    return {"keras": float(f"{keras_loss:.7g}"), "lightning": float(f"{torch_loss:.7g}"),
            "value": _round(difference), "tolerance": LOSS_LEVEL_TOLERANCE[kind],
            "passed": difference <= LOSS_LEVEL_TOLERANCE[kind], "loss": torch_model.loss_name,
            "what": f"{torch_model.loss_name} + regularisers on one batch of {len(x)} rows (the data of "
                    f"trajectory case {case.name}{_settings(case)}), training mode, Keras weights copied in: "
                    "|keras - lightning| / |keras|"}


def _settings(case: Case) -> str:
    """``', dropout=0.0'``: the hyperparameters the case changes, for the levels' ``what``."""
    return "".join(f", {key}={value}" for key, value in case.hparams.items())


def one_step(case: Case, batch: TrajectoryData, dtype: str = "float32") -> tuple[dict, object]:
    """``({layer/weight: difference}, torch model)`` after one step of the network's optimiser
    on ``batch`` from the same weights, each framework through its own fit, in ``dtype``."""
    keras_model, torch_model = transferred_pair(case.entry_id, seed=0, dtype=dtype, **case.hparams)
    batch = batch.astype(dtype)
    orders = [np.arange(len(batch.x))]
    keras_trajectory(keras_model, batch, orders, len(batch.x))
    lightning_trajectory(torch_model, batch, orders, len(batch.x))
    weights = weight_differences(keras_model, torch_model)
    if dtype == "float32":
        for name in ROUNDING_ONLY_WEIGHTS.get(case.entry_id, ()):
            del weights[name]
    return weights, torch_model


def optimizer_step_level(case: Case, batch: TrajectoryData) -> dict:
    """One step of the network's optimiser on one batch, from the same weights, each framework
    through its own fit: the worst weight difference over the layer's largest weight, in
    float32 (the verdict) and in float64 (what is left without float32 rounding)."""
    weights, torch_model = one_step(case, batch)
    double, _ = one_step(case, batch, "float64")
    worst = max(weights, key=weights.get)
    kind = tolerance_class(case, torch_model)
    skipped = sorted(ROUNDING_ONLY_WEIGHTS.get(case.entry_id, ()))
    note = (f"; {', '.join(skipped)} left out (zero exact gradient before a BatchNormalization: "
            "rounding noise)" if skipped else "")
    passed = weights[worst] <= OPTIMIZER_STEP_TOLERANCE[kind]
    if not passed and case.xfail:
        note += f"; known difference: {case.xfail.split(';')[0]}"
    return {"value": _round(weights[worst]), "tolerance": OPTIMIZER_STEP_TOLERANCE[kind], "passed": passed,
            "float64": _round(max(double.values())), "optimizer": torch_model.optimizer_name,
            "worst_weight": worst, "known_difference": bool(not passed and case.xfail),
            "what": f"one {torch_model.optimizer_name} step on that batch from the same weights (each "
                    f"framework's fit): max |keras - lightning| / the layer's largest weight, float32 "
                    f"(float64: {max(double.values()):.1e}){note}"}


# -- trajectory and dropout on -----------------------------------------------------------------
def trajectory_case_result(case: Case) -> dict:
    """One trajectory case's numbers and verdict, with the test's criteria
    (tests/test_trajectory_parity.py): losses and loss-like metrics within LOSS_TOLERANCE,
    accuracies within one sample, weights within WEIGHT_TOLERANCE, the same epochs run and, with
    EarlyStopping, the same stopped and best epochs."""
    keras_run, torch_run, keras_model, torch_model, data, _ = run_case(case)
    kind = tolerance_class(case, torch_model)
    differences = history_differences(keras_run.history, torch_run.history)
    weights = weight_differences(keras_model, torch_model)
    if case.dtype == "float32":
        for name in ROUNDING_ONLY_WEIGHTS.get(case.entry_id, ()):
            del weights[name]
    losses, accuracy_ok = {}, True
    for key, difference in differences.items():
        if key.removeprefix("val_") in ("accuracy", "acc"):
            rows = len(data.x_val) if key.startswith("val_") else len(data.x)
            worst = max(abs(a - b) for a, b in zip(keras_run.history[key], torch_run.history[key]))
            accuracy_ok = accuracy_ok and worst <= 1 / rows + 1e-9
        else:
            losses[key] = difference
    value = max(losses.values(), default=0.0)
    worst_weight = max(weights.values())
    same_epochs = (torch_run.epochs_run == keras_run.epochs_run
                   and torch_run.stopped_epoch == keras_run.stopped_epoch
                   and torch_run.best_epoch == keras_run.best_epoch)
    return {"case": case.name, "epochs": keras_run.epochs_run, "dtype": case.dtype,
            "value": _round(value), "worst": max(losses, key=losses.get) if losses else None,
            "weights": _round(worst_weight), "tolerance": LOSS_TOLERANCE[kind],
            "weight_tolerance": WEIGHT_TOLERANCE[kind],
            "stopped_epoch": keras_run.stopped_epoch if case.early_stopping else None,
            "passed": bool(value <= LOSS_TOLERANCE[kind] and worst_weight <= WEIGHT_TOLERANCE[kind]
                           and accuracy_ok and same_epochs),
            "known_difference": case.xfail}


def trajectory_level(cases: Sequence[Case]) -> dict:
    """The id's trajectory cases: the float32 ones give the headline numbers; every case, the
    float64 ones and the known differences (``Case.xfail``) included, is listed in ``cases``."""
    results = [trajectory_case_result(case) for case in cases]
    known = [r for r in results if r["known_difference"] and not r["passed"]]
    for r in results:
        if r["known_difference"] and r["passed"]:
            r["note"] = "the known difference is no longer seen: remove the case's xfail"
    expected = [r for r in results if not r["known_difference"]] or results
    headline = [r for r in expected if r["dtype"] == "float32"] or expected
    value = max(r["value"] for r in headline)
    weights = max(r["weights"] for r in headline)
    epochs = sorted({r["epochs"] for r in results})
    what = (f"{len(results)} case{'s' if len(results) > 1 else ''} ({', '.join(r['case'] for r in results)}), "
            f"{epochs[0]}{'-' + str(epochs[-1]) if len(epochs) > 1 else ''} epochs on the same batches from "
            f"the same weights: worst relative per-epoch loss/metric difference (float32); final weights "
            f"{weights:.1e} of the layer's largest (tolerance {headline[0]['weight_tolerance']:.0e})")
    if known:
        what += "; known difference (" + ", ".join(r["case"] for r in known) + "): " + " / ".join(
            sorted({r["known_difference"].split(";")[0] for r in known}))
    return {"value": value, "weights": weights, "tolerance": headline[0]["tolerance"],
            "weight_tolerance": headline[0]["weight_tolerance"],
            "passed": all(r["passed"] for r in expected),
            "known_differences": [r["case"] for r in known], "cases": results, "what": what}


def dropout_level(cases: Sequence[Case]) -> dict:
    """Dropout on: |z| of the means' difference and the ratio of the spreads, worst case."""
    results = []
    for case in cases:
        _, keras_losses, torch_losses, _, _ = dropout_case_losses(case)
        z = mean_z_score(keras_losses, torch_losses)
        ratio = float(keras_losses.std() / torch_losses.std())
        results.append({"case": case.name, "z": round(z, 2), "sd_ratio": round(ratio, 3),
                        "passed": bool(abs(z) <= Z_BOUND and 1 / SD_RATIO <= ratio <= SD_RATIO)})
    z = max(abs(r["z"]) for r in results)
    ratio = max((r["sd_ratio"] for r in results), key=lambda r: abs(np.log(r)))
    return {"value": z, "sd_ratio": ratio, "tolerance": Z_BOUND, "passed": all(r["passed"] for r in results),
            "cases": results,
            "what": f"training-mode loss of one batch under {len(keras_losses)} dropout masks per framework, the "
                    f"network's own rate: |z| of the means' difference (bound {Z_BOUND:g}), spread ratio "
                    f"{ratio:.3f} (bound x{SD_RATIO})"}


def quick_levels(entry_id: str, log=print) -> dict:
    """Every level but ``trained_metric`` for one id; a level whose data is not installed says so."""
    start = time.perf_counter()
    measured = today()
    if entry_id in SKLEARN_IDS:
        return {"not_compared": {"passed": None, "measured": measured,
                                 "what": "scikit-learn LogisticRegression, the same model on both sides: "
                                         "no Keras / Lightning parity to measure"}}
    levels = structure_levels(entry_id)
    cases = cases_of(entry_id)
    try:
        case = main_case(entry_id)
        batch = first_batch(case)
        levels["loss"] = loss_level(case, batch)
        levels["optimizer_step"] = optimizer_step_level(case, batch)
        levels["trajectory"] = trajectory_level([c for c in cases if not c.dropout_rows])
        if any(c.dropout_rows for c in cases):
            levels["dropout_on"] = dropout_level([c for c in cases if c.dropout_rows])
    except DataError as error:
        missing = {"passed": None, "what": f"not measured: its data is not installed ({error})"}
        for level in ("loss", "optimizer_step", "trajectory"):
            levels.setdefault(level, dict(missing))
    for level in levels.values():
        level["measured"] = measured
    log(f"{entry_id}: " + ", ".join(f"{name} {_cell(name, level)}" for name, level in levels.items())
        + f" ({time.perf_counter() - start:.0f} s)")
    return levels


# -- trained metric ----------------------------------------------------------------------------
def trained_cases(entry_id: str) -> list:
    """The trained-metric cases of an id (:data:`crosscheck.trained.CASES`)."""
    return [c for c in trained.CASES.values() if c.catalog_id == entry_id]


def not_measured_trained(entry_id: str) -> Optional[dict]:
    """The ``trained_metric`` of an id without a trained case: why (no offline data)."""
    if trained_cases(entry_id) or entry_id in SKLEARN_IDS:
        return None
    data = catalog_facts()[1].get(entry_id, {}).get("data", "-").replace("`", "")
    if data in ("-", ""):
        why = "the document gives it no data"
    elif data.split()[0].strip(",") in OFFLINE_DATA or "stand-in" in data:
        why = f"no trained case in crosscheck/trained.py (the documents report no training of it on {data})"
    else:
        why = f"its data ({data}) is not offline"
    return {"passed": None, "what": f"not measured: {why}"}


def trained_level(entry_id: str, seeds: Optional[Sequence[int]] = None, log=print) -> Optional[dict]:
    """:func:`crosscheck.trained.measure` for every trained case of the id: one case is the
    level itself; several (a network's training variants) go under ``cases``, the first heads."""
    results = []
    for case in trained_cases(entry_id):
        if not trained.available(case.id):
            results.append({"case": case.id, "passed": None, "what": "not measured: its data is not installed"})
            continue
        result = dict(trained.measure(case.id, seeds=list(seeds) if seeds else None))
        result["value"] = result.get("difference")
        result["measured"] = today()
        results.append(result)
        log(f"{case.id}: {result.get('metric')} keras {result.get('keras_mean')} lightning "
            f"{result.get('lightning_mean')} ({result.get('seconds', 0):.0f} s)")
    if not results:
        return not_measured_trained(entry_id)
    if len(results) == 1:
        return _trained_keys(results[0])
    head = _trained_keys(results[0])
    head.update(cases=[_trained_keys(r) for r in results],
                passed=(None if any(r.get("passed") is None for r in results)
                        else all(r["passed"] for r in results)),
                what=f"{len(results)} trainings ({', '.join(r['case'] for r in results)}); the first: "
                     + str(head.get("what", "")))
    return head


def _trained_keys(result: dict) -> dict:
    """A measure() result in the report's keys: ``keras`` / ``lightning`` are the means."""
    level = dict(result)
    if "keras_mean" in level:
        level["keras_runs"], level["lightning_runs"] = level.get("keras"), level.get("lightning")
        level["keras"], level["lightning"] = level.pop("keras_mean"), level.pop("lightning_mean")
    return level


# -- the file --------------------------------------------------------------------------------
def read_report(path: str) -> dict:
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        try:
            report = json.load(f)
        except json.JSONDecodeError as error:
            raise UsageError(f"parity report {path} is not JSON ({error})") from None
    if not isinstance(report, dict) or not isinstance(report.get("networks", {}), dict):
        raise UsageError(f"parity report {path}: expected {{'networks': {{<catalog id>: {{<level>: ...}}}}}}")
    return report


def versions() -> dict:
    import lightning
    import tensorflow as tf

    return {"python": platform.python_version(), "keras": keras.__version__, "tensorflow": tf.__version__,
            "torch": torch.__version__.split("+")[0], "lightning": lightning.__version__}


def write_report(path: str, networks: dict, previous: dict) -> dict:
    """``networks`` (id -> levels) merged into the previous report: measured levels replace
    theirs, every other id and level stays; ids in catalog order."""
    merged = {key: dict(value) for key, value in previous.get("networks", {}).items()}
    for entry_id, levels in networks.items():
        merged.setdefault(entry_id, {}).update(levels)
        if "not_compared" not in levels:
            merged[entry_id].pop("not_compared", None)
    order = catalog_ids()
    ordered = {k: merged[k] for k in order if k in merged}
    ordered.update({k: v for k, v in merged.items() if k not in ordered})
    report = {"title": "Keras / Lightning parity per catalog network (issue 11): "
                       "python -m lightning_models parity-report",
              "measured": today(), "versions": versions(), "levels": list(LEVELS), "networks": ordered}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = path + ".tmp"  # replaced at once: an interrupted run leaves the report whole
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(temporary, path)
    return report


# -- the Markdown table --------------------------------------------------------------------------
TABLE_COLUMNS = ("parameters", "forward", "loss", "optimizer_step", "trajectory", "trained_metric")
TABLE_HEADER = ("| catalog id | parameters | forward | loss | optimiser step | trajectory | trained metric |\n"
                "|---|:-:|--:|--:|--:|--:|--:|")


def _number(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if value == 0:
        return "0"
    return f"{value:.3g}" if value and 1e-2 <= abs(value) < 1e3 else f"{value:.1e}"


def _cell(level_name: str, level) -> str:
    """A compact cell: ``=`` / ``2.4e-07`` / ``✓ 1.1e-06`` / ``✓ 0.873 / 0.876`` / ``—``
    (✗ marks a level outside its tolerance, † a known difference in one of the cases)."""
    if not isinstance(level, dict) or level.get("passed") is None and "value" not in level \
            and "keras" not in level:
        return "—"
    passed = level.get("passed")
    mark = "✗ " if passed is False else ""
    if level_name == "parameters":
        return "=" if passed else f"✗ {level.get('keras')} / {level.get('lightning')}"
    if level_name == "trained_metric":
        metric = str(level.get("metric", "")).rsplit("_", 1)[-1].replace("accuracy", "acc")
        text = (f"{metric} " if metric else "") + f"{_number(level.get('keras'))} / {_number(level.get('lightning'))}"
        if level.get("cases"):
            text += f" (+{len(level['cases']) - 1})"
        return ("✓ " if passed else "✗ " if passed is False else "") + text
    dagger = "†" if level.get("known_differences") or level.get("known_difference") else ""
    if level_name == "trajectory":
        return ("✓ " if passed else mark) + _number(level.get("value")) + dagger
    return mark + _number(level.get("value")) + dagger


def markdown_table(report: dict, ids: Optional[Sequence[str]] = None) -> str:
    """The catalog table with one column per level, from a report (nothing is measured)."""
    networks = report.get("networks", {})
    lines = [TABLE_HEADER]
    for entry_id in ids or catalog_ids():
        levels = networks.get(entry_id, {})
        if "not_compared" in levels or entry_id in SKLEARN_IDS:
            cells = ["scikit-learn on both sides"] + ["—"] * (len(TABLE_COLUMNS) - 1)
        else:
            cells = [_cell(level, levels.get(level)) for level in TABLE_COLUMNS]
        lines.append(f"| `{entry_id}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# -- the command ---------------------------------------------------------------------------------
def run(ids: Sequence[str], out: str = DEFAULT_OUT, trained: bool = False,
        seeds: Optional[Sequence[int]] = None, log=print) -> dict:
    """Measure ``ids`` (the quick levels; ``trained``: the trained metric too) into ``out``."""
    previous = read_report(out)
    networks = {}
    report = previous
    with quiet():
        for entry_id in ids:
            networks[entry_id] = _measure_id(entry_id, previous, trained, seeds, log)
            report = write_report(out, networks, previous)  # after each id: an interrupted run keeps them
    return report


@contextlib.contextmanager
def quiet():
    """Lightning's per-fit lines, TensorFlow's retracing notes and Keras' input_shape and
    shuffle warnings off the terminal while the report measures (hundreds of small fits)."""
    import tensorflow as tf

    loggers = [logging.getLogger(name) for name in ("lightning.pytorch", "lightning.fabric")]
    levels = [logger.level for logger in loggers]
    tf_level = tf.get_logger().level
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    tf.get_logger().setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*input_shape.*", category=UserWarning)
            warnings.filterwarnings("ignore", message=".*`shuffle=True` was passed.*", category=UserWarning)
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
        tf.get_logger().setLevel(tf_level)


def _measure_id(entry_id: str, previous: dict, trained: bool, seeds, log) -> dict:
    """The quick levels; the trained metric measured (``trained``), else the file's kept (or,
    for a network without a trained case, why it has none)."""
    levels = quick_levels(entry_id, log=log)
    if trained:
        level = trained_level(entry_id, seeds, log=log)
    elif "trained_metric" not in previous.get("networks", {}).get(entry_id, {}):
        level = not_measured_trained(entry_id)
    else:
        level = None  # write_report keeps the file's
    if level is not None:
        levels["trained_metric"] = level
    return levels


def main(argv=None) -> None:
    """``parity-report [--out FILE] [--ids ID ...] [--trained] [--seeds N ...] [--markdown]``."""
    parser = _ArgumentParser(
        prog="python -m lightning_models parity-report",
        description="Measure how far each catalog network's Keras and Lightning versions agree: "
                    "parameters, forward, loss, optimiser step, trajectory (minutes for all ids), and "
                    "with --trained the trained metric (minutes per network); written to a JSON report "
                    "that the teach pages read. --markdown prints the README's table from the report.")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"the report (JSON; default {DEFAULT_OUT}); "
                        "other ids and levels in it are kept")
    parser.add_argument("--ids", nargs="+", metavar="ID", help="catalog ids (default: all, docs/catalog.md)")
    parser.add_argument("--trained", action="store_true",
                        help="also the trained metric with the documents' settings (crosscheck/trained.py)")
    parser.add_argument("--seeds", nargs="+", type=int, metavar="N", help="seeds of --trained (default: its own)")
    parser.add_argument("--markdown", action="store_true",
                        help="print the catalog table of the report in --out (measures nothing)")
    args = parser.parse_args(argv)
    ids = check_ids(args.ids) if args.ids else catalog_ids()
    if args.markdown:
        if not os.path.isfile(args.out):
            raise UsageError(f"no parity report at {args.out}",
                             hint="python -m lightning_models parity-report writes it")
        print(markdown_table(read_report(args.out), ids if args.ids else None))
        return
    start = time.perf_counter()
    run(ids, args.out, trained=args.trained, seeds=args.seeds)
    print(f"wrote {args.out} ({len(ids)} id{'s' if len(ids) > 1 else ''}, {time.perf_counter() - start:.0f} s)",
          file=sys.stderr)
