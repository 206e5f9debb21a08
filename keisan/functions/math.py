"""Elementwise arithmetic and math: add, sub, mul, div, neg, pow, exp, log, ...

Binary operations broadcast like NumPy; their backward reduces each gradient
back to its input's shape with :func:`keisan.kernels.sum_to`. A Python scalar
operand takes the dtype of the array beside it, so float32 stays float32.
Unary functions map x (any shape) to the same shape.
"""
import numpy as np

from keisan.cuda import get_array_module, is_array
from keisan.core.function import Function
from keisan.core.variable import Variable, as_array
from keisan.functions import array as A
from keisan.kernels import sum_to


def operand(x, like, where):
    """Wrap a Python scalar ``x`` as an array of ``like``'s float dtype (no float64 upcast).

    Variables and arrays pass through unchanged; scalars (Python or NumPy) become 0-d
    arrays, so that ``float32_variable * 2.0`` stays float32. Anything else (a list, a
    string) raises TypeError naming its type.
    """
    if isinstance(x, Variable) or is_array(x):
        return x
    data = like.data if isinstance(like, Variable) else like
    dtype = data.dtype if getattr(data, 'dtype', None) is not None \
        and data.dtype.kind == 'f' else None
    xp = get_array_module(data)
    return xp.asarray(as_array(x, dtype, where))


def _constant(x):
    """Wrap an array as a constant Variable (saves Function.__call__ the conversion)."""
    return x if isinstance(x, Variable) else Variable(x, requires_grad=False)


def _binary(fn_class, x0, x1):
    label = fn_class.__name__.lower()
    return fn_class()(_constant(operand(x0, x1, label)), _constant(operand(x1, x0, label)))


class _Broadcasting(Function):
    """Binary op: remembers input shapes to undo broadcasting in backward."""

    def _keep_shapes(self, x0, x1):
        self.shapes = (x0.shape, x1.shape)

    def _reduce(self, g0, g1):
        return sum_to(g0, self.shapes[0]), sum_to(g1, self.shapes[1])

    def _reduce_graph(self, g0, g1):
        """``_reduce`` for backward_graph: Variables, None where no gradient is needed."""
        return tuple(A.sum_to(g, shape) if g is not None and need else None
                     for g, need, shape in zip((g0, g1), self.needs_input_grad, self.shapes))


class Add(_Broadcasting):
    """y = x0 + x1; each input gets gy summed back to its shape."""

    def forward(self, x0, x1):
        self._keep_shapes(x0, x1)
        return x0 + x1

    def backward(self, gy):
        return self._reduce(gy, gy)

    def backward_graph(self, gy):
        return self._reduce_graph(gy, gy)


class Sub(_Broadcasting):
    """y = x0 - x1; gradients gy and -gy, summed back to each shape."""

    def forward(self, x0, x1):
        self._keep_shapes(x0, x1)
        return x0 - x1

    def backward(self, gy):
        return self._reduce(gy, -gy)

    def backward_graph(self, gy):
        return self._reduce_graph(gy, -gy if self.needs_input_grad[1] else None)


class Mul(_Broadcasting):
    """y = x0 * x1; gradients gy * x1 and gy * x0."""

    def forward(self, x0, x1):
        self._keep_shapes(x0, x1)
        self.x0, self.x1 = x0, x1
        return x0 * x1

    def backward(self, gy):
        need = self.needs_input_grad
        return (sum_to(gy * self.x1, self.shapes[0]) if need[0] else None,
                sum_to(gy * self.x0, self.shapes[1]) if need[1] else None)

    def backward_graph(self, gy):
        (x0, x1), need = self.inputs, self.needs_input_grad
        return self._reduce_graph(gy * x1 if need[0] else None, gy * x0 if need[1] else None)


class Div(_Broadcasting):
    """y = x0 / x1; gradients gy / x1 and -gy * x0 / x1**2."""

    def forward(self, x0, x1):
        self._keep_shapes(x0, x1)
        self.x0, self.x1 = x0, x1
        return x0 / x1

    def backward(self, gy):
        g0 = gy / self.x1
        g1 = sum_to(-g0 * self.x0 / self.x1, self.shapes[1]) \
            if self.needs_input_grad[1] else None
        return sum_to(g0, self.shapes[0]) if self.needs_input_grad[0] else None, g1

    def backward_graph(self, gy):
        x0, x1 = self.inputs
        g0 = gy / x1
        return self._reduce_graph(g0, -g0 * x0 / x1 if self.needs_input_grad[1] else None)


class Neg(Function):
    """y = -x; gradient -gy."""

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy

    def backward_graph(self, gy):
        return -gy


class PowConst(Function):
    """x ** c for a constant exponent c."""
    label = 'pow'

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        self.x = x
        return x ** self.c

    def backward(self, gy):
        c = self.c
        if c == 0:      # x ** -1 would turn the zero gradient into nan at x == 0
            return get_array_module(gy).zeros_like(gy)
        return (c * self.x ** (c - 1)) * gy if c != 2 else (2 * self.x) * gy

    def backward_graph(self, gy):
        x, = self.inputs
        return gy * 0 if self.c == 0 else gy * (self.c * x ** (self.c - 1))


class Pow(_Broadcasting):
    """x0 ** x1 with both operands differentiable."""
    label = 'pow'

    def forward(self, x0, x1):
        self._keep_shapes(x0, x1)
        self.x0, self.x1 = x0, x1
        self.y = x0 ** x1
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        need = self.needs_input_grad
        # Each term only when needed: 2 ** x must not evaluate log or powers it discards.
        g0 = gy * self.x1 * self.x0 ** (self.x1 - 1) if need[0] else None
        g1 = gy * self.y * xp.log(self.x0) if need[1] else None
        return (None if g0 is None else sum_to(g0, self.shapes[0]),
                None if g1 is None else sum_to(g1, self.shapes[1]))

    def backward_graph(self, gy):
        (x0, x1), need = self.inputs, self.needs_input_grad
        return self._reduce_graph(gy * x1 * x0 ** (x1 - 1) if need[0] else None,
                                  gy * x0 ** x1 * log(x0) if need[1] else None)


class Exp(Function):
    """y = exp(x); gradient gy * y."""

    def forward(self, x):
        self.y = get_array_module(x).exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y

    def backward_graph(self, gy):
        return gy * exp(self.inputs[0])


class Log(Function):
    """y = log(x) (natural); gradient gy / x."""

    def forward(self, x):
        self.x = x
        return get_array_module(x).log(x)

    def backward(self, gy):
        return gy / self.x

    def backward_graph(self, gy):
        return gy / self.inputs[0]


class Sqrt(Function):
    """y = sqrt(x); gradient gy / (2 * y)."""

    def forward(self, x):
        self.y = get_array_module(x).sqrt(x)
        return self.y

    def backward(self, gy):
        return gy / (2 * self.y)

    def backward_graph(self, gy):
        return gy / (2 * sqrt(self.inputs[0]))


class Square(Function):
    """y = x * x; gradient 2 * x * gy."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return 2 * self.x * gy

    def backward_graph(self, gy):
        return 2 * self.inputs[0] * gy


class Abs(Function):
    """y = |x|; gradient gy * sign(x) (0 at x == 0)."""
    label = 'absolute'

    def forward(self, x):
        self.x = x
        return abs(x)

    def backward(self, gy):
        return gy * get_array_module(gy).sign(self.x)

    def backward_graph(self, gy):
        return gy * get_array_module(self.x).sign(self.x)   # a constant: 0 almost everywhere


class Sin(Function):
    """y = sin(x); gradient gy * cos(x)."""

    def forward(self, x):
        self.x = x
        return get_array_module(x).sin(x)

    def backward(self, gy):
        return gy * get_array_module(gy).cos(self.x)

    def backward_graph(self, gy):
        return gy * cos(self.inputs[0])


class Cos(Function):
    """y = cos(x); gradient -gy * sin(x)."""

    def forward(self, x):
        self.x = x
        return get_array_module(x).cos(x)

    def backward(self, gy):
        return -gy * get_array_module(gy).sin(self.x)

    def backward_graph(self, gy):
        return -gy * sin(self.inputs[0])


class Tanh(Function):
    """y = tanh(x); gradient gy * (1 - y**2)."""

    def forward(self, x):
        self.y = get_array_module(x).tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)

    def backward_graph(self, gy):
        y = tanh(self.inputs[0])
        return gy * (1 - y * y)


class Maximum(_Broadcasting):
    """Elementwise max; on ties the gradient goes to the first input."""

    def forward(self, x0, x1):
        self._keep_shapes(x0, x1)
        self.first = x0 >= x1
        return get_array_module(x0).maximum(x0, x1)

    def backward(self, gy):
        return self._reduce(gy * self.first, gy * ~self.first)

    def backward_graph(self, gy):     # the mask is a constant: 0 almost everywhere
        return self._reduce_graph(gy * self.first, gy * ~self.first)


class Minimum(_Broadcasting):
    """Elementwise min; on ties the gradient goes to the first input."""

    def forward(self, x0, x1):
        self._keep_shapes(x0, x1)
        self.first = x0 <= x1
        return get_array_module(x0).minimum(x0, x1)

    def backward(self, gy):
        return self._reduce(gy * self.first, gy * ~self.first)

    def backward_graph(self, gy):     # the mask is a constant: 0 almost everywhere
        return self._reduce_graph(gy * self.first, gy * ~self.first)


class Clip(Function):
    """y = x clipped to [x_min, x_max]; the gradient passes only inside the bounds."""

    def __init__(self, x_min, x_max):
        if x_min is not None and x_max is not None and x_min > x_max:
            raise ValueError('clip: x_min (%r) must not exceed x_max (%r)' % (x_min, x_max))
        self.x_min, self.x_max = x_min, x_max

    def forward(self, x):
        self.inside = (x >= self.x_min if self.x_min is not None else True) & \
                      (x <= self.x_max if self.x_max is not None else True)
        y = get_array_module(x).clip(x, self.x_min, self.x_max)
        # Float bounds must not upcast float32; integer x with float bounds gives float64
        # like np.clip (casting back would truncate the bounds).
        return y.astype(x.dtype, copy=False) if x.dtype.kind == 'f' else y

    def backward(self, gy):
        return gy * self.inside

    def backward_graph(self, gy):     # the mask is a constant: 0 almost everywhere
        return gy * self.inside if is_array(self.inside) else gy


# ----- functional API -------------------------------------------------------------
def add(x0, x1):
    """x0 + x1. Shapes broadcast like NumPy: (N, C) and (C,) -> (N, C)."""
    return _binary(Add, x0, x1)


def sub(x0, x1):
    """x0 - x1. Shapes broadcast like NumPy: (N, C) and (C,) -> (N, C)."""
    return _binary(Sub, x0, x1)


def mul(x0, x1):
    """x0 * x1, elementwise. Shapes broadcast like NumPy: (N, C) and (C,) -> (N, C)."""
    return _binary(Mul, x0, x1)


def div(x0, x1):
    """x0 / x1 (true division). Shapes broadcast like NumPy: (N, C) and (C,) -> (N, C)."""
    return _binary(Div, x0, x1)


def neg(x):
    """-x. x (any shape) -> same shape."""
    return Neg()(x)


def pow(x, c):
    """x ** c; ``c`` a Python scalar (constant) or a Variable/array (differentiable)."""
    if isinstance(c, (int, float, np.integer, np.floating)) and not isinstance(c, bool):
        # A NumPy scalar exponent becomes a Python one: x ** np.float64(2) stays float32.
        return PowConst(c.item() if isinstance(c, np.generic) else c)(x)
    return _binary(Pow, x, c)


def exp(x):
    """exp(x), elementwise. x (any shape) -> same shape."""
    return Exp()(x)


def log(x):
    """Natural logarithm. x (any shape) -> same shape."""
    return Log()(x)


def sqrt(x):
    """Square root, elementwise. x (any shape) -> same shape."""
    return Sqrt()(x)


def square(x):
    """x * x, elementwise. x (any shape) -> same shape."""
    return Square()(x)


def absolute(x):
    """|x| (also ``F.abs``); gradient 0 at x == 0. x (any shape) -> same shape."""
    return Abs()(x)


def sin(x):
    """Sine (radians), elementwise. x (any shape) -> same shape."""
    return Sin()(x)


def cos(x):
    """Cosine (radians), elementwise. x (any shape) -> same shape."""
    return Cos()(x)


def tanh(x):
    """Hyperbolic tangent (also an activation). x (any shape) -> same shape."""
    return Tanh()(x)


def maximum(x0, x1):
    """Elementwise maximum; shapes broadcast like :func:`add`."""
    return _binary(Maximum, x0, x1)


def minimum(x0, x1):
    """Elementwise minimum; shapes broadcast like :func:`add`."""
    return _binary(Minimum, x0, x1)


def clip(x, x_min, x_max):
    """Clip values to [x_min, x_max] (either may be None); gradient 0 outside.

    x (any shape) -> same shape; float dtypes are kept.
    """
    return Clip(x_min, x_max)(x)
