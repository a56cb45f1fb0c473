"""TensorBoard logging without loading TensorFlow.

TensorBoard's event writer (``torch.utils.tensorboard``, used by Lightning's TensorBoardLogger)
imports TensorFlow when it is installed, as it is here for the Keras side: about 5 s of start-up
and TensorFlow's start-up lines on stderr, for a run that never uses it. TensorBoard has its own
switch for that: when a module ``tensorboard.compat.notf`` exists, it uses its bundled
TensorFlow stub instead (``tensorboard/compat/__init__.py``). The event files are the same.

:func:`log_hparams` writes a run's hyperparameters and final metrics into TensorBoard's HParams
view (the CLI at the end of ``fit``, the exercise runner for both frameworks' runs);
:func:`read_hparams` reads them back as TensorBoard does.
"""

from __future__ import annotations

import numbers
import sys
import types
from typing import Any, Mapping

_SWITCH = "tensorboard.compat.notf"


def tensorboard_without_tensorflow() -> None:
    """Make TensorBoard use its stub, unless TensorFlow is loaded already (then TensorBoard may
    as well use it). Called by the command line before it builds its logger."""
    if "tensorflow" not in sys.modules and _SWITCH not in sys.modules:
        sys.modules[_SWITCH] = types.ModuleType(_SWITCH)


# -- the HParams view (issue 10, item 6) -----------------------------------------------------
def _hparam_values(hparams: Mapping[str, Any], prefix: str = "") -> dict:
    """``hparams`` as the HParams view takes them: nested dicts flattened to ``outer/inner``
    names, numbers and strings kept, booleans as ``'True'``/``'False'``, everything else
    (None, lists, tuples) as its ``repr``."""
    values: dict = {}
    for name, value in hparams.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            values.update(_hparam_values(value, key + "/"))
        elif isinstance(value, bool):
            values[key] = str(value)
        elif isinstance(value, numbers.Integral):
            values[key] = int(value)
        elif isinstance(value, numbers.Real):  # float, np.float32...
            values[key] = float(value)
        elif isinstance(value, str):
            values[key] = value
        else:
            values[key] = repr(value)
    return values


def log_hparams(log_dir: str, hparams: Mapping[str, Any], metrics: Mapping[str, float],
                step: int = 0) -> None:
    """Write one entry of TensorBoard's HParams view into the run folder ``log_dir``: the
    hyperparameters ``hparams`` (plain values; nested dicts flattened to ``outer/inner``) and
    the metrics ``metrics`` (name -> number), each metric also written as a scalar at ``step``,
    which is where the view reads its value.

    Works for any run folder, a Lightning run's or a Keras ``TensorBoard`` callback's (whose
    curves sit in ``train/`` and ``validation/`` below it): the entry is a new event file in
    ``log_dir`` itself. Name the metrics apart from the run's curves (the CLI writes
    ``final/loss``...), since a second value of a curve's tag at ``step`` would join the curve.
    Written again into the same folder (a resumed run), the view keeps the first entry's
    hyperparameters (TensorBoard reads a tag's metadata once) and shows the metrics' newest
    values. Needs no
    TensorFlow (torch's event writer with TensorBoard's stub, :func:`tensorboard_without_tensorflow`).
    """
    tensorboard_without_tensorflow()
    from torch.utils.tensorboard import SummaryWriter
    from torch.utils.tensorboard.summary import hparams as hparams_summaries

    values = {name: float(value) for name, value in metrics.items()}
    experiment, session_start, session_end = hparams_summaries(_hparam_values(hparams), values)
    with SummaryWriter(log_dir) as writer:
        for summary in (experiment, session_start, session_end):
            writer.file_writer.add_summary(summary)
        for name, value in values.items():
            writer.add_scalar(name, value, step)


def read_hparams(log_dir: str) -> tuple[dict, dict]:
    """``(hyperparameters, metrics)`` of the HParams entry of the run folder ``log_dir`` (its
    event files only, not its subfolders) as TensorBoard reads them: the first entry's
    hyperparameters, each metric the last value of its scalar. ``({}, {})`` when there is none."""
    tensorboard_without_tensorflow()
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    events = EventAccumulator(log_dir, size_guidance={"scalars": 0, "tensors": 0})
    events.Reload()
    try:
        contents = events.PluginTagToContent(metadata.PLUGIN_NAME)
    except KeyError:  # no HParams entry in this folder
        return {}, {}
    start = plugin_data_pb2.HParamsPluginData.FromString(
        contents[metadata.SESSION_START_INFO_TAG]).session_start_info
    hparams = {name: getattr(value, value.WhichOneof("kind"))
               for name, value in start.hparams.items()}
    experiment = plugin_data_pb2.HParamsPluginData.FromString(
        contents[metadata.EXPERIMENT_TAG]).experiment
    scalars = set(events.Tags()["scalars"])
    metrics = {info.name.tag: events.Scalars(info.name.tag)[-1].value
               for info in experiment.metric_infos if info.name.tag in scalars}
    return hparams, metrics
