"""Keras' model API on both sides (issue 12, item 6): the calls the slides and the guide make on a
built model, each compared between Keras (:mod:`keras_reference`) and the Lightning network
(:mod:`lightning_models.keras_api`) holding the same weights (:func:`crosscheck.transfer_weights`).

- slides-iris-weights (seed 004, L610-684): ``get_weights()`` per layer (shapes, max |keras -
  lightning|); ``save`` / ``load_model`` ("OPCION 1") and ``save_weights`` / ``load_weights``
  ("OPCION 2") round trips on both sides, the predictions before against after (must be equal).
- slides-iris-definitions (seed 004, L686-846): the network written 7 ways (``definition=``):
  parameter counts, layer tables (name, type, output shape, parameters) and forward parity.
- apa-guide (seed 000, L546-660): the guide's Sequential and two-branch models' summaries, and
  ``predict`` then ``> 0.5`` / ``argmax`` on random inputs, the labels of both sides compared.
"""

from __future__ import annotations

import os

import numpy as np
import torch

import lightning_models  # before keras (import order: datamodules/_import_guard.py)
from lightning_models.keras_api import load_model as lightning_load_model
from lightning_models.mlp import IRIS_DEFINITIONS

from ...parity import forward_parity
from ...summary import keras_rows, render, torch_rows
from ...transfer import transfer_weights
from ..runner import Options, exercise_folder
from ..spec import Exercise
from . import register
from ..reports import markdown_table
from .common import write_text

IRIS = "slides.iris_mlp"


@register("keras_api")
def keras_api(exercise: Exercise, options: Options, rows: list[dict]) -> list[str]:
    lessons = {"slides-iris-weights": iris_weights, "slides-iris-definitions": iris_definitions,
               "apa-guide": guide_api}
    if exercise.id not in lessons:
        raise ValueError(f"{exercise.id}: the keras_api tool knows {sorted(lessons)}")
    return lessons[exercise.id](exercise, options)


def pair(network: str, seed: int, **hparams):
    """(Keras model seeded with ``seed``, Lightning model with its weights copied in, eval mode)."""
    import keras_reference
    from keras_reference.training import seed_keras

    seed_keras(seed)
    keras_model = keras_reference.build(network, **hparams)
    torch_model = lightning_models.build(network, **hparams)
    transfer_weights(keras_model, torch_model)
    return keras_model, torch_model.eval()


def max_difference(a, b) -> float:
    """Worst |a - b| over one array or a list of arrays (the outputs of a multi-output model)."""
    a, b = (a, b) if isinstance(a, (list, tuple)) else ([a], [b])
    return max(float(np.abs(np.asarray(x, np.float64) - np.asarray(y, np.float64)).max()) for x, y in zip(a, b))


def _seed(exercise: Exercise, options: Options) -> int:
    return (options.seeds or exercise.seeds)[0]


# -- slides-iris-weights ---------------------------------------------------------------------------
def iris_inputs() -> np.ndarray:
    from sklearn.datasets import load_iris

    return load_iris().data.astype(np.float32)


def iris_weights(exercise: Exercise, options: Options) -> list[str]:
    """``keras_api.md``: the weights per layer, then the four round trips (``keras_api/`` holds
    the saved files)."""
    import keras
    import keras_reference

    folder = exercise_folder(exercise, options)
    files = os.path.join(folder, "keras_api")
    os.makedirs(files, exist_ok=True)
    seed = _seed(exercise, options)
    keras_model, torch_model = pair(IRIS, seed)
    x = iris_inputs()
    weights = []
    for name in ("Oculto", "salida"):  # the slides' W1, b1 = capaOculto.get_weights()
        k_list, t_list = keras_model.get_layer(name).get_weights(), torch_model.get_layer(name).get_weights()
        for label, k, t in zip(("kernel", "bias"), k_list, t_list):
            weights.append((name, label, str(k.shape), str(t.shape), max_difference(k, t)))
    whole = max_difference(keras_model.get_weights(), torch_model.get_weights())
    k_pred, t_pred = keras_model.predict(x, verbose=0), torch_model.predict(x)

    trips = []
    # OPCION 1: the whole model in one file, read back without the code that built it.
    path = os.path.join(files, "iris.keras")
    keras_model.save(path)
    trips.append(("keras", "save / keras.models.load_model", "iris.keras",
                  max_difference(k_pred, keras.models.load_model(path).predict(x, verbose=0))))
    path = os.path.join(files, "iris.ckpt")
    torch_model.save(path)
    trips.append(("lightning", "save / load_model", "iris.ckpt",
                  max_difference(t_pred, lightning_load_model(path).predict(x))))
    # OPCION 2: the weights alone, into a network built again (other initial weights).
    path = os.path.join(files, "iris.weights.h5")
    keras_model.save_weights(path)
    from keras_reference.training import seed_keras

    seed_keras(seed + 1)
    fresh = keras_reference.build(IRIS)
    fresh.load_weights(path)
    trips.append(("keras", "save_weights / load_weights", "iris.weights.h5",
                  max_difference(k_pred, fresh.predict(x, verbose=0))))
    path = os.path.join(files, "iris.weights.ckpt")
    torch_model.save_weights(path)
    torch.manual_seed(seed + 1)
    fresh = lightning_models.build(IRIS)
    fresh.load_weights(path)
    trips.append(("lightning", "save_weights / load_weights", "iris.weights.ckpt",
                  max_difference(t_pred, fresh.predict(x))))

    lines = [f"# {exercise.id}: get_weights, save / load_model, save_weights / load_weights", "",
             f"{IRIS} built on both sides (Keras seed {seed}), the Keras weights copied into the "
             "Lightning network; `layer.get_weights()` per layer:", ""]
    lines += markdown_table(["layer", "weight", "Keras shape", "Lightning shape", "max abs(keras - lightning)"],
                            weights)
    lines += ["", f"`model.get_weights()` (all {len(keras_model.get_weights())} arrays): max |keras - "
              f"lightning| = {whole:.3g}; `predict` on the 150 iris rows: max |keras - lightning| = "
              f"{max_difference(k_pred, t_pred):.3g}.", "",
              "Round trips: the predictions on the 150 iris rows before saving against those of the "
              "model read back (0 = the same numbers):", ""]
    lines += markdown_table(["framework", "calls", "file (keras_api/)", "max abs(before - after)"], trips)
    lines += ["", "Lightning's files are Lightning checkpoints whatever their name "
              "(lightning_models/keras_api.py); Keras 3 requires the .keras / .weights.h5 endings."]
    write_text(folder, "keras_api.md", lines)
    return ["keras_api.md", "keras_api"]


# -- slides-iris-definitions -----------------------------------------------------------------------
def comparable_rows(keras_model, torch_model) -> tuple[list, list]:
    """Both layer tables as ``(name (type), output shape, parameters)`` rows: Keras' without its
    InputLayer (no layer on the Lightning side), Lightning's named by the last part of the
    module path (``net.Oculto`` is Keras' ``Oculto``)."""
    example = torch_model.random_input(2, generator=torch.Generator().manual_seed(0))
    k_rows = [r for r in keras_rows(keras_model) if "(InputLayer)" not in r[0]]
    t_rows = [(name.rsplit(".", 1)[-1], shape, params) for name, shape, params in torch_rows(torch_model, example)]
    return k_rows, t_rows


def iris_definitions(exercise: Exercise, options: Options) -> list[str]:
    """``keras_api.md``: one row per definition."""
    seed = _seed(exercise, options)
    table = []
    for definition in IRIS_DEFINITIONS:
        keras_model, torch_model = pair(IRIS, seed, definition=definition)
        k_rows, t_rows = comparable_rows(keras_model, torch_model)
        keras_only = [r[0] for r in k_rows if r not in t_rows]
        lightning_only = [r[0] for r in t_rows if r not in k_rows]
        same = not lightning_only and set(keras_only) <= {"FunO (Activation)"}
        table.append((definition, keras_model.count_params(), torch_model.count_params(),
                      "yes" if same else "no", ", ".join(keras_only) or "-", ", ".join(lightning_only) or "-",
                      forward_parity(keras_model, torch_model)))
    lines = [f"# {exercise.id}: the iris network written {len(IRIS_DEFINITIONS)} ways", "",
             f"{IRIS} with `definition=` on both sides; layer tables compared row by row (layer "
             "name and type, output shape, parameters; Keras' InputLayer left out). Keras' output "
             "`Activation` FunO is the Lightning model's `output_activation` (its forward returns "
             "logits, predict applies it), so it is the one row Keras alone may have.", ""]
    lines += markdown_table(["definition", "Keras params", "Lightning params", "same layer rows",
                             "Keras-only rows", "Lightning-only rows", "forward max abs(keras - lightning)"], table)
    write_text(exercise_folder(exercise, options), "keras_api.md", lines)
    return ["keras_api.md"]


# -- apa-guide -------------------------------------------------------------------------------------
GUIDE = ("apa.guide_mlp", "apa.guide_two_branch")


def guide_labels(outputs) -> list[np.ndarray]:
    """The guide's decisions: ``> 0.5`` for a one-unit (sigmoid) output, ``argmax`` otherwise;
    one array per output."""
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [(o > 0.5).astype(int).reshape(len(o)) if o.shape[-1] == 1 else o.argmax(axis=-1)
            for o in map(np.asarray, outputs)]


def guide_api(exercise: Exercise, options: Options, n: int = 8) -> list[str]:
    """``keras_api.md``: both summaries of each model, then its labels on ``n`` random inputs."""
    seed = _seed(exercise, options)
    lines = [f"# {exercise.id}: the guide's models on both sides", ""]
    for network in GUIDE:
        keras_model, torch_model = pair(network, seed)
        x = torch_model.random_input(n, generator=torch.Generator().manual_seed(seed)).numpy()
        k_out, t_out = keras_model.predict(x, verbose=0), torch_model.predict(x)
        k_labels, t_labels = guide_labels(k_out), guide_labels(t_out)
        rule = ["> 0.5" if np.asarray(o).shape[-1] == 1 else "argmax"
                for o in (k_out if isinstance(k_out, (list, tuple)) else [k_out])]
        lines += [f"## {network}", "", "```", render(network), "```", "",
                  f"Parameters: Keras {keras_model.count_params():,}, Lightning {torch_model.count_params():,}. "
                  f"`predict` on {n} random inputs (Keras weights copied in): max |keras - lightning| = "
                  f"{max_difference(k_out, t_out):.3g}.", ""]
        table = [(f"output {i + 1}", r, " ".join(map(str, k)), " ".join(map(str, t)),
                  "yes" if np.array_equal(k, t) else "no")
                 for i, (r, k, t) in enumerate(zip(rule, k_labels, t_labels))]
        lines += markdown_table(["output", "rule", "Keras labels", "Lightning labels", "equal"], table) + [""]
    write_text(exercise_folder(exercise, options), "keras_api.md", lines)
    return ["keras_api.md"]
