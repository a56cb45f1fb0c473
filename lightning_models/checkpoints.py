"""Checkpoints that survive kills, copies and mistakes (issue 8, item 3).

Lightning writes and reads the checkpoints; this module adds what a user resuming a run needs:

- :class:`AtomicCheckpointIO`: every save writes ``<target>.tmp`` in the target's own folder and
  renames it over the target, so a kill at any moment leaves either the old or the new file,
  never a truncated one. (Lightning's own save goes through an fsspec transaction whose
  temporary file lives in ``/tmp``: on another filesystem its final move is a copy.) The CLI and
  :func:`~.training.keras_trainer` use it by default (``TRAINER_DEFAULTS["plugins"]``).
- :func:`check_resume`: before a run loads a checkpoint, the file is read once: a missing,
  truncated or corrupt file is a :class:`CheckpointError` naming the newest intact checkpoint
  beside it; a checkpoint of another network, or of the same network with other
  hyperparameters, is a :class:`CheckpointMismatchError` naming the differences. Only
  :data:`RESUME_OVERRIDES` may differ (``--ckpt_path last --model.init_args.learning_rate 1e-4``
  lowers the learning rate of a resumed run). Checkpoints written through the CLI and through
  the Python API (:func:`~.training.fit` with a ModelCheckpoint) are checked alike.
- :func:`relocate_callback_states`: a run folder copied or moved elsewhere and resumed there
  goes on writing (and pruning) in its new place, never in the original folder.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
from typing import Any, Mapping, Optional

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

#: Hyperparameters a resumed run may change: the learning rate (an explicit one replaces the
#: optimiser's saved one, base.py ``on_train_start``) and ``steps_per_execution`` (results do
#: not depend on it). Any other difference means another model.
RESUME_OVERRIDES = ("learning_rate", "steps_per_execution")

#: Key of the network's class path in the checkpoints the project writes (base.py), so that a
#: checkpoint written through the Python API names its class as the CLI's do (``_class_path``).
CLASS_KEY = "model_class_path"


class CheckpointError(RuntimeError):
    """A checkpoint file that is missing, truncated, corrupt or not resumable."""


class CheckpointMismatchError(ValueError):
    """A checkpoint of another network, or of the same network with other hyperparameters."""


def _is_local(path) -> bool:
    """A path of this machine's filesystem (not ``s3://...``, ``file://...`` or another URL)."""
    return "://" not in os.fspath(path)


# -- atomic saves ---------------------------------------------------------------------------------
class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's TorchCheckpointIO whose local saves are atomic on every filesystem: the
    checkpoint is written to ``<path>.tmp`` beside ``path``, then renamed over it with
    :func:`os.replace` (one rename within one folder). Remote paths keep Lightning's way."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path, storage_options: Optional[Any] = None) -> None:
        if storage_options is not None or not _is_local(path):
            return super().save_checkpoint(checkpoint, path, storage_options)
        path = os.fspath(path)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        temporary = path + ".tmp"
        try:
            with open(temporary, "wb") as file:
                torch.save(checkpoint, file)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(temporary)
            raise


# -- reading a checkpoint, or saying why not ---------------------------------------------------
def _is_path(ckpt_path) -> bool:
    """A local file path (not Lightning's "last"/"best"/"hpc" keywords, not a URL)."""
    text = os.fspath(ckpt_path)
    return text not in ("last", "best", "hpc") and not text.startswith("registry:") and _is_local(text)


def _try_load(path: str):
    """``(checkpoint, None)``, or ``(None, reason)`` when ``path`` cannot be read as one."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True), None
    except Exception as error:  # torch reports a damaged file in many ways (OSError, RuntimeError...)
        if "Weights only load failed" in str(error):
            return None, "holds Python objects other than tensors and plain values, which a safe load refuses"
        return None, "is truncated or corrupt"


def newest_intact_checkpoint(folder: str, exclude: str = "", resumable: bool = True) -> Optional[str]:
    """The intact ``*.ckpt`` of ``folder`` with the most training steps (the latest written on a
    tie), skipping ``exclude``; with ``resumable``, only those that hold the optimiser state."""
    if not os.path.isdir(folder):
        return None
    best, best_key = None, None
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if not name.endswith(".ckpt") or not os.path.isfile(path) or \
                (exclude and os.path.abspath(path) == os.path.abspath(exclude)):
            continue
        checkpoint, _ = _try_load(path)
        if not isinstance(checkpoint, dict) or (resumable and "optimizer_states" not in checkpoint):
            continue
        key = (checkpoint.get("global_step", -1), os.path.getmtime(path))
        if best_key is None or key > best_key:
            best, best_key = path, key
    return best


def _beside(path: str, resumable: bool) -> str:
    """The hint that ends a CheckpointError: the newest intact checkpoint in the same folder."""
    other = newest_intact_checkpoint(os.path.dirname(path) or ".", exclude=path, resumable=resumable)
    if other is None:
        return "no intact checkpoint beside it: start a new run without --ckpt_path"
    return f"the newest intact one beside it is {os.path.basename(other)}: --ckpt_path {other}"


def read_checkpoint(path: str, resumable: bool = True) -> dict:
    """The checkpoint at ``path`` (loaded safely, on the CPU), or a one-line CheckpointError;
    ``resumable``: it must hold the optimiser state (a ``fit`` resume)."""
    if not os.path.isfile(path):
        raise CheckpointError(f"checkpoint {path} does not exist; {_beside(path, resumable)}")
    checkpoint, reason = _try_load(path)
    if checkpoint is None:
        raise CheckpointError(f"checkpoint {path} {reason}; {_beside(path, resumable)}")
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise CheckpointError(f"{path} is not a Lightning checkpoint (no state_dict); "
                              f"{_beside(path, resumable)}")
    if resumable and "optimizer_states" not in checkpoint:
        raise CheckpointError(f"checkpoint {path} holds only the weights (save_weights_only), not "
                              f"the optimiser state a resumed fit needs: load it with "
                              f"model.load_weights(path), or resume from another; {_beside(path, True)}")
    return checkpoint


# -- is it the configured model? -----------------------------------------------------------------
def _class_of(class_path: Optional[str]):
    if not class_path:
        return None
    module, _, name = class_path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        return None


def _plain(value):
    """YAML/Namespace values and saved values in one form: dicts, lists, plain scalars."""
    if hasattr(value, "as_dict"):  # jsonargparse Namespace
        value = value.as_dict()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _effective(model_class, hparams: Mapping) -> dict:
    """The hyperparameters as the network uses them: ``optimizer=None`` is the document's
    optimiser (``keras_compile.optimizer``), ``optimizer_options=None`` is no options."""
    values = {key: _plain(value) for key, value in hparams.items() if not key.startswith("_")}
    compile_settings = getattr(model_class, "keras_compile", None)
    if "optimizer" in values and compile_settings is not None:
        values["optimizer"] = (values["optimizer"] or compile_settings.optimizer).lower()
    if "optimizer_options" in values and values["optimizer_options"] is None:
        values["optimizer_options"] = {}
    return values


def _class_name(model_class, class_path: str) -> str:
    return getattr(model_class, "catalog_id", None) or class_path.rpartition(".")[2]


def model_differences(checkpoint: Mapping, model_class: type, hparams: Mapping) -> list[str]:
    """How the checkpoint's network differs from ``model_class(**hparams)``, one phrase each;
    empty when it is the same network (hyperparameters of :data:`RESUME_OVERRIDES` aside)."""
    saved = dict(checkpoint.get("hyper_parameters") or {})
    saved_path = saved.get("_class_path") or checkpoint.get(CLASS_KEY)
    saved_class = _class_of(saved_path)
    configured_path = f"{model_class.__module__}.{model_class.__qualname__}"
    if saved_path and (saved_class is not model_class if saved_class else saved_path != configured_path):
        return [f"network {_class_name(saved_class, saved_path)} in the checkpoint, "
                f"{_class_name(model_class, configured_path)} configured"]
    saved, configured = _effective(model_class, saved), _effective(model_class, hparams)
    return [f"{key}: {saved[key]!r} in the checkpoint, {configured[key]!r} configured"
            for key in configured
            if key in saved and key not in RESUME_OVERRIDES and saved[key] != configured[key]]


def check_resume(ckpt_path, model_class: type, hparams: Mapping, resumable: bool = True) -> None:
    """Refuse, before anything is built or written, a checkpoint that cannot be loaded into
    ``model_class(**hparams)``: missing or damaged (:class:`CheckpointError`) or of another
    model (:class:`CheckpointMismatchError`). Lightning's keywords (``"best"``...) and remote
    paths are left to Lightning."""
    if not ckpt_path or not _is_path(ckpt_path):
        return
    path = os.fspath(ckpt_path)
    checkpoint = read_checkpoint(path, resumable=resumable)
    differences = model_differences(checkpoint, model_class, hparams)
    if not differences:
        return
    saved = checkpoint.get("hyper_parameters") or {}
    if differences[0].startswith("network "):
        saved_class = _class_of(saved.get("_class_path") or checkpoint.get(CLASS_KEY))
        catalog_id = getattr(saved_class, "catalog_id", None)
        fix = f"use that network's config (--config configs/{catalog_id}.yaml)" if catalog_id \
            else "use that network's config"
    else:
        keys = [phrase.partition(":")[0] for phrase in differences]
        flags = " ".join(f"--model.init_args.{key} {_flag_value(saved.get(key))}" for key in keys)
        fix = f"to resume it, configure its values ({flags})"
    raise CheckpointMismatchError(
        f"checkpoint {path} holds another model than the configured one ({'; '.join(differences)}): "
        f"{fix}, or start a new run without --ckpt_path")


def _flag_value(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dict, list, tuple)):
        return "'" + json.dumps(_plain(value)) + "'"
    return str(value)


def check_resume_config(ckpt_path, model_config, subcommand: str = "fit") -> None:
    """:func:`check_resume` for the CLI, whose ``config.model`` is a jsonargparse Namespace
    (``class_path``, ``init_args``); a ``fit`` needs a resumable checkpoint, the other
    subcommands only the weights."""
    if not ckpt_path or not _is_path(ckpt_path):
        return
    model_class = _class_of(model_config.class_path)
    if model_class is None:  # the parser has checked it; nothing to compare against otherwise
        return
    init_args = _plain(model_config.get("init_args") or {})
    init_args.update(_plain(model_config.get("dict_kwargs") or {}))
    check_resume(ckpt_path, model_class, init_args, resumable=subcommand == "fit")


# -- a run folder that moved ----------------------------------------------------------------------
def _moved_prefixes(old: str, new: str) -> tuple[str, str]:
    """``old`` and ``new`` without their common trailing folders: the part that moved."""
    old_parts, new_parts = old.split(os.sep), new.split(os.sep)
    while len(old_parts) and len(new_parts) and old_parts[-1] == new_parts[-1] and old_parts[-1]:
        old_parts.pop()
        new_parts.pop()
    return os.sep.join(old_parts), os.sep.join(new_parts)


def _move(path, old_prefix: str, new_prefix: str):
    if not isinstance(path, str) or not path:
        return path
    normal = os.path.normpath(path)
    if not old_prefix:  # the checkpoint kept a relative path: it is now under new_prefix
        return path if os.path.isabs(normal) else os.path.join(new_prefix, normal)
    if normal == old_prefix or normal.startswith(old_prefix.rstrip(os.sep) + os.sep):
        rest = normal[len(old_prefix):].lstrip(os.sep)
        return os.path.join(new_prefix, rest) if new_prefix and rest else (rest or new_prefix)
    return path


def relocate_callback_states(checkpoint: dict, trainer) -> None:
    """Called while a checkpoint is loaded (base.py ``on_load_checkpoint``, before the
    callbacks read their states): when the resumed file lies in a copy or a move of the run
    folder, move the ModelCheckpoint states' paths (``dirpath``, best, last, top-k) along, so
    that Lightning restores them (instead of warning and keeping paths into the original
    folder) and the run writes and prunes in the copy only."""
    resumed = getattr(trainer, "ckpt_path", None)
    if not resumed or not _is_path(resumed):
        return
    resumed = os.path.abspath(resumed)
    states = checkpoint.get("callbacks") or {}
    for callback in trainer.checkpoint_callbacks:
        state = states.get(callback.state_key)
        if not isinstance(state, dict) or not state.get("dirpath") or not callback.dirpath:
            continue
        old, new = os.path.normpath(state["dirpath"]), os.path.normpath(callback.dirpath)
        if old == new:
            continue
        old_prefix, new_prefix = _moved_prefixes(old, new)
        if not resumed.startswith(os.path.abspath(new_prefix or ".").rstrip(os.sep) + os.sep):
            continue  # resumed from a checkpoint elsewhere: a new run, not a moved one
        for key in ("best_model_path", "kth_best_model_path", "last_model_path"):
            state[key] = _move(state.get(key), old_prefix, new_prefix)
        if isinstance(state.get("best_k_models"), dict):
            state["best_k_models"] = {_move(path, old_prefix, new_prefix): score
                                      for path, score in state["best_k_models"].items()}
        state["dirpath"] = callback.dirpath
