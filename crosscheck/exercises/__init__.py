"""The documents' exercises (docs/exercises.md), each one command in both frameworks (issue 10).

    python -m lightning_models exercise --list
    python -m lightning_models exercise apa-p1-autoencoder --framework both --epochs 200

Declarations: ``seed000.py`` .. ``seed004.py`` (one file per document, :class:`.spec.Exercise`);
the runner: :mod:`.runner`; the files it writes: :mod:`.reports`; the command: :mod:`.cli`.
"""

from .catalog import EXERCISES, command, lookup
from .spec import Exercise, grid

__all__ = ["EXERCISES", "Exercise", "command", "grid", "lookup"]
