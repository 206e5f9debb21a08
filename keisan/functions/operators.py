"""Python operators and array-like methods of Variable (``x + y``, ``x @ W``, ``x.T``, ...).

The core defines Variable without them, since they are Functions, which sit above it;
importing :mod:`keisan.functions` installs them.
"""
from keisan.core.variable import Variable
from keisan.functions.array import get_item, mean, reshape, sum, transpose  # noqa: A004
from keisan.functions.linalg import matmul
from keisan.functions.math import absolute, add, div, mul, neg, operand, pow, sub  # noqa: A004


def install():
    """Give Variable its Python operators."""

    def reflected(fn):
        return lambda self, other: fn(operand(other, self, fn.__name__), self)

    Variable.__add__ = add
    Variable.__radd__ = reflected(add)
    Variable.__sub__ = sub
    Variable.__rsub__ = reflected(sub)
    Variable.__mul__ = mul
    Variable.__rmul__ = reflected(mul)
    Variable.__truediv__ = div
    Variable.__rtruediv__ = reflected(div)
    Variable.__pow__ = pow
    Variable.__rpow__ = reflected(pow)
    Variable.__matmul__ = matmul
    Variable.__rmatmul__ = lambda self, other: matmul(other, self)
    Variable.__neg__ = neg
    Variable.__pos__ = lambda self: self
    Variable.__abs__ = absolute
    Variable.__getitem__ = get_item
    Variable.T = property(lambda self: transpose(self))
    Variable.reshape = lambda self, *shape: reshape(
        self, shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape)
    Variable.transpose = lambda self, *axes: transpose(
        self, None if not axes else axes[0] if isinstance(axes[0], (tuple, list)) else axes)
    Variable.sum = lambda self, axis=None, keepdims=False: sum(self, axis, keepdims)
    Variable.mean = lambda self, axis=None, keepdims=False: mean(self, axis, keepdims)
