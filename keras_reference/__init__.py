"""The documents' Keras models (Keras 3, TensorFlow backend), one builder per catalog id.

``build(entry_id, **hparams)`` returns the compiled Keras model as the document builds it.
This package imports neither torch nor lightning nor lightning_models; the code that needs both
frameworks (weight transfer, forward parity, side-by-side summaries) is in :mod:`crosscheck`.

Import order: loading triton (which lightning, torchvision and torch's first optimiser load)
AFTER TensorFlow segfaults the process. :func:`datamodules._import_guard.load_triton_first` therefore
runs before keras is imported: it loads triton first, or, if TensorFlow is already loaded, marks
triton unavailable to torch. So this package can be imported before or after torch/lightning.
"""

import os as _os

from datamodules._import_guard import load_triton_first as _load_triton_first

_load_triton_first()
# The documents' backend; a user's own KERAS_BACKEND is left as it is (and the parity tests
# then compare another backend's Keras with torch).
_os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from .registry import CATALOG, build  # noqa: E402
from .threads import use_threads  # noqa: E402
from . import autoencoders, cnn, mlp, regression, regularization, text  # noqa: E402,F401  (register the builders)

__all__ = ["CATALOG", "build", "use_threads"]
