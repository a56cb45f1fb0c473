"""Bad input gets a short message naming the problem and the fix."""

import pytest
import torch

import datamodules
import keras_reference
import lightning_models
from lightning_models.keras_layers import get_activation, get_regularizer
from lightning_models.keras_losses import compute_loss
from lightning_models.keras_optim import make_optimizer


@pytest.mark.parametrize("registry", [lightning_models, keras_reference])
def test_unknown_catalog_id_suggests_the_closest(registry):
    with pytest.raises(KeyError, match="did you mean fp.fashion_mlp"):
        registry.build("fp.fashon_mlp")


def test_unknown_hyperparameter_is_named():
    with pytest.raises(TypeError, match="widht"):
        lightning_models.build("apa.autoencoder", widht=3)


def test_unknown_dataset():
    with pytest.raises(KeyError, match="unknown dataset 'fashion'.*fashion_mnist"):
        datamodules.load("fashion")


def test_unknown_optimizer_loss_activation_and_options():
    p = [torch.nn.Parameter(torch.zeros(1))]
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'"):
        make_optimizer("adamw", p)
    with pytest.raises(ValueError, match=r"'sgd' does not take \['rho'\]"):
        make_optimizer("sgd", p, rho=0.9)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        compute_loss("hinge", torch.zeros(2, 1), torch.zeros(2), "linear")
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        get_activation("gelu")


def test_l1_l2_string_is_rejected_as_in_keras_3():
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier: 'l1_l2'"):
        get_regularizer("l1_l2")
    assert get_regularizer({"l1": 0.01, "l2": 0.01})(torch.ones(3)).item() == pytest.approx(0.06)


def test_missing_data_names_the_folder_and_the_fix(tmp_path):
    with pytest.raises(datamodules.DataError, match=str(tmp_path)) as err:
        datamodules.load("cifar10", data_dir=str(tmp_path))
    assert "download=True" in str(err.value)


def test_parity_figure_refuses_outputs_of_different_shapes():
    """(N, 1) against (N,) would broadcast to (N, N) in numpy and hide a mismatch."""
    import numpy as np

    from crosscheck.parity import _max_abs_difference

    with pytest.raises(ValueError, match=r"Lightning output \(4, 1\) vs Keras \(4,\)"):
        _max_abs_difference(np.zeros((4, 1)), np.zeros(4), "model")
    with pytest.raises(ValueError, match="2 Lightning outputs vs 1 Keras outputs"):
        _max_abs_difference([np.zeros(2), np.zeros(2)], np.zeros(2), "model")
