"""Print the catalog as a Markdown table: every id, where its two versions live, its default
parameter count, the number of grid points, and the forward-parity figure (max |keras - lightning|
over all grid points, sub-models included). Used for the README's catalog table.

    python benchmarks/catalog_report.py
"""

from __future__ import annotations

import inspect

import lightning_models
import keras_reference
from crosscheck import forward_parity
from lightning_models.registry import GRIDS


def main() -> None:
    print("| catalog id | Lightning | Keras | params (defaults) | grid points | max abs diff |")
    print("|---|---|---|---:|---:|---:|")
    for entry_id in sorted(lightning_models.CATALOG):
        cls = lightning_models.CATALOG[entry_id]
        builder = keras_reference.CATALOG[entry_id]
        worst, params = 0.0, None
        for point in GRIDS[entry_id]:
            keras_model = keras_reference.build(entry_id, **point)
            torch_model = lightning_models.build(entry_id, **point)
            if params is None:
                params = keras_model.count_params()
            worst = max(worst, forward_parity(keras_model, torch_model))
        where_l = f"`{inspect.getmodule(cls).__name__.split('.')[-1]}.{cls.__name__}`"
        where_k = f"`{inspect.getmodule(builder).__name__.split('.')[-1]}.{builder.__name__}`"
        print(f"| `{entry_id}` | {where_l} | {where_k} | {params:,} | {len(GRIDS[entry_id])} | {worst:.1e} |")


if __name__ == "__main__":
    main()
