"""``python -m lightning_models summary <id> [key=value ...]``: Keras and Lightning summaries side by side.

For a catalog id (and optional hyperparameters, e.g. ``d1=32 activation=relu``) it prints, for
each framework, every layer with its output shape and parameter count, the totals, and the
forward-parity figure (:func:`crosscheck.parity.forward_parity`): the max abs difference of the
outputs on random inputs once the Keras weights are copied into the Lightning model. This is the
table a teacher shows in class.

Torch image shapes are printed channels-first, as torch computes them: ``(8, 30, 30)`` is
Keras' ``(30, 30, 8)``.

The id and the hyperparameters are checked before anything is built: an unknown id names the
closest ids and lists them all; a hyperparameter the network does not take lists those it
takes; a value of the wrong type or out of range (``d1=abc``, ``d1=-4``) says what is expected
(:func:`lightning_models.hyperparameters.check_hyperparameters`). Each is a one-line error, exit status 2.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import inspect
import itertools
from typing import Optional

import torch
from torch import nn

import lightning_models  # before keras_reference (import order: datamodules/_import_guard.py)
import keras_reference
from keras_reference.registry import CATALOG as KERAS_CATALOG
from lightning_models.hyperparameters import UsageError, check_hyperparameters

from .parity import forward_parity


def _parse_value(text: str):
    """``key=value`` values as Python literals (``32``, ``0.5``, ``[16, 8]``), else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def keras_rows(model) -> list[tuple[str, str, str]]:
    """``model.summary()``'s rows: (layer name and type, output shape, parameter count)."""
    rows = []
    for layer in model.layers:
        try:
            shape = layer.output.shape
        except (AttributeError, ValueError):
            shape = "?"
        shape_text = str(tuple(shape)) if not isinstance(shape, str) else shape
        if isinstance(getattr(layer, "output", None), (list, tuple)):
            shape_text = ", ".join(str(tuple(o.shape)) for o in layer.output)
        rows.append((f"{layer.name} ({type(layer).__name__})", shape_text.replace("None", "N"),
                     f"{layer.count_params():,}"))
    return rows


def torch_rows(module: nn.Module, example: torch.Tensor) -> list[tuple[str, str, str]]:
    """Leaf layers in call order, with the output shape recorded by a forward hook."""
    shapes: dict[str, str] = {}
    order: list[str] = []
    hooks = []
    for name, sub in module.named_modules():
        if name and not list(sub.children()):
            def hook(mod, inputs, output, name=name):
                if name not in shapes:
                    order.append(name)
                out = output if isinstance(output, (list, tuple)) else [output]
                shapes[name] = ", ".join(str(("N",) + tuple(o.shape[1:])) for o in out)
            hooks.append(sub.register_forward_hook(hook))
    was_training = module.training
    module.eval()
    with torch.no_grad():
        module(example)
    module.train(was_training)
    for h in hooks:
        h.remove()
    modules = dict(module.named_modules())
    rows = []
    for name in order + [n for n in modules if n and n not in shapes and not list(modules[n].children())]:
        sub = modules[name]
        params = sum(p.numel() for p in sub.parameters(recurse=False))
        rows.append((f"{name} ({type(sub).__name__})", shapes.get(name, "(not called)").replace("'", ""),
                     f"{params:,}"))
    return rows


def _table(title: str, rows: list, total: str) -> list[str]:
    widths = [max(len(r[i]) for r in rows + [("Layer (type)", "Output shape", "Param #")]) for i in range(3)]
    fmt = f"{{:<{widths[0]}}}  {{:<{widths[1]}}}  {{:>{widths[2]}}}"
    lines = [title, fmt.format("Layer (type)", "Output shape", "Param #"),
             "-" * (sum(widths) + 4)]
    lines += [fmt.format(*r) for r in rows]
    lines += ["-" * (sum(widths) + 4), total]
    return lines


def render(entry_id: str, hparams: Optional[dict] = None) -> str:
    """Both summaries side by side and the forward-parity figure, as one printable text."""
    hparams = hparams or {}
    check_arguments(entry_id, hparams)
    torch_model = lightning_models.build(entry_id, **hparams)  # first: its errors list the names
    keras_model = keras_reference.build(entry_id, **hparams)
    example = torch_model.random_input(2, generator=torch.Generator().manual_seed(0))
    k_total = keras_model.count_params()
    t_params = sum(p.numel() for p in torch_model.parameters())
    left = _table(f"Keras ({type(keras_model).__name__})", keras_rows(keras_model),
                  f"Total params: {k_total:,}")
    right = _table(f"Lightning ({type(torch_model).__name__})", torch_rows(torch_model, example),
                   f"Total params: {t_params:,}" + (
                       f" (+{torch_model.count_params() - t_params:,} BatchNorm moving stats = "
                       f"{torch_model.count_params():,} as Keras counts)"
                       if torch_model.count_params() != t_params else ""))
    width = max(len(line) for line in left) + 4
    lines = [f"{entry_id}  {hparams or '(document defaults)'}", ""]
    for a, b in itertools.zip_longest(left, right, fillvalue=""):
        lines.append(a.ljust(width) + b)
    lines += ["", f"Forward parity (Keras weights copied into Lightning, random inputs): "
                  f"max |keras - lightning| = {forward_parity(keras_model, torch_model):.2e}"]
    return "\n".join(lines)


def check_arguments(entry_id: str, hparams: dict) -> None:
    """A :class:`~lightning_models.hyperparameters.UsageError` for an id that is not in the catalog or a
    hyperparameter that both frameworks' builders do not take or cannot use."""
    ids = sorted(lightning_models.CATALOG)
    if entry_id not in lightning_models.CATALOG:
        close = difflib.get_close_matches(entry_id, ids, n=3)
        raise UsageError(f"unknown catalog id {entry_id!r}"
                         + (f"; did you mean {' or '.join(close)}?" if close else ""),
                         hint=f"catalog ids: {', '.join(ids)}")
    keras_arguments = inspect.signature(KERAS_CATALOG[entry_id]).parameters
    check_hyperparameters(lightning_models.CATALOG[entry_id], hparams, accepted=keras_arguments)


class _ArgumentParser(argparse.ArgumentParser):
    """argparse whose usage errors are :class:`~lightning_models.hyperparameters.UsageError` (one line)."""

    def error(self, message):
        raise UsageError(message, hint=f"{self.prog} --help shows the usage")


def main(argv=None) -> None:
    """``summary <id> [key=value ...]`` (``argv`` without the word ``summary``; None: sys.argv)."""
    parser = _ArgumentParser(prog="python -m lightning_models summary",
                             description="Keras and Lightning summaries of a catalog network, side by side.")
    parser.add_argument("entry_id", help="catalog id, e.g. fp.fashion_mlp (see docs/catalog.md)")
    parser.add_argument("hparams", nargs="*", default=[], help="hyperparameters as key=value, e.g. d1=32 activation=relu")
    args = parser.parse_args(argv)
    hparams = {}
    for item in args.hparams:
        if "=" not in item:
            parser.error(f"hyperparameter {item!r} must look like key=value, e.g. d1=32")
        key, value = item.split("=", 1)
        hparams[key] = _parse_value(value)
    print(render(args.entry_id, hparams))
