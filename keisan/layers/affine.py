"""Affine (fully connected) layer."""
from keisan.functions.linalg import Linear


class Affine:
    """out = x @ W + b with W (in_size, out_size), b (out_size,).

    Input of more than two axes is flattened to (N, -1); ``backward`` returns dx
    in the original shape and fills ``dW`` and ``db``. ``compute_dx = False``
    skips dx (``backward`` returns None): the networks set it on their first layer.
    """

    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None
        self.compute_dx = True

    def forward(self, x):
        self._fn = Linear()
        out = self._fn.forward(x, self.W, self.b)     # b may be None (no bias)
        self.original_x_shape, self.x = x.shape, self._fn.x
        return out

    def backward(self, dout):
        self._fn.needs_input_grad = (self.compute_dx, True, True)
        dx, self.dW, *db = self._fn.backward(dout)
        self.db = db[0] if db else None
        return dx
