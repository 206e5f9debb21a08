"""2-D convolution link."""
from keisan.functions.convolution import convolution_2d
from keisan.kernels import pair
from keisan.layers import Convolution
from keisan.links import parameters
from keisan.links.link import Link


class Convolution2D(Link):
    """Convolution with W of shape (out_channels, in_channels, kh, kw) and b (out_channels,).

    ``in_channels`` may be None (inferred at the first call); ``ksize`` an int or
    (kh, kw); ``stride``, ``pad``, ``nobias``, ``initialW``, ``initial_bias`` and
    ``dtype`` as for :class:`~keisan.links.Linear` and ``F.convolution_2d``.
    """

    def __init__(self, in_channels, out_channels, ksize, stride=1, pad=0, nobias=False,
                 initialW=None, initial_bias=None, dtype=None):
        super().__init__()
        self.kh, self.kw = pair(ksize)
        self.stride, self.pad, self.out_channels = stride, pad, out_channels
        shape = None if in_channels is None else (out_channels, in_channels, self.kh, self.kw)
        self.W = parameters.weight(initialW, shape, dtype)
        self.b = parameters.bias(out_channels, nobias, initial_bias, dtype)

    def forward(self, x):
        """x: (N, C, H, W) -> (N, out_channels, OH, OW)."""
        if self.W.data is None:
            parameters.initialize_lazy(
                'Convolution2D', self.W, x,
                lambda shape: (self.out_channels, shape[1], self.kh, self.kw),
                None if self.b is None else self.b.dtype)
        return convolution_2d(x, self.W, self.b, self.stride, self.pad)

    def book_layer(self):
        """The book's Convolution layer on this link's arrays."""
        return Convolution(self.W.data, None if self.b is None else self.b.data,
                           self.stride, self.pad)
