"""Code that needs both frameworks: the Keras originals (:mod:`keras_reference`) against their
Lightning versions (:mod:`lightning_models`), on the same data (:mod:`datamodules`).

- :func:`transfer_weights` copies a Keras model's weights into the matching LightningModule,
  layer by layer name (:mod:`crosscheck.transfer`);
- :func:`forward_parity` is the worst |keras - lightning| output on random inputs after that;
- :func:`render_summary` prints both layer tables side by side with that figure
  (``python -m lightning_models summary <id>``);
- :mod:`crosscheck.cli` is the project's command line (``python -m lightning_models``).

This package depends on both sides and no module of theirs imports it: only the tests, the
benchmarks and the command line do (``python -m lightning_models`` runs the entry script
lightning_models/__main__.py, which ``import lightning_models`` never loads). Its names are loaded on first use, so that the
command line does not load TensorFlow for a Lightning-only run (``crosscheck.cli`` imports
neither side until a command needs it). The modules import lightning_models before
keras_reference (the import order of datamodules/_import_guard.py).
"""

import importlib

#: public name -> (the module that defines it, its name there)
_EXPORTS = {
    "transfer_weights": ("crosscheck.transfer", "transfer_weights"),
    "forward_parity": ("crosscheck.parity", "forward_parity"),
    "render_summary": ("crosscheck.summary", "render"),
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'crosscheck' has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value
