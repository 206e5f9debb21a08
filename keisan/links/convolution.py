"""2-D convolution link."""
from keisan import initializers
from keisan.cuda import get_array_module
from keisan.core.variable import Parameter
from keisan.functions.convolution import convolution_2d
from keisan.kernels import pair
from keisan.links.lazy import check_input
from keisan.links.link import Link


class Convolution2D(Link):
    """Convolution with W of shape (out_channels, in_channels, kh, kw) and b (out_channels,).

    ``in_channels`` may be None (inferred at the first call); ``ksize`` an int
    or (kh, kw).
    """

    def __init__(self, in_channels, out_channels, ksize, stride=1, pad=0, nobias=False,
                 initialW=None, initial_bias=None):
        super().__init__()
        self.kh, self.kw = pair(ksize)
        self.stride, self.pad, self.out_channels = stride, pad, out_channels
        self.W = Parameter(initializer=initializers.get(initialW))
        if in_channels is not None:
            self.W.initialize((out_channels, in_channels, self.kh, self.kw))
        if nobias:
            self.b = None
        else:
            self.b = Parameter(initializer=initializers.get(initial_bias,
                                                            initializers.Zero()))
            self.b.initialize((out_channels,))

    def forward(self, x):
        """x: (N, C, H, W) -> (N, out_channels, OH, OW)."""
        if self.W.data is None:
            data = check_input('Convolution2D', x, min_ndim=2)   # x stays a graph node
            self.W.initialize((self.out_channels, data.shape[1], self.kh, self.kw),
                              xp=get_array_module(data),
                              dtype=None if self.b is None else self.b.dtype)
        return convolution_2d(x, self.W, self.b, self.stride, self.pad)
