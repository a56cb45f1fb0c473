"""The parity report (issue 11, item 3): ``python -m lightning_models parity-report``.

A quick report for three networks of different kinds (a binary MLP with Adam, a CNN with
BatchNormalization, the two-branch Gaussian NLL network with L2 on the wages stand-in) has every level with a number
within its tolerance, keeps the slow trained-metric entries of the file, and agrees with the
committed results/parity.json; ``--markdown`` prints the README's table from that file; an
unknown id is a one-line error, exit status 2.
"""

from __future__ import annotations

import json
import os

import pytest

from conftest import fashion_available

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMITTED = os.path.join(ROOT, "results", "parity.json")
#: The README's parity table sits between these markers (section "Catalog status").
MARKERS = ("<!-- parity-table -->", "<!-- /parity-table -->")
#: Without Fashion-MNIST the CNN with BatchNormalization is the dense one (digits).
IDS = ["slides.sonar_mlp", "fp.conv_batchnorm" if fashion_available() else "fp.dense_batchnorm",
       "apa.wages_gaussian_nll"]
QUICK = ("parameters", "forward", "loss", "optimizer_step", "trajectory")
#: A trained-metric entry in the keys --trained writes (made-up numbers), and an id the run
#: does not measure: both must survive a quick run.
TRAINED = {"metric": "test_accuracy", "keras": 0.8758, "lightning": 0.8729, "difference": -0.0029,
           "tolerance": 0.01, "passed": True, "what": "means over 3 seeds", "measured": "2026-11-24"}
OTHER = {"slides.iris_mlp": {"trajectory": {"value": 1e-7, "passed": True}}}


def run_cli(argv) -> int:
    from crosscheck.cli import main

    try:
        main(argv)
    except SystemExit as exit:
        return exit.code
    return 0


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> dict:
    """A quick report of IDS, written over a file that holds a trained metric and another id."""
    out = tmp_path_factory.mktemp("parity") / "parity.json"
    out.write_text(json.dumps({"networks": {IDS[0]: {"trained_metric": TRAINED}, **OTHER}}))
    assert run_cli(["parity-report", "--out", str(out), "--ids", *IDS]) == 0
    return json.loads(out.read_text())


@pytest.mark.slow
def test_every_level_within_its_tolerance(fresh):
    assert {"keras", "torch", "tensorflow", "lightning"} <= set(fresh["versions"])
    for entry_id in IDS:
        levels = fresh["networks"][entry_id]
        assert set(QUICK) <= set(levels), (entry_id, sorted(levels))
        params = levels["parameters"]
        assert params["keras"] == params["lightning"] > 0 and params["passed"] is True
        for name in QUICK[1:]:
            level = levels[name]
            assert 0 <= level["value"] <= level["tolerance"] and level["passed"] is True, (entry_id, name, level)
            assert level["what"] and level["measured"]
        assert levels["loss"]["keras"] > 0 and levels["optimizer_step"]["optimizer"]
        trajectory = levels["trajectory"]
        assert trajectory["weights"] <= trajectory["weight_tolerance"]
        assert all(case["passed"] for case in trajectory["cases"] if not case["known_difference"])
    # the Gaussian NLL network's known difference (nllike per batch) is listed, and fails
    known = fresh["networks"]["apa.wages_gaussian_nll"]["trajectory"]
    assert known["known_differences"] == ["apa.wages_gaussian_nll-partial_batches"]
    assert [c["passed"] for c in known["cases"] if c["known_difference"]] == [False]


@pytest.mark.slow
def test_quick_run_keeps_trained_metric_and_other_ids(fresh):
    assert fresh["networks"][IDS[0]]["trained_metric"] == TRAINED
    assert fresh["networks"]["slides.iris_mlp"] == OTHER["slides.iris_mlp"]
    from crosscheck.parity_report import catalog_ids

    assert list(fresh["networks"]) == [i for i in catalog_ids() if i in fresh["networks"]]  # catalog order


@pytest.mark.slow
def test_fresh_report_agrees_with_the_committed_one(fresh):
    committed = json.load(open(COMMITTED, encoding="utf-8"))["networks"]
    for entry_id in IDS:
        for name in QUICK:
            ours, theirs = fresh["networks"][entry_id][name], committed[entry_id][name]
            assert ours["passed"] == theirs["passed"], (entry_id, name)
            if "value" in theirs:
                assert abs(ours["value"] - theirs["value"]) <= theirs["tolerance"], (entry_id, name)


def readme_block() -> str:
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    assert MARKERS[0] in readme, f"README.md has no {MARKERS[0]} block (paste `parity-report --markdown`)"
    start = readme.index(MARKERS[0]) + len(MARKERS[0])
    return readme[start:readme.index(MARKERS[1], start)].strip()


def test_markdown_is_the_readme_table(capsys):
    assert run_cli(["parity-report", "--markdown", "--out", COMMITTED]) == 0
    table = capsys.readouterr().out.strip()
    lines = table.splitlines()
    assert len(lines) == 2 + 38 and all(line.count("|") == 8 for line in lines)
    assert "| `apa.nasdaq_logreg` | scikit-learn on both sides |" in table
    assert table == readme_block()


def test_unknown_id_is_a_one_line_error(capsys, tmp_path):
    out = tmp_path / "parity.json"
    assert run_cli(["parity-report", "--out", str(out), "--ids", "fp.fashion_mpl"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("error: unknown catalog id 'fp.fashion_mpl'; did you mean fp.fashion_mlp")
    assert len(err) <= 2 and not out.exists()
