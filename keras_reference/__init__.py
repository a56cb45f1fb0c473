"""The documents' Keras models (Keras 3, TensorFlow backend), one builder per catalog id.

``build(entry_id, **hparams)`` returns the compiled Keras model as the document builds it;
:func:`transfer.transfer_weights` copies its weights into the matching LightningModule.

torch and lightning are imported BEFORE keras/tensorflow on purpose: importing torch after
tensorflow segfaults (PARITY.md, preamble), and importing lightning after keras aborts the first
XLA-compiled ``fit`` with "LLVM ERROR: inconsistency in registered CommandLine options".
"""

import os as _os

import torch  # noqa: F401  (must precede tensorflow; see above)
import lightning_models  # noqa: F401  (imports lightning, also before keras)

_os.environ.setdefault("KERAS_BACKEND", "tensorflow")
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .registry import CATALOG, build  # noqa: E402
from .transfer import transfer_weights  # noqa: E402
from . import autoencoders, cnn, mlp, regression, regularization, text  # noqa: E402,F401  (register the builders)

__all__ = ["CATALOG", "build", "transfer_weights"]
