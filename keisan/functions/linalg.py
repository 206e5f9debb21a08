"""Matrix products: matmul and the fully connected ``linear`` (the book's Affine)."""
import math

from keisan.core.function import Function
from keisan.functions import array as A
from keisan.functions.array import reshape, transpose
from keisan.kernels import sum_to


class MatMul(Function):
    """x @ W with NumPy's matmul semantics (batch axes broadcast, 1-D operands promoted)."""
    label = 'matmul'             # name in error messages (not 'mat_mul')

    def forward(self, x, w):
        if x.ndim == 0 or w.ndim == 0:
            raise ValueError('matmul: operands must be at least 1-D, got shapes %s and %s'
                             % (x.shape, w.shape))
        if x.shape[-1] != w.shape[-2 if w.ndim > 1 else 0]:
            raise ValueError('matmul: shapes %s and %s are not aligned (%d != %d)'
                             % (x.shape, w.shape, x.shape[-1],
                                w.shape[-2 if w.ndim > 1 else 0]))
        self.x, self.w = x, w
        try:
            return x @ w
        except ValueError:  # batch axes that do not broadcast
            raise ValueError('matmul: shapes %s and %s do not broadcast (batch axes %s and '
                             '%s)' % (x.shape, w.shape, x.shape[:-2], w.shape[:-2])) from None

    def backward(self, gy):
        x, w = self.x, self.w
        # Promote 1-D operands to matrices (and give gy the axes matmul dropped)
        # so that one rule covers every case.
        x2 = x[None, :] if x.ndim == 1 else x
        w2 = w[:, None] if w.ndim == 1 else w
        gy2 = gy[..., None] if w.ndim == 1 else gy
        gy2 = gy2[..., None, :] if x.ndim == 1 else gy2
        gx = gw = None
        if self.needs_input_grad[0]:
            gx = sum_to(gy2 @ w2.swapaxes(-1, -2), x2.shape).reshape(x.shape)
        if self.needs_input_grad[1]:
            gw = sum_to(x2.swapaxes(-1, -2) @ gy2, w2.shape).reshape(w.shape)
        return gx, gw

    def backward_graph(self, gy):
        (x, w), need = self.inputs, self.needs_input_grad
        # backward's promotion, with reshapes: (k,) -> (1, k) for x, (k, 1) for w.
        x2 = reshape(x, (1,) + x.shape) if x.ndim == 1 else x
        w2 = reshape(w, w.shape + (1,)) if w.ndim == 1 else w
        s = gy.shape + (1,) if w.ndim == 1 else gy.shape
        s = s[:-1] + (1, s[-1]) if x.ndim == 1 else s
        gy2 = gy if s == gy.shape else reshape(gy, s)
        gx = gw = None
        if need[0]:
            gx = A.sum_to(gy2 @ _swap(w2), x2.shape)
            gx = reshape(gx, x.shape) if x.ndim == 1 else gx
        if need[1]:
            gw = A.sum_to(_swap(x2) @ gy2, w2.shape)
            gw = reshape(gw, w.shape) if w.ndim == 1 else gw
        return gx, gw


class Linear(Function):
    """y = x @ W + b, W of shape (in_size, out_size) as in the book's Affine.

    Inputs with more than two axes are flattened to (N, -1) and the input
    gradient gets the original shape back.
    """

    def forward(self, x, w, b=None):
        self.x_shape = x.shape
        if x.ndim != 2:
            # explicit width: reshape(N, -1) is ambiguous for an empty batch (N == 0)
            x = x.reshape(len(x), math.prod(x.shape[1:])) if x.ndim > 0 else x
        if x.ndim != 2 or w.ndim != 2 or x.shape[1] != w.shape[0]:
            raise ValueError('linear: x of shape %s (flattened to %s) does not match W of '
                             'shape %s (expected (%s, out_size))'
                             % (self.x_shape, x.shape, w.shape,
                                x.shape[1] if x.ndim == 2 else '?'))
        if b is not None and b.shape != (w.shape[1],):
            raise ValueError('linear: b of shape %s does not match W of shape %s '
                             '(expected (%d,))' % (b.shape, w.shape, w.shape[1]))
        self.x, self.w, self.has_bias = x, w, b is not None
        y = x @ w
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        need = self.needs_input_grad
        gx = (gy @ self.w.T).reshape(self.x_shape) if need[0] else None
        gw = self.x.T @ gy if need[1] else None
        if not self.has_bias:
            return gx, gw
        return gx, gw, gy.sum(axis=0) if need[2] else None

    def backward_graph(self, gy):
        x, w = self.inputs[:2]
        need = self.needs_input_grad
        flat = len(self.x_shape) == 2
        gx = None if not need[0] else gy @ w.T if flat else reshape(gy @ w.T, self.x_shape)
        gw = None if not need[1] else (x if flat else reshape(x, self.x.shape)).T @ gy
        if not self.has_bias:
            return gx, gw
        return gx, gw, gy.sum(axis=0) if need[2] else None


def _swap(v):
    """Variable ``v`` with its last two axes swapped."""
    axes = list(range(v.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return transpose(v, axes)


def matmul(x, w):
    """Matrix product ``x @ w`` (shapes (..., n, k) @ (..., k, m) -> (..., n, m))."""
    return MatMul()(x, w)


def linear(x, W, b=None):
    """Fully connected layer: (N, in_size) @ W (in_size, out_size) + b (out_size,).

    ``x`` with more axes is flattened to (N, -1) first, as the book's Affine does.
    """
    return Linear()(x, W) if b is None else Linear()(x, W, b)
