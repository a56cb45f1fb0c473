"""Keras' model API on the Lightning side (issue 12, item 6; exercise slides-iris-weights):
``predict`` / ``evaluate`` against Keras' own on the same weights, ``get_weights`` equal to
Keras' after a weight transfer, ``set_weights`` from Keras' arrays, and the round trips
``save`` -> ``load_model`` and ``save_weights`` -> ``load_weights``."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris

import crosscheck
import keras_reference
import lightning_models
from crosscheck.transfer import keras_weight_layers

from conftest import keras_seed

TOLERANCE = 1e-5

#: One network per kind of weight layer and layout: Dense (iris), Conv2D after channels-last
#: images and a Flatten (cifar2), Conv2D + BatchNormalization, Dense + BatchNormalization,
#: Embedding, and two functional models with branches (Keras lists their layers by depth).
NETWORKS = ["slides.iris_mlp", "apa.cifar2_pool_cnn", "fp.conv_batchnorm", "fp.dense_batchnorm",
            "apa.sentiment_embedding_mlp", "apa.guide_two_branch", "apa.wages_gaussian_nll"]


def _iris():
    x, labels = load_iris(return_X_y=True)
    return x.astype(np.float32), np.eye(3, dtype=np.float32)[labels]  # LabelBinarizer's one-hot


def _random_keras_weights(keras_model, seed=0):
    """Random values in every Keras weight (BatchNorm statistics included), so that no two
    arrays are alike and a swapped pair or a wrong transpose shows."""
    rng = np.random.default_rng(seed)
    keras_model.set_weights([rng.normal(size=w.shape).astype(np.float32)
                             for w in keras_model.get_weights()])


@pytest.mark.parametrize("entry_id", NETWORKS)
def test_get_weights_equal_keras_after_a_transfer(entry_id):
    """``model.get_weights()`` is Keras' ``model.get_weights()``: same arrays, order, shapes."""
    keras_seed(0)
    keras_model = keras_reference.build(entry_id)
    torch_model = lightning_models.build(entry_id)
    _random_keras_weights(keras_model)
    crosscheck.transfer_weights(keras_model, torch_model)
    declared = [name for name, _ in torch_model.keras_weight_layers()]
    if declared != list(keras_weight_layers(keras_model)) and type(torch_model).keras_layer_order is None:
        pytest.xfail(f"{entry_id} declares its layers in the document's order {declared}; Keras "
                     f"lists them by depth: its class needs keras_layer_order = "
                     f"{tuple(keras_weight_layers(keras_model))}")
    expected, got = keras_model.get_weights(), torch_model.get_weights()
    assert [w.shape for w in got] == [w.shape for w in expected]
    assert all(np.array_equal(g, e) for g, e in zip(got, expected))


def test_keras_layer_order_lists_branches_as_keras_does():
    """A class with branches declares Keras' order (here set on the instance): get_weights is
    then Keras' and set_weights takes Keras' list."""
    keras_seed(0)
    keras_model = keras_reference.build("apa.guide_two_branch")
    _random_keras_weights(keras_model)
    torch_model = lightning_models.build("apa.guide_two_branch")
    torch_model.keras_layer_order = ("rama1_hidden1", "rama2_hidden1", "rama1_hidden2",
                                     "rama2_hidden2", "output1", "output2")
    torch_model.set_weights(keras_model.get_weights())
    assert all(np.array_equal(g, e) for g, e in zip(torch_model.get_weights(), keras_model.get_weights()))
    assert np.array_equal(torch_model.get_layer("rama2_hidden1").weight.detach().numpy(),
                          keras_model.get_layer("rama2_hidden1").get_weights()[0].T)
    torch_model.keras_layer_order = ("rama1_hidden1", "output2")
    with pytest.raises(ValueError, match="must name the weight layers"):
        torch_model.get_weights()


def test_iris_weights_per_layer_as_the_slides_read_them():
    """Seed 004: ``W1, b1 = model.layers[0].get_weights()`` -> ``model.get_layer('Oculto')``."""
    keras_seed(0)
    keras_model = keras_reference.build("slides.iris_mlp")
    torch_model = crosscheck.transfer_weights(keras_model, lightning_models.build("slides.iris_mlp"))
    for index, name in enumerate(("Oculto", "salida")):
        expected = keras_model.layers[index].get_weights()
        got = torch_model.get_layer(name).get_weights()
        assert [w.shape for w in got] == [w.shape for w in expected]
        assert all(np.array_equal(g, e) for g, e in zip(got, expected))
    W1, b1 = torch_model.get_layer("Oculto").get_weights()  # noqa: N806
    assert W1.shape == (4, 2) and b1.shape == (2,)  # Keras' kernel (inputs, units)
    with pytest.raises(ValueError, match="No such layer: Oculta"):
        torch_model.get_layer("Oculta")


def test_set_weights_takes_keras_arrays_and_predict_evaluate_match_keras():
    """Keras' arrays in, Keras' numbers out: iris' 150 rows in batches of 32 (the last one of
    22 rows: the means are batch-size weighted), mse + accuracy of the slides' first set-up."""
    x, y = _iris()
    keras_seed(0)
    keras_model = keras_reference.build("slides.iris_mlp")
    torch_model = lightning_models.build("slides.iris_mlp")
    torch_model.set_weights(keras_model.get_weights())
    predicted = torch_model.predict(x)
    assert isinstance(predicted, np.ndarray) and predicted.shape == (150, 3)
    assert np.abs(predicted - np.asarray(keras_model(x))).max() <= TOLERANCE
    assert ((predicted > 0) & (predicted < 1)).all()  # sigmoid probabilities
    got, expected = torch_model.evaluate(x, y), keras_model.evaluate(x, y, verbose=0)
    assert len(got) == len(expected) == 2  # [loss, accuracy]
    assert np.abs(np.array(got) - np.array(expected)).max() <= TOLERANCE
    assert torch_model.evaluate(x, y, return_dict=True).keys() == {"loss", "accuracy"}
    assert torch_model.training  # predict / evaluate leave the mode as they found it


@pytest.mark.parametrize("entry_id", ["slides.regularized_dense", "fp.dense_batchnorm"])
def test_evaluate_matches_keras_with_penalties_and_batchnorm(entry_id):
    """Keras' ``evaluate`` adds the regularisation penalties to the loss and uses the moving
    statistics of BatchNormalization; 70 rows in batches of 32."""
    keras_seed(0)
    keras_model = keras_reference.build(entry_id)
    torch_model = lightning_models.build(entry_id)
    _random_keras_weights(keras_model, seed=1)
    keras_model.set_weights([np.abs(w) if "variance" in v.path else w  # a variance is positive
                             for w, v in zip(keras_model.get_weights(), keras_model.weights)])
    torch_model.set_weights(keras_model.get_weights())
    x = torch_model.random_input(70, generator=torch.Generator().manual_seed(0)).numpy()
    y = np.random.default_rng(0).integers(0, 10, size=70)
    got, expected = torch_model.evaluate(x, y), keras_model.evaluate(x, y, verbose=0)
    assert len(got) == len(expected) == 2
    assert np.abs(np.array(got) - np.array(expected)).max() <= TOLERANCE * max(1.0, expected[0])


def test_two_outputs_predict_a_list_and_evaluate_the_summed_loss():
    """apa.guide_two_branch: ``predict`` gives two arrays as Keras; with no metrics ``evaluate``
    gives the loss alone (Keras adds its per-output losses to its list: not offered here)."""
    keras_seed(0)
    keras_model = keras_reference.build("apa.guide_two_branch")
    torch_model = lightning_models.build("apa.guide_two_branch")
    crosscheck.transfer_weights(keras_model, torch_model)
    x = torch_model.random_input(40, generator=torch.Generator().manual_seed(0)).numpy()
    rng = np.random.default_rng(0)
    y = [rng.normal(size=(40, 1)).astype(np.float32), rng.uniform(-1, 1, (40, 1)).astype(np.float32)]
    got, expected = torch_model.predict(x, batch_size=16), [np.asarray(o) for o in keras_model(x)]
    assert isinstance(got, list) and len(got) == 2
    assert max(np.abs(g - e).max() for g, e in zip(got, expected)) <= TOLERANCE
    loss = torch_model.evaluate(x, y)
    assert isinstance(loss, float)
    assert abs(loss - keras_model.evaluate(x, y, verbose=0)[0]) <= TOLERANCE


def test_set_weights_refuses_a_wrong_list_and_changes_nothing():
    model = lightning_models.build("slides.iris_mlp")
    before = model.get_weights()
    with pytest.raises(ValueError, match="weight list of length 3, but the layer was expecting 4"):
        model.set_weights(before[:3])
    wrong = [w.T for w in before]  # torch's (out, in) instead of Keras' (in, out)
    with pytest.raises(ValueError, match=r"Layer 'Oculto' weight shape \(4, 2\) is not compatible"):
        model.set_weights(wrong)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


@pytest.mark.parametrize("definition", ["sequential", "functional_activations"])
def test_save_then_load_model_round_trip(tmp_path, definition):
    """Seed 004, "OPCION 1": ``model.save("miModelo")`` then ``load_model("miModelo")``: the
    same class, hyperparameters, weights, predictions and History."""
    x, _ = _iris()
    model = lightning_models.build("slides.iris_mlp", definition=definition, loss="binary_crossentropy",
                                   learning_rate=0.1)
    model.set_weights([w + 0.5 for w in model.get_weights()])  # not the initial weights
    model.history.append(0, {"loss": 0.7, "accuracy": 0.5})
    path = tmp_path / "miModelo"
    model.save(path)
    loaded = lightning_models.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.definition == definition and loaded.loss_name == "binary_crossentropy"
    assert loaded.learning_rate == 0.1
    assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), model.get_weights()))
    assert np.array_equal(loaded.predict(x), model.predict(x))
    assert loaded.history.history == {"loss": [0.7], "accuracy": [0.5]}


def test_save_weights_then_load_weights_round_trip(tmp_path):
    """Seed 004, "OPCION 2": the weights alone, loaded into a model defined the same way; a
    weights file is not a whole model."""
    x, _ = _iris()
    model = lightning_models.build("slides.iris_mlp")
    path = tmp_path / "pesos_de_miModelo"
    model.save_weights(path)
    fresh = lightning_models.build("slides.iris_mlp")
    assert not np.array_equal(fresh.predict(x), model.predict(x))
    fresh.load_weights(str(path))
    assert all(np.array_equal(a, b) for a, b in zip(fresh.get_weights(), model.get_weights()))
    assert np.array_equal(fresh.predict(x), model.predict(x))
    with pytest.raises(ValueError, match="holds only weights: model.load_weights"):
        lightning_models.load_model(path)
    with pytest.raises(FileNotFoundError, match="no model file"):
        lightning_models.load_model(tmp_path / "missing")


@pytest.mark.filterwarnings("ignore:You defined a `validation_step`")
def test_load_model_reads_a_checkpoint_that_fit_wrote(tmp_path):
    """A ModelCheckpoint of ``fit`` holds the class and hyperparameters too (base.py)."""
    from datamodules.lightning_data import TensorBatches
    from lightning_models.training import keras_trainer

    x, y = _iris()
    model = lightning_models.build("slides.iris_mlp", definition="list_activations")
    trainer = keras_trainer(1, default_root_dir=str(tmp_path), enable_checkpointing=False)
    trainer.fit(model, train_dataloaders=TensorBatches([torch.from_numpy(x), torch.from_numpy(y)], 32))
    trainer.save_checkpoint(tmp_path / "fit.ckpt")
    loaded = lightning_models.load_model(tmp_path / "fit.ckpt")
    assert loaded.definition == "list_activations"
    assert np.array_equal(loaded.predict(x), model.predict(x))
    assert loaded.history.history["loss"] == model.history.history["loss"]
