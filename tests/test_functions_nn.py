"""Neural-network functions: activations, linear, losses, dropout, batch norm,
convolution, pooling and the im2col/col2im kernels.

Gradients are checked with ``check_backward`` in float64; forwards against plain
NumPy references written here (naive loops for convolution and pooling).
"""
import warnings

import numpy as np
import pytest

import keisan as ks
import keisan.functions as F
from keisan.gradient_check import check_backward
from keisan.kernels import col2im, conv_output_size, im2col


def rng(seed=0):
    return np.random.default_rng(seed)


def away_from_zero(r, shape, margin=0.1, high=2.0):
    return r.uniform(margin, high, shape) * r.choice([-1.0, 1.0], shape)


# ----- references ---------------------------------------------------------------------
def softmax_ref(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _hw(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_ref(x, W, b, stride, pad):
    n, c, h, w = x.shape
    f, _, kh, kw = W.shape
    (sy, sx), (py, px) = _hw(stride), _hw(pad)
    xp = np.pad(x, ((0, 0), (0, 0), (py, py), (px, px)))
    oh = (h + 2 * py - kh) // sy + 1
    ow = (w + 2 * px - kw) // sx + 1
    y = np.zeros((n, f, oh, ow))
    for i_n in range(n):
        for i_f in range(f):
            for i in range(oh):
                for j in range(ow):
                    patch = xp[i_n, :, i * sy:i * sy + kh, j * sx:j * sx + kw]
                    y[i_n, i_f, i, j] = (patch * W[i_f]).sum() + (0 if b is None else b[i_f])
    return y


def pool_ref(x, k, stride, pad, kind):
    n, c, h, w = x.shape
    kh, kw = _hw(k)
    (sy, sx), (py, px) = _hw(k if stride is None else stride), _hw(pad)
    fill = -np.inf if kind == 'max' else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (py, py), (px, px)), constant_values=fill)
    oh = (h + 2 * py - kh) // sy + 1
    ow = (w + 2 * px - kw) // sx + 1
    y = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * sy:i * sy + kh, j * sx:j * sx + kw]
            y[:, :, i, j] = win.max(axis=(2, 3)) if kind == 'max' else win.mean(axis=(2, 3))
    return y


def im2col_ref(x, kh, kw, stride, pad):
    n, c, h, w = x.shape
    (sy, sx), (py, px) = _hw(stride), _hw(pad)
    xp = np.pad(x, ((0, 0), (0, 0), (py, py), (px, px)))
    oh = (h + 2 * py - kh) // sy + 1
    ow = (w + 2 * px - kw) // sx + 1
    col = np.zeros((n * oh * ow, c * kh * kw))
    for i_n in range(n):
        for i in range(oh):
            for j in range(ow):
                row = (i_n * oh + i) * ow + j
                for i_c in range(c):
                    for u in range(kh):
                        for v in range(kw):
                            col[row, (i_c * kh + u) * kw + v] = \
                                xp[i_n, i_c, i * sy + u, j * sx + v]
    return col


# ----- activations --------------------------------------------------------------------
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


# ----- linear -------------------------------------------------------------------------
@pytest.mark.parametrize('x_shape, bias', [((4, 3), True), ((4, 3), False),
                                           ((2, 3, 4), True), ((2, 2, 2, 3), False),
                                           ((1, 5), True)])
def test_linear(x_shape, bias):
    r = rng(7)
    x = r.standard_normal(x_shape)
    d = int(np.prod(x_shape[1:]))
    W = r.standard_normal((d, 3))
    b = r.standard_normal(3)
    y = F.linear(x, W, b if bias else None)
    ref = x.reshape(len(x), -1) @ W + (b if bias else 0)
    assert y.shape == (x_shape[0], 3)
    assert np.allclose(y.data, ref)
    if bias:
        check_backward(F.linear, (x, W, b))
    else:
        check_backward(F.linear, (x, W))


def test_linear_input_grad_has_input_shape():
    x = ks.Variable(rng(8).standard_normal((2, 3, 4)))
    W = ks.Parameter(rng(9).standard_normal((12, 5)))
    F.sum(F.linear(x, W)).backward()
    assert x.grad.shape == (2, 3, 4) and W.grad.shape == (12, 5)


def test_linear_empty_batch():
    x = ks.Variable(np.ones((0, 2, 3)))
    W = ks.Parameter(np.ones((6, 4)))
    y = F.linear(x, W)
    assert y.shape == (0, 4)
    F.sum(y).backward()
    assert x.grad.shape == (0, 2, 3) and np.array_equal(W.grad, np.zeros((6, 4)))


@pytest.mark.parametrize('x_shape, w_shape, b_shape', [((2, 3), (4, 5), None),
                                                       ((2, 3, 4), (11, 5), None),
                                                       ((2, 3), (3, 5), (4,)),
                                                       ((2, 3), (3,), None)])
def test_linear_shape_mismatch(x_shape, w_shape, b_shape):
    args = [np.ones(x_shape), np.ones(w_shape)] + ([np.ones(b_shape)] if b_shape else [])
    with pytest.raises(ValueError) as e:
        F.linear(*args)
    msg = str(e.value)
    assert 'linear' in msg and str(w_shape) in msg
    assert str(x_shape) in msg or str(b_shape) in msg


# ----- losses -------------------------------------------------------------------------
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


# ----- dropout ------------------------------------------------------------------------
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


# ----- batch normalization ------------------------------------------------------------
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


# ----- convolution --------------------------------------------------------------------
CONV_CASES = [
    # x shape, W shape, stride, pad, bias
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 0, True),
    ((1, 2, 7, 6), (3, 2, 3, 2), 2, 1, False),
    ((2, 1, 8, 7), (2, 1, 2, 3), 3, 2, True),
    ((1, 3, 4, 4), (2, 3, 1, 1), 1, 0, True),
    ((2, 2, 6, 5), (3, 2, 4, 3), 2, 0, True),
    ((1, 2, 5, 5), (2, 2, 5, 5), 1, 2, False),
    ((1, 1, 3, 9), (1, 1, 3, 1), 3, 1, True),
    ((2, 2, 5, 4), (1, 2, 2, 2), 1, 1, False),
]


@pytest.mark.parametrize('x_shape, w_shape, stride, pad, bias', CONV_CASES)
def test_convolution_2d(x_shape, w_shape, stride, pad, bias):
    r = rng(21)
    x = r.standard_normal(x_shape)
    W = r.standard_normal(w_shape)
    b = r.standard_normal(w_shape[0]) if bias else None
    y = F.convolution_2d(x, W, b, stride=stride, pad=pad)
    oh = (x_shape[2] + 2 * pad - w_shape[2]) // stride + 1
    ow = (x_shape[3] + 2 * pad - w_shape[3]) // stride + 1
    assert y.shape == (x_shape[0], w_shape[0], oh, ow)
    assert np.allclose(y.data, conv_ref(x, W, b, stride, pad))
    if bias:
        check_backward(lambda a, w, c: F.convolution_2d(a, w, c, stride=stride, pad=pad),
                       (x, W, b))
    else:
        check_backward(lambda a, w: F.convolution_2d(a, w, stride=stride, pad=pad), (x, W))


@pytest.mark.parametrize('stride, pad', [((1, 2), (0, 1)), ((2, 1), 1), (2, (2, 0))])
def test_convolution_2d_stride_and_pad_pairs(stride, pad):
    r = rng(30)
    x, W, b = r.standard_normal((2, 2, 6, 5)), r.standard_normal((3, 2, 3, 2)), \
        r.standard_normal(3)
    y = F.convolution_2d(x, W, b, stride=stride, pad=pad)
    assert np.allclose(y.data, conv_ref(x, W, b, stride, pad))
    check_backward(lambda a, w, c: F.convolution_2d(a, w, c, stride=stride, pad=pad),
                   (x, W, b))


def test_convolution_2d_matches_book_im2col_formula():
    r = rng(22)
    x, W, b = r.standard_normal((2, 3, 6, 5)), r.standard_normal((4, 3, 3, 2)), \
        r.standard_normal(4)
    col = im2col(x, 3, 2, stride=2, pad=1)
    oh, ow = conv_output_size(6, 3, 2, 1), conv_output_size(5, 2, 2, 1)
    ref = (col @ W.reshape(4, -1).T + b).reshape(2, oh, ow, 4).transpose(0, 3, 1, 2)
    assert np.allclose(F.convolution_2d(x, W, b, stride=2, pad=1).data, ref)


def test_convolution_2d_non_contiguous_input():
    r = rng(23)
    x = r.standard_normal((2, 5, 5, 3)).transpose(0, 3, 1, 2)     # (2, 3, 5, 5) view
    W = r.standard_normal((2, 3, 3, 3))
    assert np.allclose(F.convolution_2d(x, W, pad=1).data, conv_ref(x, W, None, 1, 1))


@pytest.mark.parametrize('x_shape, w_shape, kw', [
    ((1, 3, 5, 5), (2, 4, 3, 3), {}),
    ((1, 3, 5), (2, 3, 3, 3), {}),
    ((1, 3, 2, 2), (2, 3, 3, 3), {}),
    ((1, 3, 5, 5), (2, 3, 3, 3), {'b': np.zeros(3)}),
])
def test_convolution_2d_shape_mismatch(x_shape, w_shape, kw):
    with pytest.raises(ValueError) as e:
        F.convolution_2d(np.ones(x_shape), np.ones(w_shape), **kw)
    msg = str(e.value)
    assert 'convolution_2d' in msg and str(w_shape) in msg
    assert str(x_shape) in msg or 'b of shape' in msg


def test_convolution_2d_bad_stride_pad():
    with pytest.raises(ValueError, match='stride'):
        F.convolution_2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2)), stride=0)
    with pytest.raises(ValueError, match='pad'):
        F.convolution_2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2)), pad=-1)


# ----- pooling ------------------------------------------------------------------------
POOL_CASES = [
    # ksize, stride, pad
    (2, None, 0), (3, None, 0), (2, 1, 0), (2, 2, 0), (3, 2, 1), (2, 2, 1), (3, 1, 1),
    (3, None, 1), (2, 1, 1), (3, 3, 0),
]
POOL_SHAPES = [(2, 2, 7, 5), (1, 3, 6, 6), (1, 1, 5, 8)]


def distinct_input(shape, seed):
    """A scaled random permutation: no ties, so the max-pooling argmax is stable."""
    r = rng(seed)
    size = int(np.prod(shape))
    return (r.permutation(size).reshape(shape) - size / 2) * 0.1


@pytest.mark.parametrize('shape', POOL_SHAPES)
@pytest.mark.parametrize('ksize, stride, pad', POOL_CASES)
def test_max_pooling_2d(shape, ksize, stride, pad):
    x = distinct_input(shape, 24)
    y = F.max_pooling_2d(x, ksize, stride=stride, pad=pad)
    s = ksize if stride is None else stride
    assert y.shape == shape[:2] + (conv_output_size(shape[2], ksize, s, pad),
                                   conv_output_size(shape[3], ksize, s, pad))
    assert np.array_equal(y.data, pool_ref(x, ksize, stride, pad, 'max'))
    check_backward(lambda v: F.max_pooling_2d(v, ksize, stride=stride, pad=pad), x)


@pytest.mark.parametrize('shape', POOL_SHAPES)
@pytest.mark.parametrize('ksize, stride, pad', POOL_CASES)
def test_average_pooling_2d(shape, ksize, stride, pad):
    x = rng(25).standard_normal(shape)
    y = F.average_pooling_2d(x, ksize, stride=stride, pad=pad)
    assert np.allclose(y.data, pool_ref(x, ksize, stride, pad, 'avg'))
    check_backward(lambda v: F.average_pooling_2d(v, ksize, stride=stride, pad=pad), x)


def test_pooling_stride_defaults_to_ksize():
    x = rng(26).standard_normal((1, 2, 7, 7))
    for fn in (F.max_pooling_2d, F.average_pooling_2d):
        assert np.array_equal(fn(x, 3).data, fn(x, 3, stride=3).data)
        assert fn(x, 3).shape == (1, 2, 2, 2)
        assert fn(x, 2).shape == (1, 2, 3, 3)


@pytest.mark.parametrize('ksize, stride, pad', [((2, 3), None, 0), ((3, 2), (1, 2), (1, 0)),
                                               ((2, 1), None, (1, 0)), (2, (2, 1), 1)])
@pytest.mark.parametrize('fn, kind', [(F.max_pooling_2d, 'max'),
                                      (F.average_pooling_2d, 'avg')], ids=['max', 'avg'])
def test_pooling_non_square(fn, kind, ksize, stride, pad):
    x = distinct_input((1, 2, 7, 6), 31)
    y = fn(x, ksize, stride=stride, pad=pad)
    ref = pool_ref(x, ksize, stride, pad, kind)
    assert y.shape == ref.shape
    assert np.allclose(y.data, ref)
    check_backward(lambda v: fn(v, ksize, stride=stride, pad=pad), x)


def test_non_square_pooling_stride_defaults_to_both_sides_of_ksize():
    x = rng(32).standard_normal((1, 1, 4, 6))
    assert F.max_pooling_2d(x, (2, 3)).shape == (1, 1, 2, 2)
    assert F.average_pooling_2d(x, (2, 1)).shape == (1, 1, 2, 6)


@pytest.mark.parametrize('ksize, pad', [(2, 2), (3, 3), ((3, 2), (1, 2))])
def test_max_pooling_rejects_pad_not_smaller_than_ksize(ksize, pad):
    with pytest.raises(ValueError, match='max_pooling_2d.*pad'):
        F.max_pooling_2d(np.ones((1, 1, 5, 5)), ksize, stride=1, pad=pad)


def test_max_pooling_with_pad_never_picks_the_padding():
    x = -1 - distinct_input((1, 2, 5, 5), 27) ** 2     # all negative: a 0 pad would win
    y = F.max_pooling_2d(x, 3, stride=2, pad=1).data
    assert (y < 0).all() and np.isfinite(y).all()
    assert np.array_equal(y, pool_ref(x, 3, 2, 1, 'max'))
    v = ks.Variable(x)
    F.sum(F.max_pooling_2d(v, 2, stride=2, pad=1)).backward()
    assert v.grad.sum() == 2 * 3 * 3                  # every window sends 1 to a real pixel


@pytest.mark.parametrize('dtype', [np.int64, np.int32, np.int8, np.uint8])
@pytest.mark.parametrize('ksize, stride, pad', [(3, 2, 1), (2, 2, 1), (2, 1, 0), (2, None, 0)])
def test_max_pooling_of_integers_keeps_the_dtype(dtype, ksize, stride, pad):
    lo = np.iinfo(dtype).min
    x = rng(28).integers(lo, lo + 100, (1, 2, 5, 5)).astype(dtype)   # the dtype's minimum too
    y = F.max_pooling_2d(x, ksize, stride=stride, pad=pad).data
    assert y.dtype == dtype
    assert np.array_equal(y, pool_ref(x.astype(np.float64), ksize, stride, pad, 'max'))


@pytest.mark.parametrize('fn', [F.max_pooling_2d, F.average_pooling_2d],
                         ids=['max', 'avg'])
@pytest.mark.parametrize('stride, pad', [(None, 0), (2, 1), (1, 0)])
def test_pooling_keeps_float32(fn, stride, pad):
    v = ks.Variable(rng(29).standard_normal((1, 2, 5, 5)).astype(np.float32))
    y = fn(v, 2, stride=stride, pad=pad)
    F.sum(y).backward()
    assert y.dtype == np.float32 and v.grad.dtype == np.float32


def test_max_pooling_gradient_goes_to_the_max():
    x = np.array([[[[1., 5.], [3., 2.]]]])
    v = ks.Variable(x)
    F.max_pooling_2d(v, 2).backward()
    assert np.array_equal(v.grad, [[[[0., 1.], [0., 0.]]]])


def test_pooling_bad_arguments():
    with pytest.raises(ValueError, match='max_pooling_2d'):
        F.max_pooling_2d(np.ones((1, 1, 2, 2)), 3)
    with pytest.raises(ValueError, match='average_pooling_2d'):
        F.average_pooling_2d(np.ones((1, 2, 2)), 2)
    with pytest.raises(ValueError, match='max_pooling_2d'):
        F.max_pooling_2d(np.ones((1, 1, 4, 4)), 2, stride=0)


# ----- im2col / col2im ----------------------------------------------------------------
IM2COL_CASES = [
    ((2, 3, 5, 5), 3, 3, 1, 0), ((1, 2, 7, 6), 3, 2, 2, 1), ((2, 1, 8, 7), 2, 3, 3, 2),
    ((1, 3, 4, 4), 1, 1, 1, 0), ((1, 2, 6, 5), 4, 3, 2, 0), ((1, 1, 5, 5), 2, 2, 2, 1),
]
IM2COL_PAIR_CASES = [((1, 2, 7, 6), 3, 2, (2, 1), (1, 0)), ((2, 1, 5, 6), 2, 2, (1, 3), 1)]


@pytest.mark.parametrize('shape, kh, kw, stride, pad', IM2COL_CASES)
def test_im2col_shape_and_column_order(shape, kh, kw, stride, pad):
    x = rng(28).standard_normal(shape)
    col = im2col(x, kh, kw, stride=stride, pad=pad)
    n, c, h, w = shape
    oh, ow = conv_output_size(h, kh, stride, pad), conv_output_size(w, kw, stride, pad)
    assert oh == (h + 2 * pad - kh) // stride + 1
    assert col.shape == (n * oh * ow, c * kh * kw)
    assert np.array_equal(col, im2col_ref(x, kh, kw, stride, pad))


@pytest.mark.parametrize('shape, kh, kw, stride, pad', IM2COL_CASES)
def test_col2im_is_the_adjoint_of_im2col(shape, kh, kw, stride, pad):
    r = rng(29)
    x = r.standard_normal(shape)
    col = im2col(x, kh, kw, stride=stride, pad=pad)
    c = r.standard_normal(col.shape)
    img = col2im(c, shape, kh, kw, stride=stride, pad=pad)
    assert img.shape == shape
    assert np.isclose((col * c).sum(), (x * img).sum())


@pytest.mark.parametrize('shape, kh, kw, stride, pad', IM2COL_PAIR_CASES)
def test_im2col_col2im_with_stride_and_pad_pairs(shape, kh, kw, stride, pad):
    r = rng(33)
    x = r.standard_normal(shape)
    col = im2col(x, kh, kw, stride=stride, pad=pad)
    assert np.array_equal(col, im2col_ref(x, kh, kw, stride, pad))
    c = r.standard_normal(col.shape)
    img = col2im(c, shape, kh, kw, stride=stride, pad=pad)
    assert np.isclose((col * c).sum(), (x * img).sum())


def test_col2im_sums_overlaps():
    shape = (1, 1, 3, 3)
    col = im2col(np.ones(shape), 2, 2, stride=1, pad=0)
    img = col2im(col, shape, 2, 2, stride=1, pad=0)
    assert np.array_equal(img[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


@pytest.mark.parametrize('size, k, stride, pad, expected', [
    (28, 5, 1, 0, 24), (28, 3, 1, 1, 28), (7, 3, 2, 1, 4), (8, 3, 3, 2, 4), (5, 2, 2, 0, 2),
])
def test_conv_output_size(size, k, stride, pad, expected):
    assert conv_output_size(size, k, stride, pad) == expected


# ----- type errors --------------------------------------------------------------------
@pytest.mark.parametrize('call, type_name', [
    (lambda: F.linear('a', np.ones((2, 2))), 'str'),
    (lambda: F.convolution_2d([[1.0]], np.ones((1, 1, 1, 1))), 'list'),
    (lambda: F.softmax_cross_entropy(np.zeros((2, 3)), [0, 1]), 'list'),
    (lambda: F.mean_squared_error(np.zeros(2), (0.0, 1.0)), 'tuple'),
    (lambda: F.sigmoid('x'), 'str'),
    (lambda: F.max_pooling_2d([[[[1.0]]]], 1), 'list'),
    (lambda: F.batch_normalization(np.ones((2, 2)), [1, 1], np.zeros(2)), 'list'),
    (lambda: F.dropout('x'), 'str'),
])
def test_non_array_arguments_raise_type_error(call, type_name):
    with pytest.raises(TypeError, match=type_name):
        call()


@pytest.mark.parametrize('call, label', [
    (lambda: F.relu('a'), 'relu'),
    (lambda: F.leaky_relu('a'), 'leaky_relu'),
    (lambda: F.matmul('a', np.ones(2)), 'matmul'),
    (lambda: F.convolution_2d('a', np.ones((1, 1, 1, 1))), 'convolution_2d'),
    (lambda: F.max_pooling_2d('a', 2), 'max_pooling_2d'),
    (lambda: F.average_pooling_2d('a', 2), 'average_pooling_2d'),
    (lambda: F.softmax_cross_entropy('a', np.zeros(2, np.int64)), 'softmax_cross_entropy'),
    (lambda: F.batch_normalization('a', np.ones(2), np.ones(2)), 'batch_normalization'),
    (lambda: F.pow('a', 2), 'pow'),
])
def test_type_error_names_the_function(call, label):
    with pytest.raises(TypeError) as e:
        call()
    assert str(e.value).startswith(label + ':')


def test_convolution_returns_its_column_buffers_to_the_pool(monkeypatch):
    """Large column matrices are reused across calls instead of freshly allocated
    (fresh pages cost ~2x a reused buffer); whole or in blocks, every buffer goes back."""
    from keisan.kernels import threads
    from keisan.kernels.workspace import workspace
    from keisan.functions.convolution import Convolution2D
    rng = np.random.default_rng(0)
    x = rng.random((60, 16, 20, 20), dtype=np.float32)     # columns: 144 x 24000 = 13.8 MB
    w = rng.random((8, 16, 3, 3), dtype=np.float32)
    for blas_threads in (1, 2):                            # blocks / one whole block
        monkeypatch.setattr(threads, 'blas_threads', lambda: blas_threads)
        workspace.clear()
        fn = Convolution2D(1, 1)
        y = fn.forward(x, w)
        assert (fn.col is None) == (blas_threads == 1)
        fn.backward(np.ones_like(y))
        del fn
        idle = workspace._idle
        assert idle >= 1 << 20                             # the buffer is back in the pool
        fn = Convolution2D(1, 1)
        fn.forward(x, w)
        if blas_threads == 1:       # blocks are given back at once: reused, nothing new
            assert workspace._idle == idle
        else:                       # the whole matrix is taken again and kept for backward
            assert workspace._idle < idle
        del fn


@pytest.mark.parametrize('stride, pad', [(1, 1), (1, 0), (2, 1), ((1, 2), (0, 1))])
def test_convolution_in_several_column_blocks_is_gradient_checked(monkeypatch, stride, pad):
    """The blocked im2col path (single-threaded BLAS, large batches) forced onto a small
    float64 input: same values as one whole block, and a passing gradient check."""
    import sys
    from keisan.kernels import threads
    windows_module = sys.modules['keisan.kernels.windows']
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    whole = F.convolution_2d(x, w, b, stride, pad).data
    monkeypatch.setattr(threads, 'blas_threads', lambda: 1)
    monkeypatch.setattr(windows_module, 'WHOLE_COLUMNS_MAX_BYTES', 0)
    monkeypatch.setattr(windows_module, 'COLUMN_BLOCK_BYTES', 1)      # one image per block
    assert len(windows_module.image_blocks(np, 5, 8)) == 5
    np.testing.assert_allclose(F.convolution_2d(x, w, b, stride, pad).data, whole,
                               rtol=1e-12, atol=1e-12)
    check_backward(lambda x_, w_, b_: F.convolution_2d(x_, w_, b_, stride, pad), (x, w, b))


def test_convolution_output_dtype_follows_x_and_w_like_matmul():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((2, 1, 3, 3))
    x_int = rng.integers(0, 255, size=(2, 1, 5, 5)).astype(np.uint8)        # raw pixels
    y = F.convolution_2d(x_int, w)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.data, F.convolution_2d(x_int.astype(np.float64), w).data)
    assert F.convolution_2d(x_int.astype(np.float32), w).dtype == np.float64
    assert F.convolution_2d(x_int.astype(np.float32), w.astype(np.float32)).dtype == np.float32


def test_workspace_ignores_a_second_give_and_foreign_arrays():
    from keisan.kernels.workspace import MIN_BYTES, Workspace
    pool = Workspace()
    a = pool.take(np, (MIN_BYTES // 4,), np.float32)
    pool.give(a)
    pool.give(a)                                         # twice: must not be pooled twice
    pool.give(np.empty(MIN_BYTES // 4, np.float32))      # never lent by this pool
    assert pool._idle == MIN_BYTES and len(pool._free) == 1
    b = pool.take(np, (MIN_BYTES // 4,), np.float32)
    c = pool.take(np, (MIN_BYTES // 4,), np.float32)
    assert not np.shares_memory(b, c)                    # two users never share a block
