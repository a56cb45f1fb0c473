"""Every exercise by id (``EXERCISES``), the command that runs it, and whether its data is here."""

from __future__ import annotations

import functools
from typing import Optional

from . import seed000, seed001, seed002, seed003, seed004
from .spec import Exercise

#: exercise id -> declaration, in the documents' order (docs/exercises.md).
EXERCISES: dict[str, Exercise] = {}
for _module in (seed000, seed001, seed002, seed003, seed004):
    for _exercise in _module.EXERCISES:
        if _exercise.id in EXERCISES:
            raise ValueError(f"exercise id {_exercise.id!r} declared twice")
        EXERCISES[_exercise.id] = _exercise


def lookup(exercise_id: str) -> Exercise:
    """``EXERCISES[exercise_id]`` with an error naming the closest ids."""
    import difflib

    if exercise_id in EXERCISES:
        return EXERCISES[exercise_id]
    close = difflib.get_close_matches(exercise_id, list(EXERCISES), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise KeyError(f"unknown exercise {exercise_id!r}{hint} (python -m lightning_models exercise --list)")


def command(exercise: Exercise) -> str:
    return f"python -m lightning_models exercise {exercise.id}"


def data_available(exercise: Exercise, data_dir: Optional[str] = None) -> tuple[bool, str]:
    """``(True, "")`` when the data of the exercise's first grid point loads here (offline, or
    from ``data_dir``), else ``(False, what the loader said)``."""
    if not exercise.trains:
        return True, ""
    from .runner import Options, planned_runs

    point = planned_runs(exercise, Options(seeds=(0,), max_points=1))[0][0]
    data = {k: (tuple(v) if isinstance(v, list) else v) for k, v in point.data.items() if k != "data_dir"}
    return _loads(point.dataset, tuple(sorted(data.items(), key=str)), data_dir)  # hashable for the cache


@functools.lru_cache(maxsize=None)
def _loads(dataset: str, data: tuple, data_dir: Optional[str]) -> tuple[bool, str]:
    import datamodules

    from .runner import with_data_dir

    cls = datamodules.datamodule_class(dataset)
    options = with_data_dir(cls, dict(data), data_dir)
    try:
        cls(**{k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items()}).load_splits()
    except (datamodules.DataError, OSError) as error:
        return False, str(error).splitlines()[0]
    return True, ""
