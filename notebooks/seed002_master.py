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
# # Seed 002: the master's lab "Introducción al Deep Learning con Keras", in Keras and in Lightning
#
# The lab trains one network, `784 -> Dense(256, relu) -> Dense(10, softmax)` with RMSprop,
# one-hot categorical cross-entropy, 10 epochs, batch 128 and `validation_split=0.2`, first on
# MNIST and then on Fashion-MNIST. This notebook writes it in Keras (`keras_reference.build`)
# and in PyTorch Lightning (`lightning_models.build`) and trains both on the lab's last part,
# Fashion-MNIST (shipped offline; MNIST needs `--data-dir`).
#
# Catalog id `master.mnist_mlp` (docs/catalog.md); exercises `master-mnist`, `master-variations`,
# `master-fashion` (docs/exercises.md). `KLP_QUICK=1` (the project's tests) trains on a few
# hundred rows for one epoch.

# %%
# %matplotlib inline

import os

QUICK = os.environ.get("KLP_QUICK") == "1"
MAX_ROWS = 500 if QUICK else None

# The Lightning side first: triton must be loaded before TensorFlow (datamodules/_import_guard.py).
import lightning
import lightning_models
from lightning_models.plots import plot_history
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

# %% [markdown]
# ## The data: Fashion-MNIST as the lab prepares MNIST
#
# `reshape(60000, 784)`, `/255`, `to_categorical`, and the last 20 % of the training set held out
# for validation (Keras' `validation_split=0.2`): the config's DataModule options, on the
# Fashion-MNIST files instead of MNIST's.

# %%
settings = network_settings("master.mnist_mlp")
EPOCHS = 1 if QUICK else settings["epochs"]
data = document_data("master.mnist_mlp", max_rows=MAX_ROWS, dataset="fashion_mnist")
splits = data.splits
print(settings["data"])
print("train", splits.x_train.shape, "validation", splits.x_val.shape, "one-hot", splits.y_train[0])

# %% [markdown]
# ## Keras: the lab's model

# %%
seed_keras(0)
keras_model = keras_reference.build("master.mnist_mlp", **settings["model"])
keras_model.summary()

# %% [markdown]
# ## Lightning: the same network, from the Keras model's initial weights

# %%
lightning.seed_everything(0)
lightning_model = lightning_models.build("master.mnist_mlp", **settings["model"])
crosscheck.transfer_weights(keras_model, lightning_model)
print(crosscheck.render_summary("master.mnist_mlp", settings["model"]))

# %% [markdown]
# ## Train both
#
# Keras: `model.fit(x_train, y_train, epochs=10, batch_size=128, validation_split=0.2)`; the
# split is already in the arrays, so Keras gets it as `validation_data`.

# %%
keras_history = keras_model.fit(splits.x_train, splits.y_train, epochs=EPOCHS, batch_size=data.batch_size,
                                validation_data=(splits.x_val, splits.y_val), verbose=0)
print("Keras test [loss, accuracy]:", keras_model.evaluate(splits.x_test, splits.y_test, verbose=0))
plot_history(keras_history, "Keras")

# %%
history = fit(lightning_model, data, epochs=EPOCHS)
print("Lightning test:", evaluate(lightning_model, data))
plot_history(history, "Lightning")

# %%
plot_both(keras_history, history, "master.mnist_mlp on Fashion-MNIST")

# %% [markdown]
# ## The lab's variations (`master-variations`)
#
# More or fewer neurons, one more layer: the same keyword in both libraries, the same count.

# %%
for hidden_units in ((128,), (512,), (256, 128)):
    keras_count = keras_reference.build("master.mnist_mlp", hidden_units=hidden_units).count_params()
    lightning_count = lightning_models.build("master.mnist_mlp", hidden_units=hidden_units).count_params()
    print(f"hidden_units={hidden_units}: Keras {keras_count:,}  Lightning {lightning_count:,}")
