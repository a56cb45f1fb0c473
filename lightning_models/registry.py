"""Catalog id -> LightningModule class. ``@register("fp.fashion_mlp")`` sits on every network."""

from __future__ import annotations

import difflib
from typing import Optional

from .hyperparameters import check_hyperparameters

CATALOG: dict[str, type] = {}

#: catalog id -> the hyperparameter points its exercises sweep (the parity tests cover each).
GRIDS: dict[str, list[dict]] = {}


def register(entry_id: str, grid: Optional[list[dict]] = None):
    """Class decorator: file the class under its catalog id (docs/catalog.md).

    ``grid`` lists the hyperparameter points the documents' exercises sweep (the defaults,
    ``{}``, are always included); the parity tests build both frameworks at every point.
    """

    def decorate(cls: type) -> type:
        if entry_id in CATALOG:
            raise ValueError(f"catalog id {entry_id!r} registered twice")
        cls.catalog_id = entry_id
        CATALOG[entry_id] = cls
        GRIDS[entry_id] = [{}] + [dict(point) for point in (grid or []) if point]
        return cls

    return decorate


def lookup(entry_id: str, table: dict) -> object:
    """``table[entry_id]`` with an error that names the closest known ids."""
    try:
        return table[entry_id]
    except KeyError:
        close = difflib.get_close_matches(entry_id, list(table), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown catalog id {entry_id!r}{hint} Known ids: {', '.join(sorted(table))}") from None


def build(entry_id: str, **hparams):
    """The LightningModule of a catalog entry, e.g. ``build("apa.autoencoder", d1=32)``; an
    unknown or impossible hyperparameter is a one-line ``ValueError`` naming the valid ones."""
    cls = lookup(entry_id, CATALOG)
    check_hyperparameters(cls, hparams)
    return cls(**hparams)
