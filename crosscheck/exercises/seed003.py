"""Seed 003, vocational unit "evaluating and tuning": evaluation, IMDB, regularisation, TensorBoard,
BatchNormalization, tuning. Training settings not written here come from configs/<network>.yaml."""

from .spec import Exercise, grid

EXERCISES = [
    Exercise(
        id="fp-evaluation", document="003", lines="L35-95",
        asks="Evaluate on the test split against the training split; test_size and random_state.",
        networks=("slides.early_stopping",), dataset="digits",
        grid=grid(test_size=[0.2, 0.3], split_seed=[0, 1]),
        epochs=50, callbacks={},
        reports=("confusion_matrix",),
        note="The document shows the protocol without a network: the project evaluates the "
             "slides' digits MLP (50 epochs, no early stopping) for two test sizes and two random_states.",
    ),
    Exercise(
        id="fp-imdb", document="003", lines="L127-438",
        asks="IMDB top 10000 words as multi-hot vectors; 16-16-1 rmsprop, 20 epochs on 15000 "
             "rows with the first 10000 as validation (val_acc peaks ~0.891 at epoch 4); "
             "retrain 5 epochs (~0.884).",
        networks=("fp.imdb_mlp",),
        grid=grid({}, {"epochs": 5}),
        reports=("confusion_matrix", "binary_metrics"),
        note="Needs imdb.npz and its word index (--data-dir).",
    ),
    Exercise(
        id="fp-imdb-regularization", document="003", lines="L497-547",
        asks="L2(0.001) and Dropout(0.5) variants against the original: validation-loss curves "
             "of the three overlaid.",
        networks=("fp.imdb_mlp", "fp.imdb_mlp_l2", "fp.imdb_mlp_dropout"),
        grid=grid({"network": "fp.imdb_mlp"}, {"network": "fp.imdb_mlp_l2"},
                  {"network": "fp.imdb_mlp_dropout"}),
    ),
    Exercise(
        id="fp-fashion-tensorboard", document="003", lines="L560-745",
        asks="The Fashion MLP 512 + Dropout(0.2), validation on test, TensorBoard with scalars, "
             "graph and weight histograms every epoch (epoch 5 val_accuracy ~0.878-0.880).",
        networks=("fp.fashion_mlp_dropout",),
        note="Its output is each run's tensorboard/ folder, which the runner writes (no tool): "
             "Lightning's scalars and weight histograms (the config's WeightHistograms), Keras' "
             "TensorBoard callback with histogram_freq=1.",
    ),
    Exercise(
        id="fp-batchnorm", document="003", lines="L793-822",
        asks="BatchNormalization after Dense and after Conv2D; their summaries (Keras counts the "
             "moving statistics).",
        networks=("fp.dense_batchnorm", "fp.conv_batchnorm"),
        grid=grid({"network": "fp.dense_batchnorm"}, {"network": "fp.conv_batchnorm"}),
        reports=("confusion_matrix",),
        note="Each on the data of its config: digits for the Dense one, Fashion-MNIST for the Conv2D one.",
    ),
    Exercise(
        id="fp-tuning", document="003", lines="L861-886",
        asks="The tuning protocol; Bayesian or random search; TensorBoard's HParams dashboard.",
        networks=("slides.fashion_mlp",), trains=False,
        tool="bayesian_search",
        search={"space": {"neurons": ("choice", [64, 128, 256, 512]), "layers": ("int", 1, 2),
                          "optimizer": ("choice", ["adam", "rmsprop", "sgd"]),
                          "learning_rate": ("log", 1e-4, 1e-2)},
                "folds": 1, "epochs": 5, "trials": 10},
        note="On the slides' Fashion MLP: holdout validation (the last 20% of the training split), "
             "5 epochs per trial, 10 trials; every trial in TensorBoard's HParams view.",
    ),
]
