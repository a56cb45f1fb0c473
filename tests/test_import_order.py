"""The project's packages import in any order, next to torch and keras.

The documented crash: triton (loaded by lightning, torchvision and torch's first optimiser)
loaded AFTER TensorFlow segfaults the process (exit code 139, ``returncode == -11``).
lightning_models and keras_reference both keep triton ahead of TensorFlow
(``_import_guard.load_triton_first``). Every order runs in a fresh interpreter, then takes an
Adam and an SGD step, which load triton if nothing did before.
"""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: torch's first optimisers (they load triton when nothing has yet).
OPTIMIZER_STEPS = """
import torch
p = torch.nn.Parameter(torch.zeros(2))
for Optimizer in (torch.optim.Adam, torch.optim.SGD):
    optimizer = Optimizer([p], lr=0.1)
    p.grad = torch.ones(2)
    optimizer.step()
"""

#: A Keras fit compiled by XLA (the LLVM inside TensorFlow, next to triton's).
KERAS_FIT = """
import numpy as np, keras
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse", jit_compile=True)
model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=1, verbose=0)
"""


def run_python(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def imports(*modules: str) -> str:
    return "\n".join(f"import {m}" for m in modules) + "\n"


def failure(order: tuple, result: subprocess.CompletedProcess) -> str:
    crash = " (segfault: triton loaded after TensorFlow?)" if result.returncode == -11 else ""
    tail = result.stderr.strip().splitlines()[-3:]
    return f"import {', '.join(order)}: exit code {result.returncode}{crash} {tail}"


#: The orders that differ in what matters (where TensorFlow comes relative to the project's two
#: packages; torch alone loads no triton), out of the 24 permutations, which took 7 minutes.
ORDERS = [
    ("torch", "keras", "lightning_models", "keras_reference"),   # TensorFlow before both
    ("keras", "torch", "keras_reference", "lightning_models"),
    ("keras_reference", "keras", "torch", "lightning_models"),   # between them
    ("lightning_models", "keras", "keras_reference", "torch"),
    ("keras_reference", "lightning_models", "torch", "keras"),   # after both
    ("torch", "lightning_models", "keras_reference", "keras"),
]


@pytest.mark.slow  # six interpreters, each loading torch, TensorFlow and lightning
def test_the_orders_of_the_project_imports():
    """Each order runs, then takes an Adam and an SGD step (which load triton if nothing did)."""
    workers = max(1, min(4, (os.cpu_count() or 1) // 2))
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda order: run_python(imports(*order) + OPTIMIZER_STEPS), ORDERS))
    failed = [failure(order, r) for order, r in zip(ORDERS, results) if r.returncode != 0]
    assert not failed, "\n".join(failed)


def test_a_users_plain_imports():
    """``import torch; import keras; import lightning_models``: TensorFlow is loaded first, so
    lightning_models marks triton unavailable; torch's optimisers and Keras' fit still run."""
    for order in [("torch", "keras", "lightning_models"),
                  ("tensorflow", "lightning_models"),
                  ("tensorflow", "keras_reference", "lightning")]:
        result = run_python(imports(*order) + OPTIMIZER_STEPS + KERAS_FIT)
        assert result.returncode == 0, failure(order, result)


def test_keras_reference_loads_neither_torch_nor_lightning():
    result = run_python(imports("sys", "keras_reference") + "print(sorted(m for m in "
                        "('lightning_models', 'lightning', 'torch') if m in sys.modules))")
    assert result.returncode == 0, failure(("keras_reference",), result)
    assert result.stdout.strip() == "[]"
