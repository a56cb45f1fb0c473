"""Catalog id -> LightningModule class. ``@register("fp.fashion_mlp")`` sits on every network."""

from __future__ import annotations

import difflib

CATALOG: dict[str, type] = {}


def register(entry_id: str):
    """Class decorator: file the class under its catalog id (../shared/CATALOG.md)."""

    def decorate(cls: type) -> type:
        if entry_id in CATALOG:
            raise ValueError(f"catalog id {entry_id!r} registered twice")
        cls.catalog_id = entry_id
        CATALOG[entry_id] = cls
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
    """The LightningModule of a catalog entry, e.g. ``build("apa.autoencoder", d1=32)``."""
    return lookup(entry_id, CATALOG)(**hparams)
