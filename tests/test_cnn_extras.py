"""The CNN family beyond the generic parity tests: the parameter counts the exercises compare,
BatchNormalization's moving statistics in training mode, losses with L2, and a 1-epoch fit."""

import lightning.pytorch as pl
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import crosscheck
import keras_reference
import lightning_models
from lightning_models.cnn import cifar2_conv_net, cifar2_filters
from lightning_models.keras_layers import BatchNormalization

from conftest import keras_seed


def _pair(entry_id, seed=0, **point):
    keras_seed(seed)
    keras_model = keras_reference.build(entry_id, **point)
    torch_model = lightning_models.build(entry_id, **point)
    crosscheck.transfer_weights(keras_model, torch_model)
    return keras_model, torch_model


def test_cifar2_parameter_counts_per_depth_with_and_without_pooling():
    """Seed 000, problem 3d: "obtain the sizes of the networks you trained". Pooling (2x2,
    stride 1) trims one row and column per convolution, so the first Dense layer shrinks."""
    rows = []
    for n_conv in range(1, 6):
        counts = {}
        for entry_id in ("apa.cifar2_deep_cnn", "apa.cifar2_pool_cnn"):
            keras_model = keras_reference.build(entry_id, n_conv=n_conv)
            torch_model = lightning_models.build(entry_id, n_conv=n_conv)
            assert keras_model.count_params() == torch_model.count_params()
            counts[entry_id] = torch_model.count_params()
        plain, pooled = counts["apa.cifar2_deep_cnn"], counts["apa.cifar2_pool_cnn"]
        assert pooled < plain
        rows.append((n_conv, plain, pooled))
    print("\nn_conv  without pooling  with pooling")
    for n_conv, plain, pooled in rows:
        print(f"{n_conv:>6}  {plain:>15,}  {pooled:>12,}")
    # Deeper networks without pooling grow (more channels into the first Dense layer).
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)
    # Hand count of the single-convolution network without pooling (part b):
    # conv 3*3*3*8 + 8, Dense 30*30*8*64 + 64, Dense 64*32 + 32, Dense 32 + 1.
    assert rows[0][1] == 224 + 460_864 + 2_080 + 33


def test_cifar2_cnn_is_the_one_convolution_case_of_the_shared_builder():
    model = lightning_models.build("apa.cifar2_cnn", drop=0.4, l2=0.01)
    reference = cifar2_conv_net(8, 1, 0.4, 0.01, False)
    assert str(model.net) == str(reference)
    assert cifar2_filters(8, 5) == (8, 16, 32, 64, 128)
    with pytest.raises(ValueError, match="1 to 5 convolutional layers"):
        lightning_models.build("apa.cifar2_deep_cnn", n_conv=6)
    with pytest.raises(ValueError, match="1 to 5 convolutional layers"):
        keras_reference.build("apa.cifar2_pool_cnn", n_conv=0)


@pytest.mark.parametrize("filters", [1, 10])
def test_olivetti_cnn_parameter_count_as_part_d_explains(filters):
    """Convolution: filters * (3*3*1 weights + 1 bias); Dense: (62*62*filters + 1) * 40."""
    keras_model = keras_reference.build("apa.olivetti_cnn", filters=filters)
    expected = filters * 10 + (62 * 62 * filters + 1) * 40
    assert keras_model.count_params() == expected
    assert lightning_models.build("apa.olivetti_cnn", filters=filters).count_params() == expected


def test_conv_batchnorm_moving_statistics_match_keras_in_training_mode():
    """Keras BatchNormalization (channels-last, axis=-1) and the torch one (dim 1 of NCHW) see
    the same channels; after the same training-mode batches their moving mean and variance
    (Keras: momentum 0.99, biased batch variance) agree, and so do the training outputs."""
    keras_model, torch_model = _pair("fp.conv_batchnorm")
    torch_model.train()
    generator = torch.Generator().manual_seed(3)
    for _ in range(3):
        x = torch.rand(16, 28, 28, 1, generator=generator)
        keras_out = np.asarray(keras_model(x.numpy(), training=True))
        with torch.no_grad():
            torch_out = torch_model.outputs(torch_model(x)).numpy()
        assert np.abs(torch_out - keras_out).max() <= 1e-5
    keras_bn = next(l for l in keras_model.layers if type(l).__name__ == "BatchNormalization")
    torch_bn = next(m for m in torch_model.modules() if isinstance(m, BatchNormalization))
    keras_mean, keras_var = (np.asarray(v) for v in (keras_bn.moving_mean, keras_bn.moving_variance))
    assert np.abs(keras_mean).max() > 1e-3  # the statistics did move
    assert np.abs(torch_bn.moving_mean.numpy() - keras_mean).max() <= 1e-5
    assert np.abs(torch_bn.moving_variance.numpy() - keras_var).max() <= 1e-5


def _labels(entry_id, n, generator):
    if entry_id.startswith("apa.cifar2"):
        return torch.randint(0, 2, (n,), generator=generator).float()
    if entry_id == "apa.olivetti_cnn":  # one-hot, as the document's OneHotEncoder
        return torch.nn.functional.one_hot(torch.randint(0, 40, (n,), generator=generator), 40).float()
    return torch.randint(0, 10, (n,), generator=generator)


@pytest.mark.parametrize("entry_id", ["apa.cifar2_deep_cnn", "apa.olivetti_cnn", "fp.conv_batchnorm"])
def test_evaluate_loss_and_accuracy_match_keras(entry_id):
    """``model.evaluate`` = cross-entropy + the L2 penalties (cifar2 defaults: l2=0.01)."""
    keras_model, torch_model = _pair(entry_id)
    torch_model.eval()
    generator = torch.Generator().manual_seed(5)
    x = torch_model.random_input(24, generator=generator)
    y = _labels(entry_id, 24, generator)
    keras_loss, keras_acc = keras_model.evaluate(x.numpy(), y.numpy(), batch_size=24, verbose=0)
    with torch.no_grad():
        logits = torch_model(x)
        loss = float(torch_model.total_loss(logits, y))
        acc = float(torch_model._metric_values(logits, y)[0].mean())
    assert loss == pytest.approx(keras_loss, rel=1e-5)
    assert acc == pytest.approx(keras_acc)


@pytest.mark.parametrize("entry_id", ["apa.cifar2_cnn", "apa.cifar2_deep_cnn", "apa.cifar2_pool_cnn",
                                      "apa.olivetti_cnn", "fp.conv_batchnorm"])
def test_one_epoch_lightning_fit_on_random_data(entry_id):
    torch.manual_seed(0)
    model = lightning_models.build(entry_id)
    generator = torch.Generator().manual_seed(0)
    x = model.random_input(32, generator=generator)
    y = _labels(entry_id, 32, generator)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    trainer = pl.Trainer(max_epochs=1, enable_progress_bar=False, logger=False,
                         enable_checkpointing=False, enable_model_summary=False,
                         accelerator="cpu", devices=1)
    trainer.fit(model, loader, loader)
    history = model.history.history
    assert set(history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(np.isfinite(history[key][0]) for key in history)
