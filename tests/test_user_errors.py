"""A user's mistakes, one row each (issue 8, items 2, 4 and 6; README, "Errors and recovery").

The command-line rows run ``python -m lightning_models`` in a subprocess, in a scratch folder
that sees the repository's configs and no real dataset cache (``KLP_DATA_DIR``, ``KERAS_HOME``
and ``SCIKIT_LEARN_DATA`` point into it; an explicit ``data_dir`` is the only folder a loader
searches). Each asserts the exit status (2: usage or configuration, 1: runtime), that stderr
holds one ``error:`` line, at most one ``hint:`` line and no traceback, the key words of the
message, and that a failed start leaves no run folder. The Python rows call the API and assert
the exception and its key words. The checkpoint and input-shape rows are in
tests/test_checkpoint_errors.py.
"""

from __future__ import annotations

import builtins
import dataclasses
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import pytest

import datamodules
import lightning_models
from datamodules import DataError
from lightning_models.base import KerasCompile
from lightning_models.callbacks import KerasEarlyStopping

from test_datasets import write_cifar

ROOT = Path(__file__).resolve().parents[1]
AE = ["fit", "--config", "configs/apa.autoencoder.yaml", "--trainer.max_epochs", "1"]
ES = ["fit", "--config", "configs/slides.early_stopping.yaml", "--trainer.max_epochs", "1"]
IRIS = ["fit", "--config", "configs/slides.iris_mlp.yaml", "--trainer.max_epochs", "1"]
CIFAR = ["fit", "--config", "configs/slides.cifar10_softmax.yaml", "--trainer.max_epochs", "1"]
FASHION = ["fit", "--config", "configs/fp.fashion_mlp.yaml", "--trainer.max_epochs", "1"]


@dataclasses.dataclass
class Case:
    """One row: the command line (``{tmp}`` is the scratch folder), the exit status, the key
    words of stderr, and what the scratch folder needs before the command runs."""

    name: str
    args: list[str]
    status: int
    words: list[str]
    prepare: Optional[Callable[[Path], None]] = None
    env: dict = dataclasses.field(default_factory=dict)


def crafted_cifar(folder: Path) -> None:
    """A CIFAR-10 folder whose ``data_batch_1`` pickle would create the file ``opened``."""
    batches = write_cifar(str(folder / "cifar"))[0]

    class OpensAFile:
        def __reduce__(self):
            return builtins.open, (str(folder / "opened"), "w")

    with open(os.path.join(batches, "data_batch_1"), "wb") as f:
        pickle.dump({b"data": OpensAFile(), b"labels": [0]}, f, protocol=2)


CLI_CASES = [
    # -- values refused when the objects are built (exit 2, before the model summary) ---------
    Case("unknown optimizer", AE + ["--model.init_args.optimizer", "adamw"], 2,
         ["unknown optimizer 'adamw'", "'adam', 'rmsprop', 'sgd'"]),
    Case("negative learning rate", AE + ["--model.init_args.learning_rate", "-0.01"], 2,
         ["learning_rate must be > 0", "-0.01"]),
    Case("zero learning rate", AE + ["--model.init_args.learning_rate", "0"], 2,
         ["learning_rate must be > 0"]),
    Case("batch_size 0", AE + ["--data.init_args.batch_size", "0"], 2,
         ["batch_size must be an integer >= 1", "None for one full batch", "got 0"]),
    Case("batch_size -5", AE + ["--data.init_args.batch_size", "-5"], 2,
         ["batch_size must be an integer >= 1", "got -5"]),
    Case("batch_size not a number", AE + ["--data.init_args.batch_size", "abc"], 2,
         ["--data.init_args.batch_size", "expected int", "'abc'"]),
    Case("steps_per_execution 0", AE + ["--model.init_args.steps_per_execution", "0"], 2,
         ["steps_per_execution must be an integer >= 1", "got 0"]),
    Case("negative max_epochs", AE + ["--trainer.max_epochs", "-1"], 2,
         ["--trainer.max_epochs must be >= 0", "got -1"]),
    Case("negative patience", ES + ["--trainer.callbacks.patience", "-1"], 2,
         ["KerasEarlyStopping", "patience must be an integer >= 0", "got -1"]),
    Case("unknown activation", AE + ["--model.init_args.activation", "relux"], 2,
         ["unknown activation 'relux'", "'relu'", "'sigmoid'"]),
    Case("unknown loss", IRIS + ["--model.init_args.loss", "msee"], 2,
         ["unknown loss 'msee'", "mean_squared_error"]),
    Case("layer size -4", AE + ["--model.init_args.d1", "-4"], 2, ["d1 must be >= 1", "got -4"]),
    Case("unknown model argument", AE + ["--model.init_args.nonexistent", "3"], 2,
         ["takes no argument 'nonexistent'", "hint: Autoencoder takes d1, d2, activation"]),
    Case("unknown network class", AE + ["--model.class_path",
                                        "lightning_models.autoencoders.Autoencodr"], 2,
         ["--model.class_path", "Autoencodr"]),
    Case("unknown option", AE + ["--nonsense", "1"], 2,
         ["unrecognized arguments", "--nonsense", "hint: python -m lightning_models fit --help"]),
    Case("unknown subcommand", ["fitt"], 2, ["invalid choice: 'fitt'", "'fit'"]),
    # -- summary: ids and hyperparameters checked, the valid names listed (exit 2) -------------
    Case("summary: unknown id", ["summary", "apa.autoencodr"], 2,
         ["unknown catalog id 'apa.autoencodr'", "did you mean apa.autoencoder",
          "hint: catalog ids: ", "slides.sonar_mlp"]),
    Case("summary: d1=abc", ["summary", "apa.autoencoder", "d1=abc"], 2,
         ["d1 must be an integer", "'abc'"]),
    Case("summary: d1=-4", ["summary", "apa.autoencoder", "d1=-4"], 2,
         ["d1 must be >= 1", "-4"]),
    Case("summary: unknown hyperparameter", ["summary", "apa.autoencoder", "nonexistent=3"], 2,
         ["takes no hyperparameter 'nonexistent'", "hint: apa.autoencoder takes d1, d2, activation"]),
    # -- data (exit 1): nothing runs from a data file, an explicit data_dir is the only place ---
    Case("missing data", CIFAR, 1, ["cifar10 data not found", "download=True"]),
    Case("explicit data_dir without the files", FASHION + ["--data.init_args.data_dir", "typo/"],
         1, ["fashion_mnist data not found in data_dir typo/", "does not exist"]),
    Case("crafted CIFAR-10 pickle", CIFAR + ["--data.init_args.data_dir", "{tmp}/cifar"], 1,
         ["data_batch_1 is corrupt", "refusing io.open", "not allowed in a dataset file"],
         prepare=crafted_cifar),
    # -- training (exit 1) -----------------------------------------------------------------
    Case("non-finite loss", ["fit", "--config", "configs/apa.autoencoder.yaml",
                             "--trainer.max_epochs", "2", "--model.init_args.optimizer", "sgd",
                             "--model.init_args.learning_rate", "1e30"], 1,
         ["loss became", "in epoch 1", "lower the learning_rate"]),
]


def run_cli(args: list[str], cwd: Path, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
                   "KLP_DATA_DIR": str(cwd / "klp_data"), "KERAS_HOME": str(cwd / "keras_home"),
                   "SCIKIT_LEARN_DATA": str(cwd / "sklearn_data")}
    environment.pop("KLP_TRACEBACK", None)
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "lightning_models", *args], cwd=cwd,
                          env=environment, capture_output=True, text=True, timeout=600)


@pytest.fixture
def scratch(tmp_path) -> Path:
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    return tmp_path


@pytest.mark.parametrize("case", CLI_CASES, ids=[case.name for case in CLI_CASES])
def test_command_line_mistake(case: Case, scratch: Path):
    if case.prepare:
        case.prepare(scratch)
    run = run_cli([arg.replace("{tmp}", str(scratch)) for arg in case.args], scratch, case.env)
    stderr = run.stderr
    assert run.returncode == case.status, stderr[-3000:]
    assert "Traceback" not in stderr and "Traceback" not in run.stdout, stderr[-3000:]
    lines = stderr.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, stderr[-3000:]
    assert lines[-1] == errors[0] or (lines[-1].startswith("hint: ") and lines[-2] == errors[0])
    assert sum(line.startswith("hint: ") for line in lines) <= 1
    for word in case.words:
        assert word in stderr, f"{word!r} not in {stderr[-2000:]!r}"
    # nothing ran or was written: no run folder, no file opened by a crafted pickle (a
    # non-finite loss keeps the folder of the run that trained)
    if case.name != "non-finite loss":
        assert not (scratch / "runs").exists(), sorted(map(str, (scratch / "runs").rglob("*")))
    assert not (scratch / "opened").exists()
    if case.status == 2 and case.args[0] == "fit":
        assert "Total params" not in run.stdout  # refused before the model summary


def test_the_traceback_on_request(scratch: Path):
    """``KLP_TRACEBACK=1`` shows Python's traceback instead of the one line."""
    run = run_cli(CIFAR, scratch, {"KLP_TRACEBACK": "1"})
    assert run.returncode == 1
    assert "Traceback (most recent call last)" in run.stderr
    assert run.stderr.rstrip().splitlines()[-1].startswith("datamodules.arrays.DataError: cifar10")
    assert not (scratch / "runs").exists()


def test_a_failed_start_keeps_earlier_runs(scratch: Path):
    """The failed run's own folder goes; the runs before it, and their root, stay."""
    root = scratch / "runs" / "slides.cifar10_softmax"
    (root / "version_0" / "checkpoints").mkdir(parents=True)
    (root / "version_0" / "checkpoints" / "last.ckpt").write_bytes(b"an earlier run")
    run = run_cli(CIFAR, scratch)
    assert run.returncode == 1, run.stderr[-3000:]
    assert sorted(p.name for p in root.iterdir()) == ["version_0"]


# -- the Python API ---------------------------------------------------------------------------
@dataclasses.dataclass
class Call:
    name: str
    call: Callable[[Path], object]
    error: type
    words: list[str]


def _load_crafted_cifar(folder: Path):
    crafted_cifar(folder)
    return datamodules.load("cifar10", data_dir=str(folder / "cifar"))


def _load_crafted_olivetti(folder: Path):
    import joblib

    class RunsACommand:
        def __reduce__(self):
            return os.system, (f"touch {folder / 'opened'}",)

    joblib.dump(RunsACommand(), folder / "olivetti_py3.pkz", compress=6)
    return datamodules.load("olivetti", data_dir=str(folder))


def _load_olivetti_object_array(folder: Path):
    import joblib

    class RunsACommand:
        def __reduce__(self):
            return os.system, (f"touch {folder / 'opened'}",)

    faces = np.zeros(400 * 4096, dtype=object)
    faces[0] = RunsACommand()
    joblib.dump(faces, folder / "olivetti_py3.pkz", compress=6)
    return datamodules.load("olivetti", data_dir=str(folder))


API_CASES = [
    Call("explicit data_dir without the files",
         lambda tmp: datamodules.load("fashion_mnist", data_dir="typo/"), DataError,
         ["fashion_mnist data not found in data_dir typo/", "does not exist",
          "the only folder searched"]),
    Call("explicit data_dir, an empty folder",
         lambda tmp: datamodules.load("cifar10", data_dir=str(tmp)), DataError,
         ["cifar10 data not found in data_dir", "download=True"]),
    Call("crafted CIFAR-10 pickle", _load_crafted_cifar, DataError,
         ["data_batch_1 is corrupt", "not allowed in a dataset file"]),
    Call("crafted Olivetti cache", _load_crafted_olivetti, DataError,
         ["olivetti_py3.pkz is corrupt", "refusing posix.system"]),
    Call("Olivetti cache with an object array", _load_olivetti_object_array, DataError,
         ["olivetti_py3.pkz is corrupt", "object arrays are not allowed"]),
    Call("batch_size 0", lambda tmp: datamodules.DigitsDataModule(batch_size=0), ValueError,
         ["batch_size must be an integer >= 1", "None for one full batch"]),
    Call("batch_size 2.5", lambda tmp: datamodules.DigitsDataModule(batch_size=2.5), ValueError,
         ["batch_size must be an integer >= 1"]),
    Call("patience -1", lambda tmp: KerasEarlyStopping(patience=-1), ValueError,
         ["patience must be an integer >= 0"]),
    Call("unknown metric", lambda tmp: KerasCompile(loss="mse", metrics=("acuracy",)), ValueError,
         ["unknown metrics ['acuracy']", "accuracy"]),
    Call("unknown loss", lambda tmp: KerasCompile(loss="msee"), ValueError,
         ["unknown loss 'msee'"]),
    Call("unknown optimizer", lambda tmp: lightning_models.build("apa.autoencoder", optimizer="adamw"),
         ValueError, ["unknown optimizer 'adamw'"]),
    Call("negative learning rate",
         lambda tmp: lightning_models.build("apa.autoencoder", learning_rate=-0.01), ValueError,
         ["learning_rate must be > 0"]),
    Call("steps_per_execution 0",
         lambda tmp: lightning_models.build("apa.autoencoder", steps_per_execution=0), ValueError,
         ["steps_per_execution must be an integer >= 1"]),
    Call("impossible layer size", lambda tmp: lightning_models.build("apa.autoencoder", d1=-4),
         ValueError, ["apa.autoencoder: d1 must be >= 1"]),
    Call("unknown hyperparameter", lambda tmp: lightning_models.build("apa.autoencoder", widht=3),
         ValueError, ["apa.autoencoder takes no hyperparameter 'widht'"]),
    Call("l2 given as a flag", lambda tmp: lightning_models.build("apa.cifar2_cnn", l2=True),
         ValueError, ["l2 must be a number, got True"]),
]


@pytest.mark.parametrize("case", API_CASES, ids=[case.name for case in API_CASES])
def test_python_mistake(case: Call, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("KLP_DATA_DIR", str(tmp_path / "klp_data"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    with pytest.raises(case.error) as raised:
        case.call(tmp_path)
    message = str(raised.value)
    assert "\n" not in message
    for word in case.words:
        assert word in message, f"{word!r} not in {message!r}"
    assert not (tmp_path / "opened").exists()  # nothing in a data file ran


def test_batch_size_none_is_one_full_batch():
    """``batch_size=None`` (documented): the whole split in one batch, not Keras' 32."""
    from datamodules.lightning_data import TensorBatches
    import torch

    batches = list(TensorBatches([torch.arange(70.0)], batch_size=None))
    assert len(batches) == 1 and len(batches[0][0]) == 70


def test_a_cifar10_download_is_read_numpy_only_after_its_md5_check(tmp_path, monkeypatch):
    """``download=True`` takes torchvision's download (archive MD5), checks every batch's MD5
    and reads the batches here (torchvision's CIFAR10 dataset would unpickle them itself)."""
    import torchvision.datasets.utils

    def fake_download(url, download_root, filename=None, md5=None, **kwargs):
        assert filename == "cifar-10-python.tar.gz" and md5  # the archive's MD5 is checked
        write_cifar(str(download_root))  # batches that are not CIFAR-10's originals

    monkeypatch.setattr(torchvision.datasets.utils, "download_and_extract_archive", fake_download)
    with pytest.raises(DataError, match="does not have CIFAR-10's MD5"):
        datamodules.load("cifar10", data_dir=str(tmp_path / "cifar"), download=True)
