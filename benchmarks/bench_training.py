"""Training speed and start-up: Keras fit, a hand-written torch loop and this project's Lightning path.

One command runs every row, each run in a FRESH process, the contenders interleaved (round-robin:
Keras, torch loop, Lightning, Keras, ...) so that a change in the machine's load hits all of
them alike, and prints Markdown tables of medians with min-max over the repetitions:

    python benchmarks/bench_training.py              # 5 repetitions of every row (about 25 min on 2 quiet cores)
    python benchmarks/bench_training.py --quick      # 1 repetition, fewer epochs: a smoke run (about 3-6 min)
    python benchmarks/bench_training.py --reps 7 --workloads digits_ae --conditions quiet

Rows (README, "Speed"):

- training, per workload, for each machine condition: ``quiet``, and ``busy`` (the script starts
  one process spinning on a core, ``python -c "while True: pass"``, for the duration of the run,
  and stops it); on a GPU (``torch.cuda.is_available()``) also ``gpu`` rows (torch loop and
  Lightning; the Keras side here is TensorFlow's CPU build);
- start-up: ``import lightning_models``; the README's main job for one epoch through the CLI:
  process start to its first training step, and the whole run.

Contenders (same arrays from ``datamodules.load``, same thread count):

- ``keras``: the document's Keras model (``keras_reference.build``), ``model.fit`` (seeded with
  ``keras_reference.training.seed_keras``, so each epoch reshuffles as an unseeded Keras run does);
- ``torch_loop``: what a user would write: ``nn.Sequential`` of the same layers,
  ``torch.optim.Adam``, a shuffled slice per batch, ``loss.item()`` per step;
- ``lightning``: the project's path, ``lightning_models.training.fit`` (Lightning Trainer,
  Keras-faithful losses, metrics and optimiser).

The thread count is the project's policy (lightning_models/threads.py), chosen once per workload
in a probe process and given to all three (``torch.set_num_threads``,
``keras_reference.use_threads``, ``$KLP_NUM_THREADS``); ``--threads N`` fixes it.

An epoch's time is from its start to the next epoch's start (the last: to the end of ``fit``),
so the per-epoch work between epochs counts; the table shows the mean over the epochs after the
first (Keras traces its graph, torch warms its allocator in the first), or the first when only
one ran. Steps/s = steps per epoch / epoch time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: The two benchmark workloads at the documents' batch sizes.
WORKLOADS = {
    # Seed 001's Fashion-MNIST MLP: Flatten -> Dense(128, relu) -> Dense(10, softmax), Adam,
    # sparse categorical cross-entropy, accuracy; batch 32, 60000 images (1875 steps per epoch).
    "fashion_mlp": dict(entry="fp.fashion_mlp", dataset="fashion_mnist", batch_size=32,
                        targets="labels", hparams={}, epochs=3, quick_epochs=1),
    # Seed 000's (16, 2, 16) linear autoencoder of the digits (the README's main job): Adam, MSE,
    # batch 100, 1257 rows (13 steps per epoch).
    "digits_ae": dict(entry="apa.autoencoder", dataset="digits", batch_size=100, targets="inputs",
                      hparams=dict(d1=16, d2=2, activation="linear"), epochs=200, quick_epochs=20),
}
CONTENDERS = ("keras", "torch_loop", "lightning")
CONDITIONS = ("quiet", "busy")
#: The README's main job (``--trainer.max_epochs 1`` for the start-up rows).
MAIN_JOB = "configs/apa.autoencoder.yaml"


# ============================================================================================
# The children: one contender, one workload, in a fresh process; prints one JSON line
# ============================================================================================
def _arrays(w):
    import datamodules

    splits = datamodules.load(w["dataset"])
    x = splits.x_train
    return x, (x if w["targets"] == "inputs" else splits.y_train)


def _epoch_times(starts: list, end: float) -> list:
    return [b - a for a, b in zip(starts, starts[1:] + [end])]


def run_keras(w, epochs, threads, device):
    import keras_reference
    from keras_reference.training import seed_keras

    import keras

    keras_reference.use_threads(threads)
    seed_keras(0)
    x, y = _arrays(w)
    model = keras_reference.build(w["entry"], **w["hparams"])
    starts = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            starts.append(time.perf_counter())

    history = model.fit(x, y, batch_size=w["batch_size"], epochs=epochs, shuffle=True, verbose=0,
                        callbacks=[Clock()])
    return _epoch_times(starts, time.perf_counter()), history.history["loss"][-1]


def _stock_network(w):
    """The same layers as a user writes them in torch (default initialisation)."""
    from torch import nn

    if w["entry"] == "fp.fashion_mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 128), nn.ReLU(), nn.Linear(128, 10)), \
            nn.CrossEntropyLoss()
    d1, d2 = w["hparams"]["d1"], w["hparams"]["d2"]
    return nn.Sequential(nn.Linear(64, d1), nn.Linear(d1, d2), nn.Linear(d2, d1), nn.Linear(d1, 64)), \
        nn.MSELoss()


def run_torch_loop(w, epochs, threads, device):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x, y = _arrays(w)
    x = torch.from_numpy(x).to(device)
    y = torch.from_numpy(y).to(device)
    if w["targets"] == "labels":
        y = y.long()
    model, loss_fn = _stock_network(w)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch_size, n = w["batch_size"], len(x)
    starts = []
    for _ in range(epochs):
        starts.append(time.perf_counter())
        perm = torch.randperm(n, device=device)
        xs, ys = x[perm], y[perm]
        total = 0.0
        for i in range(0, n, batch_size):
            xb, yb = xs[i:i + batch_size], ys[i:i + batch_size]
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        last = total / n
    return _epoch_times(starts, time.perf_counter()), last


def run_lightning(w, epochs, threads, device, steps_per_execution=None):
    os.environ["KLP_NUM_THREADS"] = str(threads)  # the policy's own override (threads.py)
    import torch
    from lightning.pytorch.callbacks import Callback

    import lightning_models
    from datamodules import DATAMODULES
    from lightning_models.training import fit

    torch.manual_seed(0)
    options = {} if steps_per_execution is None else {"steps_per_execution": steps_per_execution}
    model = lightning_models.build(w["entry"], **w["hparams"], **options)
    datamodule = DATAMODULES[w["dataset"]](batch_size=w["batch_size"], targets=w["targets"])
    starts = []

    class Clock(Callback):
        def on_train_epoch_start(self, trainer, pl_module):
            starts.append(time.perf_counter())

    accelerator = "gpu" if device == "cuda" else "cpu"
    fit(model, datamodule, epochs=epochs, callbacks=[Clock()], accelerator=accelerator, devices=1)
    return _epoch_times(starts, time.perf_counter()), model.history.history["loss"][-1]


def run_lightning_one_batch_per_step(w, epochs, threads, device):
    """The Lightning path with steps_per_execution=1 (one Lightning training step per batch)."""
    return run_lightning(w, epochs, threads, device, steps_per_execution=1)


RUNNERS = {"keras": run_keras, "torch_loop": run_torch_loop, "lightning": run_lightning,
           "lightning_spe1": run_lightning_one_batch_per_step}


def policy_threads(workload: str) -> int:
    """The project's thread policy for this workload's network and batch size (threads.py)."""
    from lightning_models import build
    from lightning_models.threads import choose_threads

    w = WORKLOADS[workload]
    threads, _ = choose_threads(build(w["entry"], **w["hparams"]), w["batch_size"])
    return threads


def child(args) -> None:
    if args.child == "threads":
        print(json.dumps({"threads": policy_threads(args.workload)}))
        return
    w = WORKLOADS[args.workload]
    times, loss = RUNNERS[args.child](w, args.epochs, args.child_threads, args.device)
    steps = math.ceil(len(_arrays(w)[0]) / w["batch_size"])
    print(json.dumps({"epoch_times": times, "steps_per_epoch": steps, "loss": float(loss)}))


# ============================================================================================
# The parent: rows in fresh processes, interleaved, repeated; medians and ranges
# ============================================================================================
class Busy:
    """One other process keeping a core busy while a row runs (the ``busy`` condition)."""

    def __init__(self, busy: bool):
        self.busy = busy
        self.process = None

    def __enter__(self):
        if self.busy:
            self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            time.sleep(0.2)
        return self

    def __exit__(self, *exc):
        if self.process is not None:
            self.process.terminate()
            self.process.wait()


def _python(args, env=None, timeout=3600) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})},
                            timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:6])} failed:\n{result.stderr[-3000:]}")
    return result


def _json_line(result: subprocess.CompletedProcess) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_training(contender, workload, epochs, threads, condition) -> dict:
    device = "cuda" if condition == "gpu" else "cpu"
    with Busy(condition == "busy"):
        result = _python([__file__, "--child", contender, "--workload", workload, "--epochs",
                          str(epochs), "--child-threads", str(threads), "--device", device])
    return _json_line(result)


def run_startup(kind: str) -> dict:
    """Seconds from process start: ``import``: to the end of ``import lightning_models``;
    ``main_job``: to the first training step and to the end of a 1-epoch main job."""
    if kind == "import":
        start = time.time()
        _python(["-c", "import lightning_models"])
        return {"import lightning_models": time.time() - start}
    with tempfile.TemporaryDirectory() as folder:
        probe = os.path.join(folder, "first_step")
        start = time.time()
        _python(["-m", "lightning_models", "fit", "--config", MAIN_JOB, "--trainer.max_epochs", "1",
                 "--trainer.default_root_dir", os.path.join(folder, "runs"),
                 "--trainer.callbacks+=benchmarks.startup_probe.FirstStep"],
                env={"KLP_BENCH_FIRST_STEP": probe})
        end = time.time()
        with open(probe) as file:
            first = float(file.read())
    return {"main job (1 epoch): start to first step": first - start,
            "main job (1 epoch): whole run": end - start}


def steady_epoch(times: list) -> float:
    """The mean epoch time after the first (warm-up) epoch, or the first if only one ran."""
    return statistics.fmean(times[1:]) if len(times) > 1 else times[0]


def _range(values, scale=1.0, digits=2) -> str:
    values = [v * scale for v in values]
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def training_table(results: dict, threads: dict) -> str:
    """``results[(workload, condition, contender)]`` = list of child outputs."""
    lines = ["| workload | machine | contender | threads | epoch, ms: median (min-max) | steps/s | "
             "x Keras steps/s | / torch loop epoch | final loss |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for (workload, condition, contender), runs in results.items():
        epochs = [steady_epoch(r["epoch_times"]) for r in runs]
        median = statistics.median(epochs)
        steps = runs[0]["steps_per_epoch"]
        keras = results.get((workload, condition, "keras")) or results.get((workload, "quiet", "keras"))
        loop = results.get((workload, condition, "torch_loop"))
        vs_keras = (statistics.median(steady_epoch(r["epoch_times"]) for r in keras) / median
                    if keras and contender != "keras" else None)
        vs_loop = (median / statistics.median(steady_epoch(r["epoch_times"]) for r in loop)
                   if loop and contender != "torch_loop" else None)
        cell = lambda v: f"{v:.2f}" if v is not None else "-"  # noqa: E731
        lines.append(f"| {workload} | {condition} | {contender} | {threads[workload]} | "
                     f"{_range(epochs, 1e3, 1)} | {steps / median:,.0f} | {cell(vs_keras)} | "
                     f"{cell(vs_loop)} | {statistics.median(r['loss'] for r in runs):.4f} |")
    return "\n".join(lines)


def startup_table(results: dict) -> str:
    lines = ["| start-up (quiet machine) | seconds: median (min-max) |", "|---|---:|"]
    for name, values in results.items():
        lines.append(f"| {name} | {_range(values)} |")
    return "\n".join(lines)


def _machine() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.processor() or platform.machine()}, {cores} cores, load average {load[0]:.2f}"


def _gpu_available() -> bool:
    result = _python(["-c", "import torch; print(torch.cuda.is_available())"])
    return result.stdout.strip().endswith("True")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 1 repetition, 1 Fashion epoch, 20 autoencoder epochs")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 5; --quick: 1)")
    parser.add_argument("--workloads", nargs="*", default=list(WORKLOADS), choices=list(WORKLOADS))
    parser.add_argument("--contenders", nargs="*", default=list(CONTENDERS), choices=list(RUNNERS))
    parser.add_argument("--conditions", nargs="*", default=None, choices=[*CONDITIONS, "gpu"],
                        help="machine conditions (default: quiet busy, and gpu when there is one)")
    parser.add_argument("--threads", type=int, default=None,
                        help="intra-op threads for every contender (default: the project's policy)")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up rows")
    # the children's options
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-threads", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--device", default="cpu", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    reps = args.reps or (1 if args.quick else 5)
    conditions = args.conditions or [*CONDITIONS, *(["gpu"] if _gpu_available() else [])]
    print(f"Machine: {_machine()}; {reps} repetition(s); started {time.strftime('%Y-%m-%d %H:%M')}",
          flush=True)
    threads = {wl: args.threads or _json_line(_python([__file__, "--child", "threads",
                                                        "--workload", wl]))["threads"]
               for wl in args.workloads}
    # Every repetition runs every row once, in this order; each row is a fresh process.
    rows = []
    for workload in args.workloads:
        epochs = WORKLOADS[workload]["quick_epochs" if args.quick else "epochs"]
        for condition in conditions:
            for contender in args.contenders:
                if condition == "gpu" and contender == "keras":
                    continue  # TensorFlow's CPU build: no Keras GPU row
                rows.append(("training", (workload, condition, contender), epochs))
    if not args.no_startup:
        rows += [("startup", "import", None), ("startup", "main_job", None)]
    training: dict = {}
    startup: dict = {}
    for rep in range(reps):
        for kind, key, epochs in rows:
            started = time.perf_counter()
            if kind == "training":
                workload, condition, contender = key
                out = run_training(contender, workload, epochs, threads[workload], condition)
                training.setdefault(key, []).append(out)
                note = f"{steady_epoch(out['epoch_times']) * 1e3:.1f} ms/epoch"
            else:
                for name, seconds in run_startup(key).items():
                    startup.setdefault(name, []).append(seconds)
                note = "start-up"
            print(f"  rep {rep + 1}/{reps} {key}: {note} ({time.perf_counter() - started:.0f} s)",
                  file=sys.stderr, flush=True)
    print()
    if training:
        print(training_table(training, threads))
        print()
    if startup:
        print(startup_table(startup))
        print()
    print(f"Finished {time.strftime('%Y-%m-%d %H:%M')}; machine at the end: {_machine()}")


if __name__ == "__main__":
    main()
