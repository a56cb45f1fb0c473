"""The exercises' own tools (issue 12), run after an exercise's training grid (or alone, for the
exercises that train nothing). Each tool is ``tool(exercise, options, rows)``: ``rows`` are the
exercise's finished runs (``results.csv`` rows with ``run_dir``; empty when it trains nothing);
it writes its files into ``<options.out>/<exercise id>/`` and returns the names it wrote.
Registered by name in :data:`TOOLS` (the keys of :data:`..spec.TOOLS`).
"""

from __future__ import annotations

from typing import Callable

#: tool name -> the function that makes its outputs.
TOOLS: dict[str, Callable] = {}


def register(name: str):
    def decorate(fn: Callable) -> Callable:
        TOOLS[name] = fn
        return fn

    return decorate


from . import search  # noqa: E402,F401  (registers bayesian_search)
from . import image_views, optimizer_lesson, own_image, projection  # noqa: E402,F401  (the tools of issue 12, items 2-5)
from . import building_blocks, keras_api  # noqa: E402,F401  (issue 12, items 6-7)
