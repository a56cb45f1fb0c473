"""Reader for the IDX files of MNIST and Fashion-MNIST (``*-idx3-ubyte[.gz]``).

Written here rather than taken from torchvision because torchvision's reader only opens the
uncompressed files it extracts itself, while the Debian package ``dataset-fashion-mnist`` ships
the original ``.gz`` files; this reader takes both and says which file is corrupt or truncated.
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from .arrays import DataError

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str) -> np.ndarray:
    """The array stored in an IDX file (gzip-compressed or not)."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as err:
        raise DataError(f"cannot read {path}: {err}; delete it and fetch the file again") from err
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number); fetch it again")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_DTYPES[data[2]])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        raise DataError(f"{path} is truncated or corrupt: {len(data)} bytes, expected {expected} "
                        f"for shape {shape}; delete it and fetch it again")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str, array: np.ndarray) -> None:
    """Write ``array`` (uint8) as an IDX file, gzip-compressed when ``path`` ends in ``.gz``.
    Used by the tests to build fixtures in the real format."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    opener = gzip.open if path.endswith(".gz") else open
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())
