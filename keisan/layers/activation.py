"""Relu, Sigmoid and LeakyReLU layers."""
from keisan.functions import activation


class Relu:
    """out = max(x, 0). ``mask`` marks the inputs that were <= 0 (as in the book)."""

    def __init__(self):
        self._fn = None

    @property
    def mask(self):
        return None if self._fn is None else self._fn.y <= 0

    def forward(self, x):
        self._fn = activation.ReLU()
        return self._fn.forward(x)

    def backward(self, dout):
        return self._fn.backward(dout)


class Sigmoid:
    """out = 1 / (1 + exp(-x)); ``out`` is kept for backward."""

    def __init__(self):
        self.out = None

    def forward(self, x):
        self._fn = activation.Sigmoid()
        self.out = self._fn.forward(x)
        return self.out

    def backward(self, dout):
        return self._fn.backward(dout)


class LeakyReLU:
    """out = x for x > 0, alpha * x otherwise."""

    def __init__(self, alpha=0.01):
        self.alpha = alpha

    def forward(self, x):
        self._fn = activation.LeakyReLU(self.alpha)
        return self._fn.forward(x)

    def backward(self, dout):
        return self._fn.backward(dout)
