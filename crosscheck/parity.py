"""Forward parity: how far apart the Keras and the Lightning version of a network compute.

With the Keras weights copied into the LightningModule (:func:`crosscheck.transfer.transfer_weights`),
both models predict the same random inputs; the figure is the worst absolute difference over
all outputs and all sub-models (e.g. the autoencoder's ``encoder``). The parity tests require
it to be at most 1e-5 for every catalog id at every grid point.
"""

from __future__ import annotations

import numpy as np
import torch

from .transfer import transfer_weights


def _as_arrays(outputs) -> list:
    return [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]


def _max_abs_difference(torch_outputs, keras_outputs, what: str) -> float:
    """Worst |difference| over all outputs; refuses outputs that differ in number or shape
    (numpy would otherwise broadcast (N, 1) against (N,) silently)."""
    t_list, k_list = _as_arrays(torch_outputs), _as_arrays(keras_outputs)
    if len(t_list) != len(k_list):
        raise ValueError(f"{what}: {len(t_list)} Lightning outputs vs {len(k_list)} Keras outputs")
    for t, k in zip(t_list, k_list):
        if t.shape != k.shape:
            raise ValueError(f"{what}: Lightning output {t.shape} vs Keras {k.shape}")
    return max(float(np.abs(t - k).max()) for t, k in zip(t_list, k_list))


def forward_parity(keras_model, torch_model, n: int = 16, seed: int = 0) -> float:
    """Max abs difference of the outputs (all outputs, all sub-models) with transferred weights,
    on ``n`` random inputs; raises if their number or shapes differ."""
    transfer_weights(keras_model, torch_model)
    torch_model.eval()
    x = torch_model.random_input(n, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        worst = _max_abs_difference(torch_model.predict_step(x, 0),
                                    keras_model.predict(x.numpy(), verbose=0), "model")
        for name in getattr(type(torch_model), "submodels", ()):
            worst = max(worst, _max_abs_difference(getattr(torch_model, name)(x),
                                                   getattr(keras_model, name).predict(x.numpy(), verbose=0),
                                                   name))
    return worst
