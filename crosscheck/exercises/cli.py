"""``python -m lightning_models exercise <id> [options]`` and ``exercise --list``."""

from __future__ import annotations

import argparse
import os
from typing import Optional, Sequence

from lightning_models.hyperparameters import UsageError

DESCRIPTION = """Run an exercise of the documents (docs/exercises.md) in both frameworks.

Every grid point, seed and framework is trained on the same arrays; the results table
(results.csv, results.md), each run's history, curves and reports, the overlays and an index.md
go to OUT/<exercise id>/. A re-run skips finished runs (--force reruns them)."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lightning_models exercise", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("exercise", nargs="*", help="exercise id(s), e.g. apa-p1-autoencoder")
    p.add_argument("--list", action="store_true", help="list every exercise id and exit")
    p.add_argument("--markdown", action="store_true",
                   help="with --list: the README's Markdown table (command and outputs per exercise)")
    p.add_argument("--framework", choices=("lightning", "keras", "both"), default="both")
    p.add_argument("--epochs", type=int, help="epochs of every run (default: the document's)")
    p.add_argument("--out", default="results", help="output folder (default: results)")
    p.add_argument("--data-dir", help="where the dataset's files are (for data not shipped offline)")
    p.add_argument("--seeds", type=int, nargs="+", help="seeds (default: the exercise's, usually 0)")
    p.add_argument("--force", action="store_true", help="rerun runs that finished before")
    p.add_argument("--max-rows", type=int, help="first N rows of each split only (a quick run)")
    p.add_argument("--max-points", type=int, help="first N grid points only (a quick run)")
    p.add_argument("--trials", type=int, help="Bayesian search: total finished trials of the study")
    p.add_argument("--storage", help="Bayesian search: Optuna storage URL shared by several processes "
                                     "(sqlite:///study.db, postgresql://...)")
    return p


def list_table(data_dir: Optional[str] = None) -> str:
    from .catalog import EXERCISES, data_available

    lines = [f"{'exercise':<28} {'doc':<4} {'data':<18} {'offline':<8} networks / tool"]
    for exercise in EXERCISES.values():
        ok, _ = data_available(exercise, data_dir)
        what = ", ".join(exercise.networks) + (f" + {exercise.tool}" if exercise.tool else "")
        lines.append(f"{exercise.id:<28} {exercise.document:<4} {exercise.data_name or '-':<18} "
                     f"{'yes' if ok else 'no':<8} {what}")
    return "\n".join(lines)


def readme_table() -> str:
    """The README's table: every exercise, its command and what it writes (no data access)."""
    from .catalog import EXERCISES, command
    from .spec import REPORTS, TOOLS

    lines = ["| exercise | seed | networks | command | writes |", "|---|---|---|---|---|"]
    for exercise in EXERCISES.values():
        writes = ["results table, curves, overlays"] if exercise.trains else []
        writes += [REPORTS[r] for r in exercise.reports]
        if exercise.tool:
            writes.append(TOOLS[exercise.tool])
        networks = ", ".join(f"`{n}`" for n in exercise.networks) or "-"
        lines.append(f"| `{exercise.id}` | {exercise.document} {exercise.lines} | {networks} | "
                     f"`{command(exercise).removeprefix('python -m lightning_models ')}` | {'; '.join(writes)} |")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parser().parse_args(argv)
    if args.list:
        print(readme_table() if args.markdown else list_table(args.data_dir))
        return
    if not args.exercise:
        raise UsageError("name an exercise id, or --list to see them all")
    for name, value in (("--epochs", args.epochs), ("--max-rows", args.max_rows),
                        ("--max-points", args.max_points), ("--trials", args.trials)):
        if value is not None and value < 1:
            raise UsageError(f"{name} must be >= 1, got {value}")
    from .catalog import data_available, lookup

    try:
        exercises = [lookup(name) for name in args.exercise]
    except KeyError as error:
        raise UsageError(error.args[0]) from None
    from .runner import Options, run

    frameworks = ("lightning", "keras") if args.framework == "both" else (args.framework,)
    options = Options(out=args.out, frameworks=frameworks, epochs=args.epochs, seeds=args.seeds,
                      data_dir=args.data_dir, force=args.force, max_rows=args.max_rows,
                      max_points=args.max_points, trials=args.trials, storage=args.storage)
    for exercise in exercises:
        ok, why = data_available(exercise, args.data_dir)
        if not ok:
            raise UsageError(f"{exercise.id} needs the {exercise.data_name} data: {why}")
        rows = run(exercise, options)
        folder = os.path.join(args.out, exercise.id)
        if exercise.trains:
            print(f"{exercise.id}: {len(rows)} runs -> {os.path.join(folder, 'index.md')}")
        else:
            print(f"{exercise.id}: {exercise.tool} -> {folder}")
