"""Trajectory parity for every catalog network (issue 11, item 1; crosscheck/trajectory.py).

Each case builds the Keras model of a catalog id, copies its weights into the LightningModule
and trains both for a few epochs with the network's own compile settings (loss, optimiser,
metrics, regularisers) on the same batches in the same order (one NumPy permutation per epoch):
Keras with its own ``fit``, Lightning with lightning_models.training.fit. Every per-epoch value
the Lightning History logs (loss, metrics, val_*) and every final weight must match Keras'.

The cases (data, batch sizes, epochs, hyperparameters) and the tolerances, with their
measurements, are in crosscheck/trajectory_cases.py: the parity report
(``python -m lightning_models parity-report``) runs the same ones.

Dropout networks train with rate 0 here; their ``-dropout_on`` cases compare dropout on.
EarlyStopping networks run with their document's monitor (patience shortened, best weights
restored) on a validation set that makes the curve turn: same stopped epoch, same best epoch,
same restored weights. The ``-float64`` cases run both frameworks in double precision, where
rounding no longer hides a difference in the arithmetic (crosscheck/trajectory.py).
"""

from __future__ import annotations

import pytest

import lightning_models
from crosscheck.trajectory import (dropout_losses, history_differences, largest_change,
                                   mean_z_score, transferred_pair, weight_differences)
from crosscheck.trajectory_cases import (CASES, LOSS_TOLERANCE, ROUNDING_ONLY_WEIGHTS,
                                         SD_RATIO, WEIGHT_TOLERANCE, Z_BOUND, Case,
                                         dropout_case_losses, half_rate, run_case,
                                         tolerance_class)

from conftest import fashion_available

pytestmark = pytest.mark.slow


def param(case: Case):
    """The case as a pytest parameter named ``<catalog id>[-<variant>]``; its known difference
    (``case.xfail``) as a strict xfail, so that a fix makes it fail until the marker goes."""
    marks = ([pytest.mark.xfail(reason=case.xfail, strict=True, raises=AssertionError)]
             if case.xfail else [])
    return pytest.param(case, id=case.name, marks=marks)


def skip_without_data(case: Case) -> None:
    if case.dataset == "fashion_mnist" and not fashion_available():
        pytest.skip("Fashion-MNIST not installed: apt-get install dataset-fashion-mnist")


def test_every_catalog_network_has_a_trajectory_case():
    """Every LightningModule id (all but the scikit-learn apa.nasdaq_logreg) is covered."""
    assert sorted({c.entry_id for c in CASES}) == sorted(lightning_models.CATALOG)
    assert "apa.nasdaq_logreg" not in lightning_models.CATALOG
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", [param(c) for c in CASES])
def test_trajectory_parity(case):
    skip_without_data(case)
    if case.dropout_rows:
        return check_dropout_on(case)
    keras_run, torch_run, keras_model, torch_model, data, start = run_case(case)
    assert torch_run.epochs_run == keras_run.epochs_run
    differences = history_differences(keras_run.history, torch_run.history)
    weights = weight_differences(keras_model, torch_model)
    if case.dtype == "float32":
        for name in ROUNDING_ONLY_WEIGHTS.get(case.entry_id, ()):
            del weights[name]
    worst = max(weights, key=weights.get)
    kind = tolerance_class(case, torch_model)
    print(f"{case.name}: {keras_run.epochs_run} epochs; "
          + ", ".join(f"{k} {v:.1e}" for k, v in differences.items())
          + f"; weights {weights[worst]:.1e} ({worst})")
    for key, difference in differences.items():
        keras_values, ours = keras_run.history[key], torch_run.history[key]
        if key.removeprefix("val_") in ("accuracy", "acc"):
            rows = len(data.x_val) if key.startswith("val_") else len(data.x)
            assert max(abs(a - b) for a, b in zip(keras_values, ours)) <= 1 / rows + 1e-9, (
                key, keras_values, ours)
        else:
            assert difference <= LOSS_TOLERANCE[kind], (key, keras_values, ours)
    assert weights[worst] <= WEIGHT_TOLERANCE[kind], weights
    assert largest_change(keras_model, start) > 1e-3  # training really moved the weights
    if case.early_stopping is not None:
        # the validation data was made to stop it: the same epoch, the same best epoch, and the
        # final weights compared above are the restored best ones on both sides
        assert 0 < keras_run.stopped_epoch and keras_run.epochs_run < case.epochs
        assert torch_run.stopped_epoch == keras_run.stopped_epoch
        assert torch_run.best_epoch == keras_run.best_epoch


# ---------------------------------------------------------------------------------------------
# Dropout on (DRAWS masks per framework; the bounds Z_BOUND, SD_RATIO: trajectory_cases.py)
# ---------------------------------------------------------------------------------------------
def check_dropout_on(case: Case):
    """Dropout on, from the same weights: the training-mode loss of one batch under DRAWS
    masks has the same mean and spread in both frameworks (the masks cannot be shared)."""
    keras_model, keras_losses, torch_losses, x, y = dropout_case_losses(case)
    z = mean_z_score(keras_losses, torch_losses)
    ratio = keras_losses.std() / torch_losses.std()
    print(f"{case.name}: keras {keras_losses.mean():.5f} +- {keras_losses.std():.5f}, lightning "
          f"{torch_losses.mean():.5f} +- {torch_losses.std():.5f}, z {z:.2f}, sd ratio {ratio:.3f}")
    assert keras_losses.std() > 0 and abs(z) <= Z_BOUND and 1 / SD_RATIO <= ratio <= SD_RATIO
    # the same check against a network with half the rate fails: it can see a wrong one
    _, wrong_rate = transferred_pair(case.entry_id, seed=0, **half_rate(case))
    _, wrong = dropout_losses(keras_model, wrong_rate, x, y, len(keras_losses))
    assert (keras_losses.std() / wrong.std() > 1.5
            or abs(mean_z_score(keras_losses, wrong)) > Z_BOUND)
