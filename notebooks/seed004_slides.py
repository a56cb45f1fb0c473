# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Seed 004: the multilayer perceptron slides, in Keras and in Lightning
#
# The slides "Multiperceptron" (TensorFlow / Keras) build a 4-2-3 network on iris in several
# ways and train it three ways, then go on to optdigits, early stopping, regularisers and
# optimisers. This notebook writes each network in Keras (`keras_reference.build`) and in
# PyTorch Lightning (`lightning_models.build`), from the same initial weights, and trains both.
#
# Catalog ids `slides.*` (docs/catalog.md); exercises `slides-*` (docs/exercises.md).
# `KLP_QUICK=1` (the project's tests) trains a few epochs only.

# %%
# %matplotlib inline

import os

QUICK = os.environ.get("KLP_QUICK") == "1"
MAX_ROWS = 400 if QUICK else None

# The Lightning side first: triton must be loaded before TensorFlow (datamodules/_import_guard.py).
import lightning
import lightning_models
import torch
from lightning_models.callbacks import KerasEarlyStopping
from lightning_models.training import fit

import keras
import keras_reference
from keras_reference.training import seed_keras

import crosscheck
from crosscheck.teach import document_data, network_settings, plot_both

# Notices about things done on purpose: the documents' Keras style (Dense(..., input_shape=...)),
# and TensorFlow retracing predict for every new model of a loop.
import logging
import warnings

logging.getLogger("tensorflow").setLevel(logging.ERROR)
warnings.filterwarnings("ignore", message="Do not pass an `input_shape`/`input_dim` argument to a layer")


def build_both(network, **hparams):
    """The Keras model (seeded) and its Lightning twin, starting from the same weights."""
    seed_keras(0)
    keras_model = keras_reference.build(network, **hparams)
    lightning.seed_everything(0, verbose=False)
    lightning_model = lightning_models.build(network, **hparams)
    crosscheck.transfer_weights(keras_model, lightning_model)
    return keras_model, lightning_model


def penalty(lightning_model):
    """The regularisation term the LightningModule adds to its loss (Keras' ``sum(model.losses)``)."""
    with torch.no_grad():
        return float(lightning_model.regularization_penalty())


# %% [markdown]
# ## Iris, the 4-2-3 network (`slides.iris_mlp`, exercise `slides-iris`)
#
# `Input(4) -> Dense(2, tanh, name='Oculto') -> Dense(3, sigmoid, name='salida')`: 19
# parameters. The slides' labels go through a `LabelBinarizer` (one-hot); they fit and evaluate
# on the same 150 rows, batch 20, 100 epochs.

# %%
print(crosscheck.render_summary("slides.iris_mlp"))

# %% [markdown]
# The three training set-ups of the slides: SGD + MSE; SGD(0.1) + binary cross-entropy;
# softmax output + SGD(0.1) + categorical cross-entropy. Each is trained in both libraries from
# the same initial weights.

# %%
SETUPS = {
    "SGD + MSE": {"loss": "mse"},
    "SGD(0.1) + BCE": {"loss": "binary_crossentropy", "learning_rate": 0.1},
    "softmax + SGD(0.1) + CCE": {"loss": "categorical_crossentropy", "output_activation": "softmax",
                                 "learning_rate": 0.1},
}
EPOCHS = 3 if QUICK else network_settings("slides.iris_mlp")["epochs"]
data = document_data("slides.iris_mlp")
splits = data.splits
histories = {}
for name, setup in SETUPS.items():
    keras_model, lightning_model = build_both("slides.iris_mlp", **setup)
    keras_history = keras_model.fit(splits.x_train, splits.y_train, epochs=EPOCHS, batch_size=data.batch_size,
                                    verbose=0)
    history = fit(lightning_model, data, epochs=EPOCHS)
    histories[name] = (keras_history, history)
    print(f"{name:26s} accuracy Keras {keras_history.history['accuracy'][-1]:.3f} "
          f"Lightning {history.history['accuracy'][-1]:.3f}")

# %%
plot_both(*histories["SGD + MSE"], "slides.iris_mlp: SGD + MSE")

# %%
plot_both(*histories["softmax + SGD(0.1) + CCE"], "slides.iris_mlp: softmax + SGD(0.1) + CCE")

# %% [markdown]
# The slides read the weights layer by layer: `W1, b1 = capaOculto.get_weights()`. After
# training they differ (the batch order does); copied from Keras they are identical, in Keras'
# layout (kernel `(inputs, units)`) on both sides.

# %%
import numpy as np

keras_model, lightning_model = build_both("slides.iris_mlp")
for (k_name, k_weights), l_weights in zip(((w.path, w.numpy()) for w in keras_model.weights),
                                          lightning_model.get_weights()):
    print(f"{k_name:20s} {k_weights.shape}  equal: {np.array_equal(k_weights, l_weights)}")

# %% [markdown]
# ## Early stopping on the digits (`slides.early_stopping`, exercise `slides-early-stopping`)
#
# `EarlyStopping(monitor='val_accuracy', patience=30, min_delta=1e-4)`, up to 4000 epochs:
# Keras' own callback on the Keras side, `KerasEarlyStopping` (the same rule) on the Lightning
# side.

# %%
settings = network_settings("slides.early_stopping")
options = settings["callbacks"]["early_stopping"]
EPOCHS = 3 if QUICK else 300
data = document_data("slides.early_stopping", max_rows=MAX_ROWS)
splits = data.splits
keras_model, lightning_model = build_both("slides.early_stopping", **settings["model"])
print(options)

# %% [markdown]
# ### Keras

# %%
keras_history = keras_model.fit(splits.x_train, splits.y_train, epochs=EPOCHS, batch_size=data.batch_size,
                                validation_data=(splits.x_val, splits.y_val), verbose=0,
                                callbacks=[keras.callbacks.EarlyStopping(**options)])
print("Keras ran", len(keras_history.history["loss"]), "epochs")

# %% [markdown]
# ### Lightning

# %%
history = fit(lightning_model, data, epochs=EPOCHS, callbacks=[KerasEarlyStopping(**options)])
print("Lightning ran", len(history.history["loss"]), "epochs")
plot_both(keras_history, history, "slides.early_stopping")

# %% [markdown]
# ## Regularisers (`slides.regularized_dense`, exercise `slides-regularizers`)
#
# `l1`, `l2` and `l1_l2` on the kernel and the bias of a Dense(32): the penalty each adds to
# the loss, Keras' `model.losses` against the LightningModule's `regularization_penalty()`.

# %%
for regularizer in ("l1", "l2", "l1_l2"):
    keras_model, lightning_model = build_both("slides.regularized_dense", regularizer=regularizer)
    keras_penalty = float(sum(np.asarray(loss) for loss in keras_model.losses))
    print(f"{regularizer:6s} Keras {keras_penalty:.6f}  Lightning {penalty(lightning_model):.6f}")

# %% [markdown]
# ## The open designs: optdigits, sonar, CIFAR-10 softmax
#
# The slides leave these networks open; the project's choices are compared here on random
# inputs (sonar and CIFAR-10 are not shipped; optdigits has an offline stand-in).

# %%
for network in ("slides.optdigits_mlp", "slides.sonar_mlp", "slides.cifar10_softmax", "slides.fashion_mlp"):
    keras_model, lightning_model = build_both(network)
    print(f"{network:24s} parameters Keras {keras_model.count_params():>9,}  Lightning "
          f"{lightning_model.count_params():>9,}  forward max |diff| "
          f"{crosscheck.forward_parity(keras_model, lightning_model):.1e}")
