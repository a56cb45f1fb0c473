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
# # Seed 001: programming deep networks, in Keras and in Lightning
#
# The vocational unit "Programación de redes neuronales profundas" builds its networks in Keras.
# This notebook writes each of them twice, through this project's API: the Keras model as the
# document builds it (`keras_reference.build`) and its PyTorch Lightning twin
# (`lightning_models.build`), then shows that both are the same network (same layers, same
# parameter count, same outputs once they share weights) and train alike.
#
# Catalog ids: `fp.perceptron`, `fp.dense_pair`, `fp.flatten_binary`, `fp.fruit_mlp`,
# `fp.shipping_dnn`, `fp.fashion_mlp` (docs/catalog.md); exercises `fp-building-blocks`,
# `fp-shipping`, `fp-fashion` (docs/exercises.md).
#
# `KLP_QUICK=1` (the project's tests) trains on a few hundred rows for one epoch.

# %%
# %matplotlib inline

import os

QUICK = os.environ.get("KLP_QUICK") == "1"
MAX_ROWS = 512 if QUICK else None  # None: the whole dataset, as the document

# The Lightning side first: triton must be loaded before TensorFlow (datamodules/_import_guard.py).
import lightning
import lightning_models
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
# ## The building blocks (`fp-building-blocks`)
#
# The unit counts parameters before it trains anything: a perceptron with three inputs has
# 3 weights and a bias. Each pair below is built in both libraries; `render_summary` prints
# both layer tables side by side and the largest output difference once the Keras weights are
# copied into the Lightning model.

# %%
for network in ("fp.perceptron", "fp.dense_pair", "fp.flatten_binary", "fp.fruit_mlp"):
    keras_model = keras_reference.build(network)
    lightning_model = lightning_models.build(network)
    print(f"{network}: Keras {keras_model.count_params()} parameters, "
          f"Lightning {lightning_model.count_params()} parameters")

# %%
print(crosscheck.render_summary("fp.flatten_binary"))

# %% [markdown]
# ## The shipping network (`fp.shipping_dnn`, exercise `fp-shipping`)
#
# Six Dense layers with tanh. Its data, Kaggle's "E-commerce Shipping Data", is not shipped
# with the project (`--data-dir` in the exercise), so here the two models are compared on
# random inputs: same parameters, same outputs with the same weights.

# %% [markdown]
# ### Keras

# %%
seed_keras(0)
keras_model = keras_reference.build("fp.shipping_dnn")
keras_model.summary()

# %% [markdown]
# ### Lightning

# %%
lightning.seed_everything(0)
lightning_model = lightning_models.build("fp.shipping_dnn")
print(lightning_model)
print("forward max |keras - lightning|:", crosscheck.forward_parity(keras_model, lightning_model))

# %% [markdown]
# ## Fashion-MNIST (`fp.fashion_mlp`, exercise `fp-fashion`)
#
# `Flatten -> Dense(128, relu) -> Dense(10, softmax)`, Adam, sparse categorical cross-entropy,
# 5 epochs, batch 32 (configs/fp.fashion_mlp.yaml). Both libraries get the very same arrays: the
# DataModule of the config, whose `splits` Keras reads directly.

# %%
settings = network_settings("fp.fashion_mlp")
EPOCHS = 1 if QUICK else settings["epochs"]
data = document_data("fp.fashion_mlp", max_rows=MAX_ROWS)
splits = data.splits
print(settings["model"], "epochs:", EPOCHS, "batch:", data.batch_size)
print("train", splits.x_train.shape, "test", splits.x_test.shape, "labels", splits.y_train[:10])

# %% [markdown]
# ### Keras: the model as the document builds it

# %%
seed_keras(0)
keras_model = keras_reference.build("fp.fashion_mlp", **settings["model"])
keras_model.summary()

# %% [markdown]
# ### Lightning: the same network, from the same initial weights
#
# `transfer_weights` copies every layer's weights by its name (`hidden1`, `output`), so both
# models start training from the same point.

# %%
lightning.seed_everything(0)
lightning_model = lightning_models.build("fp.fashion_mlp", **settings["model"])
crosscheck.transfer_weights(keras_model, lightning_model)
lightning_model

# %% [markdown]
# ### Keras: train and evaluate
#
# As the document: `model.fit(x_train, y_train, epochs=5)`, then `model.evaluate(x_test, y_test)`.

# %%
keras_history = keras_model.fit(splits.x_train, splits.y_train, epochs=EPOCHS,
                                batch_size=data.batch_size, verbose=0)
print("Keras test [loss, accuracy]:", keras_model.evaluate(splits.x_test, splits.y_test, verbose=0))

# %% [markdown]
# ### Lightning: train and evaluate
#
# `lightning_models.training.fit` is Keras' `fit` (it returns a History with the same keys);
# `evaluate` is Keras' `evaluate` on the test split.

# %%
history = fit(lightning_model, data, epochs=EPOCHS)
print("Lightning test:", evaluate(lightning_model, data))

# %% [markdown]
# Both curves on one figure: the batch order differs between the two libraries (each shuffles
# with its own generator), so the curves are close, not equal.

# %%
plot_both(keras_history, history, "fp.fashion_mlp")

# %% [markdown]
# Predictions, as the document turns them into class names: `argmax` of the probabilities.

# %%
import numpy as np

names = splits.info.get("class_names")
keras_classes = np.argmax(keras_model.predict(splits.x_test[:8], verbose=0), axis=1)
lightning_classes = np.argmax(lightning_model.predict(splits.x_test[:8]), axis=1)
print("truth    ", [names[i] if names else i for i in splits.y_test[:8]])
print("Keras    ", [names[i] if names else i for i in keras_classes])
print("Lightning", [names[i] if names else i for i in lightning_classes])
