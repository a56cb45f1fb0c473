"""Checkpoints a user resumes, and inputs of the wrong shape (issue 8, items 3 and 5).

One row per case of the README's "Errors and recovery" table. The command-line rows run
``python -m lightning_models`` in a subprocess, in a folder of their own holding a copy of one
short run (written through the CLI, with an absolute ``default_root_dir`` as the issue's
report) and of checkpoints written through the Python API; each asserts the exit code, that no
traceback is printed and the key words of the message.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Callable, Optional

import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint

import datamodules
import lightning_models
from lightning_models import checkpoints
from lightning_models.checkpoints import (AtomicCheckpointIO, CheckpointError,
                                          CheckpointMismatchError)
from lightning_models.training import fit, keras_trainer

ROOT = Path(__file__).resolve().parents[1]
RUN = Path("runs/apa.autoencoder/version_0/checkpoints")  # the base run, in every case's folder
AE = ["--config", "configs/apa.autoencoder.yaml"]


def _cli(args, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "lightning_models", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def _digits():
    data = datamodules.DigitsDataModule(batch_size=100, targets="inputs", validate_on_test=True,
                                        test_size=0.3)
    data.setup("fit")
    return data


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A folder with ``configs``, a 2-epoch CLI run of apa.autoencoder (d1=16) and checkpoints
    of the same network written through the Python API (full, and weights only)."""
    folder = tmp_path_factory.mktemp("base")
    (folder / "configs").symlink_to(ROOT / "configs")
    run = _cli(["fit", *AE, "--trainer.max_epochs", "2",
                "--trainer.default_root_dir", str(folder / "runs" / "apa.autoencoder")], folder)
    assert run.returncode == 0, run.stderr[-3000:]
    assert sorted(os.listdir(folder / RUN)) == ["epoch=1-step=26.ckpt", "last.ckpt"]
    torch.manual_seed(0)
    fit(lightning_models.build("apa.autoencoder"), _digits(), epochs=2,
        callbacks=[ModelCheckpoint(dirpath=str(folder / "api"), save_last=True),
                   ModelCheckpoint(dirpath=str(folder / "api_weights"), save_weights_only=True,
                                   every_n_epochs=2)])  # (another state key than the first)
    return folder


@pytest.fixture
def case_folder(base, tmp_path) -> Path:
    """A copy of the base folder (the base run stays as it is for the next case)."""
    folder = tmp_path / "case"
    folder.mkdir()
    (folder / "configs").symlink_to(ROOT / "configs")
    for name in ("runs", "api", "api_weights"):
        shutil.copytree(base / name, folder / name)
    return folder


# -- the command line ------------------------------------------------------------------------------
def _truncate(path: Path) -> None:
    with open(path, "r+b") as file:
        file.truncate(path.stat().st_size // 2)


@dataclasses.dataclass
class CliCase:
    name: str
    args: list
    exit_code: int
    words: tuple = ()
    prepare: Optional[Callable[[Path, Path], None]] = None   # (case folder, base folder)
    check: Optional[Callable[[Path, Path, subprocess.CompletedProcess], None]] = None


def _resumed_to_epoch(epochs: int, run: Path = RUN.parent.parent / "version_1") -> Callable:
    def check(folder, base, result):
        checkpoint = torch.load(folder / run / "checkpoints" / "last.ckpt", weights_only=True)
        assert checkpoint["keras_history"]["epoch"].tolist() == list(range(epochs))
    return check


def _copy_continues_in_the_copy(folder, base, result):
    copy = folder / "copy" / "version_0" / "checkpoints"
    assert sorted(os.listdir(copy)) == ["epoch=2-step=39.ckpt", "last.ckpt"]  # no last-v1.ckpt
    checkpoint = torch.load(copy / "last.ckpt", weights_only=True)
    assert checkpoint["keras_history"]["epoch"].tolist() == [0, 1, 2]
    (state,) = [s for key, s in checkpoint["callbacks"].items() if key.startswith("ModelCheckpoint")]
    assert state["dirpath"] == str(copy) and state["last_model_path"] == str(copy / "last.ckpt")
    assert "dirpath has changed" not in result.stderr


CLI_CASES = [
    CliCase("explicit checkpoint, other hyperparameters",
            ["fit", *AE, "--model.init_args.d1", "32", "--ckpt_path", str(RUN / "last.ckpt")], 2,
            ("holds another model", "d1: 16 in the checkpoint, 32 configured",
             "--model.init_args.d1 16")),
    CliCase("explicit checkpoint, other network",
            ["fit", "--config", "configs/apa.denoising_autoencoder.yaml", "--ckpt_path",
             str(RUN / "last.ckpt")], 2,
            ("holds another model", "network apa.autoencoder in the checkpoint",
             "apa.denoising_autoencoder configured", "configs/apa.autoencoder.yaml")),
    CliCase("explicit checkpoint, same network (a new learning rate allowed)",
            ["fit", *AE, "--trainer.max_epochs", "3", "--model.init_args.learning_rate", "0.0005",
             "--ckpt_path", str(RUN / "last.ckpt")], 0,
            check=_resumed_to_epoch(3, run=RUN.parent)),  # a run's checkpoint continues that run
    CliCase("checkpoint written through the Python API",
            ["fit", *AE, "--trainer.max_epochs", "3", "--ckpt_path", "api/last.ckpt"], 0,
            check=_resumed_to_epoch(3)),
    CliCase("weights-only checkpoint given to fit",
            ["fit", *AE, "--trainer.max_epochs", "3", "--ckpt_path", "api_weights/epoch=1-step=26.ckpt"],
            1, ("holds only the weights", "model.load_weights")),
    CliCase("truncated last.ckpt, --ckpt_path last",
            ["fit", *AE, "--trainer.max_epochs", "3", "--ckpt_path", "last"], 1,
            (f"checkpoint {RUN / 'last.ckpt'} is truncated or corrupt",
             "the newest intact one beside it is epoch=1-step=26.ckpt",
             f"--ckpt_path {RUN / 'epoch=1-step=26.ckpt'}"),
            prepare=lambda folder, base: _truncate(folder / RUN / "last.ckpt")),
    CliCase("truncated checkpoint given to test",
            ["test", *AE, "--ckpt_path", str(RUN / "last.ckpt")], 1,
            ("is truncated or corrupt", "epoch=1-step=26.ckpt"),
            prepare=lambda folder, base: _truncate(folder / RUN / "last.ckpt")),
    CliCase("checkpoint path that does not exist",
            ["fit", *AE, "--ckpt_path", "runs/apa.autoencoder/lats.ckpt"], 1,
            ("checkpoint runs/apa.autoencoder/lats.ckpt does not exist",)),
    CliCase("resumed copy of a run folder",
            ["fit", *AE, "--trainer.max_epochs", "3", "--trainer.default_root_dir", "{copy}",
             "--ckpt_path", "last"], 0,
            prepare=lambda folder, base: shutil.copytree(base / "runs" / "apa.autoencoder",
                                                         folder / "copy"),
            check=_copy_continues_in_the_copy),
]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.name for c in CLI_CASES])
def test_checkpoint_cases_on_the_command_line(case, base, case_folder):
    if case.prepare:
        case.prepare(case_folder, base)
    before = _snapshot(base)
    args = [arg.format(copy=case_folder / "copy") for arg in case.args]
    result = _cli(args, case_folder)
    output = result.stdout + result.stderr
    assert result.returncode == case.exit_code, output[-3000:]
    assert "Traceback" not in output
    for words in case.words:
        assert words in result.stderr, (words, result.stderr[-2000:])
    if case.exit_code:  # refused before anything was written: no new run folder
        assert sorted(os.listdir(case_folder / "runs" / "apa.autoencoder")) == ["version_0"]
    if case.check:
        case.check(case_folder, base, result)
    assert _snapshot(base) == before  # nothing ever writes into another run's folder


# -- the Python API: the same checks before fit ----------------------------------------------------
def test_python_api_refuses_a_checkpoint_of_another_model(base):
    with pytest.raises(CheckpointMismatchError, match="d1: 16 in the checkpoint, 32 configured"):
        fit(lightning_models.build("apa.autoencoder", d1=32), _digits(), epochs=3,
            ckpt_path=str(base / "api" / "last.ckpt"))
    with pytest.raises(CheckpointError, match="is truncated or corrupt.*epoch=1-step=26.ckpt"):
        bad = base / "api_bad"
        shutil.copytree(base / "api", bad, dirs_exist_ok=True)
        _truncate(bad / "last.ckpt")
        fit(lightning_models.build("apa.autoencoder"), _digits(), epochs=3, ckpt_path=str(bad / "last.ckpt"))


def test_optimizer_none_and_the_documents_optimizer_are_the_same_model(base):
    """An API checkpoint saved ``optimizer=None`` (the document's Adam); the config says adam."""
    checkpoint = torch.load(base / "api" / "last.ckpt", weights_only=True)
    assert checkpoint["hyper_parameters"]["optimizer"] is None
    model_class = lightning_models.CATALOG["apa.autoencoder"]
    assert checkpoints.model_differences(checkpoint, model_class, {"optimizer": "adam", "d1": 16}) == []
    assert checkpoints.model_differences(checkpoint, model_class, {"optimizer": "sgd"}) == [
        "optimizer: 'adam' in the checkpoint, 'sgd' configured"]


def test_a_moved_monitoring_checkpoint_keeps_its_best_score(tmp_path):
    """Without relocation Lightning drops best_model_score of a moved folder, and the next
    epoch's checkpoint, however bad, would become the best one."""
    torch.manual_seed(0)
    first = ModelCheckpoint(dirpath=str(tmp_path / "a" / "ckpt"), monitor="val_loss", save_last=True)
    fit(lightning_models.build("apa.autoencoder"), _digits(), epochs=2, callbacks=[first])
    shutil.move(tmp_path / "a", tmp_path / "b")
    moved = ModelCheckpoint(dirpath=str(tmp_path / "b" / "ckpt"), monitor="val_loss", save_last=True)
    worse = lightning_models.build("apa.autoencoder", learning_rate=5.0)  # the 3rd epoch diverges
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = fit(worse, _digits(), epochs=3, callbacks=[moved],
                      ckpt_path=str(tmp_path / "b" / "ckpt" / "last.ckpt"))
    assert history.history["val_loss"][2] > history.history["val_loss"][1]
    assert moved.best_model_path == str(tmp_path / "b" / "ckpt" / "epoch=1-step=26.ckpt")
    assert moved.best_model_score == first.best_model_score
    assert sorted(os.listdir(tmp_path)) == ["b"]
    assert not [w for w in caught if "dirpath has changed" in str(w.message)]


# -- atomic saves ------------------------------------------------------------------------------------
def test_the_cli_and_keras_trainer_save_through_the_atomic_io(tmp_path, monkeypatch):
    from lightning_models.cli import KerasCLI

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["python -m lightning_models"])
    cli = KerasCLI(args=["--config", str(ROOT / "configs" / "apa.autoencoder.yaml")], run=False)
    assert isinstance(cli.trainer.strategy.checkpoint_io, AtomicCheckpointIO)
    assert isinstance(keras_trainer(1).strategy.checkpoint_io, AtomicCheckpointIO)


def test_atomic_save_writes_beside_the_target_and_renames(tmp_path, monkeypatch):
    target = tmp_path / "ckpt" / "last.ckpt"
    renames = []
    real_replace = os.replace
    monkeypatch.setattr(checkpoints.os, "replace",
                        lambda src, dst: (renames.append((src, dst)), real_replace(src, dst)))
    AtomicCheckpointIO().save_checkpoint({"step": 1}, target)
    assert renames == [(str(target) + ".tmp", str(target))]
    assert torch.load(target, weights_only=True) == {"step": 1}


def test_a_save_that_dies_midway_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    target = tmp_path / "last.ckpt"
    io = AtomicCheckpointIO()
    io.save_checkpoint({"step": 1, "w": torch.ones(1000)}, target)

    def dies_midway(obj, file):
        file.write(b"PK\x03\x04 half a checkpoint")
        raise KeyboardInterrupt  # e.g. Ctrl-C while writing

    monkeypatch.setattr(checkpoints.torch, "save", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        io.save_checkpoint({"step": 2, "w": torch.zeros(1000)}, target)
    assert torch.load(target, weights_only=True)["step"] == 1
    assert os.listdir(tmp_path) == ["last.ckpt"]


KILLED_SAVER = """
import sys, torch
from lightning_models.checkpoints import AtomicCheckpointIO
io, state = AtomicCheckpointIO(), {"w": torch.randn(4_000_000)}
step = 0
while True:
    step += 1
    io.save_checkpoint({**state, "step": step}, sys.argv[1])
"""


def test_a_kill_at_any_moment_leaves_a_loadable_checkpoint(tmp_path):
    """SIGKILL a process that saves a 16 MB checkpoint over and over, at three moments."""
    import random
    import time

    target = tmp_path / "last.ckpt"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for delay in (0.0, random.uniform(0.05, 0.3), random.uniform(0.3, 0.8)):
        saver = subprocess.Popen([sys.executable, "-c", KILLED_SAVER, str(target)], env=env)
        deadline = time.monotonic() + 120
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(delay)
        saver.kill()
        saver.wait()
        assert torch.load(target, weights_only=True)["step"] >= 1


# -- item 5: inputs of the wrong shape ------------------------------------------------------------------
SHAPE_CASES = [
    ("model(x), wrong features", lambda m: m(torch.zeros(3, 10)), "expects inputs of shape (64,) per sample, got (10,)"),
    ("model(x), no batch axis", lambda m: m(torch.zeros(64)), "got one sample of shape (64,): add the batch axis"),
    ("trainer.predict", lambda m: keras_trainer(1).predict(
        m, dataloaders=torch.utils.data.DataLoader(torch.zeros(6, 8, 8), batch_size=3)),
     "expects inputs of shape (64,) per sample, got (8, 8)"),
]


@pytest.mark.parametrize("call, message", [c[1:] for c in SHAPE_CASES], ids=[c[0] for c in SHAPE_CASES])
def test_inputs_of_the_wrong_shape_are_a_clear_error(call, message):
    model = lightning_models.build("apa.autoencoder")
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(model)
