"""Non-array arguments: every function raises a TypeError that names it."""
import numpy as np
import pytest

import keisan.functions as F


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
