"""Convolution and (max) Pooling layers built on im2col."""
from keisan.functions.convolution import Convolution2D
from keisan.functions.pooling import MaxPooling2D


class Convolution:
    """Convolution with W (FN, C, FH, FW) and b (FN,); x (N, C, H, W) -> (N, FN, OH, OW).

    Keeps the book's attributes: ``x``, ``col`` (im2col rows), ``col_W``
    (W as a (C*FH*FW, FN) matrix), and fills ``dW``, ``db`` on backward.
    """

    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.x = None
        self.col = None
        self.col_W = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self._fn = Convolution2D(self.stride, self.pad)
        out = self._fn.forward(x, self.W, self.b)
        self.x, self.col, self.col_W = x, self._fn.col, self._fn.w_mat.T
        return out

    def backward(self, dout):
        dx, self.dW, self.db = self._fn.backward(dout)
        return dx


class Pooling:
    """Max pooling over pool_h x pool_w windows (the book's default stride is 1)."""

    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x = None
        self.arg_max = None

    def forward(self, x):
        self._fn = MaxPooling2D((self.pool_h, self.pool_w), self.stride, self.pad)
        out = self._fn.forward(x)
        self.x, self.arg_max = x, self._fn.argmax
        return out

    def backward(self, dout):
        return self._fn.backward(dout)
