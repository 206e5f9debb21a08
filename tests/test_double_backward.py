"""Second derivatives of every Function: ``check_double_backward`` in float64.

Each case checks the Function's ``backward_graph`` against central differences of the
function (first derivatives), then the graph it builds against central differences of
those first derivatives (second derivatives, and linearity in the output gradient).
Inputs stay away from kinks (relu at 0, ties of max) by more than the difference step.
"""
import inspect

import numpy as np
import pytest

import keisan as ks
import keisan.functions as F
from keisan.functions import (activation, array, convolution, linalg, loss, math, noise,
                              normalization, pooling)
from keisan.functions.array import GetItemGrad
from keisan.functions.convolution import Convolution2DGradW
from keisan.functions.pooling import (AveragePooling2D, AveragePooling2DGrad, MaxPooling2D,
                                      MaxPooling2DGather, MaxPooling2DGrad)
from keisan.gradient_check import check_double_backward
from reference import away_from_zero, rng


def normal(*shape, seed=0):
    return rng(seed).standard_normal(shape)


def positive(*shape, seed=0):
    return rng(seed).uniform(0.5, 2.0, shape)


def distinct(*shape, seed=0):
    """No two values within 0.1 of each other: the max of a window is stable."""
    size = int(np.prod(shape))
    return (rng(seed).permutation(size).reshape(shape) - size / 2) * 0.1


# (id, function, inputs). Every float input is differentiated twice.
CASES = [
    # ----- math: binary ops with broadcasting, scalars, unary functions -----
    ('add', F.add, lambda: (normal(2, 3), normal(3, seed=1))),
    ('sub', F.sub, lambda: (normal(3, 1), normal(1, 4, seed=1))),
    ('mul', F.mul, lambda: (normal(2, 3), normal(2, 3, seed=1))),
    ('mul_broadcast', F.mul, lambda: (normal(2, 3, 4), normal(4, seed=1))),
    ('mul_scalar', lambda x: 3.0 * x, lambda: (normal(2, 3),)),
    ('mul_self', lambda x: x * x * x, lambda: (normal(4),)),
    ('div', F.div, lambda: (normal(2, 3), away_from_zero(rng(1), (3,), margin=0.5))),
    ('rdiv', lambda x: 2.0 / x, lambda: (positive(2, 3),)),
    ('neg', F.neg, lambda: (normal(2, 3),)),
    ('pow_const_3', lambda x: x ** 3, lambda: (normal(2, 3),)),
    ('pow_const_2', lambda x: x ** 2, lambda: (normal(2, 3),)),
    ('pow_const_half', lambda x: x ** 0.5, lambda: (positive(2, 3),)),
    ('pow_const_neg', lambda x: x ** -1.5, lambda: (positive(2, 3),)),
    ('pow_const_1', lambda x: x ** 1, lambda: (normal(3),)),
    ('pow_const_0', lambda x: x ** 0, lambda: (normal(3),)),
    ('pow', F.pow, lambda: (positive(2, 3), normal(3, seed=1))),
    ('rpow', lambda x: 2.0 ** x, lambda: (normal(2, 3),)),
    ('exp', F.exp, lambda: (normal(2, 3),)),
    ('log', F.log, lambda: (positive(2, 3),)),
    ('sqrt', F.sqrt, lambda: (positive(2, 3),)),
    ('square', F.square, lambda: (normal(2, 3),)),
    ('abs', F.absolute, lambda: (away_from_zero(rng(0), (2, 3)),)),
    ('sin', F.sin, lambda: (normal(2, 3),)),
    ('cos', F.cos, lambda: (normal(2, 3),)),
    ('tanh', F.tanh, lambda: (normal(2, 3),)),
    ('maximum', F.maximum, lambda: (distinct(2, 3), distinct(3, seed=1) + 0.05)),
    ('minimum', F.minimum, lambda: (distinct(2, 3), distinct(3, seed=1) + 0.05)),
    ('maximum_scalar', lambda x: F.maximum(x, 0.05), lambda: (distinct(2, 3),)),
    ('clip', lambda x: F.clip(x, -0.25, 0.35), lambda: (distinct(3, 4),)),
    ('clip_one_side', lambda x: F.clip(x, None, 0.05), lambda: (distinct(3, 4),)),
    # ----- array ops -----
    ('reshape', lambda x: F.reshape(x, (3, 2)), lambda: (normal(2, 3),)),
    ('transpose', lambda x: F.transpose(x, (1, 2, 0)), lambda: (normal(2, 3, 4),)),
    ('transpose_T', lambda x: x.T, lambda: (normal(2, 3),)),
    ('broadcast_to', lambda x: F.broadcast_to(x, (2, 3, 4)), lambda: (normal(3, 1),)),
    ('sum_to', lambda x: F.sum_to(x, (3, 1)), lambda: (normal(2, 3, 4),)),
    ('sum', F.sum, lambda: (normal(2, 3),)),
    ('sum_axis', lambda x: F.sum(x, axis=(0, 2)), lambda: (normal(2, 3, 4),)),
    ('sum_keepdims', lambda x: F.sum(x, axis=-1, keepdims=True), lambda: (normal(2, 3),)),
    ('mean', lambda x: F.mean(x, axis=1), lambda: (normal(2, 3, 4),)),
    ('get_item_slice', lambda x: x[1:, ::2], lambda: (normal(3, 5),)),
    ('get_item_repeats', lambda x: x[np.array([0, 2, 0, 0])], lambda: (normal(3, 2),)),
    ('get_item_mask', lambda x: x[np.array([True, False, True])], lambda: (normal(3, 2),)),
    ('get_item_tuple', lambda x: x[:, np.array([1, 1, 0])], lambda: (normal(2, 3),)),
    ('concat', lambda a, b: F.concat((a, b), axis=1),
     lambda: (normal(2, 2, 3), normal(2, 3, 3, seed=1))),
    ('concat_negative_axis', lambda a, b, c: F.concat((a, b, c), axis=-1),
     lambda: (normal(2, 1), normal(2, 3, seed=1), normal(2, 2, seed=2))),
    ('stack', lambda a, b: F.stack((a, b), axis=1), lambda: (normal(2, 3), normal(2, 3, seed=1))),
    ('stack_negative_axis', lambda a, b: F.stack((a, b), axis=-1),
     lambda: (normal(3), normal(3, seed=1))),
    ('flatten_expand_squeeze', lambda x: F.squeeze(F.expand_dims(F.flatten(x, 1), 0)),
     lambda: (normal(2, 3, 2),)),
    # ----- matmul and linear -----
    ('matmul', F.matmul, lambda: (normal(2, 3), normal(3, 4, seed=1))),
    ('matmul_batch_broadcast', F.matmul, lambda: (normal(2, 3, 4), normal(4, 2, seed=1))),
    ('matmul_vector_matrix', F.matmul, lambda: (normal(4), normal(2, 4, 3, seed=1))),
    ('matmul_matrix_vector', F.matmul, lambda: (normal(2, 4), normal(4, seed=1))),
    ('matmul_vector_vector', F.matmul, lambda: (normal(4), normal(4, seed=1))),
    ('matmul_self', lambda a: a @ a, lambda: (normal(3, 3),)),
    ('linear', F.linear, lambda: (normal(4, 3), normal(3, 2, seed=1), normal(2, seed=2))),
    ('linear_no_bias', F.linear, lambda: (normal(4, 3), normal(3, 2, seed=1))),
    ('linear_4d_input', F.linear, lambda: (normal(2, 2, 1, 3), normal(6, 2, seed=1))),
    # ----- activations -----
    ('identity', F.identity, lambda: (normal(2, 3),)),
    ('sigmoid', F.sigmoid, lambda: (normal(2, 3),)),
    ('relu', F.relu, lambda: (away_from_zero(rng(0), (2, 3)),)),
    ('leaky_relu', lambda x: F.leaky_relu(x, 0.1), lambda: (away_from_zero(rng(0), (2, 3)),)),
    ('softmax', F.softmax, lambda: (normal(3, 4),)),
    ('softmax_axis0', lambda x: F.softmax(x, axis=0), lambda: (normal(3, 2, 2),)),
    ('log_softmax', F.log_softmax, lambda: (normal(3, 4),)),
    ('log_softmax_axis1', lambda x: F.log_softmax(x, axis=1), lambda: (normal(2, 3, 2),)),
    # ----- losses -----
    ('softmax_cross_entropy_labels', F.softmax_cross_entropy,
     lambda: (normal(4, 3), np.array([0, 2, 1, 2]))),
    ('softmax_cross_entropy_one_hot', F.softmax_cross_entropy,
     lambda: (normal(4, 3), np.eye(3)[[0, 2, 1, 2]].astype(np.int64))),
    ('mean_squared_error', F.mean_squared_error, lambda: (normal(3, 2), normal(3, 2, seed=1))),
    ('sigmoid_cross_entropy', F.sigmoid_cross_entropy,
     lambda: (normal(3, 2), np.array([[0, 1], [1, 1], [0, 0]]))),
    # ----- normalization -----
    ('batch_normalization_2d', F.batch_normalization,
     lambda: (normal(5, 3) * 2 + 1, positive(3, seed=1), normal(3, seed=2))),
    ('batch_normalization_4d', F.batch_normalization,
     lambda: (normal(2, 2, 3, 2), positive(2, seed=1), normal(2, seed=2))),
    ('fixed_batch_normalization', F.fixed_batch_normalization,
     lambda: (normal(4, 3), positive(3, seed=1), normal(3, seed=2), normal(3, seed=3),
              positive(3, seed=4))),
    ('fixed_batch_normalization_constant_statistics',
     lambda x, g, b: F.FixedBatchNormalization(2e-5, np.array([0.5, -1.0]),
                                               np.array([1.5, 0.7]))(x, g, b),
     lambda: (normal(2, 2, 2, 3), positive(2, seed=1), normal(2, seed=2))),
    # ----- dropout: every evaluation draws the same mask -----
    ('dropout', lambda x: F.dropout(x, 0.4) * x, lambda: (normal(4, 5),)),
]


@pytest.mark.parametrize('function, make', [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_double_backward(function, make):
    check_double_backward(function, make())


CONV_CASES = [
    # x shape, W shape, stride, pad, bias
    ((2, 2, 5, 4), (3, 2, 3, 2), 1, 0, True),
    ((1, 2, 5, 5), (2, 2, 3, 3), 2, 1, False),
    ((1, 1, 6, 5), (2, 1, 2, 3), (2, 1), (0, 1), True),
    ((1, 2, 4, 4), (2, 2, 3, 3), 1, 3, False),       # pad >= k: the general input gradient
]


@pytest.mark.parametrize('x_shape, w_shape, stride, pad, bias', CONV_CASES)
def test_convolution_2d_double_backward(x_shape, w_shape, stride, pad, bias):
    x, W = normal(*x_shape), normal(*w_shape, seed=1)
    if bias:
        check_double_backward(lambda a, w, b: F.convolution_2d(a, w, b, stride, pad),
                              (x, W, normal(w_shape[0], seed=2)))
    else:
        check_double_backward(lambda a, w: F.convolution_2d(a, w, None, stride, pad), (x, W))


DECONV_CASES = [
    # x shape, W shape, stride, pad, outsize, bias
    ((2, 2, 3, 2), (2, 3, 3, 2), 1, 0, None, True),
    ((1, 2, 3, 3), (2, 2, 3, 3), 2, 1, None, False),
    ((1, 1, 2, 3), (1, 2, 3, 2), (2, 3), (1, 0), (4, 8), True),    # outsize: one more
]


@pytest.mark.parametrize('x_shape, w_shape, stride, pad, outsize, bias', DECONV_CASES)
def test_deconvolution_2d_double_backward(x_shape, w_shape, stride, pad, outsize, bias):
    x, W = normal(*x_shape), normal(*w_shape, seed=1)
    if bias:
        check_double_backward(
            lambda a, w, b: F.deconvolution_2d(a, w, b, stride, pad, outsize),
            (x, W, normal(w_shape[1], seed=2)))
    else:
        check_double_backward(
            lambda a, w: F.deconvolution_2d(a, w, None, stride, pad, outsize), (x, W))


@pytest.mark.parametrize('stride, pad', [(1, 0), (2, 1)])
def test_convolution_weight_gradient_double_backward(stride, pad):
    x, gy = normal(2, 2, 5, 5), normal(2, 3, 3, 3, seed=1)
    if stride == 2:
        gy = normal(2, 3, 3, 3, seed=1)          # (5 + 2 - 3) // 2 + 1 = 3
    check_double_backward(lambda a, g: Convolution2DGradW((3, 2, 3, 3), stride, pad)(a, g),
                          (x, gy))


POOL_CASES = [
    # shape, ksize, stride, pad
    ((2, 2, 4, 6), 2, None, 0),          # tiles: the fast path
    ((1, 2, 5, 5), 2, None, 0),          # tiles with a row and a column left over
    ((1, 2, 5, 4), 3, 2, 1),             # overlapping windows with padding
    ((1, 1, 4, 5), (2, 3), (1, 2), 0),
]


@pytest.mark.parametrize('shape, ksize, stride, pad', POOL_CASES)
def test_max_pooling_2d_double_backward(shape, ksize, stride, pad):
    check_double_backward(lambda v: F.max_pooling_2d(v, ksize, stride, pad),
                          distinct(*shape))


def test_book_pooling_padding_may_win_double_backward():
    """layers.Pooling's function pads with zeros that can be the max of a window."""
    x = distinct(1, 1, 3, 3) - 1.0                    # all negative: padding wins at edges
    check_double_backward(lambda v: MaxPooling2D(2, 1, 1, pad_value=0)(v), x)


@pytest.mark.parametrize('shape, ksize, stride, pad', POOL_CASES)
def test_average_pooling_2d_double_backward(shape, ksize, stride, pad):
    check_double_backward(lambda v: F.average_pooling_2d(v, ksize, stride, pad),
                          normal(*shape))


# ----- the Functions that backward_graph builds, checked as Functions of their own -----
@pytest.mark.parametrize('shape, ksize, stride, pad', POOL_CASES)
def test_max_pooling_gradient_routing_and_gather(shape, ksize, stride, pad):
    pool = MaxPooling2D(ksize, stride, pad)
    y = pool(distinct(*shape))
    check_double_backward(lambda g: MaxPooling2DGrad(pool)(g), normal(*y.shape, seed=1))
    check_double_backward(lambda v: MaxPooling2DGather(pool)(v), normal(*shape, seed=2))


@pytest.mark.parametrize('shape, ksize, stride, pad', POOL_CASES)
def test_average_pooling_gradient(shape, ksize, stride, pad):
    pool = AveragePooling2D(ksize, stride, pad)
    y = pool(normal(*shape))
    check_double_backward(lambda g: AveragePooling2DGrad(pool)(g), normal(*y.shape, seed=1))


@pytest.mark.parametrize('index', [(slice(1, None),), np.array([0, 2, 0]),
                                   np.array([True, False, True])], ids=str)
def test_get_item_gradient(index):
    check_double_backward(lambda g: GetItemGrad(index, (3, 2))(g),
                          normal(*np.zeros((3, 2))[index].shape))


def test_a_small_convnet_end_to_end():
    """SimpleConvNet's chain (convolution, ReLU, the book's pooling, linear, softmax cross
    entropy): what a gradient penalty differentiates twice."""
    def net(x, W1, b1, W2, b2, W3, b3, t):
        h = F.relu(F.convolution_2d(x, W1, b1, pad=1))
        h = MaxPooling2D(2, 2, 0, pad_value=0)(h)
        h = F.relu(F.linear(h, W2, b2))
        return F.softmax_cross_entropy(F.linear(h, W3, b3), t)
    check_double_backward(net, (normal(2, 1, 4, 4), normal(2, 1, 3, 3, seed=1),
                                normal(2, seed=2), normal(8, 5, seed=3), normal(5, seed=4),
                                normal(5, 3, seed=5), normal(3, seed=6), np.array([0, 2])))


def test_every_function_of_keisan_functions_has_a_backward_graph():
    modules = (activation, array, convolution, linalg, loss, math, noise, normalization,
               pooling)
    functions = {cls for module in modules for _, cls in inspect.getmembers(module)
                 if inspect.isclass(cls) and issubclass(cls, ks.Function)
                 and cls.forward is not ks.Function.forward}
    assert len(functions) >= 45
    assert [cls.__name__ for cls in functions
            if cls.backward_graph is ks.Function.backward_graph] == []
