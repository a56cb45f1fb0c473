"""What the exercises' tools share: a finished run's network rebuilt with its final weights, the
run's own arrays, the best run of a group, a network's intermediate outputs in either framework.

A run (a row of ``results.csv``) names its grid point (``point``, the folder name), framework and
seed; :func:`routed_points` turns the folder names back into the routed points, so that a tool
rebuilds exactly the network (``lightning_models.build`` / ``keras_reference.build`` with the
point's hyperparameters) and the arrays (:func:`~..runner.make_datamodule`) the run had.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from typing import Callable, Optional, Sequence

import numpy as np
import torch

import lightning_models
from datamodules.lightning_data import _as_tensor

from ..runner import FINAL_WEIGHTS, Options, exercise_folder, make_datamodule, planned_runs
from ..spec import Exercise, Point, slug

#: The layer name both frameworks give a network's last layer (crosscheck/transfer.py).
OUTPUT_LAYER = "output"


def routed_points(exercise: Exercise, options: Options) -> dict[str, Point]:
    """``{folder name: routed point}`` for every grid point of the exercise (not only the
    first ``max_points``: a tool also reads the runs of earlier sweeps)."""
    every = dataclasses.replace(options, max_points=None, seeds=(0,), frameworks=exercise.frameworks)
    return {slug(point.label): point for point, _, _ in planned_runs(exercise, every)}


def run_path(exercise: Exercise, options: Options, row: dict, name: str) -> str:
    return os.path.join(exercise_folder(exercise, options), row["run_dir"], name)


def load_network(exercise: Exercise, options: Options, row: dict, point: Point):
    """The run's network with its final weights (those its train and test metrics were measured
    with): a LightningModule in evaluation mode, or the compiled Keras model."""
    path = run_path(exercise, options, row, FINAL_WEIGHTS[row["framework"]])
    if row["framework"] == "lightning":
        model = lightning_models.build(point.network, **point.model)
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return model.eval()
    import keras_reference

    model = keras_reference.build(point.network, **point.model)
    with warnings.catch_warnings():  # the file also holds the optimiser's state, unused here
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        model.load_weights(path)
    return model


def run_data(exercise: Exercise, options: Options, point: Point, seed: int, **changes):
    """``(arrays the run trained and was tested on, the same arrays with the dataset's own labels)``:
    the DataModule's ``splits`` and, for an autoencoder (whose targets are the clean inputs),
    its loader's output read again for the class labels. ``changes`` alter the point's data
    options (e.g. ``corrupt_test=True``)."""
    if changes:
        point = dataclasses.replace(point, data={**point.data, **changes})
    datamodule = make_datamodule(exercise, point, seed, options)
    if datamodule.targets == "labels":
        return datamodule.splits, datamodule.splits
    return datamodule.splits, datamodule.load_splits()


def best_rows(rows: Sequence[dict], metric: str, lower_is_better: bool = True,
              group: Optional[Callable[[dict], object]] = None) -> list[dict]:
    """Per framework (and per ``group(row)`` when given), the run with the best ``metric``;
    in the rows' order of first appearance. Rows without the metric are left out."""
    chosen: dict = {}
    for row in rows:
        value = row.get(metric)
        if value is None or not np.isfinite(value):
            continue
        key = (row["framework"], group(row) if group else None)
        if key not in chosen:
            chosen[key] = row
            continue
        current = chosen[key][metric]
        if (value < current) if lower_is_better else (value > current):
            chosen[key] = row
    return list(chosen.values())


def predict(model, framework: str, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Keras' ``predict``: the network's outputs (output activation applied) as NumPy."""
    if framework == "lightning":
        return np.asarray(model.predict(x, batch_size=batch_size))
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0))


def submodel_outputs(model, framework: str, name: str, x: np.ndarray) -> np.ndarray:
    """The outputs of the network's sub-model ``name`` (the documents' second ``keras.Model``
    sharing the layers: ``encoder`` = ``codificador``, ``projection`` = ``ndim``): the attribute
    of the same name on both sides."""
    sub = getattr(model, name)
    if framework == "lightning":
        with torch.no_grad():
            return sub(_as_tensor(x)).cpu().numpy()
    import keras

    return keras.ops.convert_to_numpy(sub(x, training=False))


def representation(model, framework: str, x: np.ndarray) -> np.ndarray:
    """What the output layer sees (the network's learned representation of ``x``), flattened:
    ``keras.Model(model.inputs, model.get_layer('output').input)`` on the Keras side, a forward
    hook on the layer of the same name on the Lightning side."""
    if framework == "lightning":
        seen = []
        hook = model.get_layer(OUTPUT_LAYER).register_forward_hook(lambda m, args, out: seen.append(args[0]))
        try:
            with torch.no_grad():
                model(_as_tensor(x))
        finally:
            hook.remove()
        return seen[0].reshape(len(x), -1).cpu().numpy()
    import keras

    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    inner = keras.Model(inputs, model.get_layer(OUTPUT_LAYER).input)
    return keras.ops.convert_to_numpy(inner(x, training=False)).reshape(len(x), -1)


def class_labels(y: np.ndarray) -> np.ndarray:
    """Integer class labels from sparse, one-hot or (N, 1) binary labels."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    return y.reshape(len(y)).astype(int)


def point_text(row: dict) -> str:
    """``d1=16, activation=linear`` (``default`` for the exercise's only point)."""
    return row["point"].replace(",", ", ")


def write_text(folder: str, name: str, lines: Sequence[str]) -> str:
    with open(os.path.join(folder, name), "w") as f:
        f.write("\n".join(lines).rstrip() + "\n")
    return name


