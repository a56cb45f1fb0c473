"""The thread policy (lightning_models/threads.py): one thread for the tiny networks, one per
idle core from 100 MFLOP per step, the user's choice first, and no side effect on the model or
RNG."""

import os

import numpy as np
import pytest
import torch

import datamodules
import lightning_models
from lightning_models.threads import (ENV_VAR, FLOPS_FOR_MORE_THREADS, ThreadPolicy,
                                      available_cores, choose_threads, flops_per_step, idle_cores)
from lightning_models.training import fit


def test_flops_of_the_fashion_mlp_step():
    """Forward 2*(784*128 + 128*10) per sample; backward the weight gradients (as much again)
    and the hidden layer's input gradient (the pixels need none): 13.1 MFLOP at batch 32."""
    flops = flops_per_step(lightning_models.build("fp.fashion_mlp"), 32)
    forward = 2 * 32 * (784 * 128 + 128 * 10)
    assert flops == 2 * forward + 2 * 32 * 128 * 10
    assert flops < FLOPS_FOR_MORE_THREADS


@pytest.mark.parametrize("entry_id, batch_size, threads", [
    ("fp.fashion_mlp", 32, 1), ("apa.autoencoder", 100, 1), ("fp.conv_batchnorm", 32, 1),
    ("apa.cifar2_cnn", 256, "cores"), ("fp.imdb_mlp", 512, "cores"),
])
def test_the_policy_follows_the_work_per_step(entry_id, batch_size, threads, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.1, 0.1, 0.1))  # a quiet machine
    chosen, why = choose_threads(lightning_models.build(entry_id), batch_size)
    assert chosen == (available_cores() if threads == "cores" else threads)
    assert "MFLOP per step" in why


@pytest.mark.parametrize("load, idle", [(0.0, 4), (0.4, 4), (1.0, 3), (2.6, 1), (9.0, 1)])
def test_more_threads_only_on_idle_cores(load, idle, monkeypatch):
    """A large step gets one thread per idle core: the cores less the 1-minute load average
    (other processes' threads would make ours wait, threads.py), at least one."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, 0.0, 0.0))
    assert idle_cores() == (idle, load)
    chosen, why = choose_threads(lightning_models.build("apa.cifar2_cnn"), 256)
    assert chosen == idle and f"idle core ({idle} of 4, load average {load:.1f})" in why
    # a process allowed 2 of the 4 cores counts its share of the load: half of it
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert idle_cores() == (max(1, min(2, 2 - round(load / 2))), load / 2)


def test_the_master_mlp_gets_one_thread_when_another_process_is_busy(monkeypatch):
    """master.mnist_mlp (784-256-10, batch 128: 105 MFLOP) got 2 threads on 2 cores whatever the
    load; with one other busy process (load average 1) it now gets 1 (threads.py, measured)."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    model = lightning_models.build("master.mnist_mlp")
    monkeypatch.setattr(os, "getloadavg", lambda: (1.0, 1.0, 1.0))
    assert choose_threads(model, 128)[0] == 1
    monkeypatch.setattr(os, "getloadavg", lambda: (0.2, 0.2, 0.2))
    assert choose_threads(model, 128)[0] == 2


def test_the_users_choice_wins(monkeypatch):
    model = lightning_models.build("apa.cifar2_cnn")
    monkeypatch.setenv(ENV_VAR, "3")
    assert choose_threads(model, 256) == (3, f"set by {ENV_VAR}")
    assert choose_threads(model, 256, threads=1) == (1, "set by --threads")
    monkeypatch.setenv(ENV_VAR, "two")
    with pytest.raises(ValueError, match=f"{ENV_VAR} must be a whole number"):
        choose_threads(model, 256)
    with pytest.raises(ValueError, match=">= 1"):
        ThreadPolicy(threads=0)


def test_counting_changes_no_weight_statistic_or_random_state():
    model = lightning_models.build("fp.dense_batchnorm").train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    flops_per_step(model, 64)
    assert torch.equal(torch.rand(3), expected)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert model.training and all(p.grad is None for p in model.parameters())


def test_fit_applies_and_announces_the_policy(capsys, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    torch.set_num_threads(2)
    try:
        policy = ThreadPolicy()
        data = datamodules.DigitsDataModule(batch_size=100, targets="inputs", shuffle_seed=0)
        fit(lightning_models.build("apa.autoencoder"), data, epochs=1, callbacks=[policy])
        assert policy.chosen == 1 and torch.get_num_threads() == 2  # restored after the run
        assert "Threads: 1 (1.1 MFLOP per step" in capsys.readouterr().out
    finally:
        torch.set_num_threads(1)


def test_keras_threads_are_fixed_before_the_first_operation():
    import tensorflow as tf

    import keras_reference

    keras_reference.use_threads(1)  # conftest set 1 already: the same value is accepted
    assert tf.config.threading.get_intra_op_parallelism_threads() == 1
    np.asarray(keras_reference.build("fp.perceptron")(np.zeros((1, 3), np.float32)))
    with pytest.raises(RuntimeError, match="before building or fitting"):
        keras_reference.use_threads(2)
