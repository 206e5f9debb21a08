"""MulLayer and AddLayer of the computational-graph chapter (scalars or arrays)."""
import numbers

import numpy as np

from keisan.functions.math import Add, Mul


def _arrays(*values):
    """Arrays for the kernels, and whether every value was a plain Python number."""
    plain = all(isinstance(v, numbers.Number) for v in values)
    return [np.asarray(v) if isinstance(v, numbers.Number) else v for v in values], plain


def _plain(values, plain):
    return tuple(v.item() for v in values) if plain else values


class MulLayer:
    """out = x * y; backward gives (dout * y, dout * x)."""

    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x, self.y = x, y
        (x, y), self._plain = _arrays(x, y)
        self._fn = Mul()
        return _plain((self._fn.forward(x, y),), self._plain)[0]

    def backward(self, dout=1):
        (dout,), _ = _arrays(dout)
        return _plain(self._fn.backward(dout), self._plain)


class AddLayer:
    """out = x + y; backward gives (dout, dout)."""

    def __init__(self):
        pass

    def forward(self, x, y):
        (x, y), self._plain = _arrays(x, y)
        self._fn = Add()
        return _plain((self._fn.forward(x, y),), self._plain)[0]

    def backward(self, dout=1):
        (dout,), _ = _arrays(dout)
        return _plain(self._fn.backward(dout), self._plain)
