"""Convolution and (max) Pooling layers built on im2col."""
from keisan.functions.convolution import Convolution2D
from keisan.functions.pooling import MaxPooling2D
from keisan.kernels import im2col
from keisan.layers.layer import Layer


class Convolution(Layer):
    """Convolution with W (FN, C, FH, FW) and b (FN,); x (N, C, H, W) -> (N, FN, OH, OW).

    Keeps the book's attributes: ``x``, ``col`` (the im2col matrix in the book's
    (N*OH*OW, C*FH*FW) layout, built on access), ``col_W`` (W as a (C*FH*FW, FN)
    matrix), and fills ``dW``, ``db`` on backward.
    """
    param_names = ('W', 'b')

    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.x = None
        self.col_W = None
        self.dW = None
        self.db = None

    def function(self, train=True):
        return Convolution2D(self.stride, self.pad)

    @property
    def col(self):
        """The book's im2col matrix of the last input, (N*OH*OW, C*FH*FW), made on access
        (the Function never keeps it whole: it works on cache-sized blocks)."""
        if self.x is None:
            return None
        return im2col(self.x, self.W.shape[2], self.W.shape[3], self.stride, self.pad)

    def forward(self, x, train_flg=True):
        out = super().forward(x)
        self.x, self.col_W = x, self._fn.w_mat.T
        return out


class Pooling(Layer):
    """Max pooling over pool_h x pool_w windows (the book's default stride is 1).

    With ``pad > 0`` the padding is zeros that take part in the max, as in the book
    (``F.max_pooling_2d`` never lets padding win).
    """

    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x = None

    def function(self, train=True):
        return MaxPooling2D((self.pool_h, self.pool_w), self.stride, self.pad, pad_value=0)

    def forward(self, x, train_flg=True):
        self.x = x
        return super().forward(x)

    @property
    def arg_max(self):
        """Index of each window's max within the window (row-major), flat in the book's
        order of windows (N, OH, OW, C): the book's attribute, computed on access."""
        return None if self._fn is None else self._fn.argmax.transpose(0, 2, 3, 1).reshape(-1)


MaxPooling = Pooling    # the name some listings use (padding with 0 as the book's Pooling)
