"""``python -m lightning_models``: the project's command line.

The project's own commands need both frameworks and live here (``summary``; the exercise runner
and the teaching pages join them); every other command line goes to the Lightning side's
LightningCLI (:mod:`lightning_models.cli`: ``fit``, ``validate``, ``test``, ``predict``).

Every command reports a user's mistake the same way (:func:`lightning_models.cli.report_errors`):
``error: <one line>`` and at most one ``hint:`` line on stderr, exit status 2 for usage and
configuration errors, 1 for runtime errors, no traceback unless ``KLP_TRACEBACK=1``.
"""

from __future__ import annotations

import os
import sys

#: command -> (module, one-line help); each module has ``main(argv)``.
PROJECT_COMMANDS = {
    "summary": ("crosscheck.summary", "Keras and Lightning layer tables and the forward-parity figure"),
    "exercise": ("crosscheck.exercises.cli", "run an exercise of the documents in both frameworks (--list)"),
    "teach": ("crosscheck.teach", "HTML pages: a network's Keras and Lightning code side by side (<id> or --all)"),
    "predict-image": ("crosscheck.predict_image", "classify your own image file with a trained MNIST/Fashion network, both frameworks"),
    "parity-report": ("crosscheck.parity_report", "per catalog id, each parity level with its number (JSON; --markdown: the README table)"),
}


def main(argv=None) -> None:
    # TensorBoard (and the Keras side) load TensorFlow: keep its C++ start-up lines off stderr.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in PROJECT_COMMANDS:
        import importlib

        from lightning_models.cli import report_errors

        with report_errors(args):
            module = importlib.import_module(PROJECT_COMMANDS[args[0]][0])
            module.main(args[1:])
        return
    from lightning_models.cli import DESCRIPTION, main as lightning_main

    lightning_main(None if argv is None else args, description=DESCRIPTION + "\n" + project_commands_help())


def project_commands_help() -> str:
    lines = ["Project commands (python -m lightning_models <command> --help for each):"]
    lines += [f"  {name:<14} {help_text}" for name, (_, help_text) in PROJECT_COMMANDS.items()]
    return "\n".join(lines) + "\n"
