"""Every catalog network at every grid point: same parameter count and same outputs in both
frameworks once the Keras weights are transferred (issue: every network, both frameworks)."""

import pytest

import keras_reference
import lightning_models
from crosscheck import forward_parity
from lightning_models.keras_layers import BatchNormalization
from lightning_models.registry import GRIDS

from conftest import keras_seed

FORWARD_TOLERANCE = 1e-5

CASES = [pytest.param(entry_id, point, id=f"{entry_id}-{i}")
         for entry_id in sorted(lightning_models.CATALOG) for i, point in enumerate(GRIDS[entry_id])]


def test_every_lightning_id_has_a_keras_builder():
    assert sorted(lightning_models.CATALOG) == sorted(keras_reference.CATALOG)


def _pair(entry_id, point, seed=0):
    keras_seed(seed)
    keras_model = keras_reference.build(entry_id, **point)
    torch_model = lightning_models.build(entry_id, **point)
    return keras_model, torch_model


@pytest.mark.parametrize("entry_id, point", CASES)
def test_parameter_count(entry_id, point):
    keras_model, torch_model = _pair(entry_id, point)
    torch_params = sum(p.numel() for p in torch_model.parameters())
    # Keras counts BatchNormalization's moving mean and variance as (non-trainable) parameters;
    # torch keeps them as buffers. So Keras = torch parameters + 2 * features per BN layer.
    bn_moving = sum(2 * m.weight.numel() for m in torch_model.modules()
                    if isinstance(m, BatchNormalization))
    assert keras_model.count_params() == torch_params + bn_moving
    assert torch_model.count_params() == keras_model.count_params()


@pytest.mark.parametrize("entry_id, point", CASES)
def test_forward_parity_with_transferred_weights(entry_id, point):
    """All outputs and sub-models: same number, same shapes (else forward_parity raises), and
    max |keras - lightning| <= 1e-5 on 8 random inputs."""
    keras_model, torch_model = _pair(entry_id, point)
    assert forward_parity(keras_model, torch_model, n=8, seed=1) <= FORWARD_TOLERANCE


def _keras_name(entry) -> str:
    """A loss or metric of ``get_compile_config()``: a Keras name, a custom function's name, or
    a loss object's name (``keras.losses.CategoricalCrossentropy()`` -> its ``name``)."""
    if isinstance(entry, str):
        return entry
    return entry["config"] if isinstance(entry["config"], str) else entry["config"]["name"]


LOSS_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error"}


@pytest.mark.parametrize("entry_id", sorted(lightning_models.CATALOG))
def test_compile_settings_match_the_keras_builder(entry_id):
    """Each side declares the document's compile(...) on its own (KerasCompile on the class, the
    compile call in the builder): the loss, optimiser (with Keras' default learning rate) and
    metrics must be the same."""
    config = keras_reference.build(entry_id).get_compile_config()
    torch_model = lightning_models.build(entry_id)
    loss = _keras_name(config["loss"])
    assert LOSS_ALIASES.get(loss, loss) == LOSS_ALIASES.get(torch_model.loss_name, torch_model.loss_name)
    assert config["optimizer"]["class_name"].lower() == torch_model.optimizer_name
    assert [_keras_name(m) for m in config["metrics"] or []] == torch_model.metric_names
    (group,) = torch_model.configure_optimizers().param_groups
    assert group["lr"] == pytest.approx(config["optimizer"]["config"]["learning_rate"], rel=1e-6)
