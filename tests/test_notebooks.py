"""The notebooks (issue 13): one per document, jupytext percent-format sources in notebooks/.

Each is executed cell by cell in a fresh Jupyter kernel of this interpreter (jupytext ->
nbformat -> nbclient) with ``KLP_QUICK=1`` (a few hundred rows, one or two epochs, offline
data); a cell that raises fails the test. The fast tests check their form.
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys

import pytest

NOTEBOOKS = sorted(glob.glob(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                          "notebooks", "seed*.py")))


def test_one_notebook_per_document():
    assert [os.path.basename(p)[:7] for p in NOTEBOOKS] == [f"seed00{i}" for i in range(5)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_notebook_source_is_a_percent_notebook_with_both_frameworks(path):
    import jupytext

    notebook = jupytext.read(path)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    assert markdown[0].startswith(f"# Seed {os.path.basename(path)[4:7]}")
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    source = "\n".join(code)
    # the project's import order: the Lightning side before Keras (triton before TensorFlow)
    assert source.index("import lightning_models") < source.index("import keras_reference")
    for call in ("keras_reference.build(", "lightning_models.build(", "crosscheck."):
        assert call in source, call
    assert 'os.environ.get("KLP_QUICK")' in source


def _kernel(tmp_path) -> str:
    """A kernel spec for this very interpreter (the venv's), found first on JUPYTER_PATH."""
    folder = tmp_path / "jupyter" / "kernels" / "klp-test"
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "klp test", "language": "python"}))
    return str(tmp_path / "jupyter")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_notebook_runs(path, tmp_path, monkeypatch):
    import jupytext
    import nbclient

    monkeypatch.setenv("JUPYTER_PATH", _kernel(tmp_path))
    monkeypatch.setenv("KLP_QUICK", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    notebook = jupytext.read(path)
    work = tmp_path / "work"  # the notebooks' working folder (Lightning may write logs there)
    work.mkdir()
    nbclient.NotebookClient(notebook, kernel_name="klp-test", timeout=600,
                            resources={"metadata": {"path": str(work)}}).execute()  # raises on a cell's error
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) >= 1, "the notebook shows no plot"
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    # every forward-parity figure the notebook prints is within the parity tests' bound
    for value in re.findall(r"forward max \|(?:keras - lightning|diff)\|:? ([0-9.e+-]+)", text):
        assert float(value) <= 1e-5, value
