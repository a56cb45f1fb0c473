"""``datamodules`` is NumPy-only until a DataModule is asked for: Keras users load the arrays
without torch or lightning, and ``datamodules.DigitsDataModule`` (a LightningCLI class path)
imports ``datamodules.lightning_data`` on first use. Each check runs in a fresh interpreter,
since this test process has imported torch already."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _heavy() -> str:
    """Code printing which of torch, lightning, torchvision the interpreter has imported."""
    return "sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'lightning', 'torchvision'})"


def test_loading_arrays_imports_neither_torch_nor_lightning():
    out = _run("import sys\n"
               "import datamodules\n"
               "splits = datamodules.load('digits', split_seed=1, validation_split=0.2)\n"
               "print(splits.sizes())\n"
               f"print({_heavy()})\n")
    assert out.splitlines() == ["{'train': 1005, 'val': 252, 'test': 540}", "[]"]


def test_datamodule_names_resolve_lazily_to_lightning_data():
    out = _run("import sys\n"
               "import datamodules\n"
               f"print({_heavy()})\n"
               "cls = datamodules.DigitsDataModule\n"
               "import datamodules.lightning_data as ld\n"
               "print(cls is ld.DigitsDataModule, datamodules.DATAMODULES['digits'] is cls,\n"
               "      datamodules.datamodule_class('digits') is cls,\n"
               "      datamodules.ArrayDataModule is ld.ArrayDataModule,\n"
               "      datamodules.TensorBatches is ld.TensorBatches)\n"
               f"print({_heavy()})\n")
    lines = out.splitlines()
    assert lines[:2] == ["[]", "True True True True True"]
    assert {"'torch'", "'lightning'"} <= set(lines[2].strip("[]").split(", "))


def test_a_config_class_path_datamodules_digitsdatamodule_resolves():
    out = _run("from jsonargparse import ArgumentParser\n"
               "import datamodules.lightning_data as ld\n"
               "parser = ArgumentParser()\n"
               "parser.add_subclass_arguments(ld.ArrayDataModule, 'data')\n"
               "cfg = parser.parse_args(['--data', '{\"class_path\": "
               "\"datamodules.DigitsDataModule\", "
               "\"init_args\": {\"split_seed\": 3, \"shuffle_seed\": 4}}'])\n"
               "dm = parser.instantiate_classes(cfg).data\n"
               "print(type(dm) is ld.DigitsDataModule, dm.options['split_seed'],\n"
               "      dm.shuffle_seed)\n")
    assert out.split() == ["True", "3", "4"]


def test_unknown_names_still_raise_attribute_error():
    out = _run("import datamodules\n"
               "try:\n"
               "    datamodules.NoSuchDataModule\n"
               "except AttributeError as err:\n"
               "    print(err)\n")
    assert "NoSuchDataModule" in out
