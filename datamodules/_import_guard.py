"""Keep TensorFlow and triton apart: loading triton AFTER TensorFlow segfaults the process.

triton (the GPU kernel compiler) is loaded by ``import lightning``, ``import torchvision`` and
torch's first ``torch.optim`` optimiser; TensorFlow by ``import keras`` (TensorFlow backend).
Both bring their own LLVM, and triton must come first. :func:`load_triton_first`, called by
``lightning_models`` and ``keras_reference`` before they import lightning or keras (and by the
dataset downloads before torchvision), loads triton (about 0.3 s) while that is still safe; if
TensorFlow is already loaded (e.g. ``import torch; import keras; import lightning_models``), it
marks triton unavailable instead (``sys.modules['triton'] = None``), so that torch runs without
it (CPU training does not use triton; torch logs "triton not found").

It lives in ``datamodules``, the NumPy package both sides import, so that neither side imports
the other.
"""

from __future__ import annotations

import importlib.util
import sys


def load_triton_first() -> None:
    """Load triton now, or mark it unavailable if TensorFlow was loaded first (see above)."""
    if "triton" in sys.modules:  # loaded already, or already marked unavailable
        return
    try:
        installed = importlib.util.find_spec("triton") is not None
    except ValueError:  # a triton module without __spec__: leave it alone
        return
    if not installed:
        return
    if "tensorflow" in sys.modules:
        sys.modules["triton"] = None  # torch then treats triton as absent
    else:
        try:
            import triton  # noqa: F401
        except ImportError:
            pass
