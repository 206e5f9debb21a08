"""Activation functions: identity, step, sigmoid, relu, leaky_relu, softmax, log_softmax."""
import warnings

import numpy as np
import pytest

import keisan.functions as F
from keisan.gradient_check import check_backward
from reference import away_from_zero, rng, softmax_ref


@pytest.mark.parametrize('shape', [(5,), (3, 4), (2, 3, 2)])
def test_identity(shape):
    x = rng(1).standard_normal(shape)
    assert np.array_equal(F.identity(x).data, x)
    check_backward(F.identity, x)


@pytest.mark.parametrize('shape', [(5,), (3, 4), (2, 3, 2)])
def test_sigmoid(shape):
    x = rng(2).uniform(-4, 4, shape)
    assert np.allclose(F.sigmoid(x).data, 1 / (1 + np.exp(-x)))
    check_backward(F.sigmoid, x)


def test_sigmoid_is_stable_for_large_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        y = F.sigmoid(np.array([-1000.0, 0.0, 1000.0])).data
    assert np.allclose(y, [0.0, 0.5, 1.0])


@pytest.mark.parametrize('shape', [(6,), (3, 4), (2, 3, 2)])
def test_relu(shape):
    x = away_from_zero(rng(3), shape)
    assert np.array_equal(F.relu(x).data, np.maximum(x, 0))
    check_backward(F.relu, x)


@pytest.mark.parametrize('alpha', [0.2, 0.01, 0.5])
def test_leaky_relu(alpha):
    x = away_from_zero(rng(4), (3, 4))
    assert np.allclose(F.leaky_relu(x, alpha).data, np.where(x > 0, x, alpha * x))
    check_backward(lambda v: F.leaky_relu(v, alpha), x)


def test_step_forward_only():
    y = F.step(np.array([-1.0, 0.0, 2.0]))
    assert np.array_equal(y.data, [0.0, 0.0, 1.0]) and y.creator is None


@pytest.mark.parametrize('shape, axis', [((3, 4), -1), ((3, 4), 0), ((3, 4), 1),
                                         ((2, 3, 4), 1), ((2, 3, 4), -1), ((5,), 0)])
def test_softmax(shape, axis):
    x = rng(5).standard_normal(shape) * 2
    y = F.softmax(x, axis)
    assert np.allclose(y.data, softmax_ref(x, axis))
    assert np.allclose(y.data.sum(axis=axis), 1)
    check_backward(lambda v: F.softmax(v, axis), x)


@pytest.mark.parametrize('shape, axis', [((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1),
                                         ((2, 3, 4), -1), ((5,), 0)])
def test_log_softmax(shape, axis):
    x = rng(6).standard_normal(shape) * 2
    y = F.log_softmax(x, axis)
    assert np.allclose(y.data, np.log(softmax_ref(x, axis)))
    check_backward(lambda v: F.log_softmax(v, axis), x)


def test_softmax_is_stable_for_large_inputs():
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        y = F.softmax(x).data
        ly = F.log_softmax(x).data
    assert np.allclose(y, softmax_ref(x))
    assert np.allclose(ly, np.log(softmax_ref(x)))


@pytest.mark.parametrize('dtype', [np.int64, np.int32, np.int8, np.uint8, bool])
def test_activations_of_integers_are_float64_like_numpy(dtype):
    x = np.array([[0, 1, 3], [2, 0, 1]]).astype(dtype)
    xf = x.astype(np.float64)
    for fn, ref in [(F.softmax, softmax_ref(xf)), (F.log_softmax, np.log(softmax_ref(xf))),
                    (F.sigmoid, 1 / (1 + np.exp(-xf))),
                    (lambda v: F.softmax(v, axis=0), softmax_ref(xf, axis=0))]:
        y = fn(x).data
        assert y.dtype == np.float64 and np.allclose(y, ref)


def test_leaky_relu_of_integers_is_float64_like_numpy():
    y = F.leaky_relu(np.array([-3, 2])).data
    assert y.dtype == np.float64 and np.allclose(y, [-0.6, 2.0])
    y = F.leaky_relu(np.array([-5, 0, 4], np.int8), 0.5).data
    assert y.dtype == np.float64 and np.allclose(y, [-2.5, 0.0, 4.0])
    assert F.relu(np.array([-3, 2])).data.tolist() == [0, 2]    # max(x, 0) keeps ints


def test_sigmoid_kernel_is_shared_and_keeps_float_dtypes():
    from keisan.kernels import sigmoid
    x = np.array([-1000.0, -2.0, 0.0, 3.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert np.allclose(sigmoid(x), 1 / (1 + np.exp(-np.clip(x, -50, 50))))
    for dtype in (np.float16, np.float32, np.float64):
        assert sigmoid(x.astype(dtype)).dtype == dtype
    assert sigmoid(np.array([1, 2])).dtype == np.float64
