"""The README's examples run as written: its Python block in a fresh interpreter, and every
command of "Training from the command line" through the shell, in a scratch folder that sees
the repository's configs (outputs stay there)."""

import os
import re
import shlex
import subprocess
import sys

import pytest

from conftest import fashion_available

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()


def _section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": ROOT, "OMP_NUM_THREADS": "1"}


@pytest.fixture
def scratch(tmp_path):
    os.symlink(os.path.join(ROOT, "configs"), tmp_path / "configs")
    return tmp_path


def test_the_python_example_runs_as_written(scratch):
    (code,) = _blocks(_section("Using it from Python").split("\n### ")[0], "python")
    run = subprocess.run([sys.executable, "-c", code], cwd=scratch, env=_env(),
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert (scratch / "codes.png").stat().st_size > 10_000
    assert (scratch / "curves.png").stat().st_size > 10_000
    parity = float(run.stdout.strip().splitlines()[-1])
    assert parity <= 1e-5


def _subsection(title: str) -> str:
    start = README.index(f"### {title}\n")
    end = README.find("\n#", start + 1)
    return README[start:end]


def _lines(text: str) -> list[str]:
    return [line for block in _blocks(text, "bash") for line in block.splitlines() if line.strip()]


COMMANDS = _lines(_section("Training from the command line").split("\n### ")[0])


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c.split()[2:5]) for c in COMMANDS])
def test_every_command_line_example_runs(command, scratch):
    if "fashion" in command and not fashion_available():
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "lightning_models"]
    if "--ckpt_path" in words:  # the resume example continues the run of the line before it
        previous = COMMANDS[COMMANDS.index(command) - 1]
        first = subprocess.run([sys.executable, *shlex.split(previous)[1:]], cwd=scratch,
                               env=_env(), capture_output=True, text=True, timeout=600)
        assert first.returncode == 0, first.stderr[-3000:]
    run = subprocess.run([sys.executable, *words[1:]], cwd=scratch, env=_env(),
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    if words[3] == "fit":
        assert "Results: " in run.stdout
    else:
        assert "Total params" in run.stdout


EXERCISE_COMMANDS = [line for block in _blocks(_section("Exercises: what the documents ask students to do, one command each"), "bash")
                     for line in block.splitlines() if line.strip()]


def test_the_exercise_table_is_the_declarations():
    """The README's exercise table is generated from crosscheck/exercises (one spec per fact)."""
    from crosscheck.exercises.cli import readme_table

    assert readme_table() in README


@pytest.mark.slow
@pytest.mark.parametrize("command", EXERCISE_COMMANDS, ids=[" ".join(c.split()[3:5]) for c in EXERCISE_COMMANDS])
def test_every_exercise_example_runs(command, scratch):
    """Each README exercise command, shortened (1 epoch, 200 rows) unless it only lists."""
    words = shlex.split(command.split("#")[0])
    assert words[:4] == ["python", "-m", "lightning_models", "exercise"]
    if "fashion" in command and not fashion_available():
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    quick = [] if "--list" in words else ["--epochs", "1", "--max-rows", "200"]
    run = subprocess.run([sys.executable, *words[1:], *quick], cwd=scratch, env=_env(),
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    if "--list" in words:
        assert len([line for line in run.stdout.splitlines()[1:] if line.strip()]) == 42
    else:
        out = "my_results" if "--out" in words else "results"
        (index,) = (scratch / out).glob("*/index.md")
        assert "results.csv" in index.read_text()


@pytest.mark.slow
def test_the_evaluation_example_runs_in_order(scratch):
    """"Evaluating a trained run": fit, then metrics on the training split, validate, predict."""
    commands = _lines(_subsection("Evaluating a trained run"))
    assert [shlex.split(c)[3] for c in commands] == ["fit", "test", "validate", "predict"]
    outputs = []
    for command in commands:
        run = subprocess.run([sys.executable, *shlex.split(command)[1:]], cwd=scratch, env=_env(),
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, (command, run.stderr[-3000:])
        outputs.append(run.stdout)
    assert "EarlyStopping: stopped at epoch" in outputs[0]
    assert "train split (1257 examples)" in outputs[1] and "accuracy:" in outputs[1]
    assert "loss:" in outputs[2]
    rows = (scratch / "preds.csv").read_text().splitlines()
    assert len(rows) == 1 + 540 and rows[0].startswith("index,prob_0")


def test_ci_runs_the_readme_test_command():
    """.ci/run installs with the README's set-up command and then runs its test command, word for word."""
    setup, _, test = _blocks(_section("Set up, run the main job, test"), "bash")[:3]
    ci = open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8").read().splitlines()
    assert test.strip() == ".venv/bin/python -m pytest -n 2 --dist loadfile"
    assert test.strip() in ci
    assert any(line.startswith(setup.strip().replace("pip install -e", "pip install -q -e")) for line in ci)
