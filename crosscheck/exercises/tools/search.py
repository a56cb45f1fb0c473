"""Bayesian hyperparameter search (apa-p6-nasdaq-logreg, apa-p6-nasdaq-mlp, fp-tuning; issue 12).

The documents ask for "exploración bayesiana" with cross-validation (seed 000, problem 3) and for
an automated search shown in TensorBoard's HParams dashboard (seed 003, 4.2). The project uses
Optuna's TPE sampler: the exercise declares its search space (``Exercise.search``), and the SAME
space drives the scikit-learn model, the Lightning network and the Keras builder.

- Objective: mean accuracy over ``folds`` stratified folds of the training split (scikit-learn's
  ``StratifiedKFold``, unshuffled, as ``cross_val_score(cv=k)``), or, with ``folds=1``, the
  accuracy on the last 20% of the training split (a Keras ``validation_split``: the holdout
  protocol of seed 003 for networks too slow to cross-validate).
- Then the best hyperparameters are trained on the whole training split and evaluated on the
  test split: CV and test accuracy, confusion matrix, ROC curve, classification report.
- One study per label (``label``: price-up and volume-up for NASDAQ) and per framework, named
  ``<exercise id>/<label>/<framework>``. ``--trials N`` is the study's total of finished
  trials; ``--storage sqlite:///study.db`` (or any database URL Optuna takes) shares a study
  between processes or machines: run the same command in each, they stop together once N trials
  have finished. Without a storage the study lives in memory and its sampler is seeded (one
  process: reproducible); with a storage the sampler is not seeded, so that concurrent processes
  do not draw the same points.
- Every trial writes its hyperparameters and CV accuracy to TensorBoard's HParams view
  (``search/<label>-<framework>/tensorboard/trial-<n>``); ``trials.csv`` lists them all.
"""

from __future__ import annotations

import csv
import dataclasses
import os
from typing import Optional

import numpy as np

from ..spec import Exercise, network_settings
from . import register

#: Data of the NASDAQ problem (both of its exercises): the MLP's config, problem 3's preparation.
NASDAQ_CONFIG = "apa.nasdaq_mlp"


def suggest(trial, space: dict) -> dict:
    """Optuna's suggestion for every entry of a declared space: ``("log", low, high)``,
    ``("float", low, high)``, ``("int", low, high)``, ``("choice", [values])``."""
    values = {}
    for name, (kind, *args) in space.items():
        if kind == "log":
            values[name] = trial.suggest_float(name, args[0], args[1], log=True)
        elif kind == "float":
            values[name] = trial.suggest_float(name, args[0], args[1])
        elif kind == "int":
            values[name] = trial.suggest_int(name, args[0], args[1])
        elif kind == "choice":
            values[name] = trial.suggest_categorical(name, list(args[0]))
        else:
            raise ValueError(f"unknown search kind {kind!r} for {name} (log, float, int, choice)")
    return values


def network_hparams(values: dict) -> dict:
    """Search values -> network hyperparameters: ``neurons`` and ``layers`` become
    ``hidden_units`` (each layer half the previous one: 64, 32, ...); the rest pass through."""
    values = dict(values)
    if "neurons" in values or "layers" in values:
        neurons, layers = values.pop("neurons", 64), values.pop("layers", 1)
        values["hidden_units"] = [max(1, neurons // 2 ** i) for i in range(layers)]
    return values


@dataclasses.dataclass
class Data:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    batch_size: int


def load_data(exercise: Exercise, options, label_value: Optional[str]) -> Data:
    """The training and test arrays (no validation split: the search makes its own folds) of the
    search's config (``search["config"]``, else the exercise's network's), with the label option
    ``search["per"]`` set to ``label_value``, and ``--max-rows`` applied as the runner does."""
    import datamodules

    from ..runner import first_rows, with_data_dir

    settings = network_settings(exercise.search.get("config", exercise.networks[0]))
    data = {k: v for k, v in settings["data"].items() if k not in ("val_split", "validate_on_test")}
    data.update(exercise.data)
    if label_value is not None:
        data[exercise.search["per"]] = label_value
    cls = datamodules.datamodule_class(exercise.dataset or settings["dataset"])
    data = with_data_dir(cls, data, options.data_dir)
    splits = cls(**data).load_splits()
    if options.max_rows:
        splits = first_rows(splits, options.max_rows)
    return Data(splits.x_train, splits.y_train, splits.x_test, splits.y_test, data.get("batch_size") or 32)


def _labels(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    return y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y))


def folds(y: np.ndarray, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, validation rows) of each fold: ``StratifiedKFold(k)`` unshuffled, or for
    ``k == 1`` the last 20% of the rows as validation (Keras' validation_split)."""
    n = len(y)
    if k == 1:
        cut = n - max(1, int(round(0.2 * n)))
        return [(np.arange(cut), np.arange(cut, n))]
    from sklearn.model_selection import StratifiedKFold

    return list(StratifiedKFold(k).split(np.zeros(n), _labels(y)))


# -- one model, one set of hyperparameters: fit on rows, score on others ------------------------
def fit_predict(framework: str, exercise: Exercise, hparams: dict, data: Data, train_rows, epochs: int,
                seed: int, x_eval: np.ndarray) -> np.ndarray:
    """Train on ``data.x_train[train_rows]`` and return the predicted probabilities of ``x_eval``
    (positive class for a binary problem, all classes otherwise)."""
    x, y = data.x_train[train_rows], data.y_train[train_rows]
    if framework == "scikit-learn":
        from lightning_models.regression import nasdaq_logreg

        model = nasdaq_logreg(**hparams).fit(x, _labels(y))
        return model.predict_proba(x_eval)[:, 1]
    network = exercise.networks[0]
    hparams = {**network_settings(network)["model"], **exercise.model, **hparams}
    if framework == "lightning":
        import lightning.pytorch as pl
        import torch

        import lightning_models
        from datamodules.lightning_data import ArrayDataModule
        from lightning_models.training import fit

        from ..runner import predict_lightning

        pl.seed_everything(seed, verbose=False)
        model = lightning_models.build(network, **hparams)
        module = _arrays_module(ArrayDataModule, x, y, data.batch_size, seed)
        fit(model, module, epochs, enable_model_summary=False)
        model.eval()
        with torch.no_grad():
            out = predict_lightning(model, x_eval, data.batch_size)
    else:
        import keras_reference
        from keras_reference.training import fit as keras_fit
        from keras_reference.training import seed_keras

        seed_keras(seed)
        model = keras_reference.build(network, **hparams)
        keras_fit(model, x, y, epochs, batch_size=data.batch_size)
        out = model.predict(x_eval, batch_size=data.batch_size, verbose=0)
    out = np.asarray(out)
    return out.reshape(len(out)) if out.ndim == 2 and out.shape[1] == 1 else out


def _arrays_module(base, x, y, batch_size, seed):
    from datamodules.arrays import ArraySplits

    class Arrays(base):
        """The search's fold as a DataModule (the same in-memory batching as every dataset)."""

        def load_splits(self):
            return ArraySplits(x_train=x, y_train=y)

    return Arrays(batch_size=batch_size, shuffle_seed=seed)


def predicted_labels(probabilities: np.ndarray) -> np.ndarray:
    p = np.asarray(probabilities)
    return p.argmax(axis=1) if p.ndim == 2 else (p > 0.5).astype(int)


def accuracy(probabilities: np.ndarray, y: np.ndarray) -> float:
    return float((predicted_labels(probabilities) == _labels(y)).mean())


# -- the study ------------------------------------------------------------------------------------
def run_study(exercise: Exercise, options, framework: str, label_value: Optional[str], out_dir: str) -> dict:
    """One study (see the module docstring); returns the summary row."""
    import optuna

    from lightning_models.tensorboard import log_hparams

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    search = exercise.search
    data = load_data(exercise, options, label_value)
    seed = (options.seeds or exercise.seeds)[0]
    epochs = 0 if framework == "scikit-learn" else (
        options.epochs or search.get("epochs") or network_settings(exercise.networks[0])["epochs"])
    k = search.get("folds", 5)
    splits = folds(data.y_train, k)
    space = search["baseline"] if framework == "scikit-learn" and "baseline" in search else search["space"]

    def objective(trial) -> float:
        values = suggest(trial, space)
        hparams = values if framework == "scikit-learn" else network_hparams(values)
        scores = [accuracy(fit_predict(framework, exercise, hparams, data, train, epochs, seed,
                                       data.x_train[valid]), data.y_train[valid])
                  for train, valid in splits]
        score = float(np.mean(scores))
        log_hparams(os.path.join(out_dir, "tensorboard", f"trial-{trial.number}"),
                    {"framework": framework, **values}, {"cv_accuracy": score})
        return score

    sampler = optuna.samplers.TPESampler(seed=None if options.storage else seed)
    name = f"{exercise.id}/{label_value or 'default'}/{framework}"
    study = optuna.create_study(study_name=name, storage=options.storage, sampler=sampler,
                                direction="maximize", load_if_exists=True)
    total = options.trials or search.get("trials", 20)
    finished = optuna.trial.TrialState.COMPLETE
    if len(study.get_trials(states=(finished,))) < total:
        study.optimize(objective, n_trials=total,
                       callbacks=[optuna.study.MaxTrialsCallback(total, states=(finished,))])
    write_trials(study, os.path.join(out_dir, "trials.csv"))
    best = study.best_trial
    hparams = best.params if framework == "scikit-learn" else network_hparams(best.params)
    probabilities = fit_predict(framework, exercise, hparams, data, np.arange(len(data.y_train)),
                                epochs, seed, data.x_test)
    from .. import reports

    truth, predicted = _labels(data.y_test), predicted_labels(probabilities)
    row = {"label": label_value or "-", "framework": framework, "trials": len(study.get_trials(states=(finished,))),
           "best": ", ".join(f"{k}={_short(v)}" for k, v in best.params.items()),
           "cv_accuracy": best.value, "test_accuracy": float((truth == predicted).mean())}
    from sklearn.metrics import classification_report

    with open(os.path.join(out_dir, "classification_report.txt"), "w") as f:
        f.write(classification_report(truth, predicted, digits=4, zero_division=0))
    reports.write_confusion_matrix(truth, predicted, out_dir, f"{name} (test)")
    if probabilities.ndim == 1:
        row.update({k.removeprefix("test_"): v for k, v in
                    reports.binary_metrics(truth, predicted, probabilities, out_dir).items()})
    return row


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def write_trials(study, path: str) -> None:
    trials = study.get_trials(deepcopy=False)
    names = sorted({name for trial in trials for name in trial.params})
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["number", "state", "cv_accuracy", *names])
        for trial in trials:
            writer.writerow([trial.number, trial.state.name, trial.value,
                             *(trial.params.get(name, "") for name in names)])


@register("bayesian_search")
def bayesian_search(exercise: Exercise, options, rows: list) -> list[str]:
    """Every study of the exercise (labels x frameworks, with the logistic baseline where the
    exercise declares one) and ``search.md``, their table side by side."""
    search = exercise.search
    if not search:
        raise ValueError(f"{exercise.id} declares no search space")
    # scikit-learn's model is the same in both frameworks: its study runs whatever --framework says
    frameworks = [fw for fw in exercise.frameworks if fw == "scikit-learn" or fw in options.frameworks]
    if search.get("baseline"):
        frameworks = ["scikit-learn"] + frameworks
    folder = os.path.join(options.out, exercise.id)
    summary = []
    for label_value in search.get("values", [None]):
        for framework in frameworks:
            out_dir = os.path.join(folder, "search", f"{label_value or 'default'}-{framework}")
            os.makedirs(out_dir, exist_ok=True)
            row = run_study(exercise, options, framework, label_value, out_dir)
            row["folder"] = os.path.relpath(out_dir, folder)
            summary.append(row)
            options.log(f"search {label_value or ''} {framework}: best CV accuracy "
                        f"{row['cv_accuracy']:.4f}, test accuracy {row['test_accuracy']:.4f} ({row['best']})")
    from ..reports import results_markdown

    cols = ["label", "framework", "trials", "cv_accuracy", "test_accuracy", "roc_auc", "best", "folder"]
    with open(os.path.join(folder, "search.md"), "w") as f:
        f.write(f"# {exercise.id}: Bayesian search (Optuna TPE, "
                f"{'holdout 20%' if search.get('folds', 5) == 1 else str(search.get('folds', 5)) + '-fold CV'})\n\n")
        f.write(results_markdown(summary, [c for c in cols if any(c in r for r in summary)]))
    return ["search.md"]
