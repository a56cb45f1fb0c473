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
# # Seed 003: evaluating and tuning a model, in Keras and in Lightning
#
# The vocational unit "Ajustes de un modelo de aprendizaje automático" regularises its
# networks: L2 and Dropout on the IMDB reviews, Dropout on Fashion-MNIST, BatchNormalization
# after a Dense and after a Conv2D layer. This notebook writes each network in Keras
# (`keras_reference.build`) and in PyTorch Lightning (`lightning_models.build`), compares them,
# and trains the ones whose data is offline.
#
# Catalog ids `fp.imdb_mlp`, `fp.imdb_mlp_l2`, `fp.imdb_mlp_dropout`, `fp.fashion_mlp_dropout`,
# `fp.dense_batchnorm`, `fp.conv_batchnorm` (docs/catalog.md); exercises `fp-imdb`,
# `fp-imdb-regularization`, `fp-fashion-tensorboard`, `fp-batchnorm` (docs/exercises.md).
# `KLP_QUICK=1` (the project's tests) trains on a few hundred rows for one or two epochs.

# %%
# %matplotlib inline

import os

QUICK = os.environ.get("KLP_QUICK") == "1"
MAX_ROWS = 400 if QUICK else None

# The Lightning side first: triton must be loaded before TensorFlow (datamodules/_import_guard.py).
import lightning
import lightning_models
import torch
from lightning_models.training import evaluate, fit

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
# ## IMDB: the original, L2 and Dropout (`fp-imdb-regularization`)
#
# The reviews as 10000-word multi-hot vectors, `16 -> 16 -> 1`. The IMDB file is not shipped
# (`--data-dir`), so the three networks are compared here on random inputs. The L2 penalty is
# part of the loss on both sides (Keras' `model.losses`, the LightningModule's
# `regularization_penalty()`), the same number once the weights are shared.

# %%
import numpy as np

for network in ("fp.imdb_mlp", "fp.imdb_mlp_l2", "fp.imdb_mlp_dropout"):
    keras_model, lightning_model = build_both(network)
    keras_penalty = float(sum(np.asarray(loss) for loss in keras_model.losses)) if keras_model.losses else 0.0
    print(f"{network:20s} parameters Keras {keras_model.count_params():,} Lightning {lightning_model.count_params():,}"
          f" | L2 penalty Keras {keras_penalty:.6f} Lightning {penalty(lightning_model):.6f}"
          f" | forward max |diff| {crosscheck.forward_parity(keras_model, lightning_model):.1e}")

# %% [markdown]
# ## Fashion-MNIST with Dropout (`fp.fashion_mlp_dropout`, exercise `fp-fashion-tensorboard`)
#
# `Flatten -> Dense(512, relu) -> Dropout(0.2) -> Dense(10, softmax)`, validation on the test
# set. Dropout masks come from each library's own generator, so the two trainings differ by
# more than the batch order; the curves still agree in level and shape.

# %%
settings = network_settings("fp.fashion_mlp_dropout")
EPOCHS = 1 if QUICK else settings["epochs"]
data = document_data("fp.fashion_mlp_dropout", max_rows=MAX_ROWS)
splits = data.splits
keras_model, lightning_model = build_both("fp.fashion_mlp_dropout", **settings["model"])
print(crosscheck.render_summary("fp.fashion_mlp_dropout", settings["model"]))

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
plot_both(keras_history, history, "fp.fashion_mlp_dropout")

# %% [markdown]
# ## BatchNormalization (`fp.dense_batchnorm`, `fp.conv_batchnorm`, exercise `fp-batchnorm`)
#
# Keras' `summary()` counts the moving mean and variance as (non-trainable) parameters; so does
# the LightningModule's `count_params()`, while torch's own `parameters()` holds only gamma and
# beta: the summary's total says so.

# %%
print(crosscheck.render_summary("fp.conv_batchnorm"))

# %%
settings = network_settings("fp.dense_batchnorm")
EPOCHS = 2 if QUICK else 20
data = document_data("fp.dense_batchnorm", max_rows=MAX_ROWS)
splits = data.splits
keras_model, lightning_model = build_both("fp.dense_batchnorm", **settings["model"])

# %% [markdown]
# ### Keras

# %%
keras_history = keras_model.fit(splits.x_train, splits.y_train, epochs=EPOCHS, batch_size=data.batch_size,
                                validation_data=(splits.x_val, splits.y_val), verbose=0)

# %% [markdown]
# ### Lightning

# %%
history = fit(lightning_model, data, epochs=EPOCHS)
plot_both(keras_history, history, "fp.dense_batchnorm on the digits")
