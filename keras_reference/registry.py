"""Catalog id -> Keras builder, mirroring :mod:`lightning_models.registry`."""

from __future__ import annotations

from typing import Callable, Optional

import keras

from lightning_models.registry import lookup

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


def build(entry_id: str, **hparams) -> keras.Model:
    """The compiled Keras model of a catalog entry, e.g. ``build("apa.autoencoder", d1=32)``."""
    return lookup(entry_id, CATALOG)(**hparams)


def optimizer(name: str, learning_rate: Optional[float] = None, **options):
    """``compile(optimizer=name)``; with a learning rate, the Keras object with that rate."""
    if learning_rate is not None:
        options = {"learning_rate": learning_rate, **options}
    return keras.optimizers.get({"class_name": name, "config": options}) if options else name
