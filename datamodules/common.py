"""What the loaders share: where files are looked for, one-line errors, verified downloads,
reading pickles without running them, and preprocessing fitted on the training split only.

A loader given a ``data_dir`` looks there and nowhere else (a mistyped folder is an error, not
a silent read of another copy); without one (``data_dir=None``) it searches the project's
download folder, then the known offline locations of its dataset (the Debian Fashion-MNIST
package, Keras' cache ``~/.keras/datasets``, scikit-learn's ``~/scikit_learn_data``). It
downloads only when called with ``download=True``. When nothing is found it raises a
:class:`DataError` whose single line names the folders it looked in and the exact way to obtain
the data.

Pickles (CIFAR-10's batches, object arrays in ``.npz`` files, scikit-learn's Olivetti cache)
are read by :class:`NumpyOnlyUnpickler`: NumPy arrays and plain values only, so nothing a data
file names is ever imported or run.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import inspect
import io
import os
import pickle
import shutil
import urllib.request
import zipfile
import zlib
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


def data_dirs(data_dir: Optional[str], *defaults: Optional[str]) -> list[str]:
    """Where a loader looks: an explicit ``data_dir`` only, else the ``defaults`` (the project's
    download folder and the dataset's known offline locations), in order."""
    if data_dir is not None:
        return [os.fspath(data_dir)]
    return search_dirs(*defaults)


def find_file(dirs: Iterable[str], names: Sequence[str]) -> Optional[str]:
    """The first ``dir/name`` that is a file, trying every name in each folder in turn."""
    for d in dirs:
        for name in names:
            path = os.path.join(d, name)
            if os.path.isfile(path):
                return path
    return None


def not_found(dataset: str, searched: Sequence[str], how: str,
              data_dir: Optional[str] = None) -> DataError:
    """The one-line error for missing data: where we looked and how to get the data. With an
    explicit ``data_dir`` (the only place looked in) it says so, and whether the folder exists."""
    if data_dir is not None:
        path = os.fspath(data_dir)
        state = "" if os.path.isdir(path) else ", a folder that does not exist"
        return DataError(f"{dataset} data not found in data_dir {path} ({os.path.abspath(path)}"
                         f"{state}); {how} (an explicit data_dir is the only folder searched: "
                         "leave it unset for the default locations)")
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


# -- pickles that cannot run code ------------------------------------------------------------
def _numpy_function(module: str, name: str):
    """``numpy._core.<module>.<name>`` (NumPy 2), or ``numpy.core...`` (NumPy 1)."""
    try:
        return getattr(importlib.import_module("numpy._core." + module), name)
    except ImportError:
        return getattr(importlib.import_module("numpy.core." + module), name)


def _latin1_encode(text, encoding: str = "utf-8") -> bytes:
    """``_codecs.encode`` as protocol-2 pickles of ``bytes`` use it (latin-1 only)."""
    if not isinstance(text, str) or encoding.lower().replace("_", "-") not in ("latin1", "latin-1",
                                                                               "iso-8859-1"):
        raise pickle.UnpicklingError(f"_codecs.encode with {encoding!r} is not allowed in a "
                                     "dataset file")
    return text.encode("latin-1")


#: What a dataset pickle may name: how NumPy pickles arrays, dtypes and scalars (NumPy 1 and 2
#: module names, pickle protocols 2 to 5), and how protocol 2 pickles ``bytes``.
NUMPY_PICKLE_GLOBALS = {
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
    **{(f"numpy.{core}.multiarray", name): (lambda name=name: _numpy_function("multiarray", name))
       for core in ("core", "_core") for name in ("_reconstruct", "scalar")},
    **{(f"numpy.{core}.numeric", "_frombuffer"): (lambda: _numpy_function("numeric", "_frombuffer"))
       for core in ("core", "_core")},
    ("_codecs", "encode"): lambda: _latin1_encode,
}


def _refuse(module: str, name: str):
    raise pickle.UnpicklingError(f"refusing {module}.{name}: not allowed in a dataset file "
                                 "(only NumPy arrays and plain values are)")


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays, dtypes, scalars and plain values (dicts, lists, numbers, strings,
    bytes) and nothing else: a pickle naming any other class or function (``os.system``,
    ``builtins.open``...) is refused before anything runs (Python's "restricting globals")."""

    def find_class(self, module, name):
        allowed = NUMPY_PICKLE_GLOBALS.get((module, name))
        return allowed() if allowed is not None else _refuse(module, name)


def load_numpy_pickle(file, encoding: str = "ASCII"):
    """``pickle.load(file, encoding=...)`` through :class:`NumpyOnlyUnpickler`; ``encoding="bytes"``
    reads Python 2 pickles (CIFAR-10's batches) with ``bytes`` keys."""
    return NumpyOnlyUnpickler(file, encoding=encoding).load()


def read_joblib_array(path: str) -> np.ndarray:
    """The NumPy array of a ``joblib.dump`` file (scikit-learn's caches, e.g. Olivetti's
    ``olivetti_py3.pkz``, zlib- or gzip-compressed or plain), read through joblib's own
    unpickler restricted as :class:`NumpyOnlyUnpickler`: joblib's array records and NumPy
    only, no object arrays. Raises ``pickle.UnpicklingError`` (or ``ValueError``/``EOFError``/
    ``zlib.error``) for anything else."""
    from joblib.numpy_pickle import NumpyArrayWrapper, NumpyUnpickler

    class PlainArray(NumpyArrayWrapper):
        def read_array(self, unpickler, *args, **kwargs):
            if self.dtype.hasobject:  # an object array is a nested pickle: not in a dataset file
                raise pickle.UnpicklingError("object arrays are not allowed in a dataset file")
            return super().read_array(unpickler, *args, **kwargs)

    class Restricted(NumpyUnpickler):
        def find_class(self, module, name):
            if (module, name) == ("joblib.numpy_pickle", "NumpyArrayWrapper"):
                return PlainArray
            allowed = NUMPY_PICKLE_GLOBALS.get((module, name))
            return allowed() if allowed is not None else _refuse(module, name)

    with open(path, "rb") as f:
        data = f.read()
    if data[:1] == b"\x78":  # joblib's default compression (compress=1..9): a zlib stream
        data = zlib.decompress(data)
    elif data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    elif data[:1] != b"\x80":  # an uncompressed pickle starts with its protocol opcode
        raise pickle.UnpicklingError("not a joblib file (zlib, gzip or plain pickle)")
    options = ({"ensure_native_byte_order": True} if "ensure_native_byte_order" in
               inspect.signature(NumpyUnpickler.__init__).parameters else {})
    array = Restricted(path, io.BytesIO(data), **options).load()
    if not isinstance(array, np.ndarray):
        raise pickle.UnpicklingError(f"holds a {type(array).__name__}, not a NumPy array")
    return array


def _read_npy(buffer: io.BytesIO) -> np.ndarray:
    try:
        return np.lib.format.read_array(buffer, allow_pickle=False)
    except ValueError:  # an object array: its payload is a pickle of numpy objects
        buffer.seek(0)
        major, _ = np.lib.format.read_magic(buffer)
        read_header = (np.lib.format.read_array_header_1_0 if major == 1
                       else np.lib.format.read_array_header_2_0)
        read_header(buffer)
        return load_numpy_pickle(buffer)


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
