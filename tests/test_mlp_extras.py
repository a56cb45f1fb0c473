"""MLP-specific checks beyond the catalog-wide parity test (tests/test_network_parity.py):
the iris network written the slides' seven ways, the three iris training set-ups, losses and
metrics on one-hot / binary / integer targets, the 2-D projection sub-model, the CIFAR-10 L2
penalty, and one Lightning epoch on one-hot and binary targets."""

import lightning.pytorch as pl
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import crosscheck
import keras_reference
import lightning_models
from lightning_models.mlp import IRIS_DEFINITIONS, IRIS_VARIANTS

from conftest import keras_seed, transferred_pair

TOLERANCE = 1e-5


_pair = transferred_pair


# --------------------------------------------------------------------------------------------
# slides.iris_mlp: the same network written seven ways
# --------------------------------------------------------------------------------------------
def _weight_rows(keras_model):
    """The summary rows of the layers with weights: (output shape, parameters)."""
    return [(tuple(layer.output.shape), layer.count_params())
            for layer in keras_model.layers if layer.weights]


def test_iris_keras_definitions_have_identical_summaries():
    for definition in IRIS_DEFINITIONS:
        model = keras_reference.build("slides.iris_mlp", definition=definition)
        assert model.count_params() == 19, definition
        assert _weight_rows(model) == [((None, 2), 10), ((None, 3), 9)], definition
        assert tuple(model.output_shape) == (None, 3), definition
    # The "separate activations" slide also lists the two Activation layers, without weights.
    model = keras_reference.build("slides.iris_mlp", definition="activations")
    rows = [(type(layer).__name__, tuple(layer.output.shape), layer.count_params())
            for layer in model.layers]
    assert rows == [("Dense", (None, 2), 10), ("Activation", (None, 2), 0),
                    ("Dense", (None, 3), 9), ("Activation", (None, 3), 0)]


def test_iris_torch_definitions_agree_given_the_same_weights():
    keras_seed(0)
    source = keras_reference.build("slides.iris_mlp")  # one set of weights for all of them
    x = torch.rand(16, 4, generator=torch.Generator().manual_seed(3)) * 8
    expected = source.predict(x.numpy(), verbose=0)
    outputs = []
    for definition in IRIS_DEFINITIONS:
        model = lightning_models.build("slides.iris_mlp", definition=definition)
        assert sum(p.numel() for p in model.parameters()) == 19, definition
        crosscheck.transfer_weights(source, model).eval()
        with torch.no_grad():
            outputs.append(model.predict_step(x, 0).numpy())
    for definition, out in zip(IRIS_DEFINITIONS, outputs):
        assert np.array_equal(out, outputs[0]), definition
        assert np.abs(out - expected).max() <= TOLERANCE, definition


def test_iris_unknown_definition_is_rejected_on_both_sides():
    with pytest.raises(ValueError, match="definition"):
        lightning_models.build("slides.iris_mlp", definition="graph")
    with pytest.raises(ValueError, match="definition"):
        keras_reference.build("slides.iris_mlp", definition="graph")


@pytest.mark.parametrize("variant", IRIS_VARIANTS, ids=["sgd-mse", "sgd0.1-bce", "softmax-cce"])
def test_iris_variants_compile_like_the_slides(variant):
    keras_model, torch_model = _pair("slides.iris_mlp", **variant)
    torch_lr = torch_model.configure_optimizers().param_groups[0]["lr"]
    keras_lr = float(np.asarray(keras_model.optimizer.learning_rate))
    assert type(keras_model.optimizer).__name__ == "SGD"
    assert torch_lr == pytest.approx(keras_lr) == variant.get("learning_rate", 0.01)
    assert keras_model.layers[-1].activation.__name__ == variant.get("output_activation", "sigmoid")


# --------------------------------------------------------------------------------------------
# loss and metrics on the targets each network is trained on (Keras evaluate vs torch)
# --------------------------------------------------------------------------------------------
def _one_hot(labels, classes):
    return np.eye(classes, dtype="float32")[labels]


def _targets(kind, n, rng):
    if kind == "binary":
        return rng.integers(0, 2, size=(n, 1)).astype("float32")
    kind, classes = kind
    labels = rng.integers(0, classes, size=n)
    return _one_hot(labels, classes) if kind == "one_hot" else labels.astype("int64")


EVALUATE_CASES = [
    ("slides.iris_mlp", {}, ("one_hot", 3)),
    ("slides.iris_mlp", IRIS_VARIANTS[1], ("one_hot", 3)),
    ("slides.iris_mlp", IRIS_VARIANTS[2], ("one_hot", 3)),
    ("master.mnist_mlp", {}, ("one_hot", 10)),
    ("apa.olivetti_pca_mlp", {"input_size": 20}, ("one_hot", 40)),
    ("slides.optdigits_mlp", {}, ("one_hot", 10)),
    ("apa.fashion3_mlp", {"activation": "relu"}, ("sparse", 3)),
    ("fp.shipping_dnn", {}, "binary"),
    ("slides.sonar_mlp", {}, "binary"),
    ("slides.cifar10_softmax", {"l2": 0.01}, ("sparse", 10)),
    ("fp.perceptron", {}, ("regression", 1)),
]


@pytest.mark.parametrize("entry_id, hparams, kind", EVALUATE_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(EVALUATE_CASES)])
def test_loss_and_metrics_match_keras_evaluate(entry_id, hparams, kind, rng):
    keras_model, torch_model = _pair(entry_id, **hparams)
    x = torch_model.random_input(32, generator=torch.Generator().manual_seed(2))
    if kind == ("regression", 1):
        y = rng.normal(size=(32, 1)).astype("float32")
    else:
        y = _targets(kind, 32, rng)
    keras_values = np.atleast_1d(keras_model.evaluate(x.numpy(), y, batch_size=32, verbose=0))
    with torch.no_grad():
        logits = torch_model(x)
        target = torch.from_numpy(y)
        torch_values = [torch_model.total_loss(logits, target).item()]
        torch_values += [m.mean().item() for m in torch_model._metric_values(logits, target)]
    assert len(torch_values) == len(keras_values)
    np.testing.assert_allclose(torch_values, keras_values, rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------------------------
# sub-models and regularisers
# --------------------------------------------------------------------------------------------
def test_fashion3_projection_shares_the_classifier_weights():
    model = lightning_models.build("apa.fashion3_mlp_2d", activation="sigmoid")
    whole = {id(p) for p in model.parameters()}
    assert {id(p) for p in model.projection.parameters()} <= whole
    x = model.random_input(5)
    with torch.no_grad():
        codes = model.projection(x)
        assert codes.shape == (5, 2)
        assert torch.all((codes > 0) & (codes < 1))  # the activated 2 units
        assert torch.equal(model(x), model.classifier(codes))


def test_cifar10_l2_penalty_matches_keras():
    keras_model, torch_model = _pair("slides.cifar10_softmax", l2=0.01)
    keras_penalty = float(sum(np.asarray(loss) for loss in keras_model.losses))
    with torch.no_grad():
        torch_penalty = float(torch_model.regularization_penalty())
    assert torch_penalty == pytest.approx(keras_penalty, rel=1e-5)
    plain = lightning_models.build("slides.cifar10_softmax")
    assert plain.regularization_penalty() == 0.0


# --------------------------------------------------------------------------------------------
# one Lightning epoch on one-hot (categorical CE) and binary (BCE) targets
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("entry_id, kind", [("master.mnist_mlp", ("one_hot", 10)),
                                            ("slides.sonar_mlp", "binary")])
def test_one_lightning_epoch_trains(entry_id, kind, rng):
    pl.seed_everything(0, verbose=False)
    model = lightning_models.build(entry_id)
    x = model.random_input(64)
    y = torch.from_numpy(_targets(kind, 64, rng))
    data = DataLoader(TensorDataset(x, y), batch_size=16)
    trainer = pl.Trainer(max_epochs=1, enable_progress_bar=False, logger=False,
                         enable_checkpointing=False, enable_model_summary=False)
    trainer.fit(model, data, data)
    history = model.history.history
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(np.isfinite(v[0]) for v in history.values())
    assert 0.0 <= history["accuracy"][0] <= 1.0
