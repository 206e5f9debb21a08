"""Fully connected link."""
import math

from keisan import initializers
from keisan.cuda import get_array_module
from keisan.core.variable import Parameter
from keisan.functions.linalg import linear
from keisan.links.lazy import check_input
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
    """

    def __init__(self, in_size, out_size=None, nobias=False, initialW=None,
                 initial_bias=None):
        super().__init__()
        if out_size is None:
            in_size, out_size = None, in_size
        self.out_size = out_size
        self.W = Parameter(initializer=initializers.get(initialW))
        if in_size is not None:
            self.W.initialize((in_size, out_size))
        if nobias:
            self.b = None
        else:
            self.b = Parameter(initializer=initializers.get(initial_bias,
                                                            initializers.Zero()))
            self.b.initialize((out_size,))

    @property
    def in_size(self):
        """Input features: W's first axis, None until W is initialized (lazy link)."""
        return None if self.W.data is None else self.W.shape[0]

    def forward(self, x):
        """x: (N, in_size) or (N, ...) flattened to (N, in_size) -> (N, out_size)."""
        if self.W.data is None:
            data = check_input('Linear', x, min_ndim=2)     # x stays a graph node
            self.W.initialize((math.prod(data.shape[1:]), self.out_size), xp=get_array_module(data),
                              dtype=None if self.b is None else self.b.dtype)
        return linear(x, self.W, self.b)
