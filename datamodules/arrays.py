"""NumPy splits, Keras' ``validation_split`` and the fast in-memory feeding used by every DataModule.

Every loader in :mod:`datamodules` returns an :class:`ArraySplits` of plain NumPy arrays. Both
frameworks read those same arrays: Keras through ``model.fit(splits.x_train, ...)`` and Lightning
through :class:`ArrayDataModule`, so a parity test compares the two on identical data.

Feeding (DESIGN.md, "Fast small-model training"): the networks of the catalog are tiny, so the
per-step cost of a ``DataLoader`` with a per-sample ``__getitem__`` and ``collate`` dominates.
:class:`TensorBatches` keeps the whole split as tensors, permutes it once per epoch with its own
``torch.Generator`` (the global RNG, and so dropout, is left untouched) and yields contiguous
slices, like Keras' array adapter (``batch_size`` default 32, last partial batch kept; here
``batch_size=None`` means one full batch, where Keras' ``None`` means 32).
On a GPU the tensors are moved to the device once, when they fit.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Callable, Iterator, Optional, Sequence

import lightning.pytorch as pl
import numpy as np
import torch


# A dataset without validation arrays returns no validation batches (``[]``), Lightning's way of
# skipping validation; its warning about an empty list says nothing new here.
warnings.filterwarnings("ignore", message="Total length of `list` across ranks is zero")


class DataError(RuntimeError):
    """Raised when a dataset is missing, corrupt or asked for with impossible options."""


@dataclasses.dataclass
class ArraySplits:
    """The arrays of one dataset: ``x_*`` inputs, ``y_*`` targets, ``val`` optional.

    ``info`` holds what a reader needs to interpret them (class names, source, scaler...).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: Optional[np.ndarray] = None
    y_test: Optional[np.ndarray] = None
    x_val: Optional[np.ndarray] = None
    y_val: Optional[np.ndarray] = None
    info: dict = dataclasses.field(default_factory=dict)

    def sizes(self) -> dict:
        return {name: len(getattr(self, "x_" + name)) for name in ("train", "val", "test")
                if getattr(self, "x_" + name) is not None}


def keras_validation_split(x: np.ndarray, y: np.ndarray, fraction: float):
    """Keras ``fit(validation_split=fraction)``: the LAST fraction, taken before any shuffling.

    ``split_at = floor(N * (1 - fraction))`` (keras/src/trainers/data_adapters/array_slicing.py).
    Returns ``(x_train, y_train, x_val, y_val)``.
    """
    if not 0.0 < fraction < 1.0:
        raise DataError(f"validation_split must be in (0, 1), got {fraction}")
    split_at = int(math.floor(len(x) * (1.0 - fraction)))
    return x[:split_at], y[:split_at], x[split_at:], y[split_at:]


def _as_tensor(a: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(a))
    if t.is_floating_point():
        t = t.float()  # Keras' floatx is float32
    return t


class TensorBatches:
    """An iterable of batches sliced from in-memory tensors (what Keras' ``fit`` does with arrays).

    ``shuffle=True`` draws a new permutation each epoch from ``generator``; the permuted copy is
    made once per epoch, so every batch is a contiguous view (no per-sample indexing).
    """

    def __init__(self, tensors: Sequence[torch.Tensor], batch_size: Optional[int] = 32,
                 shuffle: bool = False, generator: Optional[torch.Generator] = None):
        self.tensors = list(tensors)
        self.n = len(self.tensors[0])
        self.batch_size = self.n if not batch_size else int(batch_size)
        if self.batch_size <= 0:
            raise DataError(f"batch_size must be positive, got {batch_size}")
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def __iter__(self) -> Iterator:
        tensors = self.tensors
        if self.shuffle:
            perm = torch.randperm(self.n, generator=self.generator).to(tensors[0].device)
            tensors = [t[perm] for t in tensors]
        for start in range(0, self.n, self.batch_size):
            yield [t[start:start + self.batch_size] for t in tensors]


class ArrayDataModule(pl.LightningDataModule):
    """A LightningDataModule over the :class:`ArraySplits` returned by :meth:`load_splits`.

    Subclasses implement :meth:`load_splits`. Options shared by every dataset:

    - ``batch_size``: Keras' default is 32; ``None`` means full batch.
    - ``val_split``: Keras ``validation_split``; takes the last fraction of the training arrays.
      Without it the split's own validation arrays are used, else the test arrays when
      ``validate_on_test`` is true (the documents' ``validation_data=(x_test, y_test)``).
    - ``targets``: ``"labels"`` (classification/regression) or ``"inputs"`` (autoencoders:
      the clean inputs are the targets; ``clean_inputs`` in ``info`` is used when present,
      which is how the denoising autoencoder reconstructs clean digits from corrupted ones).
    - ``seed``: seeds the shuffling generator (separate from the global RNG).
    - ``num_workers`` is accepted for interface compatibility; in-memory slicing needs none.
    - ``device_max_bytes``: on a GPU the arrays are moved to it when smaller than this.
    """

    def __init__(self, batch_size: Optional[int] = 32, val_split: Optional[float] = None,
                 validate_on_test: bool = False, targets: str = "labels", shuffle: bool = True,
                 seed: int = 0, num_workers: int = 0, device_max_bytes: int = 2 * 1024 ** 3):
        super().__init__()
        if targets not in ("labels", "inputs"):
            raise DataError(f"targets must be 'labels' or 'inputs', got {targets!r}")
        self.batch_size = batch_size
        self.val_split = val_split
        self.validate_on_test = validate_on_test
        self.targets = targets
        self.shuffle = shuffle
        self.seed = seed
        self.num_workers = num_workers
        self.device_max_bytes = device_max_bytes
        self.splits: Optional[ArraySplits] = None
        self._tensors: dict = {}
        self._device_copies: dict = {}
        self._generator = torch.Generator().manual_seed(seed)

    # -- each dataset names its loader (called with ``self.options``) or overrides load_splits --
    loader: Optional[Callable[..., ArraySplits]] = None
    options: dict  # the loader's keyword arguments, set by each dataset's __init__

    def load_splits(self) -> ArraySplits:
        if self.loader is None:
            raise NotImplementedError(f"{type(self).__name__} sets no loader")
        return type(self).loader(**self.options)

    # -- Lightning hooks -------------------------------------------------------------------
    def setup(self, stage: Optional[str] = None) -> None:
        if self.splits is not None:
            return
        splits = self.load_splits()
        if self.targets == "inputs":
            clean = splits.info.get("clean_inputs", {})
            splits = dataclasses.replace(
                splits,
                y_train=clean.get("train", splits.x_train),
                y_val=None if splits.x_val is None else clean.get("val", splits.x_val),
                y_test=None if splits.x_test is None else clean.get("test", splits.x_test))
        if splits.x_val is not None and (self.val_split or self.validate_on_test):
            raise DataError(f"{type(self).__name__} has its own validation split "
                            f"({len(splits.x_val)} rows): drop val_split/validate_on_test")
        if self.val_split:
            x_tr, y_tr, x_va, y_va = keras_validation_split(splits.x_train, splits.y_train,
                                                            self.val_split)
            splits = dataclasses.replace(splits, x_train=x_tr, y_train=y_tr, x_val=x_va, y_val=y_va)
        elif self.validate_on_test:
            splits = dataclasses.replace(splits, x_val=splits.x_test, y_val=splits.y_test)
        self.splits = splits
        for name in ("train", "val", "test"):
            x = getattr(splits, "x_" + name)
            if x is not None:
                self._tensors[name] = [_as_tensor(x), _as_tensor(getattr(splits, "y_" + name))]

    def _on_device(self, name: str) -> list:
        """The split's tensors on the trainer's accelerator when all splits fit in
        ``device_max_bytes`` there (copied once per device); else the CPU tensors, and the
        training step moves each batch."""
        tensors = self._tensors[name]
        trainer = getattr(self, "trainer", None)
        device = trainer.strategy.root_device if trainer is not None else torch.device("cpu")
        if device.type == "cpu":
            return tensors
        total = sum(t.numel() * t.element_size() for split in self._tensors.values() for t in split)
        if total > self.device_max_bytes:
            return tensors
        key = (name, str(device))
        if key not in self._device_copies:
            self._device_copies[key] = [t.to(device) for t in tensors]
        return self._device_copies[key]

    # -- the shuffling generator is part of a checkpoint, so a resumed run continues exactly ---
    def state_dict(self) -> dict:
        return {"shuffle_generator": self._generator.get_state()}

    def load_state_dict(self, state_dict: dict) -> None:
        if "shuffle_generator" in state_dict:
            self._generator.set_state(state_dict["shuffle_generator"])

    def _batches(self, name: str, shuffle: bool) -> TensorBatches:
        if name not in self._tensors:
            raise DataError(f"{type(self).__name__} has no {name} split; "
                            "set val_split or validate_on_test=True to validate")
        return TensorBatches(self._on_device(name), self.batch_size, shuffle, self._generator)

    def train_dataloader(self) -> TensorBatches:
        return self._batches("train", self.shuffle)

    def val_dataloader(self):
        return self._batches("val", False) if "val" in self._tensors else []

    def test_dataloader(self) -> TensorBatches:
        return self._batches("test", False)

    def predict_dataloader(self) -> TensorBatches:
        return self._batches("test", False)
