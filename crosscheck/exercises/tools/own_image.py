"""Your own image (master-own-image, seed 002, L210-216; issue 12, item 4).

The lab asks to try the trained MNIST network on other handwritten digits. The command is
``python -m lightning_models predict-image`` (:mod:`crosscheck.predict_image`); this tool shows
it at work: it draws a sample digit (dark ink on white paper, as a photo or a drawing program
gives it), writes what the network sees after the lab's conversion, and, when master-mnist was
run into the same ``--out`` folder, classifies the drawing with that exercise's final weights of
both frameworks. ``own_image.md`` has the commands for your own file.
"""

from __future__ import annotations

import glob
import os

import numpy as np
from matplotlib.figure import Figure

from ..runner import FINAL_WEIGHTS, Options, exercise_folder
from ..spec import CONFIGS, Exercise
from . import register
from .common import write_text

#: The exercise whose trained weights classify the drawing (the lab's MNIST network).
TRAINED_BY = "master-mnist"


def draw_digit(path: str, size: int = 200, ink=(20, 20, 90)) -> str:
    """A hand-drawn-looking 7: dark blue strokes on white paper, ``size`` pixels square."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), "white")
    pen = ImageDraw.Draw(image)
    s = size / 200
    width = max(2, int(round(18 * s)))
    pen.line([(50 * s, 40 * s), (150 * s, 40 * s)], fill=ink, width=width)    # the bar
    pen.line([(150 * s, 40 * s), (85 * s, 165 * s)], fill=ink, width=width)   # the stem
    image.save(path)
    return path


def trained_weights(options: Options) -> dict:
    """``{framework: final weights file}`` of the master-mnist runs in ``options.out`` (seed 0,
    or the lowest seed there)."""
    found = {}
    for framework, name in FINAL_WEIGHTS.items():
        paths = sorted(glob.glob(os.path.join(options.out, TRAINED_BY, "runs", "default",
                                              f"{framework}-seed*", name)))
        if paths:
            found[framework] = paths[0]
    return found


@register("own_image")
def own_image(exercise: Exercise, options: Options, rows: list[dict]) -> list[str]:
    """``sample_digit.png``, ``own_image.png`` (the drawing and the 28x28 input), ``own_image.md``."""
    from ...predict_image import convert_image, predict_image, read_config

    folder = exercise_folder(exercise, options)
    config_path = os.path.join(CONFIGS, f"{exercise.networks[0]}.yaml")
    image = draw_digit(os.path.join(folder, "sample_digit.png"))
    config = read_config(config_path)
    pixels, conversion = convert_image(image, config["scale"])
    fig = Figure(figsize=(7, 3.4))
    left, right = fig.subplots(1, 2)
    from PIL import Image

    with Image.open(image) as drawn:
        left.imshow(np.asarray(drawn))
    left.set_title("sample_digit.png (as drawn)", fontsize=9)
    shown = right.imshow(pixels, cmap="gray")
    fig.colorbar(shown, ax=right)
    right.set_title("the network's input (28x28)", fontsize=9)
    for ax in (left, right):
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "own_image.png"), dpi=100)
    config_name = os.path.relpath(config_path)
    weights = trained_weights(options)
    command = ["python -m lightning_models predict-image", f"--config {config_name}"]
    if weights:
        found = predict_image(image, config_path, weights.get("lightning"), weights.get("keras"))
        lines = found["lines"]
        command += [f"--ckpt_path {weights['lightning']}" if "lightning" in weights else "",
                    f"--keras-weights {weights['keras']}" if "keras" in weights else "", image]
    else:
        lines = [f"{image}: {conversion}",
                 f"no trained {TRAINED_BY} weights in {options.out}: train them with "
                 f"`python -m lightning_models exercise {TRAINED_BY} --out {options.out} --data-dir "
                 "<MNIST folder>`, then run this exercise again or the command below"]
        runs = os.path.join(options.out, TRAINED_BY, "runs", "default")
        command += [f"--ckpt_path {os.path.join(runs, 'lightning-seed0', FINAL_WEIGHTS['lightning'])}",
                    f"--keras-weights {os.path.join(runs, 'keras-seed0', FINAL_WEIGHTS['keras'])}",
                    "my_digit.png"]
    for line in lines:
        options.log(line)
    text = [f"# {exercise.id}: your own image", "", "![own image](own_image.png)", "",
            "Your own file (PNG or JPG; a dark digit on light paper, or `--no-invert` for a light "
            "one on dark):", "",
            "```", " \\\n    ".join(c for c in command if c), "```", "",
            f"or, after `python -m lightning_models fit --config {config_name}`, `--ckpt_path last`.", "",
            "On the sample drawing:", "", "```", *lines, "```"]
    return ["sample_digit.png", "own_image.png", write_text(folder, "own_image.md", text)]
