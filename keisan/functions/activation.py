"""Activation functions: identity, step, sigmoid, relu, leaky_relu, softmax, log_softmax."""
from keisan import kernels
from keisan.cuda import get_array_module
from keisan.kernels.dtypes import as_float
from keisan.core.function import Function
from keisan.core.variable import Variable, as_array
from keisan.functions.math import Tanh, tanh  # noqa: F401  (tanh is also an activation)


class Identity(Function):
    """y = x; the gradient passes through unchanged."""

    def forward(self, x):
        return x

    def backward(self, gy):
        return gy

    def backward_graph(self, gy):
        return gy


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x)); gradient y * (1 - y)."""

    def forward(self, x):
        self.y = kernels.sigmoid(x)
        return self.y

    def backward(self, gy):
        y = self.y
        return gy * (1 - y) * y

    def backward_graph(self, gy):
        y = sigmoid(self.inputs[0])
        return gy * (1 - y) * y


class ReLU(Function):
    """y = max(x, 0); the gradient passes where y > 0."""
    label = 'relu'              # name in error messages (not 're_lu')

    def forward(self, x):
        self.y = get_array_module(x).maximum(x, 0, dtype=x.dtype)
        return self.y

    def backward(self, gy):
        return gy * (self.y > 0)

    def backward_graph(self, gy):     # the mask is a constant: 0 almost everywhere
        return gy * (self.y > 0)


class LeakyReLU(Function):
    """y = x where x > 0, alpha * x elsewhere; gradient 1 or alpha."""
    label = 'leaky_relu'

    def __init__(self, alpha=0.2):
        self.alpha = alpha

    def forward(self, x):
        x = as_float(x)             # like NumPy's x * 0.2 (alpha in an int dtype would be 0)
        xp = get_array_module(x)
        self.positive = x > 0
        return xp.where(self.positive, x, x * x.dtype.type(self.alpha))

    def backward(self, gy):
        return get_array_module(gy).where(self.positive, gy, gy * gy.dtype.type(self.alpha))

    def backward_graph(self, gy):     # the slope is a constant: 1 or alpha
        xp = get_array_module(self.positive)
        return gy * xp.where(self.positive, 1, self.alpha).astype(gy.dtype)


class Softmax(Function):
    """y = exp(x) / sum(exp(x)) along axis; gradient y * (gy - sum(y * gy))."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        self.y = kernels.softmax(x, self.axis)
        return self.y

    def backward(self, gy):
        gx = self.y * gy
        gx -= self.y * gx.sum(axis=self.axis, keepdims=True)
        return gx

    def backward_graph(self, gy):
        y = softmax(self.inputs[0], self.axis)
        gx = y * gy
        return gx - y * gx.sum(axis=self.axis, keepdims=True)


class LogSoftmax(Function):
    """y = x - logsumexp(x) along axis; gradient gy - softmax(x) * sum(gy)."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        self.y = kernels.log_softmax(x, self.axis)
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        return gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)

    def backward_graph(self, gy):
        return gy - softmax(self.inputs[0], self.axis) * gy.sum(axis=self.axis, keepdims=True)


def identity(x):
    """Return x unchanged (gradient passes through). x (any shape) -> same shape."""
    return Identity()(x)


def step(x):
    """Heaviside step: 1 where x > 0, else 0, in x's dtype. Not differentiable: no graph."""
    data = x.data if isinstance(x, Variable) else as_array(x, where='step')
    return Variable((data > 0).astype(data.dtype if data.dtype.kind == 'f' else 'int64'),
                    requires_grad=False)


def sigmoid(x):
    """Logistic function 1 / (1 + exp(-x)). x (any shape) -> same shape.

    Float dtypes are kept; integer input gives float64.
    """
    return Sigmoid()(x)


def relu(x):
    """max(x, 0). x (any shape) -> same shape and dtype."""
    return ReLU()(x)


def leaky_relu(x, alpha=0.2):
    """x where x > 0, alpha * x elsewhere. x (any shape) -> same shape.

    Float dtypes are kept; integer input gives float64 (as NumPy's ``alpha * x``).
    """
    return LeakyReLU(alpha)(x)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis``. x (any shape) -> same shape.

    For (N, C) scores the default ``axis=-1`` normalizes each row. Float dtypes are
    kept; integer input is computed in float64 (as ``np.exp`` would).
    """
    return Softmax(axis)(x)


def log_softmax(x, axis=-1):
    """log(softmax(x)) along ``axis``, computed stably. x (any shape) -> same shape.

    Float dtypes are kept; integer input is computed in float64.
    """
    return LogSoftmax(axis)(x)
