"""Seed 002, the master's lab: an MNIST MLP, your own image, variations, the same on Fashion-MNIST.
Training settings not written here come from configs/master.mnist_mlp.yaml."""

from .spec import Exercise, grid

EXERCISES = [
    Exercise(
        id="master-mnist", document="002", lines="L49-204",
        asks="MNIST 784 -> 256 -> 10, rmsprop, one-hot CCE, 10 epochs, batch 128, "
             "validation_split 0.2; test accuracy and curves.",
        networks=("master.mnist_mlp",),
        reports=("classification_report", "confusion_matrix"),
        note="Needs the MNIST IDX files (--data-dir); master-fashion runs the lab offline.",
    ),
    Exercise(
        id="master-own-image", document="002", lines="L210-216",
        asks="Classify the digit in your own image file (grey, 28x28, inverted as MNIST).",
        networks=("master.mnist_mlp",), trains=False, tool="own_image",
    ),
    Exercise(
        id="master-variations", document="002", lines="L218-224",
        asks="Vary the neurons, add a layer, change the optimiser and the epochs: one table of "
             "all variations.",
        networks=("master.mnist_mlp",),
        grid=grid({}, {"hidden_units": [128]}, {"hidden_units": [512]}, {"hidden_units": [256, 128]},
                  {"optimizer": "adam"}, {"optimizer": "sgd"}, {"epochs": 20}),
        dataset="fashion_mnist",
        note="On Fashion-MNIST, offline (the lab's own last variation, master-fashion).",
    ),
    Exercise(
        id="master-fashion", document="002", lines="L226-268",
        asks="The same lab on Fashion-MNIST: test accuracy and curves.",
        networks=("master.mnist_mlp",), dataset="fashion_mnist",
        reports=("classification_report", "confusion_matrix"),
    ),
]
