"""Batch normalization, training and fixed."""
import numpy as np
import pytest

import keisan as ks
import keisan.functions as F
from keisan.gradient_check import check_backward
from reference import rng


def bn_ref(x, gamma, beta, eps):
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
    mu = x.mean(axis=axes)
    var = x.var(axis=axes)
    y = (x - mu.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    return y * gamma.reshape(shape) + beta.reshape(shape), mu, var


@pytest.mark.parametrize('shape', [(5, 3), (8, 1), (2, 3, 3, 2), (3, 2, 1, 4)])
def test_batch_normalization_train(shape):
    r = rng(17)
    x = r.standard_normal(shape) * 2 + 1
    c = shape[1]
    gamma, beta = r.uniform(0.5, 1.5, c), r.standard_normal(c)
    y = F.batch_normalization(x, gamma, beta, eps=2e-5)
    ref, _, _ = bn_ref(x, gamma, beta, 2e-5)
    assert np.allclose(y.data, ref)
    check_backward(F.batch_normalization, (x, gamma, beta))
    check_backward(lambda a, g, b: F.batch_normalization(a, g, b, eps=1e-3), (x, gamma, beta))


@pytest.mark.parametrize('shape', [(6, 3), (4, 2, 3, 3)])
def test_batch_normalization_running_statistics(shape):
    r = rng(18)
    x = r.standard_normal(shape) * 3 + 2
    c = shape[1]
    gamma, beta = np.ones(c), np.zeros(c)
    rm, rv = r.standard_normal(c), r.uniform(0.5, 2, c)
    rm0, rv0 = rm.copy(), rv.copy()
    rm_id, rv_id = id(rm), id(rv)
    F.batch_normalization(x, gamma, beta, running_mean=rm, running_var=rv)
    _, mu, var = bn_ref(x, gamma, beta, 2e-5)
    assert id(rm) == rm_id and id(rv) == rv_id      # updated in place
    assert np.allclose(rm, 0.9 * rm0 + 0.1 * mu)
    assert np.allclose(rv, 0.9 * rv0 + 0.1 * var)   # biased batch variance
    # other momentum
    rm1, rv1 = rm.copy(), rv.copy()
    F.batch_normalization(x, gamma, beta, running_mean=rm, running_var=rv, momentum=0.5)
    assert np.allclose(rm, 0.5 * rm1 + 0.5 * mu)
    assert np.allclose(rv, 0.5 * rv1 + 0.5 * var)


def test_batch_normalization_test_mode_uses_running_statistics():
    r = rng(19)
    x = r.standard_normal((5, 3))
    gamma, beta = r.uniform(0.5, 1.5, 3), r.standard_normal(3)
    rm, rv = r.standard_normal(3), r.uniform(0.5, 2, 3)
    rm0 = rm.copy()
    with ks.test_mode():
        y = F.batch_normalization(x, gamma, beta, running_mean=rm, running_var=rv)
    ref = (x - rm) / np.sqrt(rv + 2e-5) * gamma + beta
    assert np.allclose(y.data, ref)
    assert np.array_equal(rm, rm0)                  # not updated in test mode


@pytest.mark.parametrize('shape', [(5, 3), (2, 3, 2, 2)])
def test_fixed_batch_normalization(shape):
    r = rng(20)
    x = r.standard_normal(shape)
    c = shape[1]
    gamma, beta = r.uniform(0.5, 1.5, c), r.standard_normal(c)
    mean, var = r.standard_normal(c), r.uniform(0.5, 2.0, c)
    s = (1, -1) if len(shape) == 2 else (1, -1, 1, 1)
    y = F.fixed_batch_normalization(x, gamma, beta, mean, var, eps=1e-3)
    ref = (x - mean.reshape(s)) / np.sqrt(var.reshape(s) + 1e-3) * gamma.reshape(s) \
        + beta.reshape(s)
    assert np.allclose(y.data, ref)
    check_backward(F.fixed_batch_normalization, (x, gamma, beta, mean, var))
    check_backward(F.fixed_batch_normalization, (x, gamma, beta, mean, var),
                   no_grads=[False, False, False, True, True])


def test_batch_normalization_bad_shapes():
    with pytest.raises(ValueError) as e:
        F.batch_normalization(np.ones((4, 3)), np.ones(2), np.zeros(2))
    assert 'batch_normalization' in str(e.value) and '(4, 3)' in str(e.value)
    with pytest.raises(ValueError, match='batch_normalization'):
        F.batch_normalization(np.ones((4, 3, 2)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match='batch_normalization'):
        F.batch_normalization(np.ones((4, 3)), np.ones(3), np.zeros(2))
    with pytest.raises(ValueError, match='fixed_batch_normalization'):
        F.fixed_batch_normalization(np.ones((4, 3)), np.ones(3), np.zeros(3), np.zeros(2),
                                    np.ones(3))
