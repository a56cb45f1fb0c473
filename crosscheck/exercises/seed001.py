"""Seed 001, vocational unit "programming deep networks": shipping, Fashion-MNIST, building blocks.
Training settings not written here come from configs/<network>.yaml."""

from .spec import Exercise

EXERCISES = [
    Exercise(
        id="fp-shipping", document="001", lines="L61-232",
        asks="The shipping CSV preprocessed to 18 inputs; a tanh DNN, Adam, BCE, 10 epochs; "
             "evaluate (the document reports accuracy 0.684, loss 0.504).",
        networks=("fp.shipping_dnn",),
        reports=("confusion_matrix", "binary_metrics"),
        note="Needs Kaggle's Train.csv (--data-dir).",
    ),
    Exercise(
        id="fp-fashion", document="001", lines="L584-866",
        asks="Explore the data (an image with its colour bar, a 5x5 labelled grid); the Fashion "
             "MLP, 5 epochs (reported test accuracy 0.8724); predict, argmax, class names.",
        networks=("fp.fashion_mlp",),
        reports=("classification_report", "confusion_matrix"),
        tool="image_views",
    ),
    Exercise(
        id="fp-building-blocks", document="001", lines="L255-576",
        asks="The perceptron (4 parameters), the Dense signature, the tables of 12 activations "
             "and of the losses, Flatten, optimisers, learning rate, epochs, batch size.",
        networks=("fp.perceptron", "fp.dense_pair", "fp.flatten_binary", "fp.fruit_mlp"),
        trains=False, tool="building_blocks",
    ),
]
