"""Seed 000, the APA problem list: autoencoders, Fashion-MNIST, CIFAR-10, Olivetti, wages, NASDAQ,
tweets and the Keras guide. Training settings not written here come from configs/<network>.yaml."""

from .spec import Exercise, grid

ACTIVATIONS = ["linear", "sigmoid", "relu"]

#: Problem 3 b's logistic regression: C searched log-uniformly (the project's bounds).
NASDAQ_LOGREG_SPACE = {"C": ("log", 1e-4, 1e4)}

EXERCISES = [
    Exercise(
        id="apa-p1-autoencoder", document="000", lines="L74-127",
        asks="Digits 70/30, /16; autoencoder with d2=2, d1 a power of 2, activation linear, sigmoid "
             "or relu; Adam, MSE, batch ~100, thousands of epochs; train and test MSE.",
        networks=("apa.autoencoder",),
        grid=grid(d1=[4, 8, 16, 32, 64], activation=ACTIVATIONS),
        tool="projection",
        note="d1 in 4..64 (the document: 'powers of 2'); 2000 epochs (the config's 'thousands').",
    ),
    Exercise(
        id="apa-p1-denoising", document="000", lines="L128-131",
        asks="The best autoencoder retrained on inputs with 10% and 30% of positions replaced by "
             "U[0,1] (clean targets), then with the data doubled (two corrupted copies); MSE "
             "against the clean data.",
        networks=("apa.denoising_autoencoder",),
        grid=grid(corruption=[0.1, 0.3], copies=[1, 2]),
        tool="projection",
        note="'the best autoencoder' is the config's (32, 2, 32) sigmoid one.",
    ),
    Exercise(
        id="apa-p2-fashion3", document="000", lines="L133-187",
        asks="Fashion-MNIST classes {0, 2, 6} -> {0, 1, 2}; MLP NN1 > NN2 with linear, sigmoid "
             "or relu; adam, sparse CE, accuracy, validation on test; accuracy curves per epoch "
             "and the classification report of the best model per activation.",
        networks=("apa.fashion3_mlp",),
        grid=grid(activation=ACTIVATIONS, NN1=[64, 128]),
        reports=("classification_report", "confusion_matrix"),
        note="(NN1, NN2) in {(64, 32), (128, 32)}; 20 epochs (the document: 'choose the epochs').",
    ),
    Exercise(
        id="apa-p2-projection", document="000", lines="L189-207",
        asks="A Dense(2) layer between NN1 and NN2; retrain the best per activation; 2-D "
             "projection of the test set beside PCA(2) and a non-linear scikit-learn method.",
        networks=("apa.fashion3_mlp_2d",),
        grid=grid(activation=ACTIVATIONS),
        reports=("classification_report",),
        tool="projection",
    ),
    Exercise(
        id="apa-p3-dropout", document="000", lines="L209-261",
        asks="CIFAR-10 airplane/bird; the CNN with dropout 0, .2, .4, .6, .8; 100 epochs, batch "
             "256, EarlyStopping(patience 20) + best checkpoint, validation on test; loss vs "
             "val_loss; train and test accuracy of each best checkpoint.",
        networks=("apa.cifar2_cnn",),
        grid=grid(drop=[0.0, 0.2, 0.4, 0.6, 0.8]),
    ),
    Exercise(
        id="apa-p3-l2", document="000", lines="L263-268",
        asks="Dropout 0 + L2 and dropout .8 + L2 on the two hidden Dense layers.",
        networks=("apa.cifar2_cnn",),
        grid=grid({"drop": 0.0, "l2": 0.01}, {"drop": 0.8, "l2": 0.01}),
        note="'l2' as Keras' string shortcut: factor 0.01.",
    ),
    Exercise(
        id="apa-p3-depth", document="000", lines="L272-276",
        asks="2..5 convolution layers (16, 32, 64, 128 filters added); accuracy and loss curves "
             "per depth; parameter counts.",
        networks=("apa.cifar2_deep_cnn",),
        grid=grid(n_conv=[2, 3, 4, 5]),
    ),
    Exercise(
        id="apa-p3-pooling", document="000", lines="L278-290",
        asks="The same with MaxPooling2D(2x2, strides 1) after each convolution; curves, "
             "accuracies, parameter counts and the summary of every model.",
        networks=("apa.cifar2_pool_cnn",),
        grid=grid(n_conv=[1, 2, 3, 4, 5]),
    ),
    Exercise(
        id="apa-p4-olivetti-pca", document="000", lines="L310-348",
        asks="Olivetti 70/30, /max, one-hot; PCA with 10 and 20 components (fit on train); MLP "
             "with 25..100 neurons; SGD defaults, batch 16, 200 epochs; train and test accuracy.",
        networks=("apa.olivetti_pca_mlp",),
        grid=tuple({"pca_components": k, "input_size": k, "neurons": n}
                   for k in (10, 20) for n in (25, 50, 75, 100)),
    ),
    Exercise(
        id="apa-p4-olivetti-cnn", document="000", lines="L350-367",
        asks="A CNN with 1..10 filters on the 64x64 images; accuracy per filter count; parameter "
             "counts compared with the MLP on raw pixels.",
        networks=("apa.olivetti_cnn",),
        grid=grid(filters=list(range(1, 11))),
    ),
    Exercise(
        id="apa-p5-wages", document="000", lines="L369-409",
        asks="MinMax scaling; a ridge-like linear model and MLPs with 32..1024 neurons; test MSE "
             "per model, predictions against the truth, the error distribution.",
        networks=("apa.wages_linear", "apa.wages_mlp"),
        grid=grid({"network": "apa.wages_linear"},
                  *({"network": "apa.wages_mlp", "neurons": n} for n in (32, 64, 128, 256, 512, 1024))),
        tool="image_views",
        note="Offline on the Wooldridge wage1 stand-in (docs/choices.md).",
    ),
    Exercise(
        id="apa-p5-wages-nll", document="000", lines="L411-453",
        asks="The Gaussian-likelihood two-branch network with the document's nllike; a neuron "
             "sweep; test MSE of the predicted mean; predicted variance against the target.",
        networks=("apa.wages_gaussian_nll",),
        grid=grid(neurons=[32, 64, 128, 256, 512, 1024]),
        tool="image_views",
    ),
    Exercise(
        id="apa-p6-nasdaq-logreg", document="000", lines="L455-469",
        asks="Statistics of the series; 1000-day split, MinMax, windows w=3; a logistic "
             "regression tuned by Bayesian search with cross-validation; price-up, then volume-up "
             "labels; CV and test accuracy, confusion matrix, ROC curve, classification report.",
        networks=("apa.nasdaq_logreg",), trains=False, frameworks=("scikit-learn",),
        tool="bayesian_search",
        search={"config": "apa.nasdaq_mlp", "per": "label", "values": ["price", "volume"],
                "space": NASDAQ_LOGREG_SPACE, "folds": 5, "trials": 30},
        note="C log-uniform on [1e-4, 1e4], 5-fold CV, 30 trials (the project's choices).",
    ),
    Exercise(
        id="apa-p6-nasdaq-mlp", document="000", lines="L470-471",
        asks="An MLP tuned by Bayesian search, compared with the logistic baseline.",
        networks=("apa.nasdaq_mlp",),
        grid=grid(label=["price", "volume"]),
        reports=("classification_report", "confusion_matrix", "binary_metrics"),
        tool="bayesian_search",
        search={"per": "label", "values": ["price", "volume"], "folds": 3, "epochs": 30, "trials": 20,
                "space": {"neurons": ("choice", [16, 32, 64, 128, 256]), "layers": ("int", 1, 3),
                          "activation": ("choice", ["relu", "tanh", "sigmoid"]),
                          "learning_rate": ("log", 1e-4, 1e-2), "l2": ("log", 1e-6, 1e-2)},
                "baseline": NASDAQ_LOGREG_SPACE},
        note="The grid trains the config's MLP on both labels; the search (3-fold CV, 30 epochs "
             "per fit, 20 trials) then tunes it beside the logistic baseline.",
    ),
    Exercise(
        id="apa-p7-sentiment-embedding", document="000", lines="L473-515",
        asks="Tweets with vocabularies of 500, 1500 and 3000 words, embedding 5..30 step 5, "
             "EarlyStopping(10) + best model; train, validation and test accuracy; t-SNE of the "
             "training set's representation.",
        networks=("apa.sentiment_embedding_mlp",),
        grid=grid(nwords=[500, 1500, 3000], embedding_size=[5, 10, 15, 20, 25, 30]),
        tool="projection",
        note="Needs the tweets (--data-dir): Airlines.csv or Kaggle's Tweets.csv.",
    ),
    Exercise(
        id="apa-p7-sentiment-patience", document="000", lines="L517-519",
        asks="Patience 5..20 step 5: accuracy and the number of optimisation steps per patience.",
        networks=("apa.sentiment_embedding_mlp",),
        grid=grid(**{"early_stopping.patience": [5, 10, 15, 20]}),
    ),
    Exercise(
        id="apa-p7-sentiment-depth", document="000", lines="L521",
        asks="1..4 Dense layers (128, 64, 32, 16) before Flatten; accuracy curves of all runs.",
        networks=("apa.sentiment_embedding_mlp",),
        grid=grid(dense_layers=[1, 2, 3, 4]),
    ),
    Exercise(
        id="apa-guide", document="000", lines="L546-660",
        asks="The guide's Sequential and two-branch models, their summaries, callbacks, predict "
             "with >0.5 / argmax; a run with EarlyStopping and the best weights reloaded.",
        networks=("apa.guide_mlp", "apa.guide_two_branch"), trains=False,
        tool="keras_api",
        note="The guide trains on its own undefined X_train; the tool shows its models' API.",
    ),
]
