"""Tabular datasets: digits (8x8, with the denoising-autoencoder corruption), iris, sonar,
optdigits and the Kaggle shipping table.

digits and iris ship with scikit-learn (offline). sonar and optdigits are UCI files read from
``data_dir`` and downloaded (``urllib``) only with ``download=True``; the UCI repository
publishes no checksums for them, so a download is verified by its content instead (row and
class counts documented by UCI and by the slides of seed 004; optdigits' test part must equal
scikit-learn's bundled copy of it). The shipping table needs a Kaggle login: the user gives
the CSV's path.
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np

from .arrays import ArraySplits, DataError
from .common import (corrupt, corrupt_positions, data_dirs, default_data_dir, download as fetch,
                     find_file, fit_on_train, make_scaler, not_found, one_hot as to_one_hot,
                     read_csv, require_columns, split)


# -- digits ----------------------------------------------------------------------------------
def load_digits(data_dir: Optional[str] = None, download: bool = False, test_size: float = 0.3,
                split_seed: int = 0, scale: bool = True, one_hot: bool = False,
                corruption: Optional[float] = None, copies: int = 1, corrupt_test: bool = False,
                corruption_seed: int = 0) -> ArraySplits:
    """scikit-learn's digits: 1797 images of 8x8 as 64 values in 0..16 (bundled, offline).

    Seed 000 problem 1: a 70/30 split and scaling to [0, 1] by dividing by 16 (the pixels'
    maximum). The document does not fix the split's seed; the project uses
    ``train_test_split(test_size=0.3, random_state=split_seed)`` with ``split_seed=0``
    (1257 / 540).

    The denoising autoencoder (problem 1c) trains on corrupted inputs to reproduce the clean
    ones: ``corruption=0.1`` or ``0.3`` replaces that fraction of the training values (positions
    drawn at random over the whole array) by draws of U[0, 1]; ``copies=2`` is the "doubled
    data": two copies of the training set, each corrupted independently (project's reading of
    "concatenate two copies ... with 10% and 30% corruption"). The test inputs stay clean
    unless ``corrupt_test=True``. The clean arrays (tiled like the inputs) are in
    ``info["clean_inputs"]`` (``train``/``test``), which ``targets='inputs'`` of the
    DataModule uses as targets; ``y_*`` keep the digit labels (repeated ``copies`` times).
    ``data_dir`` and ``download`` are accepted for a uniform API; the data ships with scikit-learn.
    """
    from sklearn.datasets import load_digits as sklearn_digits

    x, y = sklearn_digits(return_X_y=True)
    x = x.astype(np.float32) / 16.0 if scale else x.astype(np.float32)
    x_train, x_test, y_train, y_test = split(x, y.astype(np.int64), test_size, split_seed)
    info = {"source": "sklearn.datasets.load_digits", "scale": 16.0 if scale else 1.0,
            "class_names": [str(d) for d in range(10)], "image_shape": (8, 8)}
    if corruption is None:
        if copies != 1 or corrupt_test:
            raise DataError("copies and corrupt_test need a corruption fraction (e.g. 0.1)")
    else:
        if int(copies) < 1:
            raise DataError(f"copies must be >= 1, got {copies}")
        rng = np.random.default_rng(corruption_seed)
        clean_train = np.concatenate([x_train] * int(copies))
        y_train = np.concatenate([y_train] * int(copies))
        clean_test = x_test
        x_train = corrupt_positions(clean_train, corruption, rng)
        if corrupt_test:
            x_test = corrupt_positions(clean_test, corruption, rng)
        info.update(corruption=float(corruption), copies=int(copies),
                    clean_inputs={"train": clean_train, "test": clean_test})
    if one_hot:
        y_train, y_test = to_one_hot(y_train, 10), to_one_hot(y_test, 10)
    return ArraySplits(x_train, y_train, x_test, y_test, info=info)


# -- iris ------------------------------------------------------------------------------------
def load_iris(data_dir: Optional[str] = None, download: bool = False, one_hot: bool = True,
              test_size: Optional[float] = None, split_seed: int = 0, stratify: bool = False,
              scaler: Optional[str] = None) -> ArraySplits:
    """Iris: 150 flowers x 4 measurements, 3 species (seed 004 slides; bundled in scikit-learn).

    The slides binarise the labels with ``LabelBinarizer`` for every variant (MSE, binary and
    categorical cross-entropy): ``one_hot=True`` (float32) by default. They fit and evaluate on
    the same 150 rows (``model.fit(X, T)``, ``model.evaluate(X, T)``), so with
    ``test_size=None`` the test arrays are the training arrays; give ``test_size`` (and
    ``split_seed``, ``stratify``) for a split.
    ``scaler='standard'``/``'minmax'`` optionally scales, fitted on the training rows only.
    """
    from sklearn.datasets import load_iris as sklearn_iris

    bunch = sklearn_iris()
    x, y = bunch.data.astype(np.float32), bunch.target.astype(np.int64)
    names = [f"Iris-{n}" for n in bunch.target_names]
    if test_size is None:
        x_train, y_train, x_test, y_test = x, y, x, y
    else:
        x_train, x_test, y_train, y_test = split(x, y, test_size, split_seed, stratify)
    info = {"source": "sklearn.datasets.load_iris", "class_names": names,
            "feature_names": list(bunch.feature_names), "test_is_train": test_size is None}
    if scaler:
        info["scaler"], x_train, x_test = fit_on_train(make_scaler(scaler), x_train, x_test)
    if one_hot:
        y_train, y_test = to_one_hot(y_train, 3), to_one_hot(y_test, 3)
    return ArraySplits(x_train, y_train, x_test, y_test, info=info)


# -- UCI text tables (sonar, optdigits) ------------------------------------------------------
UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases/"


def _is_header(cells) -> bool:
    """A first row of column names: text, or the numbers 0..n-1 / 1..n pandas writes."""
    try:
        values = [float(c) for c in cells]
    except ValueError:
        return True
    return values in (list(range(len(values))), list(range(1, len(values) + 1)))


def _read_uci_table(path: str, n_columns: int):
    """A comma-separated table without header; a header line (as the slides' CSVs may have)
    is skipped. The last column is the label, the others are numbers."""
    frame = read_csv(path, header=None, dtype=str)
    if frame.shape[1] != n_columns:
        raise corrupt(path, f"{frame.shape[1]} columns, expected {n_columns}")
    if len(frame) and _is_header(frame.iloc[0, :-1]):
        frame = frame.iloc[1:].reset_index(drop=True)
    if frame.empty:
        raise corrupt(path, "no data rows")
    return frame


def _numeric(frame, path: str, what: str) -> np.ndarray:
    try:
        return frame.astype(np.float64).to_numpy()
    except (ValueError, TypeError) as err:
        raise corrupt(path, f"non-numeric {what}", err) from err


SONAR_FILES = ("sonar.all-data", "sonar.csv", "Sonar.csv", "sonar.all-data.csv")
SONAR_URL = UCI + "undocumented/connectionist-bench/sonar/sonar.all-data"


def load_sonar(data_dir: Optional[str] = None, download: bool = False, test_size: float = 0.3,
               split_seed: int = 0, stratify: bool = False,
               scaler: Optional[str] = None) -> ArraySplits:
    """UCI Sonar (Gorman & Sejnowski): 208 sonar returns x 60 energies in [0, 1], Mine vs Rock
    (seed 004, "Roca o mina": 70% train, 30% test).

    Reads ``sonar.all-data`` (UCI's name) or ``Sonar.csv`` (the slides' name) from ``data_dir``;
    ``download=True`` fetches UCI's file and checks it holds 208 rows, 111 mines and 97 rocks
    (UCI publishes no checksum). Labels: Mine (``M``) = 1, Rock (``R``) = 0 (project's choice).
    """
    searched = data_dirs(data_dir, default_data_dir("sonar"))
    path = find_file(searched, SONAR_FILES)
    if path is None and download:
        path = fetch(SONAR_URL, os.path.join(data_dir or default_data_dir("sonar"), SONAR_FILES[0]))
        _check_sonar_download(path)
    if path is None:
        raise not_found("sonar", searched, f"put UCI's sonar.all-data (or the slides' Sonar.csv) "
                                           f"in data_dir, or pass download=True ({SONAR_URL})", data_dir)
    frame = _read_uci_table(path, 61)
    x = _numeric(frame.iloc[:, :60], path, "features").astype(np.float32)
    labels = frame.iloc[:, 60].astype(str).str.strip().str.upper().str[0]
    if not labels.isin(["M", "R"]).all():
        raise corrupt(path, f"labels must be M (mine) or R (rock), found {sorted(set(labels))[:5]}")
    y = (labels == "M").to_numpy().astype(np.int64)
    x_train, x_test, y_train, y_test = split(x, y, test_size, split_seed, stratify)
    info = {"source": path, "class_names": ["Rock", "Mine"]}
    if scaler:
        info["scaler"], x_train, x_test = fit_on_train(make_scaler(scaler), x_train, x_test)
    return ArraySplits(x_train, y_train, x_test, y_test, info=info)


def _check_sonar_download(path: str) -> None:
    frame = _read_uci_table(path, 61)
    counts = frame.iloc[:, 60].value_counts().to_dict()
    if len(frame) != 208 or counts.get("M") != 111 or counts.get("R") != 97:
        raise corrupt(path, f"expected UCI's 208 rows (111 M, 97 R), got {len(frame)} {counts}")


OPTDIGITS_FILES = {"train": ("optdigits.tra", "optdigits_train.csv"),
                   "test": ("optdigits.tes", "optdigits_test.csv")}
OPTDIGITS_URLS = {"train": UCI + "optdigits/optdigits.tra", "test": UCI + "optdigits/optdigits.tes"}
# class counts of optdigits.tra: the row sums of the slides' training confusion matrix (seed 004)
OPTDIGITS_TRAIN_COUNTS = [376, 389, 380, 389, 387, 376, 377, 387, 380, 382]


def _read_optdigits(path: str):
    frame = _read_uci_table(path, 65)
    values = _numeric(frame, path, "values")
    if values.min() < 0 or values[:, :64].max() > 16 or values[:, 64].max() > 9:
        raise corrupt(path, "optdigits values must be 0..16 and labels 0..9")
    return values[:, :64].astype(np.float32), values[:, 64].astype(np.int64)


def _check_optdigits_download(paths: dict) -> None:
    from sklearn.datasets import load_digits as sklearn_digits

    _, y_train = _read_optdigits(paths["train"])
    if np.bincount(y_train, minlength=10).tolist() != OPTDIGITS_TRAIN_COUNTS:
        raise corrupt(paths["train"], f"expected UCI's 3823 rows with class counts "
                                      f"{OPTDIGITS_TRAIN_COUNTS}")
    x_test, y_test = _read_optdigits(paths["test"])
    x_ref, y_ref = sklearn_digits(return_X_y=True)
    if x_test.shape != x_ref.shape or not (np.array_equal(x_test, x_ref)
                                           and np.array_equal(y_test, y_ref)):
        raise corrupt(paths["test"], "differs from scikit-learn's copy of optdigits.tes")


def load_optdigits(data_dir: Optional[str] = None, download: bool = False,
                   source: str = "uci", one_hot: bool = True, scale: bool = False,
                   test_size: float = 0.3, split_seed: int = 0) -> ArraySplits:
    """UCI optdigits: 8x8 digits as 64 counts 0..16; 3823 train (30 writers) / 1797 test
    (13 other writers) (seed 004, "Reconocedor de dígitos": ``optdigits_train.csv`` /
    ``optdigits_test.csv``; one-hot labels for the softmax MLP).

    ``source='uci'`` reads ``optdigits.tra``/``.tes`` (or the slides' CSV names) from
    ``data_dir``; ``download=True`` fetches them from UCI and checks their content (class counts
    of the training part; the test part must equal scikit-learn's copy).
    ``source='sklearn_digits_standin'``: an OFFLINE STAND-IN, not the real split: the 1797
    digits bundled with scikit-learn (which are optdigits' test part) split 70/30 with
    ``train_test_split(test_size, random_state=split_seed)``.
    ``scale=True`` divides by 16.
    """
    if source == "sklearn_digits_standin":
        splits = load_digits(test_size=test_size, split_seed=split_seed, scale=scale,
                             one_hot=one_hot)
        splits.info["source"] = ("STAND-IN: sklearn.datasets.load_digits (optdigits' 1797 test "
                                 "digits) split 70/30, not UCI's 3823/1797 split")
        return splits
    if source != "uci":
        raise DataError(f"source must be 'uci' or 'sklearn_digits_standin', got {source!r}")
    searched = data_dirs(data_dir, default_data_dir("optdigits"))
    paths = {part: find_file(searched, names) for part, names in OPTDIGITS_FILES.items()}
    if None in paths.values() and download:
        target = data_dir or default_data_dir("optdigits")
        paths = {part: fetch(url, os.path.join(target, OPTDIGITS_FILES[part][0]))
                 for part, url in OPTDIGITS_URLS.items()}
        _check_optdigits_download(paths)
    if None in paths.values():
        raise not_found("optdigits", searched,
                        "put UCI's optdigits.tra and optdigits.tes (or the slides' "
                        "optdigits_train.csv/optdigits_test.csv) in data_dir, pass download=True "
                        f"({UCI}optdigits/), or use source='sklearn_digits_standin'", data_dir)
    x_train, y_train = _read_optdigits(paths["train"])
    x_test, y_test = _read_optdigits(paths["test"])
    if scale:
        x_train, x_test = x_train / 16.0, x_test / 16.0
    if one_hot:
        y_train, y_test = to_one_hot(y_train, 10), to_one_hot(y_test, 10)
    return ArraySplits(x_train, y_train, x_test, y_test,
                       info={"source": f"{paths['train']}, {paths['test']}",
                             "class_names": [str(d) for d in range(10)], "image_shape": (8, 8),
                             "scale": 16.0 if scale else 1.0})


# -- shipping (Kaggle "E-commerce Shipping Data") --------------------------------------------
SHIPPING_TARGET = "Reached.on.Time_Y.N"
SHIPPING_CATEGORIES = {  # the document's get_dummies columns, in pandas' (sorted) order
    "Warehouse_block": ["A", "B", "C", "D", "F"],
    "Mode_of_Shipment": ["Flight", "Road", "Ship"],
    "Product_importance": ["high", "low", "medium"],
}
SHIPPING_COLUMNS = ["ID", "Warehouse_block", "Mode_of_Shipment", "Customer_care_calls",
                    "Customer_rating", "Cost_of_the_Product", "Prior_purchases",
                    "Product_importance", "Gender", "Discount_offered", "Weight_in_gms",
                    SHIPPING_TARGET]
SHIPPING_HOW = ("download Train.csv of Kaggle's \"E-Commerce Shipping Data\" "
                "(kaggle datasets download -d prachi13/customer-analytics; a Kaggle login is "
                "needed) and pass its path, or put it in data_dir")


def encode_shipping(frame, path: str = "Train.csv"):
    """Seed 001's preprocessing: drop ``ID``; ``Gender`` F/M -> 0/1; one-hot (``get_dummies``)
    ``Warehouse_block``, ``Mode_of_Shipment``, ``Product_importance`` appended at the end; the
    target ``Reached.on.Time_Y.N`` taken out. Returns ``(X, y)`` frames, X with 18 columns."""
    import pandas as pd

    require_columns(frame, SHIPPING_COLUMNS, path)
    data = frame.drop(columns="ID")
    gender = data["Gender"].map({"F": 0, "M": 1})
    if gender.isna().any():
        raise corrupt(path, f"Gender must be F or M, found {sorted(set(data['Gender']))[:5]}")
    data["Gender"] = gender.astype(np.int64)
    for column, categories in SHIPPING_CATEGORIES.items():
        unknown = set(data[column]) - set(categories)
        if unknown:
            raise corrupt(path, f"unexpected {column} values {sorted(map(str, unknown))[:5]}")
        dummies = pd.get_dummies(pd.Categorical(data[column], categories=categories),
                                 prefix=column).set_index(data.index)
        data = pd.concat([data, dummies], axis=1).drop(columns=column)
    y = data[SHIPPING_TARGET]
    x = data.drop(columns=SHIPPING_TARGET)
    return x, y


def load_shipping(data_dir: Optional[str] = None, download: bool = False,
                  path: Optional[str] = None, scaler: Optional[str] = "standard",
                  train_size: float = 0.7, split_seed: int = 1) -> ArraySplits:
    """Kaggle "E-commerce Shipping Data" ``Train.csv`` (10999 orders; seed 001, fp.shipping_dnn).

    ``path`` is the CSV (default ``data_dir/Train.csv``); Kaggle needs a login, so there is no
    download. Preprocessing as the notebook: :func:`encode_shipping` (18 inputs),
    ``train_test_split(X, y, train_size=0.7, shuffle=True, random_state=1)`` (7699 / 3300;
    ``random_state`` is ``split_seed``) and a ``StandardScaler`` fitted on the training rows
    (``scaler=None`` keeps raw values).
    Labels: 1 = NOT reached on time (Kaggle's coding of ``Reached.on.Time_Y.N``).
    """
    from sklearn.model_selection import train_test_split

    searched = data_dirs(data_dir, default_data_dir("shipping"))
    if path is None:
        path = find_file(searched, ("Train.csv", "train.csv"))
    elif not os.path.isfile(path):
        raise not_found("shipping", [path], SHIPPING_HOW)
    if path is None:
        raise not_found("shipping", searched, SHIPPING_HOW + (
            " (download=True cannot help: Kaggle requires a login)" if download else ""), data_dir)
    x, y = encode_shipping(read_csv(path), path)
    try:
        values = x.to_numpy(dtype=np.float32)
        labels = y.to_numpy(dtype=np.int64)
    except (ValueError, TypeError) as err:
        raise corrupt(path, "non-numeric values in numeric columns", err) from err
    if np.isnan(values).any():
        raise corrupt(path, "missing values")
    x_train, x_test, y_train, y_test = train_test_split(values, labels, train_size=train_size,
                                                        shuffle=True, random_state=split_seed)
    info = {"source": path, "feature_names": list(x.columns),
            "class_names": ["reached on time (0)", "not on time (1)"]}
    if scaler:
        info["scaler"], x_train, x_test = fit_on_train(make_scaler(scaler), x_train, x_test)
    return ArraySplits(x_train, y_train, x_test, y_test, info=info)
