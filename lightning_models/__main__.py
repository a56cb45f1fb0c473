"""``python -m lightning_models ...``: the project's command line (:mod:`crosscheck.cli`).

This entry script, which ``import lightning_models`` never runs, is the one place where the
Lightning package hands over to the cross-framework package.
"""

from crosscheck.cli import main

main()
