"""The command line as a user meets it: the Keras optimiser is the only optimiser, every output of
a run follows ``trainer.default_root_dir`` into that run's own ``version_N`` folder, and
``--ckpt_path last`` resumes the newest run in place."""

import os
import subprocess
import sys

import pytest
import torch

import lightning_models

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAIN_JOB = os.path.join(ROOT, "configs", "apa.autoencoder.yaml")


def _cli(args, cwd):
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, "-m", "lightning_models", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def _files(folder) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), folder)
                  for d, _, files in os.walk(folder) for f in files)


# -- the optimiser ------------------------------------------------------------------------------
@pytest.mark.parametrize("entry_id", sorted(lightning_models.CATALOG))
def test_optimizer_options_reach_the_param_groups(entry_id):
    """Seed 004's SGD(learning_rate=0.01, momentum=0.9) can be asked of every network."""
    model = lightning_models.build(entry_id, optimizer="sgd", learning_rate=0.01,
                                   optimizer_options={"momentum": 0.9, "nesterov": True})
    (group,) = model.configure_optimizers().param_groups
    assert (group["lr"], group["momentum"], group["nesterov"]) == (0.01, 0.9, True)
    assert model.hparams["optimizer_options"] == {"momentum": 0.9, "nesterov": True}


@pytest.mark.parametrize("optimizer, options, key", [
    ("rmsprop", {"rho": 0.8, "centered": True, "epsilon": 1e-6}, "rho"),
    ("adam", {"beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-5}, "beta_1"),
])
def test_keras_optimizer_arguments_by_keras_name(optimizer, options, key):
    model = lightning_models.build("fp.fashion_mlp", optimizer=optimizer, optimizer_options=options)
    (group,) = model.configure_optimizers().param_groups
    assert group[key] == options[key] and group["epsilon"] == options["epsilon"]


def test_an_optimizer_argument_of_another_optimizer_is_refused():
    with pytest.raises(ValueError, match="does not take \\['momentum'\\]"):
        lightning_models.build("fp.fashion_mlp", optimizer="adam", optimizer_options={"momentum": 0.9})


@pytest.mark.parametrize("value", [0, -1, 1.5])
def test_steps_per_execution_is_validated_and_saved(value):
    with pytest.raises(ValueError, match="steps_per_execution"):
        lightning_models.build("apa.autoencoder", steps_per_execution=value)
    assert lightning_models.build("apa.autoencoder", steps_per_execution=4).hparams["steps_per_execution"] == 4


def test_optimizer_options_from_the_command_line(tmp_path):
    run = _cli(["fit", "--config", MAIN_JOB, "--trainer.max_epochs", "1",
                "--model.init_args.optimizer", "sgd", "--model.init_args.learning_rate", "0.01",
                "--model.init_args.optimizer_options", "{momentum: 0.9}"], tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    (last,) = (tmp_path / "runs" / "apa.autoencoder").glob("version_*/checkpoints/last.ckpt")
    checkpoint = torch.load(last, weights_only=False)
    assert checkpoint["hyper_parameters"]["optimizer_options"] == {"momentum": 0.9}
    (state,) = checkpoint["optimizer_states"]
    assert state["param_groups"][0]["momentum"] == 0.9


def test_a_stray_lightning_optimizer_is_an_error(tmp_path):
    """LightningCLI's --optimizer would silently replace the Keras optimiser: not offered."""
    run = _cli(["fit", "--config", MAIN_JOB, "--trainer.max_epochs", "1",
                "--optimizer", "torch.optim.SGD"], tmp_path)
    assert run.returncode != 0
    assert "optimizer" in run.stderr
    assert not (tmp_path / "runs").exists()


# -- where a run writes -------------------------------------------------------------------------
def test_default_root_dir_holds_every_output(tmp_path):
    elsewhere = tmp_path / "my runs"
    run = _cli(["fit", "--config", MAIN_JOB, "--trainer.max_epochs", "2",
                "--trainer.default_root_dir", str(elsewhere)], tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert sorted(os.listdir(tmp_path)) == ["my runs"]
    files = _files(elsewhere)
    assert "version_0/checkpoints/last.ckpt" in files and "version_0/config.yaml" in files
    assert any(f.startswith("version_0/events.out.tfevents") for f in files)
    assert all(f.startswith("version_0/") for f in files)
    assert f"Results: {elsewhere / 'version_0'}" in run.stdout


def test_two_runs_keep_separate_folders_and_last_resumes_the_newest(tmp_path):
    for epochs in ("1", "2"):
        run = _cli(["fit", "--config", MAIN_JOB, "--trainer.max_epochs", epochs], tmp_path)
        assert run.returncode == 0, run.stderr[-3000:]
    root = tmp_path / "runs" / "apa.autoencoder"
    assert sorted(os.listdir(root)) == ["version_0", "version_1"]
    for version, epoch in (("version_0", 0), ("version_1", 1)):
        assert sorted(os.listdir(root / version / "checkpoints")) == [f"epoch={epoch}-step={13 * (epoch + 1)}.ckpt", "last.ckpt"]

    resumed = _cli(["fit", "--config", MAIN_JOB, "--trainer.max_epochs", "3", "--ckpt_path", "last"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert sorted(os.listdir(root)) == ["version_0", "version_1"]        # continued in place
    checkpoint = torch.load(root / "version_1" / "checkpoints" / "last.ckpt", weights_only=False)
    assert checkpoint["keras_history"]["epoch"].tolist() == [0, 1, 2]
    assert sorted(os.listdir(root / "version_1" / "checkpoints")) == ["epoch=2-step=39.ckpt", "last.ckpt"]


def test_progress_lines_end_before_lightnings_stop_line_and_name_the_results(tmp_path):
    run = _cli(["fit", "--config", MAIN_JOB, "--trainer.max_epochs", "3", "--progress.every_n_epochs", "2"],
               tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    epochs = [line.split(" - ")[0] for line in lines if line.startswith("Epoch ")]
    assert epochs == ["Epoch 2/3", "Epoch 3/3"]
    stop = [i for i, line in enumerate(lines) if "`Trainer.fit` stopped" in line]
    last_epoch = max(i for i, line in enumerate(lines) if line.startswith("Epoch 3/3"))
    assert not stop or last_epoch < stop[0]
    assert lines[-1].startswith("Results: ")


def test_help_lists_the_project_commands(tmp_path):
    run = _cli(["--help"], tmp_path)
    assert run.returncode == 0
    assert "summary" in run.stdout and "Keras teaching documents" in run.stdout


def test_evaluating_without_a_run_is_an_error_not_an_untrained_network(tmp_path):
    run = _cli(["test", "--config", MAIN_JOB, "--ckpt_path", "last"], tmp_path)
    assert run.returncode == 2
    assert "error: no run with checkpoints/last.ckpt" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "runs").exists()


def test_a_checkpoint_of_a_run_continues_that_run_and_keeps_its_config(tmp_path):
    first = _cli(["fit", "--config", MAIN_JOB, "--trainer.max_epochs", "1"], tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    run = tmp_path / "runs" / "apa.autoencoder" / "version_0"
    config = (run / "config.yaml").read_text()
    again = _cli(["fit", "--config", MAIN_JOB, "--trainer.max_epochs", "2",
                  "--ckpt_path", str(run / "checkpoints" / "last.ckpt")], tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert sorted(os.listdir(run.parent)) == ["version_0"]
    assert (run / "config.yaml").read_text() == config          # the run's first settings
    assert len(list(run.glob("config.fit.*.yaml"))) == 1           # this invocation's beside it
    assert "Threads: 1 (" in again.stdout


# -- start-up (README, "Speed") ------------------------------------------------------------------
_IMPORTS = """
import json, sys
import lightning_models
from lightning_utilities.core.imports import RequirementCache, package_available
import torchmetrics.utilities.imports as tm
print(json.dumps({"loaded": [m for m in ("torchvision", "matplotlib", "scipy.signal") if m in sys.modules],
                  "others_see": [package_available("scipy"), bool(RequirementCache("torchvision")),
                                 bool(RequirementCache("matplotlib"))],
                  "torchmetrics_sees": bool(tm._TORCHVISION_AVAILABLE)}))
"""


@pytest.mark.parametrize("full", [False, True])
def test_torchmetrics_is_imported_without_torchvision_matplotlib_and_scipy(full):
    """lightning_models/lean_import.py: Lightning's torchmetrics does not load the three packages
    (about 2 s of CPU at start-up); what everyone else is told about them is left as it was, and
    KLP_FULL_IMPORTS=1 imports torchmetrics as Lightning alone would."""
    import json

    env = {**os.environ, "PYTHONPATH": ROOT, "KLP_FULL_IMPORTS": "1" if full else ""}
    run = subprocess.run([sys.executable, "-c", _IMPORTS], env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["others_see"] == [True, True, True]
    if full:
        assert found["loaded"] == ["torchvision", "matplotlib", "scipy.signal"]
        assert found["torchmetrics_sees"]
    else:
        assert found["loaded"] == [] and not found["torchmetrics_sees"]
