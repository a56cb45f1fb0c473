"""TensorBoard logging without loading TensorFlow.

TensorBoard's event writer (``torch.utils.tensorboard``, used by Lightning's TensorBoardLogger)
imports TensorFlow when it is installed, as it is here for the Keras side: about 5 s of start-up
and TensorFlow's start-up lines on stderr, for a run that never uses it. TensorBoard has its own
switch for that: when a module ``tensorboard.compat.notf`` exists, it uses its bundled
TensorFlow stub instead (``tensorboard/compat/__init__.py``). The event files are the same.
"""

from __future__ import annotations

import sys
import types

_SWITCH = "tensorboard.compat.notf"


def tensorboard_without_tensorflow() -> None:
    """Make TensorBoard use its stub, unless TensorFlow is loaded already (then TensorBoard may
    as well use it). Called by the command line before it builds its logger."""
    if "tensorflow" not in sys.modules and _SWITCH not in sys.modules:
        sys.modules[_SWITCH] = types.ModuleType(_SWITCH)
