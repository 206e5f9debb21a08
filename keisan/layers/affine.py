"""Affine (fully connected) layer."""
from keisan.functions.linalg import Linear
from keisan.layers.layer import Layer


class Affine(Layer):
    """out = x @ W + b with W (in_size, out_size), b (out_size,) or None (no bias).

    Input of more than two axes is flattened to (N, -1): ``x`` keeps that flattened
    input and ``original_x_shape`` its shape; ``backward`` returns dx in the original
    shape and fills ``dW`` and ``db``.
    """
    param_names = ('W', 'b')

    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    def function(self, train=True):
        return Linear()

    def forward(self, x, train_flg=True):
        out = super().forward(x)
        self.original_x_shape, self.x = x.shape, self._fn.x
        return out
