"""The Keras side of the project's thread policy (:mod:`lightning_models.threads`).

TensorFlow, like torch, starts one thread per core; on these tiny networks one thread is as fast
on a quiet machine and much faster on a busy one. ``use_threads(n)`` sets TensorFlow's intra-op
and inter-op pools; TensorFlow fixes them when it first runs anything, so call it before the first
Keras computation (the tests do it in conftest.py; the benchmarks per contender).
"""

from __future__ import annotations


def use_threads(n: int) -> None:
    """Run TensorFlow's operations on ``n`` threads (and ``n`` concurrent operations)."""
    import tensorflow as tf

    if n < 1:
        raise ValueError(f"the number of threads must be >= 1, got {n}")
    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)
    except RuntimeError:
        if (tf.config.threading.get_intra_op_parallelism_threads(),
                tf.config.threading.get_inter_op_parallelism_threads()) != (n, n):
            raise RuntimeError("TensorFlow's threads are fixed once it has run an operation: call "
                               "keras_reference.use_threads(n) before building or fitting a model") from None
