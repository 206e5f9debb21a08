"""Fully connected link."""
import math

from keisan.functions.linalg import linear
from keisan.layers import Affine
from keisan.links import parameters
from keisan.links.link import Link


class Linear(Link):
    """y = x @ W + b with W of shape (in_size, out_size), the book's Affine layout.

    Args:
        in_size: input features, or None to infer at the first call. ``Linear(10)``
            means ``Linear(None, 10)``.
        out_size: output features.
        nobias: no bias if True.
        initialW: initializer (default LeCunNormal), number, array, or the book's
            'he'/'relu'/'xavier'/'sigmoid'.
        initial_bias: initializer of b (default 0).
        dtype: of W and b (default ``keisan.config.dtype``).
    """

    def __init__(self, in_size, out_size=None, nobias=False, initialW=None,
                 initial_bias=None, dtype=None):
        super().__init__()
        if out_size is None:
            in_size, out_size = None, in_size
        self.out_size = out_size
        self.W = parameters.weight(initialW, None if in_size is None else (in_size, out_size),
                                   dtype)
        self.b = parameters.bias(out_size, nobias, initial_bias, dtype)

    @property
    def in_size(self):
        """Input features: W's first axis, None until W is initialized (lazy link)."""
        return None if self.W.data is None else self.W.shape[0]

    def forward(self, x):
        """x: (N, in_size) or (N, ...) flattened to (N, in_size) -> (N, out_size)."""
        if self.W.data is None:
            parameters.initialize_lazy('Linear', self.W, x,
                                       lambda shape: (math.prod(shape[1:]), self.out_size),
                                       None if self.b is None else self.b.dtype)
        return linear(x, self.W, self.b)

    def book_layer(self):
        """The book's Affine layer on this link's arrays."""
        return Affine(self.W.data, None if self.b is None else self.b.data)
