"""Trained-metric parity (issue 11, item 2; crosscheck/trained.py): every network whose data is
offline, trained in BOTH frameworks from their own random starts with its document's settings
(configs/<catalog id>.yaml) over several seeds, reaches the same mean result, with a spread no
larger than measured, and the document's figure where the document reports one.

``test_trained_parity[<case>]``: the means agree within ``max(floor, 4 x measured spread x
sqrt(2 / n))``, each framework's standard deviation stays below ``3 x spread + floor``, and for the
iris variants the collapse rates agree (crosscheck/trained.py says why these bounds).
``test_trained_parity_document[<case>]``: fp.fashion_mlp's test accuracy 0.8724, the dropout
network's epoch-5 val_accuracy 0.878-0.880, optdigits' train accuracy ~0.98 and the linear
autoencoder at the PCA(2) reconstruction error.

Each case trains once per test module (the two tests of a case share its runs).
"""

import pytest

from crosscheck.trained import CASES, available, measure

from conftest import fashion_available

pytestmark = pytest.mark.slow

FASHION_HINT = "Fashion-MNIST not installed: apt-get install dataset-fashion-mnist"


@pytest.fixture(scope="module")
def measured():
    """case id -> crosscheck.trained.measure(case id), filled on first use."""
    return {}


def _measure(measured: dict, case_id: str) -> dict:
    if case_id not in measured:
        case = CASES[case_id]
        if case.exercise.data_name == "fashion_mnist" and not fashion_available():
            pytest.skip(FASHION_HINT)
        if not available(case_id):
            pytest.skip(f"{case_id}: its data is not on this machine")
        measured[case_id] = measure(case_id)
        result = measured[case_id]
        print(f"\n{case_id} ({result['what']}, {result['seconds']} s): "
              f"Lightning {result['lightning_mean']:.5g} +- {result['lightning_sd']:.2g}, "
              f"Keras {result['keras_mean']:.5g} +- {result['keras_sd']:.2g}, "
              f"difference {result['difference']:+.2g} (tolerance {result['tolerance']:.2g})"
              + (f"; collapsed: Lightning {result['collapsed_lightning']}, Keras "
                 f"{result['collapsed_keras']} of {len(result['seeds'])}"
                 if "collapsed_keras" in result else ""))
    return measured[case_id]


@pytest.mark.parametrize("case_id", list(CASES))
def test_trained_parity(measured, case_id):
    result = _measure(measured, case_id)
    assert abs(result["difference"]) <= result["tolerance"], result
    for framework in ("keras", "lightning"):
        assert result[f"{framework}_sd"] <= result["spread_bound"], (framework, result)
    if CASES[case_id].collapse:
        n = len(result["seeds"])
        difference = abs(result["collapsed_lightning"] - result["collapsed_keras"]) / n
        assert difference <= result["collapse_tolerance"], result
    assert result["passed"]


@pytest.mark.parametrize("case_id", [i for i, case in CASES.items() if case.figure is not None])
def test_trained_parity_document(measured, case_id):
    result = _measure(measured, case_id)
    print(f"document: {result['document']}")
    assert result["document_passed"], result
