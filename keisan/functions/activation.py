"""Activation functions: identity, step, sigmoid, relu, leaky_relu, softmax, log_softmax."""
from keisan import kernels
from keisan.backend import get_array_module
from keisan.core.function import Function
from keisan.core.variable import Variable, as_array
from keisan.functions.math import Tanh, tanh  # noqa: F401  (tanh is also an activation)


class Identity(Function):
    def forward(self, x):
        return x

    def backward(self, gy):
        return gy


class Sigmoid(Function):
    def forward(self, x):
        xp = get_array_module(x)
        # 0.5 * tanh(x / 2) + 0.5 equals 1 / (1 + exp(-x)) without overflow in exp.
        y = xp.tanh(x * 0.5)
        y *= 0.5
        y += 0.5
        self.y = y
        return y

    def backward(self, gy):
        y = self.y
        return gy * (1 - y) * y


class ReLU(Function):
    label = 'relu'              # name in error messages (not 're_lu')

    def forward(self, x):
        self.y = get_array_module(x).maximum(x, 0, dtype=x.dtype)
        return self.y

    def backward(self, gy):
        return gy * (self.y > 0)


class LeakyReLU(Function):
    label = 'leaky_relu'

    def __init__(self, alpha=0.2):
        self.alpha = alpha

    def forward(self, x):
        self.positive = x > 0
        return get_array_module(x).where(self.positive, x, x * x.dtype.type(self.alpha))

    def backward(self, gy):
        return get_array_module(gy).where(self.positive, gy, gy * gy.dtype.type(self.alpha))


class Softmax(Function):
    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        self.y = kernels.softmax(x, self.axis)
        return self.y

    def backward(self, gy):
        gx = self.y * gy
        gx -= self.y * gx.sum(axis=self.axis, keepdims=True)
        return gx


class LogSoftmax(Function):
    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        self.y = kernels.log_softmax(x, self.axis)
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        return gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)


def identity(x):
    """Return x unchanged (gradient passes through)."""
    return Identity()(x)


def step(x):
    """Heaviside step: 1 where x > 0, else 0, in x's dtype. Not differentiable: no graph."""
    data = x.data if isinstance(x, Variable) else as_array(x, where='step')
    return Variable((data > 0).astype(data.dtype if data.dtype.kind == 'f' else 'int64'),
                    requires_grad=False)


def sigmoid(x):
    """Logistic function 1 / (1 + exp(-x))."""
    return Sigmoid()(x)


def relu(x):
    """max(x, 0)."""
    return ReLU()(x)


def leaky_relu(x, alpha=0.2):
    """x where x > 0, alpha * x elsewhere."""
    return LeakyReLU(alpha)(x)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis``."""
    return Softmax(axis)(x)


def log_softmax(x, axis=-1):
    """log(softmax(x)) along ``axis``, computed stably."""
    return LogSoftmax(axis)(x)
