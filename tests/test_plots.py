"""The documents' plots take either framework's History and the 2-D codes of an encoder."""

import numpy as np
import pytest
import torch

import datamodules
import lightning_models
from lightning_models.plots import plot_codes, plot_history
from lightning_models.training import fit


def test_plot_history_draws_train_and_val_curves_of_each_metric(tmp_path):
    logs = {"loss": [0.9, 0.5, 0.4], "accuracy": [0.6, 0.8, 0.85],
            "val_loss": [1.0, 0.6, 0.5], "val_accuracy": [0.5, 0.7, 0.8]}
    fig = plot_history(logs, path=str(tmp_path / "curves.png"))
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    loss_lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in loss_lines] == ["loss", "val_loss"]
    np.testing.assert_array_equal(loss_lines[1].get_ydata(), logs["val_loss"])
    assert (tmp_path / "curves.png").stat().st_size > 1000


def test_plot_codes_of_the_autoencoder_encoder(tmp_path):
    torch.manual_seed(0)
    dm = datamodules.DigitsDataModule(batch_size=100, targets="inputs")
    model = lightning_models.build("apa.autoencoder")
    fit(model, dm, epochs=2)
    with torch.no_grad():
        codes = model.encoder(torch.from_numpy(dm.splits.x_train)).numpy()
    labels = datamodules.load("digits").y_train
    fig = plot_codes(codes, labels, path=str(tmp_path / "codes.png"))
    offsets = fig.axes[0].collections[0].get_offsets()
    assert offsets.shape == (1257, 2)
    np.testing.assert_allclose(np.asarray(offsets), codes, rtol=1e-6)
    with pytest.raises(ValueError, match=r"needs \(N, 2\) codes"):
        plot_codes(np.zeros((3, 3)), [0, 1, 2])
