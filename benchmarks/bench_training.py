"""Training speed: Keras fit vs this project's Lightning path vs a hand-written torch loop.

Each (framework, workload) runs in a FRESH process (no warm caches shared between contenders,
and each framework alone in its process). Prints steps/s and ratios as a Markdown table.

    python benchmarks/bench_training.py                 # both workloads, all three contenders
    python benchmarks/bench_training.py --quick         # fewer epochs (a smoke run)

Workloads: Fashion MLP (fp.fashion_mlp) 5 epochs, batch 32, 60000 images;
digits autoencoder (apa.autoencoder, d1=16, d2=2, linear) 500 epochs, batch 100, 1257 rows.
All three use the same arrays (datamodules.load) and Keras' optimiser (Adam, epsilon 1e-7);
the torch loop uses the project's KerasAdam so only the training machinery differs.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time

WORKLOADS = {
    "fashion_mlp": dict(entry="fp.fashion_mlp", dataset="fashion_mnist", options={}, epochs=5,
                        batch_size=32, targets="labels", hparams={}),
    "digits_ae": dict(entry="apa.autoencoder", dataset="digits", options={}, epochs=500,
                      batch_size=100, targets="inputs", hparams=dict(d1=16, d2=2, activation="linear")),
}


def _arrays(w):
    import datamodules

    splits = datamodules.load(w["dataset"], **w["options"])
    x = splits.x_train
    y = x if w["targets"] == "inputs" else splits.y_train
    return x, y


def run_lightning(w, epochs, steps_per_execution=32):
    import torch  # noqa: F401
    import lightning_models
    from datamodules import DATAMODULES
    from lightning_models.training import fit

    torch.manual_seed(0)
    model = lightning_models.build(w["entry"], **w["hparams"], steps_per_execution=steps_per_execution)
    dm = DATAMODULES[w["dataset"]](batch_size=w["batch_size"], targets=w["targets"], **w["options"])
    dm.setup("fit")
    start = time.perf_counter()
    fit(model, dm, epochs=epochs)
    return time.perf_counter() - start, model.history.history["loss"][-1]


def run_torch_loop(w, epochs):
    import torch
    import lightning_models

    torch.manual_seed(0)
    x, y = (torch.from_numpy(a) for a in _arrays(w))
    model = lightning_models.build(w["entry"], **w["hparams"])
    optimizer = model.configure_optimizers()
    generator = torch.Generator().manual_seed(0)
    bs, n = w["batch_size"], len(x)
    start = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=generator)
        xs, ys = x[perm], y[perm]
        total = torch.zeros(())
        for i in range(0, n, bs):
            xb, yb = xs[i:i + bs], ys[i:i + bs]
            loss = model.total_loss(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(xb)
        last = (total / n).item()
    return time.perf_counter() - start, last


def run_keras(w, epochs):
    import torch  # noqa: F401  (before keras)
    import keras_reference
    import keras

    keras.utils.set_random_seed(0)
    x, y = _arrays(w)
    model = keras_reference.build(w["entry"], **w["hparams"])
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=w["batch_size"], epochs=epochs, verbose=0)
    return time.perf_counter() - start, history.history["loss"][-1]


def run_lightning_nvml(w, epochs):
    """The Lightning path with PYTORCH_NVML_BASED_CUDA_CHECK=1, the value importing lightning
    sets (lightning_models keeps a value the user set, so setting it here measures its cost)."""
    import os

    os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] = "1"
    return run_lightning(w, epochs)


def run_lightning_one_batch_per_step(w, epochs):
    """The Lightning path with steps_per_execution=1: one Lightning training step per batch."""
    return run_lightning(w, epochs, steps_per_execution=1)


RUNNERS = {"keras": run_keras, "lightning": run_lightning, "torch_loop": run_torch_loop,
           "lightning_nvml_check": run_lightning_nvml,
           "lightning_steps_per_execution_1": run_lightning_one_batch_per_step}


def child(framework: str, workload: str, epochs: int) -> None:
    w = WORKLOADS[workload]
    seconds, loss = RUNNERS[framework](w, epochs)
    n = len(_arrays(w)[0])
    steps = epochs * math.ceil(n / w["batch_size"])
    print(json.dumps({"seconds": seconds, "steps": steps, "loss": loss}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 epoch / 50 epochs instead")
    parser.add_argument("--workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--frameworks", nargs="*", default=list(RUNNERS))
    parser.add_argument("--child", nargs=3, metavar=("FRAMEWORK", "WORKLOAD", "EPOCHS"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    rows = []
    for workload in args.workloads:
        epochs = WORKLOADS[workload]["epochs"]
        if args.quick:
            epochs = max(1, epochs // 10)
        results = {}
        for framework in args.frameworks:
            out = subprocess.run([sys.executable, __file__, "--child", framework, workload, str(epochs)],
                                 capture_output=True, text=True, check=True)
            results[framework] = json.loads(out.stdout.strip().splitlines()[-1])
        rates = {fw: r["steps"] / r["seconds"] for fw, r in results.items()}
        for framework, r in results.items():
            rows.append((workload, framework, epochs, r["steps"], r["seconds"], rates[framework],
                         r["loss"], rates[framework] / rates["keras"] if "keras" in rates else None,
                         rates[framework] / rates["torch_loop"] if "torch_loop" in rates else None))
    print(table(rows))


def table(rows) -> str:
    """Markdown: steps/s and the ratios to Keras' fit and to the hand-written torch loop."""
    lines = ["| workload | framework | epochs | steps | seconds | steps/s | final loss | x Keras | x torch loop |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for workload, fw, epochs, steps, secs, rate, loss, vs_keras, vs_loop in rows:
        ratio = [f"{v:.2f}" if v is not None else "-" for v in (vs_keras, vs_loop)]
        lines.append(f"| {workload} | {fw} | {epochs} | {steps} | {secs:.1f} | {rate:,.0f} | {loss:.4f} | "
                     f"{ratio[0]} | {ratio[1]} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
