"""Affine (fully connected) layer."""
from keisan.functions.linalg import Linear


class Affine:
    """out = x @ W + b with W (in_size, out_size), b (out_size,).

    Input of more than two axes is flattened to (N, -1); ``backward`` returns dx
    in the original shape and fills ``dW`` and ``db``.
    """

    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self._fn = Linear()
        out = self._fn.forward(x, self.W, self.b)
        self.original_x_shape, self.x = x.shape, self._fn.x
        return out

    def backward(self, dout):
        dx, self.dW, self.db = self._fn.backward(dout)
        return dx
