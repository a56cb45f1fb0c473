"""Losses and the ``'accuracy'`` metric by Keras name, computed the way Keras' ``fit`` does.

Models here return LOGITS (the output Dense without its softmax/sigmoid). Keras' ``fit`` also
computes cross-entropy from the logits when the output layer is a softmax/sigmoid (it reads
``_keras_logits``; docs/keras-vs-torch.md section 8), so the unclipped ``F.cross_entropy`` /
``binary_cross_entropy_with_logits`` reproduce it. A cross-entropy on an output that is not the
matching activation falls back to Keras' clipped formula on probabilities (``keras_ce_on_probs``).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from .keras_layers import get_activation

EPSILON = 1e-7  # keras.config.epsilon()

ALIASES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "bce": "binary_crossentropy",
    "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
    # Keras' class names are compile() names too (seed 001 lists the regression losses so)
    "MeanSquaredError": "mean_squared_error",
    "MeanAbsoluteError": "mean_absolute_error",
    "MeanAbsolutePercentageError": "mean_absolute_percentage_error",
    "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error",
    "BinaryCrossentropy": "binary_crossentropy",
    "CategoricalCrossentropy": "categorical_crossentropy",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
}


def _match_rank(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Keras squeezes/expands ``(N,)`` targets against ``(N, 1)`` predictions (never broadcasts)."""
    if target.dim() == pred.dim() - 1:
        target = target.unsqueeze(-1)
    return target.to(pred.dtype)


def keras_ce_on_probs(probs: torch.Tensor, target: torch.Tensor, sparse: bool) -> torch.Tensor:
    """Keras cross-entropy on plain probabilities (keras/src/backend/tensorflow/nn.py).

    Categorical: normalise, clip to [eps, 1-eps], ``-sum y log p``. Sparse: clip, log, then
    ``sparse_softmax_cross_entropy_with_logits`` of those logs (which re-normalises)."""
    if sparse:
        return F.cross_entropy(probs.clamp(EPSILON, 1 - EPSILON).log(), target.long().view(-1))
    probs = probs / probs.sum(-1, keepdim=True)
    return -(target * probs.clamp(EPSILON, 1 - EPSILON).log()).sum(-1).mean()


def keras_bce_on_probs(probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    p = probs.clamp(EPSILON, 1 - EPSILON)
    target = _match_rank(p, target)
    return -(target * p.log() + (1 - target) * (1 - p).log()).mean()


LOSSES = ("sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
          "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
          "mean_squared_logarithmic_error")


def check_loss_name(name: str) -> None:
    """A clear error for a loss name this module does not compute."""
    if ALIASES.get(name, name) not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; use one of {', '.join(LOSSES)} "
                         f"(or the aliases {', '.join(ALIASES)})")


def compute_loss(name: str, logits: torch.Tensor, target: torch.Tensor,
                 output_activation: str) -> torch.Tensor:
    """Keras' ``compile(loss=name)`` value for a model whose output layer applies
    ``output_activation`` to ``logits``. Reduction: mean over all elements (sum_over_batch_size)."""
    name = ALIASES.get(name, name)
    if name == "sparse_categorical_crossentropy":
        if output_activation == "softmax":
            return F.cross_entropy(logits, target.long().view(-1))
        return keras_ce_on_probs(get_activation(output_activation)(logits), target, sparse=True)
    if name == "categorical_crossentropy":
        if output_activation == "softmax":
            return F.cross_entropy(logits, target.to(logits.dtype))
        return keras_ce_on_probs(get_activation(output_activation)(logits), target, sparse=False)
    if name == "binary_crossentropy":
        if output_activation == "sigmoid":
            return F.binary_cross_entropy_with_logits(logits, _match_rank(logits, target))
        return keras_bce_on_probs(get_activation(output_activation)(logits), target)
    outputs = get_activation(output_activation)(logits)
    if name == "mean_squared_error":
        return F.mse_loss(outputs, _match_rank(outputs, target))
    if name == "mean_absolute_error":
        return F.l1_loss(outputs, _match_rank(outputs, target))
    if name == "mean_absolute_percentage_error":  # seed 001; keras.losses, as Keras computes it
        target = _match_rank(outputs, target)
        return 100 * ((target - outputs) / target.abs().clamp_min(EPSILON)).abs().mean()
    if name == "mean_squared_logarithmic_error":  # seed 001: log(max(., eps) + 1), squared
        target = _match_rank(outputs, target)
        first, second = (outputs.clamp_min(EPSILON) + 1).log(), (target.clamp_min(EPSILON) + 1).log()
        return (first - second).square().mean()
    check_loss_name(name)
    raise AssertionError(f"loss {name!r} is listed in LOSSES but not computed")


def keras_accuracy(outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-sample correctness under Keras' rule for ``metrics=['accuracy']`` (docs/keras-vs-torch.md s.9).

    The choice depends on shapes, not on the loss: one output unit -> binary accuracy with
    ``p > 0.5``; integer labels (lower rank, or last dim 1) -> argmax vs label; one-hot labels
    -> argmax vs argmax. ``outputs`` are probabilities (after the output activation).
    """
    if outputs.shape[-1] == 1:
        target = _match_rank(outputs, target)
        return ((outputs > 0.5).to(target.dtype) == target).float().view(-1)
    predicted = outputs.argmax(-1)
    if target.dim() < outputs.dim() or target.shape[-1] == 1:
        return (predicted == target.view(predicted.shape).long()).float()
    return (predicted == target.argmax(-1)).float()


def keras_mse(outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-sample ``metrics=['mean_squared_error']`` (or ``'mse'``)."""
    return (outputs - _match_rank(outputs, target)).square().mean(-1)


METRICS: dict[str, Callable] = {
    "accuracy": keras_accuracy,
    "acc": keras_accuracy,
    "mean_squared_error": keras_mse,
    "mse": keras_mse,
}
