"""Dropout."""
import numpy as np
import pytest

import keisan as ks
import keisan.functions as F
from keisan.gradient_check import check_backward
from reference import rng


@pytest.mark.parametrize('ratio', [0.1, 0.3, 0.5, 0.8])
def test_dropout_train_mode_is_inverted_dropout(ratio):
    np.random.seed(0)
    x = np.ones((200, 200))
    y = F.dropout(x, ratio).data
    dropped = (y == 0).mean()
    assert abs(dropped - ratio) < 0.02
    assert np.allclose(y[y != 0], 1 / (1 - ratio))
    assert abs(y.mean() - 1) < 0.05                    # expectation preserved


def test_dropout_reproducible_with_global_seed_and_rng():
    x = np.ones((10, 10))
    np.random.seed(3)
    a = F.dropout(x, 0.5).data
    np.random.seed(3)
    b = F.dropout(x, 0.5).data
    assert np.array_equal(a, b)
    c = F.dropout(x, 0.5, rng=np.random.default_rng(1)).data
    d = F.dropout(x, 0.5, rng=np.random.default_rng(1)).data
    assert np.array_equal(c, d)


def test_dropout_test_mode_is_identity():
    x = rng(14).standard_normal((5, 5))
    with ks.test_mode():
        assert np.array_equal(F.dropout(x, 0.5).data, x)
    v = ks.Variable(x)
    with ks.using_config('train', False):
        assert F.dropout(v, 0.5) is v


def test_dropout_backward_uses_the_forward_mask():
    x = ks.Variable(rng(15).standard_normal((6, 6)))
    y = F.dropout(x, 0.5)
    F.sum(y).backward()
    assert np.allclose(x.grad, np.where(y.data != 0, 2.0, 0.0))


@pytest.mark.parametrize('ratio', [0.2, 0.5])
def test_dropout_check_backward(ratio):
    x = rng(16).standard_normal((4, 5))
    check_backward(lambda v: F.dropout(v, ratio), x)


def test_dropout_bad_ratio():
    with pytest.raises(ValueError, match='dropout'):
        F.dropout(np.ones(3), 1.0)


def test_dropout_function_at_test_time_in_both_conventions():
    x = np.ones((3, 4), np.float32)
    inverted = F.Dropout(0.5, inverted=True, train=False)
    np.testing.assert_array_equal(inverted.forward(x), x)               # identity
    np.testing.assert_array_equal(inverted.backward(x), x)
    book = F.Dropout(0.25, inverted=False, train=False)
    np.testing.assert_array_equal(book.forward(x), np.full((3, 4), 0.75, np.float32))
    assert book.forward(x).dtype == np.float32
