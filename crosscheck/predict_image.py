"""``python -m lightning_models predict-image``: classify your own image (seed 002, L210-216,
master-own-image: "let us try other handwritten digits").

    python -m lightning_models predict-image --config configs/master.mnist_mlp.yaml \\
        --ckpt_path runs/master.mnist_mlp/version_0/checkpoints/last.ckpt \\
        --keras-weights results/master-mnist/runs/default/keras-seed0/final.weights.h5 my_digit.png

The image (PNG, JPG... anything Pillow reads) is converted as the lab does before ``predict``:
grey (Pillow's ITU-R 601 luma; transparent parts on white paper), shrunk to 28x28 (each pixel
the mean of its area), inverted
(``255 - value``: MNIST's digits are light on a dark background, a pen's are dark on white
paper; ``--no-invert`` for an image that is already light on dark) and scaled as the config's
training data (``/255`` unless ``scale: false``), flattened when the config's data is
(``flatten: true``). The config names the network (``model``) and the data (MNIST or
Fashion-MNIST, whose class names are printed). Both frameworks can answer: ``--ckpt_path`` is a
Lightning checkpoint (``last``: the newest run of the config's root folder), or the exercise
runner's ``final_weights.pt``; ``--keras-weights`` a Keras ``.weights.h5`` of the same network,
built by :mod:`keras_reference` from the same config. Prints the predicted class with its
probability and the top 3 of each.
"""

from __future__ import annotations

import argparse
import inspect
import os
import warnings
from typing import Optional, Sequence

import numpy as np

#: The image size of MNIST and Fashion-MNIST.
SIZE = (28, 28)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lightning_models predict-image",
                                description="Classify your own image file with a trained MNIST or "
                                            "Fashion-MNIST network of either framework (seed 002).")
    p.add_argument("image", help="the image file (PNG, JPG...)")
    p.add_argument("--config", required=True, help="the network's config, e.g. configs/master.mnist_mlp.yaml")
    p.add_argument("--ckpt_path", "--ckpt-path", dest="ckpt_path",
                   help="Lightning weights: a checkpoint (.ckpt), 'last' (the newest run of the "
                        "config's root folder) or the exercise runner's final_weights.pt")
    p.add_argument("--keras-weights", help="Keras weights (.weights.h5) of the same network")
    p.add_argument("--no-invert", action="store_true",
                   help="the image is already light on dark (as MNIST): do not invert it")
    p.add_argument("--top", type=int, default=3, help="how many classes to list (default 3)")
    p.add_argument("--save-input", help="also write the 28x28 image the network sees to this PNG")
    return p


# -- the image ------------------------------------------------------------------------------------
def convert_image(path: str, scale: float = 255.0, invert: bool = True) -> tuple[np.ndarray, str]:
    """``(28x28 float32 array, a line saying what was done)``: grey, 28x28 (each pixel the mean
    of its area of the image), inverted (``255 - value``) unless ``invert`` is false, divided by
    ``scale`` (255: the documents' ``/255``; 1: unscaled)."""
    from PIL import Image, UnidentifiedImageError

    if not os.path.isfile(path):
        raise FileNotFoundError(f"image {path} does not exist")
    try:
        image = Image.open(path)
    except UnidentifiedImageError:
        raise ValueError(f"{path} is not an image Pillow can read (PNG, JPG, BMP...)") from None
    with image:
        image.load()
        described = f"{image.width}x{image.height} {image.mode}"
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            paper = Image.new("RGBA", image.size, "white")
            image = Image.alpha_composite(paper, image.convert("RGBA"))
        grey = image.convert("L").resize(SIZE, Image.Resampling.BOX)  # each pixel the mean of its area
    pixels = np.asarray(grey, dtype=np.float32)
    steps = [f"{described} -> grey {SIZE[0]}x{SIZE[1]}"]
    if invert:
        pixels = 255.0 - pixels
        steps.append("inverted (255 - value)")
    if scale != 1:
        pixels = pixels / np.float32(scale)
        steps.append(f"/{scale:g}")
    steps.append(f"values {pixels.min():.3f}..{pixels.max():.3f}, mean {pixels.mean():.3f}")
    return pixels, ", ".join(steps)


# -- the config -------------------------------------------------------------------------------------
def read_config(path: str) -> dict:
    """The config's network (``model_class``, ``hparams``, ``catalog_id``), data options
    (``flatten``, ``scale``, ``channel_axis``), ``class_names`` and run folder ``root``."""
    import yaml

    from datamodules.images import FASHION_CLASSES, MNIST_CLASSES
    from lightning_models.cli import _class_of
    from lightning_models.hyperparameters import UsageError

    if not os.path.isfile(path):
        raise UsageError(f"config {path} does not exist", hint="e.g. --config configs/master.mnist_mlp.yaml")
    with open(path) as f:
        config = yaml.safe_load(f) or {}
    try:
        model_class = _class_of(config["model"]["class_path"])
        data_class = _class_of(config["data"]["class_path"])
    except (KeyError, TypeError):
        raise UsageError(f"{path} names no model and data class_path") from None
    names = {"MNISTDataModule": MNIST_CLASSES, "FashionMNISTDataModule": FASHION_CLASSES}.get(data_class.__name__)
    if names is None:
        raise UsageError(f"predict-image classifies 28x28 grey images: {path}'s data is "
                         f"{data_class.__name__}, not MNIST or Fashion-MNIST")
    defaults = {n: p.default for n, p in inspect.signature(data_class.__init__).parameters.items()
                if p.default is not inspect.Parameter.empty}
    data = {**defaults, **(config["data"].get("init_args") or {})}
    classes = data.get("classes")
    catalog_id = getattr(model_class, "catalog_id", model_class.__name__)
    root = (config.get("trainer") or {}).get("default_root_dir") or os.path.join("runs", catalog_id)
    return {"model_class": model_class, "hparams": dict(config["model"].get("init_args") or {}),
            "catalog_id": catalog_id, "flatten": bool(data.get("flatten")),
            "channel_axis": bool(data.get("channel_axis")), "scale": 255.0 if data.get("scale", True) else 1.0,
            "class_names": [names[c] for c in classes] if classes else list(names), "root": root}


def network_input(pixels: np.ndarray, config: dict) -> np.ndarray:
    """One example shaped as the config's training data: ``(1, 784)``, ``(1, 28, 28)`` or
    ``(1, 28, 28, 1)``."""
    if config["flatten"]:
        return pixels.reshape(1, -1)
    return pixels[None, ..., None] if config["channel_axis"] else pixels[None]


# -- the networks -----------------------------------------------------------------------------------
def lightning_state_dict(ckpt_path: str, config: dict) -> tuple[dict, str]:
    """``(state_dict, the file it came from)`` of ``--ckpt_path``."""
    import torch

    from lightning_models.checkpoints import CheckpointError, read_checkpoint
    from lightning_models.cli import latest_resumable_run
    from lightning_models.hyperparameters import UsageError

    if ckpt_path == "last":
        folder = latest_resumable_run(config["root"])
        if folder is None:
            raise UsageError(f"no run with checkpoints/last.ckpt in {config['root']}",
                             hint="train one first with fit, or give --ckpt_path <file>")
        ckpt_path = os.path.join(folder, "checkpoints", "last.ckpt")
    if ckpt_path.endswith(".ckpt"):
        return read_checkpoint(ckpt_path, resumable=False)["state_dict"], ckpt_path
    if not os.path.isfile(ckpt_path):
        raise CheckpointError(f"weights file {ckpt_path} does not exist")
    try:
        loaded = torch.load(ckpt_path, map_location="cpu", weights_only=True)
    except Exception:
        raise CheckpointError(f"{ckpt_path} is not a Lightning checkpoint or a torch state_dict") from None
    if isinstance(loaded, dict) and "state_dict" in loaded:
        loaded = loaded["state_dict"]
    return loaded, ckpt_path


def lightning_probabilities(config: dict, ckpt_path: str, x: np.ndarray) -> tuple[np.ndarray, str]:
    state, source = lightning_state_dict(ckpt_path, config)
    model = config["model_class"](**config["hparams"])
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise ValueError(f"the weights of {source} do not fit the config's {config['catalog_id']} "
                         f"network: {str(error).splitlines()[0]}") from None
    return np.asarray(model.eval().predict(x))[0], source


def keras_probabilities(config: dict, weights: str, x: np.ndarray) -> np.ndarray:
    import keras_reference

    if not os.path.isfile(weights):
        raise FileNotFoundError(f"Keras weights file {weights} does not exist")
    with warnings.catch_warnings():  # the documents' Dense(..., input_shape=...) style, and the
        # optimiser's state in the weights file, which predict does not need
        warnings.filterwarnings("ignore", message=".*Do not pass an `input_shape`/`input_dim`.*")
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        model = keras_reference.build(config["catalog_id"], **config["hparams"])
        try:
            model.load_weights(weights)
        except ValueError as error:
            raise ValueError(f"the Keras weights of {weights} do not fit the config's "
                             f"{config['catalog_id']} network: {str(error).splitlines()[0]}") from None
    return np.asarray(model.predict(x, verbose=0))[0]


def top_classes(probabilities: np.ndarray, names: Sequence[str], k: int = 3) -> list[tuple[str, float]]:
    order = np.argsort(-probabilities, kind="stable")[:k]
    return [(names[i], float(probabilities[i])) for i in order]


def answer_line(framework: str, source: str, probabilities: np.ndarray, names: Sequence[str], k: int) -> str:
    top = top_classes(probabilities, names, k)
    listed = ", ".join(f"{name} ({p:.4f})" for name, p in top)
    return (f"{framework} ({os.path.basename(source)}): {top[0][0]} with probability {top[0][1]:.4f}; "
            f"top {len(top)}: {listed}")


def predict_image(image: str, config_path: str, ckpt_path: Optional[str] = None,
                  keras_weights: Optional[str] = None, invert: bool = True, top: int = 3) -> dict:
    """The converted image and each framework's probabilities: ``{"pixels", "input",
    "conversion", "class_names", "lightning": (probabilities, source), "keras": ...,
    "lines": the printed lines}``."""
    import lightning_models  # noqa: F401  (the Lightning side before Keras: datamodules/_import_guard.py)
    from lightning_models.hyperparameters import UsageError

    if ckpt_path is None and keras_weights is None:
        raise UsageError("give the weights: --ckpt_path (Lightning) and/or --keras-weights (Keras)")
    if top < 1:
        raise UsageError(f"--top must be >= 1, got {top}")
    config = read_config(config_path)
    pixels, conversion = convert_image(image, config["scale"], invert)
    x = network_input(pixels, config)
    names = config["class_names"]
    found = {"pixels": pixels, "input": x, "conversion": conversion, "class_names": names,
             "lines": [f"{image}: {conversion}"]}
    if ckpt_path is not None:
        found["lightning"] = lightning_probabilities(config, ckpt_path, x)
        found["lines"].append(answer_line("lightning", found["lightning"][1], found["lightning"][0], names, top))
    if keras_weights is not None:
        found["keras"] = (keras_probabilities(config, keras_weights, x), keras_weights)
        found["lines"].append(answer_line("keras", keras_weights, found["keras"][0], names, top))
    return found


def save_input(pixels: np.ndarray, path: str, scale: float) -> None:
    """The 28x28 image the network sees, as an 8-bit grey PNG (light digit on dark, as MNIST)."""
    from PIL import Image

    Image.fromarray(np.clip(np.rint(pixels * scale), 0, 255).astype(np.uint8)).save(path)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parser().parse_args(argv)
    found = predict_image(args.image, args.config, args.ckpt_path, args.keras_weights,
                          invert=not args.no_invert, top=args.top)
    for line in found["lines"]:
        print(line)
    if args.save_input:
        save_input(found["pixels"], args.save_input, read_config(args.config)["scale"])
        print(f"the network's input: {args.save_input}")
