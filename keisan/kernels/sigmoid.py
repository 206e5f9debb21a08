"""Logistic sigmoid, written once for F.sigmoid and sigmoid_cross_entropy's backward."""
from keisan.cuda import get_array_module
from keisan.kernels.dtypes import as_float


def sigmoid(x):
    """1 / (1 + exp(-x)), elementwise. x (any shape) -> same shape.

    Float dtypes are kept; integer and bool input gives float64.
    """
    x = as_float(x)
    xp = get_array_module(x)
    # 0.5 * tanh(x / 2) + 0.5 equals 1 / (1 + exp(-x)) without overflow in exp.
    y = xp.tanh(x * 0.5)
    y *= 0.5
    y += 0.5
    return y
