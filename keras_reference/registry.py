"""Catalog id -> Keras builder (the same ids as :mod:`lightning_models.registry`).

Every builder ends with the document's ``model.compile(optimizer=..., loss=..., metrics=...)``
and takes ``optimizer``, ``learning_rate`` and ``optimizer_options`` to change its optimiser:
``build("fp.fashion_mlp", optimizer="sgd", learning_rate=0.01, optimizer_options={"momentum":
0.9})``. :func:`keras_optimizer` turns them into what ``compile`` takes.
"""

from __future__ import annotations

import difflib
from typing import Callable, Optional

import keras

CATALOG: dict[str, Callable] = {}


def register(entry_id: str):
    """Function decorator: file a Keras builder under its catalog id."""

    def decorate(fn: Callable) -> Callable:
        if entry_id in CATALOG:
            raise ValueError(f"catalog id {entry_id!r} registered twice")
        fn.catalog_id = entry_id
        CATALOG[entry_id] = fn
        return fn

    return decorate


def lookup(entry_id: str, table: dict) -> object:
    """``table[entry_id]`` with an error that names the closest known ids."""
    try:
        return table[entry_id]
    except KeyError:
        close = difflib.get_close_matches(entry_id, list(table), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown catalog id {entry_id!r}{hint} Known ids: {', '.join(sorted(table))}") from None


def build(entry_id: str, **hparams) -> keras.Model:
    """The compiled Keras model of a catalog entry, e.g. ``build("apa.autoencoder", d1=32)``."""
    return lookup(entry_id, CATALOG)(**hparams)


def keras_optimizer(name: str, learning_rate: Optional[float] = None,
                    options: Optional[dict] = None):
    """What ``compile(optimizer=...)`` takes: the name itself (``'adam'``, as the documents
    write it) or, with a learning rate or options such as ``momentum``, ``nesterov``, ``rho``,
    ``centered``, ``beta_1``, ``beta_2``, ``epsilon``, the Keras optimiser object with them."""
    config = dict(options or {})
    if learning_rate is not None:
        config["learning_rate"] = learning_rate
    if not config:
        return name
    keras.optimizers.get(name)  # an unknown name raises Keras' own error here
    try:
        return keras.optimizers.get({"class_name": name, "config": config})
    except (TypeError, ValueError) as error:  # an option the optimiser does not take
        raise ValueError(f"optimizer {name!r} does not take all of {sorted(config)} ({error}); "
                         "see keras.optimizers for its arguments") from None
