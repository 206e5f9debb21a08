"""Losses (mean squared error, softmax and sigmoid cross-entropy) and accuracy."""
import warnings

import numpy as np
import pytest

import keisan as ks
import keisan.functions as F
from keisan.gradient_check import check_backward
from reference import rng, softmax_ref


@pytest.mark.parametrize('shape', [(4,), (3, 5), (2, 3, 2)])
def test_mean_squared_error(shape):
    r = rng(10)
    a, b = r.standard_normal(shape), r.standard_normal(shape)
    y = F.mean_squared_error(a, b)
    assert y.shape == ()
    assert np.allclose(y.data, np.mean((a - b) ** 2))
    check_backward(F.mean_squared_error, (a, b))


def test_mean_squared_error_dtypes():
    assert F.mean_squared_error(np.ones(3, np.float32), np.zeros(3, np.float32)).dtype \
        == np.float32
    y = F.mean_squared_error(np.array([1, 2]), np.array([2, 2]))     # integers: not truncated
    assert np.allclose(y.data, 0.5)


def test_mean_squared_error_shape_mismatch():
    with pytest.raises(ValueError) as e:
        F.mean_squared_error(np.ones((2, 3)), np.ones((3, 2)))
    msg = str(e.value)
    assert 'mean_squared_error' in msg and '(2, 3)' in msg and '(3, 2)' in msg


@pytest.mark.parametrize('n, c', [(4, 3), (1, 5), (6, 2)])
def test_softmax_cross_entropy_integer_labels(n, c):
    r = rng(11)
    x = r.standard_normal((n, c)) * 2
    t = r.integers(0, c, n)
    y = F.softmax_cross_entropy(x, t)
    ref = -np.mean(np.log(softmax_ref(x))[np.arange(n), t])
    assert y.shape == () and np.allclose(y.data, ref)
    check_backward(F.softmax_cross_entropy, (x, t))
    check_backward(F.softmax_cross_entropy, (x, t.astype(np.int32)))


def test_softmax_cross_entropy_one_hot_and_soft_labels():
    r = rng(12)
    x = r.standard_normal((4, 3))
    t = r.integers(0, 3, 4)
    onehot = np.eye(3)[t]
    y_int = F.softmax_cross_entropy(x, t).data
    assert np.allclose(F.softmax_cross_entropy(x, onehot).data, y_int)
    assert np.allclose(F.softmax_cross_entropy(x, onehot.astype(np.int64)).data, y_int)
    check_backward(F.softmax_cross_entropy, (x, onehot.astype(np.int64)))
    check_backward(F.softmax_cross_entropy, (x, onehot), no_grads=[False, True])
    soft = softmax_ref(r.standard_normal((4, 3)))
    ref = -np.mean((soft * np.log(softmax_ref(x))).sum(axis=1))
    assert np.allclose(F.softmax_cross_entropy(x, soft).data, ref)
    check_backward(F.softmax_cross_entropy, (x, soft), no_grads=[False, True])


def test_softmax_cross_entropy_is_stable():
    x = np.array([[1000.0, 0.0, -1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        y = F.softmax_cross_entropy(x, np.array([2]))
    assert np.isfinite(y.data) and np.allclose(y.data, 2000.0)


@pytest.mark.parametrize('t', [np.array([0, 1, 3, 1]), np.array([0, -1, 2, 1]),
                               np.array([5, 0, 0, 0])])
def test_softmax_cross_entropy_labels_out_of_range(t):
    with pytest.raises(ValueError) as e:
        F.softmax_cross_entropy(np.zeros((4, 3)), t)
    assert 'softmax_cross_entropy' in str(e.value)


@pytest.mark.parametrize('t_shape, dtype', [((5,), np.int64), ((4, 2), np.float64),
                                            ((4, 1), np.int64), ((3, 3), np.float64),
                                            ((4, 3, 1), np.float64)])
def test_softmax_cross_entropy_label_shape_mismatch(t_shape, dtype):
    with pytest.raises(ValueError) as e:
        F.softmax_cross_entropy(np.zeros((4, 3)), np.zeros(t_shape, dtype))
    msg = str(e.value)
    assert 'softmax_cross_entropy' in msg and '(4, 3)' in msg and str(t_shape) in msg


def test_softmax_cross_entropy_non_2d_scores():
    with pytest.raises(ValueError, match='softmax_cross_entropy'):
        F.softmax_cross_entropy(np.zeros((4,)), np.zeros(4, np.int64))


def test_softmax_cross_entropy_float_labels_of_label_shape():
    with pytest.raises(TypeError, match='integer'):
        F.softmax_cross_entropy(np.zeros((4, 3)), np.zeros(4))


@pytest.mark.parametrize('shape', [(5,), (3, 4)])
def test_sigmoid_cross_entropy(shape):
    r = rng(13)
    x = r.standard_normal(shape) * 2
    t = r.integers(0, 2, shape)
    p = 1 / (1 + np.exp(-x))
    ref = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    y = F.sigmoid_cross_entropy(x, t)
    assert y.shape == () and np.allclose(y.data, ref)
    check_backward(F.sigmoid_cross_entropy, (x, t))
    check_backward(F.sigmoid_cross_entropy, (x, t.astype(np.float64)), no_grads=[False, True])


def test_sigmoid_cross_entropy_is_stable_and_checks_shapes():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        y = F.sigmoid_cross_entropy(np.array([1000.0, -1000.0]), np.array([1, 0]))
    assert np.allclose(y.data, 0.0)
    with pytest.raises(ValueError) as e:
        F.sigmoid_cross_entropy(np.zeros((2, 3)), np.zeros((3, 2), np.int64))
    assert 'sigmoid_cross_entropy' in str(e.value) and '(2, 3)' in str(e.value)


def test_accuracy():
    y = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert np.allclose(F.accuracy(y, np.array([1, 0, 0])).data, 2 / 3)
    assert np.allclose(F.accuracy(y, np.eye(2)[[1, 0, 1]]).data, 1.0)


@pytest.mark.parametrize('t, bad', [(np.array([0, 5]), 't[1] = 5'),
                                    (np.array([-1, 0]), 't[0] = -1'),
                                    (np.array([3, 0], np.uint8), 't[0] = 3')])
def test_accuracy_rejects_labels_out_of_range(t, bad):
    with pytest.raises(ValueError) as e:
        F.accuracy(np.ones((2, 3)), t)
    msg = str(e.value)
    assert msg.startswith('accuracy:') and bad in msg and '3 classes' in msg


@pytest.mark.parametrize('t', [np.array([0, 1, 2]), np.zeros((3, 3)), np.array([0])])
def test_accuracy_rejects_batch_size_mismatch(t):
    with pytest.raises(ValueError) as e:
        F.accuracy(np.ones((2, 3)), t)
    msg = str(e.value)
    assert msg.startswith('accuracy:') and 'batch sizes differ' in msg
    assert 'y of shape (2, 3)' in msg and str(t.shape) in msg


def test_accuracy_checks_shapes_and_label_dtype():
    with pytest.raises(ValueError, match='accuracy: y must be'):
        F.accuracy(np.ones(3), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match='accuracy'):
        F.accuracy(np.ones((2, 3)), np.zeros((2, 1), np.int64))
    with pytest.raises(TypeError, match='accuracy.*integer'):
        F.accuracy(np.ones((2, 3)), np.zeros(2))


def test_accuracy_dtypes():
    y = np.array([[0.1, 0.9], [0.8, 0.2]])
    t = np.array([1, 1], np.int32)
    assert F.accuracy(y.astype(np.float32), t).dtype == np.float32
    assert F.accuracy(y, t).dtype == np.float64
    acc = F.accuracy(np.array([[0, 2], [3, 1]]), t)
    assert acc.dtype == np.float64 and acc.data == 0.5


def test_label_errors_of_softmax_cross_entropy_name_the_bad_label():
    with pytest.raises(ValueError) as e:
        F.softmax_cross_entropy(np.zeros((3, 4)), np.array([0, 4, 7]))
    assert str(e.value).startswith('softmax_cross_entropy: label t[1] = 4') \
        and '4 classes' in str(e.value)
    with pytest.raises(ValueError, match='batch sizes differ'):
        F.softmax_cross_entropy(np.zeros((3, 4)), np.array([0, 1]))


@pytest.mark.parametrize('dtype', [np.int64, np.int32, np.int8])
def test_losses_of_integer_scores_are_float64(dtype):
    x = np.array([[1, 2, 3], [0, -1, 4]], dtype)
    xf = x.astype(np.float64)
    t = np.array([2, 0])
    for labels in (t, np.eye(3)[t], np.eye(3, dtype=np.int64)[t]):
        y = F.softmax_cross_entropy(x, labels)
        assert y.dtype == np.float64
        assert np.allclose(y.data, F.softmax_cross_entropy(xf, labels).data)
    t01 = np.array([[1, 0, 1], [0, 0, 1]])
    y = F.sigmoid_cross_entropy(x, t01)
    assert y.dtype == np.float64
    assert np.allclose(y.data, F.sigmoid_cross_entropy(xf, t01).data)


def test_losses_and_softmax_keep_float32():
    r = rng(14)
    x = ks.Variable(r.standard_normal((4, 3)).astype(np.float32))
    t = r.integers(0, 3, 4)
    for loss in (F.softmax_cross_entropy(x, t),
                 F.softmax_cross_entropy(x, np.eye(3, dtype=np.float32)[t]),
                 F.softmax_cross_entropy(x, np.eye(3, dtype=np.int64)[t]),
                 F.sigmoid_cross_entropy(x, r.integers(0, 2, (4, 3))),
                 F.sum(F.softmax(x)), F.sum(F.log_softmax(x, axis=0)),
                 F.sum(F.sigmoid(x)), F.sum(F.leaky_relu(x))):
        x.cleargrad()
        loss.backward()
        assert loss.dtype == np.float32 and x.grad.dtype == np.float32
