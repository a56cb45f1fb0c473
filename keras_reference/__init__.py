"""The documents' Keras models (Keras 3, TensorFlow backend), one builder per catalog id.

``build(entry_id, **hparams)`` returns the compiled Keras model as the document builds it;
:func:`transfer.transfer_weights` copies its weights into the matching LightningModule.

torch is imported BEFORE keras/tensorflow on purpose: the reverse order segfaults in one process
with tensorflow-cpu 2.21 and torch 2.14+ (PARITY.md, preamble).
"""

import os as _os

import torch  # noqa: F401  (must precede tensorflow; see above)

_os.environ.setdefault("KERAS_BACKEND", "tensorflow")
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .registry import CATALOG, build  # noqa: E402
from .transfer import transfer_weights  # noqa: E402
from . import autoencoders, cnn, mlp, regression, regularization, text  # noqa: E402,F401  (register the builders)

__all__ = ["CATALOG", "build", "transfer_weights"]
