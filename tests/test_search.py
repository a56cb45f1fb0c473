"""The Bayesian search of the NASDAQ and tuning exercises (crosscheck/exercises/tools/search.py):
its numbers checked against scikit-learn, its HParams entries, and one study shared by two
processes through an Optuna storage."""

import csv
import os
import subprocess
import sys

import numpy as np
import pytest

from crosscheck.exercises import lookup
from crosscheck.exercises.runner import Options, run
from crosscheck.exercises.tools import search

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _trials(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_logreg_search_numbers_are_scikit_learns(tmp_path):
    """The best trial's CV accuracy is cross_val_score's for that C; the test accuracy, the
    confusion matrix and the HParams entries agree with the files."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    from lightning_models.tensorboard import read_hparams

    exercise = lookup("apa-p6-nasdaq-logreg")
    options = Options(out=str(tmp_path), trials=4, log=lambda line: None)
    run(exercise, options)
    folder = tmp_path / exercise.id
    table = (folder / "search.md").read_text()
    assert "| price | scikit-learn | 4 |" in table and "| volume | scikit-learn | 4 |" in table
    trials = _trials(folder / "search" / "price-scikit-learn" / "trials.csv")
    assert [t["state"] for t in trials] == ["COMPLETE"] * 4
    best = max(trials, key=lambda t: float(t["cv_accuracy"]))
    data = search.load_data(exercise, options, "price")
    expected = cross_val_score(LogisticRegression(C=float(best["C"]), max_iter=1000),
                               data.x_train, data.y_train.ravel(), cv=5).mean()
    assert float(best["cv_accuracy"]) == pytest.approx(expected, abs=1e-12)
    with open(folder / "search" / "price-scikit-learn" / "confusion_matrix.csv", newline="") as f:
        matrix = np.array([row[1:] for row in list(csv.reader(f))[1:]], dtype=int)
    assert matrix.sum() == len(data.y_test)
    hparams, metrics = read_hparams(str(folder / "search" / "price-scikit-learn" / "tensorboard" / "trial-0"))
    assert hparams["C"] == pytest.approx(float(trials[0]["C"]))
    assert metrics["cv_accuracy"] == pytest.approx(float(trials[0]["cv_accuracy"]), abs=1e-6)


def test_suggest_and_hidden_units():
    import optuna

    trial = optuna.trial.FixedTrial({"neurons": 64, "layers": 3, "C": 0.5})
    values = search.suggest(trial, {"neurons": ("choice", [32, 64]), "layers": ("int", 1, 3),
                                    "C": ("log", 1e-4, 1e4)})
    assert search.network_hparams(values) == {"hidden_units": [64, 32, 16], "C": 0.5}
    with pytest.raises(ValueError, match="unknown search kind"):
        search.suggest(trial, {"C": ("uniformish", 0, 1)})


@pytest.mark.slow
def test_two_processes_share_one_study(tmp_path):
    """Two concurrent processes on one sqlite study finish its trials together, none repeated."""
    import optuna

    storage = f"sqlite:///{tmp_path / 'study.db'}"
    for label in ("price", "volume"):  # made first: two processes creating one sqlite schema race
        optuna.create_study(study_name=f"apa-p6-nasdaq-logreg/{label}/scikit-learn", storage=storage,
                            direction="maximize")
    command = [sys.executable, "-m", "lightning_models", "exercise", "apa-p6-nasdaq-logreg",
               "--trials", "8", "--storage", storage]
    env = {**os.environ, "PYTHONPATH": ROOT, "OMP_NUM_THREADS": "1"}
    processes = [subprocess.Popen([*command, "--out", str(tmp_path / f"out{i}")], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in range(2)]
    outputs = [p.communicate(timeout=600) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    for label in ("price", "volume"):
        study = optuna.load_study(study_name=f"apa-p6-nasdaq-logreg/{label}/scikit-learn", storage=storage)
        done = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
        # each process stops once 8 have finished; a trial the other one had started still ends
        assert 8 <= len(done) <= 9
        assert len({t.number for t in done}) == len(done)
        assert len({t.params["C"] for t in done}) == len(done)  # no point drawn twice


@pytest.mark.slow
def test_mlp_search_runs_both_frameworks_beside_the_baseline(tmp_path):
    exercise = lookup("apa-p6-nasdaq-mlp")
    options = Options(out=str(tmp_path), trials=1, epochs=1, max_points=1, max_rows=300,
                      log=lambda line: None)
    run(exercise, options)
    table = (tmp_path / exercise.id / "search.md").read_text()
    for label in ("price", "volume"):
        for framework in ("scikit-learn", "lightning", "keras"):
            assert f"| {label} | {framework} | 1 |" in table
    rows = [line for line in table.splitlines() if line.startswith("| price | lightning")]
    cv, test = (float(x) for x in rows[0].split("|")[4:6])
    assert 0.0 <= cv <= 1.0 and 0.0 <= test <= 1.0
