"""The hyperparameters a network takes, checked before it is built: names, types and ranges.

Used by :func:`lightning_models.build` (the Python API), the command line (before any object
is built, so a refused value is the only line printed) and ``summary``. A network's own
integers (layer sizes, counts) must be >= 1, its floats (dropout rates, L1/L2 factors) >= 0 and
finite, dropout rates < 1; the names the network and :class:`~.base.KerasModule` check
themselves (optimizer, activation, loss...) are left to them.
"""

from __future__ import annotations

import collections.abc
import difflib
import inspect
import math
import numbers
import types
import typing
from typing import Mapping, Optional, Sequence

from .base import KerasModule


class UsageError(ValueError):
    """A mistake in the command line or the configuration; ``hint`` is an optional second line."""

    def __init__(self, message: str, hint: Optional[str] = None):
        super().__init__(message)
        self.hint = hint



class UnknownHyperparameter(UsageError, TypeError):
    """A keyword the network does not take: a TypeError, as Python's own for an unexpected
    keyword argument, and a usage error for the command line."""

def init_arguments(cls: type) -> dict[str, inspect.Parameter]:
    """The keyword arguments ``cls(...)`` takes: its ``__init__``'s, and, while an ``__init__``
    passes ``**kwargs`` on, its base classes' (a network's own, then KerasModule's)."""
    names: dict[str, inspect.Parameter] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        parameters = list(inspect.signature(init).parameters.values())[1:]
        for parameter in parameters:
            if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
                names.setdefault(parameter.name, parameter)
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    return names


def _describe_type(hint) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe_type(a) for a in args)
    if origin in (list, tuple, collections.abc.Sequence):
        return f"a list of {_describe_type(args[0]).removeprefix('an ').removeprefix('a ')}s" \
            if args else "a list"
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false",
            dict: "a mapping", type(None): "null"}.get(hint, getattr(hint, "__name__", str(hint)))


def _has_type(value, hint) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_has_type(value, a) for a in args)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin in (list, tuple, collections.abc.Sequence):
        return isinstance(value, (list, tuple)) and all(_has_type(v, args[0]) for v in value)
    if hint is dict or origin is dict:
        return isinstance(value, dict)
    return True  # any other annotation: the network checks its own values


def check_hyperparameters(model_class: type, hparams: Mapping[str, object],
                          accepted: Optional[Sequence[str]] = None) -> None:
    """A :class:`UsageError` naming the first hyperparameter that ``model_class`` does not take
    (listing those it does; ``accepted`` narrows them), that has the wrong type for its
    annotation, or that no network can use: the network's own integers (layer sizes, counts)
    must be >= 1, its floats (dropout rates, L1/L2 factors) >= 0 and finite, dropout rates < 1.
    The names the network and KerasModule check themselves (optimizer, activation, loss...)
    are left to them."""
    name = getattr(model_class, "catalog_id", model_class.__name__)
    parameters = init_arguments(model_class)
    names = [n for n in parameters if accepted is None or n in accepted]
    for key in hparams:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            raise UnknownHyperparameter(f"{name} takes no hyperparameter {key!r}"
                             + (f"; did you mean {close[0]!r}?" if close else ""),
                             hint=f"{name} takes {', '.join(names)}")
    base = init_arguments(KerasModule)
    for key, value in hparams.items():
        hint = _annotation(model_class, key)
        if not _has_type(value, hint):
            raise UsageError(f"{name}: {key} must be {_describe_type(hint)}, got {value!r}")
        kind = _number_kind(hint)
        if key in base or value is None or kind is None:
            continue
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if kind is int and item < 1:
                raise UsageError(f"{name}: {key} must be >= 1 (a layer size or count), got {value!r}")
            if kind is float and not (math.isfinite(item) and item >= 0
                                      and ("drop" not in key or item < 1)):
                bound = "in [0, 1) (a dropout rate)" if "drop" in key else ">= 0 and finite"
                raise UsageError(f"{name}: {key} must be {bound}, got {value!r}")


def _number_kind(hint) -> Optional[type]:
    """``int`` or ``float`` for an annotation such as ``int``, ``Optional[float]`` or
    ``Sequence[int]``; None for anything else."""
    if hint in (int, float):
        return hint
    kinds = {_number_kind(a) for a in typing.get_args(hint) if a is not type(None)}
    return kinds.pop() if len(kinds) == 1 else None


def _annotation(model_class: type, key: str):
    """The resolved annotation of argument ``key`` (``from __future__ import annotations`` keeps
    them as text), from the first class of the MRO whose ``__init__`` declares it."""
    for klass in model_class.__mro__:
        init = klass.__dict__.get("__init__")
        if init is not None and key in inspect.signature(init).parameters:
            try:
                return typing.get_type_hints(init).get(key, typing.Any)
            except (NameError, TypeError):
                return typing.Any
    return typing.Any
