"""Text datasets: IMDB reviews (Keras' word-id version) and the US airline tweets.

IMDB is read from Keras' own ``imdb.npz`` and reproduces ``keras.datasets.imdb.load_data``
exactly (its shuffle with seed 113, ``start_char=1``, ``oov_char=2``, ``index_from=3``,
``num_words``); ``download=True`` fetches that file from Keras' URL and checks Keras' SHA-256.

The airline tweets follow ``apafib.load_sentiment`` step by step (its tokenizer, vocabulary,
zero left-padding and ordered 80/10/10 split), so a Kaggle ``Tweets.csv`` or apafib's
``Airlines.csv`` read offline gives the arrays the course's function gives online.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections import Counter
from typing import Optional

import numpy as np

from .arrays import ArraySplits, DataError
from .common import (corrupt, data_dirs, default_data_dir, download as fetch, find_file,
                     keras_cache_dir, not_found, read_csv, read_npz)

# -- IMDB ------------------------------------------------------------------------------------
IMDB_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz"
IMDB_SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"  # Keras' hash


def imdb_sequences(path: str, num_words: Optional[int] = 10000, skip_top: int = 0,
                   seed: int = 113, start_char: Optional[int] = 1, oov_char: Optional[int] = 2,
                   index_from: int = 3):
    """``keras.datasets.imdb.load_data(...)`` computed from the ``imdb.npz`` at ``path``, with
    Keras' argument names (``seed`` orders the reviews of each part):
    ``(x_train, y_train), (x_test, y_test)`` with object arrays of word-id lists."""
    raw = read_npz(path, ["x_train", "y_train", "x_test", "y_test"])
    rng = np.random.RandomState(seed)
    parts = []
    for part in ("train", "test"):
        x, y = raw["x_" + part], np.asarray(raw["y_" + part])
        if len(x) != len(y):
            raise corrupt(path, f"x_{part} and y_{part} differ in length ({len(x)} vs {len(y)})")
        order = np.arange(len(x))
        rng.shuffle(order)
        parts.append((x[order], y[order]))
    try:
        seqs = [np.asarray(s, dtype=np.int64).reshape(-1) + index_from
                for x, _ in parts for s in x]
    except (TypeError, ValueError) as err:
        raise corrupt(path, "reviews are not lists of integer word ids", err) from err
    if start_char is not None:
        seqs = [np.concatenate([[start_char], s]) for s in seqs]
    if not num_words:
        num_words = max(int(s.max()) for s in seqs if len(s))
    if oov_char is not None:
        seqs = [np.where((s >= skip_top) & (s < num_words), s, oov_char) for s in seqs]
    else:
        seqs = [s[(s >= skip_top) & (s < num_words)] for s in seqs]
    n_train = len(parts[0][0])
    as_lists = np.empty(len(seqs), dtype=object)
    as_lists[:] = [s.tolist() for s in seqs]
    return (as_lists[:n_train], parts[0][1]), (as_lists[n_train:], parts[1][1])


def multi_hot(sequences, dimension: int) -> np.ndarray:
    """Seed 003's ``vectorize_sequences``: row i has 1.0 at every word id of review i (float32)."""
    out = np.zeros((len(sequences), dimension), dtype=np.float32)
    lengths = [len(s) for s in sequences]
    if sum(lengths):
        rows = np.repeat(np.arange(len(sequences)), lengths)
        out[rows, np.concatenate([np.asarray(s, dtype=np.int64) for s in sequences])] = 1.0
    return out


def load_imdb(data_dir: Optional[str] = None, download: bool = False, num_words: int = 10000,
              multi_hot_vectors: bool = True, validation_size: Optional[int] = 10000,
              split_seed: int = 113) -> ArraySplits:
    """IMDB reviews, 25000 train / 25000 test, positive = 1 (seed 003, fp.imdb_mlp*).

    Reads ``imdb.npz`` from ``data_dir`` or Keras' cache (``~/.keras/datasets``);
    ``download=True`` fetches Keras' file and verifies its SHA-256.

    Args:
        num_words: keep the ``num_words`` most frequent words (``imdb.load_data(num_words=10000)``).
        multi_hot_vectors: the document's multi-hot vectors of ``num_words`` float32 values
            (1 GB per 25000 reviews); ``False`` returns the word-id lists (object arrays).
        validation_size: the first ``validation_size`` training rows become the validation set
            (``x_val = x_train[:10000]``, ``partial_x_train = x_train[10000:]``): 15000 / 10000.
            ``None`` or 0 keeps all 25000 for training.
        split_seed: Keras' ``load_data(seed=113)``, the shuffle of the reviews that decides
            which training reviews form the validation set.
    Labels are float32 (``np.asarray(train_labels).astype('float32')``).
    """
    searched = data_dirs(data_dir, default_data_dir("imdb"), keras_cache_dir())
    path = find_file(searched, ["imdb.npz"])
    if path is None and download:
        path = fetch(IMDB_URL, os.path.join(data_dir or default_data_dir("imdb"), "imdb.npz"),
                     IMDB_SHA256, "sha256")
    if path is None:
        raise not_found("imdb", searched, f"pass download=True (Keras' imdb.npz, SHA-256-checked) "
                                          f"or put imdb.npz from {IMDB_URL} in data_dir", data_dir)
    (x_train, y_train), (x_test, y_test) = imdb_sequences(path, num_words, seed=split_seed)
    if multi_hot_vectors:
        x_train, x_test = multi_hot(x_train, num_words), multi_hot(x_test, num_words)
    y_train, y_test = y_train.astype(np.float32), y_test.astype(np.float32)
    x_val = y_val = None
    if validation_size:
        if not 0 < validation_size < len(x_train):
            raise DataError(f"validation_size must be in 1..{len(x_train) - 1}, "
                            f"got {validation_size}")
        x_val, y_val = x_train[:validation_size], y_train[:validation_size]
        x_train, y_train = x_train[validation_size:], y_train[validation_size:]
    return ArraySplits(x_train, y_train, x_test, y_test, x_val, y_val,
                       info={"source": path, "num_words": num_words,
                             "class_names": ["negative", "positive"]})


# -- US airline tweets -----------------------------------------------------------------------
SENTIMENT_FILES = ("Airlines.csv", "Airlines.zip", "Tweets.csv")
SENTIMENT_LABEL_COLUMNS = ("twsentiment", "airline_sentiment")  # apafib's / Kaggle's name
SENTIMENT_HOW = ("pass download=True (needs `pip install apafib` and internet: "
                 "apafib.load_sentiment), or download Tweets.csv of Kaggle's \"Twitter US "
                 "Airline Sentiment\" (kaggle datasets download -d crowdflower/twitter-airline-"
                 "sentiment) and pass its path or put it in data_dir")


def tweet_words(text: str) -> list[str]:
    """apafib's ``tweet_to_words``: letters and ``@`` only, lower case, ``@mentions`` dropped."""
    letters_only = re.sub("[^a-zA-Z@]", " ", str(text))
    return [w for w in letters_only.lower().split() if not w.startswith("@")]


def encode_tweets(texts, labels, nwords: int, train_size: float = 0.8):
    """``apafib.load_sentiment``'s arrays from tweet texts and 0/1 labels.

    Vocabulary: the ``nwords`` most frequent words of ALL tweets (ties in order of first
    appearance), ids 1..nwords; other words dropped; tweets left without words dropped;
    ids left-padded with zeros to the longest tweet. Split in file order: the first
    ``int(n * train_size)`` rows train, the rest halved into validation then test.
    Returns ``(x_train, y_train, x_val, y_val, x_test, y_test), vocabulary``.
    """
    words = [tweet_words(t) for t in texts]
    counts = Counter(w for ws in words for w in ws)
    vocab = sorted(counts, key=counts.get, reverse=True)[:nwords]
    vocab_to_int = {word: i for i, word in enumerate(vocab, 1)}
    ints = [[vocab_to_int[w] for w in ws if w in vocab_to_int] for ws in words]
    keep = [i for i, row in enumerate(ints) if row]
    labels = np.asarray(labels, dtype=np.int64)[keep]
    ints = [ints[i] for i in keep]
    if not ints:
        raise DataError("no tweet has a word of the vocabulary")
    seq_len = max(len(row) for row in ints)
    features = np.zeros((len(ints), seq_len), dtype=np.int64)
    for i, row in enumerate(ints):
        features[i, -len(row):] = row
    split_idx = int(len(features) * train_size)
    rest_x, rest_y = features[split_idx:], labels[split_idx:]
    test_idx = int(len(rest_x) * 0.5)
    arrays = (features[:split_idx], labels[:split_idx], rest_x[:test_idx], rest_y[:test_idx],
              rest_x[test_idx:], rest_y[test_idx:])
    return arrays, vocab_to_int


def _read_tweets(path: str):
    if path.endswith(".zip"):
        try:
            with zipfile.ZipFile(path) as archive:
                member = next((n for n in archive.namelist() if n.endswith(".csv")), None)
                if member is None:
                    raise corrupt(path, "no .csv inside the archive")
                frame = read_csv(io.BytesIO(archive.read(member)), name=f"{path}:{member}")
        except (zipfile.BadZipFile, OSError, EOFError) as err:
            raise corrupt(path, "not a readable zip archive", err) from err
    else:
        frame = read_csv(path)
    label_column = next((c for c in SENTIMENT_LABEL_COLUMNS if c in frame.columns), None)
    if label_column is None or "text" not in frame.columns:
        raise corrupt(path, "needs a 'text' column and a sentiment column "
                            f"({' or '.join(SENTIMENT_LABEL_COLUMNS)})")
    sentiment = frame[label_column].astype(str).str.strip().str.lower()
    if not sentiment.isin(["negative", "neutral", "positive"]).all():
        raise corrupt(path, f"sentiments must be negative/neutral/positive, found "
                            f"{sorted(set(sentiment))[:5]}")
    return frame["text"].fillna("").astype(str).tolist(), (sentiment != "negative").astype(int)


#: Padded tweet length of the airline-sentiment exercise (seed 000, problem 4): the document's
#: ``train_x.shape[1]``, the longest tweet in words (project's choice of 36); both frameworks'
#: sentiment networks default to it; pass ``sequence_length=train_x.shape[1]`` for your data.
TWEET_LENGTH = 36


def load_airline_sentiment(data_dir: Optional[str] = None, download: bool = False,
                           path: Optional[str] = None, nwords: int = 500,
                           train_size: float = 0.8,
                           split_seed: Optional[int] = None) -> ArraySplits:
    """US airline tweets as word ids, negative vs positive+neutral (seed 000, individual problem 4).

    Labels as apafib codes them: negative = 0, positive or neutral = 1. Inputs: int64 word ids
    in 1..nwords, zero-left-padded to the longest tweet (the documents' ``nwords`` are 500, 1500
    and 3000); train / validation / test = 80% / 10% / 10% in file order (see
    :func:`encode_tweets`).

    Sources: ``path`` or ``data_dir`` holding apafib's ``Airlines.csv`` (or ``Airlines.zip``) or
    Kaggle's ``Tweets.csv``; ``download=True`` calls ``apafib.load_sentiment(nwords,
    train_size)`` itself (needs the ``apafib`` package and internet; apafib has no checksums).
    ``split_seed`` shuffles the rows of a CSV before encoding and splitting (``None``, the
    default, keeps file order as apafib does, and apafib's download is never shuffled; Kaggle's
    file is ordered by airline, so a seed is advisable).
    """
    searched = data_dirs(data_dir, default_data_dir("airline_sentiment"))
    if path is not None and not os.path.isfile(path):
        raise not_found("airline_sentiment", [path], SENTIMENT_HOW)
    path = path or find_file(searched, SENTIMENT_FILES)
    info = {"class_names": ["negative", "positive or neutral"], "nwords": nwords}
    if path is None and download:
        try:
            from apafib import load_sentiment
        except ImportError as err:
            raise DataError(f"download=True needs the apafib package ({err}); "
                            "`pip install apafib`") from err
        arrays = load_sentiment(nwords, train_size=train_size)
        info["source"] = f"apafib.load_sentiment({nwords}, train_size={train_size})"
    elif path is None:
        raise not_found("airline_sentiment", searched, SENTIMENT_HOW, data_dir)
    else:
        texts, labels = _read_tweets(path)
        if split_seed is not None:
            order = np.random.default_rng(split_seed).permutation(len(texts))
            texts, labels = [texts[i] for i in order], np.asarray(labels)[order]
        arrays, info["vocabulary"] = encode_tweets(texts, labels, nwords, train_size)
        info["source"] = path
    x_train, y_train, x_val, y_val, x_test, y_test = (np.asarray(a) for a in arrays)
    return ArraySplits(x_train.astype(np.int64), y_train.astype(np.int64),
                       x_test.astype(np.int64), y_test.astype(np.int64),
                       x_val.astype(np.int64), y_val.astype(np.int64), info=info)
