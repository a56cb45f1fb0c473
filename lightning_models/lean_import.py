"""Start-up: torchmetrics imported without the optional packages it loads for metrics this project never uses.

Lightning imports torchmetrics for its ``Metric`` class (``lightning.pytorch.core.module``), and
torchmetrics' ``__init__`` imports, when they are installed, ``scipy.signal`` (audio metrics),
``torchvision`` (image metrics such as ARNIQA) and ``matplotlib.pyplot`` (``Metric.plot``). This
project uses no torchmetrics metric (its metrics are Keras', keras_losses.py), yet those three
packages were a quarter of ``import lightning_models``: 7.2 -> 5.3 s of CPU time measured on the
project's 2-core machine (README, "Speed").

:func:`import_torchmetrics_lean` imports torchmetrics first, while lightning_utilities (through
which torchmetrics asks what is installed) answers that those three are not; then restores the
answers. torchmetrics' image and audio metrics that need them, and ``Metric.plot``, then raise
torchmetrics' own "requires ..." error in this process; everything else, torchvision, matplotlib
and scipy included, works as usual. ``KLP_FULL_IMPORTS=1`` skips it. It does nothing when
torchmetrics is already imported or lightning_utilities has changed its internals.
"""

from __future__ import annotations

import os
import sys

#: The packages torchmetrics is told are absent while it is imported.
HIDDEN = ("torchvision", "matplotlib", "scipy")
#: Set to 1 to import torchmetrics with everything it finds.
ENV_VAR = "KLP_FULL_IMPORTS"


def import_torchmetrics_lean() -> None:
    if "torchmetrics" in sys.modules or os.environ.get(ENV_VAR, "") not in ("", "0"):
        return
    try:
        from importlib.metadata import PackageNotFoundError

        import lightning_utilities.core.imports as answers
        version, find_spec = answers._version, answers.find_spec
        caches = (answers.package_available, answers.module_available)
    except (ImportError, AttributeError):
        return

    def hidden(name: str) -> bool:
        return name.split(".")[0] in HIDDEN

    def version_unless_hidden(name):
        if hidden(name):
            raise PackageNotFoundError(name)
        return version(name)

    def spec_unless_hidden(name, *args, **kwargs):
        return None if hidden(name) else find_spec(name, *args, **kwargs)

    answers._version, answers.find_spec = version_unless_hidden, spec_unless_hidden
    try:
        import torchmetrics  # noqa: F401
    finally:
        answers._version, answers.find_spec = version, find_spec
        for cached in caches:  # answers given meanwhile are not kept for others
            cached.cache_clear()
