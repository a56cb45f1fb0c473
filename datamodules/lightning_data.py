"""The LightningDataModules: each dataset's loader wrapped with fast in-memory batching.

This is the only module of :mod:`datamodules` that imports torch and lightning; the package
imports it on first use of a DataModule name (``datamodules.DigitsDataModule``,
``datamodules.DATAMODULES``), so ``datamodules.load(...)`` stays NumPy-only for Keras.

Feeding (docs/choices.md, "Fast small-model training"): the networks of the catalog are tiny, so the
per-step cost of a ``DataLoader`` with a per-sample ``__getitem__`` and ``collate`` dominates.
:class:`TensorBatches` keeps the whole split as tensors, permutes it once per epoch with the
DataModule's own ``torch.Generator`` (the global RNG, and so dropout, is left untouched) and
yields contiguous slices, like Keras' array adapter (``batch_size`` default 32, last partial batch
kept; here ``batch_size=None`` means one full batch, where Keras' ``None`` means 32; any other
value must be an integer >= 1).
On a GPU the tensors are moved to the device once, when they fit. On several devices (DDP)
``batch_size`` is the global batch and each rank takes its share of every batch
(:class:`TensorBatches`; docs/choices.md, "Several devices").

Two seeds, two names: ``split_seed`` (a dataset option, passed to its loader) fixes which rows
are training and test rows; ``shuffle_seed`` (shared by every DataModule) fixes the batch order.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Callable, Iterator, Optional, Sequence

import lightning.pytorch as pl
import numpy as np
import torch

from .arrays import ArraySplits, DataError, keras_validation_split
from .economics import load_nasdaq, load_wages
from .images import load_cifar10, load_fashion_mnist, load_mnist, load_olivetti
from .tabular import load_digits, load_iris, load_optdigits, load_shipping, load_sonar
from .text import load_airline_sentiment, load_imdb


def _as_tensor(a: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(a))
    if t.is_floating_point():
        t = t.float()  # Keras' floatx is float32
    return t


def check_batch_size(batch_size: Optional[int]) -> None:
    """``batch_size`` is an integer >= 1, or ``None`` for one full batch (not Keras' ``None``,
    which means 32)."""
    if batch_size is not None and (isinstance(batch_size, bool)
                                   or not isinstance(batch_size, numbers.Integral) or batch_size < 1):
        raise ValueError(f"batch_size must be an integer >= 1, or None for one full batch, "
                         f"got {batch_size!r}")


class TensorBatches:
    """An iterable of batches sliced from in-memory tensors (what Keras' ``fit`` does with arrays).

    ``shuffle=True`` draws a new permutation each epoch from ``generator``; the permuted copy is
    made once per epoch, so every batch is a contiguous view (no per-sample indexing).

    Several devices (``world_size > 1``, Lightning's DDP; docs/choices.md, "Several devices"):
    ``batch_size`` stays the GLOBAL batch, Keras' ``batch_size``. Every rank draws the same
    permutation (the generator's state is the same on every rank) and takes its own disjoint
    share of each global batch: rows ``[lo, hi)`` of it, the first ``rows % world_size`` ranks
    one row more (:func:`shard_owner`). So the optimiser steps, their number and the rows each
    one sees are Keras'. Training batches then come as ``[x, y, weight]``: the loss of a share
    times ``weight = len(x) * world_size / rows`` has, averaged over the ranks by DDP, the
    gradient of the global batch's mean loss, also when the shares differ by a row (Keras'
    distributed ``fit`` likewise divides each replica's summed loss by the global batch size).
    A rank whose share is empty (a last batch of fewer rows than ranks) gets the whole global
    batch with ``weight = 0``: it takes part in the gradient all-reduce, adding nothing, and
    every rank runs the same number of steps. Evaluation shares (``weights=False``) come as
    ``[x, y]``, empty ones skipped; the module adds every rank's sums (base.py).
    """

    def __init__(self, tensors: Sequence[torch.Tensor], batch_size: Optional[int] = 32,
                 shuffle: bool = False, generator: Optional[torch.Generator] = None,
                 rank: int = 0, world_size: int = 1, weights: bool = True):
        check_batch_size(batch_size)
        self.tensors = list(tensors)
        self.n = len(self.tensors[0])
        self.batch_size = max(self.n, 1) if batch_size is None else int(batch_size)
        self.shuffle = shuffle
        self.generator = generator
        self.rank, self.world_size, self.weights = rank, world_size, weights
        if world_size > 1:
            rows = torch.arange(self.n)
            positions = rows[shard_owner(self.n, self.batch_size, world_size) == rank]
            batches = math.ceil(self.n / self.batch_size)
            self.sizes = torch.bincount(positions // self.batch_size, minlength=batches).tolist()
            self.positions = positions.to(self.tensors[0].device)
            self._unshuffled: Optional[list] = None

    def __len__(self) -> int:
        if self.world_size > 1 and not self.weights:
            return sum(1 for size in self.sizes if size)
        return math.ceil(self.n / self.batch_size)

    def __iter__(self) -> Iterator:
        if self.world_size > 1:
            yield from self._shares()
            return
        tensors = self.tensors
        if self.shuffle:
            perm = torch.randperm(self.n, generator=self.generator).to(tensors[0].device)
            tensors = [t[perm] for t in tensors]
        for start in range(0, self.n, self.batch_size):
            yield [t[start:start + self.batch_size] for t in tensors]

    def _shares(self) -> Iterator:
        """This rank's share of each global batch (several devices, see the class docstring)."""
        device = self.tensors[0].device
        if self.shuffle:  # the same draw on every rank; this rank's rows gathered in one copy
            perm = torch.randperm(self.n, generator=self.generator).to(device)
            mine = [t[perm[self.positions]] for t in self.tensors]
        else:
            perm = None
            if self._unshuffled is None:
                self._unshuffled = [t[self.positions] for t in self.tensors]
            mine = self._unshuffled
        start = 0
        for index, size in enumerate(self.sizes):
            if size:
                batch = [t[start:start + size] for t in mine]
                start += size
            elif self.weights:  # an empty share: the global batch, weight 0
                rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
                batch = [t[rows] if perm is None else t[perm[rows]] for t in self.tensors]
            else:
                continue
            if self.weights:
                rows = min(self.batch_size, self.n - index * self.batch_size)
                batch.append(size * self.world_size / rows)
            yield batch


def shard_owner(n: int, batch_size: int, world_size: int) -> torch.Tensor:
    """The rank that takes each position of an epoch's permutation of ``n`` rows cut into
    global batches of ``batch_size``: in a batch of ``rows`` rows, ranks ``0 .. rows % world_size
    - 1`` take ``rows // world_size + 1`` consecutive rows, the others ``rows // world_size``."""
    position = torch.arange(n)
    rows = torch.clamp(n - position // batch_size * batch_size, max=batch_size)
    offset = position % batch_size
    share, extra = rows // world_size, rows % world_size
    cut = extra * (share + 1)
    return torch.where(offset < cut, offset // (share + 1),
                       extra + (offset - cut) // share.clamp(min=1))


class ArrayDataModule(pl.LightningDataModule):
    """A LightningDataModule over the :class:`ArraySplits` returned by :meth:`load_splits`.

    Subclasses name their ``loader`` (or override :meth:`load_splits`). Options shared by every
    dataset:

    - ``batch_size``: an integer >= 1, Keras' default 32; ``None`` means one full batch (the
      whole split per step; Keras' ``None`` means 32). Checked here, when the DataModule is built.
      On several devices it is the global batch, split among the ranks (:class:`TensorBatches`):
      set the document's Keras value whatever the number of devices.
    - ``val_split``: Keras ``validation_split``; takes the last fraction of the training arrays.
      Without it the split's own validation arrays are used, else the test arrays when
      ``validate_on_test`` is true (the documents' ``validation_data=(x_test, y_test)``).
    - ``targets``: ``"labels"`` (classification/regression) or ``"inputs"`` (autoencoders:
      the clean inputs are the targets; ``clean_inputs`` in ``info`` is used when present,
      which is how the denoising autoencoder reconstructs clean digits from corrupted ones).
    - ``shuffle``: a new batch order every epoch (Keras' ``fit(shuffle=True)``).
    - ``shuffle_seed``: seeds the batch-order generator (separate from the global RNG). ``None``
      takes ``torch.initial_seed()`` at the first :meth:`setup`, so ``seed_everything(n)`` (the
      CLI's ``--seed_everything n``) fixes the batch order too; an int fixes it on its own.
      The generator's state is part of a checkpoint: a resumed run continues the same order.
    - ``num_workers`` is accepted for interface compatibility; in-memory slicing needs none.
    - ``device_max_bytes``: on a GPU the arrays are moved to it when smaller than this.
    """

    def __init__(self, batch_size: Optional[int] = 32, val_split: Optional[float] = None,
                 validate_on_test: bool = False, targets: str = "labels", shuffle: bool = True,
                 shuffle_seed: Optional[int] = None, num_workers: int = 0,
                 device_max_bytes: int = 2 * 1024 ** 3):
        super().__init__()
        if targets not in ("labels", "inputs"):
            raise DataError(f"targets must be 'labels' or 'inputs', got {targets!r}")
        check_batch_size(batch_size)
        self.batch_size = batch_size
        self.val_split = val_split
        self.validate_on_test = validate_on_test
        self.targets = targets
        self.shuffle = shuffle
        self.shuffle_seed = shuffle_seed
        self.num_workers = num_workers
        self.device_max_bytes = device_max_bytes
        self.splits: Optional[ArraySplits] = None
        self._tensors: dict = {}
        self._device_copies: dict = {}
        self._generator: Optional[torch.Generator] = None

    # -- each dataset names its loader (called with ``self.options``) or overrides load_splits --
    loader: Optional[Callable[..., ArraySplits]] = None
    options: dict  # the loader's keyword arguments, set by each dataset's __init__

    def load_splits(self) -> ArraySplits:
        if self.loader is None:
            raise NotImplementedError(f"{type(self).__name__} sets no loader")
        return type(self).loader(**self.options)

    # -- the batch-order generator: seeded once, then only its state travels ----------------
    def shuffle_generator(self) -> torch.Generator:
        """The generator of the batch order, made on first use (normally the first
        :meth:`setup`) from ``shuffle_seed`` or, when that is ``None``, ``torch.initial_seed()``;
        on several devices, rank 0's seed, so that every rank draws the same permutations."""
        if self._generator is None:
            seed = torch.initial_seed() if self.shuffle_seed is None else self.shuffle_seed
            if self._rank()[1] > 1:
                seed = self.trainer.strategy.broadcast(seed)
            self._generator = torch.Generator().manual_seed(seed)
        return self._generator

    def _rank(self) -> tuple[int, int]:
        """``(global rank, world size)`` of the trainer's processes; ``(0, 1)`` without one."""
        trainer = getattr(self, "trainer", None)
        return (0, 1) if trainer is None else (trainer.global_rank, trainer.world_size)

    # -- Lightning hooks -------------------------------------------------------------------
    def setup(self, stage: Optional[str] = None) -> None:
        self.shuffle_generator()
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

    # -- the generator's state is part of a checkpoint, so a resumed run continues exactly ----
    # (Lightning calls load_state_dict after setup, replacing the freshly seeded state)
    def state_dict(self) -> dict:
        return {"shuffle_generator": self.shuffle_generator().get_state()}

    def load_state_dict(self, state_dict: dict) -> None:
        if "shuffle_generator" in state_dict:
            self.shuffle_generator().set_state(state_dict["shuffle_generator"])

    def _batches(self, name: str, shuffle: bool, shard: bool = True,
                 weights: bool = False) -> TensorBatches:
        """The split's batches; on several devices (``shard``) this rank's shares of them."""
        if name not in self._tensors:
            raise DataError(f"{type(self).__name__} has no {name} split; "
                            "set val_split or validate_on_test=True to validate")
        rank, world_size = self._rank() if shard else (0, 1)
        return TensorBatches(self._on_device(name), self.batch_size, shuffle,
                             self.shuffle_generator(), rank, world_size, weights)

    def train_dataloader(self) -> TensorBatches:
        return self._batches("train", self.shuffle, weights=True)

    def val_dataloader(self):
        return self._batches("val", False) if "val" in self._tensors else []

    def test_dataloader(self) -> TensorBatches:
        return self._batches("test", False)

    def predict_dataloader(self) -> TensorBatches:
        # Not sharded: every rank predicts the whole split, in order (rank 0's list is complete).
        return self._batches("test", False, shard=False)


# -- images (datamodules/images.py) ----------------------------------------------------------
class _IdxImagesDataModule(ArrayDataModule):
    """Shared options of the three image-classification datasets; ``loader`` reads the arrays."""

    def __init__(self, data_dir: Optional[str] = None, download: bool = False,
                 classes: Optional[list[int]] = None, scale: bool = True, flatten: bool = False,
                 one_hot: bool = False, channel_axis: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.options = dict(data_dir=data_dir, download=download, classes=classes, scale=scale,
                            flatten=flatten, one_hot=one_hot, channel_axis=channel_axis)


class FashionMNISTDataModule(_IdxImagesDataModule):
    """Fashion-MNIST as :func:`load_fashion_mnist` returns it (seeds 000-004)."""

    loader = staticmethod(load_fashion_mnist)


class MNISTDataModule(_IdxImagesDataModule):
    """MNIST as :func:`load_mnist` returns it; seed 002: ``flatten=True, one_hot=True,
    val_split=0.2``."""

    loader = staticmethod(load_mnist)


class CIFAR10DataModule(_IdxImagesDataModule):
    """CIFAR-10 as :func:`load_cifar10` returns it; seed 000: ``classes=[0, 2]``."""

    loader = staticmethod(load_cifar10)


class OlivettiDataModule(ArrayDataModule):
    """The Olivetti faces as :func:`load_olivetti` returns them: ``pca_components=10`` or
    ``20`` for apa.olivetti_pca_mlp, ``images=True`` for apa.olivetti_cnn."""

    def __init__(self, data_dir: Optional[str] = None, download: bool = False,
                 test_size: float = 0.3, split_seed: int = 0, stratify: bool = True,
                 scale: bool = True, one_hot: bool = True, pca_components: Optional[int] = None,
                 images: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.options = dict(data_dir=data_dir, download=download, test_size=test_size,
                            split_seed=split_seed, stratify=stratify, scale=scale,
                            one_hot=one_hot, pca_components=pca_components, images=images)

    loader = staticmethod(load_olivetti)


# -- tables (datamodules/tabular.py) ---------------------------------------------------------
class DigitsDataModule(ArrayDataModule):
    """Digits as :func:`load_digits` returns them; ``targets='inputs'`` for the autoencoders,
    with ``corruption``/``copies`` for the denoising autoencoder (clean targets)."""

    def __init__(self, test_size: float = 0.3, split_seed: int = 0, scale: bool = True,
                 one_hot: bool = False, corruption: Optional[float] = None, copies: int = 1,
                 corrupt_test: bool = False, corruption_seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.options = dict(test_size=test_size, split_seed=split_seed, scale=scale,
                            one_hot=one_hot, corruption=corruption, copies=copies,
                            corrupt_test=corrupt_test, corruption_seed=corruption_seed)

    loader = staticmethod(load_digits)


class IrisDataModule(ArrayDataModule):
    """Iris as :func:`load_iris` returns it (slides.iris_mlp: one-hot labels, batch 20)."""

    def __init__(self, one_hot: bool = True, test_size: Optional[float] = None,
                 split_seed: int = 0, stratify: bool = False, scaler: Optional[str] = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.options = dict(one_hot=one_hot, test_size=test_size, split_seed=split_seed,
                            stratify=stratify, scaler=scaler)

    loader = staticmethod(load_iris)


class SonarDataModule(ArrayDataModule):
    """UCI Sonar as :func:`load_sonar` returns it (slides.sonar_mlp, 70/30)."""

    def __init__(self, data_dir: Optional[str] = None, download: bool = False,
                 test_size: float = 0.3, split_seed: int = 0, stratify: bool = False,
                 scaler: Optional[str] = None, **kwargs):
        super().__init__(**kwargs)
        self.options = dict(data_dir=data_dir, download=download, test_size=test_size,
                            split_seed=split_seed, stratify=stratify, scaler=scaler)

    loader = staticmethod(load_sonar)


class OptdigitsDataModule(ArrayDataModule):
    """UCI optdigits as :func:`load_optdigits` returns them (slides.optdigits_mlp)."""

    def __init__(self, data_dir: Optional[str] = None, download: bool = False,
                 source: str = "uci", one_hot: bool = True, scale: bool = False,
                 test_size: float = 0.3, split_seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.options = dict(data_dir=data_dir, download=download, source=source,
                            one_hot=one_hot, scale=scale, test_size=test_size,
                            split_seed=split_seed)

    loader = staticmethod(load_optdigits)


class ShippingDataModule(ArrayDataModule):
    """The Kaggle shipping table as :func:`load_shipping` returns it (fp.shipping_dnn)."""

    def __init__(self, data_dir: Optional[str] = None, path: Optional[str] = None,
                 scaler: Optional[str] = "standard", train_size: float = 0.7,
                 split_seed: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.options = dict(data_dir=data_dir, path=path, scaler=scaler, train_size=train_size,
                            split_seed=split_seed)

    loader = staticmethod(load_shipping)


# -- text (datamodules/text.py) --------------------------------------------------------------
class IMDBDataModule(ArrayDataModule):
    """IMDB multi-hot vectors as :func:`load_imdb` returns them: 15000 train, the first 10000
    training reviews for validation (fp.imdb_mlp*, batch 512)."""

    def __init__(self, data_dir: Optional[str] = None, download: bool = False,
                 num_words: int = 10000, validation_size: Optional[int] = 10000,
                 split_seed: int = 113, **kwargs):
        super().__init__(**kwargs)
        self.options = dict(data_dir=data_dir, download=download, num_words=num_words,
                            validation_size=validation_size, split_seed=split_seed)

    loader = staticmethod(load_imdb)


class AirlineSentimentDataModule(ArrayDataModule):
    """Airline tweets as :func:`load_airline_sentiment` returns them
    (apa.sentiment_embedding_mlp, batch 512, validation on the validation split)."""

    def __init__(self, data_dir: Optional[str] = None, download: bool = False,
                 path: Optional[str] = None, nwords: int = 500, train_size: float = 0.8,
                 split_seed: Optional[int] = None, **kwargs):
        super().__init__(**kwargs)
        self.options = dict(data_dir=data_dir, download=download, path=path, nwords=nwords,
                            train_size=train_size, split_seed=split_seed)

    loader = staticmethod(load_airline_sentiment)


# -- economics (datamodules/economics.py) ----------------------------------------------------
class WagesDataModule(ArrayDataModule):
    """Wages as :func:`load_wages` returns them; ``source='wooldridge_wage1_standin'`` for the
    offline stand-in (apa.wages_*: batch 64)."""

    def __init__(self, data_dir: Optional[str] = None, download: bool = False,
                 source: str = "apafib", path: Optional[str] = None, test_size: float = 0.3,
                 split_seed: int = 0, scaler: Optional[str] = "minmax",
                 scale_target: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.options = dict(data_dir=data_dir, download=download, source=source, path=path,
                            test_size=test_size, split_seed=split_seed, scaler=scaler,
                            scale_target=scale_target)

    loader = staticmethod(load_wages)


class NasdaqDataModule(ArrayDataModule):
    """NASDAQ windows as :func:`load_nasdaq` returns them (a chronological split, no seed);
    ``source='bokeh_stocks_standin'`` for the offline stand-in."""

    def __init__(self, data_dir: Optional[str] = None, download: bool = False,
                 source: str = "apafib", label: str = "price", ticker: Optional[str] = None,
                 window: int = 3, train_days: int = 1000, scale: bool = True,
                 days: Optional[int] = 1258, **kwargs):
        super().__init__(**kwargs)
        self.options = dict(data_dir=data_dir, download=download, source=source, label=label,
                            ticker=ticker, window=window, train_days=train_days, scale=scale,
                            days=days)

    loader = staticmethod(load_nasdaq)


#: The DataModule of each dataset of the catalog (the keys of ``datamodules.LOADERS``).
DATAMODULES = {
    "digits": DigitsDataModule,
    "iris": IrisDataModule,
    "fashion_mnist": FashionMNISTDataModule,
    "mnist": MNISTDataModule,
    "cifar10": CIFAR10DataModule,
    "olivetti": OlivettiDataModule,
    "imdb": IMDBDataModule,
    "wages": WagesDataModule,
    "nasdaq": NasdaqDataModule,
    "airline_sentiment": AirlineSentimentDataModule,
    "shipping": ShippingDataModule,
    "sonar": SonarDataModule,
    "optdigits": OptdigitsDataModule,
}
