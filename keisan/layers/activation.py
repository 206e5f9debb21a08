"""Relu, Sigmoid and LeakyReLU layers."""
from keisan.functions import activation
from keisan.layers.layer import Layer


class Relu(Layer):
    """out = max(x, 0). ``mask`` marks the inputs that were <= 0 (as in the book)."""

    def function(self, train=True):
        return activation.ReLU()

    @property
    def mask(self):
        return None if self._fn is None else self._fn.y <= 0


class Sigmoid(Layer):
    """out = 1 / (1 + exp(-x)); ``out`` is kept for backward."""
    out = None

    def function(self, train=True):
        return activation.Sigmoid()

    def forward(self, x, train_flg=True):
        self.out = super().forward(x)
        return self.out


class LeakyReLU(Layer):
    """out = x for x > 0, alpha * x otherwise (the book has no LeakyReLU: alpha=0.1 by
    default, as in the seed listings). ``mask`` marks the inputs that were <= 0."""

    def __init__(self, alpha=0.1):
        self.alpha = alpha

    def function(self, train=True):
        return activation.LeakyReLU(self.alpha)

    @property
    def mask(self):
        return None if self._fn is None else ~self._fn.positive


ReLU = Relu     # the name some listings use
