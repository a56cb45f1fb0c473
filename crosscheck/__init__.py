"""Code that needs both frameworks: the Keras originals (:mod:`keras_reference`) against their
Lightning versions (:mod:`lightning_models`), on the same data (:mod:`datamodules`).

- :func:`transfer_weights` copies a Keras model's weights into the matching LightningModule;
- :func:`forward_parity` is the worst |keras - lightning| output on random inputs after that;
- :func:`render_summary` prints both layer tables side by side with that figure
  (``python -m lightning_models summary <id>``).

This package depends on both sides and nothing in them depends on it: only the tests, the
benchmarks and the command line import it. lightning_models is imported before keras_reference
(the import order of lightning_models/_import_guard.py).
"""

import lightning_models  # noqa: F401  (first: see the import order above)
import keras_reference  # noqa: F401

from .parity import forward_parity
from .summary import render as render_summary
from .transfer import transfer_weights

__all__ = ["transfer_weights", "forward_parity", "render_summary"]
