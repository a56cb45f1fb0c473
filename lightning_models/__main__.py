"""``python -m lightning_models ...``: the project's command line (:mod:`crosscheck.cli`).

This entry script, which ``import lightning_models`` never runs, is the one place where the
Lightning package hands over to the cross-framework package.

At exit the interpreter's last garbage collections would walk every object that torch,
Lightning and TensorBoard created (1.3-1.5 s on the project's 2-core machine, measured; README,
"Speed"), only to free memory the process is giving back anyway: ``gc.freeze()`` as the last
exit handler (the first registered runs last) leaves them out. Files, logs and checkpoints are
closed by then.
"""

import atexit
import gc

atexit.register(gc.freeze)

from crosscheck.cli import main  # noqa: E402

main()
