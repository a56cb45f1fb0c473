"""Seed 004, the multilayer-perceptron slides: iris, optdigits, batch timing, early stopping,
regularisers, optimisers, metrics, a Fashion design. Training settings not written here come from
configs/<network>.yaml."""

from .spec import Exercise, grid

EXERCISES = [
    Exercise(
        id="slides-iris", document="004", lines="L80-600",
        asks="Iris with LabelBinarizer; the 4-2-3 net (19 parameters) trained three ways: SGD + "
             "MSE, SGD(0.1) + BCE, softmax + SGD(0.1) + CCE; 100 epochs, batch 20; accuracy "
             "through the inverse LabelBinarizer, over several seeds (some collapse).",
        networks=("slides.iris_mlp",),
        grid=grid({"loss": "mse"},
                  {"loss": "binary_crossentropy", "learning_rate": 0.1},
                  {"loss": "categorical_crossentropy", "output_activation": "softmax", "learning_rate": 0.1}),
        seeds=tuple(range(10)),
        reports=("confusion_matrix",),
        note="Ten seeds by default; fit and evaluate on the same 150 rows, as the slides.",
    ),
    Exercise(
        id="slides-iris-weights", document="004", lines="L610-684",
        asks="get_weights per layer; save / load_model; save_weights / load_weights.",
        networks=("slides.iris_mlp",), trains=False, tool="keras_api",
    ),
    Exercise(
        id="slides-iris-definitions", document="004", lines="L686-846",
        asks="The same network written 7 ways with identical summaries.",
        networks=("slides.iris_mlp",), trains=False, tool="keras_api",
    ),
    Exercise(
        id="slides-optdigits", document="004", lines="L882-935",
        asks="Optdigits (3823 / 1797), training accuracy ~0.98; the confusion matrix.",
        networks=("slides.optdigits_mlp",),
        reports=("classification_report", "confusion_matrix"),
        note="Offline on the sklearn digits stand-in (its 1797 rows are optdigits' test part).",
    ),
    Exercise(
        id="slides-batch-timing", document="004", lines="L937-953",
        asks="One example per update against mini-batches of 150: iterations and seconds.",
        networks=("slides.optdigits_mlp",),
        grid=grid(batch_size=[1, 150]),
        tool="optimizer_lesson",
    ),
    Exercise(
        id="slides-early-stopping", document="004", lines="L988-1040",
        asks="EarlyStopping(val_accuracy, patience 30, min_delta 1e-4), up to 4000 epochs, "
             "batch 20; the stopped epoch; curves.",
        networks=("slides.early_stopping",),
    ),
    Exercise(
        id="slides-regularizers", document="004", lines="L1042-1182",
        asks="l1 / l2 / l1_l2 on kernel and bias; the Dropout example; CIFAR-10 softmax with and "
             "without L2; the penalties checked against Keras.",
        networks=("slides.regularized_dense",),
        grid=grid(regularizer=["l1", "l2", "l1_l2"]),
        note="The CIFAR-10 softmax pair needs CIFAR-10 (--data-dir): python -m lightning_models "
             "fit --config configs/slides.cifar10_softmax.yaml.",
    ),
    Exercise(
        id="slides-optimizers", document="004", lines="L1204-1417",
        asks="SGD(0.01, momentum 0.9), RMSprop(0.001) and Adam on one network, curves overlaid.",
        networks=("slides.early_stopping",),
        grid=grid({"optimizer": "sgd", "learning_rate": 0.01, "optimizer_options": {"momentum": 0.9}},
                  {"optimizer": "rmsprop", "learning_rate": 0.001},
                  {"optimizer": "adam"}),
        epochs=100, callbacks={},
        tool="optimizer_lesson",
        note="On the slides' digits MLP, 100 epochs without early stopping.",
    ),
    Exercise(
        id="slides-ewma", document="004", lines="L1283-1360",
        asks="Exponentially weighted averages with beta 0.9 and 0.98 over a noisy series.",
        networks=(), trains=False, frameworks=(), tool="optimizer_lesson",
    ),
    Exercise(
        id="slides-metrics", document="004", lines="L1432-1467",
        asks="Confusion matrix, precision, recall, F1, ROC-AUC and PR-AUC on sonar 70/30.",
        networks=("slides.sonar_mlp",),
        reports=("confusion_matrix", "binary_metrics"),
        note="Needs sonar.all-data (--data-dir).",
    ),
    Exercise(
        id="slides-fashion-design", document="004", lines="L1469-1474",
        asks="Design a Fashion-MNIST network and analyse it: accuracy, confusion matrix, "
             "per-class errors.",
        networks=("slides.fashion_mlp",),
        reports=("classification_report", "confusion_matrix"),
        note="The project's design: 784-256-128-10 relu, Adam, 10 epochs.",
    ),
]
