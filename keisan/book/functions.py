"""The book's ``common/functions.py``: activations, softmax and losses on plain arrays.

Every function takes NumPy or CuPy arrays (lists and scalars are converted) and returns
arrays, never Variables, so ``np.dot(sigmoid(a), W2)`` works. ``sigmoid``, ``relu`` and
``softmax`` (row-wise for (N, C), over the only axis for (C,)) are keisan's kernels and
Functions; the rest are :mod:`keisan.kernels.book_helpers`.
"""
import numpy as np

from keisan import kernels
from keisan.functions.activation import ReLU
from keisan.kernels.book_helpers import (as_array, cross_entropy_error, identity_function,
                                         relu_grad, sigmoid_grad, softmax_loss, step_function,
                                         sum_squared_error)

__all__ = ['cross_entropy_error', 'identity_function', 'np', 'relu', 'relu_grad', 'sigmoid',
           'sigmoid_grad', 'softmax', 'softmax_loss', 'step_function', 'sum_squared_error']


def sigmoid(x):
    """1 / (1 + exp(-x)), elementwise. x (any shape) -> same shape, float."""
    return kernels.sigmoid(as_array(x))


def relu(x):
    """max(x, 0), elementwise. x (any shape) -> same shape and dtype."""
    return ReLU().forward(as_array(x))


def softmax(x):
    """exp(x) / sum(exp(x)) along the last axis: each row of (N, C) scores sums to 1."""
    return kernels.softmax(as_array(x), axis=-1)
