"""The documents' plots, for a Keras History and a Lightning one alike.

The exercises plot ``history.history['loss']`` against ``['val_loss']`` (and the accuracies) per
epoch, and 2-D codes coloured by class (autoencoder encoder, the 2-unit projection of
apa.fashion3_mlp_2d, PCA). Both functions take plain arrays or either framework's History, so a
reader can put the two frameworks' curves side by side.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
from matplotlib.figure import Figure

# Figures are made with matplotlib's object API (``Figure``), not pyplot: no backend is chosen
# and no window opened, so this works on servers, in tests and inside notebooks alike, and
# importing this module changes no global matplotlib state. In a notebook, display the returned
# figure (or open the saved file).


def plot_history(history, title: str = "", path: Optional[str] = None):
    """One panel per metric (``loss``, ``accuracy``...), training and ``val_`` curves per epoch.

    ``history`` is a ``keras.callbacks.History``, a :class:`~lightning_models.base.History` or
    their ``.history`` dict. Returns the figure; saves it when ``path`` is given.
    """
    logs = getattr(history, "history", history)
    metrics = [k for k in logs if not k.startswith("val_")]
    fig = Figure(figsize=(5 * len(metrics), 3.5))
    axes = fig.subplots(1, len(metrics), squeeze=False)
    for ax, name in zip(axes[0], metrics):
        ax.plot(np.arange(1, len(logs[name]) + 1), logs[name], label=name)
        if "val_" + name in logs:
            ax.plot(np.arange(1, len(logs["val_" + name]) + 1), logs["val_" + name], label="val_" + name)
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.legend()
    fig.suptitle(title)
    return _finish(fig, path)


def _finish(fig, path: Optional[str]):
    """Lay out, save to ``path`` if given; returns the figure (pyplot never holds it)."""
    fig.tight_layout()
    if path:
        fig.savefig(path, dpi=100)
    return fig


def plot_codes(codes: np.ndarray, labels: Sequence[int], title: str = "", path: Optional[str] = None):
    """A 2-D scatter of ``codes`` (N, 2) coloured by ``labels`` (encoder outputs, projections, PCA)."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(f"plot_codes needs (N, 2) codes, got {codes.shape}")
    fig = Figure(figsize=(5, 4.5))
    ax = fig.subplots()
    points = ax.scatter(codes[:, 0], codes[:, 1], c=np.asarray(labels), cmap="tab10", s=6)
    fig.colorbar(points, ax=ax)
    ax.set_title(title)
    return _finish(fig, path)
