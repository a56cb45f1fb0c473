"""PyTorch Lightning versions of every network of the Keras teaching documents.

``build(entry_id, **hparams)`` returns the LightningModule of a catalog id (docs/catalog.md);
``python -m lightning_models fit --config configs/<id>.yaml`` trains one through LightningCLI.
"""

from datamodules._import_guard import load_triton_first as _load_triton_first

_load_triton_first()  # before lightning: triton must be loaded before TensorFlow (see there)

from .lean_import import import_torchmetrics_lean as _import_torchmetrics_lean  # noqa: E402

_import_torchmetrics_lean()  # before lightning, which imports it: ~2 s less CPU at start-up

import os as _os  # noqa: E402

_user_nvml_setting = _os.environ.get("PYTORCH_NVML_BASED_CUDA_CHECK")

import lightning  # noqa: E402  (sets PYTORCH_NVML_BASED_CUDA_CHECK=1 on import)

# Importing lightning sets PYTORCH_NVML_BASED_CUDA_CHECK=1, so that `torch.cuda.is_available()`
# asks NVML instead of initialising CUDA (which matters before forking). On a machine without an
# NVIDIA driver each such call then costs ~32 us instead of ~1 us (README, "Speed"): there,
# restore the user's setting. With a GPU present, Lightning's setting stays.
if not _os.path.exists("/dev/nvidiactl"):
    if _user_nvml_setting is None:
        _os.environ.pop("PYTORCH_NVML_BASED_CUDA_CHECK", None)
    else:
        _os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] = _user_nvml_setting

from .base import History, KerasModule, NonFiniteLossError  # noqa: E402
from .keras_api import load_model  # noqa: E402
from .callbacks import KerasEarlyStopping, KerasModelCheckpoint, KerasProgress, WeightHistograms  # noqa: E402
from .registry import CATALOG, build  # noqa: E402

# Importing the families registers their catalog ids.
from . import autoencoders, cnn, mlp, regression, regularization, text  # noqa: E402,F401

__all__ = ["CATALOG", "build", "load_model", "KerasModule", "History", "NonFiniteLossError",
           "KerasEarlyStopping", "KerasModelCheckpoint", "KerasProgress", "WeightHistograms"]
