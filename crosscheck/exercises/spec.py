"""What an exercise is, as data: :class:`Exercise`, one per id of docs/exercises.md.

An exercise names its document (seed file and lines), what the document asks, the catalog
network(s), the grid it sweeps and the reports it asks for. The training as the document writes
it (dataset and its options, batch size, epochs, callbacks, the network's fixed settings) is NOT
repeated: it is the network's LightningCLI config, ``configs/<catalog id>.yaml`` (one spec per
fact, :func:`network_settings`); an exercise states only what it changes (``data``, ``model``,
``epochs``, ``callbacks``).
The declarations are in ``seed000.py`` .. ``seed004.py``, one file per document; the runner
(:mod:`.runner`) turns a declaration into runs of both frameworks.

A grid point is a plain dict such as ``{"d1": 8, "activation": "relu"}``. Each key goes where it
belongs, found from the signatures (:func:`route`): a hyperparameter of the network (both
frameworks' builders take the same names), an option of the dataset's DataModule (batch size,
corruption, vocabulary...), both when both take it (``nwords``), ``network`` (the catalog id of
that point, for exercises that sweep several networks), ``epochs``, or a callback setting written
``early_stopping.patience``.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import itertools
import os
from typing import Optional

#: What a training exercise can write beyond the common outputs (results table, histories, curves).
#: (All on the test split, with the final or the restored best weights.)
REPORTS = {
    "classification_report": "classification report",
    "confusion_matrix": "confusion matrix (table and figure)",
    "binary_metrics": "precision, recall, F1, ROC-AUC, PR-AUC and the two curves",
}

#: The exercises' own tools (issue 12): declared here, built on this runner.
TOOLS = {
    "bayesian_search": "Bayesian hyperparameter search with cross-validation (Optuna)",
    "projection": "2-D codes beside PCA(2) and a non-linear scikit-learn method",
    "image_views": "images, reconstructions and labelled prediction grids",
    "own_image": "predict the class of the user's own image file",
    "optimizer_lesson": "optimiser curves, exponentially weighted averages, batch timing",
    "keras_api": "get_weights / save / load_model and the model written several ways",
    "building_blocks": "the documents' tables of activations and losses, each checked",
}


@dataclasses.dataclass(frozen=True)
class Exercise:
    """One exercise of a document (docs/exercises.md has the table of all of them)."""

    id: str                      #: e.g. "apa-p1-autoencoder"
    document: str                #: seed file prefix: "000" .. "004"
    lines: str                   #: e.g. "L74-127"
    asks: str                    #: what the document asks, in one or two sentences
    networks: tuple              #: catalog ids (the first is the default network of a point)
    dataset: Optional[str] = None  #: another dataset than the config's (same DataModule options)
    data: dict = dataclasses.field(default_factory=dict)   #: DataModule options changed
    model: dict = dataclasses.field(default_factory=dict)  #: network hyperparameters changed
    grid: tuple = ({},)          #: the points swept (:func:`grid`)
    epochs: Optional[int] = None  #: None: the config's max_epochs
    callbacks: Optional[dict] = None  #: None: the config's (early_stopping / checkpoint / tensorboard)
    reports: tuple = ()          #: keys of :data:`REPORTS`
    tool: Optional[str] = None   #: a key of :data:`TOOLS` when the exercise needs more than training
    search: Optional[dict] = None  #: the bayesian_search tool's space and protocol (tools/search.py)
    trains: bool = True          #: False: the exercise's output is its tool alone
    frameworks: tuple = ("lightning", "keras")  #: the document trains Keras; both are run
    seeds: tuple = (0,)          #: default seeds (``--seeds`` overrides)
    note: str = ""               #: the project's choices for what the document leaves open

    def __post_init__(self):
        unknown = set(self.reports) - set(REPORTS)
        if unknown:
            raise ValueError(f"{self.id}: unknown report(s) {sorted(unknown)}")
        if self.tool is not None and self.tool not in TOOLS:
            raise ValueError(f"{self.id}: unknown tool {self.tool!r}")

    @property
    def data_name(self) -> Optional[str]:
        """The dataset trained on (None for an exercise that trains nothing)."""
        if not self.trains:
            return None
        return self.dataset or network_settings(self.networks[0])["dataset"]

    def points(self) -> list[dict]:
        return [dict(point) for point in self.grid]


def grid(*points: dict, **axes) -> tuple:
    """The points of a sweep: the product of ``axes`` (``grid(d1=[4, 8], activation=["relu",
    "linear"])`` gives four points), followed by any explicit ``points``."""
    names = list(axes)
    product = [dict(zip(names, values)) for values in itertools.product(*(axes[n] for n in names))] if names else []
    return (tuple(product) + tuple(dict(p) for p in points)) or ({},)


def _parameters(*callables) -> set:
    names = set()
    for fn in callables:
        for klass in (fn.__mro__ if inspect.isclass(fn) else (fn,)):
            init = klass.__init__ if inspect.isclass(klass) else klass
            try:
                sig = inspect.signature(init)
            except (TypeError, ValueError):
                continue
            names |= {n for n, p in sig.parameters.items()
                      if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    return names


@dataclasses.dataclass
class Point:
    """A grid point routed to where its settings go."""

    network: str
    dataset: str
    model: dict
    data: dict
    callbacks: dict
    epochs: int
    label: dict  #: the point's own settings, for tables and folder names


def route(exercise: Exercise, point: dict, lightning_class: type, keras_builder, datamodule_class) -> Point:
    """Split ``point`` (merged over the exercise's fixed settings) into network hyperparameters,
    DataModule options, callback settings and epochs; a key nobody takes is a ValueError."""
    point = dict(point)
    network = point.pop("network", exercise.networks[0])
    own = dict(point)  # the label keeps every setting of the point, epochs included
    settings = network_settings(network)
    epochs = point.pop("epochs", exercise.epochs if exercise.epochs is not None else settings["epochs"])
    declared = settings["callbacks"] if exercise.callbacks is None else exercise.callbacks
    callbacks = {name: dict(options) for name, options in declared.items()}
    model = {**settings["model"], **exercise.model}
    data = {**settings["data"], **exercise.data}
    model_names = _parameters(lightning_class) | _parameters(keras_builder)
    data_names = _parameters(datamodule_class)
    for key, value in point.items():
        if "." in key:
            callback, option = key.split(".", 1)
            callbacks.setdefault(callback, {})[option] = value
            continue
        if key not in model_names and key not in data_names:
            raise ValueError(f"{exercise.id}: grid setting {key!r} is neither a hyperparameter of "
                             f"{network} nor an option of {datamodule_class.__name__}")
        if key in model_names:
            model[key] = value
        if key in data_names:
            data[key] = value
    label = {"network": network} if len(exercise.networks) > 1 else {}
    label.update(own)
    return Point(network, exercise.dataset or settings["dataset"], model, data, callbacks, epochs, label)


#: Where the networks' LightningCLI configs are (the repository's configs/ folder).
CONFIGS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "configs")

#: The project's Lightning callbacks (configs) -> the framework-neutral callback names.
_CALLBACK_NAMES = {"KerasEarlyStopping": "early_stopping", "KerasModelCheckpoint": "checkpoint",
                   "WeightHistograms": "tensorboard"}


@functools.lru_cache(maxsize=None)
def network_settings(network: str) -> dict:
    """The document's training of ``network``, read from ``configs/<network>.yaml``: ``dataset``,
    ``data`` and ``model`` (init_args), ``epochs`` (max_epochs), ``callbacks`` (neutral names;
    a checkpoint's file name is the runner's)."""
    import yaml

    path = os.path.join(CONFIGS, f"{network}.yaml")
    if not os.path.isfile(path):
        raise ValueError(f"{network} has no config ({path}): an exercise of it must declare its data")
    with open(path) as f:
        config = yaml.safe_load(f)
    data_class = config["data"]["class_path"].rsplit(".", 1)[-1]
    dataset = next((name for name, cls_name in _DATAMODULE_NAMES.items() if cls_name == data_class), None)
    if dataset is None:
        raise ValueError(f"{path}: unknown data class {data_class}")
    callbacks = {}
    for entry in config.get("trainer", {}).get("callbacks", []) or []:
        name = _CALLBACK_NAMES.get(entry["class_path"].rsplit(".", 1)[-1])
        if name is None:
            raise ValueError(f"{path}: callback {entry['class_path']} has no Keras counterpart here")
        options = dict(entry.get("init_args") or {})
        options.pop("filepath", None)
        callbacks[name] = options
    return {"dataset": dataset, "data": dict(config["data"].get("init_args") or {}),
            "model": dict(config["model"].get("init_args") or {}),
            "epochs": config.get("trainer", {}).get("max_epochs", 1), "callbacks": callbacks}


#: dataset name -> DataModule class name (datamodules/lightning_data.py), without importing torch.
_DATAMODULE_NAMES = {
    "digits": "DigitsDataModule", "iris": "IrisDataModule", "fashion_mnist": "FashionMNISTDataModule",
    "mnist": "MNISTDataModule", "cifar10": "CIFAR10DataModule", "olivetti": "OlivettiDataModule",
    "imdb": "IMDBDataModule", "wages": "WagesDataModule", "nasdaq": "NasdaqDataModule",
    "airline_sentiment": "AirlineSentimentDataModule", "shipping": "ShippingDataModule",
    "sonar": "SonarDataModule", "optdigits": "OptdigitsDataModule",
}


def slug(label: dict) -> str:
    """A folder name for a point: ``d1=8,activation=relu`` (``default`` for the empty point)."""
    if not label:
        return "default"
    text = ",".join(f"{k}={v}" for k, v in label.items())
    return "".join(c if c.isalnum() or c in "=,.-_" else "_" for c in text)
