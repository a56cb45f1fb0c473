"""The exercises' tools of issue 12, items 6-7 (crosscheck/exercises/tools/keras_api.py,
building_blocks.py), run through the exercise runner and their tables read back, and the
TensorBoard folders fp-fashion-tensorboard's runs write (its output, no tool of its own)."""

import glob
import os

import pytest

from conftest import fashion_available
from crosscheck.exercises import EXERCISES, runner
from crosscheck.exercises.runner import Options
from crosscheck.exercises.tools import TOOLS


def quick(out, **changes):
    return Options(**{"out": str(out), "epochs": 1, "seeds": (0,), "max_points": 1,
                      "log": lambda line: None, **changes})


def tables(path) -> list[list[dict]]:
    """Every markdown table of the file, each a list of ``{header: cell}`` rows."""
    found, header = [], None
    with open(path) as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else None
            if cells is None:
                header = None
            elif header is None:
                header = cells
                found.append([])
            elif not set(line.strip()) <= set("|-"):
                found[-1].append(dict(zip(header, cells)))
    return found


def run_tool(exercise_id, tmp_path, name):
    assert runner.run(EXERCISES[exercise_id], quick(tmp_path)) == []  # trains nothing
    return tables(os.path.join(tmp_path, exercise_id, name))


def test_the_tools_are_registered_and_tensorboard_run_is_no_tool():
    assert {"keras_api", "building_blocks"} <= set(TOOLS)
    assert EXERCISES["fp-fashion-tensorboard"].tool is None
    for exercise_id in ("slides-iris-weights", "slides-iris-definitions", "apa-guide"):
        assert EXERCISES[exercise_id].tool == "keras_api"


def test_iris_weights_and_the_four_round_trips(tmp_path):
    weights, trips = run_tool("slides-iris-weights", tmp_path, "keras_api.md")
    assert [(r["layer"], r["Keras shape"]) for r in weights] == [
        ("Oculto", "(4, 2)"), ("Oculto", "(2,)"), ("salida", "(2, 3)"), ("salida", "(3,)")]
    assert all(r["Keras shape"] == r["Lightning shape"] and float(r["max abs(keras - lightning)"]) == 0
               for r in weights)
    assert len(trips) == 4 and {r["framework"] for r in trips} == {"keras", "lightning"}
    assert all(float(r["max abs(before - after)"]) == 0 for r in trips)
    for row in trips:
        assert os.path.getsize(os.path.join(tmp_path, "slides-iris-weights", "keras_api", row["file (keras_api/)"])) > 0


def test_iris_seven_definitions(tmp_path):
    (rows,) = run_tool("slides-iris-definitions", tmp_path, "keras_api.md")
    assert len(rows) == 7
    for r in rows:
        assert r["Keras params"] == r["Lightning params"] == "19", r
        assert r["same layer rows"] == "yes" and r["Lightning-only rows"] == "-", r
        assert r["Keras-only rows"] in ("-", "FunO (Activation)"), r
        assert float(r["forward max abs(keras - lightning)"]) < 1e-5


def test_guide_summaries_and_labels(tmp_path):
    mlp, two_branch = run_tool("apa-guide", tmp_path, "keras_api.md")
    assert [r["rule"] for r in mlp] == ["argmax"] and [r["rule"] for r in two_branch] == ["> 0.5", "> 0.5"]
    assert all(r["equal"] == "yes" and r["Keras labels"] == r["Lightning labels"] for r in mlp + two_branch)
    with open(os.path.join(tmp_path, "apa-guide", "keras_api.md")) as f:
        text = f.read()
    assert "Parameters: Keras 34,994, Lightning 34,994." in text
    assert "Parameters: Keras 59,778, Lightning 59,778." in text


def test_building_blocks_tables(tmp_path):
    activations, losses, networks = run_tool("fp-building-blocks", tmp_path, "building_blocks.md")
    absent = {r["name"] for r in activations if r["note"] == "not a Keras activation"}
    assert absent == {"step", "sinc"}
    checked = [r for r in activations if r["name"] not in absent]
    assert len(checked) == 11 and all(float(r["max abs(keras - torch)"]) < 1e-5 for r in checked)
    assert [r["loss"] for r in losses] == [
        "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
        "mean_squared_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error"]
    assert all(float(r["abs(difference)"]) < 1e-5 * max(1.0, float(r["Keras"])) for r in losses)
    counts = {r["network"]: (int(r["Keras params"]), int(r["Lightning params"])) for r in networks}
    assert counts["fp.perceptron"] == (4, 4)
    assert len(counts) == 4 and all(k == t for k, t in counts.values())
    assert all(float(r["forward max abs(keras - lightning)"]) < 1e-5 for r in networks)


@pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST not installed")
def test_fashion_tensorboard_runs_write_weight_histograms(tmp_path):
    """One epoch on 200 rows: each run's tensorboard/ has a histogram of every weight (Lightning's
    WeightHistograms as histograms, Keras' TensorBoard(histogram_freq=1) as histogram tensors)
    and the loss scalars."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    rows = runner.run(EXERCISES["fp-fashion-tensorboard"], quick(tmp_path, max_rows=200))
    assert sorted(r["framework"] for r in rows) == ["keras", "lightning"]
    found = {}
    for row in rows:
        folder = os.path.join(tmp_path, "fp-fashion-tensorboard", row["run_dir"], "tensorboard")
        histograms, scalars = set(), set()
        for events in {os.path.dirname(p) for p in glob.glob(os.path.join(folder, "**", "events*"), recursive=True)}:
            acc = EventAccumulator(events, size_guidance={"histograms": 0, "tensors": 0, "scalars": 0})
            acc.Reload()
            tags = acc.Tags()
            histograms |= set(tags["histograms"])
            histograms |= {t for t in tags["tensors"] if acc.SummaryMetadata(t).plugin_data.plugin_name == "histograms"}
            scalars |= set(tags["scalars"]) | {t for t in tags["tensors"] if "loss" in t}
        found[row["framework"]] = histograms
        assert any("loss" in s for s in scalars), (row["framework"], scalars)
    assert sorted(found["lightning"]) == ["net/hidden1/bias", "net/hidden1/weight", "net/output/bias",
                                          "net/output/weight"]
    # Keras prefixes the model's name, "sequential_<n>" after other models in the process
    assert sorted(t.split("/", 1)[1] for t in found["keras"]) == [
        "hidden1/bias/histogram", "hidden1/kernel/histogram", "output/bias/histogram", "output/kernel/histogram"]
