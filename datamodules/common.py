"""What the loaders share: where files are looked for, one-line errors, verified downloads,
and preprocessing fitted on the training split only.

Every loader searches, in order, the ``data_dir`` it is given, then the known offline locations
of its dataset (the Debian Fashion-MNIST package, Keras' cache ``~/.keras/datasets``,
scikit-learn's ``~/scikit_learn_data``), and downloads only when called with ``download=True``.
When nothing is found it raises a :class:`DataError` whose single line names the folders it
looked in and the exact way to obtain the data.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import shutil
import urllib.request
import zipfile
from typing import Iterable, Optional, Sequence

import numpy as np

from .arrays import DataError


# -- where to look ---------------------------------------------------------------------------
def keras_cache_dir() -> str:
    """Keras' download cache (``$KERAS_HOME/datasets``, by default ``~/.keras/datasets``)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "datasets")


def default_data_dir(name: str) -> str:
    """Where ``download=True`` puts dataset ``name`` when no ``data_dir`` is given (and where the
    loaders look next): ``$KLP_DATA_DIR/<name>``, by default ``~/.cache/klp-datasets/<name>``."""
    root = os.environ.get("KLP_DATA_DIR") or os.path.join(os.path.expanduser("~"), ".cache",
                                                          "klp-datasets")
    return os.path.join(root, name)


def search_dirs(*dirs: Optional[str]) -> list[str]:
    """The given folders without ``None`` and duplicates, in order."""
    out: list[str] = []
    for d in dirs:
        if d and os.path.abspath(d) not in [os.path.abspath(o) for o in out]:
            out.append(d)
    return out


def find_file(dirs: Iterable[str], names: Sequence[str]) -> Optional[str]:
    """The first ``dir/name`` that is a file, trying every name in each folder in turn."""
    for d in dirs:
        for name in names:
            path = os.path.join(d, name)
            if os.path.isfile(path):
                return path
    return None


def not_found(dataset: str, searched: Sequence[str], how: str) -> DataError:
    """The one-line error for missing data: where we looked and how to get the data."""
    where = " or ".join(searched) if searched else "no folder (data_dir was not given)"
    return DataError(f"{dataset} data not found in {where}; {how}")


def corrupt(path: str, what: str, err: object = None) -> DataError:
    """The one-line error for a file that exists but cannot be read as the dataset."""
    detail = f" ({type(err).__name__}: {err})" if err is not None else ""
    detail = detail.replace("\n", " ")
    return DataError(f"{path} is corrupt or truncated: {what}{detail}; "
                     "delete it and fetch it again")


# -- verified downloads ----------------------------------------------------------------------
def file_digest(path: str, algorithm: str = "sha256") -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_checksum(path: str, expected: str, algorithm: str = "sha256") -> None:
    """Raise :class:`DataError` unless the file's digest is ``expected``."""
    got = file_digest(path, algorithm)
    if got != expected.lower():
        raise DataError(f"{path}: {algorithm} {got} differs from the canonical {expected}; "
                        "the file is corrupt or not the original, delete it and download it again")


def download(url: str, path: str, checksum: Optional[str] = None,
             algorithm: str = "sha256", timeout: float = 60.0) -> str:
    """Fetch ``url`` to ``path`` (through ``path + '.part'``), verifying ``checksum`` when given.

    Only called by loaders given ``download=True``; never at import time or in the default tests.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    part = path + ".part"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
            shutil.copyfileobj(response, out)
    except OSError as err:
        if os.path.exists(part):
            os.remove(part)
        raise DataError(f"downloading {url} failed ({err}); check the connection or fetch the "
                        f"file by hand into {os.path.dirname(os.path.abspath(path))}") from err
    if checksum:
        try:
            verify_checksum(part, checksum, algorithm)
        except DataError:
            os.remove(part)
            raise
    os.replace(part, path)
    return path


# -- file formats ----------------------------------------------------------------------------
def read_csv(source, name: Optional[str] = None, **options):
    """``pandas.read_csv(source)`` whose parse errors become a one-line :class:`DataError`
    naming ``name`` (default ``source``)."""
    import pandas as pd

    try:
        return pd.read_csv(source, **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError,
            EOFError, OSError, zipfile.BadZipFile) as err:
        raise corrupt(str(name or source), "not a readable CSV table", err) from err


def require_columns(frame, columns: Iterable[str], path: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise corrupt(path, f"columns {missing} are missing (found {list(frame.columns)[:12]})")


_NUMPY_PICKLE_GLOBALS = frozenset({
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
})


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and nothing else (object arrays of ``.npz`` files such as IMDB's)."""

    def find_class(self, module, name):
        if (module, name) in _NUMPY_PICKLE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a dataset file")


def _read_npy(buffer: io.BytesIO) -> np.ndarray:
    try:
        return np.lib.format.read_array(buffer, allow_pickle=False)
    except ValueError:  # an object array: its payload is a pickle of numpy objects
        buffer.seek(0)
        major, _ = np.lib.format.read_magic(buffer)
        read_header = (np.lib.format.read_array_header_1_0 if major == 1
                       else np.lib.format.read_array_header_2_0)
        read_header(buffer)
        return _NumpyOnlyUnpickler(buffer).load()


def read_npz(path: str, keys: Sequence[str]) -> dict:
    """The arrays ``keys`` of a ``.npz`` file (object arrays allowed, but only numpy pickles)."""
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            for key in keys:
                if key + ".npy" not in names:
                    raise corrupt(path, f"array {key!r} is missing (has {sorted(names)})")
                arrays[key] = _read_npy(io.BytesIO(archive.read(key + ".npy")))
    except DataError:
        raise
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, pickle.UnpicklingError,
            AttributeError, IndexError, TypeError) as err:
        raise corrupt(path, "not a readable .npz archive", err) from err
    return arrays


# -- preprocessing ---------------------------------------------------------------------------
def one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Labels ``0..n_classes-1`` as float32 one-hot rows (Keras' ``to_categorical``,
    scikit-learn's ``LabelBinarizer``/``OneHotEncoder`` when every class is present)."""
    y = np.asarray(y).astype(np.int64).reshape(-1)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise DataError(f"labels must lie in 0..{n_classes - 1} for one-hot encoding")
    return np.eye(n_classes, dtype=np.float32)[y]


def split(x, y, test_size: float, split_seed: int, stratify: bool = False):
    """scikit-learn's ``train_test_split(x, y, test_size=..., random_state=split_seed)``."""
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_size < 1.0:
        raise DataError(f"test_size must be in (0, 1), got {test_size}")
    return train_test_split(x, y, test_size=test_size, random_state=split_seed,
                            stratify=y if stratify else None)


SCALERS = ("minmax", "standard")


def make_scaler(name: str):
    """A scikit-learn scaler by name: ``'minmax'`` (MinMaxScaler) or ``'standard'``
    (StandardScaler)."""
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    if name == "minmax":
        return MinMaxScaler()
    if name == "standard":
        return StandardScaler()
    raise DataError(f"scaler must be one of {SCALERS} or None, got {name!r}")


def fit_on_train(transformer, x_train: np.ndarray, *others: Optional[np.ndarray]):
    """Fit ``transformer`` on the training rows only; return it and every array transformed
    (float32), ``None`` passed through."""
    transformer.fit(x_train)
    out = [transformer.transform(x_train).astype(np.float32)]
    out += [None if x is None else transformer.transform(x).astype(np.float32) for x in others]
    return (transformer, *out)


def corrupt_positions(x: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """A copy of ``x`` with ``round(fraction * x.size)`` positions, drawn uniformly without
    replacement over the whole array, replaced by values drawn from U[0, 1] (seed 000,
    problem 1c: the denoising autoencoder's corrupted inputs)."""
    if not 0.0 <= fraction <= 1.0:
        raise DataError(f"corruption must be a fraction in [0, 1], got {fraction}")
    out = np.array(x, dtype=np.float32, copy=True)
    flat = out.reshape(-1)
    k = int(round(fraction * flat.size))
    where = rng.choice(flat.size, size=k, replace=False)
    flat[where] = rng.uniform(0.0, 1.0, size=k).astype(np.float32)
    return out
