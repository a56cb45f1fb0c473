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
# # Seed 000: the APA problem list, in Keras and in Lightning
#
# The university problem list ("Lista de Problemas 4", APA, FIB-UPC) asks for autoencoders on
# the digits, Fashion-MNIST classifiers, CIFAR-10 and Olivetti CNNs, wage regressions, a NASDAQ
# MLP and tweet embeddings. This notebook builds each network twice, through this project's
# API: the Keras model as the document writes it (`keras_reference.build`) and its PyTorch
# Lightning twin (`lightning_models.build`); it trains the ones whose data is offline, from the
# same initial weights, on the same arrays, and shows both libraries' curves together.
#
# Catalog ids `apa.*` (docs/catalog.md); exercises `apa-p1-*` .. `apa-p7-*` (docs/exercises.md).
# `KLP_QUICK=1` (the project's tests) trains on a few hundred rows for one or two epochs.

# %%
# %matplotlib inline

import os

QUICK = os.environ.get("KLP_QUICK") == "1"
MAX_ROWS = 400 if QUICK else None  # None: the whole dataset, as the document

# The Lightning side first: triton must be loaded before TensorFlow (datamodules/_import_guard.py).
import lightning
import lightning_models
from lightning_models.plots import plot_codes
from lightning_models.training import evaluate, fit

import keras_reference
from keras_reference.training import seed_keras

import crosscheck
import datamodules
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


# %% [markdown]
# ## Problem 1: the autoencoder (`apa.autoencoder`, exercise `apa-p1-autoencoder`)
#
# Digits scaled to [0, 1], 70/30 split; `Input(64) -> Dense(d1, act) -> Dense(2, act) ->
# Dense(d1, act) -> Dense(64, act)`, Adam, MSE, batch 100. The document trains "thousands of
# epochs"; here a few hundred show the idea (`python -m lightning_models exercise
# apa-p1-autoencoder` runs the whole sweep).

# %%
settings = network_settings("apa.autoencoder")
EPOCHS = 2 if QUICK else 300
data = document_data("apa.autoencoder", max_rows=MAX_ROWS)
splits = data.splits
print(settings["model"], "| train", splits.x_train.shape, "targets", splits.y_train.shape)

# %% [markdown]
# ### Keras: `autocodificador` and its encoder `codificador`

# %%
keras_model, lightning_model = build_both("apa.autoencoder", **settings["model"])
keras_model.summary()

# %% [markdown]
# ### Lightning: the same layers, `model.encoder` sharing them

# %%
print(crosscheck.render_summary("apa.autoencoder", settings["model"]))

# %% [markdown]
# ### Train both

# %%
keras_history = keras_model.fit(splits.x_train, splits.y_train, epochs=EPOCHS, batch_size=data.batch_size,
                                validation_data=(splits.x_val, splits.y_val), verbose=0)

# %%
history = fit(lightning_model, data, epochs=EPOCHS)
plot_both(keras_history, history, "apa.autoencoder: MSE")

# %% [markdown]
# The 2-D codes of the training digits, coloured by digit: Keras' `codificador.predict` and the
# Lightning `model.encoder`.

# %%
import torch

labels = datamodules.load("digits", test_size=0.3).y_train[: len(splits.x_train)]
keras_codes = keras_model.encoder.predict(splits.x_train, verbose=0)
with torch.no_grad():
    lightning_codes = lightning_model.eval().encoder(torch.as_tensor(splits.x_train, dtype=torch.float32)).numpy()
plot_codes(keras_codes, labels, "Keras codificador")

# %%
plot_codes(lightning_codes, labels, "Lightning encoder")

# %% [markdown]
# ## Problem 2: three Fashion-MNIST classes (`apa.fashion3_mlp`, exercise `apa-p2-fashion3`)
#
# T-shirt, Pullover and Shirt relabelled 0, 1, 2; `Flatten -> Dense(NN1, act) -> Dense(NN2, act)
# -> Dense(3, softmax)`, Adam, sparse categorical cross-entropy, validation on the test set.

# %%
settings = network_settings("apa.fashion3_mlp")
EPOCHS = 1 if QUICK else 5
data = document_data("apa.fashion3_mlp", max_rows=MAX_ROWS)
splits = data.splits
keras_model, lightning_model = build_both("apa.fashion3_mlp", **settings["model"])

# %% [markdown]
# ### Keras

# %%
keras_history = keras_model.fit(splits.x_train, splits.y_train, epochs=EPOCHS, batch_size=data.batch_size,
                                validation_data=(splits.x_val, splits.y_val), verbose=0)
print("Keras test [loss, accuracy]:", keras_model.evaluate(splits.x_test, splits.y_test, verbose=0))

# %% [markdown]
# ### Lightning

# %%
history = fit(lightning_model, data, epochs=EPOCHS)
print("Lightning test:", evaluate(lightning_model, data))

# %%
plot_both(keras_history, history, "apa.fashion3_mlp, activation " + settings["model"].get("activation", ""))

# %% [markdown]
# ## Problem 5: wages (`apa.wages_mlp`, exercise `apa-p5-wages`)
#
# An MLP regression with L2 on every layer. The course's wages table is not public; the
# config uses the offline stand-in (Wooldridge's `wage1`, marked STAND-IN in `info["source"]`).

# %%
settings = network_settings("apa.wages_mlp")
EPOCHS = 2 if QUICK else 50
data = document_data("apa.wages_mlp", max_rows=MAX_ROWS)
splits = data.splits
print(splits.info["source"])
keras_model, lightning_model = build_both("apa.wages_mlp", **settings["model"])

# %%
keras_history = keras_model.fit(splits.x_train, splits.y_train, epochs=EPOCHS, batch_size=data.batch_size, verbose=0)
history = fit(lightning_model, data, epochs=EPOCHS)
plot_both(keras_history, history, "apa.wages_mlp: MSE + L2")

# %% [markdown]
# ## The networks whose data is not offline
#
# CIFAR-10, the Olivetti faces and the airline tweets are not shipped (each exercise takes
# `--data-dir`). Their two versions are still compared layer by layer and on random inputs:
# `render_summary` prints both tables and the forward difference with shared weights.

# %%
for network in ("apa.cifar2_cnn", "apa.olivetti_cnn", "apa.sentiment_embedding_mlp", "apa.guide_two_branch"):
    keras_model, lightning_model = build_both(network)
    print(f"{network:30s} parameters Keras {keras_model.count_params():>9,}  Lightning "
          f"{lightning_model.count_params():>9,}  forward max |diff| "
          f"{crosscheck.forward_parity(keras_model, lightning_model):.1e}")

# %%
print(crosscheck.render_summary("apa.cifar2_cnn"))
