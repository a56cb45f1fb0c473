"""Run an exercise: every grid point, seed and framework, on the same arrays; write its outputs.

    run(EXERCISES["apa-p1-autoencoder"], out="results", frameworks=("lightning", "keras"))

For each point the dataset's arrays are loaded once (a DataModule per run, over the same
arrays); the Lightning side trains on it (:func:`lightning_models.training.fit`, the project's one
training path) and the Keras side on its very arrays (``datamodule.splits``) with Keras' own
``fit`` and callbacks (:func:`keras_reference.training.fit`). After training both are evaluated
with the final weights (or the restored best ones, where the exercise keeps a best checkpoint)
on the training AND the test split, and the reports the exercise asks for are written.

Folders: ``<out>/<exercise id>/runs/<point>/<framework>-seed<seed>/`` hold ``history.csv``,
``curves.png``, the reports, ``tensorboard/`` (with the HParams entry) and, written last,
``result.json``; a run whose ``result.json`` exists is skipped (a killed sweep continues where
it stopped) unless ``force``. All points run in this one process (no start-up per point).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import time
import warnings
from typing import Callable, Iterable, Optional, Sequence

import numpy as np

# The Lightning side before Keras (datamodules/_import_guard.py): triton must load before TensorFlow.
import lightning.pytorch as pl
import torch

import datamodules
import lightning_models
from lightning_models.callbacks import KerasEarlyStopping, KerasModelCheckpoint, WeightHistograms
from lightning_models.threads import choose_threads
from lightning_models.training import fit as lightning_fit

from . import reports
from .spec import Exercise, Point, network_settings, route, slug

FRAMEWORKS = ("lightning", "keras")
RESULT_FILE = "result.json"
#: The weights the train and test metrics were measured with (final, or the restored best).
FINAL_WEIGHTS = {"lightning": "final_weights.pt", "keras": "final.weights.h5"}


@dataclasses.dataclass
class Options:
    """The command line's settings (``python -m lightning_models exercise --help``)."""

    out: str = "results"
    frameworks: Sequence[str] = FRAMEWORKS
    epochs: Optional[int] = None        #: replaces the document's epochs (a shortened run)
    seeds: Optional[Sequence[int]] = None
    data_dir: Optional[str] = None
    force: bool = False
    max_rows: Optional[int] = None      #: first rows of each split only (a quick run)
    max_points: Optional[int] = None    #: first grid points only (a quick run)
    trials: Optional[int] = None        #: a search's total of finished trials (tools/search.py)
    storage: Optional[str] = None       #: Optuna storage URL shared by a search's processes
    log: Callable[[str], None] = print


def exercise_folder(exercise: Exercise, options: Options) -> str:
    return os.path.join(options.out, exercise.id)


def planned_runs(exercise: Exercise, options: Options) -> list[tuple[Point, str, int]]:
    """(routed point, framework, seed) for every run of the exercise, in running order."""
    points = exercise.points()[: options.max_points] if options.max_points else exercise.points()
    runs = []
    for raw in points:
        network = raw.get("network", exercise.networks[0])
        dataset = exercise.dataset or network_settings(network)["dataset"]
        point = route(exercise, raw, lightning_models.CATALOG[network], _keras_builder(network),
                      datamodules.datamodule_class(dataset))
        if options.epochs is not None:
            point.epochs = options.epochs
        for seed in options.seeds if options.seeds is not None else exercise.seeds:
            for framework in options.frameworks:
                if framework in exercise.frameworks:
                    runs.append((point, framework, seed))
    return runs


def _keras_builder(network: str):
    import keras_reference

    return keras_reference.CATALOG[network]


def run(exercise: Exercise, options: Optional[Options] = None) -> list[dict]:
    """Every run of ``exercise`` not yet finished, then the tables, plots and index; returns
    the rows of ``results.csv``."""
    options = options or Options()
    tool = _tool(exercise)
    folder = exercise_folder(exercise, options)
    if not exercise.trains:
        os.makedirs(folder, exist_ok=True)
        with _quiet_lightning():
            tool(exercise, options, [])
        return []
    runs = planned_runs(exercise, options)
    with _quiet_lightning():
        for index, (point, framework, seed) in enumerate(runs, 1):
            _run_one(exercise, options, folder, f"[{index}/{len(runs)}]", point, framework, seed)
    order = [os.path.join("runs", slug(p.label), f"{fw}-seed{s}") for p, fw, s in runs]
    rows = reports.collect(folder, order)
    reports.write_exercise_outputs(exercise, rows, folder)
    if tool is not None:
        with _quiet_lightning():
            tool(exercise, options, rows)
    return rows


def _tool(exercise: Exercise) -> Optional[Callable]:
    """The exercise's tool (:mod:`.tools`), None when it has none; an exercise that trains nothing
    and whose tool is not built yet is a ValueError naming it."""
    from .tools import TOOLS

    if exercise.tool is None:
        return None
    if exercise.tool in TOOLS:
        return TOOLS[exercise.tool]
    if not exercise.trains:
        raise ValueError(f"{exercise.id} trains no network and its tool ({exercise.tool}) is not "
                         "built yet")
    return None


#: Notices that would repeat at every run of a sweep, about things done on purpose: Keras
#: warns about the documents' own ``Dense(..., input_shape=...)`` style, and TensorFlow about
#: retracing its predict function for every new model of a sweep.
SWEEP_NOTICES = (".*Do not pass an `input_shape`/`input_dim` argument to a layer.*",)


@contextlib.contextmanager
def _quiet_lightning():
    """Lightning's per-Trainer status lines ("GPU available: False...", "`Trainer.fit` stopped")
    and :data:`SWEEP_NOTICES` are held back while a sweep runs; the runner prints one line per
    run instead."""
    loggers = [logging.getLogger("lightning.pytorch"), logging.getLogger("tensorflow")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR if logger.name == "tensorflow" else logging.WARNING)
    try:
        with warnings.catch_warnings():
            for message in SWEEP_NOTICES:
                warnings.filterwarnings("ignore", message=message)
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


#: The same quiet, for other code that trains many runs in a row (crosscheck/trained.py).
quiet_runs = _quiet_lightning


def _run_one(exercise: Exercise, options: Options, folder: str, counter: str, point: Point,
             framework: str, seed: int) -> None:
    """One run, skipped when its result.json exists (unless ``options.force``)."""
    run_dir = os.path.join(folder, "runs", slug(point.label), f"{framework}-seed{seed}")
    name = f"{counter} {slug(point.label)} {framework} seed {seed}"
    if os.path.isfile(os.path.join(run_dir, RESULT_FILE)) and not options.force:
        options.log(f"{name}: done before, skipped")
        return
    os.makedirs(run_dir, exist_ok=True)
    datamodule = make_datamodule(exercise, point, seed, options)
    if framework == "keras":
        _keras_threads(point, datamodule)
    train = train_lightning if framework == "lightning" else train_keras
    result = train(exercise, point, datamodule, seed, run_dir)
    result.update(exercise=exercise.id, framework=framework, seed=seed, point=slug(point.label),
                  network=point.network, **{f"hp_{k}": v for k, v in point.label.items()})
    reports.write_run_outputs(exercise, result, run_dir)
    write_hparams(result, point, run_dir)
    _write_json(os.path.join(run_dir, RESULT_FILE), result)  # last: marks the run finished
    options.log(f"{name}: {reports.headline(result)}")


# -- data ---------------------------------------------------------------------------------------
def make_datamodule(exercise: Exercise, point: Point, seed: int, options: Options):
    """The point's DataModule, set up: ``datamodule.splits`` are the arrays BOTH frameworks get."""
    cls = datamodules.datamodule_class(point.dataset)
    data = with_data_dir(cls, point.data, options.data_dir)
    data.setdefault("shuffle_seed", seed)
    datamodule = cls(**data)
    key = (point.dataset, repr(sorted((k, v) for k, v in data.items() if k != "shuffle_seed")),
           options.max_rows)
    load = datamodule.load_splits

    def cached_load():  # the arrays are loaded once per point, not once per framework and seed
        if key not in _LOADED:
            _LOADED.clear()  # keep one dataset in memory
            _LOADED[key] = first_rows(load(), options.max_rows) if options.max_rows else load()
        return _LOADED[key]

    datamodule.load_splits = cached_load
    datamodule.setup("fit")
    follow_input_size(point, datamodule.splits, options.log)
    return datamodule


_LOADED: dict = {}

#: Hyperparameters that give a network's input width; they follow the data, as the documents'
#: ``Input(shape=X_train.shape[1:])`` does (the tweets' padded length, the stand-ins' columns).
INPUT_SIZE_NAMES = ("input_dim", "input_size", "sequence_length")


def follow_input_size(point: Point, splits, log: Callable[[str], None]) -> None:
    """Set the point's input-width hyperparameter to the data's width when they differ (flat
    inputs only), and say so."""
    import inspect

    if splits.x_train.ndim != 2:
        return
    width = int(splits.x_train.shape[1])
    accepted = inspect.signature(lightning_models.CATALOG[point.network].__init__).parameters
    for name in INPUT_SIZE_NAMES:
        if name in accepted:
            current = point.model.get(name, accepted[name].default)
            if current != width:
                log(f"{point.network}: {name}={width} from the data (was {current})")
                point.model[name] = width


def with_data_dir(datamodule_class: type, data: dict, data_dir: Optional[str]) -> dict:
    """A copy of the DataModule options ``data`` with the user's ``--data-dir`` added, when one
    was given and the DataModule reads files (digits and iris, bundled with scikit-learn, do not)."""
    import inspect

    data = dict(data)
    if data_dir is not None and "data_dir" in inspect.signature(datamodule_class.__init__).parameters:
        data["data_dir"] = data_dir
    return data


def first_rows(splits, n: int):
    """``splits`` cut to the first ``n`` rows of each array (a quick run on real data)."""
    changes = {}
    for field in dataclasses.fields(splits):
        value = getattr(splits, field.name)
        if isinstance(value, np.ndarray) and value.ndim >= 1:
            changes[field.name] = value[:n]
    info = dict(splits.info)
    if isinstance(info.get("clean_inputs"), dict):
        info["clean_inputs"] = {k: v[:n] for k, v in info["clean_inputs"].items()}
    return dataclasses.replace(splits, **changes, info=info)


_keras_threads_chosen = False


def _keras_threads(point: Point, datamodule) -> None:
    """The project's thread policy on the Keras side: as many TensorFlow threads as torch would
    take for this network (lightning_models/threads.py); TensorFlow fixes them once per process,
    so the first Keras run of the process chooses."""
    global _keras_threads_chosen
    import keras_reference

    if _keras_threads_chosen:
        return
    _keras_threads_chosen = True
    model = lightning_models.build(point.network, **point.model)
    batch = datamodule.batch_size or len(datamodule.splits.x_train)
    threads, _ = choose_threads(model, batch)
    try:
        keras_reference.use_threads(threads)
    except RuntimeError:  # TensorFlow already ran in this process: its threads are fixed
        pass


# -- Lightning ----------------------------------------------------------------------------------
def train_lightning(exercise: Exercise, point: Point, datamodule, seed: int, run_dir: str) -> dict:
    pl.seed_everything(seed, verbose=False)
    model = lightning_models.build(point.network, **point.model)
    callbacks, logger = [], False
    if "early_stopping" in point.callbacks:
        callbacks.append(KerasEarlyStopping(**point.callbacks["early_stopping"]))
    best_path = None
    if "checkpoint" in point.callbacks:
        options = {"save_best_only": True, **point.callbacks["checkpoint"], "save_weights_only": True}
        callbacks.append(KerasModelCheckpoint(os.path.join(os.path.abspath(run_dir), "best"), **options))
        best_path = os.path.join(run_dir, "best.ckpt")
    if "tensorboard" in point.callbacks:
        from lightning.pytorch.loggers import TensorBoardLogger

        from lightning_models.tensorboard import tensorboard_without_tensorflow

        tensorboard_without_tensorflow()
        logger = TensorBoardLogger(run_dir, name="tensorboard", version="", default_hp_metric=False)
        freq = point.callbacks["tensorboard"].get("histogram_freq", 0)
        if freq:
            callbacks.append(WeightHistograms(freq))
    start = time.perf_counter()
    history = lightning_fit(model, datamodule, point.epochs, callbacks=callbacks, logger=logger,
                            default_root_dir=run_dir)
    seconds = time.perf_counter() - start
    stopper = next((c for c in callbacks if isinstance(c, KerasEarlyStopping)), None)
    restored = False
    if best_path is not None and os.path.isfile(best_path):
        model.load_weights(best_path)  # the documents' model.load_weights(best) after fit
        restored = True
    model.eval()
    splits = datamodule.splits
    result = {"params": model.count_params(), "epochs_run": len(history.history.get("loss", [])),
              "stopped_epoch": stopper.stopped_epoch + 1 if stopper is not None and stopper.stopped_epoch else None,
              "seconds": round(seconds, 3), "restored_best": restored,
              "history": history.history}
    batch = datamodule.batch_size or 32
    for split in ("train", "test"):
        x, y = getattr(splits, "x_" + split), getattr(splits, "y_" + split)
        if x is not None:
            for name, value in evaluate_lightning(model, x, y, batch).items():
                result[f"{split}_{name}"] = value
    torch.save(model.state_dict(), os.path.join(run_dir, FINAL_WEIGHTS["lightning"]))
    if splits.x_test is not None:
        result["predictions"] = predict_lightning(model, splits.x_test, batch)
        result["y_test"] = splits.y_test
    return result


def evaluate_lightning(model, x: np.ndarray, y: np.ndarray, batch_size: int) -> dict:
    """Keras' ``evaluate``: loss (with penalties) and metrics, batch-weighted means
    (:meth:`lightning_models.keras_api.KerasModelAPI.evaluate`)."""
    return {key: float(value) for key, value in
            model.evaluate(x, y, batch_size=batch_size, return_dict=True).items()}


def predict_lightning(model, x: np.ndarray, batch_size: int):
    """Keras' ``predict``: the network's outputs (probabilities for classifiers) as NumPy; None
    for two-output networks (no single prediction to report)."""
    outputs = model.predict(x, batch_size=batch_size)
    return None if isinstance(outputs, (list, tuple)) else outputs


# -- Keras --------------------------------------------------------------------------------------
def train_keras(exercise: Exercise, point: Point, datamodule, seed: int, run_dir: str) -> dict:
    import keras_reference
    from keras_reference.training import fit as keras_fit
    from keras_reference.training import seed_keras

    seed_keras(seed)
    model = keras_reference.build(point.network, **point.model)
    splits = datamodule.splits
    validation = (splits.x_val, splits.y_val) if splits.x_val is not None else None
    outcome = keras_fit(model, splits.x_train, splits.y_train, point.epochs,
                        batch_size=datamodule.batch_size, validation_data=validation,
                        callbacks=point.callbacks, run_dir=run_dir)
    batch = datamodule.batch_size or 32
    result = {"params": int(model.count_params()), "epochs_run": outcome["epochs_run"],
              "stopped_epoch": outcome["stopped_epoch"], "seconds": round(outcome["seconds"], 3),
              "restored_best": outcome["restored_best"], "history": outcome["history"]}
    for split in ("train", "test"):
        x, y = getattr(splits, "x_" + split), getattr(splits, "y_" + split)
        if x is not None:
            values = model.evaluate(x, y, batch_size=batch, verbose=0, return_dict=True)
            for name, value in values.items():
                result[f"{split}_{name}"] = float(value)
    model.save_weights(os.path.join(run_dir, FINAL_WEIGHTS["keras"]))
    if splits.x_test is not None:
        predictions = model.predict(splits.x_test, batch_size=batch, verbose=0)
        result["predictions"] = None if isinstance(predictions, (list, tuple, dict)) else np.asarray(predictions)
        result["y_test"] = splits.y_test
    return result


def write_hparams(result: dict, point: Point, run_dir: str) -> None:
    """The run's entry in TensorBoard's HParams view (``tensorboard --logdir <out>/<exercise
    id>`` lists every run of the sweep, both frameworks): the point's settings, network, framework
    and seed, and the final train/test metrics as ``final/<split>_<metric>``."""
    from lightning_models.tensorboard import log_hparams

    hparams = {"framework": result["framework"], "seed": result["seed"], "network": point.network,
               **point.label, "params": result["params"], "epochs_run": result["epochs_run"]}
    metrics = {f"final/{k}": v for k, v in result.items()
               if k.startswith(("train_", "test_", "report_")) and isinstance(v, (int, float))}
    log_hparams(os.path.join(run_dir, "tensorboard"), hparams, metrics)


# -- files --------------------------------------------------------------------------------------
def _write_json(path: str, result: dict) -> None:
    plain = {k: v for k, v in result.items() if k not in ("predictions", "y_test", "history")}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(plain, f, indent=1, default=_plain)
    os.replace(tmp, path)


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def run_many(exercises: Iterable[Exercise], options: Options) -> None:
    for exercise in exercises:
        run(exercise, options)
